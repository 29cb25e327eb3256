"""Coverage maps: offline, self-contained folium HTML and static matplotlib figures.

The only package that touches EPSG:4326 or folium. ``import coverage`` does
not import it: the top-level names load it on first use.

* :func:`render_map` — one plan on an interactive map (districts choropleth,
  corridors by quality tier, hotspots heat layer, existing cameras by owner,
  new sets by phase as view wedges, privacy zones, layer control, scale bar).
* :func:`render_comparison` — two plans side by side, views kept in sync.
* :func:`save_map` — atomic write, with the offline check.
* :func:`plot_map`, :func:`plot_curve` — PNG figures for reports.

By default (``offline=True``) the HTML loads nothing from the network: Leaflet
and the heat plugin are inlined from the installed ``xstatic-*`` and folium
packages, there are no tiles (the geometry is the basemap), and the output is
checked for any remaining external reference.

Inside: ``_elements`` (the folium/branca element classes), ``_layers`` (one
function per layer), ``_prepare`` (tiers, corridor runs, wedges, district
figures, GeoJSON text), ``_offline`` (asset inlining and the offline check),
``_static`` (the PNG figures).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import shapely
from branca.element import Element
from numpy.typing import NDArray

from coverage._validate import check_number
from coverage.errors import InputError
from coverage.io import write_text
from coverage.render import _offline
from coverage.render._elements import CoverageFigure, CoverageMap, MapScript, OfflineFigure
from coverage.render._layers import LayerOptions, add_layers
from coverage.render._prepare import (
    check_plan,
    crs_label,
    crs_sentence,
    district_stats,
    escape_text,
    js_json,
    plan_tier_weights,
    polygonal,
    quality_tier,
    to_lonlat,
)
from coverage.render._static import plot_curve, plot_map

if TYPE_CHECKING:
    import geopandas as gpd

    from coverage.plan import Plan
    from coverage.scene import Scene

__all__ = [
    "OfflineError",
    "crs_label",
    "crs_sentence",
    "district_stats",
    "escape_text",
    "plan_bounds",
    "plot_curve",
    "plot_map",
    "quality_tier",
    "render_comparison",
    "render_map",
    "save_map",
]

OfflineError = _offline.OfflineError

#: Above this many corridor runs, runs of one tier are drawn as one merged
#: feature (no per-street tooltip): too dense to hover at city zoom anyway.
MAX_CORRIDOR_FEATURES = 20_000


#: Padding (screen pixels) around the plan when the map opens fitted to it.
FIT_PADDING_PX = 24
#: On maps at least this wide, the fit leaves this much room on the left for the legend.
LEGEND_CLEAR_WIDTH_PX = 900
LEGEND_CLEAR_PX = 280


def plan_bounds(scene: Scene, plan: Plan | None) -> tuple[float, float, float, float]:
    """Where the plan is, in the scene's CRS: its sets (with their range) within the scene.

    The new and existing sets inside the scene's bounds, each with its
    ``range_m`` around it; without sets, the corridors; without those, the scene.

    Examples
    --------
    >>> import geopandas as gpd, types
    >>> from shapely.geometry import LineString, Point, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, 0, 5000, 5000)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 10), (5000, 10)])], crs=2326)
    >>> cams = gpd.GeoDataFrame({"range_m": [40.0]}, geometry=[Point(100, 10)], crs=2326)
    >>> plan_bounds(cov.Scene(d, c), types.SimpleNamespace(cameras=cams))
    (60.0, -30.0, 140.0, 50.0)
    """
    sx0, sy0, sx1, sy1 = (float(v) for v in scene.bounds)
    cams = getattr(plan, "cameras", None)
    if cams is not None and len(cams):
        xy = shapely.get_coordinates(cams.geometry.to_numpy())
        r = np.nan_to_num(cams["range_m"].to_numpy(dtype=float), nan=0.0)
        inside = (xy[:, 0] >= sx0) & (xy[:, 0] <= sx1) & (xy[:, 1] >= sy0) & (xy[:, 1] <= sy1)
        if inside.any():
            xy, r = xy[inside], r[inside]
            lo, hi = (xy - r[:, None]).min(axis=0), (xy + r[:, None]).max(axis=0)
            return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
    if len(scene.corridors):
        x0, y0, x1, y1 = (float(v) for v in scene.corridors.total_bounds)
        return x0, y0, x1, y1
    return sx0, sy0, sx1, sy1


def _new_map(
    scene: Scene, bounds: tuple[float, float, float, float], *, offline: bool, **kwargs: Any
) -> CoverageMap:
    """Make an empty map that opens fitted to `bounds` (scene CRS; no tiles when offline).

    The fit waits until the map's frame has a size: a map drawn inside a
    report's ``<iframe>`` may run its script before the frame is laid out, and
    a zero-size map would open at the widest zoom and its heat layer would fail
    (``getImageData``: "source width is 0"). So the heat layer skips drawing
    while the map has no size, and a ResizeObserver fits the view (and
    redraws every layer) as soon as the frame has one.
    """
    b = np.asarray(bounds, dtype=float)
    box = to_lonlat(np.array([shapely.box(*b)], dtype=object), scene.crs)
    w, s, e, n = shapely.bounds(box[0])
    zoom: dict[str, Any] = {"maxZoom": 20, "minZoom": 3} if offline else {}
    m = CoverageMap(
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=14,
        tiles=None if offline else "OpenStreetMap",
        prefer_canvas=True,
        control_scale=True,
        **zoom,
        **kwargs,
    )
    # fit before any layer is added (no re-projection, no start-up animation)
    MapScript(
        "{map}.options.renderer = L.canvas({tolerance: 4});"  # thin streets stay hoverable
        "if (L.HeatLayer && !L.HeatLayer.prototype._coverageSized) {"
        " var redraw = L.HeatLayer.prototype._redraw;"
        " L.HeatLayer.prototype._redraw = function () { var z = this._map && this._map.getSize();"
        " if (!z || !z.x || !z.y) { return this; } return redraw.apply(this, arguments); };"
        " L.HeatLayer.prototype._coverageSized = true; }"
        "(function () { var map = {map}, el = map.getContainer(),"
        f" bounds = L.latLngBounds({js_json([[s, w], [n, e]])}),"
        f" p = {FIT_PADDING_PX};"
        " function sized() { return el.clientWidth > 0 && el.clientHeight > 0; }"
        " map.coverageFitted = false;"
        " function fit() { if (map.coverageFitted || !sized()) { return; }"
        " map.invalidateSize({animate: false});"
        # on a wide map, keep the plan clear of the legend (bottom-left, 250 px wide)
        f" var left = el.clientWidth >= {LEGEND_CLEAR_WIDTH_PX} ? {LEGEND_CLEAR_PX} : p;"
        " var pad = {animate: false, paddingTopLeft: [left, p], paddingBottomRight: [p, p]};"
        " map.fitBounds(bounds, pad);"
        " map.coverageFitted = true; }"
        " fit();"
        " if (window.ResizeObserver) { new ResizeObserver(function () {"
        " if (sized()) { map.invalidateSize({animate: false}); fit(); } }).observe(el); }"
        " window.addEventListener('load', function () { map.invalidateSize({animate: false});"
        " fit(); }); })();"
    ).add_to(m)
    return m


def _land(
    scene: Scene, land: gpd.GeoDataFrame | gpd.GeoSeries | None
) -> tuple[NDArray[Any] | None, str]:
    """Check the land layer and project it to the scene's CRS; its attribution line."""
    if land is None:
        return None, ""
    import geopandas as gpd

    if not isinstance(land, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            "The 'land' parameter of render_map must be a GeoDataFrame or GeoSeries of land "
            f"polygons. Got {type(land).__name__} instead."
        )
        raise InputError(msg)
    if land.crs is None:
        msg = (
            "The land layer has no CRS: set it (land.set_crs(...)) so it can be placed on the "
            "map, e.g. land.set_crs(4326) for longitude/latitude."
        )
        raise InputError(msg)
    note = str(land.attrs.get("attribution", "") or "")
    geoms = gpd.GeoSeries(land.geometry if isinstance(land, gpd.GeoDataFrame) else land)
    geoms = polygonal(geoms.to_crs(scene.crs).to_numpy())
    if shapely.is_empty(geoms).all():
        msg = (
            f"The land layer has no polygons ({len(land)} rows, none of them a polygon with an "
            "area): pass the land as (Multi)Polygons."
        )
        raise InputError(msg)
    return geoms, note


