"""Open the maps in a real headless Chromium, offline.

Debian's ``chromium`` driven by the ``playwright`` package: every request that
is not ``file://`` is aborted and recorded, so a map that needs the network
shows up as a failed request. Skipped with a reason when Chromium or
playwright is missing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from coverage.render import render_comparison, render_map, save_map
from coverage.render._prepare import (
    corridor_runs,
    plan_tier_weights,
    quality_codes,
    tier_names,
    to_lonlat,
)

CHROMIUM = Path(os.environ.get("COVERAGE_CHROMIUM", "/usr/bin/chromium"))
X0, Y0 = 836_000.0, 818_000.0  # the origin of tests/render/conftest.py's scene

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
    ),
]


class Opened:
    """A loaded page and what happened while loading it."""

    def __init__(self, page, failed, errors, dialogs, blocked, load_s):
        self.page, self.failed, self.errors = page, failed, errors
        self.dialogs, self.blocked, self.load_s = dialogs, blocked, load_s

    def assert_clean(self):
        assert self.failed == [], f"failed requests: {self.failed[:5]}"
        assert self.blocked == [], f"network requests: {self.blocked[:5]}"
        assert self.errors == [], f"page errors: {self.errors[:5]}"
        assert self.dialogs == [], f"dialogs fired: {self.dialogs}"

    def paths(self, index: int = 0) -> int:
        """Vector layers (L.Path) drawn on the `index`-th map of the page."""
        return self.page.evaluate(
            """(i) => { const id = document.querySelectorAll('.folium-map')[i].id;
                        const m = window[id]; let n = 0;
                        m.eachLayer(l => { if (l instanceof L.Path) n++; }); return n; }""",
            index,
        )

    def pixel(self, lat: float, lon: float, index: int = 0) -> tuple[float, float]:
        return tuple(
            self.page.evaluate(
                """([lat, lon, i]) => { const el = document.querySelectorAll('.folium-map')[i];
                       const p = window[el.id].latLngToContainerPoint([lat, lon]);
                       const r = el.getBoundingClientRect();
                       return [p.x + r.left, p.y + r.top]; }""",
                [lat, lon, index],
            )
        )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    scratch = tmp_path_factory.mktemp("chromium")
    (scratch / "home").mkdir()
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(scratch / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            env={**os.environ, "HOME": str(scratch / "home")},
            viewport={"width": 1200, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture
def open_map(browser):
    pages = []

    def _open(path: Path) -> Opened:
        page = browser.new_page()
        pages.append(page)
        failed, errors, dialogs, blocked = [], [], [], []
        page.on("requestfailed", lambda r: failed.append(r.url[:120]))
        page.on("pageerror", lambda e: errors.append(str(e)))

        def on_dialog(d):
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                blocked.append(r.request.url[:120])
                r.abort()

        page.route("**/*", route)
        t0 = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load")
        load_s = time.perf_counter() - t0
        page.wait_for_timeout(200)  # let late handlers (sync, heat redraw) run
        # requests aborted by us count as "failed" too; keep only genuine failures
        genuine = [u for u in failed if u not in blocked]
        return Opened(page, genuine, errors, dialogs, blocked, load_s)

    yield _open
    for p in pages:
        p.close()


def _expected_paths(scene, plan) -> int:
    """Vector features the tiny map must draw, counted from the inputs."""
    tier_weights = plan_tier_weights(plan)
    names = tier_names(tier_weights)
    codes = quality_codes(plan.demand["quality"], tier_weights)
    runs, _, _ = corridor_runs(scene.corridors, plan.demand, codes, len(names) - 1)
    sets = 2 * len(plan.cameras)  # wedges (one shape per set) + pole
    return len(scene.districts) + 1 + len(scene.privacy_zones) + len(runs) + sets


def _lonlat(scene, x, y):
    p = to_lonlat(np.array([shapely.Point(X0 + x, Y0 + y)]), scene.crs)[0]
    return p.y, p.x


def test_tiny_map_offline(open_map, tmp_path, tiny):
    scene, plan = tiny
    path = save_map(render_map(scene, plan), tmp_path / "tiny.html")
    o = open_map(path)
    o.assert_clean()
    assert o.paths() == _expected_paths(scene, plan)
    # hover an empty corner of the West district: its tooltip appears
    o.page.mouse.move(*o.pixel(*_lonlat(scene, 15, 185)))
    tip = o.page.wait_for_selector(".leaflet-tooltip", timeout=3000)
    assert "West" in tip.inner_text() and "Coverage after" in tip.inner_text()
    # hover an unwatched stretch of Nathan Road: the corridor tooltip
    o.page.mouse.move(1, 1)
    target = o.page.evaluate(
        """() => { const e = document.querySelector('.folium-map'), m = window[e.id];
                   let out = null;
                   m.eachLayer(l => { const t = l.getTooltip && l.getTooltip();
                     if (!out && t && /Nathan Road.*unwatched/.test(t.getContent())) {
                       const ll = l.getLatLngs(), a = ll[0], b = ll[ll.length - 1];
                       const mid = [(a.lat + b.lat) / 2, (a.lng + b.lng) / 2];
                       const p = m.latLngToContainerPoint(mid);
                       const r = e.getBoundingClientRect(); out = [p.x + r.left, p.y + r.top]; } });
                   return out; }"""
    )
    o.page.wait_for_timeout(100)  # Leaflet's canvas ignores moves within 32 ms of the last
    o.page.mouse.move(*target)
    tip = o.page.wait_for_selector(".leaflet-tooltip >> text=Nathan Road", timeout=3000)
    assert "Nathan Road (primary): unwatched" in tip.inner_text()
    # click the lane set's pole: its popup
    o.page.mouse.move(1, 1)
    o.page.wait_for_timeout(100)
    o.page.mouse.click(*o.pixel(*_lonlat(scene, 40, 45)))  # inside its north wedge
    popup = o.page.wait_for_selector(".leaflet-popup-content", timeout=3000)
    text = popup.inner_text().replace("\xa0", " ")
    lane = plan.cameras[plan.cameras["rank"] == 2].iloc[0]
    share = 100 * lane["gain"] / plan.demand["weight"].sum()
    assert "New set #2" in text
    assert f"Gain\t{lane['gain']:,.4g} covered weight ({share:.2f}% of all demand weight)" in text
    assert "Cameras\t3 cameras, 90° field of view, 40 m range" in text
    lon, lat = Transformer.from_crs(2326, 4326, always_xy=True).transform(X0 + 40, Y0 + 20)
    assert f"Position\t{lat:.5f}° N, {lon:.5f}° E" in text
    # a click on the pole itself, where the pole stands on its street: the set's popup, not
    # the street's tooltip (the corridors are drawn under the sets)
    o.page.keyboard.press("Escape")
    o.page.evaluate(
        "() => { const e = document.querySelector('.folium-map'); window[e.id].closePopup(); }"
    )
    o.page.mouse.move(1, 1)
    o.page.wait_for_timeout(100)
    o.page.mouse.click(*o.pixel(*_lonlat(scene, 40, 20)))
    popup = o.page.wait_for_selector('.leaflet-popup-content:has-text("New set #2")', timeout=3000)
    assert "Headings" in popup.inner_text()
    assert o.page.locator(".leaflet-control-layers-overlays label").count() == 9
    assert "DATA.GOV.HK" in o.page.inner_text(".leaflet-control-attribution")
    shot = tmp_path / "tiny.png"
    o.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_injection_payloads_show_as_text(open_map, tmp_path, make_map_case):
    payloads = ("<img src=x onerror=alert(1)>", "${alert(1)}</script><script>alert(2)</script>")
    scene, plan = make_map_case(
        payloads,
        owners=("<b onmouseover=alert(3)>police</b>", "`${alert(4)}`"),
        privacy_name="<svg onload=alert(5)>",
        attribution=("<img src=y onerror=alert(6)>",),
    )
    plan.cameras["notes"] = ["<script>alert(8)</script>", None, "", "`${alert(9)}`"]
    m = render_map(scene, plan, title="${alert(7)}", layer_names={"Hotspots": "<i>x</i>"})
    o = open_map(save_map(m, tmp_path / "evil.html"))
    o.assert_clean()
    assert o.page.locator("img[src=x], img[src=y], svg[onload]").count() == 0
    o.page.mouse.move(*o.pixel(*_lonlat(scene, 15, 185)))
    tip = o.page.wait_for_selector(".leaflet-tooltip", timeout=3000)
    assert payloads[0] in tip.inner_text()  # shown literally
    assert "<img src=y onerror=alert(6)>" in o.page.inner_text(".leaflet-control-attribution")
    assert "<i>x</i>" in o.page.inner_text(".leaflet-control-layers")
    o.page.mouse.move(1, 1)
    o.page.wait_for_timeout(100)
    o.page.mouse.click(*o.pixel(*_lonlat(scene, 40, 45)))  # the lane set: its popup
    popup = o.page.wait_for_selector(".leaflet-popup-content", timeout=3000)
    assert "`${alert(9)}`" in popup.inner_text()
    o.page.screenshot(path=str(tmp_path / "evil.png"))
    assert o.dialogs == []


def test_comparison_offline(open_map, tmp_path, tiny):
    scene, plan = tiny
    fig = render_comparison(scene, plan, plan, labels=("Before", "After"))
    o = open_map(save_map(fig, tmp_path / "cmp.html"))
    o.assert_clean()
    assert o.paths(0) == o.paths(1) == _expected_paths(scene, plan)
    # zooming the left map moves the right one
    o.page.evaluate(
        "() => { const e = document.querySelectorAll('.folium-map')[0]; window[e.id].zoomIn(); }"
    )
    o.page.wait_for_timeout(300)
    zooms = o.page.evaluate(
        "() => Array.from(document.querySelectorAll('.folium-map'))"
        ".map(e => window[e.id].getZoom())"
    )
    assert zooms[0] == zooms[1]
    o.page.screenshot(path=str(tmp_path / "cmp.png"))


def test_dense_corridor_canvas(open_map, tmp_path, tiny):
    """Past max_corridor_features the corridors go on one canvas: drawn, no errors."""
    scene, plan = tiny
    m = render_map(scene, plan, max_corridor_features=0, heat=False)
    o = open_map(save_map(m, tmp_path / "dense.html"))
    o.assert_clean()
    # the canvas holds grey (unwatched) and green (identify) street pixels
    colours = o.page.evaluate(
        """() => { const c = document.querySelector('canvas.coverage-lines');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let grey = 0, green = 0;
                   for (let i = 0; i < d.length; i += 4) {
                     if (d[i + 3] < 100) continue;
                     const near = (r, g, b) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - g)
                                               + Math.abs(d[i + 2] - b) < 9;
                     if (near(0x9e, 0x9e, 0x9e)) grey++;
                     if (near(0x1a, 0x98, 0x50)) green++; }
                   return [grey, green]; }"""
    )
    assert colours[0] > 100 and colours[1] > 100
    # zooming redraws without errors; hiding the layer removes its canvas
    o.page.evaluate(
        "() => { const e = document.querySelector('.folium-map'); window[e.id].zoomOut(); }"
    )
    o.page.wait_for_timeout(400)
    o.page.get_by_text("Corridors (quality tier)").click()
    assert o.page.locator("canvas.coverage-lines").count() == 0
    o.assert_clean()
    o.page.screenshot(path=str(tmp_path / "dense.png"))


def test_marker_cluster_and_default_icons_offline(open_map, tmp_path, tiny):
    """Plugins with a local copy are inlined; Leaflet's marker icons are data URIs."""
    import folium.plugins

    scene, plan = tiny
    m = render_map(scene, plan)
    cluster = folium.plugins.MarkerCluster(name="Landmarks").add_to(m)
    for x, y in ((10, 10), (12, 11), (190, 190)):
        folium.Marker(_lonlat(scene, x, y), tooltip="Landmark").add_to(cluster)
    o = open_map(save_map(m, tmp_path / "cluster.html"))
    o.assert_clean()
    o.page.evaluate(
        "() => { const e = document.querySelector('.folium-map'); window[e.id].setZoom(20); }"
    )
    o.page.wait_for_timeout(600)
    icons = o.page.eval_on_selector_all("img.leaflet-marker-icon", "els => els.map(e => e.src)")
    assert icons and all(src.startswith("data:image/png;base64,") for src in icons)
    o.assert_clean()


