"""The sparse coverage matrix: camera-set configurations × demand points.

Rows are configurations (a candidate site turned to one orientation, or an
existing set as installed); columns are demand points; values are the view
quality in (0, 1] (see :meth:`coverage.camera.CameraSet.quality`).

How it is built (all in bulk, no Python loop over demand points or sites):

1. demand inside a privacy zone is dropped (its column stays empty), except in
   zones given a tier (``privacy_max_tier``): there it stays, its credit capped;
2. candidate (pole, demand) pairs within ``range_m`` from a k-d tree;
3. quality by distance (range, blind zone, DORI tiers) in numpy, then, with
   ``credit``, the credit of each point's own criterion (a tier, face capture;
   :func:`coverage.criteria.pair_credit`) and the privacy caps;
4. occlusion, exact: an angular-bin prefilter first clears every pair nearer than
   all (shrunk) building footprints in its bin around the pole; the remaining
   sightlines go to ``STRtree.query(lines, predicate="intersects")`` (rule in
   :mod:`coverage.visibility`, optionally in threads);
5. for each orientation slot, the sector test in numpy (unit vector to the
   point dotted with each camera axis, against ``cos(hfov / 2)``); a point within
   ``EDGE_TOLERANCE_M`` (a micrometre) of a sector edge or of ``range_m`` counts
   as seen, so a reprojection round trip cannot flip points lying on an edge;
6. configurations whose view (wedges clipped by a ray-cast isovist) reaches
   into a privacy zone without a tier by more than
   ``camera_set.max_privacy_intrusion_m2`` are dropped (candidate rows only;
   existing sets stay).

Orientations: ``rotations=r`` gives ``r`` turns of the whole set, evenly spaced
over its symmetry period (``k * period / r``: 0/30/60/90° for the default
0/120/240 set with ``r = 4``); ``rotations="corridors"`` aims the first camera
along each corridor bearing of the site. An existing set with a known heading
has its first camera on that heading; with NaN it uses offset 0 here.
:func:`coverage.plan.build_matrix` never passes NaN: it resolves unknown headings
first by ``Problem.unknown_heading`` (see :mod:`coverage.assumptions`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_array, csr_array
from scipy.spatial import cKDTree

from coverage._arrays import offsets_within, repeat_index
from coverage._sizes import BYTES_PER_ROW, GIB, memory_limit_gb
from coverage._validate import check_number, check_polygons, check_workers, check_xy, format_rows
from coverage.camera import CameraSet
from coverage.criteria import NO_CAP, DemandCredit, FaceCriterion, pair_credit
from coverage.errors import InputError, ParameterError
from coverage.visibility import CLEARANCE_M, MAX_RAYS, Obstacles, isovists, sector_polygons

__all__ = ["CoverageMatrix", "coverage_matrix", "row_orientations"]

_OWNER = "coverage_matrix"

#: A demand point within a micrometre of a sector edge or of ``range_m`` counts as seen. Grid-like
#: streets put many points exactly on an edge, where a reprojection round trip (about 1e-9 m of
#: noise) would otherwise flip them in or out and change the plan.
EDGE_TOLERANCE_M = 1e-6


@dataclass(frozen=True)
class CoverageMatrix:
    """Coverage matrix and the index arrays that say what each row is.

    Attributes
    ----------
    A
        ``csr_array`` (n_rows, n_demand), float64, stored values in (0, 1].
    site
        int64 (n_rows,): candidate site index, -1 for existing rows.
    existing
        int64 (n_rows,): existing set index, -1 for candidate rows.
    rotation
        int64 (n_rows,): orientation number at the site (0, 1, ...), 0 for existing.
    headings_deg
        float64 (n_rows, k): absolute azimuth of each camera of the row; ``k`` is
        the largest number of cameras in a set (NaN pads smaller sets).
    fixed
        int64: row indices of the existing sets.
    groups
        int64 (n_rows,): one group per site (= site index) and a unique id
        ``n_sites + existing`` per existing set.
    meta
        Counts and timings of the build.
    """

    A: csr_array
    site: NDArray[np.int64]
    existing: NDArray[np.int64]
    rotation: NDArray[np.int64]
    headings_deg: NDArray[np.float64]
    fixed: NDArray[np.int64]
    groups: NDArray[np.int64]
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of ``A``."""
        return (int(self.A.shape[0]), int(self.A.shape[1]))


