"""Maps: tiers, corridor runs, wedges, district stats, offline HTML, escaping, figures.

The scene and plan are real (``tests/render/conftest.py``: solved by the
pipeline). Browser checks live in ``test_browser.py``.
"""

from __future__ import annotations

import dataclasses
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage.errors import InputError, ParameterError
from coverage.render import (
    OfflineError,
    _offline,
    plot_curve,
    plot_map,
    render_comparison,
    render_map,
    save_map,
)
from coverage.render._prepare import (
    choropleth_colour,
    corridor_runs,
    district_stats,
    escape_text,
    pack_lines,
    plan_tier_weights,
    quality_codes,
    quality_tier,
    set_wedges,
)

X0, Y0 = 836_000.0, 818_000.0  # the origin of tests/render/conftest.py's scene
PAYLOADS = ("<img src=x onerror=alert(1)>", "${alert(1)}", "</script><script>alert(2)</script>")
DORI = {"identify": 1.0, "recognise": 0.75, "observe": 0.5, "detect": 0.25}


def _gdf(data, geometry):
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:2326")


@pytest.fixture(scope="module")
def tiny_html(tiny):
    scene, plan = tiny
    return render_map(scene, plan).get_root().render()


# ----------------------------------------------------------------------------- tiers


def test_quality_tier_dori_thresholds():
    q = [0.0, 1.0, 0.999_999_9, 0.75, 0.6, 0.5, 0.3, 0.25, 0.1]
    got = quality_tier(q, DORI).tolist()
    assert got == [
        "unwatched",
        "identify",
        "identify",  # within rtol of 1.0
        "recognise",
        "observe",
        "observe",
        "detect",
        "detect",
        "detect",  # positive but below every weight: weakest tier
    ]


def test_quality_tier_binary_and_order_independent():
    assert quality_tier([0, 0.3, 1]).tolist() == ["unwatched", "covered", "covered"]
    shuffled = dict(reversed(list(DORI.items())))
    assert quality_tier([0.8], shuffled).tolist() == ["recognise"]
    assert quality_codes([0.0, 1.0], DORI).tolist() == [4, 0]


@pytest.mark.parametrize("bad", [{"identify": 0.0}, {"identify": 1.5}, {}])
def test_quality_tier_rejects_bad_weights(bad):
    with pytest.raises(ParameterError, match="tier_weights"):
        quality_tier([0.5], bad)


def test_plan_tier_weights_lookup(tiny):
    _, plan = tiny
    assert plan_tier_weights(plan) == DORI  # from the CameraSet recorded in meta
    recorded = dataclasses.replace(plan, meta={"tier_weights": {"sharp": 1.0, "soft": 0.5}})
    assert plan_tier_weights(recorded) == {"sharp": 1.0, "soft": 0.5}
    binary = dataclasses.replace(plan, demand=plan.demand.assign(quality=1.0), meta={})
    assert plan_tier_weights(binary) is None
    inferred = dataclasses.replace(plan, meta={})  # no meta: DORI defaults
    assert plan_tier_weights(inferred) == {
        "detect": 0.25,
        "observe": 0.5,
        "recognise": 0.75,
        "identify": 1.0,
    }


# ----------------------------------------------------------------------------- corridor runs


def _corridors(*lines):
    return _gdf(
        {"footfall": 1.0, "name": [f"c{i}" for i in range(len(lines))], "kind": ""},
        [shapely.LineString(c) for c in lines],
    )


def _demand(points, corridor):
    return _gdf({"corridor": corridor}, shapely.points(points))


def test_corridor_runs_cut_at_midpoints_and_merge_equal_tiers():
    corr = _corridors([(0, 0), (100, 0)])
    dem = _demand([(90, 0), (10, 0), (30, 0), (50, 0), (70, 0)], [0] * 5)  # unsorted on purpose
    codes = np.array([0, 0, 0, 1, 1])  # by row: 90->0, 10->0, 30->0, 50->1, 70->1
    lines, code, ci = corridor_runs(corr, dem, codes, unwatched=2)
    got = sorted(
        (shapely.get_coordinates(g)[0, 0], shapely.get_coordinates(g)[-1, 0], c)
        for g, c in zip(lines, code, strict=True)
    )
    assert got == [(0.0, 40.0, 0), (40.0, 80.0, 1), (80.0, 100.0, 0)]
    assert ci.tolist() == [0, 0, 0]
    assert sum(shapely.length(lines)) == pytest.approx(100.0)


