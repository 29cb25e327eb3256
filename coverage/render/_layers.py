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

    from coverage.plan import Plan
    from coverage.scene import Scene

#: Buildings are drawn merged per square cell of this size (metres).
BUILDING_CELL_M = 250.0
_PHASE_COLOURS = ("#d7301f", "#ff7f00", "#e7298a", "#a50f15", "#fdae61", "#ce1256")
_OWNER_COLOURS = {"Police": "#08306b", "MTR": "#01665e", "Other departments": "#5e3c99"}
_EXISTING_ROWS = ("Owner", "District", "Cameras", "Tiers reached", "Notes")
_NEW_ROWS = ("Rank", "Marginal gain", "District", "Phase", "Cameras", "Tiers reached", "Notes")
_CORRIDORS = "Corridors (quality tier)"


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

    def name(self, layer: str) -> str:
        """Name `layer` in the layer control (after the user's renames)."""
        return str(self.layer_names.get(layer, layer)) if self.layer_names else layer


def add_layers(m: folium.Map, scene: Scene, plan: Plan, opts: LayerOptions) -> dict[str, int]:
    """Add every layer of one plan to map `m`; return drawn path counts per layer."""
    names = tier_names(opts.tier_weights)
    codes = quality_codes(plan.demand["quality"].to_numpy(dtype=float), opts.tier_weights)
    stats = district_stats(scene, plan)
    counts = {"Districts (coverage)": add_districts(m, scene, stats, opts)}
    if len(scene.buildings):
        counts["Buildings"] = add_buildings(m, scene, opts)
    if len(scene.privacy_zones):
        counts["Privacy zones"] = add_privacy_zones(m, scene, opts)
    if opts.heat and len(scene.hotspots):
        counts["Hotspots"] = add_hotspots(m, scene, opts)
    counts.update(add_camera_sets(m, scene, plan, codes, names, opts))
    counts[_CORRIDORS] = add_corridors(m, scene, plan, codes, names, opts)
    no_demand = bool(np.isnan(stats["weighted_coverage"].to_numpy(dtype=float)).any())
    add_legend(
        m, scene, names, title=opts.title, no_demand=no_demand, crs=crs_sentence(scene, plan)
    )
    return counts


# ----------------------------------------------------------------------------- small helpers


def _owner_group(owner: str) -> str:
    text = owner.lower()
    if "police" in text:
        return "Police"
    if "mtr" in text:
        return "MTR"
    return "Other departments"


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
    dgeom = to_lonlat(
        polygonal(shapely.simplify(polygonal(scene.districts.geometry.to_numpy()), 1.0)),
        scene.crs,
    )
    GeoJsonLayer(
        features_json(dgeom, props),
        name=opts.name("Districts (coverage)"),
        style={"color": "#444444", "weight": 1.5, "fillOpacity": 0.55},
    ).add_to(m)
    return int((~shapely.is_empty(dgeom)).sum())


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
        style={"color": "#7b3294", "weight": 2, "dashArray": "6 4", "fill": False},
    ).add_to(m)
    return int((~shapely.is_empty(zones)).sum())


def add_hotspots(m: folium.Map, scene: Scene, opts: LayerOptions) -> int:
    """Draw incidents as a heat layer (no paths), hotspot areas shaded by intensity."""
    hs = scene.hotspots
    if hs.geom_type.iloc[0] == "Point":
        ll = shapely.get_coordinates(to_lonlat(hs.geometry.to_numpy(), scene.crs))
        w = hs["weight"].to_numpy(dtype=float)
        w = w / w.max() if w.size and w.max() > 0 else w
        data = np.column_stack([ll[:, 1], ll[:, 0], np.round(w, 3)])
        HeatLayer(
            js_json(data.tolist()),
            name=opts.name("Hotspots"),
            options={"radius": 14, "blur": 12, "minOpacity": 0.2},
        ).add_to(m)
        return 0  # drawn on the heat canvas, not as paths
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
        style={"color": "#e31a1c", "weight": 1, "fillColor": "#e31a1c"},
    ).add_to(m)
    return int((~shapely.is_empty(areas)).sum())


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


def _set_layer_keys(cams: pd.DataFrame) -> tuple[NDArray[Any], list[str]]:
    """Layer of each set ("Existing cameras: Police", "New sets: phase 2"), and their order."""
    status = cams["status"].astype(str).to_numpy()
    owner = cams["owner"].astype(str).to_numpy()
    phase = cams["phase"].to_numpy(dtype=np.int64)
    keys = np.array(
        [
            f"Existing cameras: {_owner_group(owner[i])}"
            if status[i] == "existing"
            else f"New sets: phase {phase[i]}"
            for i in range(len(cams))
        ],
        dtype=object,
    )
    ordered = sorted(set(keys.tolist()), key=lambda k: (not k.startswith("Existing"), k))
    return keys, ordered


