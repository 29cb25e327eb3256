"""Map layers: what each draws, styles as feature properties, user strings escaped."""

from __future__ import annotations

import dataclasses
import json
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
    assert c["Existing cameras: police"] == 1 + 1  # its wedges (one shape) and the pole
    assert c["Existing cameras: MTR"] == 2
    assert c["New sets: phase 1"] == 2 and c["New sets: phase 2"] == 2
    for text in ("© OpenStreetMap contributors", "DATA.GOV.HK", "L.heatLayer(", "New set #1"):
        assert text in tiny_html
    for row in ("Rank", "Gain", "Cameras", "Headings", "Position", "Tiers reached"):
        assert f'"{row}"' in tiny_html
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
    assert "Existing cameras: police" in html  # the owner as given
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


def _legend(html: str) -> str:
    """The legend's HTML, as the map's script carries it (JSON string)."""
    return json.loads(re.search(r'd\.innerHTML=("(?:[^"\\]|\\.)*")', html).group(1))


def test_legend_lists_sets_owners_tiers_and_heat(tiny, make_map_case):
    scene, plan = make_map_case(owners=("unknown (OSM)", "MTR"))
    html = render_map(scene, plan).get_root().render()
    legend = _legend(html)
    assert "Other departments" not in html
    assert "Existing cameras: unknown (OSM)" in html
    new = plan.cameras[plan.cameras["status"] == "new"]
    for phase, n in new["phase"].value_counts().items():
        assert f"phase {phase} ({n:,} sets)" in legend
    assert "unknown (OSM) (1 sets)" in legend and "MTR (1 sets)" in legend
    for tier in (*DORI, "unwatched"):
        assert tier in legend
    top = scene.hotspots["weight"].max()
    assert f"({len(scene.hotspots)} incidents)" in legend
    assert f"darkest = {top:g} or more" in legend
    assert "linear-gradient" in legend


def test_district_and_street_colours_differ():
    from coverage.render._layers import HEAT_GRADIENT, OWNER_COLOURS, PHASE_COLOURS
    from coverage.render._prepare import CHOROPLETH_COLOURS, TIER_COLOURS

    groups = [
        set(CHOROPLETH_COLOURS),
        set(TIER_COLOURS.values()),
        set(PHASE_COLOURS),
        set(OWNER_COLOURS),
        set(HEAT_GRADIENT.values()),
    ]
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            assert not a & b


def test_many_owners_share_one_layer_but_keep_their_names():
    from coverage.render._layers import MAX_OWNER_LAYERS, owner_layers

    owners = [f"owner {k}" for k in range(MAX_OWNER_LAYERS + 3) for _ in range(k + 1)]
    label = owner_layers(owners)
    assert len(set(label.values())) == MAX_OWNER_LAYERS
    # the owners with most sets keep their layer; the 4 smallest share one
    assert label["owner 0"] == label["owner 3"] == "4 other owners"
    assert label[f"owner {MAX_OWNER_LAYERS + 2}"] == f"owner {MAX_OWNER_LAYERS + 2}"


def test_map_opens_fitted_to_the_plan(tiny):
    from pyproj import Transformer

    from coverage.render import plan_bounds

    scene, plan = tiny
    xy = shapely.get_coordinates(plan.cameras.geometry.to_numpy())
    r = plan.cameras["range_m"].to_numpy()
    want = ((xy - r[:, None]).min(axis=0), (xy + r[:, None]).max(axis=0))
    assert plan_bounds(scene, plan) == pytest.approx((*want[0], *want[1]))
    to_ll = Transformer.from_crs(2326, 4326, always_xy=True)
    html = render_map(scene, plan).get_root().render()
    got = json.loads(re.search(r"L\.latLngBounds\((\[\[.*?\]\])\)", html).group(1))
    (s, w), (n, e) = got
    # the box's corners in lon/lat (the projected box's bounds)
    xs = [want[0][0], want[1][0]]
    ys = [want[0][1], want[1][1]]
    lons, lats = to_ll.transform([x for x in xs for _ in ys], [y for _ in xs for y in ys])
    assert (w, s) == pytest.approx((min(lons), min(lats)), abs=2e-5)
    assert (e, n) == pytest.approx((max(lons), max(lats)), abs=2e-5)
    assert "fitBounds(bounds, pad)" in html and "ResizeObserver" in html


def test_land_layer_clips_districts_for_display(tiny):
    scene, plan = tiny
    # land: the west 150 m of the scene, given in lon/lat
    land = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 150, Y0 + 210)], crs=2326
    ).to_crs(4326)
    land.attrs["attribution"] = "Land © somebody"
    m = render_map(scene, plan, land=land)
    html = m.get_root().render()
    assert m.coverage_counts["Land"] == 1
    assert "Land © somebody" in html and ".leaflet-container{background:#cfe2f3}" in html
    from coverage.render._layers import clip_to_land
    from coverage.render._prepare import polygonal

    shapes = clip_to_land(
        polygonal(scene.districts.geometry.to_numpy()), land.to_crs(2326).geometry.to_numpy()
    )
    # West (0-100 m) is all land; East (100-200 m) keeps its 50 m of land
    assert shapely.area(shapes) == pytest.approx([100 * 200, 50 * 200], rel=1e-3)


def test_comparison_takes_the_land_layer(tiny):
    from coverage.render import render_comparison

    scene, plan = tiny
    land = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 150, Y0 + 200)], crs=2326)
    fig = render_comparison(scene, plan, plan, land=land)
    assert [m.coverage_counts["Land"] for m in fig.coverage_maps] == [1, 1]


def test_land_layer_errors(tiny):
    from coverage.errors import InputError

    scene, plan = tiny
    with pytest.raises(InputError, match="no CRS"):
        render_map(scene, plan, land=gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 9, Y0)])], crs=2326)
    with pytest.raises(InputError, match="no polygons"):
        render_map(scene, plan, land=lines)
    with pytest.raises(InputError, match="GeoDataFrame or GeoSeries"):
        render_map(scene, plan, land=[shapely.box(0, 0, 1, 1)])
