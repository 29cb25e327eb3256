"""The geometry of a plan's outputs, as GIS layers, and one GeoPackage that holds them.

:func:`views` gives each camera's view (its field-of-view wedge, clipped by the
buildings when the plan was made with occlusion), :func:`streets` the watched
and unwatched runs of the corridors with their tier and the set that watches
them, :func:`layers` all five layers a planner takes elsewhere, and
:func:`to_gpkg` writes them into one GeoPackage (``Plan.to_gpkg`` too):

=========== ================ ==============================================
layer       geometry         one feature per
=========== ================ ==============================================
cameras     Point            camera set (new and existing), ``set`` = its position
views       MultiPolygon     camera of a set (a view clipped to nothing is left out)
demand      Point            demand point, with ``tier`` and the set watching it
streets     LineString       run of a corridor with one tier and one watching set
districts   MultiPolygon     district, with the report's figures (+ outside row)
=========== ================ ==============================================

Every layer is in the scene's working CRS (distance-true, metres) and its
GeoPackage description names it. Sets are linked by ``set`` (cameras, views)
and ``covered_by`` (demand, streets; -1 = unwatched), the 0-based position of
the set in ``plan.cameras``. Cells are plain values: headings are written as
text, ``"30;150;270"`` (degrees clockwise from north, ``;`` between cameras),
the one format of every file the package writes (:func:`coverage.io.headings_text`),
and read back by ``coverage evaluate``; in memory ``plan.cameras.headings_deg``
holds tuples. The map (:mod:`coverage.render`) draws these same views, runs
and tiers: the functions here are the only copy of that geometry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage._arrays import offsets_within, repeat_index
from coverage.camera import DORI_TIER_WEIGHTS, CameraSet
from coverage.errors import InputError, ParameterError
from coverage.io import atomic_path, crs_name, gis_table
from coverage.visibility import view_sectors

if TYPE_CHECKING:
    from coverage.evaluation import Report
    from coverage.plan import Plan
    from coverage.scene import Scene

__all__ = [
    "BINARY_TIER",
    "GPKG_LAYERS",
    "UNWATCHED",
    "layers",
    "plan_tier_weights",
    "quality_tier",
    "streets",
    "tier_names",
    "to_gpkg",
    "views",
]

UNWATCHED = "unwatched"
BINARY_TIER = "covered"
#: The layers of :func:`to_gpkg`, in file order, with their geometry type.
GPKG_LAYERS = {
    "cameras": "Point",
    "views": "MultiPolygon",
    "demand": "Point",
    "streets": "LineString",
    "districts": "MultiPolygon",
}
_EMPTY_POLYGON = shapely.Polygon()


# ----------------------------------------------------------------------------- tiers


def _check_tier_weights(tier_weights: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, w in tier_weights.items():
        v = float(w)
        if not (0.0 < v <= 1.0):
            msg = (
                f"The 'tier_weights' parameter must map tier names to quality values in (0, 1]. "
                f"Got {name!r}: {w!r} instead."
            )
            raise ParameterError(msg)
        out[str(name)] = v
    if not out:
        msg = "The 'tier_weights' parameter must name at least one tier. Got {} instead."
        raise ParameterError(msg)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def tier_names(tier_weights: Mapping[str, float] | None) -> tuple[str, ...]:
    """Tier names strongest first, then ``"unwatched"``."""
    if tier_weights is None:
        return (BINARY_TIER, UNWATCHED)
    return (*_check_tier_weights(tier_weights), UNWATCHED)


def quality_tier(
    quality: ArrayLike, tier_weights: Mapping[str, float] | None = None, *, rtol: float = 1e-6
) -> NDArray[np.str_]:
    """Name the coverage tier of each quality value.

    Parameters
    ----------
    quality
        Best coverage quality per demand point, in [0, 1] (0 = not covered).
    tier_weights
        Quality value credited for each tier, e.g. ``{"identify": 1.0,
        "recognise": 0.7, "observe": 0.4, "detect": 0.2}``. A value gets the
        strongest tier whose weight it reaches; a positive value below every
        weight gets the weakest tier. ``None`` (binary camera): every positive
        value is ``"covered"``.
    rtol
        Relative tolerance when comparing a value with a tier weight.

    Returns
    -------
    numpy.ndarray of str
        One tier name per value; ``"unwatched"`` where quality is 0.

    Raises
    ------
    ParameterError
        If a tier weight is outside (0, 1].

    Examples
    --------
    >>> quality_tier([0.0, 1.0, 0.5, 0.3], {"identify": 1.0, "observe": 0.5, "detect": 0.25})
    array(['unwatched', 'identify', 'observe', 'detect'], dtype='<U9')
    >>> quality_tier([0.0, 0.2])
    array(['unwatched', 'covered'], dtype='<U9')
    """
    names = np.asarray(tier_names(tier_weights))
    return names[quality_codes(quality, tier_weights, rtol=rtol)]


def quality_codes(
    quality: ArrayLike, tier_weights: Mapping[str, float] | None = None, *, rtol: float = 1e-6
) -> NDArray[np.int64]:
    """Index into :func:`tier_names` for each quality value (last = unwatched)."""
    q = np.asarray(quality, dtype=float)
    if tier_weights is None:
        return np.where(q > 0, 0, 1).astype(np.int64)
    weights = np.array(list(_check_tier_weights(tier_weights).values()))
    # strongest tier t with q >= w_t; weights are sorted decreasing.
    reached = q[..., None] >= weights * (1 - rtol)
    first = np.where(reached.any(axis=-1), reached.argmax(axis=-1), len(weights) - 1)
    return np.where(q > 0, first, len(weights)).astype(np.int64)


def plan_tier_weights(plan: Plan) -> dict[str, float] | None:
    """Return the tier weights a plan was made with (None = binary covered / unwatched).

    Looked up in ``plan.meta["tier_weights"]``, then a CameraSet in
    ``plan.meta["camera"]``/``["camera_set"]`` (when it models resolution),
    else inferred from the quality values: only 1s is binary; values among the
    default DORI weights get the DORI names.
    """
    meta = plan.meta
    tw = meta.get("tier_weights")
    if isinstance(tw, Mapping) and tw:
        return {str(k): float(v) for k, v in tw.items()}
    for key in ("camera_set", "camera"):
        cs = meta.get(key)
        tiers, weights = getattr(cs, "tiers", None), getattr(cs, "tier_weights", None)
        if tiers and weights and getattr(cs, "resolution_px", None) is not None:
            return {str(name): float(w) for (name, _), w in zip(tiers, weights, strict=True)}
    q = np.asarray(plan.demand["quality"], dtype=float)
    levels = np.unique(q[q > 0])
    if levels.size == 0 or np.all(levels == 1.0):
        return None
    default = dict(zip(("detect", "observe", "recognise", "identify"), _DORI_DEFAULT, strict=True))
    if np.all(np.isin(np.round(levels, 9), np.round(list(default.values()), 9))):
        return default
    # unknown weights: name the distinct levels, strongest first
    return {f"level {v:.3g}": float(v) for v in sorted(levels.tolist(), reverse=True)}


_DORI_DEFAULT = tuple(float(w) for w in DORI_TIER_WEIGHTS)


# ----------------------------------------------------------------------------- corridors


def corridor_runs(
    corridors: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, codes: NDArray[np.int64], unwatched: int
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64]]:
    """Cut corridors into runs of equal tier (what the map draws).

    Returns
    -------
    lines, tier_code, corridor_position
        See :func:`tier_runs` (runs of one tier, whichever sets watch them).
    """
    lines, code, ci, _ = tier_runs(corridors, demand, codes, unwatched)
    return lines, code, ci


def tier_runs(
    corridors: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    codes: NDArray[np.int64],
    unwatched: int,
    by: ArrayLike | None = None,
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Cut corridors into runs of equal tier (and equal `by`, e.g. the watching set).

    Each demand point stands for the stretch of its corridor between the
    midpoints to its neighbours (the corridor ends for the first and last).
    Consecutive stretches of one tier (and one `by` value) are merged into one
    run. Corridors with no demand point are one unwatched run (`by` -1). The
    runs of a corridor cover it end to end, once.

    Returns
    -------
    lines, tier_code, corridor_position, by
        LineStrings (metric CRS), their tier codes, the position of their
        corridor in `corridors`, and their `by` value (-1 without `by`).
    """
    geoms = corridors.geometry.to_numpy()
    n = len(geoms)
    lengths = shapely.length(geoms)
    ci = corridors.index.get_indexer(pd.Index(demand["corridor"]))
    ok = ci >= 0
    ci, dcode = ci[ok], codes[ok]
    dby = np.full(ci.size, -1, np.int64) if by is None else np.asarray(by, np.int64)[ok]
    pos = shapely.line_locate_point(geoms[ci], demand.geometry.to_numpy()[ok])
    order = np.lexsort((pos, ci))
    ci, pos, dcode, dby = ci[order], pos[order], dcode[order], dby[order]
    same_prev = np.r_[False, ci[1:] == ci[:-1]][: ci.size]  # no demand on corridors: empty
    same_next = np.r_[ci[:-1] == ci[1:], False][: ci.size]
    mids = np.r_[(pos[1:] + pos[:-1]) / 2, 0.0][: ci.size]
    start = np.where(same_prev, np.r_[0.0, mids[:-1]], 0.0)
    end = np.where(same_next, mids, lengths[ci])
    # merge consecutive stretches with the same corridor, tier and `by`
    changed = (dcode[1:] != dcode[:-1]) | (dby[1:] != dby[:-1])
    new_run = ~same_prev | np.r_[True, changed][: ci.size]
    run_ci = ci[new_run]
    run_code = dcode[new_run]
    run_by = dby[new_run]
    run_s0 = start[new_run]
    run_s1 = np.maximum.reduceat(end, np.flatnonzero(new_run)) if end.size else end
    empty = np.setdiff1d(np.arange(n), ci)
    run_ci = np.r_[run_ci, empty].astype(np.int64)
    run_code = np.r_[run_code, np.full(empty.size, unwatched)].astype(np.int64)
    run_by = np.r_[run_by, np.full(empty.size, -1)].astype(np.int64)
    run_s0 = np.r_[run_s0, np.zeros(empty.size)]
    run_s1 = np.r_[run_s1, lengths[empty]]
    keep = run_s1 - run_s0 > 1e-6
    run_ci, run_code, run_s0, run_s1 = run_ci[keep], run_code[keep], run_s0[keep], run_s1[keep]
    lines = _substrings(geoms, lengths, run_ci, run_s0, run_s1)
    return lines, run_code, run_ci, run_by[keep]