def test_corridor_runs_keep_bends_and_unsampled_corridors():
    corr = _corridors([(0, 0), (50, 0), (50, 50)], [(0, 10), (0, 30)])
    dem = _demand([(20, 0), (50, 10)], [0, 0])  # positions 20 and 60: cut at 40
    lines, code, ci = corridor_runs(corr, dem, np.array([1, 0]), unwatched=2)
    by = {
        (int(c), int(k)): shapely.get_coordinates(g).tolist()
        for g, c, k in zip(lines, code, ci, strict=True)
    }
    assert by[(1, 0)] == [[0, 0], [40, 0]]
    assert by[(0, 0)] == [[40, 0], [50, 0], [50, 50]]  # the bend is kept
    assert by[(2, 1)] == [[0, 10], [0, 30]]  # no demand: one unwatched run


def test_corridor_runs_follow_corridor_labels():
    corr = _corridors([(0, 0), (10, 0)], [(0, 5), (10, 5)])
    corr.index = [7, 3]
    dem = _demand([(5, 5)], [3])
    _lines, code, ci = corridor_runs(corr, dem, np.array([0]), unwatched=1)
    assert sorted(zip(ci.tolist(), code.tolist(), strict=True)) == [(0, 1), (1, 0)]


def test_pack_lines_matches_web_mercator_pixels():
    from pyproj import Transformer

    lines = np.array(
        [
            shapely.MultiLineString(
                [[(114.17, 22.30), (114.18, 22.31)], [(114.0, 22.2), (114.0, 22.25)]]
            ),
            shapely.LineString([(-0.1, 51.5), (0.0, 51.51), (0.1, 51.49)]),
        ]
    )
    packed = pack_lines(lines)
    to3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    half = math.pi * 6378137.0
    for g, p in zip(lines, packed, strict=True):
        xy = np.cumsum(np.asarray(p["d"]).reshape(-1, 2), axis=0)
        x, y = to3857.transform(*shapely.get_coordinates(g).T)
        px = (np.asarray(x) + half) / (2 * half) * 256 * 2**18
        py = (half - np.asarray(y)) / (2 * half) * 256 * 2**18
        assert np.abs(xy[:, 0] - px).max() <= 0.51 and np.abs(xy[:, 1] - py).max() <= 0.51
        assert p["n"] == [len(part.coords) for part in shapely.get_parts(g)]


# ----------------------------------------------------------------------------- wedges


def test_set_wedges_geometry():
    cams = _gdf(
        {
            "headings_deg": [(90.0,), (0.0,), (0.0,)],
            "hfov_deg": [60.0, 90.0, 360.0],
            "range_m": 20.0,
        },
        shapely.points([(0.0, 0.0), (100.0, 0.0), (0.0, 100.0)]),
    )
    w, row = set_wedges(cams)
    assert row.tolist() == [0, 1, 2]
    # area of a circular sector, polygonised (slightly smaller)
    for poly, fov in zip(w, (60.0, 90.0, 360.0), strict=True):
        exact = math.pi * 400 * fov / 360
        assert 0.97 * exact < shapely.area(poly) <= exact
    assert shapely.contains_xy(w[0], 15.0, 0.0)  # east of the first pole
    assert not shapely.contains_xy(w[0], 0.0, 15.0)  # north: outside a 60° east wedge
    assert not shapely.contains_xy(w[0], -5.0, 0.0)  # behind it
    assert shapely.contains_xy(w[2], -10.0, 95.0)  # full circle


def test_set_wedges_clipped_by_buildings():
    cams = _gdf(
        {"headings_deg": [(90.0,)], "hfov_deg": 60.0, "range_m": 40.0},
        [shapely.Point(0, 0)],
    )
    wall = np.array([shapely.box(10, -5, 12, 5)])
    open_w, row = set_wedges(cams)
    clipped, _ = set_wedges(cams, buildings=wall)
    assert row.tolist() == [0]
    assert shapely.contains_xy(open_w[0], 30.0, 0.0)
    assert not shapely.contains_xy(clipped[0], 30.0, 0.0)  # hidden behind the wall
    assert shapely.contains_xy(clipped[0], 5.0, 0.0)  # in front of it
    assert shapely.contains_xy(clipped[0], 30.0, 15.0)  # beside the shadow


def test_set_wedges_one_per_camera(tiny):
    _, plan = tiny
    _wedges, row = set_wedges(plan.cameras)
    assert np.bincount(row).tolist() == [len(h) for h in plan.cameras["headings_deg"]]


# ----------------------------------------------------------------------------- districts


