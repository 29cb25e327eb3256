"""Honest assumptions: unknown headings, camera counts, cameras in footprints, snapping.

Every expected value is worked by hand or by brute force here (plain numpy
geometry), never read back from the code under test.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

import coverage as cov
from coverage.assumptions import (
    MAX_CAMERA_MOVE_M,
    corridor_bearings,
    move_out_of_buildings,
    snap_to_corridors,
)
from coverage.demand import sample_demand
from coverage.errors import ParameterError
from coverage.evaluation.assumptions import assumption_rows, assumptions_html

CRS = "EPSG:2326"
ONE = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=4)


def frame(geoms, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=CRS)


def scene(cameras=None, *, lines=None, buildings=None, hotspots=None, **kw):
    lines = lines or [LineString([(0, 0), (200, 0)])]
    return cov.Scene(
        frame([box(-100, -100, 300, 300)], name=["A"]),
        frame(lines),
        cameras=cameras,
        buildings=buildings,
        hotspots=hotspots,
        crs=CRS,
        **kw,
    )


def in_sector(origin, heading_deg, hfov_deg, range_m, pts):
    """Brute force: which points a camera at `origin` looking at `heading_deg` sees."""
    d = np.asarray(pts, float) - np.asarray(origin, float)
    dist = np.hypot(d[:, 0], d[:, 1])
    az = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360
    off = np.abs((az - heading_deg + 180) % 360 - 180)
    return (dist <= range_m + 1e-9) & (off <= hfov_deg / 2 + 1e-9)


def existing_rows(plan):
    return plan.cameras[plan.cameras["status"] == "existing"].reset_index(drop=True)


# ----------------------------------------------------------------------------- headings
def test_camera_beside_east_west_street_looks_along_it():
    cams = frame([Point(100, 3)], heading_deg=[np.nan])  # no 'cameras' column: 1 camera
    plan = cov.solve(cov.Problem(scene(cams), ONE, budget=1, method="greedy"))
    ex = existing_rows(plan)
    assert ex["headings_deg"].tolist() == [(90.0,)]  # east, the street's bearing in [0, 180)
    # it watches the street east of it (as a brute-force sector test says), not the west
    d = plan.demand
    xy = shapely.get_coordinates(d.geometry.values)
    seen = in_sector((100, 3), 90.0, 90, 40, xy)
    assert seen.sum() >= 3
    row = plan.cameras.index[plan.cameras["status"] == "existing"][0]
    np.testing.assert_array_equal(d["covered_by"].to_numpy()[seen], row)
    counts = plan.meta["assumptions"]
    assert counts["unknown_heading"] == 1
    assert counts["unknown_heading_policy"] == "along_corridor"
    assert counts["cameras_count_assumed"] == 1
    assert counts["cameras_default"] == 1


def test_camera_beside_north_south_street_and_a_spread_set():
    lines = [LineString([(0, -50), (0, 250)])]
    cams = frame([Point(4, 100), Point(-4, 20)], heading_deg=[np.nan, 30.0], cameras=[3, 2])
    problem = cov.Problem(scene(cams, lines=lines), cov.CameraSet(), budget=1, method="greedy")
    ex = existing_rows(cov.solve(problem))
    # the 3-camera set follows the model's 0/120/240 from the street's bearing (north, 0);
    # a known heading is kept, and a 2-camera set is spread 180 degrees apart
    assert ex["headings_deg"].tolist() == [(0.0, 120.0, 240.0), (30.0, 210.0)]


def test_bearing_of_a_bent_corridor_is_taken_where_the_camera_is_nearest():
    line = np.array([LineString([(0, 0), (100, 0), (100, 100)])])
    b, d = corridor_bearings([[50, -2], [103, 60], [-3, 4]], line)
    assert b.tolist() == pytest.approx([90.0, 0.0, 90.0])
    assert d.tolist() == pytest.approx([2.0, 3.0, 5.0])
    diag = np.array([LineString([(0, 0), (-100, 100)])])  # runs north-west: bearing 315 -> 135
    assert corridor_bearings([[-50, 49]], diag)[0].tolist() == pytest.approx([135.0])


def test_best_rotation_matches_brute_force_over_the_turns():
    cams = frame([Point(30, 3)], heading_deg=[np.nan])  # more street to the east than the west
    problem = cov.Problem(
        scene(cams), ONE, budget=1, method="greedy", unknown_heading="best_rotation"
    )
    plan = cov.solve(problem)
    xy = shapely.get_coordinates(plan.demand.geometry.values)
    w = plan.demand["weight"].to_numpy()
    turns = np.arange(36) * 10.0  # a 1-camera set's period is 360 degrees
    score = [w[in_sector((30, 3), t, 90, 40, xy)].sum() for t in turns]
    best = turns[int(np.argmax(score))]
    assert existing_rows(plan)["headings_deg"].tolist() == [(best,)]
    assert 45.0 < best < 135.0  # it looks east, where the street is longer


def test_ignore_leaves_the_set_out_and_counts_it():
    cams = frame([Point(100, 3), Point(50, 3)], heading_deg=[np.nan, 90.0])
    plan = cov.solve(
        cov.Problem(scene(cams), ONE, budget=1, method="greedy", unknown_heading="ignore")
    )
    ex = existing_rows(plan)
    assert len(ex) == 1
    assert ex.geometry.x.tolist() == [50.0]
    assert plan.meta["assumptions"]["unknown_heading_left_out"] == 1
    assert plan.meta["assumptions"]["existing_sets_used"] == 1


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ParameterError, match="along_corridor.*best_rotation.*ignore"):
        cov.Problem(scene(), ONE, unknown_heading="north")
    with pytest.raises(ParameterError, match="snap_m"):
        cov.Problem(scene(), ONE, snap_m=-1)


# ----------------------------------------------------------------------------- footprints
def test_cameras_in_footprints_are_moved_out_or_left_out_as_indoor():
    bld = frame([box(90, 5, 110, 30)])
    cams = frame([Point(100, 6), Point(100, 18), Point(20, 3)], cameras=[1, 1, 1])
    s = scene(cams, buildings=bld)
    a = s.assumptions
    assert a["cameras_count_assumed"] == 0  # the column was given
    assert a["cameras_moved"] == 1
    assert a["camera_max_move_m"] == pytest.approx(1.0)  # 1 m inside the south wall
    assert a["cameras_indoor"] == 1  # 12 m from the nearest wall (> 5 m)
    assert a["cameras_indoor_rows"] == [1]
    moved = s.cameras.geometry.values[0]
    assert moved.y == pytest.approx(5.0 - 0.01) and moved.x == pytest.approx(100.0)
    assert not bld.geometry.values[0].intersects(moved)
    plan = cov.solve(cov.Problem(s, ONE, budget=1, method="greedy"))
    ex = existing_rows(plan)
    assert sorted(ex.geometry.x.round(6).tolist()) == [20.0, 100.0]  # the indoor one is out
    assert plan.meta["assumptions"]["indoor_left_out"] == 1


def test_moving_out_of_touching_footprints_goes_past_both():
    # two row houses sharing the wall x = 10; the camera is 1 m from that wall but 4 m from
    # the street side: the outside is 4 m away, not 1 m
    fps = np.array([box(0, 0, 10, 10), box(10, 0, 20, 10)])
    m = move_out_of_buildings([[9.0, 4.0]], fps, max_move_m=MAX_CAMERA_MOVE_M)
    assert m.moved.tolist() == [True]
    assert m.distance_m.tolist() == pytest.approx([4.0])
    assert m.xy[0].tolist() == pytest.approx([9.0, -0.01])


# ----------------------------------------------------------------------------- snapping
def brute_kde(q, xy, w, h):
    d2 = ((q[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    return (w[None, :] * np.exp(-0.5 * d2 / h**2) * (d2 <= (4 * h) ** 2)).sum(1)


def test_incidents_snapped_and_unreachable_are_counted_and_weight_is_conserved():
    bld = frame([box(115, 1, 125, 8)])
    inc = frame(
        [Point(50, 10), Point(60, 2), Point(70, 100), Point(120, 3)], weight=[1.0, 2.0, 3.0, 4.0]
    )
    s = scene(buildings=bld, hotspots=inc)
    d = sample_demand(s, spacing_m=10, bandwidth_m=50, snap_m=25)
    a = d.attrs["assumptions"]
    assert (a["incidents"], a["incidents_snapped"], a["incidents_unreachable"]) == (4, 2, 1)
    assert a["incidents_on_corridor"] == 1
    assert a["incidents_snapped_weight"] == 5.0  # 10 m off the street, and inside a building
    assert a["incidents_unreachable_weight"] == 3.0
    assert a["incidents_max_snap_m"] == pytest.approx(10.0)
    total = a["incidents_on_corridor_weight"] + a["incidents_snapped_weight"]
    assert a["incidents_weight"] == pytest.approx(total + a["incidents_unreachable_weight"])
    # the risk is the density of the snapped incidents (by hand: onto y = 0), one constant apart
    snapped = np.array([[50, 0], [60, 2], [70, 100], [120, 0]], float)
    q = shapely.get_coordinates(d.geometry.values)
    f = brute_kde(q, snapped, np.array([1.0, 2.0, 3.0, 4.0]), 50.0)
    ratio = f / d["risk"].to_numpy()
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_snap_m_zero_snaps_nothing_and_counts_every_off_corridor_point():
    s = snap_to_corridors(
        [[5, 1], [5, 6], [5, 30]], np.array([LineString([(0, 0), (10, 0)])]), None, 0.0
    )
    assert s.snapped.tolist() == [False, False, False]
    assert s.unreachable.tolist() == [False, True, True]


def test_own_demand_points_are_snapped_and_their_weight_kept():
    bld = frame([box(40, 2, 60, 12)])
    dem = frame([Point(50, 6), Point(100, 1), Point(150, 80)], weight=[5.0, 1.0, 2.0])
    problem = cov.Problem(scene(buildings=bld), ONE, budget=1, method="greedy", demand=dem)
    plan = cov.solve(problem)
    xy = shapely.get_coordinates(plan.demand.geometry.values)
    np.testing.assert_allclose(xy, [[50, 0], [100, 1], [150, 80]])
    assert plan.demand["weight"].sum() == pytest.approx(8.0)  # nothing dropped
    a = plan.meta["assumptions"]
    assert (a["own_demand_snapped"], a["own_demand_unreachable"]) == (1, 1)
    assert a["own_demand_snapped_weight"] == 5.0
    assert a["own_demand_unreachable_weight"] == 2.0
    total = a["own_demand_on_corridor_weight"] + a["own_demand_snapped_weight"]
    assert a["own_demand_weight"] == pytest.approx(total + a["own_demand_unreachable_weight"])


def test_hotspot_polygon_inside_a_building_reaches_the_nearest_point():
    hs = frame(
        [box(0, -1, 40, 1), box(103, 8, 107, 12), box(100, 200, 110, 210)],
        intensity=[1.0, 4.0, 2.0],
    )
    s = scene(hotspots=hs)
    d = sample_demand(s, spacing_m=10, snap_m=25)
    a = d.attrs["assumptions"]
    assert a["hotspot_polygons_on_corridor"] == 1
    assert a["hotspot_polygons_snapped"] == 1
    assert a["hotspot_polygons_unreachable"] == 1
    assert a["hotspot_polygons_unreachable_intensity"] == 2.0
    # by hand: demand at x = 5, 15, ...; the small box (x 103-107, y >= 8) is nearest to
    # x = 105 (8 m away), which takes its intensity 4 of top 4; the long box holds x = 5..35
    risk = dict(zip(d.geometry.x.round(6), d["risk"], strict=True))
    assert risk[105.0] == pytest.approx(1.0)
    assert [risk[x] for x in (5.0, 15.0, 25.0, 35.0)] == pytest.approx([0.25] * 4)
    assert risk[95.0] == 0.0 and risk[115.0] == 0.0


# ----------------------------------------------------------------------------- report
def test_report_section_states_every_assumption_and_zero_as_zero():
    cams = frame([Point(100, 3), Point(50, 3)], heading_deg=[np.nan, 90.0])
    plan = cov.solve(cov.Problem(scene(cams), ONE, budget=1, method="greedy"))
    rows = dict(assumption_rows(plan.meta["assumptions"]))
    assert rows["Existing sets without a heading"].startswith("1 of 2 existing sets: turned along")
    assert rows["Existing sets without a camera count"].startswith("2 of 2 existing sets: 1 camera")
    assert rows["Existing cameras inside a building footprint, moved outside"].startswith("0 moved")
    page = assumptions_html(plan)
    assert page.count("<tr>") == len(rows) + 1  # a header and one row per assumption
    assert "0 of 0 incidents" in page
    from coverage.report import report_html

    html = report_html(scene(cams), plan, curve=False, include_map=False)
    assert "<h2>Assumptions</h2>" in html
    assert "1 of 2 existing sets: turned along the nearest corridor" in html


def test_section_text_is_escaped():
    counts = {"unknown_heading_policy": "<script>", "existing_sets": 1}
    page = assumptions_html(type("P", (), {"meta": {"assumptions": counts}})())
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_report_of_a_plan_without_counts_says_so():
    page = assumptions_html(type("P", (), {"meta": {}})())
    assert "Not recorded" in page


def test_default_snap_distance_is_documented_value():
    assert cov.Problem(scene(), ONE).snap_m == 25.0
    assert math.isclose(MAX_CAMERA_MOVE_M, 5.0)


# ----------------------------------------------------------------------------- feature ids
def test_messages_give_gdal_fid_beside_the_row_for_a_geopackage(tmp_path):
    frame([box(0, 0, 100, 100)], name=["A"]).to_file(tmp_path / "d.gpkg")
    frame([LineString([(0, 50), (100, 50)])]).to_file(tmp_path / "c.gpkg")
    frame([Point(1, 1), Point(2, 2), Point(3, 3)], cameras=[1, 0, 2]).to_file(tmp_path / "k.gpkg")
    with pytest.raises(cov.errors.InputError, match=r"column 'cameras'.*rows \[1 \(fid 2\)\]"):
        cov.Scene.from_files(tmp_path / "d.gpkg", tmp_path / "c.gpkg", cameras=tmp_path / "k.gpkg")
    # GeoJSON's feature ids are the 0-based rows: nothing is added
    frame([Point(1, 1), Point(2, 2)], cameras=[1, 0]).to_file(tmp_path / "k.geojson")
    with pytest.raises(cov.errors.InputError, match=r"rows \[1\];"):
        cov.Scene.from_files(
            tmp_path / "d.gpkg", tmp_path / "c.gpkg", cameras=tmp_path / "k.geojson"
        )


def test_missing_geometry_message_names_the_fid(tmp_path):
    frame([box(0, 0, 100, 100)], name=["A"]).to_file(tmp_path / "d.gpkg")
    lines = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[LineString([(0, 50), (100, 50)]), None], crs=CRS
    )
    lines.to_file(tmp_path / "c.gpkg")
    with pytest.raises(cov.errors.InputError, match=r"no geometry \(rows \[1 \(fid 2\)\]\)"):
        cov.Scene.from_files(tmp_path / "d.gpkg", tmp_path / "c.gpkg")


def test_an_incident_reported_inside_a_building_is_watched_at_its_street_front():
    from coverage.evaluation import incident_coverage

    bld = frame([box(40, 2, 60, 12)])
    inc = frame([Point(50, 6)])  # inside the building, 6 m from the street y = 0
    cams = frame([Point(30, 0)], heading_deg=[90.0])  # looks east along the street
    s = scene(cams, buildings=bld, hotspots=inc)
    watched = []
    for snap in (25.0, 0.0):
        plan = cov.solve(cov.Problem(s, ONE, budget=1, method="greedy", snap_m=snap))
        watched.append(bool(incident_coverage(s, plan)["covered_before"].iloc[0]))
    # snapped: (50, 0) is 20 m due east of the camera, in view; where reported, the building
    # hides it (a target inside a building is never seen)
    assert watched == [True, False]
