"""Data preparation for the maps: tiers, corridor runs, view wedges, district stats.

Everything here is vectorized numpy/shapely in the scene's metric CRS; the
result is turned into compact GeoJSON text (EPSG:4326, coordinates rounded to
about a metre) by :func:`features_json`. No folium here.

Real geometry is made safe to draw on the way: :func:`polygonal` keeps the
valid polygonal part of each geometry (invalid rings repaired, the lines and
points of collections dropped), :func:`set_views` makes one valid polygon per
set and leaves out empty and sliver views (a pole inside a footprint), and
:func:`to_lonlat` snaps to the ~1 m grid without ever producing a ring of
fewer than four points (sub-metre holes and slivers are dropped instead).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.errors import GEOSException

from coverage._arrays import repeat_index
from coverage.camera import DORI_TIER_WEIGHTS, CameraSet
from coverage.errors import InputError, ParameterError
from coverage.visibility import view_sectors

if TYPE_CHECKING:
    from pyproj import CRS

    from coverage.plan import Plan
    from coverage.scene import Scene

UNWATCHED = "unwatched"
BINARY_TIER = "covered"

#: Colours per tier (ColorBrewer RdYlGn-like, colour-blind safe enough with grey).
TIER_COLOURS = {
    "identify": "#1a9850",
    "recognise": "#91cf60",
    "observe": "#fee08b",
    "detect": "#fc8d59",
    BINARY_TIER: "#1a9850",
    UNWATCHED: "#9e9e9e",
}
#: Sequential fill colours for the district choropleth, 0-20-40-60-80-100 % (ColorBrewer
#: Purples: unlike the green-to-orange street tiers, so districts and streets never look
#: alike, and unlike the blue sea of a map with a land layer).
CHOROPLETH_COLOURS = ("#fcfbfd", "#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")
COORD_DECIMALS = 5  # 1e-5 degree is about 1.1 m north-south


def escape_text(value: Any) -> str:
    """Escape a user string for HTML, JavaScript template literals and script blocks.

    ``html.escape`` plus backtick, ``$``, backslash, ``/`` and braces as
    character references, so the text shows as itself in a tooltip, popup,
    legend or layer name, cannot close a ``<script>`` block or a template
    literal, is never read as a Jinja template, and writes no ``http://`` into
    the file.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("${alert(1)}`</script>")
    '&#36;&#123;alert(1)&#125;&#96;&lt;&#47;script&gt;'
    """
    text = html.escape(str(value), quote=True)
    pairs = (
        ("`", "&#96;"),
        ("$", "&#36;"),
        ("\\", "&#92;"),
        ("/", "&#47;"),
        ("{", "&#123;"),
        ("}", "&#125;"),
    )
    for raw, ref in pairs:
        text = text.replace(raw, ref)
    return text


def js_json(obj: Any) -> str:
    """JSON for embedding inside a ``<script>`` block (no ``<``, no line separators)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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


def check_plan(scene: Scene, plan: Plan) -> None:
    """Raise InputError unless `plan` has the Plan columns and the scene's CRS."""
    for attr in ("cameras", "demand"):
        if not hasattr(plan, attr):
            msg = f"render_map needs a Plan with .{attr}; got {type(plan).__name__}."
            raise InputError(msg)
    need = {
        "cameras": (
            "rank",
            "district",
            "gain",
            "headings_deg",
            "hfov_deg",
            "range_m",
            "phase",
            "status",
            "owner",
        ),
        "demand": ("weight", "district", "quality", "covered_by", "corridor"),
    }
    for attr, cols in need.items():
        missing = [c for c in cols if c not in getattr(plan, attr).columns]
        if missing:
            msg = f"plan.{attr} lacks the column(s) {missing}; it must come from coverage.solve."
            raise InputError(msg)
    scrs, pcrs = getattr(scene, "crs", None), getattr(plan, "crs", None)
    if scrs is not None and pcrs is not None and scrs != pcrs:
        msg = (
            f"The plan's CRS ({getattr(pcrs, 'to_string', lambda: pcrs)()}) differs from the "
            f"scene's ({scrs.to_string()}): solve the plan on this scene."
        )
        raise InputError(msg)


