"""One function per map layer; :func:`add_layers` draws them all, in map order.

Each ``add_*`` function takes the map, the data and the drawing options, adds
its layer (or nothing when the scene has no such features) and returns how
many paths it drew (what the browser tests count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage.render._elements import GeoJsonLayer, HeatLayer, MapScript, PackedLinesLayer
from coverage.render._prepare import (
    CHOROPLETH_COLOURS,
    TIER_COLOURS,
    UNWATCHED,
    choropleth_colour,
    corridor_runs,
    crs_sentence,
    district_stats,
    escape_text,
    features_json,
    js_json,
    pack_lines,
    polygon_parts,
    polygonal,
    quality_codes,
    set_views,
    set_wedges,
    tier_names,
    to_lonlat,
)

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from coverage.plan import Plan
    from coverage.scene import Scene

#: Buildings are drawn merged per square cell of this size (metres).
BUILDING_CELL_M = 250.0
#: New sets, one colour per phase (reds and magentas, away from the purple districts, the
#: green-to-orange street tiers and the yellow-brown heat).
PHASE_COLOURS = ("#d7301f", "#e7298a", "#7a0177", "#a50f15", "#f768a1", "#ae017e")
#: Existing sets, one colour per owner as given (dark, cool), in order of first appearance.
OWNER_COLOURS = ("#252525", "#01665e", "#1f78b4", "#8c510a", "#4d4d4d", "#35978f", "#b15928")
#: Above this many owners, the smallest share one layer ("N other owners"); each set's
#: popup still names its own owner.
MAX_OWNER_LAYERS = len(OWNER_COLOURS)
#: The heat layer's colour ramp (position in [0, 1] of the relative density -> colour).
HEAT_GRADIENT = {0.25: "#fff7bc", 0.5: "#fec44f", 0.75: "#ec7014", 1.0: "#8c2d04"}
_EXISTING_ROWS = ("Owner", "District", "Cameras", "Headings", "Position", "Tiers reached", "Notes")
_NEW_ROWS = (
    "Rank",
    "Gain",
    "District",
    "Phase",
    "Cameras",
    "Headings",
    "Position",
    "Tiers reached",
    "Notes",
)
_CORRIDORS = "Corridors (quality tier)"
#: Each incident's spot on the heat layer (screen pixels).
HEAT_RADIUS_PX = 14
HOTSPOT_AREA_COLOUR = "#b35806"


@dataclass(frozen=True)
class HeatInfo:
    """What the legend says about the hotspots layer."""

    layer: str
    points: int  # incidents drawn as heat (0: hotspot areas)
    max_weight: float  # weight of the heaviest incident (the top of the scale)


@dataclass(frozen=True)
class LegendParts:
    """What the legend lists beside the district bins."""

    names: Sequence[str]  # corridor tiers, strongest first, then "unwatched"
    sets: Sequence[tuple[str, str, int]]  # camera-set layers: name, colour, sets
    heat: HeatInfo | None = None
    land: bool = False
    privacy: bool = False


@dataclass(frozen=True)
class LayerOptions:
    """How one plan is drawn (the options of :func:`coverage.render.render_map`)."""

    tier_weights: Mapping[str, float] | None
    occlusion: bool | None
    heat: bool
    layer_names: Mapping[str, str] | None
    max_corridor_features: int
    title: str | None
    simplify_m: float = 1.0
    land: NDArray[Any] | None = None  # land polygons in the scene's CRS (display only)
    land_attribution: str = ""

    def name(self, layer: str) -> str:
        """Name `layer` in the layer control (after the user's renames)."""
        return str(self.layer_names.get(layer, layer)) if self.layer_names else layer


def add_layers(m: folium.Map, scene: Scene, plan: Plan, opts: LayerOptions) -> dict[str, int]:
    """Add every layer of one plan to map `m`; return drawn path counts per layer."""
    names = tier_names(opts.tier_weights)
    codes = quality_codes(plan.demand["quality"].to_numpy(dtype=float), opts.tier_weights)
    stats = district_stats(scene, plan)
    counts = {}
    if opts.land is not None:
        counts["Land"] = add_land(m, scene, opts)
    counts["Districts (coverage)"] = add_districts(m, scene, stats, opts)
    if len(scene.buildings):
        counts["Buildings"] = add_buildings(m, scene, opts)
    if len(scene.privacy_zones):
        counts["Privacy zones"] = add_privacy_zones(m, scene, opts)
    heat = None
    if opts.heat and len(scene.hotspots):
        counts["Hotspots"], heat = add_hotspots(m, scene, opts)
    # corridors under the sets: a pole stands on its street, and its popup must win the click
    counts[_CORRIDORS] = add_corridors(m, scene, plan, codes, names, opts)
    set_counts, set_layers = add_camera_sets(m, scene, plan, codes, names, opts)
    counts.update(set_counts)
    no_demand = bool(np.isnan(stats["weighted_coverage"].to_numpy(dtype=float)).any())
    legend = LegendParts(
        names=names,
        sets=set_layers,
        heat=heat,
        land=opts.land is not None,
        privacy=len(scene.privacy_zones) > 0,
    )
    add_legend(
        m,
        scene,
        legend,
        title=opts.title,
        no_demand=no_demand,
        crs=crs_sentence(scene, plan),
        extra_attribution=opts.land_attribution,
    )
    return counts


# ----------------------------------------------------------------------------- small helpers


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"


def _table(rows: Sequence[tuple[str, str]], title: str | None = None) -> str:
    """Small HTML table; keys and values must already be escaped."""
    head = f"<b>{title}</b><br>" if title else ""
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{k}</th><td>{v}</td></tr>"
        for k, v in rows
    )
    return f"{head}<table>{body}</table>"


