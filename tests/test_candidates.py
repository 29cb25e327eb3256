"""Candidate sites, checked against hand-worked geometry."""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from coverage.candidates import candidate_sites
from coverage.errors import CRSError, InputError, ParameterError
from coverage.scene import Scene

CRS = "EPSG:2326"


def frame(geoms, crs=CRS, index=None, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=crs, index=index)


def scene_of(lines, *, districts=None, buildings=None, privacy_zones=None):
    d = districts if districts is not None else frame([box(-5000, -5000, 5000, 5000)], name=["A"])
    return Scene(d, frame(lines), buildings=buildings, privacy_zones=privacy_zones, crs=CRS)


def xy_of(sites):
    return shapely.get_coordinates(sites.geometry.values)


CROSS = [LineString([(-50, 0), (50, 0)]), LineString([(0, -50), (0, 50)])]


def test_cross_gives_one_junction_with_four_bearings_and_four_ends():
    sites = candidate_sites(scene_of(CROSS), candidate_spacing_m=25)
    assert list(sites.columns) == ["kind", "district", "corridor", "bearings_deg", "geometry"]
    assert isinstance(sites.index, pd.RangeIndex)
    inter = sites[sites["kind"] == "intersection"]
    got = {tuple(p): b for p, b in zip(xy_of(inter).tolist(), inter["bearings_deg"], strict=True)}
    assert got == {
        (0.0, 0.0): (0.0, 90.0, 180.0, 270.0),
        (-50.0, 0.0): (90.0,),
        (50.0, 0.0): (270.0,),
        (0.0, -50.0): (0.0,),
        (0.0, 50.0): (180.0,),
    }
    assert (inter["corridor"] == -1).all()
    # corridor points at 25 and 75 along each line; 50 is the junction itself (deduplicated)
    corr = sites[sites["kind"] == "corridor"]
    assert sorted(map(tuple, xy_of(corr).tolist())) == [
        (-25.0, 0.0),
        (0.0, -25.0),
        (0.0, 25.0),
        (25.0, 0.0),
    ]
    horiz = corr[corr["corridor"] == 0]
    assert horiz["bearings_deg"].tolist() == [(90.0, 270.0)] * 2
    assert corr[corr["corridor"] == 1]["bearings_deg"].tolist() == [(0.0, 180.0)] * 2
    assert sites["district"].eq("A").all()


def test_straight_corridor_spacing_and_dedup_near_the_end():
    sites = candidate_sites(scene_of([LineString([(0, 0), (110, 0)])]), candidate_spacing_m=25)
    corr = sites[sites["kind"] == "corridor"]
    # 25, 50, 75 kept; 100 is 10 m (< 12.5) from the dead end at 110: dropped
    assert corr.geometry.x.tolist() == [25.0, 50.0, 75.0]
    assert sorted(sites[sites["kind"] == "intersection"].geometry.x.tolist()) == [0.0, 110.0]


def test_intersection_bearing_points_to_the_next_vertex_not_the_far_end():
    bent = LineString([(0, 0), (0, 10), (70, 10)])
    sites = candidate_sites(scene_of([bent]), candidate_spacing_m=25, intersections=True)
    inter = sites[sites["kind"] == "intersection"]
    got = {tuple(p): b for p, b in zip(xy_of(inter).tolist(), inter["bearings_deg"], strict=True)}
    assert got == {(0.0, 0.0): (0.0,), (70.0, 10.0): (270.0,)}
    corr = sites[sites["kind"] == "corridor"]  # arc length 25, 50 (75 is 5 m from the end)
    np.testing.assert_allclose(xy_of(corr), [[15, 10], [40, 10]])


