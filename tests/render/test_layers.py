"""Map layers: what each draws, styles as feature properties, user strings escaped."""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import pytest
import shapely

from coverage.render import _offline, render_map
from coverage.render._prepare import quality_tier

X0, Y0 = 836_000.0, 818_000.0  # the origin of tests/render/conftest.py's scene
PAYLOADS = ("<img src=x onerror=alert(1)>", "${alert(1)}", "</script><script>alert(2)</script>")
DORI = {"identify": 1.0, "recognise": 0.75, "observe": 0.5, "detect": 0.25}


def _gdf(data, geometry):
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:2326")


def test_offline_styles_are_feature_properties(tiny_html):
    assert "switch(feature" not in tiny_html.replace(" ", "")
    assert '"properties":{"style":{"fillColor":' in tiny_html


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


def test_legend_names_the_working_crs(tiny_html):
    # the legend's HTML travels as a JSON string in the map's script
    assert "Distances in metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System)" in tiny_html