# ----------------------------------------------------------------------------- districts, basemap


def add_districts(m: folium.Map, scene: Scene, stats: pd.DataFrame, opts: LayerOptions) -> int:
    """Draw the districts as a choropleth of weighted coverage, with a tooltip table each."""
    share = stats["weighted_coverage"].to_numpy(dtype=float)
    fills = choropleth_colour(share)
    props = []
    for i, r in enumerate(stats.itertuples(index=False)):
        tip = _table(
            [
                ("Sets placed", f"{r.sets_new} new, {r.sets_existing} existing"),
                ("Coverage before", _pct(r.weighted_coverage_before)),
                ("Coverage after", _pct(r.weighted_coverage)),
                ("Incidents covered", f"{r.incidents_covered} of {r.incidents}"),
            ],
            title=escape_text(r.district),
        )
        style: dict[str, Any] = {"fillColor": str(fills[i])}
        if not np.isfinite(share[i]):
            style["fillOpacity"] = 0.15
        props.append({"style": style, "tip": tip})
    shapes = polygonal(scene.districts.geometry.to_numpy())
    if opts.land is not None:
        shapes = clip_to_land(shapes, opts.land)
    dgeom = to_lonlat(polygonal(shapely.simplify(shapes, 1.0)), scene.crs)
    GeoJsonLayer(
        features_json(dgeom, props),
        name=opts.name("Districts (coverage)"),
        style={"color": "#444444", "weight": 1.5, "fillOpacity": 0.5},
    ).add_to(m)
    return int((~shapely.is_empty(dgeom)).sum())


def clip_to_land(shapes: NDArray[Any], land: NDArray[Any]) -> NDArray[Any]:
    """Clip district shapes (metric CRS) to the land, for display only.

    A district with no land at all (a coastline older than a reclamation, a
    district of sea) keeps its whole shape rather than vanishing from the map.

    Examples
    --------
    >>> sea_and_land = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    >>> land = np.array([shapely.box(0, 0, 5, 10)])
    >>> [float(a) for a in shapely.area(clip_to_land(sea_and_land, land))]
    [50.0, 100.0]
    """
    coast = shapely.union_all(polygonal(land))
    shapely.prepare(coast)
    clipped = polygonal(shapely.intersection(shapes, coast))
    lost = shapely.is_empty(clipped) & ~shapely.is_empty(shapes)
    clipped[lost] = shapes[lost]
    return clipped


