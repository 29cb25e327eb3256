"""write_report: one self-contained, escaped HTML file (tiny scene, see test_plan)."""

from __future__ import annotations

import base64
import dataclasses
import html
import re

import geopandas as gpd
import pandas as pd
import pytest
from conftest import X0, Y0, tiny_layers, tiny_poles
from shapely.geometry import Point

import coverage as cov
from coverage.errors import InputError
from coverage.evaluation import compare, coverage_curve, evaluate
from coverage.report import check_self_contained, report_html, write_report

CAMERA = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
EVIL = "<img src=x onerror=alert(1)>"


def _scene(*, incidents: bool = True) -> cov.Scene:
    with_incidents = incidents
    layers = tiny_layers()
    layers["districts"]["name"] = [EVIL, "East"]
    layers["districts"]["population"] = [1000.0, 2000.0]
    cams = layers["cameras"]
    cams["owner"] = ["<script>alert('owner')</script>"]
    incidents = gpd.GeoDataFrame(
        {"category": ["theft", "<b>assault</b>"], "weight": 1.0},
        geometry=[Point(X0 + 30, Y0 + 100), Point(X0 + 150, Y0 + 100)],
        crs="EPSG:2326",
    )
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=cams,
        hotspots=incidents if with_incidents else None,
        name="Tiny <town> & co",
        attribution=("© OpenStreetMap contributors <ODbL>", "Incidents: made up"),
    )


@pytest.fixture(scope="module")
def solved():
    """The budget-1 plan of the paper (solved without incidents, so weights are footfall)."""
    base = _scene(incidents=False)
    problem = cov.Problem(base, CAMERA, budget=1, poles=tiny_poles(), candidates="poles")
    return _scene(), cov.solve(problem)


@pytest.fixture(scope="module")
def page(solved, tmp_path_factory):
    scene, plan = solved
    base = _scene(incidents=False)
    two = cov.solve(cov.Problem(base, CAMERA, budget=2, poles=tiny_poles(), candidates="poles"))
    path = tmp_path_factory.mktemp("report") / "plan.html"
    out = write_report(
        path,
        scene,
        plan,
        comparison=compare(scene, plan, two, labels=("one", "two")),
        notes=["Draft <for> review"],
    )
    assert out == path
    return path.read_text(encoding="utf-8")


def _outer(text: str) -> str:
    """The page without the embedded map document and without the inlined PNG."""
    text = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', text)
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", text)


def _srcdoc(text: str) -> str:
    m = re.search(r'srcdoc="([^"]*)"', text)
    assert m is not None
    return html.unescape(m.group(1))


def test_nothing_loads_from_the_network(page):
    outer = _outer(page)
    # no tag in the page points anywhere but a data: URI
    refs = re.findall(r"""<[a-z]+[^>]*\s(?:src|href)\s*=\s*["']?([^"'\s>]*)""", outer, re.I)
    assert refs, "the curve image should be there"
    assert all(r.startswith("data:") for r in refs)
    assert not re.search(r"https?://", outer)
    # the map inside the iframe loads nothing either
    inner = _srcdoc(page)
    assert "<html" in inner.lower()
    loads = re.findall(
        r"""<(?:script|link|img|iframe)[^>]*\s(?:src|href)\s*=\s*["']?(https?:)?//""", inner, re.I
    )
    assert loads == []


def test_user_strings_are_escaped(page):
    outer = _outer(page)
    assert EVIL not in outer
    assert html.escape(EVIL) in outer
    assert "<town>" not in outer and "Tiny &lt;town&gt; &amp; co" in outer
    assert "<b>assault</b>" not in outer and "&lt;b&gt;assault&lt;/b&gt;" in outer
    assert "<for>" not in outer and "Draft &lt;for&gt; review" in outer
    assert "<script>alert" not in page
    # the only live tags are ours
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", outer))
    assert tags <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "div", "b",
        "iframe", "table", "thead", "tbody", "tr", "th", "td", "img", "footer",
    }  # fmt: skip
    # the map escapes the district name too
    assert EVIL not in _srcdoc(page)


