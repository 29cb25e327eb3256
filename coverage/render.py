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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from coverage import _offline
from coverage._render_geo import (
    CHOROPLETH_COLOURS,
    TIER_COLOURS,
    choropleth_colour,
    corridor_runs,
    district_stats,
    escape_text,
    features_json,
    js_json,
    plan_tier_weights,
    quality_codes,
    quality_tier,
    set_wedges,
    tier_names,
    to_lonlat,
)
from coverage._validate import check_number
from coverage.errors import InputError

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
_PHASE_COLOURS = ("#d7301f", "#2171b5", "#6a51a3", "#cc4c02", "#238b45", "#ce1256")
_OWNER_COLOURS = {"Police": "#08306b", "MTR": "#b2182b", "Other departments": "#5e3c99"}


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a hard dependency
        msg = "Maps need folium: pip install folium xstatic-leaflet xstatic-jquery"
        raise ImportError(msg) from exc
    return folium


# ----------------------------------------------------------------------------- elements


def _element_classes() -> dict[str, type]:
    """folium element classes, defined lazily (folium is an optional import)."""
    if _CLASSES:
        return _CLASSES
    folium = _folium()
    from branca.element import Element, Figure, MacroElement
    from folium.elements import JSCSSMixin
    from folium.map import Layer
    from folium.template import Template

    class OfflineFigure(Figure):  # type: ignore[misc]
        """A Figure whose HTML inlines every asset and fails closed."""

        def render(self, **kwargs: Any) -> str:
            _offline.prepare_offline(self)
            out = _offline.inline_assets(super().render(**kwargs))
            _offline.check_offline(out)
            return out

    class GeoJsonLayer(Layer):  # type: ignore[misc]
        """``L.geoJSON`` with styles, tooltips and popups taken from feature properties.

        Per-feature ``properties.style`` is merged over the layer style (no
        per-feature JS switch), ``properties.tip`` becomes a sticky tooltip and
        ``properties.popup`` a popup (both already-escaped HTML).
        """

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
                style: function (f) {
                    return Object.assign({}, {{ this.style }}, f.properties.style || {});
                },
                pointToLayer: function (f, latlng) {
                    return L.circleMarker(latlng, Object.assign({}, {{ this.point_style }},
                                                                f.properties.style || {}));
                },
                onEachFeature: function (f, layer) {
                    var p = f.properties;
                    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
                    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }
                },
                interactive: {{ this.interactive }},
                bubblingMouseEvents: false
            });
            {% endmacro %}
            """
        )

        def __init__(
            self,
            data: str,
            *,
            name: str,
            style: Mapping[str, Any],
            point_style: Mapping[str, Any] | None = None,
            interactive: bool = True,
            show: bool = True,
            n_features: int = 0,
        ) -> None:
            super().__init__(name=escape_text(name), overlay=True, control=True, show=show)
            self._name = "CoverageGeoJson"
            self.data = data
            self.style = js_json(dict(style))
            self.point_style = js_json(dict(point_style or {"radius": 4}))
            self.interactive = "true" if interactive else "false"
            self.n_features = n_features

    class HeatLayer(JSCSSMixin, Layer):  # type: ignore[misc]
        """Leaflet.heat layer with the data inlined as one array."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer({{ this.data }}, {{ this.options }});
            {% endmacro %}
            """
        )
        default_js = [  # noqa: RUF012 - same shape as folium's HeatMap
            (
                "leaflet-heat.js",
                "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js",
            )
        ]

        def __init__(self, data: str, *, name: str, options: Mapping[str, Any]) -> None:
            super().__init__(name=escape_text(name), overlay=True, control=True, show=True)
            self._name = "CoverageHeat"
            self.data = data
            self.options = js_json(dict(options))

    class MapScript(MacroElement):  # type: ignore[misc]
        """Raw script run after the map exists; ``{map}`` is replaced by its JS name."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            {{ this.code.replace("{map}", this._parent.get_name()) }}
            {% endmacro %}
            """
        )

        def __init__(self, code: str) -> None:
            super().__init__()
            self._name = "CoverageScript"
            self.code = code

    _CLASSES.update(
        OfflineFigure=OfflineFigure,
        GeoJsonLayer=GeoJsonLayer,
        HeatLayer=HeatLayer,
        MapScript=MapScript,
        Element=Element,
        Figure=Figure,
        folium=folium,  # type: ignore[dict-item]
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
) -> dict[str, int]:
    """Add every layer of one plan to map `m`; return drawn path counts per layer."""
    cls = _element_classes()
    GeoJsonLayer, HeatLayer, MapScript = cls["GeoJsonLayer"], cls["HeatLayer"], cls["MapScript"]
    folium = cls["folium"]
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
        props.append({"style": {"fillColor": str(fills[i])}, "tip": tip})
    dgeom = shapely.simplify(scene.districts.geometry.to_numpy(), 1.0)
    GeoJsonLayer(
        features_json(to_lonlat(dgeom, crs), props),
        name=_layer_name("Districts (coverage)", layer_names),
        style={"color": "#444444", "weight": 1.5, "fillOpacity": 0.55},
    ).add_to(m)
    counts["Districts (coverage)"] = len(dgeom)

    # buildings: the basemap, one merged non-interactive feature
    if len(scene.buildings):
        b = shapely.simplify(scene.buildings.geometry.to_numpy(), 0.5)
        merged = np.array([shapely.multipolygons(shapely.get_parts(b))], dtype=object)
        GeoJsonLayer(
            features_json(to_lonlat(merged, crs)),
            name=_layer_name("Buildings", layer_names),
            style={"color": "#8c8c8c", "weight": 0.5, "fillColor": "#d9d9d9", "fillOpacity": 0.7},
            interactive=False,
        ).add_to(m)
        counts["Buildings"] = 1

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
    groups: dict[str, list[int]] = {}
    for i in range(len(cams)):
        if status[i] == "existing":
            key = f"Existing cameras: {_owner_group(cams['owner'].iloc[i])}"
        else:
            key = f"New sets: phase {int(cams['phase'].iloc[i])}"
        groups.setdefault(key, []).append(i)
    heads = cams["headings_deg"].to_numpy()
    ordered = sorted(groups, key=lambda k: (not k.startswith("Existing"), k))
    for gi, key in enumerate(ordered):
        rows = groups[key]
        if key.startswith("Existing"):
            colour = _OWNER_COLOURS[key.split(": ", 1)[1]]
        else:
            colour = _PHASE_COLOURS[(int(key.rsplit(" ", 1)[1]) - 1) % len(_PHASE_COLOURS)]
        geoms, gprops = [], []
        n_paths = 0
        for i in rows:
            parts = [*wedges[starts[i] : ends[i]].tolist(), poles[i]]
            n_paths += len(parts)
            geoms.append(shapely.geometrycollections(parts))
            hd = ", ".join(f"{float(h):.0f}°" for h in heads[i])
            if status[i] == "existing":
                rows_html = [
                    ("Owner", escape_text(cams["owner"].iloc[i])),
                    ("District", escape_text(cams["district"].iloc[i])),
                ]
                title_html = "Existing set"
            else:
                rows_html = [
                    ("Rank", str(int(cams["rank"].iloc[i]))),
                    ("Marginal gain", f"{float(cams['gain'].iloc[i]):.4g}"),
                    ("District", escape_text(cams["district"].iloc[i])),
                    ("Phase", str(int(cams["phase"].iloc[i]))),
                ]
                title_html = f"New set #{int(cams['rank'].iloc[i])}"
            rows_html += [
                ("Cameras", f"{len(heads[i])} (headings {hd})"),
                ("Tiers reached", escape_text(reached.get(i, "none"))),
            ]
            gprops.append({"popup": _table(rows_html, title=title_html)})
        GeoJsonLayer(
            features_json(np.asarray(geoms, dtype=object), gprops),
            name=_layer_name(key, layer_names),
            style={"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.25},
            point_style={"radius": 3},
            show=True,
        ).add_to(m)
        counts[key] = n_paths
        del gi

    # corridors by tier
    lines, run_code, run_ci = corridor_runs(scene.corridors, plan.demand, codes, unwatched)
    lines = shapely.simplify(lines, 1.0)
    tier_style = [{"color": TIER_COLOURS.get(t, "#1a9850")} for t in names]
    if len(lines) > max_corridor_features:
        order = np.argsort(run_code, kind="stable")
        present = np.unique(run_code)
        merged = shapely.multilinestrings(
            lines[order], indices=np.searchsorted(present, run_code[order])
        )
        merged = shapely.line_merge(merged)
        cprops = [{"style": tier_style[c], "tip": escape_text(names[c])} for c in present]
        cjson = features_json(to_lonlat(np.asarray(merged, dtype=object), crs), cprops)
        n_corr = len(present)
    else:
        cname = scene.corridors["name"].astype(str).to_numpy()
        ckind = scene.corridors["kind"].astype(str).to_numpy()
        cprops = []
        for c, k in zip(run_code.tolist(), run_ci.tolist(), strict=True):
            label = escape_text(cname[k]) or "Unnamed corridor"
            kind = f" ({escape_text(ckind[k])})" if ckind[k] else ""
            cprops.append(
                {"style": tier_style[c], "tip": f"{label}{kind}: {escape_text(names[c])}"}
            )
        cjson = features_json(to_lonlat(lines, crs), cprops)
        n_corr = len(lines)
    GeoJsonLayer(
        cjson,
        name=_layer_name("Corridors (quality tier)", layer_names),
        style={"weight": 3, "opacity": 0.9},
    ).add_to(m)
    counts["Corridors (quality tier)"] = n_corr

    # legend, title and attribution
    legend = _legend_html(names, title=title)
    attribution = " | ".join(escape_text(a) for a in getattr(scene, "attribution", ()) if str(a))
    code = (
        "(function(){var map={map};"
        "var css=document.createElement('style');"
        "css.textContent='.leaflet-heatmap-layer{opacity:.6}';document.head.appendChild(css);"
        "var legend=L.control({position:'bottomright'});"
        "legend.onAdd=function(){var d=L.DomUtil.create('div','coverage-legend');"
        "d.style.cssText='background:rgba(255,255,255,.9);padding:6px 8px;font:12px sans-serif;"
        "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);line-height:1.4';"
        f"d.innerHTML={js_json(legend)};return d;}};legend.addTo(map);"
        + (f"map.attributionControl.addAttribution({js_json(attribution)});" if attribution else "")
        + "})();"
    )
    MapScript(code).add_to(m)
    del folium
    return counts


def _legend_html(names: Sequence[str], *, title: str | None) -> str:
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
    folium = cls["folium"]
    b = np.asarray(scene.bounds, dtype=float)
    box = to_lonlat(np.array([shapely.box(*b)], dtype=object), scene.crs)
    w, s, e, n = shapely.bounds(box[0])
    m = folium.Map(
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=14,
        tiles=None if offline else "OpenStreetMap",
        prefer_canvas=True,
        control_scale=True,
        **({"maxZoom": 20, "minZoom": 3} if offline else {}),
        **kwargs,
    )
    m.fit_bounds([[s, w], [n, e]])
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
    folium = cls["folium"]
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
    folium.LayerControl(collapsed=False).add_to(m)
    m.coverage_counts = counts
    return m


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
    if offline:
        if not is_offline:
            _offline.prepare_offline(root)
            html = _offline.inline_assets(root.render())
        _offline.check_offline(html)
    return _offline.save_html(html, path)


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
        handles = [Line2D([], [], color=TIER_COLOURS.get(t, "#1a9850"), label=t) for t in names]
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
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