def test_sample_city_map_offline(open_map, tmp_path, sample_scene):
    import coverage as cov

    plan = cov.solve(
        cov.Problem(
            sample_scene,
            cov.CameraSet(cameras=3, hfov_deg=90, range_m=40),
            budget=40,
            method="greedy",
        )
    )
    m = render_map(sample_scene, plan)
    o = open_map(save_map(m, tmp_path / "sample.html"))
    o.assert_clean()
    assert o.paths() == sum(m.coverage_counts.values())
    o.page.screenshot(path=str(tmp_path / "sample.png"))


@pytest.mark.browser_heavy
def test_hong_kong_map_offline(open_map, tmp_path, hk_path):
    """The real Hong Kong scene (18 districts, ~90k incidents, TST streets) opens offline."""
    import coverage as cov

    scene = cov.datasets.hong_kong(hk_path)
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    plan = cov.solve(cov.Problem(scene, camera, budget=150, method="greedy"))
    m = render_map(scene, plan)
    o = open_map(save_map(m, tmp_path / "hk.html"))
    o.assert_clean()
    assert o.paths() == sum(m.coverage_counts.values())
    assert "DATA.GOV.HK" in o.page.inner_text(".leaflet-control-attribution")
    o.page.screenshot(path=str(tmp_path / "hk.png"))