def test_degree_two_node_is_not_an_intersection_and_short_corridor_gets_a_midpoint():
    lines = [
        LineString([(0, 0), (100, 0)]),
        LineString([(100, 0), (110, 0)]),  # short piece between two degree-2 nodes
        LineString([(110, 0), (210, 0)]),
    ]
    sites = candidate_sites(scene_of(lines), candidate_spacing_m=25)
    inter = sites[sites["kind"] == "intersection"]
    assert sorted(inter.geometry.x.tolist()) == [0.0, 210.0]
    corr = sites[sites["kind"] == "corridor"]
    assert corr.geometry.x.tolist() == [25.0, 50.0, 75.0, 105.0, 135.0, 160.0, 185.0]
    assert corr["corridor"].tolist() == [0, 0, 0, 1, 2, 2, 2]


def test_candidate_inside_a_building_or_privacy_zone_is_removed(caplog):
    buildings = frame([box(20, -5, 30, 5)])  # holds the corridor point at x = 25
    privacy = frame([box(45, -5, 55, 5), box(-60, -60, -40, -40)], name=["school", "x"])
    scene = scene_of([LineString([(0, 0), (100, 0)])], buildings=buildings, privacy_zones=privacy)
    with caplog.at_level(logging.INFO, logger="coverage"):
        sites = candidate_sites(scene, candidate_spacing_m=25)
    assert sorted(sites.geometry.x.tolist()) == [0.0, 75.0, 100.0]
    assert "dropped 1 generated site(s) inside buildings and 1 inside privacy zones" in caplog.text


def test_pole_inside_a_privacy_zone_raises_naming_the_row():
    privacy = frame([box(45, -5, 55, 5)], name=["school"])
    buildings = frame([box(70, 10, 80, 20)])
    scene = scene_of([LineString([(0, 0), (100, 0)])], buildings=buildings, privacy_zones=privacy)
    poles = frame([Point(10, 3), Point(50, 1), Point(75, 15)], index=["P1", "P7", "P9"])
    with pytest.raises(
        InputError, match=r"building: rows \[P9\]; inside a privacy zone: rows \[P7\]"
    ):
        candidate_sites(scene, poles=poles)
    ok = candidate_sites(scene, poles=poles.loc[["P1"]], candidate_spacing_m=25)
    pole = ok[ok["kind"] == "pole"]
    assert len(pole) == 1
    assert pole.index[0] == len(ok) - 1  # poles come last
    assert pole["corridor"].item() == -1
    assert pole["bearings_deg"].item() == (90.0, 270.0)  # the corridor it stands beside
    assert tuple(xy_of(pole)[0]) == (10.0, 3.0)


def test_poles_must_be_points_in_the_scene_crs():
    scene = scene_of([LineString([(0, 0), (100, 0)])])
    with pytest.raises(CRSError, match="no CRS"):
        candidate_sites(scene, poles=gpd.GeoDataFrame(geometry=[Point(0, 0)]))
    with pytest.raises(CRSError, match=r"to_crs\(scene.crs\)"):
        candidate_sites(scene, poles=frame([Point(0, 0)], crs="EPSG:32650"))
    with pytest.raises(InputError, match=r"rows \[1\]"):
        candidate_sites(scene, poles=frame([Point(0, 0), box(0, 0, 1, 1)]))
    with pytest.raises(TypeError, match="GeoDataFrame"):
        candidate_sites(scene, poles=[Point(0, 0)])


def test_without_intersections_and_parameter_errors():
    scene = scene_of(CROSS)
    sites = candidate_sites(scene, candidate_spacing_m=25, intersections=False)
    assert set(sites["kind"]) == {"corridor"}
    assert len(sites) == 6  # 25, 50, 75 on each line, the centre twice (no junction to dedupe)
    for bad in (0, -5, float("inf"), "25"):
        with pytest.raises(ParameterError, match="'candidate_spacing_m' parameter of candidate"):
            candidate_sites(scene, candidate_spacing_m=bad)
    with pytest.raises(ParameterError, match="'intersections' parameter"):
        candidate_sites(scene, intersections="yes")