def _substrings(
    geoms: NDArray[Any],
    lengths: NDArray[np.float64],
    which: NDArray[np.int64],
    s0: NDArray[np.float64],
    s1: NDArray[np.float64],
) -> NDArray[Any]:
    """Vectorized ``shapely.ops.substring`` for many (line, start, end) triples."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    seg = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    seg[np.r_[True, idx[1:] != idx[:-1]]] = 0.0
    cum = np.cumsum(seg)
    first = np.searchsorted(idx, np.arange(len(geoms)))
    cum -= np.repeat(cum[first], np.bincount(idx, minlength=len(geoms)))
    offset = np.r_[0.0, np.cumsum(lengths + 1.0)[:-1]]
    vpos = offset[idx] + cum
    g0, g1 = offset[which] + s0, offset[which] + s1
    a = np.searchsorted(vpos, g0, side="right")
    b = np.searchsorted(vpos, g1, side="left")
    n_inner = np.maximum(b - a, 0)
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(geoms[which], s0))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(geoms[which], s1))
    counts = n_inner + 2
    total = int(counts.sum())
    run_of = repeat_index(counts)
    k = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    out = np.empty((total, 2))
    is_start = k == 0
    is_end = k == counts[run_of] - 1
    inner = ~is_start & ~is_end
    out[is_start] = p0
    out[is_end] = p1
    out[inner] = coords[a[run_of[inner]] + k[inner] - 1]
    return np.asarray(shapely.linestrings(out, indices=run_of), dtype=object)


# ----------------------------------------------------------------------------- wedges


def camera_views(
    plan_cameras: gpd.GeoDataFrame,
    *,
    buildings: NDArray[Any] | None = None,
    simplify_m: float = 0.75,
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """View of every camera of every set: (polygons, row of set, camera index, heading).

    Uses :func:`coverage.visibility.view_sectors`, clipped by the isovist of
    each pole when `buildings` are given, then simplified by `simplify_m`.
    Views are valid (Multi)Polygons; empty, zero-area and sliver views (under
    `MIN_VIEW_AREA_M2`) are left out, so a set may have fewer views than
    cameras (or none). The camera index is the 0-based position of the
    heading in the set's ``headings_deg``; headings are returned in [0, 360).
    """
    heads = plan_cameras["headings_deg"].to_numpy()
    counts = [len(h) for h in heads]
    row, cam = repeat_index(counts), offsets_within(counts)
    flat = np.array([float(v) for h in heads for v in h], dtype=float)
    ok = np.isfinite(flat)
    row, cam, flat = row[ok], cam[ok], flat[ok] % 360.0
    xy = shapely.get_coordinates(plan_cameras.geometry.to_numpy())
    hfov = plan_cameras["hfov_deg"].to_numpy(dtype=float)
    rng_m = plan_cameras["range_m"].to_numpy(dtype=float)
    if buildings is not None and len(buildings) and len(row):
        # only poles with a building within range need the (costly) isovist
        near = np.zeros(len(xy), dtype=bool)
        hit = shapely.STRtree(np.asarray(buildings, dtype=object)).query(
            shapely.points(xy), predicate="dwithin", distance=float(np.nanmax(rng_m))
        )[0]
        near[hit] = True
        polys = np.empty(len(row), dtype=object)
        occl = near[row]
        polys[occl] = _view_sectors(xy, row[occl], flat[occl], hfov, rng_m, buildings)
        polys[~occl] = _view_sectors(xy, row[~occl], flat[~occl], hfov, rng_m, None)
    else:
        polys = _view_sectors(xy, row, flat, hfov, rng_m, None)
    # about a metre of detail is all a map shows (isovists have hundreds of vertices);
    # a view clipped to a sliver or to nothing (a pole inside a footprint) is left out
    polys = polygonal(shapely.simplify(polygonal(polys), simplify_m), min_area=MIN_VIEW_AREA_M2)
    keep = ~shapely.is_empty(polys)
    return polys[keep], row[keep], cam[keep], flat[keep]


def set_wedges(
    plan_cameras: gpd.GeoDataFrame,
    *,
    buildings: NDArray[Any] | None = None,
    simplify_m: float = 0.75,
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """View wedges of every camera of every set; returns (polygons, row position of set).

    The first two results of :func:`camera_views` (what the map draws).
    """
    polys, row, _, _ = camera_views(plan_cameras, buildings=buildings, simplify_m=simplify_m)
    return polys, row


#: Views smaller than this (square metres) are not drawn: nothing a map could show.
MIN_VIEW_AREA_M2 = 0.01


def set_views(wedges: NDArray[Any], row: NDArray[np.int64], n_sets: int) -> NDArray[Any]:
    """One valid (Multi)Polygon per set: the union of its cameras' views (empty: none drawn).

    A MultiPolygon of overlapping or edge-sharing wedges is invalid, and a
    canvas fills it even-odd: where two views overlap the map would show a
    hole. The union draws what the set sees, once.
    """
    out = np.full(n_sets, _EMPTY_POLYGON, dtype=object)
    if len(wedges) == 0:
        return out
    order = np.argsort(row, kind="stable")
    row, wedges = row[order], wedges[order]
    cut = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    for start, end in zip(cut.tolist(), [*cut[1:].tolist(), len(row)], strict=True):
        out[row[start]] = shapely.union_all(wedges[start:end])
    return polygonal(out)


#: Rays per isovist when a wedge is clipped by buildings.
_N_RAYS = 180


def _view_sectors(
    xy: NDArray[np.float64],
    row: NDArray[np.int64],
    heading: NDArray[np.float64],
    hfov: NDArray[np.float64],
    range_m: NDArray[np.float64],
    buildings: NDArray[Any] | None,
) -> NDArray[Any]:
    """``view_sectors`` for the cameras `row`/`heading`, one call per (hfov, range) group."""
    out = np.empty(len(row), dtype=object)
    if len(row) == 0:
        return out
    b = None if buildings is None or len(buildings) == 0 else buildings
    # one call per (hfov, range) group; each pole's cameras as one row
    key = np.stack([hfov[row], range_m[row]], axis=1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    for g, (fov, rng_) in enumerate(uniq):
        sel = np.flatnonzero(inv.ravel() == g)
        poles, pos = np.unique(row[sel], return_inverse=True)
        k = int(np.bincount(pos).max())
        slot = np.zeros(sel.size, dtype=np.int64)
        order = np.argsort(pos, kind="stable")
        first = np.searchsorted(pos[order], np.arange(poles.size))
        slot[order] = np.arange(sel.size) - np.repeat(first, np.bincount(pos[order]))
        h = np.full((poles.size, k), np.nan)
        h[pos, slot] = heading[sel]
        cs = CameraSet(cameras=k, hfov_deg=float(fov), range_m=float(rng_))
        w = np.asarray(
            view_sectors(xy[poles], h, cs, buildings=b, n_rays=_N_RAYS), dtype=object
        ).reshape(-1, k)
        out[sel] = w[pos, slot]
    return out


# ----------------------------------------------------------------------------- polygons


def polygonal(geoms: ArrayLike, *, min_area: float = 0.0) -> NDArray[Any]:
    """Keep the valid polygonal part of each geometry (metric CRS), empty where none is left.

    Invalid geometries are repaired with ``make_valid``; the polygons of a
    GeometryCollection are kept and its points and lines dropped; lines,
    points and polygons of area at most `min_area` (slivers, zero-area
    views) become an empty polygon.

    Examples
    --------
    >>> bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> [round(float(a), 3) for a in shapely.area(polygonal([bow_tie]))]
    [2.0]
    >>> sliver = shapely.Polygon([(0, 0), (10, 0), (10, 1e-9)])
    >>> bool(shapely.is_empty(polygonal([sliver], min_area=1e-6))[0])
    True
    """
    g = np.array(geoms, dtype=object).reshape(-1)
    g[shapely.is_missing(g)] = _EMPTY_POLYGON
    bad = ~shapely.is_valid(g)
    g[bad] = shapely.make_valid(g[bad])
    tid = shapely.get_type_id(g)
    for i in np.flatnonzero(tid == 7):  # collections: their polygons only (rare)
        parts = shapely.get_parts(shapely.get_parts(g[i]))
        polys = parts[shapely.get_type_id(parts) == 3]
        g[i] = shapely.union_all(polys) if len(polys) else _EMPTY_POLYGON
    tid = shapely.get_type_id(g)
    drop = ~np.isin(tid, (3, 6)) | shapely.is_empty(g) | (shapely.area(g) <= min_area)
    g[drop] = _EMPTY_POLYGON
    return g


def polygon_parts(geoms: ArrayLike, *, min_area: float = 0.0) -> NDArray[Any]:
    """Return the non-empty Polygons of :func:`polygonal`, as one flat array."""
    parts = shapely.get_parts(polygonal(geoms, min_area=min_area))
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    return np.asarray(parts[keep], dtype=object)


# ----------------------------------------------------------------------------- layers


def _check(scene: Scene, plan: Plan) -> None:
    """Raise InputError unless `plan` has the Plan tables and the scene's CRS."""
    need = {
        "cameras": ("rank", "site", "headings_deg", "hfov_deg", "range_m", "phase", "status"),
        "demand": ("weight", "quality", "covered_by", "corridor"),
    }
    for attr, cols in need.items():
        frame = getattr(plan, attr, None)
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = f"The GIS layers need a coverage.Plan with .{attr}; got {type(plan).__name__}."
            raise InputError(msg)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            msg = f"plan.{attr} lacks the column(s) {missing}; it must come from coverage.solve."
            raise InputError(msg)
    if plan.demand.crs is None or gpd.GeoSeries([], crs=plan.demand.crs).crs != scene.crs:
        got = "none" if plan.demand.crs is None else crs_name(plan.demand.crs)
        msg = (
            f"The plan's CRS ({got}) differs from the scene's ({crs_name(scene.crs)}): "
            "pass the scene the plan was solved on."
        )
        raise InputError(msg)