def working_crs(scene: Scene | None, plan: Plan | None = None) -> CRS | None:
    """Return the CRS distances were measured in: ``plan.meta["crs"]``, the plan's, the scene's.

    ``plan.meta["crs"]`` may be anything pyproj reads (``"EPSG:2326"``, a
    ``pyproj.CRS``, WKT) or a mapping with one of the keys ``crs``, ``code``,
    ``epsg``, ``wkt``; what cannot be read is skipped.
    """
    from pyproj import CRS

    meta = getattr(plan, "meta", None)
    given = meta.get("crs") if isinstance(meta, Mapping) else None
    if isinstance(given, Mapping):
        given = next((given[k] for k in ("crs", "code", "epsg", "wkt") if k in given), None)
    for candidate in (given, getattr(plan, "crs", None), getattr(scene, "crs", None)):
        if candidate is None:
            continue
        try:
            return CRS.from_user_input(candidate)
        except Exception:  # pyproj raises several kinds: try the next one
            continue
    return None


def crs_label(scene: Scene | None, plan: Plan | None = None) -> str:
    """Name the working CRS for people: ``"EPSG:2326 (Hong Kong 1980 Grid System)"``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> crs_label(None, SimpleNamespace(meta={"crs": "EPSG:32650"}))
    'EPSG:32650 (WGS 84 / UTM zone 50N)'
    >>> crs_label(None)
    'unknown CRS'
    """
    crs = working_crs(scene, plan)
    if crs is None:
        return "unknown CRS"
    auth = crs.to_authority(min_confidence=90)
    if auth:
        return f"{auth[0]}:{auth[1]} ({crs.name})"
    name = crs.name if crs.name and crs.name != "unknown" else crs.to_string()
    return f"custom CRS ({name[:120]})"


def crs_sentence(scene: Scene | None, plan: Plan | None = None) -> str:
    """Write the line the map, figure and report show: distances in metres, in which CRS."""
    return f"Distances in metres, working CRS {crs_label(scene, plan)}"


# ----------------------------------------------------------------------------- corridors


def corridor_runs(
    corridors: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, codes: NDArray[np.int64], unwatched: int
) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64]]:
    """Cut corridors into runs of equal tier.

    Each demand point stands for the stretch of its corridor between the
    midpoints to its neighbours (the corridor ends for the first and last).
    Consecutive stretches of one tier are merged into one run. Corridors with
    no demand point are one unwatched run.

    Returns
    -------
    lines, tier_code, corridor_position
        LineStrings (metric CRS), their tier codes, and the position of their
        corridor in `corridors`.
    """
    geoms = corridors.geometry.to_numpy()
    n = len(geoms)
    lengths = shapely.length(geoms)
    ci = corridors.index.get_indexer(pd.Index(demand["corridor"]))
    ok = ci >= 0
    ci, dcode = ci[ok], codes[ok]
    pos = shapely.line_locate_point(geoms[ci], demand.geometry.to_numpy()[ok])
    order = np.lexsort((pos, ci))
    ci, pos, dcode = ci[order], pos[order], dcode[order]
    same_prev = np.r_[False, ci[1:] == ci[:-1]][: ci.size]  # no demand on corridors: empty
    same_next = np.r_[ci[:-1] == ci[1:], False][: ci.size]
    mids = np.r_[(pos[1:] + pos[:-1]) / 2, 0.0][: ci.size]
    start = np.where(same_prev, np.r_[0.0, mids[:-1]], 0.0)
    end = np.where(same_next, mids, lengths[ci])
    # merge consecutive stretches with the same corridor and tier
    new_run = ~same_prev | np.r_[True, dcode[1:] != dcode[:-1]][: ci.size]
    run_ci = ci[new_run]
    run_code = dcode[new_run]
    run_s0 = start[new_run]
    run_s1 = np.maximum.reduceat(end, np.flatnonzero(new_run)) if end.size else end
    empty = np.setdiff1d(np.arange(n), ci)
    run_ci = np.r_[run_ci, empty].astype(np.int64)
    run_code = np.r_[run_code, np.full(empty.size, unwatched)].astype(np.int64)
    run_s0 = np.r_[run_s0, np.zeros(empty.size)]
    run_s1 = np.r_[run_s1, lengths[empty]]
    keep = run_s1 - run_s0 > 1e-6
    run_ci, run_code, run_s0, run_s1 = run_ci[keep], run_code[keep], run_s0[keep], run_s1[keep]
    lines = _substrings(geoms, lengths, run_ci, run_s0, run_s1)
    return lines, run_code, run_ci


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


