"""Line of sight and view geometry in 2D: sectors, occlusion by buildings, isovists, privacy.

Conventions
-----------
Azimuths are degrees clockwise from grid north (+y): ``az = atan2(dx, dy)``.
A camera with heading ``h`` and field of view ``f`` sees a point at azimuth
``az`` when the smallest angle between ``az`` and ``h`` is at most ``f / 2``
(inclusive). A point at the pole itself (distance 0) is in every sector.

Occlusion rule
--------------
A sightline from a pole to a point is blocked when it meets a building
footprint shrunk inward by ``clearance_m`` (0.5 m by default). The shrink lets
a pole that stands against a wall look along the street in front of it, and a
footprint thinner than ``2 * clearance_m`` never blocks. A building whose shrunk
footprint contains the pole (a pole snapped inside a footprint) is ignored for
that pole, so it does not hide the whole street. A target inside another
building is not seen.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage._arrays import offsets_within
from coverage._geometry import angular_difference_deg, azimuth_deg
from coverage._validate import check_number, check_polygons, check_workers, check_xy, format_rows
from coverage.camera import CameraSet
from coverage.errors import InputError

__all__ = [
    "CLEARANCE_M",
    "Obstacles",
    "angular_difference_deg",
    "azimuth_deg",
    "in_sector",
    "isovists",
    "line_of_sight",
    "privacy_intrusion",
    "sector_polygons",
    "view_sectors",
]

#: Default inward shrink of building footprints for occlusion, metres.
CLEARANCE_M = 0.5
#: Most rays an isovist may cast (each point's ring holds one vertex per ray).
MAX_RAYS = 100_000
_CHUNK = 500_000


def in_sector(az_deg: ArrayLike, heading_deg: ArrayLike, hfov_deg: float) -> NDArray[np.bool_]:
    """Tell where azimuth ``az_deg`` lies in the view of a camera at ``heading_deg``.

    NaN headings see nothing. A 360° (or wider) view sees everything.

    Examples
    --------
    >>> in_sector([120.0, 140.0, 45.0], 90.0, 90.0).tolist()  # 30° and 50° off-axis
    [True, False, True]
    """
    hfov_deg = check_number(hfov_deg, "hfov_deg", "in_sector", low=0.0, low_open=True)
    if hfov_deg >= 360.0:
        h = np.asarray(heading_deg, dtype=float)
        return np.broadcast_to(
            np.isfinite(h), np.broadcast_shapes(np.shape(az_deg), h.shape)
        ).copy()
    diff = angular_difference_deg(az_deg, heading_deg)
    with np.errstate(invalid="ignore"):
        return diff <= hfov_deg / 2.0 + 1e-9


class Obstacles:
    """Shrunk building footprints in an STRtree, ready for sightline queries.

    Build it once per scene and share it: :func:`isovists` accepts it in place
    of the footprints, and :func:`coverage.matrix.coverage_matrix` uses it for
    both occlusion and the privacy test.

    Parameters
    ----------
    buildings
        Polygon array (see :func:`coverage._validate.check_polygons`).
    clearance_m
        Inward shrink of every footprint (the module's occlusion rule);
        footprints that vanish are dropped.

    Examples
    --------
    >>> obs = Obstacles(np.array([shapely.box(10, -5, 20, 5)]), 0.5)
    >>> xy = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 30.0]])
    >>> obs.blocked(xy, xy, np.array([0, 0]), np.array([1, 2])).tolist()
    [True, False]
    """

    def __init__(self, buildings: NDArray[np.object_], clearance_m: float) -> None:
        shrunk = (
            shapely.buffer(buildings, -clearance_m, join_style="mitre")
            if clearance_m > 0
            else buildings.copy()
        )
        keep = ~shapely.is_empty(shrunk)
        self.geoms = shrunk[keep]
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.n = len(self.geoms)
        self._edges: tuple[NDArray[np.float64], NDArray[np.int64], shapely.STRtree] | None = None

    def edges(self) -> tuple[NDArray[np.float64], NDArray[np.int64], shapely.STRtree]:
        """Boundary edges (E, 2, 2), the obstacle of each edge, and an STRtree over edges."""
        if self._edges is None:
            parts, pidx = shapely.get_parts(self.geoms, return_index=True)
            rings, ridx = shapely.get_rings(parts, return_index=True)
            xy, cidx = shapely.get_coordinates(rings, return_index=True)
            same = cidx[1:] == cidx[:-1]  # consecutive vertices of one ring
            seg = np.stack([xy[:-1][same], xy[1:][same]], axis=1)
            owner = pidx[ridx[cidx[:-1][same]]].astype(np.int64)
            self._edges = (seg, owner, shapely.STRtree(shapely.linestrings(seg)))
        return self._edges

    def containing(self, xy: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(point index, obstacle index) pairs where an obstacle contains a point."""
        if self.n == 0 or len(xy) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        pi, bi = self.tree.query(shapely.points(xy), predicate="intersects")
        return pi.astype(np.int64), bi.astype(np.int64)

    def blocked(
        self,
        origins: NDArray[np.float64],
        targets: NDArray[np.float64],
        oi: NDArray[np.int64],
        ti: NDArray[np.int64],
        workers: int = 1,
    ) -> NDArray[np.bool_]:
        """Test each pair (origins[oi], targets[ti]): True where its sightline is blocked."""
        out = np.zeros(len(oi), dtype=bool)
        if self.n == 0 or len(oi) == 0:
            return out
        po, pb = self.containing(origins)
        ignore = np.unique(po * self.n + pb)
        # exact prefilter: pairs nearer than every obstacle in their angular bin are clear
        todo = np.flatnonzero(~self._surely_clear(origins, targets, oi, ti, ignore))
        oi_all, ti_all = oi, ti
        oi, ti = oi_all[todo], ti_all[todo]

        def work(s: int) -> NDArray[np.int64]:
            o = oi[s : s + _CHUNK]
            t = ti[s : s + _CHUNK]
            # zero-length sightlines (target at the pole) cross nothing but a containing
            # building, which is ignored
            lines = shapely.linestrings(np.stack([origins[o], targets[t]], axis=1))
            li, bi = self.tree.query(lines, predicate="intersects")
            if ignore.size:
                li = li[~np.isin(o[li].astype(np.int64) * self.n + bi, ignore)]
            return np.asarray(s + li, dtype=np.int64)

        starts = range(0, len(oi), _CHUNK)
        if workers > 1 and len(starts) > 1:
            # shapely releases the GIL in its vectorized functions and STRtree queries
            with ThreadPoolExecutor(max_workers=workers) as ex:
                hits = list(ex.map(work, starts))
        else:
            hits = [work(s) for s in starts]
        for h in hits:
            out[todo[h]] = True
        return out

    def _surely_clear(
        self,
        origins: NDArray[np.float64],
        targets: NDArray[np.float64],
        oi: NDArray[np.int64],
        ti: NDArray[np.int64],
        ignore: NDArray[np.int64],
        n_bins: int = 128,
    ) -> NDArray[np.bool_]:
        """Find the pairs that certainly see each other (a conservative, exact test): True.

        Around each origin, the circle is cut into ``n_bins`` angular bins. Every
        obstacle near the origin lowers ``near[bin]`` to its exact distance from
        the origin in every bin its angular span touches. A sightline that stays
        inside one bin and ends before ``near[bin]`` meets no obstacle: to meet
        one it would have to touch the obstacle's boundary at a point of that
        bin, no nearer than the obstacle's distance. Spans of 150° or more
        (origin almost surrounded) mark every bin.
        """
        clear = np.zeros(len(oi), dtype=bool)
        if len(oi) == 0:
            return clear
        d = targets[ti] - origins[oi]
        dist = np.hypot(d[:, 0], d[:, 1])
        reach = float(dist.max())
        used = np.unique(oi)
        near = np.full((len(used), n_bins), np.inf)
        w = 360.0 / n_bins
        qi, bi = self.tree.query(shapely.points(origins[used]), predicate="dwithin", distance=reach)
        if ignore.size:
            keep = ~np.isin(used[qi] * self.n + bi, ignore)
            qi, bi = qi[keep], bi[keep]
        if qi.size:
            o = origins[used[qi]]
            dmin = shapely.distance(shapely.points(o), self.geoms[bi])
            # angular span of each obstacle's vertices seen from the origin (signed angles:
            # only their differences from the first vertex matter, so no azimuth_deg wrap)
            xy, vi = shapely.get_coordinates(self.geoms[bi], return_index=True)
            ang = np.degrees(np.arctan2(xy[:, 0] - o[vi, 0], xy[:, 1] - o[vi, 1]))
            first = np.searchsorted(vi, np.arange(len(bi)))
            ref = ang[first]
            rel = np.mod(ang - ref[vi] + 180.0, 360.0) - 180.0
            lo = np.full(len(bi), np.inf)
            hi = np.full(len(bi), -np.inf)
            np.minimum.at(lo, vi, rel)
            np.maximum.at(hi, vi, rel)
            eps = 1e-7
            b0 = np.floor((ref + lo - eps) / w).astype(np.int64)
            b1 = np.floor((ref + hi + eps) / w).astype(np.int64)
            nb = b1 - b0 + 1
            nb[(hi - lo) >= 150.0] = n_bins
            nb = np.minimum(nb, n_bins)
            rows = np.repeat(qi, nb)
            k = offsets_within(nb)
            bins = np.mod(np.repeat(b0, nb) + k, n_bins)
            np.minimum.at(near.reshape(-1), rows * n_bins + bins, np.repeat(dmin, nb))
        slot = np.searchsorted(used, oi)
        az = azimuth_deg(d[:, 0], d[:, 1])
        b = np.minimum(np.floor(az / w).astype(np.int64), n_bins - 1)
        # keep clear of bin edges so float error in the angle cannot change the bin
        inner = (az - b * w > 1e-6) & ((b + 1) * w - az > 1e-6)
        clear = (dist < near[slot, b] - 1e-9) & inner
        clear |= dist == 0.0
        return clear