def test_district_stats_by_brute_force(tiny):
    scene, plan = tiny
    stats = district_stats(scene, plan).set_index("district")
    d = plan.demand
    A = plan.matrix.A.toarray()
    before_q = A[plan.matrix.fixed].max(axis=0)  # what the existing sets alone reach
    for name in scene.districts["name"]:
        tot = cov = before = 0.0
        for j, r in d.reset_index(drop=True).iterrows():
            if r["district"] != name:
                continue
            tot += r["weight"]
            cov += r["weight"] * r["quality"]
            before += r["weight"] * before_q[j]
        assert stats.loc[name, "weight_total"] == pytest.approx(tot)
        assert stats.loc[name, "weighted_coverage"] == pytest.approx(cov / tot)
        assert stats.loc[name, "weighted_coverage_before"] == pytest.approx(before / tot)
    # both new sets and both existing ones stand in West (x = 100 is West's edge)
    assert stats["sets_new"].to_dict() == {"West": 2, "East": 0}
    assert stats["sets_existing"].to_dict() == {"West": 2, "East": 0}
    # incidents: West holds (95,105) seen by the crossing set's 300° camera, (30,20) by the
    # lane set's 240° one, and (100,40), 60 m south of the crossing (out of range);
    # East holds (150,100) (unwatched stretch) and (105,98) (azimuth 112°, between the
    # crossing set's 60° and 180° cameras)
    assert plan.cameras["headings_deg"].iloc[2] == (60.0, 180.0, 300.0)
    assert stats["incidents"].to_dict() == {"West": 3, "East": 2}
    assert stats["incidents_covered"].to_dict() == {"West": 2, "East": 0}


def test_choropleth_colour_bins():
    got = choropleth_colour(np.array([0.0, 0.19, 0.2, 0.99, 1.0, np.nan]))
    assert got.tolist() == ["#f7fcf5", "#f7fcf5", "#c7e9c0", "#006d2c", "#006d2c", "#ffffff"]


# ----------------------------------------------------------------------------- offline HTML


def test_offline_map_inlines_everything(tiny_html):
    html = tiny_html
    assert "<script src=" not in html and "<link " not in html
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html
    assert "bootstrap" not in html.lower() and "font-awesome" not in html.lower()
    assert "(c) 2010-2022 Vladimir Agafonkin" in html  # licence header kept
    assert "url(images/" not in html and "data:image/png;base64," in html
    assert "L.Icon.Default.mergeOptions" in html
    assert '"maxZoom": 20' in html and '"preferCanvas": true' in html
    assert "L.control.scale()" in html and "L.control.layers(" in html
    _offline.check_offline(html)


def test_offline_styles_are_feature_properties(tiny_html):
    assert "switch(feature" not in tiny_html.replace(" ", "")
    assert '"properties":{"style":{"fillColor":' in tiny_html


def test_folium_class_lists_untouched(tiny):
    import folium
    import folium.plugins

    before = (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js))
    scene, plan = tiny
    render_map(scene, plan).get_root().render()
    assert (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js)) == before
    assert any(u.startswith("https://") for _, u in folium.Map.default_js)


def test_online_map_keeps_tiles(tiny, tmp_path):
    scene, plan = tiny
    m = render_map(scene, plan, offline=False)
    out = save_map(m, tmp_path / "online.html")  # no offline check by default
    html = out.read_text()
    assert "tile.openstreetmap.org" in html and "<script src=" in html
    with pytest.raises(OfflineError, match="not self-contained"):
        save_map(m, tmp_path / "forced.html", offline=True)  # tiles need the network
    assert not (tmp_path / "forced.html").exists()


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/x.css"/>',
        "<style>.a{background:url(http://x/y.png)}</style>",
        "<style>@import 'x.css';</style>",
        "<p>see https://example.org</p>",
        '<img src="images/local.png">',
    ],
)
def test_check_offline_fails_closed(snippet):
    with pytest.raises(OfflineError, match="not self-contained"):
        _offline.check_offline(f"<html><body>{snippet}</body></html>")


def test_check_offline_accepts_data_uris_and_escaped_text():
    _offline.check_offline(
        "<style>.a{background:url(data:image/png;base64,AAAA)}</style>"
        f"<p>{escape_text('https://example.org <img src=x>')}</p>"
    )


def test_unknown_plugin_is_an_error(tiny):
    import folium.plugins

    scene, plan = tiny
    m = render_map(scene, plan)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineError, match="no local copy"):
        m.get_root().render()