def add_land(m: folium.Map, scene: Scene, opts: LayerOptions) -> int:
    """Draw the land (a coastline for maps without tiles) under everything else."""
    assert opts.land is not None
    drawn = to_lonlat(
        polygonal(shapely.simplify(polygonal(opts.land), opts.simplify_m * 2)), scene.crs
    )
    GeoJsonLayer(
        features_json(drawn),
        name=opts.name("Land"),
        style={"color": "#7f7f7f", "weight": 1, "fillColor": "#f2efe9", "fillOpacity": 1.0},
        interactive=False,
    ).add_to(m)
    return int((~shapely.is_empty(drawn)).sum())


def add_buildings(m: folium.Map, scene: Scene, opts: LayerOptions) -> int:
    """Draw the buildings, the basemap, merged per 250 m grid cell (non-interactive).

    Few canvas paths, yet a hover redraw only repaints nearby cells.
    """
    parts = polygon_parts(shapely.simplify(polygonal(scene.buildings.geometry.to_numpy()), 0.75))
    if len(parts) == 0:
        return 0
    cxy = shapely.get_coordinates(shapely.centroid(parts))
    cell = np.floor(cxy / BUILDING_CELL_M).astype(np.int64)
    _, group = np.unique(cell, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    merged = shapely.multipolygons(parts[order], indices=group[order])
    drawn = to_lonlat(np.asarray(merged, dtype=object), scene.crs)
    GeoJsonLayer(
        features_json(drawn),
        name=opts.name("Buildings"),
        style={"color": "#8c8c8c", "weight": 0.5, "fillColor": "#d9d9d9", "fillOpacity": 0.7},
        interactive=False,
    ).add_to(m)
    return int((~shapely.is_empty(drawn)).sum())


def add_privacy_zones(m: folium.Map, scene: Scene, opts: LayerOptions) -> int:
    """Outline the privacy zones, named in a tooltip."""
    pz = scene.privacy_zones
    pprops = [{"tip": f"Privacy zone: {escape_text(n)}"} for n in pz["name"].astype(str)]
    zones = to_lonlat(polygonal(pz.geometry.to_numpy()), scene.crs)
    GeoJsonLayer(
        features_json(zones, pprops),
        name=opts.name("Privacy zones"),
        style={"color": "#111111", "weight": 2, "dashArray": "6 4", "fill": False},
    ).add_to(m)
    return int((~shapely.is_empty(zones)).sum())


def add_hotspots(m: folium.Map, scene: Scene, opts: LayerOptions) -> tuple[int, HeatInfo]:
    """Draw incidents as a heat layer (no paths), hotspot areas shaded by intensity.

    Returns the path count and what the legend says about the layer.
    """
    hs = scene.hotspots
    if hs.geom_type.iloc[0] == "Point":
        ll = shapely.get_coordinates(to_lonlat(hs.geometry.to_numpy(), scene.crs))
        w = hs["weight"].to_numpy(dtype=float)
        top = float(w.max()) if w.size else 0.0
        w = w / top if top > 0 else w
        data = np.column_stack([ll[:, 1], ll[:, 0], np.round(w, 3)])
        HeatLayer(
            js_json(data.tolist()),
            name=opts.name("Hotspots"),
            options={
                "radius": HEAT_RADIUS_PX,
                "blur": 12,
                "minOpacity": 0.2,
                "gradient": {str(k): v for k, v in HEAT_GRADIENT.items()},
            },
        ).add_to(m)
        # drawn on the heat canvas, not as paths
        return 0, HeatInfo(layer=opts.name("Hotspots"), points=len(hs), max_weight=top)
    inten = hs["intensity"].to_numpy(dtype=float)
    inten = inten / inten.max() if inten.size and inten.max() > 0 else inten
    hprops = [
        {
            "style": {"fillOpacity": round(0.15 + 0.5 * float(v), 3)},
            "tip": f"Hotspot intensity {float(v):.2f}",
        }
        for v in inten
    ]
    areas = to_lonlat(polygonal(hs.geometry.to_numpy()), scene.crs)
    GeoJsonLayer(
        features_json(areas, hprops),
        name=opts.name("Hotspots"),
        style={"color": HOTSPOT_AREA_COLOUR, "weight": 1, "fillColor": HOTSPOT_AREA_COLOUR},
    ).add_to(m)
    info = HeatInfo(layer=opts.name("Hotspots"), points=0, max_weight=float("nan"))
    return int((~shapely.is_empty(areas)).sum()), info


# ----------------------------------------------------------------------------- camera sets


def _tiers_reached(
    covered_by: NDArray[np.int64], codes: NDArray[np.int64], names: Sequence[str]
) -> dict[int, str]:
    """Row of plan.cameras -> the tiers it gives some demand point, strongest first."""
    reached: dict[int, str] = {}
    if (covered_by >= 0).any():
        on = covered_by >= 0
        pairs = pd.DataFrame({"row": covered_by[on], "code": codes[on]}).drop_duplicates()
        pairs = pairs.sort_values(["row", "code"], kind="stable")
        for row, grp in pairs.groupby("row", sort=True):
            reached[int(row)] = ", ".join(names[c] for c in grp["code"].tolist())
    return reached


def owner_layers(owners: Sequence[str]) -> dict[str, str]:
    """Owner as given -> its layer's owner label; at most `MAX_OWNER_LAYERS` labels.

    Owners keep their own text (``"unknown (OSM)"`` stays that). Past the
    limit, the owners with the fewest sets share one label, ``"N other owners"``.

    Examples
    --------
    >>> owner_layers(["Police", "unknown (OSM)", "Police"])
    {'Police': 'Police', 'unknown (OSM)': 'unknown (OSM)'}
    """
    counts = pd.Series(list(owners), dtype=object).value_counts(sort=False)
    order = sorted(counts.index.tolist(), key=lambda o: (-int(counts[o]), str(o)))
    if len(order) <= MAX_OWNER_LAYERS:
        return {str(o): str(o) for o in order}
    keep = order[: MAX_OWNER_LAYERS - 1]
    rest = f"{len(order) - len(keep)} other owners"
    return {str(o): (str(o) if o in keep else rest) for o in order}


def _set_layer_keys(cams: pd.DataFrame) -> tuple[NDArray[Any], list[tuple[str, str]]]:
    """Layer of each set ("Existing cameras: Police", "New sets: phase 2"); layers and colours.

    Existing layers first (by owner, most sets first, colours in that order),
    then the new sets by phase.
    """
    status = cams["status"].astype(str).to_numpy()
    owner = cams["owner"].fillna("").astype(str).replace("", "owner not given").to_numpy()
    phase = cams["phase"].to_numpy(dtype=np.int64)
    existing = status == "existing"
    label = owner_layers(owner[existing].tolist())
    keys = np.array(
        [
            f"Existing cameras: {label[owner[i]]}" if existing[i] else f"New sets: phase {phase[i]}"
            for i in range(len(cams))
        ],
        dtype=object,
    )
    layers: list[tuple[str, str]] = []
    for k, o in enumerate(dict.fromkeys(label.values())):
        layers.append((f"Existing cameras: {o}", OWNER_COLOURS[k % len(OWNER_COLOURS)]))
    for p in sorted(set(phase[~existing].tolist())):
        layers.append((f"New sets: phase {p}", PHASE_COLOURS[(p - 1) % len(PHASE_COLOURS)]))
    return keys, layers


def _headings_text(heads: Any) -> str:
    """Headings of one set's cameras, e.g. ``"30°, 150°, 270°"`` (``"unknown"`` for NaN)."""
    vals = [float(h) for h in heads]
    return ", ".join("unknown" if not np.isfinite(h) else f"{h % 360:.0f}°" for h in vals)


def _popup_rows(
    cams: gpd.GeoDataFrame, reached: Mapping[int, str], lonlat: NDArray[np.float64], total: float
) -> list[list[str]]:
    """Escape the popup values of every set, in the order of the layer's row labels.

    `lonlat` holds each pole's (lon, lat); `total` the plan's total demand weight
    (the gain is given as covered weight and as a share of it).
    """
    status = cams["status"].astype(str).to_numpy()
    owner = cams["owner"].fillna("").astype(str).replace("", "owner not given").to_numpy()
    district = cams["district"].astype(str).to_numpy()
    rank = cams["rank"].to_numpy(dtype=np.int64)
    phase = cams["phase"].to_numpy(dtype=np.int64)
    gain = cams["gain"].to_numpy(dtype=float)
    heads = cams["headings_deg"].to_numpy()
    hfov = cams["hfov_deg"].to_numpy(dtype=float)
    rng_m = cams["range_m"].to_numpy(dtype=float)
    esc_owner = {o: escape_text(o) for o in set(owner.tolist())}
    esc_district = {d: escape_text(d) for d in set(district.tolist())}
    note_col = next((c for c in ("notes", "note") if c in cams.columns), None)
    notes = (
        [escape_text(v) if isinstance(v, str) else "" for v in cams[note_col].tolist()]
        if note_col
        else [""] * len(cams)
    )
    popups = []
    for i in range(len(cams)):
        n = len(heads[i])
        cams_txt = (
            f"{n} camera{'s' if n != 1 else ''}, {hfov[i]:g}° field of view, "
            f"{rng_m[i]:g}\u00a0m range"
        )
        where = f"{lonlat[i, 1]:.5f}° N, {lonlat[i, 0]:.5f}° E"
        tiers_txt = escape_text(reached.get(i, "none"))
        if status[i] == "existing":
            row = ["Existing set", esc_owner[owner[i]], esc_district[district[i]]]
        else:
            share = f" ({100 * gain[i] / total:.2f}% of all demand weight)" if total > 0 else ""
            row = [
                f"New set #{rank[i]}",
                str(rank[i]),
                f"{gain[i]:,.4g} covered weight{share}",
                esc_district[district[i]],
                str(phase[i]),
            ]
        popups.append([*row, cams_txt, _headings_text(heads[i]), where, tiers_txt, notes[i]])
    return popups


def add_camera_sets(
    m: folium.Map,
    scene: Scene,
    plan: Plan,
    codes: NDArray[np.int64],
    names: Sequence[str],
    opts: LayerOptions,
) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Draw the camera sets, one layer per owner and per phase: view wedges plus the pole.

    Returns the path count of each layer, and each layer's name, colour and
    number of sets (for the legend).
    """
    cams = plan.cameras
    occlusion = opts.occlusion
    if occlusion is None:
        occlusion = bool(plan.meta.get("occlusion", True))
    use_occ = bool(occlusion) and len(scene.buildings) > 0
    bld = scene.buildings.geometry.to_numpy() if use_occ else None
    views = to_lonlat(set_views(*set_wedges(cams, buildings=bld), len(cams)), scene.crs)
    poles = to_lonlat(cams.geometry.to_numpy(), scene.crs)
    reached = _tiers_reached(plan.demand["covered_by"].to_numpy(dtype=np.int64), codes, names)
    total = float(plan.demand["weight"].to_numpy(dtype=float).sum())
    popups = _popup_rows(cams, reached, shapely.get_coordinates(poles).reshape(-1, 2), total)
    keys, layers = _set_layer_keys(cams)
    counts = {}
    drawn: list[tuple[str, str, int]] = []
    for key, colour in layers:
        rows = np.flatnonzero(keys == key)
        drawn.append((key, colour, len(rows)))
        geoms, gprops = [], []
        for k, i in enumerate(rows.tolist()):
            if not shapely.is_empty(views[i]):  # a set whose views collapsed: its pole alone
                geoms.append(views[i])
                gprops.append({"i": k})
            geoms.append(poles[i])
            gprops.append({"i": k})
        layer_popups = [popups[i] for i in rows.tolist()]
        GeoJsonLayer(
            features_json(np.asarray(geoms, dtype=object), gprops, extra={"popups": layer_popups}),
            name=opts.name(key),
            style={"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.25},
            point_style={"radius": 3},
            popup_rows=_EXISTING_ROWS if key.startswith("Existing") else _NEW_ROWS,
        ).add_to(m)
        counts[key] = len(geoms)
    return counts, drawn


# ----------------------------------------------------------------------------- corridors


def add_corridors(
    m: folium.Map,
    scene: Scene,
    plan: Plan,
    codes: NDArray[np.int64],
    names: Sequence[str],
    opts: LayerOptions,
) -> int:
    """Colour the corridors by quality tier; past `max_corridor_features`, one packed canvas layer.

    Watched streets are thick, unwatched ones a thin grey mesh underneath (the
    layer style is the unwatched one: most features then carry no style).
    """
    lines, run_code, run_ci = corridor_runs(scene.corridors, plan.demand, codes, len(names) - 1)
    base_style = {"color": TIER_COLOURS[UNWATCHED], "weight": 1.5, "opacity": 0.7}
    tier_style: list[dict[str, Any]] = [
        {"color": TIER_COLOURS.get(t, "#1a9850"), "weight": 3, "opacity": 0.9} for t in names[:-1]
    ] + [{}]
    # draw order: unwatched first (underneath), the strongest tier last (on top)
    order = np.argsort(-run_code, kind="stable")
    lines, run_code, run_ci = lines[order], run_code[order], run_ci[order]
    if len(lines) > opts.max_corridor_features:
        present = np.unique(run_code)[::-1]
        rank = np.empty(present.max() + 1, dtype=np.int64)
        rank[present] = np.arange(present.size)
        merged = shapely.multilinestrings(lines, indices=rank[run_code])
        merged = shapely.simplify(shapely.line_merge(merged), opts.simplify_m)
        packed = pack_lines(to_lonlat(np.asarray(merged, dtype=object), scene.crs))
        for c, item in zip(present.tolist(), packed, strict=True):
            item.update(style=tier_style[c], tip=escape_text(names[c]))
        PackedLinesLayer(js_json(packed), name=opts.name(_CORRIDORS), style=base_style).add_to(m)
        return len(present)
    corr = scene.corridors
    blank = np.full(len(corr), "", dtype=object)
    cname = corr["name"].fillna("").astype(str).to_numpy() if "name" in corr else blank
    ckind = corr["kind"].fillna("").astype(str).to_numpy() if "kind" in corr else blank
    cprops = []
    for c, k in zip(run_code.tolist(), run_ci.tolist(), strict=True):
        label = escape_text(cname[k]) or "Unnamed corridor"
        kind = f" ({escape_text(ckind[k])})" if ckind[k] else ""
        prop: dict[str, Any] = {"tip": f"{label}{kind}: {escape_text(names[c])}"}
        if tier_style[c]:
            prop["style"] = tier_style[c]
        cprops.append(prop)
    drawn = to_lonlat(shapely.simplify(lines, opts.simplify_m), scene.crs)
    GeoJsonLayer(
        features_json(drawn, cprops),
        name=opts.name(_CORRIDORS),
        style=base_style,
    ).add_to(m)
    return int((~shapely.is_empty(drawn)).sum())


# ----------------------------------------------------------------------------- legend


def add_legend(  # noqa: PLR0913 - the map, the data, then keyword-only text
    m: folium.Map,
    scene: Scene,
    parts: LegendParts,
    *,
    title: str | None,
    no_demand: bool,
    crs: str | None = None,
    extra_attribution: str = "",
) -> None:
    """Add the legend (title, sets, districts, corridor tiers, heat, CRS) and attribution."""
    legend = legend_html(parts, title=title, no_demand=no_demand, crs=crs)
    lines = [*scene.attribution, extra_attribution]
    attribution = " | ".join(escape_text(a) for a in lines if a)
    sea = ".leaflet-container{background:#cfe2f3}" if parts.land else ""
    code = (
        "(function(){var map={map};"
        "var css=document.createElement('style');"
        "css.textContent='.leaflet-heatmap-layer{opacity:.6;pointer-events:none}"
        ".leaflet-control-attribution{max-width:60vw;font-size:10px;line-height:1.3}"
        f"{sea}';document.head.appendChild(css);"
        "var legend=L.control({position:'bottomleft'});"
        "legend.onAdd=function(){var d=L.DomUtil.create('div','coverage-legend');"
        "d.style.cssText='background:rgba(255,255,255,.92);padding:6px 8px;font:12px sans-serif;"
        "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);line-height:1.4;max-width:250px;"
        "max-height:calc(100vh - 60px);overflow:auto';"
        "L.DomEvent.disableScrollPropagation(d);"
        f"d.innerHTML={js_json(legend)};return d;}};legend.addTo(map);"
        + (f"map.attributionControl.addAttribution({js_json(attribution)});" if attribution else "")
        + "})();"
    )
    MapScript(code).add_to(m)


def _swatch(colour: str, *, line: bool = False, border: str = "#999") -> str:
    if line:
        return (
            f"<span style='display:inline-block;width:14px;height:4px;background:{colour};"
            "vertical-align:middle'></span>"
        )
    return (
        f"<span style='display:inline-block;width:14px;height:10px;background:{colour};"
        f"border:1px solid {border}'></span>"
    )


def _heat_html(heat: HeatInfo) -> list[str]:
    """Write the heat scale: the colour ramp, what it measures and its units."""
    if heat.points == 0:
        return [
            f"<b>{escape_text(heat.layer)}</b><br>",
            f"{_swatch(HOTSPOT_AREA_COLOUR)} hotspot area (darker: higher intensity)<br>",
        ]
    stops = ",".join(f"{c} {100 * k:.0f}%" for k, c in HEAT_GRADIENT.items())
    top = f"{heat.max_weight:g}" if np.isfinite(heat.max_weight) else "1"
    return [
        f"<b>{escape_text(heat.layer)}</b> ({heat.points:,} incidents)<br>",
        "<span style='display:inline-block;width:120px;height:10px;vertical-align:middle;"
        f"background:linear-gradient(to right,{stops});border:1px solid #999'></span><br>",
        "<span style='font-size:11px;color:#444'>incident weight summed within "
        f"{HEAT_RADIUS_PX} px: faint = little, darkest = {top} or more (the weight of the "
        "heaviest incident); relative to the zoom</span><br>",
    ]


def legend_html(
    parts: LegendParts, *, title: str | None, no_demand: bool = False, crs: str | None = None
) -> str:
    """Write the legend's HTML.

    New sets by phase and existing sets by owner (swatch, set count), district
    coverage bins, one swatch per corridor tier, the heat scale, and the CRS.
    """
    out = []
    if title:
        out.append(f"<b>{escape_text(title)}</b><br>")
    new = [s for s in parts.sets if s[0].startswith("New sets")]
    old = [s for s in parts.sets if not s[0].startswith("New sets")]
    if new:
        out.append("<b>New sets (view wedges)</b><br>")
        for name, colour, n in new:
            label = name.removeprefix("New sets: ")
            out.append(f"{_swatch(colour)} {escape_text(label)} ({n:,} sets)<br>")
    if old:
        out.append("<b>Existing sets, by owner</b><br>")
        for name, colour, n in old:
            label = name.removeprefix("Existing cameras: ")
            out.append(f"{_swatch(colour)} {escape_text(label)} ({n:,} sets)<br>")
    out.append("<b>District coverage</b> (share of demand weight watched)<br>")
    n = len(CHOROPLETH_COLOURS)
    for k, c in enumerate(CHOROPLETH_COLOURS):
        lo, hi = 100 * k // n, 100 * (k + 1) // n
        out.append(f"{_swatch(c)} {lo}–{hi}%<br>")
    if no_demand:
        out.append(f"{_swatch('#ffffff')} no demand<br>")
    out.append("<b>Corridors</b> (best camera tier reached)<br>")
    for t in parts.names:
        out.append(f"{_swatch(TIER_COLOURS.get(t, '#1a9850'), line=True)} {escape_text(t)}<br>")
    if parts.heat is not None:
        out += _heat_html(parts.heat)
    if parts.privacy:
        out.append(
            "<span style='display:inline-block;width:14px;height:0;border-top:2px dashed #111;"
            "vertical-align:middle'></span> privacy zone (outline)<br>"
        )
    if parts.land:
        out.append(f"{_swatch('#f2efe9', border='#7f7f7f')} land {_swatch('#cfe2f3')} sea<br>")
    if crs:
        out.append(f"<span style='color:#555;font-size:11px'>{escape_text(crs)}</span>")
    return "".join(out)