def set_wedges(
    plan_cameras: gpd.GeoDataFrame,
    *,
    buildings: NDArray[Any] | None = None,
    simplify_m: float = 0.75,
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """View wedges of every camera of every set; returns (polygons, row position of set).

    Uses :func:`coverage.visibility.view_sectors`, clipped by the isovist of
    each pole when `buildings` are given. Views are valid (Multi)Polygons;
    empty, zero-area and sliver views (under `MIN_VIEW_AREA_M2`) are left
    out, so a set may have fewer wedges than cameras (or none).
    """
    heads = plan_cameras["headings_deg"].to_numpy()
    row = repeat_index([len(h) for h in heads])
    flat = np.array([float(v) for h in heads for v in h], dtype=float)
    ok = np.isfinite(flat)
    row, flat = row[ok], flat[ok] % 360.0
    xy = shapely.get_coordinates(plan_cameras.geometry.to_numpy())
    hfov = plan_cameras["hfov_deg"].to_numpy(dtype=float)
    rng_m = plan_cameras["range_m"].to_numpy(dtype=float)
    if buildings is not None and len(buildings):
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
    # a view clipped to a sliver or to nothing (a pole inside a footprint) is not drawn
    polys = polygonal(shapely.simplify(polygonal(polys), simplify_m), min_area=MIN_VIEW_AREA_M2)
    keep = ~shapely.is_empty(polys)
    return polys[keep], row[keep]


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


# ----------------------------------------------------------------------------- districts


def district_stats(scene: Scene, plan: Plan) -> pd.DataFrame:
    """Tabulate coverage per district, as the report shows it.

    The figures come from :func:`coverage.evaluation.evaluate` (weighted by
    quality, incidents seen by the sets themselves), so the map and the report
    always agree. Districts without demand get NaN shares (drawn white).

    Returns
    -------
    pandas.DataFrame
        One row per scene district, in the scene's order, with columns
        district, sets_new, sets_existing, weight_total, weight_covered,
        weighted_coverage, weighted_coverage_before, incidents,
        incidents_covered.
    """
    from coverage.evaluation import evaluate

    table = evaluate(scene, plan, continuity=False).districts
    names = scene.districts["name"].astype(str).tolist()
    table = table[table["district"].isin(names)][list(_DISTRICT_COLUMNS)].reset_index(drop=True)
    empty = table["weight_total"].to_numpy() <= 0
    for col in ("weighted_coverage", "weighted_coverage_before"):
        table.loc[empty, col] = np.nan
    return table


_DISTRICT_COLUMNS = (
    "district",
    "sets_new",
    "sets_existing",
    "weight_total",
    "weight_covered",
    "weighted_coverage",
    "weighted_coverage_before",
    "incidents",
    "incidents_covered",
)


def choropleth_colour(share: NDArray[np.float64]) -> NDArray[np.str_]:
    """Fill colour for a weighted coverage share in [0, 1] (NaN: white)."""
    colours = np.asarray(CHOROPLETH_COLOURS)
    k = np.clip((np.nan_to_num(share, nan=0.0) * len(colours)).astype(int), 0, len(colours) - 1)
    return np.where(np.isnan(share), "#ffffff", colours[k])


# ----------------------------------------------------------------------------- GeoJSON


def to_lonlat(geoms: NDArray[Any], crs: CRS | None) -> NDArray[Any]:
    """Project metric geometries to EPSG:4326 and round them to ~1 m, keeping them valid.

    Rounding can collapse a ring (a sub-metre hole, a sliver view) to two
    points, which GEOS refuses: such geometries are snapped to the grid with
    ``shapely.set_precision(mode="valid_output")`` instead, which drops the
    collapsed parts (a geometry that collapses entirely becomes empty and is
    left out of the GeoJSON by :func:`features_json`).
    """
    if len(geoms) == 0:
        return np.asarray(geoms, dtype=object)
    if crs is None:
        msg = "The scene has no CRS: cannot place it on a map. Build it with coverage.Scene."
        raise InputError(msg)
    out = gpd.GeoSeries(geoms, crs=crs).to_crs(4326).to_numpy()
    return snap_lonlat(out)


def snap_lonlat(geoms: NDArray[Any]) -> NDArray[Any]:
    """Round EPSG:4326 geometries to `COORD_DECIMALS`; never an invalid or degenerate ring.

    Points and lines are rounded (repeated points removed, zero-length lines
    made empty); polygons are rounded when that keeps them valid, else snapped
    with ``set_precision(mode="valid_output")`` (collapsed rings dropped).
    Collections and anything GEOS still refuses go one by one, and a geometry
    that cannot be snapped at all becomes empty rather than raising.
    """
    out = np.asarray(geoms, dtype=object).copy()
    present = ~(shapely.is_missing(out) | shapely.is_empty(out))
    tid = shapely.get_type_id(out)
    rounded = shapely.transform(out, lambda c: np.round(c, COORD_DECIMALS))
    point = present & np.isin(tid, (0, 4))
    out[point] = rounded[point]
    line = present & np.isin(tid, (1, 2, 5))
    lines = shapely.remove_repeated_points(rounded[line])
    lines[shapely.length(lines) == 0] = _EMPTY_LINE  # shorter than the grid: not drawn
    out[line] = lines
    simple = point | line
    area = present & np.isin(tid, (3, 6))
    ok = area.copy()
    ok[area] = shapely.is_valid(rounded[area])
    out[ok] = shapely.remove_repeated_points(rounded[ok])
    rest = np.flatnonzero(present & ~simple & ~ok)
    out[rest] = [_snap_one(g) for g in out[rest]]
    return out


_EMPTY_LINE = shapely.LineString()
_EMPTY_POLYGON = shapely.Polygon()


def _snap_one(geom: Any) -> Any:
    """Snap one polygon or collection to the ~1 m grid as valid output, or return it empty."""
    grid = 10.0**-COORD_DECIMALS
    g = geom if shapely.is_valid(geom) else shapely.make_valid(geom)
    for attempt in (g, shapely.buffer(g, 0.0)):
        try:
            snapped = shapely.set_precision(attempt, grid, mode="valid_output")
        except GEOSException:
            continue
        return _EMPTY_POLYGON if snapped is None else snapped
    return _EMPTY_POLYGON


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


def features_json(
    geoms: NDArray[Any],
    properties: Sequence[Mapping[str, Any]] | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Write a GeoJSON FeatureCollection as script-safe text (EPSG:4326 geometries in)."""
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    gj = shapely.to_geojson(geoms[keep])
    props = (
        [{}] * int(keep.sum())
        if properties is None
        else [p for p, k in zip(properties, keep, strict=True) if k]
    )
    parts = [
        f'{{"type":"Feature","geometry":{g},"properties":{js_json(p)}}}'
        for g, p in zip(gj.tolist(), props, strict=True)
    ]
    tail = "".join(f",{js_json(k)}:{js_json(v)}" for k, v in (extra or {}).items())
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]" + tail + "}"


PACK_ZOOM = 18  # integer Web Mercator pixels at this zoom (~0.6 m at the equator)


def pack_lines(geoms: NDArray[Any]) -> list[dict[str, Any]]:
    """Encode (Multi)LineStrings in EPSG:4326 for the map's fast line layer.

    One dict per geometry: ``n`` (points per part) and ``d``: Web Mercator
    pixel coordinates at zoom 18 (Leaflet's ``map.project(latlng, 18)``,
    rounded), delta-encoded over all parts (x and y interleaved; the first pair
    absolute).

    Examples
    --------
    >>> pack_lines(np.array([shapely.LineString([(0.0, 0.0), (0.001, 0.0)])]))
    [{'n': [2], 'd': [33554432, 33554432, 186, 0]}]
    """
    out: list[dict[str, Any]] = []
    world = 256.0 * 2.0**PACK_ZOOM
    for g in geoms:
        parts = shapely.get_parts(g)
        coords, idx = shapely.get_coordinates(parts, return_index=True)
        lat = np.radians(np.clip(coords[:, 1], -85.0511287798, 85.0511287798))
        x = world * (coords[:, 0] / 360.0 + 0.5)
        y = world * (0.5 - np.log(np.tan(np.pi / 4 + lat / 2)) / (2 * np.pi))
        xy = np.round(np.column_stack([x, y])).astype(np.int64)
        d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
        out.append({"n": np.bincount(idx, minlength=len(parts)).tolist(), "d": d.tolist()})
    return out
