"""Map data preparation: tiers, corridor runs, packed lines, wedges, district figures, escaping."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.errors import ParameterError
from coverage.render._prepare import (
    CHOROPLETH_COLOURS,
    MIN_VIEW_AREA_M2,
    choropleth_colour,
    corridor_runs,
    crs_label,
    crs_sentence,
    district_stats,
    escape_text,
    pack_lines,
    plan_tier_weights,
    polygon_parts,
    polygonal,
    quality_codes,
    quality_tier,
    set_views,
    set_wedges,
    snap_lonlat,
    to_lonlat,
    working_crs,
)

DORI = {"identify": 1.0, "recognise": 0.75, "observe": 0.5, "detect": 0.25}


def _gdf(data, geometry):
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:2326")


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
    assert stats.loc["West", "weighted_coverage"] == pytest.approx(14 / 20)  # test_plan


def test_choropleth_colour_bins():
    got = choropleth_colour(np.array([0.0, 0.19, 0.2, 0.99, 1.0, np.nan]))
    c = CHOROPLETH_COLOURS  # 5 bins of 20 %
    assert got.tolist() == [c[0], c[0], c[1], c[4], c[4], "#ffffff"]


def test_escape_text():
    assert escape_text("a & b") == "a &amp; b"
    assert escape_text("`x` $y \\ https://h") == "&#96;x&#96; &#36;y &#92; https:&#47;&#47;h"
    assert escape_text("{{x}}") == "&#123;&#123;x&#125;&#125;"
    assert escape_text(3) == "3"


# ----------------------------------------------------------------------------- degenerate geometry

#: A point of Kowloon in EPSG:2326.
KX, KY = 836_000.0, 818_000.0


def _holed(sizes):
    """A 100 m square with square holes of the given sides (metres), 3 m apart."""
    holes = [
        shapely.box(KX + 5 + 3 * k, KY + 5, KX + 5 + 3 * k + s, KY + 5 + s).exterior.coords
        for k, s in enumerate(sizes)
    ]
    return shapely.Polygon(shapely.box(KX, KY, KX + 100, KY + 100).exterior.coords, holes)


def test_to_lonlat_drops_holes_that_collapse_and_keeps_the_rest():
    # rounding to 1e-5 degree (~1.1 m north-south) collapsed a 0.4 m hole to two points:
    # GEOS raised "Invalid number of points in LinearRing found 2"
    poly = _holed([0.4, 0.05, 0.9, 5.0])
    (out,) = to_lonlat(np.array([poly], dtype=object), "EPSG:2326")
    assert shapely.is_valid(out)
    assert shapely.get_num_coordinates(shapely.get_rings(out)).min() >= 4
    back = gpd.GeoSeries([out], crs=4326).to_crs(2326).iloc[0]
    assert len(back.interiors) >= 1  # the 5 m hole survives
    # each vertex moves at most half a grid step: 1e-5 degree is 1.11 m north-south here
    half_step = 0.56
    perimeter = 400.0
    assert abs(back.area - poly.area) <= perimeter * half_step + 1.0  # + the dropped holes
    assert back.symmetric_difference(poly).area <= 2 * perimeter * half_step + 1.0
    assert back.exterior.hausdorff_distance(poly.exterior) <= 2 * half_step


def test_snap_lonlat_types():
    grid = 1e-5
    tiny_line = shapely.LineString([(114.0, 22.0), (114.0 + grid / 10, 22.0)])
    line = shapely.LineString([(114.0, 22.0), (114.001, 22.0), (114.001, 22.0 + grid / 10)])
    sliver = shapely.Polygon([(114.0, 22.0), (114.01, 22.0), (114.01, 22.0 + grid / 100)])
    coll = shapely.GeometryCollection(
        [shapely.Point(114.0, 22.0), shapely.box(114, 22, 114.001, 22.001)]
    )
    out = snap_lonlat(
        np.array(
            [shapely.Point(114.123456789, 22.0), tiny_line, line, sliver, coll, None], dtype=object
        )
    )
    assert shapely.get_coordinates(out[0]).tolist() == [[114.12346, 22.0]]
    assert shapely.is_empty(out[1])  # shorter than the grid: not drawn
    assert shapely.get_num_coordinates(out[2]) == 2  # the repeated point is removed
    assert shapely.is_empty(out[3])  # collapses entirely
    assert shapely.is_valid(out[4]) and shapely.area(out[4]) == pytest.approx(1e-6)
    assert out[5] is None


def test_polygonal_repairs_and_keeps_only_area():
    bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    coll = shapely.GeometryCollection(
        [shapely.LineString([(0, 0), (5, 5)]), shapely.box(0, 0, 1, 1), shapely.Point(3, 3)]
    )
    zero_area = shapely.Polygon([(0, 0), (1, 0), (2, 0)])
    out = polygonal([bow_tie, coll, zero_area, shapely.LineString([(0, 0), (1, 1)]), None])
    assert shapely.is_valid(out).all()
    assert shapely.area(out).tolist() == pytest.approx([2.0, 1.0, 0.0, 0.0, 0.0])
    assert shapely.get_type_id(out[:2]).tolist() == [6, 3]
    assert shapely.is_empty(out[2:]).all()
    assert len(polygon_parts([bow_tie, coll, zero_area])) == 3  # two triangles and the box


def test_views_of_a_pole_inside_a_footprint_and_slivers():
    cams = _gdf(
        {
            "headings_deg": [(90.0, 210.0, 330.0), (0.0,), (45.0,)],
            "hfov_deg": [90.0, 0.001, 360.0],
            "range_m": [40.0, 0.5, 30.0],
        },
        shapely.points([(20.4, 30.0), (0.0, 100.0), (60.0, 60.0)]),
    )
    building = np.array([shapely.box(20, 10, 60, 50)])  # the first pole is 0.4 m inside it
    w, row = set_wedges(cams, buildings=building)
    assert shapely.is_valid(w).all()
    assert (shapely.area(w) > MIN_VIEW_AREA_M2).all()
    assert 1 not in row.tolist()  # a 0.001 degree, 0.5 m view: nothing to draw
    views = set_views(w, row, len(cams))
    assert shapely.is_empty(views).tolist() == [False, True, False]
    assert shapely.is_valid(views).all()
    # the union of a set's wedges: their areas add up where they do not overlap
    first = w[row == 0]
    assert shapely.area(views[0]) == pytest.approx(shapely.area(shapely.union_all(first)))


def test_set_views_union_of_overlapping_wedges_is_valid():
    cams = _gdf(
        {"headings_deg": [(0.0, 60.0, 120.0)], "hfov_deg": [150.0], "range_m": [20.0]},
        [shapely.Point(0, 0)],
    )
    w, row = set_wedges(cams)
    assert not shapely.is_valid(shapely.multipolygons(w))  # overlapping parts: even-odd holes
    (view,) = set_views(w, row, 1)
    assert shapely.is_valid(view)
    exact = math.pi * 400 * 270 / 360  # headings -75 ... 195 degrees: 270 degrees of circle
    assert 0.97 * exact < shapely.area(view) <= exact


def test_crs_label_and_sentence():
    from types import SimpleNamespace

    hk = SimpleNamespace(meta={"crs": "EPSG:2326"})
    assert crs_label(None, hk) == "EPSG:2326 (Hong Kong 1980 Grid System)"
    assert crs_sentence(None, hk) == (
        "Distances in metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System)"
    )
    # meta first, then the plan's CRS, then the scene's; unreadable entries are skipped
    utm = SimpleNamespace(meta={"crs": "not a crs"}, crs="EPSG:32650")
    assert crs_label(None, utm) == "EPSG:32650 (WGS 84 / UTM zone 50N)"
    assert crs_label(None, SimpleNamespace(meta={"crs": {"code": "EPSG:32633"}})).startswith(
        "EPSG:32633"
    )
    scene = SimpleNamespace(crs="EPSG:2326")
    assert working_crs(scene, SimpleNamespace(meta={})).to_epsg() == 2326
    custom = SimpleNamespace(meta={"crs": "+proj=tmerc +lat_0=50 +lon_0=10 +units=m"})
    assert crs_label(None, custom).startswith("custom CRS (")
    assert crs_label(None) == "unknown CRS"


@st.composite
def _rough_polygons(draw):
    """Polygons (EPSG:2326) a metre or less across, possibly invalid, with holes and spikes."""
    scale = draw(st.sampled_from([0.001, 0.05, 0.4, 1.0, 3.0]))
    n = draw(st.integers(3, 9))
    pts = [
        (KX + scale * draw(st.floats(-1, 1)), KY + scale * draw(st.floats(-1, 1))) for _ in range(n)
    ]
    holes = []
    for _ in range(draw(st.integers(0, 3))):
        cx, cy = draw(st.floats(-0.8, 0.8)), draw(st.floats(-0.8, 0.8))
        r = scale * draw(st.floats(0.001, 0.2))
        holes.append(
            shapely.box(
                KX + cx * scale - r, KY + cy * scale - r, KX + cx * scale + r, KY + cy * scale + r
            ).exterior.coords
        )
    return shapely.Polygon(pts, holes)


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(polys=st.lists(_rough_polygons(), min_size=1, max_size=6))
def test_polygonal_then_to_lonlat_never_raises_and_is_valid(polys):
    clean = polygonal(polys)
    assert shapely.is_valid(clean).all()
    assert np.isin(shapely.get_type_id(clean), (3, 6)).all()
    # nothing is invented: the repaired area lies within the extent of the input's rings
    for raw, good in zip(polys, clean, strict=True):
        if not good.is_empty:
            extent = shapely.box(*shapely.MultiPoint(shapely.get_coordinates(raw)).bounds)
            assert extent.buffer(1e-6).contains(good)
    out = to_lonlat(clean, "EPSG:2326")
    assert shapely.is_valid(out).all()
    rings = shapely.get_rings(shapely.get_parts(out[~shapely.is_empty(out)]))
    if len(rings):
        assert shapely.get_num_coordinates(rings).min() >= 4
    coords = shapely.get_coordinates(out)
    assert np.array_equal(coords, np.round(coords, 5))  # on the ~1 m grid
