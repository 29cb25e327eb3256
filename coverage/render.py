"""Coverage maps: offline, self-contained folium HTML and static matplotlib figures.

The only module that touches EPSG:4326 or folium. folium is imported lazily,
so ``import coverage`` stays light.

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
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import shapely

from coverage import _offline
from coverage._render_geo import (
    CHOROPLETH_COLOURS,
    PACK_ZOOM,
    TIER_COLOURS,
    UNWATCHED,
    choropleth_colour,
    corridor_runs,
    district_stats,
    escape_text,
    features_json,
    js_json,
    pack_lines,
    plan_tier_weights,
    quality_codes,
    quality_tier,
    set_wedges,
    tier_names,
    to_lonlat,
)
from coverage._validate import check_number
from coverage.errors import InputError
from coverage.io import atomic_path, write_text

if TYPE_CHECKING:
    import folium

__all__ = [
    "OfflineError",
    "district_stats",
    "escape_text",
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
#: Buildings are drawn merged per square cell of this size (metres).
BUILDING_CELL_M = 250.0
_PHASE_COLOURS = ("#d7301f", "#ff7f00", "#e7298a", "#a50f15", "#fdae61", "#ce1256")
_OWNER_COLOURS = {"Police": "#08306b", "MTR": "#01665e", "Other departments": "#5e3c99"}


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a hard dependency
        msg = "Maps need folium: pip install folium xstatic-leaflet xstatic-jquery"
        raise ImportError(msg) from exc
    return folium


# ----------------------------------------------------------------------------- elements


def _element_classes() -> dict[str, Any]:
    """folium element classes, defined lazily (folium is an optional import).

    Our layers write their script text directly (``RawScript``). folium's
    MacroElement would wrap the rendered script in a new Jinja template and
    render it again: slow for megabytes of GeoJSON, and any ``{{ ... }}`` in
    user data would then be executed by Jinja.
    """
    if _CLASSES:
        return _CLASSES
    fol = _folium()
    from branca.element import Element, Figure, JavascriptLink
    from folium.elements import ElementAddToElement
    from folium.map import Layer, LayerControl

    class OfflineFigure(Figure):
        """A Figure whose HTML inlines every asset and fails closed."""

        def render(self, **kwargs: Any) -> str:
            _offline.prepare_offline(self)
            out = _offline.inline_assets(super().render(**kwargs))
            _offline.check_offline(out)
            return out

    class RawScript(Element):
        """Script text emitted as it is (never parsed as a template)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self._name = "RawScript"
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return str(self.text)

    class RawLayer(Layer):
        """A Layer whose script is built in Python; ``self.js()`` returns it."""

        default_js: list[tuple[str, str]] = []  # noqa: RUF012

        def js(self) -> str:  # pragma: no cover - abstract
            raise NotImplementedError

        def render(self, **kwargs: Any) -> Any:
            figure: Any = self.get_root()
            parent: Any = self._parent
            for name, url in self.default_js:
                figure.header.add_child(JavascriptLink(url), name=name)
            if self.show:
                self.add_child(
                    ElementAddToElement(
                        element_name=self.get_name(),
                        element_parent_name=parent.get_name(),
                    ),
                    name=self.get_name() + "_add",
                )
            figure.script.add_child(RawScript(self.js()), name=self.get_name())
            for child in list(self._children.values()):
                child.render(**kwargs)

    class GeoJsonLayer(RawLayer):
        """``L.geoJSON`` with styles, tooltips and popups taken from feature properties.

        Per-feature ``properties.style`` is merged over the layer style (no
        per-feature JS switch), ``properties.tip`` becomes a sticky tooltip and
        ``properties.popup`` a popup (already-escaped HTML). ``properties.row``
        holds escaped values for a popup table whose labels are given once per
        layer (`popup_rows`), so thousands of sets do not repeat the labels.
        """

        def __init__(
            self,
            data: str,
            *,
            name: str,
            style: Mapping[str, Any],
            point_style: Mapping[str, Any] | None = None,
            interactive: bool = True,
            show: bool = True,
            popup_rows: Sequence[str] = (),
        ) -> None:
            super().__init__(name=escape_text(name), overlay=True, control=True, show=show)
            self._name = "CoverageGeoJson"
            self.data = data
            self.style = js_json(dict(style))
            self.point_style = js_json(dict(point_style or {"radius": 4}))
            self.interactive = "true" if interactive else "false"
            self.popup_rows = js_json([escape_text(r) for r in popup_rows])

        def render(self, **kwargs: Any) -> Any:
            # the data goes in an inert JSON block: JSON.parse is much faster
            # than parsing megabytes of object literals as code
            block = (
                f'<script type="application/json" id="{self.get_name()}_data">{self.data}</script>'
            )
            root: Any = self.get_root()
            root.html.add_child(RawScript(block), name=self.get_name() + "_data")
            super().render(**kwargs)

        def js(self) -> str:
            return (
                f"var {self.get_name()} = (function () {{\n"
                f"var data = JSON.parse(document.getElementById('{self.get_name()}_data')"
                ".textContent);\n"
                f"var rows = {self.popup_rows};\n"
                "function table(v) { var h = '<b>' + v[0] + '</b><table>';"
                " for (var i = 0; i < rows.length; i++) { if (v[i + 1] !== '') {"
                " h += '<tr><th style=\"text-align:left;padding-right:6px\">' + rows[i] +"
                " '</th><td>' + v[i + 1] + '</td></tr>'; } } return h + '</table>'; }\n"
                "return L.geoJSON(data, {\n"
                f"style: function (f) {{ return Object.assign({{}}, {self.style},"
                " f.properties.style || {}); },\n"
                "pointToLayer: function (f, ll) { return L.circleMarker(ll, Object.assign({},"
                f" {self.point_style}, f.properties.style || {{}})); }},\n"
                "onEachFeature: function (f, layer) { var p = f.properties;"
                " if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }"
                " if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }"
                " else if (p.i !== undefined && data.popups) { layer.bindPopup(function () {"
                " return table(data.popups[p.i]); }, {maxWidth: 360}); } },\n"
                f"interactive: {self.interactive}, bubblingMouseEvents: false}});\n"
                "})();\n"
            )

    class PackedLinesLayer(GeoJsonLayer):
        """Dense polylines drawn straight onto one canvas (no Leaflet path objects).

        For city-size corridor networks: hundreds of thousands of street
        pieces in a few typed arrays (pre-projected Web Mercator pixels, see
        :func:`pack_lines`), redrawn on each move; no per-piece tooltip.
        """

        def js(self) -> str:
            return (
                f"var {self.get_name()} = (function () {{\n"
                f"var data = JSON.parse(document.getElementById('{self.get_name()}_data')"
                ".textContent);\n"
                f"var base = {self.style};\n"
                "var tiers = data.map(function (t) { var d = t.d, xy = new Float64Array(d.length),"
                " x = 0, y = 0; for (var k = 0; k < d.length; k += 2) { x += d[k]; y += d[k + 1];"
                " xy[k] = x; xy[k + 1] = y; } return {n: t.n, xy: xy,"
                " style: Object.assign({}, base, t.style)}; });\n"
                "var Lines = L.Layer.extend({\n"
                " onAdd: function (map) { var c = this._canvas ="
                " L.DomUtil.create('canvas', 'leaflet-layer coverage-lines');"
                " c.style.pointerEvents = 'none';"
                " L.DomUtil.addClass(c, map._zoomAnimated ? 'leaflet-zoom-animated'"
                " : 'leaflet-zoom-hide');"
                " this.getPane().appendChild(c);"
                " map.on('moveend resize', this._reset, this);"
                " if (map._zoomAnimated) { map.on('zoomanim', this._zoomAnim, this); }"
                " this._reset(); },\n"
                " onRemove: function (map) { L.DomUtil.remove(this._canvas);"
                " map.off('moveend resize', this._reset, this);"
                " map.off('zoomanim', this._zoomAnim, this); },\n"
                " _zoomAnim: function (e) { var m = this._map;"
                " L.DomUtil.setTransform(this._canvas,"
                " m._latLngBoundsToNewLayerBounds(this._bounds, e.zoom, e.center).min,"
                " m.getZoomScale(e.zoom)); },\n"
                " _reset: function () { var m = this._map, c = this._canvas, size = m.getSize(),"
                " tl = m.containerPointToLayerPoint([0, 0]), r = window.devicePixelRatio || 1;"
                " this._bounds = m.getBounds(); L.DomUtil.setPosition(c, tl);"
                " c.width = size.x * r; c.height = size.y * r;"
                " c.style.width = size.x + 'px'; c.style.height = size.y + 'px';"
                " var ctx = c.getContext('2d'); ctx.setTransform(r, 0, 0, r, 0, 0);"
                f" var z = m.getZoom(), s = Math.pow(2, z - {PACK_ZOOM}), o = m.getPixelOrigin(),"
                " ox = o.x + tl.x, oy = o.y + tl.y, w = Math.min(1, Math.pow(2, z - 16));"
                " ctx.lineCap = 'round'; ctx.lineJoin = 'round';"
                " tiers.forEach(function (t) { var xy = t.xy, n = t.n, k = 0; ctx.beginPath();"
                " for (var p = 0; p < n.length; p++) {"
                " ctx.moveTo(xy[k] * s - ox, xy[k + 1] * s - oy); k += 2;"
                " for (var j = 1; j < n[p]; j++, k += 2) { ctx.lineTo(xy[k] * s - ox,"
                " xy[k + 1] * s - oy); } }"
                " ctx.strokeStyle = t.style.color; ctx.globalAlpha = t.style.opacity || 1;"
                " ctx.lineWidth = Math.max(0.75, (t.style.weight || 3) * w); ctx.stroke(); }); }\n"
                "});\n"
                "return new Lines();\n})();\n"
            )

    class HeatLayer(RawLayer):
        """Leaflet.heat layer with the data inlined as one array."""

        default_js = [  # noqa: RUF012 - same name and URL as folium's HeatMap
            (
                "leaflet-heat.js",
                "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/"
                "folium/templates/leaflet_heat.min.js",
            )
        ]

        def __init__(self, data: str, *, name: str, options: Mapping[str, Any]) -> None:
            super().__init__(name=escape_text(name), overlay=True, control=True, show=True)
            self._name = "CoverageHeat"
            self.data = data
            self.options = js_json(dict(options))

        def render(self, **kwargs: Any) -> Any:
            root: Any = self.get_root()
            block = (
                f'<script type="application/json" id="{self.get_name()}_data">{self.data}</script>'
            )
            root.html.add_child(RawScript(block), name=self.get_name() + "_data")
            return super().render(**kwargs)

        def js(self) -> str:
            return (
                f"var {self.get_name()} = L.heatLayer(JSON.parse(document.getElementById("
                f"'{self.get_name()}_data').textContent), {self.options});\n"
            )

    class MapScript(Element):
        """Script run after the map exists; ``{map}`` is replaced by its JS name."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self._name = "CoverageScript"
            self.code = code

        def render(self, **kwargs: Any) -> Any:
            parent: Any = self._parent
            root: Any = self.get_root()
            text = self.code.replace("{map}", parent.get_name())
            root.script.add_child(RawScript(text), name=self.get_name())

    class CoverageMap(fol.Map):  # type: ignore[misc,name-defined]
        """folium.Map whose layer controls render last.

        So layers a user adds after :func:`render_map` (markers, clusters)
        are defined before the control that lists them.
        """

        def render(self, **kwargs: Any) -> Any:
            for key in [k for k, c in self._children.items() if isinstance(c, LayerControl)]:
                self._children.move_to_end(key)
            return super().render(**kwargs)

    _CLASSES.update(
        CoverageMap=CoverageMap,
        OfflineFigure=OfflineFigure,
        GeoJsonLayer=GeoJsonLayer,
        PackedLinesLayer=PackedLinesLayer,
        HeatLayer=HeatLayer,
        MapScript=MapScript,
        RawScript=RawScript,
        Element=Element,
        Figure=Figure,
        folium=fol,
    )
    return _CLASSES


_CLASSES: dict[str, Any] = {}


# ----------------------------------------------------------------------------- helpers


def _owner_group(owner: Any) -> str:
    text = str(owner).lower()
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


def _layer_name(name: str, layer_names: Mapping[str, str] | None) -> str:
    return str(layer_names.get(name, name)) if layer_names else name


def _check_plan(scene: Any, plan: Any) -> None:
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


# ----------------------------------------------------------------------------- layers


def _add_layers(
    m: Any,
    scene: Any,
    plan: Any,
    *,
    tier_weights: Mapping[str, float] | None,
    occlusion: bool | None,
    heat: bool,
    layer_names: Mapping[str, str] | None,
    max_corridor_features: int,
    title: str | None,
    simplify_m: float = 1.0,
) -> dict[str, int]:
    """Add every layer of one plan to map `m`; return drawn path counts per layer."""
    cls = _element_classes()
    GeoJsonLayer, HeatLayer, MapScript = cls["GeoJsonLayer"], cls["HeatLayer"], cls["MapScript"]
    crs = scene.crs
    counts: dict[str, int] = {}
    names = tier_names(tier_weights)
    unwatched = len(names) - 1
    codes = quality_codes(plan.demand["quality"].to_numpy(dtype=float), tier_weights)

    # districts choropleth
    stats = district_stats(scene, plan)
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
    dgeom = shapely.simplify(scene.districts.geometry.to_numpy(), 1.0)
    GeoJsonLayer(
        features_json(to_lonlat(dgeom, crs), props),
        name=_layer_name("Districts (coverage)", layer_names),
        style={"color": "#444444", "weight": 1.5, "fillOpacity": 0.55},
    ).add_to(m)
    counts["Districts (coverage)"] = len(dgeom)

    # buildings: the basemap, merged per 250 m grid cell (non-interactive):
    # few canvas paths, yet a hover redraw only repaints nearby cells
    if len(scene.buildings):
        parts = shapely.get_parts(shapely.simplify(scene.buildings.geometry.to_numpy(), 0.75))
        parts = parts[~shapely.is_empty(parts)]
        cxy = shapely.get_coordinates(shapely.centroid(parts))
        cell = np.floor(cxy / BUILDING_CELL_M).astype(np.int64)
        _, group = np.unique(cell, axis=0, return_inverse=True)
        group = group.ravel()
        order = np.argsort(group, kind="stable")
        merged = shapely.multipolygons(parts[order], indices=group[order])
        GeoJsonLayer(
            features_json(to_lonlat(np.asarray(merged, dtype=object), crs)),
            name=_layer_name("Buildings", layer_names),
            style={"color": "#8c8c8c", "weight": 0.5, "fillColor": "#d9d9d9", "fillOpacity": 0.7},
            interactive=False,
        ).add_to(m)
        counts["Buildings"] = len(merged)

    # privacy zones, outlined
    if len(scene.privacy_zones):
        pz = scene.privacy_zones
        pprops = [{"tip": f"Privacy zone: {escape_text(n)}"} for n in pz["name"].astype(str)]
        GeoJsonLayer(
            features_json(to_lonlat(pz.geometry.to_numpy(), crs), pprops),
            name=_layer_name("Privacy zones", layer_names),
            style={"color": "#7b3294", "weight": 2, "dashArray": "6 4", "fill": False},
        ).add_to(m)
        counts["Privacy zones"] = len(pz)

    # hotspots
    if heat and len(scene.hotspots):
        hs = scene.hotspots
        if hs.geom_type.iloc[0] == "Point":
            ll = shapely.get_coordinates(to_lonlat(hs.geometry.to_numpy(), crs))
            w = hs["weight"].to_numpy(dtype=float)
            w = w / w.max() if w.size and w.max() > 0 else w
            data = np.column_stack([ll[:, 1], ll[:, 0], np.round(w, 3)])
            HeatLayer(
                js_json(data.tolist()),
                name=_layer_name("Hotspots", layer_names),
                options={"radius": 14, "blur": 12, "minOpacity": 0.2},
            ).add_to(m)
            counts["Hotspots"] = 0  # drawn on the heat canvas, not as paths
        else:
            inten = hs["intensity"].to_numpy(dtype=float)
            inten = inten / inten.max() if inten.size and inten.max() > 0 else inten
            hprops = [
                {
                    "style": {"fillOpacity": round(0.15 + 0.5 * float(v), 3)},
                    "tip": f"Hotspot intensity {float(v):.2f}",
                }
                for v in inten
            ]
            GeoJsonLayer(
                features_json(to_lonlat(hs.geometry.to_numpy(), crs), hprops),
                name=_layer_name("Hotspots", layer_names),
                style={"color": "#e31a1c", "weight": 1, "fillColor": "#e31a1c"},
            ).add_to(m)
            counts["Hotspots"] = len(hs)

    # camera sets: wedges + pole, one feature per set
    cams = plan.cameras
    if occlusion is None:
        meta = getattr(plan, "meta", None) or {}
        occlusion = bool(meta.get("occlusion", True)) if isinstance(meta, Mapping) else True
    use_occ = bool(occlusion) and len(scene.buildings) > 0
    bld = scene.buildings.geometry.to_numpy() if use_occ and len(scene.buildings) else None
    wedges, wrow = set_wedges(cams, buildings=bld)
    wedges = to_lonlat(wedges, crs)
    poles = to_lonlat(cams.geometry.to_numpy(), crs)
    cb = plan.demand["covered_by"].to_numpy(dtype=np.int64)
    reached: dict[int, str] = {}
    if (cb >= 0).any():
        pairs = pd.DataFrame({"row": cb[cb >= 0], "code": codes[cb >= 0]}).drop_duplicates()
        pairs = pairs.sort_values(["row", "code"], kind="stable")
        for row, grp in pairs.groupby("row", sort=True):
            reached[int(row)] = ", ".join(names[c] for c in grp["code"].tolist())
    order = np.argsort(wrow, kind="stable")
    wrow, wedges = wrow[order], wedges[order]
    starts = np.searchsorted(wrow, np.arange(len(cams)))
    ends = np.searchsorted(wrow, np.arange(len(cams)), side="right")
    status = cams["status"].astype(str).to_numpy()
    owner = cams["owner"].astype(str).to_numpy()
    district = cams["district"].astype(str).to_numpy()
    rank = cams["rank"].to_numpy(dtype=np.int64)
    phase = cams["phase"].to_numpy(dtype=np.int64)
    gain = cams["gain"].to_numpy(dtype=float)
    heads = cams["headings_deg"].to_numpy()
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
    esc_owner = {o: escape_text(o) for o in set(owner.tolist())}
    esc_district = {d: escape_text(d) for d in set(district.tolist())}
    note_col = next((c for c in ("notes", "note") if c in cams.columns), None)
    notes = (
        [escape_text(v) if isinstance(v, str) else "" for v in cams[note_col].tolist()]
        if note_col
        else [""] * len(cams)
    )
    existing_rows = ("Owner", "District", "Cameras", "Tiers reached", "Notes")
    new_rows = ("Rank", "Marginal gain", "District", "Phase", "Cameras", "Tiers reached", "Notes")
    for key in ordered:
        rows = np.flatnonzero(keys == key)
        is_existing = key.startswith("Existing")
        if is_existing:
            colour = _OWNER_COLOURS[key.split(": ", 1)[1]]
        else:
            colour = _PHASE_COLOURS[(int(key.rsplit(" ", 1)[1]) - 1) % len(_PHASE_COLOURS)]
        geoms, gprops, popups = [], [], []
        for k, i in enumerate(rows.tolist()):
            parts = wedges[starts[i] : ends[i]]
            if len(parts):
                geoms.append(shapely.multipolygons(shapely.get_parts(parts)))
                gprops.append({"i": k})
            geoms.append(poles[i])
            gprops.append({"i": k})
            cams_txt = (
                f"{len(heads[i])} (headings {', '.join(f'{float(h):.0f}°' for h in heads[i])})"
            )
            tiers_txt = escape_text(reached.get(i, "none"))
            if is_existing:
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
        n_paths = len(geoms)
        GeoJsonLayer(
            features_json(np.asarray(geoms, dtype=object), gprops, extra={"popups": popups}),
            name=_layer_name(key, layer_names),
            style={"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.25},
            point_style={"radius": 3},
            popup_rows=existing_rows if is_existing else new_rows,
        ).add_to(m)
        counts[key] = n_paths

    # corridors by tier
    lines, run_code, run_ci = corridor_runs(scene.corridors, plan.demand, codes, unwatched)
    # watched streets thick, unwatched ones a thin grey mesh underneath
    # (the layer style is the unwatched one: most features then carry no style)
    base_style = {"color": TIER_COLOURS[UNWATCHED], "weight": 1.5, "opacity": 0.7}
    tier_style: list[dict[str, Any]] = [
        {"color": TIER_COLOURS.get(t, "#1a9850"), "weight": 3, "opacity": 0.9} for t in names[:-1]
    ] + [{}]
    # draw order: unwatched first (underneath), the strongest tier last (on top)
    order = np.argsort(-run_code, kind="stable")
    lines, run_code, run_ci = lines[order], run_code[order], run_ci[order]
    if len(lines) > max_corridor_features:
        present = np.unique(run_code)[::-1]
        rank = np.empty(present.max() + 1, dtype=np.int64)
        rank[present] = np.arange(present.size)
        merged = shapely.multilinestrings(lines, indices=rank[run_code])
        merged = shapely.simplify(shapely.line_merge(merged), simplify_m)
        packed = pack_lines(to_lonlat(np.asarray(merged, dtype=object), crs))
        for c, item in zip(present.tolist(), packed, strict=True):
            item.update(style=tier_style[c], tip=escape_text(names[c]))
        cls["PackedLinesLayer"](
            js_json(packed),
            name=_layer_name("Corridors (quality tier)", layer_names),
            style=base_style,
        ).add_to(m)
        n_corr = len(present)
    else:
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
        GeoJsonLayer(
            features_json(to_lonlat(shapely.simplify(lines, simplify_m), crs), cprops),
            name=_layer_name("Corridors (quality tier)", layer_names),
            style=base_style,
        ).add_to(m)
        n_corr = len(lines)
    counts["Corridors (quality tier)"] = n_corr

    # legend, title and attribution
    legend = _legend_html(names, title=title, no_demand=bool(np.isnan(share).any()))
    attribution = " | ".join(escape_text(a) for a in getattr(scene, "attribution", ()) if str(a))
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
    return counts


def _legend_html(names: Sequence[str], *, title: str | None, no_demand: bool = False) -> str:
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
    return "".join(parts)


def _new_map(scene: Any, *, offline: bool, **kwargs: Any) -> Any:
    cls = _element_classes()
    b = np.asarray(scene.bounds, dtype=float)
    box = to_lonlat(np.array([shapely.box(*b)], dtype=object), scene.crs)
    w, s, e, n = shapely.bounds(box[0])
    m = cls["CoverageMap"](
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=14,
        tiles=None if offline else "OpenStreetMap",
        prefer_canvas=True,
        control_scale=True,
        **({"maxZoom": 20, "minZoom": 3} if offline else {}),
        **kwargs,
    )
    # fit before any layer is added (no re-projection, no start-up animation)
    cls["MapScript"](
        "{map}.options.renderer = L.canvas({tolerance: 4});"  # thin streets stay hoverable
        f"{{map}}.fitBounds({js_json([[s, w], [n, e]])}, {{animate: false}});"
    ).add_to(m)
    return m


# ----------------------------------------------------------------------------- public API


def render_map(
    scene: Any,
    plan: Any,
    *,
    offline: bool = True,
    tier_weights: Mapping[str, float] | None = None,
    occlusion: bool | None = None,
    heat: bool = True,
    title: str | None = None,
    layer_names: Mapping[str, str] | None = None,
    max_corridor_features: int = MAX_CORRIDOR_FEATURES,
) -> folium.Map:
    """Draw a plan on an interactive map.

    Layers: districts as a choropleth of weighted coverage (tooltip: sets
    placed, coverage before/after, incidents covered), corridors coloured by
    coverage quality tier, hotspots (heat layer for incidents, shaded polygons
    for hotspot areas), existing cameras by owner (police, MTR, other
    departments) and new sets by phase, each set drawn as its cameras' view
    wedges with a popup (rank, marginal gain, district, cameras and headings,
    tiers reached), privacy zones outlined, buildings, a legend, a layer
    control, a scale bar and the scene's attribution lines.

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

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (atomic, checked) or ``Map.save``.

    Raises
    ------
    InputError
        If the plan lacks Plan columns or its CRS differs from the scene's.
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
    >>> from coverage._render_synth import tiny_plan, tiny_scene
    >>> scene = tiny_scene()
    >>> m = render_map(scene, tiny_plan(scene))
    >>> html = m.get_root().render()
    >>> "<script src=" in html or "<link " in html  # everything inlined
    False
    """
    check_number(max_corridor_features, "max_corridor_features", "render_map", low=0, integer=True)
    _check_plan(scene, plan)
    if tier_weights is None:
        tier_weights = plan_tier_weights(plan)
    cls = _element_classes()
    m = _new_map(scene, offline=offline)
    if offline:
        m.add_to(cls["OfflineFigure"]())
    counts = _add_layers(
        m,
        scene,
        plan,
        tier_weights=tier_weights,
        occlusion=occlusion,
        heat=heat,
        layer_names=layer_names,
        max_corridor_features=max_corridor_features,
        title=getattr(scene, "name", "") if title is None else title,
    )
    cls["folium"].LayerControl(collapsed=False).add_to(m)
    m.coverage_counts = counts
    return cast("folium.Map", m)


def render_comparison(
    scene: Any,
    plan_a: Any,
    plan_b: Any,
    *,
    labels: tuple[str, str] = ("Plan A", "Plan B"),
    offline: bool = True,
    tier_weights: Mapping[str, float] | None = None,
    occlusion: bool | None = None,
    heat: bool = True,
    max_corridor_features: int = MAX_CORRIDOR_FEATURES,
) -> Any:
    """Two plans side by side on one page, pan and zoom kept in sync.

    Each half is the map :func:`render_map` would draw, headed by its label.
    The sync is a few lines of our own script (no Leaflet.Sync download).

    Returns
    -------
    branca.element.Figure
        Save it with :func:`save_map`.

    Examples
    --------
    >>> from coverage._render_synth import tiny_plan, tiny_scene
    >>> scene = tiny_scene()
    >>> fig = render_comparison(scene, tiny_plan(scene), tiny_plan(scene), labels=("A", "B"))
    >>> html = fig.render()
    """
    cls = _element_classes()
    folium = cls["folium"]
    fig = cls["OfflineFigure"]() if offline else cls["Figure"]()
    maps = []
    for k, (plan, label) in enumerate(zip((plan_a, plan_b), labels, strict=True)):
        _check_plan(scene, plan)
        tw = plan_tier_weights(plan) if tier_weights is None else tier_weights
        m = _new_map(scene, offline=offline, width="50%", left=f"{50 * k}%", position="absolute")
        m.add_to(fig)
        m.coverage_counts = _add_layers(
            m,
            scene,
            plan,
            tier_weights=tw,
            occlusion=occlusion,
            heat=heat,
            layer_names=None,
            max_corridor_features=max_corridor_features,
            title=str(label),
        )
        folium.LayerControl(collapsed=True).add_to(m)
        maps.append(m)
    a, b = (mm.get_name() for mm in maps)
    sync = (
        "<script>window.addEventListener('load',function(){var busy=false;"
        "function link(src,dst){src.on('move zoom',function(){if(busy){return;}busy=true;"
        "dst.setView(src.getCenter(),src.getZoom(),{animate:false});busy=false;});}"
        f"link({a},{b});link({b},{a});}});</script>"
    )
    fig.html.add_child(cls["Element"](sync), name="coverage_sync")
    fig.coverage_maps = maps
    return fig


def save_map(m: Any, path: str | os.PathLike[str], *, offline: bool | None = None) -> Path:
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
    is_offline = type(root).__name__ == "OfflineFigure"
    if offline is None:
        offline = is_offline
    if offline and not is_offline:
        _offline.check_offline(html)  # an online map fails here: it needs CDNs and tiles
    return write_text(path, html)


# ----------------------------------------------------------------------------- static figures


def plot_map(
    scene: Any,
    plan: Any,
    path: str | os.PathLike[str],
    *,
    tier_weights: Mapping[str, float] | None = None,
    dpi: int = 150,
    figsize: tuple[float, float] = (10.0, 10.0),
) -> Path:
    """A static PNG of the plan map (districts, corridors by tier, sets, hotspots).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from coverage._render_synth import tiny_plan, tiny_scene
    >>> scene = tiny_scene()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_map(scene, tiny_plan(scene), pathlib.Path(d) / "map.png", dpi=40)
    ...     p.stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    check_number(dpi, "dpi", "plot_map", low=1, integer=True)
    _check_plan(scene, plan)
    if tier_weights is None:
        tier_weights = plan_tier_weights(plan)
    names = tier_names(tier_weights)
    stats = district_stats(scene, plan)
    fig, ax = plt.subplots(figsize=figsize)
    try:
        d = scene.districts
        d.plot(
            ax=ax,
            color=choropleth_colour(stats["weighted_coverage"].to_numpy(float)),
            edgecolor="#444444",
            linewidth=0.8,
        )
        if len(scene.buildings):
            scene.buildings.plot(ax=ax, color="#d9d9d9", edgecolor="#8c8c8c", linewidth=0.3)
        codes = quality_codes(plan.demand["quality"].to_numpy(float), tier_weights)
        lines, code, _ = corridor_runs(scene.corridors, plan.demand, codes, len(names) - 1)
        from matplotlib.collections import LineCollection

        segs = [np.asarray(g.coords) for g in lines]
        colours = [TIER_COLOURS.get(names[c], "#1a9850") for c in code]
        ax.add_collection(LineCollection(segs, colors=colours, linewidths=1.2))
        hs = scene.hotspots
        if len(hs) and hs.geom_type.iloc[0] == "Point":
            xy = shapely.get_coordinates(hs.geometry.to_numpy())
            ax.scatter(xy[:, 0], xy[:, 1], s=4, c="#e31a1c", alpha=0.4, linewidths=0)
        if len(scene.privacy_zones):
            scene.privacy_zones.boundary.plot(ax=ax, color="#7b3294", linestyle="--", linewidth=1)
        cams = plan.cameras
        wedges, wrow = set_wedges(cams)
        new = (cams["status"].astype(str) == "new").to_numpy()
        gpd_wedges = __import__("geopandas").GeoSeries(wedges, crs=scene.crs)
        gpd_wedges[new[wrow]].plot(ax=ax, color="#d7301f", alpha=0.35, linewidth=0)
        gpd_wedges[~new[wrow]].plot(ax=ax, color="#08306b", alpha=0.25, linewidth=0)
        cxy = shapely.get_coordinates(cams.geometry.to_numpy())
        ax.scatter(cxy[new, 0], cxy[new, 1], s=6, c="#d7301f", zorder=3)
        ax.scatter(cxy[~new, 0], cxy[~new, 1], s=6, c="#08306b", zorder=3)
        handles: list[Any] = [
            Line2D([], [], color=TIER_COLOURS.get(t, "#1a9850"), label=t) for t in names
        ]
        handles += [
            Patch(color="#d7301f", alpha=0.5, label="new sets"),
            Patch(color="#08306b", alpha=0.4, label="existing sets"),
        ]
        ax.legend(handles=handles, loc="lower right", fontsize=8)
        ax.set_aspect("equal")
        ax.set_axis_off()
        name = getattr(scene, "name", "")
        ax.set_title(f"{name} coverage".strip())
        attribution = " | ".join(str(a) for a in getattr(scene, "attribution", ()))
        if attribution:
            fig.text(0.01, 0.01, attribution, fontsize=7, color="#555555")
        return _save_fig(fig, path, dpi=dpi)
    finally:
        plt.close(fig)