@pytest.mark.browser_heavy
def test_hong_kong_size_map(open_map, tmp_path, monkeypatch):
    """4,000 new sets, 1,000 existing, 100,000 corridor segments: under 15 MB, loads clean."""
    # the grid city is benchmark scaffolding (benchmarks/_grid_city.py), shared with bench_map
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _grid_city import grid_city_plan

    scene, plan = grid_city_plan(n_sets=4000, n_segments=100_000, n_existing=1000, rng=0)
    m = render_map(scene, plan)
    path = save_map(m, tmp_path / "hk_size.html")
    assert path.stat().st_size < 15e6
    o = open_map(path)
    o.assert_clean()
    # corridors are on the fast canvas layer (not paths); everything else is a path
    paths = sum(v for k, v in m.coverage_counts.items() if not k.startswith("Corridors"))
    assert o.paths() == paths
    assert o.page.locator("canvas.coverage-lines").count() == 1
    print(f"Hong Kong-size map: {path.stat().st_size / 1e6:.1f} MB, load {o.load_s:.2f} s")
    o.page.screenshot(path=str(tmp_path / "hk_size.png"))


#: What a drawn map looks like from inside its frame: size, paths, fitted view, pixels.
_DRAWN = """() => { const el = document.querySelector('.folium-map'), m = window[el.id];
  let paths = 0; m.eachLayer(l => { if (l instanceof L.Path) paths++; });
  const s = m.getSize(), b = m.getBounds();
  function inked(c) { if (!c || !c.width || !c.height) { return 0; }
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let k = 3; k < d.length; k += 4) { if (d[k] > 0) { n++; } } return n; }
  const canvases = Array.from(el.querySelectorAll('canvas'));
  const heat = el.querySelector('canvas.leaflet-heatmap-layer');
  return {paths: paths, w: s.x, h: s.y, zoom: m.getZoom(), fitted: m.coverageFitted === true,
          view: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()],
          ink: canvases.filter(c => c !== heat).map(inked).reduce((a, v) => a + v, 0),
          heat: inked(heat)}; }"""