def test_save_map_is_atomic(tiny, tmp_path):
    scene, plan = tiny
    path = tmp_path / "maps" / "tiny.html"
    save_map(render_map(scene, plan), path)
    assert path.stat().st_size > 100_000
    assert [p.name for p in path.parent.iterdir()] == ["tiny.html"]
    # a failing save leaves the previous file intact and no temp file behind
    good = path.read_bytes()
    m = render_map(scene, plan, offline=False)
    with pytest.raises(OfflineError):
        save_map(m, path, offline=True)
    assert path.read_bytes() == good
    assert [p.name for p in path.parent.iterdir()] == ["tiny.html"]


# ----------------------------------------------------------------------------- escaping


def test_user_strings_are_escaped(make_map_case):
    scene, plan = make_map_case(
        (PAYLOADS[0], PAYLOADS[1]),
        privacy_name=PAYLOADS[2],
        owners=(PAYLOADS[0], "MTR"),
        corridor_names=(PAYLOADS[1], PAYLOADS[2], "`${x}`"),
        attribution=(PAYLOADS[2], "© OSM"),
    )
    m = render_map(scene, plan, title=PAYLOADS[1], layer_names={"Hotspots": PAYLOADS[0]})
    html = m.get_root().render()
    for p in (*PAYLOADS, "`${x}`", "alert(2)</script>"):
        assert p not in html
    assert "${alert" not in html
    # every script block is closed exactly once: no payload ends one early
    own = re.sub(r"/\*<coverage-vendor>\*/.*?/\*</coverage-vendor>\*/", "", html, flags=re.S)
    assert len(re.findall(r"<script\b", own)) == len(re.findall(r"</script>", own))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    _offline.check_offline(html)


def test_user_strings_never_reach_jinja(make_map_case):
    """folium re-renders script output as a template: braces in user data must not run."""
    scene, plan = make_map_case(
        ("{{ 'jin' ~ 'ja' }}ZZ", "{% raw %}"), attribution=("{{ cycler.__init__.__globals__ }}",)
    )
    html = render_map(scene, plan, title="{# x #}").get_root().render()
    assert "jinjaZZ" not in html
    assert "&#123;&#123; &#x27;jin&#x27; ~ &#x27;ja&#x27; &#125;&#125;ZZ" in html
    assert "__globals__" in html and "<function" not in html


def test_polygon_hotspots_are_shaded(tiny, make_map_scene):
    _, plan = tiny
    poly = make_map_scene(
        hotspots=_gdf(
            {"intensity": [1.0, 4.0]},
            [
                shapely.box(X0 + 90, Y0 + 90, X0 + 110, Y0 + 110),
                shapely.box(X0, Y0, X0 + 20, Y0 + 20),
            ],
        )
    )
    m = render_map(poly, plan)
    html = m.get_root().render()
    assert m.coverage_counts["Hotspots"] == 2
    assert "Hotspot intensity 0.25" in html and "Hotspot intensity 1.00" in html


def test_escape_text():
    assert escape_text("a & b") == "a &amp; b"
    assert escape_text("`x` $y \\ https://h") == "&#96;x&#96; &#36;y &#92; https:&#47;&#47;h"
    assert escape_text("{{x}}") == "&#123;&#123;x&#125;&#125;"
    assert escape_text(3) == "3"


# ----------------------------------------------------------------------------- content


def test_layers_and_counts(tiny, tiny_html):
    scene, plan = tiny
    m = render_map(scene, plan)
    c = m.coverage_counts
    assert c["Districts (coverage)"] == 2
    assert c["Privacy zones"] == 1
    assert c["Buildings"] == 1
    assert c["Existing cameras: Police"] == 1 + 1  # its wedges (one shape) and the pole
    assert c["Existing cameras: MTR"] == 2
    assert c["New sets: phase 1"] == 2 and c["New sets: phase 2"] == 2
    for text in ("© OpenStreetMap contributors", "DATA.GOV.HK", "L.heatLayer(", "New set #1"):
        assert text in tiny_html
    assert "Rank" in tiny_html and "Marginal gain" in tiny_html and "Tiers reached" in tiny_html
    assert "Coverage before" in tiny_html and "Incidents covered" in tiny_html
    assert "Nathan Road (primary): identify" in tiny_html


def test_corridors_aggregate_past_the_limit(tiny):
    scene, plan = tiny
    m = render_map(scene, plan, max_corridor_features=3)
    tiers = set(quality_tier(plan.demand["quality"], DORI).tolist()) | {"unwatched"}
    assert m.coverage_counts["Corridors (quality tier)"] == len(tiers)