def line_of_sight(
    origins_xy: ArrayLike,
    targets_xy: ArrayLike,
    buildings: object,
    *,
    pairs: tuple[ArrayLike, ArrayLike] | None = None,
    clearance_m: float = CLEARANCE_M,
    workers: int = 1,
) -> NDArray[np.bool_]:
    """Whether each pole sees each target past the buildings (see the module's occlusion rule).

    Parameters
    ----------
    origins_xy, targets_xy
        (n, 2) and (m, 2) coordinates, metres.
    buildings
        Building footprints (array of shapely polygons, GeoSeries, or None).
    pairs
        ``(origin_index, target_index)`` arrays of the pairs to test. None tests
        ``origins_xy[i]`` against ``targets_xy[i]`` (same length).
    clearance_m
        Inward shrink of footprints before testing.
    workers
        Threads for the sightline queries (-1: all cores).

    Returns
    -------
    ndarray of bool, one per pair: True when visible.

    Examples
    --------
    >>> b = [shapely.box(10, -5, 20, 5)]
    >>> line_of_sight([[0, 0], [0, 0]], [[30, 0], [0, 30]], b).tolist()
    [False, True]
    """
    owner = "line_of_sight"
    o = check_xy(origins_xy, "origins_xy", owner)
    t = check_xy(targets_xy, "targets_xy", owner)
    if pairs is None:
        if len(o) != len(t):
            msg = f"{owner}: origins_xy and targets_xy differ in length ({len(o)} vs {len(t)})."
            raise InputError(msg)
        oi = ti = np.arange(len(o), dtype=np.int64)
    else:
        oi = np.asarray(pairs[0], dtype=np.int64)
        ti = np.asarray(pairs[1], dtype=np.int64)
    obs = Obstacles(check_polygons(buildings, "buildings", owner), clearance_m)
    return ~obs.blocked(o, t, oi, ti, workers=check_workers(workers))