def _set_columns(cams: gpd.GeoDataFrame, at: NDArray[np.int64]) -> dict[str, Any]:
    """Columns naming the set at positions `at` of ``plan.cameras`` (-1: none)."""
    has = at >= 0
    safe = np.where(has, at, 0)
    rank = cams["rank"].to_numpy(dtype=np.int64)
    status = cams["status"].astype(str).to_numpy(dtype=object)
    if not len(cams):
        rank, status = np.zeros(1, np.int64), np.array([""], dtype=object)
    return {
        "covered_by": at.astype(np.int64),
        "set_rank": np.where(has, rank[safe], -1),
        "set_status": np.where(has, status[safe], ""),
    }


def _occluding(scene: Scene, plan: Plan, occlusion: bool | None) -> NDArray[Any] | None:
    """Return the building footprints that clip the views (None without occlusion)."""
    occ = bool(plan.meta.get("occlusion", True)) if occlusion is None else bool(occlusion)
    if not occ or len(scene.buildings) == 0:
        return None
    return np.asarray(scene.buildings.geometry.to_numpy(), dtype=object)


def views(
    scene: Scene, plan: Plan, *, occlusion: bool | None = None, simplify_m: float = 0.25
) -> gpd.GeoDataFrame:
    """One polygon per camera of every set: its field-of-view wedge, clipped by buildings.

    Parameters
    ----------
    scene
        The scene the plan was solved on (its buildings clip the views).
    plan
        The plan (new and existing sets).
    occlusion
        Clip by the buildings; ``None``: as the plan was made
        (``plan.meta["occlusion"]``, default True).
    simplify_m
        Tolerance of the outline simplification (metres).

    Returns
    -------
    geopandas.GeoDataFrame
        In the working CRS, columns ``set`` (position in ``plan.cameras``),
        ``rank``, ``site``, ``camera`` (0-based, in the order of the set's
        ``headings_deg``), ``heading_deg``, ``hfov_deg``, ``range_m``,
        ``tier`` (the weakest tier the view gives, reached at its far edge:
        ``"covered"`` for a range-only camera), ``phase``, ``status``
        (new/existing), ``owner``, ``district`` and ``area_m2``. A camera
        whose view is clipped to nothing (a pole inside a footprint) has no
        row.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> cam = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40)
    >>> plan = cov.solve(cov.Problem(scene, cam, budget=1, method="greedy"))
    >>> v = views(scene, plan)
    >>> len(v), v["camera"].tolist(), v.geom_type.tolist()
    (2, [0, 1], ['Polygon', 'Polygon'])
    >>> round(float(v["area_m2"].sum()) / (2 * 3.14159 * 40**2 / 4), 2)  # two quarter discs
    1.0
    """
    _check(scene, plan)
    cams = plan.cameras
    polys, row, cam, heading = camera_views(
        cams, buildings=_occluding(scene, plan, occlusion), simplify_m=simplify_m
    )
    weakest = tier_names(plan_tier_weights(plan))[-2]

    def col(name: str, default: Any = "") -> NDArray[Any]:
        if name in cams.columns:
            return np.asarray(cams[name].to_numpy()[row])
        return np.full(len(row), default, dtype=object)

    frame = {
        "set": row,
        "rank": col("rank"),
        "site": col("site"),
        "camera": cam,
        "heading_deg": heading,
        "hfov_deg": col("hfov_deg"),
        "range_m": col("range_m"),
        "tier": np.full(len(row), weakest, dtype=object),
        "phase": col("phase"),
        "status": col("status"),
        "owner": col("owner"),
        "district": col("district"),
        "area_m2": shapely.area(polys),
    }
    return gpd.GeoDataFrame(frame, geometry=list(polys), crs=scene.crs)