# ----------------------------------------------------------------------------- public API


def render_map(  # noqa: PLR0913 - the data, then keyword-only drawing options
    scene: Scene,
    plan: Plan,
    *,
    offline: bool = True,
    tier_weights: Mapping[str, float] | None = None,
    occlusion: bool | None = None,
    heat: bool = True,
    title: str | None = None,
    layer_names: Mapping[str, str] | None = None,
    max_corridor_features: int = MAX_CORRIDOR_FEATURES,
    land: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> folium.Map:
    """Draw a plan on an interactive map.

    Layers: the land (when given), districts as a choropleth of weighted
    coverage (tooltip: sets placed, coverage before/after, incidents
    covered), corridors coloured by coverage quality tier, hotspots (heat
    layer for incidents, shaded polygons for hotspot areas), existing cameras
    by owner (as given) and new sets by phase, each set drawn as its cameras'
    view wedges with a popup (rank, gain as covered weight and share of all
    demand weight, district, cameras, field of view and range, headings,
    lon/lat, tiers reached), privacy zones outlined, buildings, a legend (sets
    by phase and owner, district bins, tiers, the heat scale), a layer
    control, a scale bar and the scene's attribution lines. The map opens
    fitted to the plan's sets (see :func:`plan_bounds`).

    Parameters
    ----------
    scene
        The :class:`coverage.Scene` the plan was solved on.
    plan
        A :class:`coverage.Plan` (``.cameras``, ``.demand``).
    offline
        True (default): a self-contained map with no tiles, every script and
        stylesheet inlined from installed packages, and a check that nothing
        else is referenced. False: folium's normal CDN assets and
        OpenStreetMap tiles.
    tier_weights
        Quality value of each DORI tier (``{"identify": 1.0, ...}``). None: taken
        from the plan when it records them; binary (covered / unwatched) otherwise.
    occlusion
        Clip view wedges by buildings. None: when the scene has buildings.
    heat
        Draw the hotspots layer.
    title
        Heading of the legend. None: the scene's name.
    layer_names
        Renames for layers in the layer control, e.g. ``{"Hotspots": "Incidents"}``.
    max_corridor_features
        Above this many corridor runs, runs of one tier are merged into one
        feature (no per-street tooltip) to keep city-size maps fast.
    land
        Land polygons (any CRS), e.g. :func:`coverage.datasets.hong_kong_land`:
        drawn under everything on a sea-blue background, and the districts are
        clipped to it for display (their figures are unchanged). A map
        without tiles then shows the coastline. ``land.attrs["attribution"]``,
        when set, is added to the attribution lines.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (atomic, checked) or ``Map.save``.

    Raises
    ------
    InputError
        If the plan lacks Plan columns or its CRS differs from the scene's, or
        `land` has no CRS or no polygons.
    OfflineError
        (when rendered) if an element needs an asset with no local copy.

    Notes
    -----
    Every user string that reaches the map (district, corridor and privacy
    zone names, owners, notes, layer names, title, attribution) goes through
    :func:`escape_text`, and our layers' scripts never pass through Jinja, so
    ``<img onerror=…>``, ``${…}``, ``</script>`` or ``{{ … }}`` show as text.

    Styles travel in each feature's ``properties.style`` (no per-feature JS
    switch), everything is drawn on one canvas, coordinates are rounded to
    about a metre and simplified, buildings are merged per 250 m cell, and
    past `max_corridor_features` the corridors are drawn by a small canvas
    layer from delta-encoded pixel coordinates. A 4,000-set, 100,000-segment
    plan makes an 8 MB file that loads in about 2 s (``benchmarks/bench_map.py``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c, name="Line street")
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> m = render_map(scene, plan)
    >>> html = m.get_root().render()
    >>> "<script src=" in html or "<link " in html  # everything inlined
    False
    """
    check_number(max_corridor_features, "max_corridor_features", "render_map", low=0, integer=True)
    check_plan(scene, plan)
    if tier_weights is None:
        tier_weights = plan_tier_weights(plan)
    land_geoms, land_note = _land(scene, land)
    m = _new_map(scene, plan_bounds(scene, plan), offline=offline)
    if offline:
        m.add_to(OfflineFigure())
    opts = LayerOptions(
        tier_weights=tier_weights,
        occlusion=occlusion,
        heat=heat,
        layer_names=layer_names,
        max_corridor_features=max_corridor_features,
        title=scene.name if title is None else title,
        land=land_geoms,
        land_attribution=land_note,
    )
    counts = add_layers(m, scene, plan, opts)
    folium.LayerControl(collapsed=False).add_to(m)
    m.coverage_counts = counts
    return m


def render_comparison(  # noqa: PLR0913 - the data, then keyword-only drawing options
    scene: Scene,
    plan_a: Plan,
    plan_b: Plan,
    *,
    labels: tuple[str, str] = ("Plan A", "Plan B"),
    offline: bool = True,
    tier_weights: Mapping[str, float] | None = None,
    occlusion: bool | None = None,
    heat: bool = True,
    max_corridor_features: int = MAX_CORRIDOR_FEATURES,
    land: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> CoverageFigure:
    """Two plans side by side on one page, pan and zoom kept in sync.

    Each half is the map :func:`render_map` would draw, headed by its label.
    The sync is a few lines of our own script (no Leaflet.Sync download).
    Both open fitted to the sets of both plans; `land` as in :func:`render_map`.

    Returns
    -------
    branca.element.Figure
        Save it with :func:`save_map`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> one = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=1, method="greedy"))
    >>> two = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> fig = render_comparison(scene, one, two, labels=("A", "B"))
    >>> html = fig.render()
    >>> html.count("coverage-legend")
    2
    """
    fig = OfflineFigure() if offline else CoverageFigure()
    maps = []
    land_geoms, land_note = _land(scene, land)
    ba, bb = plan_bounds(scene, plan_a), plan_bounds(scene, plan_b)
    both = (min(ba[0], bb[0]), min(ba[1], bb[1]), max(ba[2], bb[2]), max(ba[3], bb[3]))
    for k, (plan, label) in enumerate(zip((plan_a, plan_b), labels, strict=True)):
        check_plan(scene, plan)
        tw = plan_tier_weights(plan) if tier_weights is None else tier_weights
        m = _new_map(
            scene, both, offline=offline, width="50%", left=f"{50 * k}%", position="absolute"
        )
        m.add_to(fig)
        opts = LayerOptions(
            tier_weights=tw,
            occlusion=occlusion,
            heat=heat,
            layer_names=None,
            max_corridor_features=max_corridor_features,
            title=str(label),
            land=land_geoms,
            land_attribution=land_note,
        )
        m.coverage_counts = add_layers(m, scene, plan, opts)
        folium.LayerControl(collapsed=True).add_to(m)
        maps.append(m)
    a, b = (mm.get_name() for mm in maps)
    sync = (
        "<script>window.addEventListener('load',function(){var busy=false;"
        "function link(src,dst){src.on('move zoom',function(){if(busy){return;}busy=true;"
        "dst.setView(src.getCenter(),src.getZoom(),{animate:false});busy=false;});}"
        f"link({a},{b});link({b},{a});}});</script>"
    )
    fig.html.add_child(Element(sync), name="coverage_sync")
    fig.coverage_maps = maps
    return fig


def save_map(m: Element, path: str | os.PathLike[str], *, offline: bool | None = None) -> Path:
    """Write a map (or comparison figure) to `path` atomically.

    The HTML is written to a temporary file in the same folder and renamed
    over `path`, so a reader never sees half a map.

    Parameters
    ----------
    m
        A map from :func:`render_map` / :func:`render_comparison` (any folium
        element works).
    path
        Output ``.html`` file.
    offline
        Run the offline check (no external reference may remain). None: when
        the map was built with ``offline=True``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OfflineError
        If the map would load anything from the network.
    """
    root = m.get_root()
    html = root.render()
    is_offline = isinstance(root, OfflineFigure)
    if offline is None:
        offline = is_offline
    if offline and not is_offline:
        _offline.check_offline(html)  # an online map fails here: it needs CDNs and tiles
    return write_text(path, html)
