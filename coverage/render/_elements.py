"""The folium/branca elements our maps are made of.

Our layers write their script text directly (:class:`RawScript`). folium's
MacroElement would wrap the rendered script in a new Jinja template and
render it again: slow for megabytes of GeoJSON, and any ``{{ ... }}`` in
user data would then be executed by Jinja.

Importing this module imports folium; :mod:`coverage.render` is itself only
imported when a map is drawn, so ``import coverage`` stays light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import Element, Figure, JavascriptLink
from folium.elements import ElementAddToElement
from folium.map import Layer, LayerControl

from coverage.render import _offline
from coverage.render._prepare import PACK_ZOOM, escape_text, js_json

__all__ = [
    "CoverageMap",
    "Element",
    "Figure",
    "GeoJsonLayer",
    "HeatLayer",
    "MapScript",
    "OfflineFigure",
    "PackedLinesLayer",
    "RawScript",
]


class CoverageFigure(Figure):
    """A Figure that keeps the maps it holds (``coverage_maps``, set by render_comparison)."""

    coverage_maps: list[CoverageMap]


class OfflineFigure(CoverageFigure):
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

    def __init__(  # noqa: PLR0913 - the data, then keyword-only style options
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
        block = f'<script type="application/json" id="{self.get_name()}_data">{self.data}</script>'
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
        block = f'<script type="application/json" id="{self.get_name()}_data">{self.data}</script>'
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


class CoverageMap(folium.Map):
    """folium.Map whose layer controls render last.

    So layers a user adds after :func:`render_map` (markers, clusters)
    are defined before the control that lists them. ``coverage_counts``
    (set by :func:`render_map`) holds the path count drawn per layer.
    """

    coverage_counts: dict[str, int]

    def render(self, **kwargs: Any) -> Any:
        for key in [k for k, c in self._children.items() if isinstance(c, LayerControl)]:
            self._children.move_to_end(key)
        # folium.Map.render carries no annotations
        return super().render(**kwargs)  # type: ignore[no-untyped-call]