def streets(scene: Scene, plan: Plan) -> gpd.GeoDataFrame:
    """Cut the corridors into watched and unwatched runs, with their tier and watching set.

    A run is a stretch of one corridor where the demand points have one tier
    and one watching set (each demand point stands for its corridor from the
    midpoint to the previous point to the midpoint to the next). The runs of
    a corridor cover it end to end, once: their lengths add up to the
    corridor lengths.

    Returns
    -------
    geopandas.GeoDataFrame
        LineStrings in the working CRS, columns ``corridor`` (the corridor's
        index in ``scene.corridors``), its ``name`` and ``kind`` when the
        corridors have them, ``tier`` (``"unwatched"`` or the tier name),
        ``watched`` (bool), ``covered_by`` (position in ``plan.cameras`` of
        the watching set, -1 if none), ``set_rank``, ``set_status``,
        ``basis`` and ``length_m``. ``basis`` is ``"demand"`` for runs cut
        by the demand points (as the optimizer counted them), ``"views"``
        for a corridor no demand point lies on (a plan on your own demand
        points, such as incidents): its parts inside a camera view are
        watched by the set with the best quality at the part's midpoint.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> plan.cameras.geometry.x.tolist()  # 3 cameras at 0/120/240°, 90° wide, 40 m
    [75.0, 175.0]
    >>> s = streets(scene, plan)  # demand at x = 5, 15, ...: x = 35..115 seen from x = 75
    >>> [(t, int(b), round(m, 6)) for t, b, m in s[["tier", "covered_by", "length_m"]].to_numpy()]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('unwatched', -1, 30.0), ('covered', 0, 90.0), ('unwatched', -1, 10.0),
     ('covered', 1, 90.0), ('unwatched', -1, 80.0)]
    """
    _check(scene, plan)
    tw = plan_tier_weights(plan)
    names = np.asarray(tier_names(tw), dtype=object)
    codes = quality_codes(plan.demand["quality"].to_numpy(dtype=float), tw)
    by = plan.demand["covered_by"].to_numpy(dtype=np.int64)
    corr = scene.corridors
    lines, code, ci, run_by = tier_runs(corr, plan.demand, codes, len(names) - 1, by)
    basis = np.full(len(lines), "demand", dtype=object)
    on = corr.index.get_indexer(pd.Index(plan.demand["corridor"]))
    bare = np.setdiff1d(np.arange(len(corr)), on[on >= 0])
    if bare.size:  # corridors without a demand point: cut by the views instead
        keep = ~np.isin(ci, bare)
        more = _runs_by_views(scene, plan, bare, tw)
        lines, code, ci, run_by = (
            np.concatenate([a[keep], b])
            for a, b in zip((lines, code, ci, run_by), more, strict=True)
        )
        basis = np.r_[basis[keep], np.full(len(more[0]), "views", dtype=object)]
    frame: dict[str, Any] = {"corridor": corr.index.to_numpy()[ci]}
    for extra in ("name", "kind"):
        if extra in corr.columns:
            frame[extra] = corr[extra].to_numpy()[ci]
    frame |= {
        "tier": names[code],
        "watched": code != len(names) - 1,
        **_set_columns(plan.cameras, run_by),
        "basis": basis,
        "length_m": shapely.length(lines),
    }
    return gpd.GeoDataFrame(frame, geometry=list(lines), crs=scene.crs)