def test_binary_plan_has_two_corridor_tiers(tiny):
    scene, plan = tiny
    binary = dataclasses.replace(
        plan, demand=plan.demand.assign(quality=(plan.demand["quality"] > 0) * 1.0), meta={}
    )
    html = render_map(scene, binary).get_root().render()
    assert "covered" in html and "recognise" not in html


def test_plan_crs_must_match(tiny):
    scene, plan = tiny
    other = dataclasses.replace(plan, demand=plan.demand.set_crs(32650, allow_override=True))
    with pytest.raises(InputError, match="differs from the scene"):
        render_map(scene, other)
    with pytest.raises(InputError, match="lacks the column"):
        render_map(scene, dataclasses.replace(plan, cameras=plan.cameras.drop(columns="phase")))


def test_comparison_has_two_synced_maps(tiny):
    scene, plan = tiny
    fig = render_comparison(scene, plan, plan, labels=("Now", PAYLOADS[0]))
    html = fig.render()
    a, b = (mm.get_name() for mm in fig.coverage_maps)
    assert f"link({a},{b});link({b},{a})" in html
    assert PAYLOADS[0] not in html
    _offline.check_offline(html)


def test_comparison_online(tiny):
    scene, plan = tiny
    html = render_comparison(scene, plan, plan, offline=False).render()
    assert html.count("tile.openstreetmap.org") >= 2


@pytest.mark.parametrize("resolution_px", [None, 1920])
def test_real_plan_renders(tiny_scene, resolution_px):
    """A Plan from the pipeline (conftest's tiny scene) renders with the right tier names."""
    import coverage as cov

    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, resolution_px=resolution_px)
    plan = cov.solve(cov.Problem(tiny_scene, camera, budget=1))
    m = render_map(tiny_scene, plan)
    html = m.get_root().render()
    assert m.coverage_counts["New sets: phase 1"] == 2  # its wedges and its pole
    assert "Existing cameras: Police" in html
    legend = re.search(r"Corridors\\u003c/b>(.*?)\"", html).group(1)
    if resolution_px is None:
        assert "covered" in legend and "identify" not in legend
    else:
        assert "identify" in legend and "detect" in legend and "covered" not in legend


# ----------------------------------------------------------------------------- figures


def test_plot_map_and_curve(tiny, tmp_path):
    scene, plan = tiny
    p = plot_map(scene, plan, tmp_path / "map.png", dpi=50)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curve = pd.DataFrame(
        {"budget": [1, 5, 10], "objective": [1.0, 4.0, 6.0], "upper_bound": [1.0, 4.5, 7.0]}
    )
    q = plot_curve(curve, tmp_path / "curve.png", dpi=50)
    assert q.read_bytes()[:4] == b"\x89PNG"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["curve.png", "map.png"]
    with pytest.raises(InputError, match="upper_bound"):
        plot_curve(curve.drop(columns="upper_bound"), tmp_path / "bad.png")


def test_map_district_figures_match_the_report(tiny_scene):
    """For a real plan the map's tooltips use evaluate(): the map and the report agree."""
    from conftest import tiny_poles

    import coverage as cov

    cam = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
    plan = cov.solve(cov.Problem(tiny_scene, cam, budget=1, poles=tiny_poles(), candidates="poles"))
    stats = district_stats(tiny_scene, plan).set_index("district")
    report = cov.evaluate(tiny_scene, plan).districts.set_index("district")
    for col in ("weighted_coverage", "weighted_coverage_before", "incidents_covered", "sets_new"):
        assert stats[col].to_dict() == pytest.approx(report.loc[stats.index, col].to_dict())
    assert stats.loc["West", "weighted_coverage"] == pytest.approx(14 / 20)  # test_pipeline


def test_map_of_a_plan_with_demand_off_the_corridors(tiny_scene):
    """Demand points of your own (corridor -1) leave every corridor unwatched on the map."""
    import geopandas as gpd
    from conftest import X0, Y0, tiny_poles

    import coverage as cov

    demand = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0]},
        geometry=gpd.points_from_xy([X0 + 120, X0 + 100], [Y0 + 100, Y0 + 190]),
        crs=2326,
    )
    cam = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
    plan = cov.solve(
        cov.Problem(
            tiny_scene, cam, budget=1, poles=tiny_poles(), candidates="poles", demand=demand
        )
    )
    html = render_map(tiny_scene, plan).get_root().render()
    assert "unwatched" in html