def plot_curve(curve: pd.DataFrame, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Plot coverage against budget (objective and proven upper bound) to a PNG.

    Parameters
    ----------
    curve
        DataFrame with columns ``budget``, ``objective``, ``upper_bound``.
    path
        Output PNG file (written atomically).

    Raises
    ------
    InputError
        If a column is missing or the frame is empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> curve = pd.DataFrame({"budget": [1, 2, 3], "objective": [1.0, 1.8, 2.4],
    ...                       "upper_bound": [1.0, 1.9, 2.5]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_curve(curve, pathlib.Path(d) / "curve.png", dpi=40).suffix
    '.png'
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    missing = [c for c in ("budget", "objective", "upper_bound") if c not in curve.columns]
    if missing or len(curve) == 0:
        msg = (
            f"plot_curve needs a non-empty frame with columns budget, objective, upper_bound; "
            f"missing {missing}, {len(curve)} row(s)."
        )
        raise InputError(msg)
    c = curve.sort_values("budget", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        ax.plot(c["budget"], c["objective"], marker="o", ms=3, label="coverage reached")
        ax.plot(c["budget"], c["upper_bound"], linestyle="--", label="proven upper bound")
        ax.fill_between(c["budget"], c["objective"], c["upper_bound"], alpha=0.15)
        ax.set_xlabel("budget (camera sets)")
        ax.set_ylabel("covered demand weight")
        ax.grid(alpha=0.3)
        ax.legend()
        return _save_fig(fig, path, dpi=dpi)
    finally:
        plt.close(fig)


def _save_fig(fig: Any, path: str | os.PathLike[str], *, dpi: int) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path