def test_district_is_empty_outside_all_districts():
    districts = frame([box(-100, -100, 0, 100)], name=["W"])
    sites = candidate_sites(scene_of(CROSS, districts=districts), candidate_spacing_m=25)
    x = sites.geometry.x.to_numpy()
    assert (sites["district"].to_numpy()[x <= 0] == "W").all()
    assert (sites["district"].to_numpy()[x > 0] == "").all()


def test_tiny_scene_sites_avoid_the_building(tiny_scene):
    sites = candidate_sites(tiny_scene, candidate_spacing_m=10)
    b = tiny_scene.buildings.geometry.values
    pts = np.asarray(sites.geometry.values, dtype=object)
    assert not shapely.intersects(pts[:, None], np.asarray(b, dtype=object)[None, :]).any()
    centre = sites[sites["kind"] == "intersection"]
    assert len(centre) == 5
    assert set(sites["district"]) == {"West", "East"}


@pytest.mark.slow
def test_candidate_sites_scale_to_a_city():
    try:  # tests/ as a package or as a plain folder on sys.path
        from test_demand import random_city
    except ImportError:
        from test_demand import random_city

    layers = random_city(1000)  # ~1,000 km of corridors, 50,000 buildings
    scene = Scene(layers.pop("districts"), layers.pop("corridors"), **layers, crs=CRS)
    scene.graph  # noqa: B018 (built by the Scene, timed separately)
    t = time.perf_counter()
    sites = candidate_sites(scene, candidate_spacing_m=10)
    elapsed = time.perf_counter() - t
    assert len(sites) > 90_000
    assert elapsed < 20, elapsed


def test_privacy_zone_over_everything_leaves_an_empty_frame_with_the_columns():
    scene = scene_of(CROSS, privacy_zones=frame([box(-100, -100, 100, 100)], name=["all"]))
    sites = candidate_sites(scene)
    assert len(sites) == 0
    assert list(sites.columns) == ["kind", "district", "corridor", "bearings_deg", "geometry"]
    assert sites.crs == scene.crs


def test_sample_city_sites_invariants(sample_scene):
    sites = candidate_sites(sample_scene)
    assert set(sites["kind"]) == {"intersection", "corridor"}
    pts = np.asarray(sites.geometry.values, dtype=object)
    for layer in (sample_scene.buildings, sample_scene.privacy_zones):
        tree = shapely.STRtree(pts)
        assert tree.query(layer.geometry.values, predicate="intersects").size == 0
    b = np.concatenate([np.asarray(t, dtype=float) for t in sites["bearings_deg"]])
    assert ((b >= 0) & (b < 360)).all()
    corr = sites[sites["kind"] == "corridor"]
    assert (corr["bearings_deg"].map(len) == 2).all()
    lines = sample_scene.corridors.geometry.values[corr["corridor"].to_numpy()]
    assert shapely.distance(corr.geometry.values, lines).max() < 1e-6
    # junction bearings: one per edge at the node
    g = sample_scene.graph
    xy = {(round(d["x"], 3), round(d["y"], 3)): g.degree(n) for n, d in g.nodes(data=True)}
    inter = sites[sites["kind"] == "intersection"]
    for p, bear in zip(xy_of(inter).round(3).tolist(), inter["bearings_deg"], strict=True):
        assert len(bear) == xy[tuple(p)]


def test_translating_the_scene_translates_the_sites():
    dx, dy = 834_000.5, 817_000.25
    moved = [shapely.transform(g, lambda c: c + np.array([dx, dy])) for g in CROSS]
    district = box(-100 + dx, -100 + dy, 100 + dx, 100 + dy)
    a = candidate_sites(scene_of(CROSS), candidate_spacing_m=20)
    b = candidate_sites(
        scene_of(moved, districts=frame([district], name=["A"])), candidate_spacing_m=20
    )
    np.testing.assert_allclose(xy_of(b) - [dx, dy], xy_of(a), atol=1e-6)
    assert a["kind"].tolist() == b["kind"].tolist()
    for s, t in zip(a["bearings_deg"], b["bearings_deg"], strict=True):
        np.testing.assert_allclose(s, t, atol=1e-9)