def _popup_rows(cams: pd.DataFrame, reached: Mapping[int, str]) -> list[list[str]]:
    """Escape the popup values of every set, in the order of the layer's row labels."""
    status = cams["status"].astype(str).to_numpy()
    owner = cams["owner"].astype(str).to_numpy()
    district = cams["district"].astype(str).to_numpy()
    rank = cams["rank"].to_numpy(dtype=np.int64)
    phase = cams["phase"].to_numpy(dtype=np.int64)
    gain = cams["gain"].to_numpy(dtype=float)
    heads = cams["headings_deg"].to_numpy()
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
        cams_txt = f"{len(heads[i])} (headings {', '.join(f'{float(h):.0f}°' for h in heads[i])})"
        tiers_txt = escape_text(reached.get(i, "none"))
        if status[i] == "existing":
            row = ["Existing set", esc_owner[owner[i]], esc_district[district[i]]]
        else:
            row = [
                f"New set #{rank[i]}",
                str(rank[i]),
                f"{gain[i]:.4g}",
                esc_district[district[i]],
                str(phase[i]),
            ]
        popups.append([*row, cams_txt, tiers_txt, notes[i]])
    return popups


def add_camera_sets(
    m: folium.Map,
    scene: Scene,
    plan: Plan,
    codes: NDArray[np.int64],
    names: Sequence[str],
    opts: LayerOptions,
) -> dict[str, int]:
    """Draw the camera sets, one layer per owner group and per phase: view wedges plus the pole.

    Returns the path count of each layer.
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
    popups = _popup_rows(cams, reached)
    keys, ordered = _set_layer_keys(cams)
    counts = {}
    for key in ordered:
        rows = np.flatnonzero(keys == key)
        is_existing = key.startswith("Existing")
        if is_existing:
            colour = _OWNER_COLOURS[key.split(": ", 1)[1]]
        else:
            colour = _PHASE_COLOURS[(int(key.rsplit(" ", 1)[1]) - 1) % len(_PHASE_COLOURS)]
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
            popup_rows=_EXISTING_ROWS if is_existing else _NEW_ROWS,
        ).add_to(m)
        counts[key] = len(geoms)
    return counts


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


def add_legend(
    m: folium.Map,
    scene: Scene,
    names: Sequence[str],
    *,
    title: str | None,
    no_demand: bool,
    crs: str | None = None,
) -> None:
    """Add the legend (title, district shares, corridor tiers, CRS) and the attribution lines."""
    legend = legend_html(names, title=title, no_demand=no_demand, crs=crs)
    attribution = " | ".join(escape_text(a) for a in scene.attribution if a)
    code = (
        "(function(){var map={map};"
        "var css=document.createElement('style');"
        "css.textContent='.leaflet-heatmap-layer{opacity:.6;pointer-events:none}"
        ".leaflet-control-attribution{max-width:60vw;font-size:10px;line-height:1.3}';document.head.appendChild(css);"
        "var legend=L.control({position:'bottomright'});"
        "legend.onAdd=function(){var d=L.DomUtil.create('div','coverage-legend');"
        "d.style.cssText='background:rgba(255,255,255,.9);padding:6px 8px;font:12px sans-serif;"
        "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);line-height:1.4';"
        f"d.innerHTML={js_json(legend)};return d;}};legend.addTo(map);"
        + (f"map.attributionControl.addAttribution({js_json(attribution)});" if attribution else "")
        + "})();"
    )
    MapScript(code).add_to(m)


def legend_html(
    names: Sequence[str], *, title: str | None, no_demand: bool = False, crs: str | None = None
) -> str:
    """Write the legend's HTML: district coverage bins, one swatch per corridor tier, the CRS."""
    parts = []
    if title:
        parts.append(f"<b>{escape_text(title)}</b><br>")
    parts.append("<b>District coverage</b><br>")
    n = len(CHOROPLETH_COLOURS)
    for k, c in enumerate(CHOROPLETH_COLOURS):
        lo, hi = 100 * k // n, 100 * (k + 1) // n
        parts.append(
            f"<span style='display:inline-block;width:14px;height:10px;background:{c};"
            f"border:1px solid #999'></span> {lo}–{hi}%<br>"
        )
    if no_demand:
        parts.append(
            "<span style='display:inline-block;width:14px;height:10px;background:#ffffff;"
            "border:1px solid #999'></span> no demand<br>"
        )
    parts.append("<b>Corridors</b><br>")
    for t in names:
        c = TIER_COLOURS.get(t, "#1a9850")
        parts.append(
            f"<span style='display:inline-block;width:14px;height:4px;background:{c};"
            f"vertical-align:middle'></span> {escape_text(t)}<br>"
        )
    if crs:
        parts.append(f"<span style='color:#555;font-size:11px'>{escape_text(crs)}</span>")
    return "".join(parts)