def row_orientations(
    n_sites: int,
    camera_set: CameraSet,
    site_bearings_deg: Sequence[Sequence[float]] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(site, rotation, offset_deg) of each candidate row, sorted by site then rotation.

    Examples
    --------
    >>> s, r, o = row_orientations(2, CameraSet(rotations=2))
    >>> s.tolist(), r.tolist(), o.tolist()
    ([0, 0, 1, 1], [0, 1, 0, 1], [0.0, 60.0, 0.0, 60.0])
    >>> s, r, o = row_orientations(2, CameraSet(cameras=2, rotations="corridors"), [[10, 190], []])
    >>> s.tolist(), o.tolist()
    ([0, 1], [10.0, 0.0])
    """
    if camera_set.rotations == "corridors":
        if site_bearings_deg is None or len(site_bearings_deg) != n_sites:
            got = None if site_bearings_deg is None else len(site_bearings_deg)
            msg = (
                f"{_OWNER}: rotations='corridors' needs 'site_bearings_deg' with one sequence of "
                f"bearings per site ({n_sites}). Got {got!r}."
            )
            raise InputError(msg)
        offs = [camera_set.corridor_offsets_deg(b) for b in site_bearings_deg]
        counts = np.array([len(o) for o in offs], dtype=np.int64)
        offset = np.concatenate(offs) if offs else np.zeros(0)
    else:
        base = camera_set.rotation_offsets_deg()
        counts = np.full(n_sites, len(base), dtype=np.int64)
        offset = np.tile(base, n_sites)
    site = repeat_index(counts)
    rotation = offsets_within(counts)
    return site, rotation, offset.astype(np.float64)


def coverage_matrix(  # noqa: PLR0913 -- public entry: the data, then keyword-only options
    sites_xy: ArrayLike,
    demand_xy: ArrayLike,
    camera_set: CameraSet,
    *,
    buildings: object = None,
    privacy_zones: object = None,
    site_bearings_deg: Sequence[Sequence[float]] | None = None,
    existing_xy: ArrayLike | None = None,
    existing_heading_deg: ArrayLike | None = None,
    existing_cameras: ArrayLike | None = None,
    clearance_m: float = CLEARANCE_M,
    privacy_n_rays: int = 360,
    workers: int = 1,
    credit: DemandCredit | None = None,
    privacy_max_tier: Sequence[str | None] | None = None,
    client: Any = None,
    n_tiles: int | None = None,
) -> CoverageMatrix:
    """Build the coverage matrix of every site configuration (and existing set) over demand.

    Parameters
    ----------
    sites_xy
        (n, 2) candidate pole positions, metres.
    demand_xy
        (m, 2) demand points, metres, same CRS.
    camera_set
        The set installed at each candidate; also the model for existing sets.
    buildings
        Building footprints (array of shapely polygons, GeoSeries, or None) that
        block sight lines.
    privacy_zones
        Polygons where demand earns nothing and into which views may not reach.
    site_bearings_deg
        Per-site corridor bearings; needed when ``camera_set.rotations == "corridors"``.
    existing_xy, existing_heading_deg, existing_cameras
        Existing sets: positions (e, 2); heading of the first camera (NaN =
        unknown: the set's default orientation, offset 0); number of cameras
        (default ``camera_set.n_cameras``; a different count is spread evenly).
        One fixed row each, never excluded for privacy.
    clearance_m
        Inward shrink of footprints for occlusion.
    privacy_n_rays
        Rays per isovist when clipping views for the privacy test.
    workers
        Threads for the occlusion queries (shapely releases the GIL); -1 uses
        every core. Results do not depend on it.
    credit
        What each demand point needs to earn credit (its criterion, and the
        corridor bearing for face capture; see :mod:`coverage.criteria`).
        None: the set's graded quality everywhere (the default objective).
    privacy_max_tier
        One entry per privacy zone: the highest tier a view may reach inside
        it (a tier name of the camera set), or None for the default rule
        (demand inside earns nothing and views into it exclude candidates by
        ``max_privacy_intrusion_m2``). Inside a zone with a tier, credit is
        capped at that tier (the camera is masked above it) and the zone
        excludes no configuration.
    client, n_tiles
        A dask Client: build by about `n_tiles` spatial tiles (None: four per worker) on
        its workers, identical to the in-process matrix (see :mod:`coverage.distributed`).

    Returns
    -------
    CoverageMatrix
        Candidate rows first (by site, then rotation), then one row per existing set.

    Raises
    ------
    InputError
        Coordinates not (n, 2) or not finite; geometries that are not polygons;
        ``rotations="corridors"`` without ``site_bearings_deg``.

    Examples
    --------
    >>> cs = CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=4)
    >>> cm = coverage_matrix([[0.0, 0.0]], [[30.0, 0.0], [0.0, 30.0], [50.0, 0.0]], cs)
    >>> cm.A.toarray().tolist()  # rows face N, E, S, W
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> cm.headings_deg.ravel().tolist()
    [0.0, 90.0, 180.0, 270.0]
    """
    sites = _points(sites_xy, "sites_xy")
    demand = _points(demand_xy, "demand_xy")
    clearance_m = check_number(clearance_m, "clearance_m", _OWNER, low=0.0)
    privacy_n_rays = check_number(
        privacy_n_rays, "privacy_n_rays", _OWNER, low=3, high=MAX_RAYS, integer=True
    )
    bld = check_polygons(buildings, "buildings", _OWNER)
    all_zones = check_polygons(privacy_zones, "privacy_zones", _OWNER)
    zone_cap = _zone_caps(all_zones, privacy_max_tier, camera_set)
    zones = all_zones[zone_cap < 0]  # the default rule: no demand inside, no view into
    obs = Obstacles(bld, clearance_m) if bld.size else None
    existing = _existing_sets(existing_xy, existing_heading_deg, existing_cameras, camera_set)
    _check_row_count(len(sites), camera_set)
    if client is not None:  # by spatial tiles on a dask cluster
        return _tiled(locals())
    rows = _row_layout(sites, camera_set, site_bearings_deg, existing)

    # privacy: configurations whose view reaches into a zone (dropped at the end, so
    # that every site keeps the same rows while the entries are generated)
    row_keep = np.ones(rows.n_candidates, dtype=bool)
    if zones.size and rows.n_candidates:
        row_keep = _privacy_keep(rows, camera_set, zones, obs, privacy_n_rays)
    keep_rows = np.concatenate([row_keep, np.ones(rows.n_existing, dtype=bool)])

    dem_idx = _demand_outside(demand, zones)
    pc = _point_credit(
        demand, credit, all_zones[zone_cap >= 0], zone_cap[zone_cap >= 0], camera_set
    )
    n_pairs = n_visible = 0
    entries: list[_Entries] = []
    if len(rows.origin) and dem_idx.size:
        pairs = _pairs_in_range(rows, keep_rows, demand, dem_idx, camera_set, pc)
        n_pairs = len(pairs.origin)
        if obs is not None and n_pairs:
            blocked = obs.blocked(
                rows.origins, demand, pairs.origin, pairs.target, workers=check_workers(workers)
            )
            pairs = pairs.subset(~blocked)
        n_visible = len(pairs.origin)
        entries = _sector_entries(rows, pairs, demand, camera_set)
    meta = {
        "n_pairs_in_range": n_pairs,
        "n_pairs_visible": n_visible,
        "n_privacy_excluded": int((~row_keep).sum()),
        "n_demand_in_privacy": int(len(demand) - dem_idx.size),
        "n_demand_masked": 0 if pc is None or pc.cap is None else int((pc.cap != NO_CAP).sum()),
    }
    return _assemble(rows, keep_rows, entries, len(demand), meta)


def _tiled(args: dict[str, Any]) -> CoverageMatrix:
    """Build from the checked arguments of :func:`coverage_matrix` by tiles (dask here)."""
    from coverage.distributed import _matrix as tiled

    return tiled.tiled_matrix(
        args["sites"],
        args["demand"],
        args["camera_set"],
        client=args["client"],
        n_tiles=tiled.n_tiles_for(args["client"], args["n_tiles"]),
        buildings=args["bld"],
        zones=args["all_zones"],
        bearings=args["site_bearings_deg"],
        existing=args["existing"],
        clearance_m=args["clearance_m"],
        privacy_n_rays=args["privacy_n_rays"],
        credit=args["credit"],
        privacy_max_tier=args["privacy_max_tier"],
        demand_zones=args["zones"],
    ).gather()


# --------------------------------------------------------------------------- rows
_Entries = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


@dataclass(frozen=True)
class _ExistingSets:
    """Existing sets as given: positions, first-camera heading (NaN: unknown), camera count."""

    xy: NDArray[np.float64]
    heading_deg: NDArray[np.float64]
    cameras: NDArray[np.int64]


@dataclass(frozen=True)
class _RowLayout:
    """Every row before the privacy exclusion: candidates (by site, rotation), then existing.

    ``origins`` stacks the sites and the existing sets; ``origin`` is the origin
    of each row. Rows are sorted by origin, so ``starts[o]`` and ``counts[o]``
    say which rows an origin owns.
    """

    c_site: NDArray[np.int64]
    c_rot: NDArray[np.int64]
    headings: NDArray[np.float64]
    origins: NDArray[np.float64]
    origin: NDArray[np.int64]
    n_sites: int
    n_cameras: int

    @property
    def n_candidates(self) -> int:
        return len(self.c_site)

    @property
    def n_existing(self) -> int:
        return len(self.origins) - self.n_sites

    @property
    def counts(self) -> NDArray[np.int64]:
        return np.bincount(self.origin, minlength=len(self.origins)).astype(np.int64)

    @property
    def starts(self) -> NDArray[np.int64]:
        counts = self.counts
        out: NDArray[np.int64] = np.cumsum(counts) - counts
        return out


def _points(xy: ArrayLike, name: str) -> NDArray[np.float64]:
    return check_xy(xy, name, _OWNER) if len(np.asarray(xy)) else np.zeros((0, 2))


def _check_row_count(n_sites: int, camera_set: CameraSet) -> None:
    """Refuse sites x rotations rows that would not fit in memory, before allocating them."""
    if isinstance(camera_set.rotations, str):
        return
    n_rows = float(n_sites) * float(camera_set.rotations)
    need = n_rows * BYTES_PER_ROW / GIB
    limit = memory_limit_gb()
    if need > limit:
        msg = (
            f"{_OWNER}: the 'rotations' parameter of the camera set ({camera_set.rotations}) "
            f"gives {n_rows:,.0f} candidate rows ({n_sites:,} sites x rotations), about "
            f"{need:,.1f} GiB before any coverage is computed, above the limit of {limit:,.1f} "
            "GiB (half of this machine's memory). Lower rotations (4 to 12 is usual) or give "
            "fewer sites."
        )
        raise ParameterError(msg)


def _existing_sets(
    xy: ArrayLike | None,
    heading_deg: ArrayLike | None,
    cameras: ArrayLike | None,
    camera_set: CameraSet,
) -> _ExistingSets:
    """Check the existing sets' arrays (one heading and one camera count per set)."""
    ex = check_xy(xy, "existing_xy", _OWNER) if xy is not None and len(np.asarray(xy)) else None
    ex = np.zeros((0, 2)) if ex is None else ex
    n_ex = len(ex)
    head = (
        np.full(n_ex, np.nan)
        if heading_deg is None
        else np.asarray(heading_deg, dtype=np.float64).reshape(-1)
    )
    cams = (
        np.full(n_ex, camera_set.n_cameras, dtype=np.int64)
        if cameras is None
        else np.asarray(cameras, dtype=np.int64).reshape(-1)
    )
    if len(head) == n_ex and np.isinf(head).any():
        bad = np.flatnonzero(np.isinf(head))
        msg = (
            f"{_OWNER}: existing_heading_deg has {bad.size} infinite value(s) (positions "
            f"{format_rows(bad.tolist())}). Give the first camera's azimuth in degrees "
            "clockwise from north, or NaN when it is unknown (the set's default orientation)."
        )
        raise InputError(msg)
    if len(head) != n_ex or len(cams) != n_ex or (cams < 1).any():
        msg = (
            f"{_OWNER}: existing_heading_deg and existing_cameras must give one value per "
            f"existing set ({n_ex}), cameras >= 1. Got {len(head)} heading(s) and "
            f"{len(cams)} camera count(s)."
        )
        raise InputError(msg)
    return _ExistingSets(ex, head, cams)


def _row_layout(
    sites: NDArray[np.float64],
    camera_set: CameraSet,
    site_bearings_deg: Sequence[Sequence[float]] | None,
    existing: _ExistingSets,
) -> _RowLayout:
    """Rows and the absolute heading of every camera of each row (NaN pads smaller sets)."""
    n_sites, n_ex = len(sites), len(existing.xy)
    c_site, c_rot, c_off = row_orientations(n_sites, camera_set, site_bearings_deg)
    rel = np.asarray(camera_set.relative_headings_deg, dtype=np.float64)
    k = len(rel)
    kmax = int(max(k, existing.cameras.max(initial=0)))
    head_c = np.full((len(c_site), kmax), np.nan)
    head_c[:, :k] = np.mod(c_off[:, None] + rel[None, :], 360.0)
    head_e = np.full((n_ex, kmax), np.nan)
    ex_off = np.where(np.isfinite(existing.heading_deg), np.mod(existing.heading_deg, 360.0), 0.0)
    for c in np.unique(existing.cameras):  # a handful of distinct camera counts
        sel = existing.cameras == c
        r = rel if c == k else np.arange(c) * (360.0 / c)
        head_e[np.ix_(sel, np.arange(c))] = np.mod(ex_off[sel, None] + r[None, :], 360.0)
    return _RowLayout(
        c_site=c_site,
        c_rot=c_rot,
        headings=np.concatenate([head_c, head_e]),
        origins=np.concatenate([sites, existing.xy]),
        origin=np.concatenate([c_site, n_sites + np.arange(n_ex, dtype=np.int64)]),
        n_sites=n_sites,
        n_cameras=k,
    )


# --------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class _Pairs:
    """(origin, demand point) pairs within range: distance and quality."""

    origin: NDArray[np.int64]
    target: NDArray[np.int64]
    dist: NDArray[np.float64]
    quality: NDArray[np.float64]

    def subset(self, mask: NDArray[np.bool_]) -> _Pairs:
        return _Pairs(self.origin[mask], self.target[mask], self.dist[mask], self.quality[mask])


@dataclass(frozen=True)
class _Sightlines:
    """Unit vector from the origin to the point of each pair; `at_pole` where it is the pole."""

    ux: NDArray[np.float64]
    uy: NDArray[np.float64]
    at_pole: NDArray[np.bool_]
    #: Added to ``u . axis``: a point within EDGE_TOLERANCE_M of a sector edge is inside.
    slack: NDArray[np.float64]


@dataclass(frozen=True)
class _Axes:
    """Camera axes of every row as (sin, cos) of the heading, and the sector threshold."""

    h_sin: NDArray[np.float64]
    h_cos: NDArray[np.float64]
    has_cam: NDArray[np.bool_]
    cos_half: float


def _demand_outside(demand: NDArray[np.float64], zones: NDArray[np.object_]) -> NDArray[np.int64]:
    """Find the demand points outside every privacy zone (their indices)."""
    dem_ok = np.ones(len(demand), dtype=bool)
    if zones.size and len(demand):
        zi = shapely.STRtree(zones).query(shapely.points(demand), predicate="intersects")[0]
        dem_ok[zi] = False
    return np.flatnonzero(dem_ok)


@dataclass(frozen=True)
class _PointCredit:
    """Per demand point: criterion code (None: quality), tier cap (None: none), corridor axis."""

    code: NDArray[np.int64] | None
    cap: NDArray[np.int64] | None
    bearing: NDArray[np.float64] | None
    face: FaceCriterion


def _zone_caps(
    zones: NDArray[np.object_], max_tier: Sequence[str | None] | None, camera_set: CameraSet
) -> NDArray[np.int64]:
    """Per zone: the index of the highest tier allowed inside, -1 for the default rule."""
    if max_tier is None:
        return np.full(len(zones), -1, dtype=np.int64)
    tiers = list(max_tier)
    names = [n for n, _ in camera_set.tiers]
    if len(tiers) != len(zones):
        msg = (
            f"{_OWNER}: privacy_max_tier must give one entry per privacy zone ({len(zones)}); "
            f"got {len(tiers)}."
        )
        raise InputError(msg)
    bad = sorted({str(t) for t in tiers if t is not None and t not in names})
    if bad:
        msg = (
            f"{_OWNER}: privacy_max_tier names {bad[0]!r}, not a tier of the camera set; its "
            f"tiers are {', '.join(map(repr, names))} (None keeps the default rule)."
        )
        raise InputError(msg)
    if camera_set.resolution_px is None and any(t is not None for t in tiers):
        msg = (
            f"{_OWNER}: privacy_max_tier needs a camera set with 'resolution_px' (tiers are "
            "pixel densities); without it no tier can be masked."
        )
        raise InputError(msg)
    return np.array([-1 if t is None else names.index(t) for t in tiers], dtype=np.int64)


def _point_credit(
    demand: NDArray[np.float64],
    credit: DemandCredit | None,
    ruled: NDArray[np.object_],
    ruled_cap: NDArray[np.int64],
    camera_set: CameraSet,
) -> _PointCredit | None:
    """Criterion codes and privacy caps of the demand points (None: plain graded quality)."""
    if credit is None and ruled.size == 0:
        return None
    m = len(demand)
    code = bearing = cap = None
    face = FaceCriterion() if credit is None else credit.face
    if credit is not None:
        code = credit.codes(camera_set)
        if len(code) != m:
            msg = f"{_OWNER}: credit.criterion must give one entry per demand point ({m})."
            raise InputError(msg)
        if credit.bearing_deg is not None:
            bearing = np.asarray(credit.bearing_deg, dtype=np.float64).reshape(-1)
            if len(bearing) != m:
                msg = f"{_OWNER}: credit.bearing_deg must give one entry per demand point ({m})."
                raise InputError(msg)
        if (code == 1 + len(camera_set.tiers)).any():
            face.check_camera(camera_set, _OWNER)
    if ruled.size and m:
        cap = np.full(m, NO_CAP, dtype=np.int64)
        pi, zi = shapely.STRtree(ruled).query(shapely.points(demand), predicate="intersects")
        np.minimum.at(cap, pi, ruled_cap[zi])
    return _PointCredit(code, cap, bearing, face)


def _pairs_in_range(
    rows: _RowLayout,
    keep_rows: NDArray[np.bool_],
    demand: NDArray[np.float64],
    dem_idx: NDArray[np.int64],
    camera_set: CameraSet,
    credit: _PointCredit | None = None,
) -> _Pairs:
    """Pairs of an origin with a kept row and a demand point it sees with credit > 0."""
    live = np.bincount(rows.origin[keep_rows], minlength=len(rows.origins))
    active = np.flatnonzero(live > 0)
    range_m = float(camera_set.range_m)  # type: ignore[arg-type]
    pi, pj, dist = _pairs_within(rows.origins[active], demand[dem_idx], range_m + EDGE_TOLERANCE_M)
    pi, pj = active[pi], dem_idx[pj]
    dist = np.minimum(dist, range_m)  # within EDGE_TOLERANCE_M of the range counts as at it
    q = camera_set.quality(dist)
    if credit is not None:
        q = pair_credit(
            camera_set,
            q,
            dist,
            demand[pj] - rows.origins[pi],
            None if credit.code is None else credit.code[pj],
            None if credit.cap is None else credit.cap[pj],
            None if credit.bearing is None else credit.bearing[pj],
            credit.face,
        )
    ok = q > 0
    return _Pairs(pi[ok], pj[ok], dist[ok], q[ok])


def _sector_entries(
    rows: _RowLayout, pairs: _Pairs, demand: NDArray[np.float64], camera_set: CameraSet
) -> list[_Entries]:
    """(row, column, value) entries of the pairs that fall in a camera's sector.

    Sector test by dot products: the angle to a camera's axis is <= hfov/2 exactly
    when cos(angle) = u . axis >= cos(hfov/2) (cos falls monotonically on [0, 180]).
    """
    d = demand[pairs.target] - rows.origins[pairs.origin]
    inv = 1.0 / np.where(pairs.dist > 0, pairs.dist, 1.0)
    hfov = float(camera_set.hfov_deg)
    # cos falls by about sin(hfov/2) * (lateral offset / distance) just outside an edge
    sin_half = math.sin(math.radians(min(hfov, 360.0) / 2.0))
    slack = (EDGE_TOLERANCE_M * sin_half) * inv
    sight = _Sightlines(d[:, 0] * inv, d[:, 1] * inv, pairs.dist <= 1e-9, slack)
    del d, inv
    h_rad = np.radians(rows.headings)
    axes = _Axes(
        h_sin=np.sin(h_rad),  # NaN for empty camera slots
        h_cos=np.cos(h_rad),
        has_cam=np.asarray(np.isfinite(rows.headings).any(axis=1)),
        cos_half=math.cos(math.radians(min(hfov, 360.0) / 2.0)) - 1e-12,
    )
    if camera_set.rotations == "corridors" or rows.n_sites == 0:
        return _entries_by_row(np.arange(len(pairs.origin)), rows, pairs, sight, axes)
    out = _entries_of_uniform_sites(rows, pairs, sight, axes)
    if rows.n_existing:
        existing = np.flatnonzero(pairs.origin >= rows.n_sites)
        out += _entries_by_row(existing, rows, pairs, sight, axes)
    return out


def _entries_by_row(
    sel: NDArray[np.int64], rows: _RowLayout, pairs: _Pairs, sight: _Sightlines, axes: _Axes
) -> list[_Entries]:
    """General case: the headings of the pairs `sel` are looked up row by row."""
    out: list[_Entries] = []
    cnt = rows.counts[pairs.origin[sel]]
    st = rows.starts[pairs.origin[sel]]
    for slot in range(int(cnt.max(initial=0))):
        sub = np.flatnonzero(cnt > slot)
        row = st[sub] + slot
        idx = sel[sub]
        uxs, uys, slk = sight.ux[idx], sight.uy[idx], sight.slack[idx]
        seen = sight.at_pole[idx] & axes.has_cam[row]
        for c in range(rows.headings.shape[1]):
            seen |= uxs * axes.h_sin[row, c] + uys * axes.h_cos[row, c] + slk >= axes.cos_half
        out.append((row[seen], pairs.target[idx[seen]], pairs.quality[idx[seen]]))
    return out


def _entries_of_uniform_sites(
    rows: _RowLayout, pairs: _Pairs, sight: _Sightlines, axes: _Axes
) -> list[_Entries]:
    """Candidate pairs when every site has the same r orientations.

    Then row = site * r + slot, and the headings of a slot are the same numbers
    at every site, so each slot is one vectorized test over all candidate pairs.
    """
    out: list[_Entries] = []
    r = rows.n_candidates // rows.n_sites
    ci = np.flatnonzero(pairs.origin < rows.n_sites)
    pic, uxc, uyc, apc = pairs.origin[ci], sight.ux[ci], sight.uy[ci], sight.at_pole[ci]
    slc = sight.slack[ci]
    pjc, qc = pairs.target[ci], pairs.quality[ci]
    for slot in range(r):
        seen = apc.copy()
        for c in range(rows.n_cameras):
            hs, hc = axes.h_sin[slot, c], axes.h_cos[slot, c]
            seen |= uxc * hs + uyc * hc + slc >= axes.cos_half
        out.append((pic[seen] * r + slot, pjc[seen], qc[seen]))
    return out


# --------------------------------------------------------------------------- assembly
def _assemble(
    rows: _RowLayout,
    keep_rows: NDArray[np.bool_],
    entries: list[_Entries],
    m: int,
    meta: dict[str, Any],
) -> CoverageMatrix:
    """Drop the privacy-excluded rows, renumber the rest and build the matrix."""
    if entries:
        rr = np.concatenate([e[0] for e in entries])
        cc = np.concatenate([e[1] for e in entries])
        vv = np.concatenate([e[2] for e in entries])
    else:
        rr = cc = np.zeros(0, dtype=np.int64)
        vv = np.zeros(0)
    c_site, c_rot, headings = rows.c_site, rows.c_rot, rows.headings
    n_excluded = int((~keep_rows).sum())
    if n_excluded:
        kept = keep_rows[rr]
        rr, cc, vv = rr[kept], cc[kept], vv[kept]
        rr = (np.cumsum(keep_rows) - 1)[rr]
        row_keep = keep_rows[: rows.n_candidates]
        c_site, c_rot, headings = c_site[row_keep], c_rot[row_keep], headings[keep_rows]
    n_rows = len(rows.origin) - n_excluded
    n_ex = rows.n_existing
    return CoverageMatrix(
        A=_csr(rr, cc, vv, (n_rows, m)),
        site=np.concatenate([c_site, np.full(n_ex, -1, dtype=np.int64)]).astype(np.int64),
        existing=np.concatenate([np.full(len(c_site), -1, dtype=np.int64), np.arange(n_ex)]).astype(
            np.int64
        ),
        rotation=np.concatenate([c_rot, np.zeros(n_ex, dtype=np.int64)]).astype(np.int64),
        headings_deg=headings,
        fixed=np.arange(len(c_site), n_rows, dtype=np.int64),
        groups=np.concatenate([c_site, rows.n_sites + np.arange(n_ex, dtype=np.int64)]).astype(
            np.int64
        ),
        meta=meta,
    )


def _csr(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    vals: NDArray[np.float64],
    shape: tuple[int, int],
) -> csr_array:
    """Canonical CSR from unique (row, col) entries (linear-time COO -> CSR, then sorted)."""
    idx = np.int32 if max(shape[0], shape[1], len(cols)) < 2**31 - 1 else np.int64
    A = coo_array((vals.astype(np.float64), (rows.astype(idx), cols.astype(idx))), shape=shape)
    out = csr_array(A.tocsr())
    out.sort_indices()
    return out


def _pairs_within(
    a: NDArray[np.float64], b: NDArray[np.float64], r: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """All (i, j, distance) with ``|a[i] - b[j]| <= r``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    ta, tb = cKDTree(a), cKDTree(b)
    sdm = ta.sparse_distance_matrix(tb, r, output_type="ndarray")
    i = sdm["i"].astype(np.int64)
    j = sdm["j"].astype(np.int64)
    d = sdm["v"].astype(np.float64)  # the ndarray output keeps exact zeros
    return i, j, d


def _privacy_keep(
    layout: _RowLayout,
    camera_set: CameraSet,
    zones: NDArray[np.object_],
    bld: Obstacles | None,
    n_rays: int,
) -> NDArray[np.bool_]:
    """Mark candidate rows whose (building-clipped) view overlaps a zone too much: False."""
    sites = layout.origins[: layout.n_sites]
    c_site = layout.c_site
    head_c = layout.headings[: layout.n_candidates]
    keep = np.ones(len(c_site), dtype=bool)
    range_m = float(camera_set.range_m)  # type: ignore[arg-type]
    # sites whose range disc reaches a zone
    near_s = np.unique(
        shapely.STRtree(zones).query(shapely.points(sites), predicate="dwithin", distance=range_m)[
            0
        ]
    )
    if near_s.size == 0:
        return keep
    zone_tree = shapely.STRtree(zones)
    rows = np.flatnonzero(np.isin(c_site, near_s))
    k = head_c.shape[1]
    wedges = sector_polygons(
        np.repeat(sites[c_site[rows]], k, axis=0), head_c[rows].ravel(), camera_set
    ).reshape(-1, k)
    limit = float(camera_set.max_privacy_intrusion_m2) + 1e-6
    # Summing per-camera areas equals the union's area when the wedges of a set do not
    # overlap, and with a zero limit only "any area" matters; otherwise take the union.
    use_sum = limit <= 1e-6 or _wedges_disjoint(camera_set)
    area = _zone_area(wedges if use_sum else shapely.union_all(wedges, axis=1)[:, None], zone_tree)
    # only rows whose open view intrudes need the (costlier) clipping by buildings
    over = np.flatnonzero(area > limit)
    if bld is not None and over.size:
        sites_over = np.unique(c_site[rows[over]])
        iso = isovists(sites[sites_over], bld, range_m=range_m, n_rays=n_rays)
        pos = np.searchsorted(sites_over, c_site[rows[over]])
        w_over = wedges[over]
        if not use_sum:
            w_over = shapely.union_all(w_over, axis=1)[:, None]
        area[over] = _zone_area(w_over, zone_tree, clip=iso, clip_of_row=pos)
    keep[rows] = area <= limit
    return keep


def _wedges_disjoint(camera_set: CameraSet) -> bool:
    """Tell whether no two cameras' view wedges of the set overlap (beyond the pole)."""
    rel = np.sort(np.asarray(camera_set.relative_headings_deg, dtype=np.float64))
    if len(rel) < 2:
        return True
    gaps = np.diff(np.concatenate([rel, rel[:1] + 360.0]))
    return bool(gaps.min() >= float(camera_set.hfov_deg) - 1e-9)


def _zone_area(
    polys: NDArray[np.object_],
    zone_tree: shapely.STRtree,
    *,
    clip: NDArray[np.object_] | None = None,
    clip_of_row: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """Per row of ``polys`` (n, k): summed area of overlap with the zones in ``zone_tree``.

    With ``clip`` (one polygon per site, e.g. isovists) and ``clip_of_row``, each
    overlap is also cut by the row's clip polygon. Each (clip, zone) intersection
    is computed once and then cut by the small view wedges, which is much
    cheaper than cutting every wedge by a many-vertex isovist.
    """
    n, k = polys.shape
    flat = polys.ravel()
    pi, zi = zone_tree.query(flat, predicate="intersects")
    area = np.zeros(n)
    if pi.size == 0:
        return area
    zones = zone_tree.geometries
    if clip is None or clip_of_row is None:
        a = shapely.area(shapely.intersection(flat[pi], zones[zi]))
    else:
        ci = clip_of_row[pi // k]
        key = ci.astype(np.int64) * len(zones) + zi
        uniq, inv = np.unique(key, return_inverse=True)
        clipped_zone = shapely.intersection(clip[uniq // len(zones)], zones[uniq % len(zones)])
        a = shapely.area(shapely.intersection(flat[pi], clipped_zone[inv]))
    np.add.at(area, pi // k, a)
    return area