def test_district_table_values(page, solved):
    scene, plan = solved
    outer = _outer(page)
    # West: 60.0% -> 70.0% weighted; East: 0.0% -> 45.0%; totals 20.0% -> 53.3%
    row = re.search(
        r"<tr><td class=\"t\">" + re.escape(html.escape(EVIL)) + r"</td>(.*?)</tr>", outer
    )
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    d = plan.demand
    west, east_d = d[d["district"] == EVIL], d[d["district"] == "East"]
    assert cells[:6] == [
        "0",
        "1",
        f"{len(west):,}",
        f"{west['weight'].sum():,.1f}",
        "60.0%",
        "70.0%",
    ]
    east = re.search(r"<tr><td class=\"t\">East</td>(.*?)</tr>", outer)
    assert re.findall(r"<td>(.*?)</td>", east.group(1))[:6] == [
        "1",
        "0",
        f"{len(east_d):,}",
        f"{east_d['weight'].sum():,.1f}",
        "0.0%",
        "45.0%",
    ]
    assert "53.3%" in outer
    # per 10,000 residents: one set for 1,000 (West) and 2,000 (East) residents
    assert "<td>10.00</td>" in row.group(1) and "<td>5.00</td>" in east.group(1)
    # incidents: the West one is seen by the existing set, the East one by the new set
    report = evaluate(scene, plan, continuity=False)
    assert report.total["incidents_covered"] == 2
    assert "1 → 2 of 2" in outer


def test_headline_curve_timings_attribution(page, solved):
    _, plan = solved
    outer = _outer(page)
    assert f"{plan.objective:,.1f}" in outer and f"{plan.upper_bound:,.1f}" in outer
    assert "optimality gap" in outer
    for stage in plan.meta["timings_s"]:
        assert f'<td class="t">{stage}</td>' in outer
    assert "© OpenStreetMap contributors &lt;ODbL&gt;" in outer
    assert "Incidents: made up" in outer
    png = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert png is not None and base64.b64decode(png.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Plan comparison" in outer and "+20.0 pts" in outer
    assert "Longest unobserved stretch" in outer


def test_report_without_map_or_curve(solved):
    scene, plan = solved
    text = report_html(scene, plan, curve=False, include_map=False, title="Only tables")
    assert "<iframe" not in text
    assert "data:image/png" not in text
    assert "<title>Only tables</title>" in text


def test_given_curve_is_drawn(solved):
    scene, plan = solved
    curve = coverage_curve(plan, [0, 1, 3], method="exact")
    text = report_html(scene, plan, curve=curve, include_map=False)
    assert "data:image/png;base64," in text
    assert "<td>46.0</td>" in text  # budget 3 on paper


def test_write_is_atomic(solved, tmp_path, monkeypatch):
    scene, plan = solved
    path = tmp_path / "r.html"
    path.write_text("old", encoding="utf-8")

    def boom(*args, **kwargs):
        msg = "render failed"
        raise RuntimeError(msg)

    monkeypatch.setattr("coverage.report.report_html", boom)
    with pytest.raises(RuntimeError):
        write_report(path, scene, plan)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_check_self_contained():
    check_self_contained('<img src="data:image/png;base64,AAAA"><a href="#top">top</a>')
    check_self_contained('<iframe srcdoc="&lt;script src=&quot;https://x&quot;&gt;"></iframe>')
    for bad in (
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/x.css">',
        "<img src=x>",
        "<style>body{background:url(https://x/y.png)}</style>",
    ):
        with pytest.raises(InputError, match="not self-contained"):
            check_self_contained(bad)


def test_phases_table(solved):
    scene, _ = solved
    base = _scene(incidents=False)
    phased = cov.solve(
        cov.Problem(base, CAMERA, budget=(1, 1), poles=tiny_poles(), candidates="poles")
    )
    text = report_html(scene, phased, curve=False, include_map=False)
    assert "<h2>Phases</h2>" in text
    table = text[text.index("<h2>Phases</h2>") :]
    assert "<td>32.0</td>" in table and "<td>40.0</td>" in table  # after phase 1, after phase 2


def test_report_names_the_working_crs(page):
    outer = _outer(page)
    line = "Distances in metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System)."
    assert f'<p class="note crs">{line}</p>' in outer
    assert "x and y: metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System); latitude" in outer
    assert "in the working CRS EPSG:2326 (Hong Kong 1980 Grid System): (" in outer  # stretch
    assert line[:-1] in _srcdoc(page)  # and in the map's legend


def test_report_crs_from_plan_meta(solved):
    scene, plan = solved
    meta = {**plan.meta, "crs": "EPSG:32650"}
    other = dataclasses.replace(plan, meta=meta)
    text = report_html(scene, other, curve=False, include_map=False)
    assert "working CRS EPSG:32650 (WGS 84 / UTM zone 50N)" in text


def _lonlat(x, y):
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(2326, 4326, always_xy=True).transform(x, y)
    return f"{lat:.5f}° N, {lon:.5f}° E"


def test_stretch_and_routes_are_named_with_streets_and_lonlat(page, solved):
    scene, plan = solved
    outer = html.unescape(_outer(page))
    cont = evaluate(scene, plan).continuity
    (x0, y0), (x1, y1) = cont.longest_unwatched_ends
    # each end lies on one of the two streets; both are named with lon/lat
    for x, y in ((x0, y0), (x1, y1)):
        street = "H street" if abs(y - (Y0 + 100)) < 1e-6 else "V street"
        assert f"{street} ({_lonlat(x, y)})" in outer
    assert f"({x0:.0f}, {y0:.0f}) to ({x1:.0f}, {y1:.0f}) m." in outer


def test_routes_are_named_with_streets_and_lonlat():
    from coverage.evaluation.routes import route_ends

    layers = tiny_layers()
    landmarks = gpd.GeoDataFrame(
        {"name": ["Clock <tower>", ""]},
        geometry=[Point(X0 + 100, Y0 + 195), Point(X0 + 5, Y0 + 100)],
        crs="EPSG:2326",
    )
    incidents = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0]},
        geometry=[Point(X0 + 190, Y0 + 100), Point(X0 + 100, Y0 + 5)],
        crs="EPSG:2326",
    )
    scene = cov.Scene(
        layers["districts"], layers["corridors"], hotspots=incidents, landmarks=landmarks
    )
    plan = cov.solve(cov.Problem(scene, CAMERA, budget=1, method="greedy"))
    routes = evaluate(scene, plan).continuity.routes
    assert len(routes) >= 1  # ends are picked 300 m apart: one landmark, one hotspot here
    text = report_html(scene, plan, curve=False, include_map=False)
    table = html.unescape(text[text.index("Least watched routes") :])
    ends = pd.concat(route_ends(scene, plan), ignore_index=True).set_index("name")
    for name in set(routes["origin"]) | set(routes["target"]):
        x, y = ends.loc[name, ["x", "y"]]
        street = "H street" if abs(y - (Y0 + 100)) < 1 else "V street"
        assert f"{name} on {street} ({_lonlat(x, y)})" in table
    assert "Clock <tower> on V street" in table  # the landmark's own name, escaped in the page
    assert "Clock <tower>" not in text