#: The map has been fitted and its heat canvas sized (what follows a successful start).
_READY = """() => { const el = document.querySelector('.folium-map');
  const m = el && window[el.id], h = el && el.querySelector('canvas.leaflet-heatmap-layer');
  return !!(m && m.coverageFitted && h && h.width > 0); }"""


def _plan_box(scene, plan):
    """The plan's sets with their range, in lon/lat: (south, west, north, east)."""
    from coverage.render import plan_bounds

    b = to_lonlat(np.array([shapely.box(*plan_bounds(scene, plan))]), scene.crs)[0]
    w, s, e, n = shapely.bounds(b)
    return s, w, n, e


def _assert_drawn(got, scene, plan, m):
    assert got["w"] > 0 and got["h"] > 0, got
    assert got["fitted"], got
    assert got["paths"] == sum(m.coverage_counts.values())
    assert got["ink"] > 1000  # districts, streets, wedges painted on the canvas
    assert got["heat"] > 100  # the incidents' heat layer painted too
    s, w, n, e = _plan_box(scene, plan)
    vs, vw, vn, ve = got["view"]
    assert vs <= s and vw <= w and vn >= n and ve >= e  # the whole plan is in view
    # ... and the view is fitted to it, not to the world (at most a few times its size)
    assert (vn - vs) < 8 * (n - s) + 1e-3


@pytest.mark.slow  # about 13 s: ten page loads (the cause is tested fast below)
def test_report_map_draws_every_time(browser, tmp_path, tiny):
    """The report's embedded map draws on each of 10 loads: sized, fitted, painted, no error."""
    from coverage.report import write_report

    scene, plan = tiny
    path = write_report(tmp_path / "report.html", scene, plan, curve=False)
    m = render_map(scene, plan)
    for _ in range(10):
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.goto(path.resolve().as_uri(), wait_until="load")
        frame = next(f for f in page.frames if f is not page.main_frame)
        frame.wait_for_function(_READY)
        _assert_drawn(frame.evaluate(_DRAWN), scene, plan, m)
        assert errors == []
        page.close()


def test_map_in_a_frame_without_size_draws_once_sized(browser, tmp_path, tiny):
    """The cause of the blank report maps: a frame laid out after the map's script ran.

    The map is loaded into a 0 x 0 frame, which gets its size only after the
    map's document has loaded. The map must not fail (the heat layer's
    ``getImageData`` on a zero-width canvas did) and must fit and draw then.
    """
    scene, plan = tiny
    m = render_map(scene, plan)
    save_map(m, tmp_path / "map.html")
    host = tmp_path / "host.html"
    host.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<iframe id="f" style="width:0;height:0;border:0"></iframe><script>'
        'var f = document.getElementById("f"); f.addEventListener("load", function () {'
        ' setTimeout(function () { f.style.width = "900px"; f.style.height = "600px"; }, 200);'
        ' }); f.src = "map.html";</script></body></html>',
        encoding="utf-8",
    )
    for _ in range(3):
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(host.resolve().as_uri(), wait_until="load")
        frame = next(f for f in page.frames if f is not page.main_frame)
        frame.wait_for_function(_READY)
        got = frame.evaluate(_DRAWN)
        assert errors == []
        assert (got["w"], got["h"]) == (900, 600)
        _assert_drawn(got, scene, plan, m)
        page.close()
