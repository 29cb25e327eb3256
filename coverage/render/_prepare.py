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
from numpy.typing import NDArray
from shapely.errors import GEOSException

from coverage.errors import InputError

# the geometry and tiers of views and corridor runs live in coverage.export (the GIS layers);
# the map draws those same shapes
from coverage.export import BINARY_TIER as BINARY_TIER
from coverage.export import MIN_VIEW_AREA_M2 as MIN_VIEW_AREA_M2
from coverage.export import UNWATCHED as UNWATCHED
from coverage.export import corridor_runs as corridor_runs
from coverage.export import plan_tier_weights as plan_tier_weights
from coverage.export import polygon_parts as polygon_parts
from coverage.export import polygonal as polygonal
from coverage.export import quality_codes as quality_codes
from coverage.export import quality_tier as quality_tier
from coverage.export import set_views as set_views
from coverage.export import set_wedges as set_wedges
from coverage.export import tier_names as tier_names

if TYPE_CHECKING:
    from pyproj import CRS

    from coverage.plan import Plan
    from coverage.scene import Scene

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