def _line_parts(geoms: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Return the LineString parts (longer than a micrometre) of `geoms` and whose they are."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 1e-6)
    return parts[ok], idx[ok].astype(np.int64)


def _runs_by_views(
    scene: Scene, plan: Plan, which: NDArray[np.int64], tw: Mapping[str, float] | None
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Cut the corridors `which` (positions) by the camera views; results as :func:`tier_runs`.

    For corridors no demand point lies on (a plan on your own demand points):
    the parts inside a view are watched, by the set that gives the best
    quality at the part's midpoint (the earliest set on a tie; the camera's
    quality at the distance from the pole), the parts outside are unwatched.
    """
    geoms = scene.corridors.geometry.to_numpy()[which]
    unwatched = len(tier_names(tw)) - 1
    v = views(scene, plan)
    view_geoms = v.geometry.to_numpy()
    if len(v) == 0:
        return (
            geoms,
            np.full(len(which), unwatched),
            which.astype(np.int64),
            np.full(len(which), -1),
        )
    seen = shapely.union_all(view_geoms)
    w_parts, w_idx = _line_parts(shapely.intersection(geoms, seen))
    u_parts, u_idx = _line_parts(shapely.difference(geoms, seen))
    mids = shapely.line_interpolate_point(w_parts, 0.5, normalized=True)
    at, hit = shapely.STRtree(view_geoms).query(mids, predicate="intersects")
    sets = v["set"].to_numpy(dtype=np.int64)[hit]
    cams = plan.cameras
    dist = shapely.distance(mids[at], cams.geometry.to_numpy()[sets])
    cs = plan.meta.get("camera_set")
    q = cs.quality(dist) if isinstance(cs, CameraSet) else np.ones(len(at))
    q = np.where(q > 0, q, min(tw.values()) if tw else 1.0)  # inside a view: at least seen
    best_q = np.zeros(len(w_parts))
    best_set = np.full(len(w_parts), -1, dtype=np.int64)
    for k in np.lexsort((sets, -q)):  # best quality first, then the earliest set
        if best_set[at[k]] < 0:
            best_set[at[k]], best_q[at[k]] = sets[k], q[k]
    w_code = quality_codes(np.where(best_set >= 0, best_q, 0.0), tw)
    lines = np.concatenate([w_parts, u_parts])
    code = np.r_[w_code, np.full(len(u_parts), unwatched)].astype(np.int64)
    ci = which[np.r_[w_idx, u_idx].astype(np.int64)].astype(np.int64)
    by = np.r_[np.where(w_code == unwatched, -1, best_set), np.full(len(u_parts), -1)]
    # touching parts of one corridor, tier and set (two views meeting at a pole) become one run
    keys, group = np.unique(np.stack([ci, code, by], axis=1), axis=0, return_inverse=True)
    merged = shapely.line_merge(shapely.multilinestrings(lines, indices=group.ravel()))
    parts, idx = _line_parts(np.asarray(merged, dtype=object))
    k = keys[idx]
    return parts, k[:, 1].copy(), k[:, 0].copy(), k[:, 2].copy()


def _cameras_layer(plan: Plan) -> gpd.GeoDataFrame:
    """``plan.cameras`` with ``set``, ``n_cameras`` and lon/lat (EPSG:4326)."""
    cams = plan.cameras
    out = cams.copy()
    out.insert(0, "set", np.arange(len(cams), dtype=np.int64))
    out["n_cameras"] = np.array([len(h) for h in cams["headings_deg"]], dtype=np.int64)
    lonlat = shapely.get_coordinates(cams.geometry.to_crs(4326).to_numpy())
    out["lon"], out["lat"] = lonlat[:, 0], lonlat[:, 1]
    return out


def _demand_layer(plan: Plan) -> gpd.GeoDataFrame:
    """``plan.demand`` with ``tier``, ``watched`` and the watching set's rank and status."""
    tw = plan_tier_weights(plan)
    out = plan.demand.copy()
    out["tier"] = quality_tier(out["quality"].to_numpy(dtype=float), tw).astype(object)
    out["watched"] = out["quality"].to_numpy(dtype=float) > 0
    at = out["covered_by"].to_numpy(dtype=np.int64)
    for name, values in _set_columns(plan.cameras, at).items():
        out[name] = values
    return out


def _districts_layer(scene: Scene, plan: Plan, report: Report | None) -> gpd.GeoDataFrame:
    """Put the report's district table on the district polygons (outside row: no geometry)."""
    if report is None:
        from coverage.evaluation import evaluate

        report = evaluate(scene, plan, continuity=False)
    table = report.districts.reset_index(drop=True)
    names = scene.districts["name"].astype(str)
    shape = pd.Series(scene.districts.geometry.to_numpy(), index=names.to_numpy())
    shape = shape[~shape.index.duplicated()]
    geoms = [shape.get(str(d)) for d in table["district"]]
    return gpd.GeoDataFrame(table, geometry=geoms, crs=scene.crs)


def layers(
    scene: Scene,
    plan: Plan,
    *,
    report: Report | None = None,
    occlusion: bool | None = None,
    districts: bool = True,
) -> dict[str, gpd.GeoDataFrame]:
    """Return the five GIS layers of a plan: cameras, views, demand, streets, districts.

    Parameters
    ----------
    scene, plan
        The plan and the scene it was solved on.
    report
        The plan's :func:`coverage.evaluate` report, when you have it (else
        computed here) for the ``districts`` layer.
    occlusion
        Passed to :func:`views`.
    districts
        Include the ``districts`` layer (it needs the evaluation: False
        leaves it out, e.g. when the evaluation failed).

    Returns
    -------
    dict of geopandas.GeoDataFrame
        Keyed as :data:`GPKG_LAYERS`, in the working CRS. ``cameras`` is
        ``plan.cameras`` plus ``set`` (its position), ``n_cameras``, ``lon``
        and ``lat``; ``demand`` is ``plan.demand`` plus ``tier``,
        ``watched``, ``set_rank`` and ``set_status``; ``districts`` is the
        report's district table on the district polygons (a row for demand
        outside every district has no geometry). Cells still hold Python
        values (headings as tuples); :func:`to_gpkg` writes them as text.
    """
    _check(scene, plan)
    out = {
        "cameras": _cameras_layer(plan),
        "views": views(scene, plan, occlusion=occlusion),
        "demand": _demand_layer(plan),
        "streets": streets(scene, plan),
    }
    if districts:
        out["districts"] = _districts_layer(scene, plan, report)
    return out


_DESCRIPTIONS = {
    "cameras": "camera sets (new and existing) of the plan; set = position",
    "views": "view of each camera of each set, clipped by buildings",
    "demand": "demand points with their tier and the set watching them (covered_by)",
    "streets": "watched and unwatched corridor runs with tier and watching set (covered_by)",
    "districts": "coverage per district, as in the report",
}


def to_gpkg(
    scene: Scene,
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    report: Report | None = None,
    occlusion: bool | None = None,
    districts: bool = True,
) -> Path:
    """Write the plan's five GIS layers into one GeoPackage, atomically.

    The layers are those of :func:`layers`, named and typed as
    :data:`GPKG_LAYERS`, in the working CRS of the scene (each layer's
    description names it: "distances in metres, working CRS EPSG:2326 ...").
    Cells are GIS-safe: headings and other lists become ``"30;150;270"``
    text, column names are unique text. The file appears whole or not at all.
    `report`, `occlusion` and `districts` are passed to :func:`layers`.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    coverage.errors.ParameterError
        `path` does not end in ``.gpkg``.
    coverage.errors.InputError
        The plan was not solved on `scene`.

    Examples
    --------
    >>> import tempfile, pyogrio
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = plan.to_gpkg(f"{tmp}/plan.gpkg")
    ...     pyogrio.list_layers(path).tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['cameras', 'Point'], ['views', 'MultiPolygon'], ['demand', 'Point'],
     ['streets', 'LineString'], ['districts', 'MultiPolygon']]
    """
    p = Path(path)
    if p.suffix.lower() != ".gpkg":
        msg = f"to_gpkg writes a GeoPackage: give a path ending in .gpkg; got {str(p)!r}."
        raise ParameterError(msg)
    frames = layers(scene, plan, report=report, occlusion=occlusion, districts=districts)
    where = f"distances in metres, working CRS {crs_name(scene.crs)} ({scene.crs.name})"
    with atomic_path(p) as tmp:
        for name, geometry_type in GPKG_LAYERS.items():
            if name not in frames:
                continue
            gis_table(frames[name]).to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=geometry_type,
                promote_to_multi=geometry_type.startswith("Multi"),
                layer_options={"DESCRIPTION": f"{_DESCRIPTIONS[name]}; {where}"},
            )
    return p