def _wedge_coords(
    xy: NDArray[np.float64],
    headings_deg: NDArray[np.float64],
    hfov_deg: float,
    range_m: float,
    min_range_m: float,
    step_deg: float,
) -> NDArray[np.float64]:
    """Ring coordinates (k, npts, 2) of annular view wedges centred on xy[k] at headings[k]."""
    full = hfov_deg >= 360.0
    span = 360.0 if full else hfov_deg
    n_arc = max(int(np.ceil(span / step_deg)), 2) + 1
    t = np.linspace(-span / 2.0, span / 2.0, n_arc)
    ang = np.radians(headings_deg[:, None] + t[None, :])  # (k, n_arc)
    sx, sy = np.sin(ang), np.cos(ang)
    outer = np.stack([xy[:, None, 0] + range_m * sx, xy[:, None, 1] + range_m * sy], axis=-1)
    if min_range_m > 0:
        inner = np.stack(
            [xy[:, None, 0] + min_range_m * sx, xy[:, None, 1] + min_range_m * sy], axis=-1
        )[:, ::-1]
    else:
        inner = np.repeat(xy[:, None, :], 1, axis=1)
    ring = np.concatenate([inner, outer], axis=1)
    return np.concatenate([ring, ring[:, :1]], axis=1)


def sector_polygons(
    xy: NDArray[np.float64],
    headings: NDArray[np.float64],
    camera_set: CameraSet,
    step_deg: float = 2.0,
) -> NDArray[np.object_]:
    """Build the unclipped view wedge of each (point, heading) pair.

    `xy` is (n, 2) and `headings` (n,); the wedge spans ``camera_set.hfov_deg``
    between ``min_range_m`` and ``range_m``, its arc drawn every `step_deg`.
    NaN headings give empty polygons. :func:`view_sectors` is the checked,
    building-clipping front door.

    Examples
    --------
    >>> cs = CameraSet(cameras=1, hfov_deg=360, range_m=10)
    >>> w = sector_polygons(np.zeros((2, 2)), np.array([0.0, np.nan]), cs)
    >>> round(float(shapely.area(w[0]))), bool(shapely.is_empty(w[1]))
    (314, True)
    """
    k = len(xy)
    out = np.full(k, shapely.Polygon(), dtype=object)
    ok = np.isfinite(headings)
    if not ok.any():
        return out
    hfov = float(camera_set.hfov_deg)
    range_m, rmin = float(camera_set.range_m), float(camera_set.min_range_m)  # type: ignore[arg-type]
    if hfov >= 360.0:
        centres = shapely.points(xy[ok])
        polys = shapely.buffer(centres, range_m, quad_segs=int(np.ceil(90.0 / step_deg)))
        if rmin > 0:
            polys = shapely.difference(polys, shapely.buffer(centres, rmin, quad_segs=45))
    else:
        coords = _wedge_coords(xy[ok], headings[ok], hfov, range_m, rmin, step_deg)
        polys = shapely.polygons(coords)
        if rmin > 0 and hfov > 180.0:
            polys = shapely.make_valid(polys)
    out[ok] = polys
    return out