def test_camera_and_new_sets_in_words(page, solved):
    _, plan = solved
    outer = html.unescape(_outer(page))
    assert '<td class="t">2 cameras, 90° field of view, 40 m range</td>' in outer
    assert "CameraSet(" not in outer
    new = plan.cameras[plan.cameras["status"] == "new"].iloc[0]
    assert _lonlat(new.geometry.x, new.geometry.y) in outer


def test_camera_words():
    from coverage.report import camera_words

    assert camera_words(repr(cov.CameraSet(cameras=1, hfov_deg=360, range_m=25))) == (
        "1 camera, 360° field of view, 25 m range"
    )
    cams = gpd.GeoDataFrame({"status": ["new", "existing"], "range_m": [61.5, 40.0]})
    dori = "CameraSet(cameras=3, hfov_deg=90.0, range_m=None, resolution_px=1920)"
    assert camera_words(dori, cams) == "3 cameras, 90° field of view, 61.5 m range, 1,920 px wide"


def test_outside_row_shows_its_counts():
    layers = tiny_layers()
    # the H street runs on 60 m past the districts' east edge (x = 200)
    from shapely.geometry import LineString

    layers["corridors"].loc[0, "geometry"] = LineString([(X0, Y0 + 100), (X0 + 260, Y0 + 100)])
    scene = cov.Scene(layers["districts"], layers["corridors"], name="Edge")
    plan = cov.solve(cov.Problem(scene, CAMERA, budget=1, method="greedy"))
    out = plan.demand[plan.demand["district"].isin(["", "(outside districts)"])]
    assert len(out) > 0
    text = report_html(scene, plan, curve=False, include_map=False)
    row = re.search(r'<tr><td class="t">\(outside districts\)</td>(.*?)</tr>', text)
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[2:4] == [f"{len(out):,}", f"{out['weight'].sum():,.1f}"]


def test_progress_names_each_step(solved):
    scene, plan = solved
    steps = []
    report_html(scene, plan, progress=steps.append, curve_time_limit_s=1)
    assert steps == ["evaluate", "curve", "figure", "map", "tables", "check"]
    steps.clear()
    report = evaluate(scene, plan)
    report_html(scene, plan, report=report, curve=False, include_map=False, progress=steps.append)
    assert steps == ["tables", "check"]


def test_write_report_passes_land_to_the_map(solved, tmp_path):
    from shapely.geometry import box

    scene, plan = solved
    land = gpd.GeoDataFrame(geometry=[box(X0 - 5, Y0 - 5, X0 + 150, Y0 + 205)], crs=2326)
    land.attrs["attribution"] = "Coast: hand-drawn"
    steps = []
    path = write_report(
        tmp_path / "r.html", scene, plan, curve=False, land=land, progress=steps.append
    )
    inner = _srcdoc(path.read_text(encoding="utf-8"))
    assert "Coast: hand-drawn" in inner and "#cfe2f3" in inner
    assert steps == ["evaluate", "map", "tables", "check", "write"]