def _ray_reach(
    pts: NDArray[np.float64], obs: Obstacles, dirs: NDArray[np.float64], range_m: float
) -> NDArray[np.float64]:
    """Distance (n, n_rays) each ray from each point travels before it meets an obstacle.

    Candidate (ray, edge) pairs come from an STRtree over the obstacles' boundary
    edges; the crossing is then solved in numpy
    (``p + t * range * dir = a + u * (b - a)``, both ``t`` and ``u`` in [0, 1]).
    Obstacles containing the point are ignored (occlusion rule).
    """
    n, n_rays = len(pts), len(dirs)
    reach = np.full((n, n_rays), range_m)
    if obs.n == 0 or n == 0:
        return reach
    seg, seg_owner, etree = obs.edges()
    po, pb = obs.containing(pts)
    ignore = np.unique(po * obs.n + pb)
    flat = reach.reshape(-1)
    per = max(1, _CHUNK // n_rays)
    for s in range(0, n, per):
        p = pts[s : s + per]
        ends = p[:, None, :] + range_m * dirs[None, :, :]
        starts = np.broadcast_to(p[:, None, :], ends.shape)
        rays = shapely.linestrings(np.stack([starts, ends], axis=2).reshape(-1, 2, 2))
        ri, ei = etree.query(rays)  # bounding boxes only
        if ri.size == 0:
            continue
        oi = s + ri // n_rays
        if ignore.size:
            keep = ~np.isin(oi * obs.n + seg_owner[ei], ignore)
            ri, ei, oi = ri[keep], ei[keep], oi[keep]
        r = range_m * dirs[ri % n_rays]  # ray vector
        a, b = seg[ei, 0], seg[ei, 1]
        e = b - a
        w = a - pts[oi]
        den = r[:, 0] * e[:, 1] - r[:, 1] * e[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (w[:, 0] * e[:, 1] - w[:, 1] * e[:, 0]) / den
            u = (w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / den
        tol = 1e-12
        hit = (np.abs(den) > tol) & (t >= -tol) & (t <= 1 + tol) & (u >= -tol) & (u <= 1 + tol)
        np.minimum.at(flat, s * n_rays + ri[hit], np.clip(t[hit], 0.0, 1.0) * range_m)
    return reach


def isovists(
    xy: ArrayLike,
    buildings: object,
    *,
    range_m: float,
    n_rays: int = 720,
    clearance_m: float = CLEARANCE_M,
) -> NDArray[np.object_]:
    """Visibility polygons within ``range_m`` of each point, cut by buildings (ray casting).

    ``n_rays`` rays are cast evenly around each point; each stops where it first
    meets a (shrunk) building footprint, with the module's occlusion rule. The
    polygon joins the ray ends, so it is exact at the rays and approximate
    between them (corners narrower than 360 / n_rays degrees can be cut).

    Examples
    --------
    >>> v = isovists([[0.0, 0.0]], None, range_m=10.0, n_rays=360)
    >>> round(float(shapely.area(v[0])), 0)  # close to pi * 100
    314.0
    >>> half = isovists([[0.0, 0.0]], [shapely.box(1, -50, 50, 50)], range_m=10.0)
    >>> round(float(shapely.bounds(half[0])[2]), 6)  # stops at the wall shrunk by 0.5 m
    1.5
    """
    owner = "isovists"
    pts = check_xy(xy, "xy", owner)
    range_m = check_number(range_m, "range_m", owner, low=0.0, low_open=True)
    n_rays = check_number(n_rays, "n_rays", owner, low=3, high=MAX_RAYS, integer=True)
    clearance_m = check_number(clearance_m, "clearance_m", owner, low=0.0)
    ang = np.radians(np.arange(n_rays) * (360.0 / n_rays))
    dirs = np.stack([np.sin(ang), np.cos(ang)], axis=1)
    obs = (
        buildings
        if isinstance(buildings, Obstacles)
        else Obstacles(check_polygons(buildings, "buildings", owner), clearance_m)
    )
    reach = _ray_reach(pts, obs, dirs, float(range_m))
    ring = pts[:, None, :] + reach[:, :, None] * dirs[None, :, :]
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polys = shapely.make_valid(shapely.polygons(ring))
    return np.asarray(polys, dtype=object)


def view_sectors(
    xy: ArrayLike,
    headings_deg: ArrayLike,
    camera_set: CameraSet,
    *,
    buildings: object = None,
    n_rays: int = 720,
    clearance_m: float = CLEARANCE_M,
) -> NDArray[np.object_]:
    """Polygon of each camera's view wedge, clipped by buildings when given.

    Parameters
    ----------
    xy
        One pole ``(x, y)`` or ``(n, 2)`` poles.
    headings_deg
        Headings of the cameras: shape ``(k,)`` for one pole, ``(n, k)`` for many
        (NaN = no camera in that slot).
    camera_set
        Gives ``hfov_deg``, ``range_m`` and ``min_range_m``.
    buildings
        Footprints; when given each wedge is intersected with the pole's isovist.

    Returns
    -------
    ndarray of shapely polygons, shape ``(k,)`` or ``(n, k)``.

    Examples
    --------
    >>> cs = CameraSet(cameras=2, hfov_deg=90, range_m=10)
    >>> w = view_sectors((0.0, 0.0), [90.0, 270.0], cs)
    >>> [round(float(a)) for a in shapely.area(w)]  # pi * 100 / 4 each, polygonised
    [79, 79]
    """
    owner = "view_sectors"
    single = np.asarray(xy).ndim == 1
    pts = check_xy(xy, "xy", owner)
    try:
        h = np.atleast_2d(np.asarray(headings_deg, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        msg = f"{owner}: headings_deg must be numbers (degrees from north). {exc}"
        raise InputError(msg) from exc
    if h.shape[0] != len(pts):
        msg = f"{owner}: headings_deg has {h.shape[0]} row(s) for {len(pts)} pole(s)."
        raise InputError(msg)
    if np.isinf(h).any():
        rows = np.flatnonzero(np.isinf(h).any(axis=1)).tolist()
        msg = (
            f"{owner}: headings_deg has infinite values (rows {format_rows(rows)}). Give "
            "degrees clockwise from north, or NaN for an empty camera slot."
        )
        raise InputError(msg)
    k = h.shape[1]
    wedges = sector_polygons(np.repeat(pts, k, axis=0), h.ravel(), camera_set).reshape(-1, k)
    if buildings is not None:
        iso = isovists(
            pts,
            buildings,
            range_m=float(camera_set.range_m),  # type: ignore[arg-type]
            n_rays=n_rays,
            clearance_m=clearance_m,
        )
        wedges = shapely.intersection(wedges, iso[:, None])
    return wedges[0] if single else wedges


def privacy_intrusion(  # noqa: PLR0913 -- public entry: the data, then keyword-only options
    xy: ArrayLike,
    headings_deg: ArrayLike,
    camera_set: CameraSet,
    privacy_zones: object,
    buildings: object = None,
    *,
    n_rays: int = 720,
    clearance_m: float = CLEARANCE_M,
) -> NDArray[np.float64]:
    """Area (m²) of each privacy zone seen by a camera set at ``xy`` with ``headings_deg``.

    The set's view is the union of its camera wedges, clipped by buildings when
    given (isovist with ``n_rays`` rays).

    Parameters
    ----------
    xy, headings_deg
        One set: ``(x, y)`` and ``(k,)`` headings. Several sets: ``(n, 2)`` and
        ``(n, k)`` (NaN = no camera in that slot).
    camera_set
        Gives ``hfov_deg``, ``range_m`` and ``min_range_m``.
    privacy_zones
        Polygons (array, GeoSeries); the result keeps their order and length.
    buildings
        Footprints that hide parts of the zones, or None.

    Returns
    -------
    ndarray
        ``(n_zones,)`` for one set, ``(n, n_zones)`` for several.

    Examples
    --------
    >>> cs = CameraSet(cameras=1, hfov_deg=90, range_m=10)
    >>> zones = [shapely.box(0, -100, 100, 100), shapely.box(-100, -100, -1, 100)]
    >>> privacy_intrusion((0.0, 0.0), [90.0], cs, zones).round(1).tolist()  # east half only
    [78.5, 0.0]
    >>> # facing west: the wedge minus the triangle x > -1 (1 m2)
    >>> privacy_intrusion([[0.0, 0.0], [0.0, 0.0]], [[90.0], [270.0]], cs, zones).round(1).tolist()
    [[78.5, 0.0], [0.0, 77.5]]
    """
    zones = check_polygons(privacy_zones, "privacy_zones", "privacy_intrusion", keep_empty=True)
    single = np.asarray(xy).ndim == 1
    w = view_sectors(
        xy, headings_deg, camera_set, buildings=buildings, n_rays=n_rays, clearance_m=clearance_m
    )
    w = np.atleast_2d(np.asarray(w, dtype=object))
    view = shapely.union_all(w, axis=1)
    out = np.zeros((len(view), len(zones)))
    if len(zones) and len(view):
        vi, zi = shapely.STRtree(zones).query(view, predicate="intersects")
        out[vi, zi] = shapely.area(shapely.intersection(view[vi], zones[zi]))
    return out[0] if single else out
