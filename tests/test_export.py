"""The GIS layers of a plan (coverage.export) and the one GeoPackage that holds them.

Every figure is checked against an independent computation: layer lengths
against pyproj.Geod on the corridors in lon/lat, bearings of the views from
their poles, the run each demand point falls on, lon/lat against a pyproj
Transformer.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, Point, box

import coverage as cov
from coverage.errors import InputError, ParameterError
from coverage.export import GPKG_LAYERS, layers, streets, to_gpkg, views
from coverage.io import gis_table, headings_text, write_frame
from coverage.plan import assess

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def city_plan(sample_scene):
    cam = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    return cov.solve(cov.Problem(sample_scene, cam, budget=[15, 10], method="greedy"))


@pytest.fixture(scope="module")
def city_gpkg(city_plan, tmp_path_factory) -> Path:
    return city_plan.to_gpkg(tmp_path_factory.mktemp("gpkg") / "plan.gpkg")


def _read(path: Path, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _depth_inside(v: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, depth_m: float = 1.5) -> float:
    """Largest area (m²) of a view deeper than `depth_m` inside the building footprints."""
    core = shapely.buffer(buildings.geometry.to_numpy(), -depth_m)
    core = core[~shapely.is_empty(core)]
    views_, cores = shapely.STRtree(core).query(v.geometry.to_numpy(), predicate="intersects")
    area = shapely.area(shapely.intersection(v.geometry.to_numpy()[views_], core[cores]))
    per_view = np.bincount(views_, weights=area, minlength=len(v))  # footprints are disjoint
    return float(per_view.max()) if len(v) else 0.0


def _geod_length(frame: gpd.GeoDataFrame) -> float:
    ll = frame.geometry.to_crs(4326)
    return float(sum(GEOD.geometry_length(g) for g in ll))


# ----------------------------------------------------------------------------- the file
def test_the_geopackage_has_five_typed_layers_in_the_working_crs(city_gpkg, sample_scene):
    got = pyogrio.list_layers(city_gpkg)
    assert [tuple(r) for r in got] == list(GPKG_LAYERS.items())
    assert dict(got.tolist())["views"] == "MultiPolygon"
    for name in GPKG_LAYERS:
        info = pyogrio.read_info(city_gpkg, layer=name)
        assert CRS.from_user_input(info["crs"]) == sample_scene.crs
        code = sample_scene.crs.to_authority()
        description = info["layer_metadata"]["DESCRIPTION"]
        assert f"working CRS {code[0]}:{code[1]}" in description and "metres" in description


def test_feature_counts_match_the_plan(city_gpkg, city_plan, sample_scene):
    cams = _read(city_gpkg, "cameras")
    assert (
        len(cams)
        == len(city_plan.cameras)
        == 25 + int((city_plan.cameras["status"] == "existing").sum())
    )
    # every pole of the sample city stands in the street: every camera of every set has a view
    n_cameras = sum(len(h) for h in city_plan.cameras["headings_deg"])
    assert len(_read(city_gpkg, "views")) == n_cameras == int(cams["n_cameras"].sum())
    assert len(_read(city_gpkg, "demand")) == len(city_plan.demand)
    districts = _read(city_gpkg, "districts")
    assert set(sample_scene.districts["name"]) <= set(districts["district"])


def test_cells_are_plain_values_and_headings_read_back(city_gpkg, city_plan):
    for name in GPKG_LAYERS:
        frame = pyogrio.read_dataframe(city_gpkg, layer=name)
        for col in frame.columns.drop("geometry"):
            cells = frame[col].dropna()
            assert not cells.map(lambda v: isinstance(v, tuple | list | dict)).any(), (name, col)
    cams = _read(city_gpkg, "cameras")
    text = cams["headings_deg"].tolist()
    assert all(isinstance(t, str) and "(" not in t and "," not in t for t in text)
    back = [[float(x) for x in t.split(";")] for t in text]
    want = [list(h) for h in city_plan.cameras["headings_deg"]]
    assert [len(b) for b in back] == [len(w) for w in want]
    assert np.allclose(np.concatenate(back), np.concatenate(want), rtol=0, atol=1e-7)
    assert cams["set"].tolist() == list(range(len(city_plan.cameras)))
    assert set(cams["status"]) == {"new", "existing"}


@pytest.mark.slow  # a second matrix of the whole sample city
def test_the_gpkg_cameras_layer_is_assessed_like_the_plan(city_gpkg, city_plan, sample_scene):
    cams = _read(city_gpkg, "cameras")
    new = cams[cams["status"] == "new"]
    cam = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    again = assess(cov.Problem(sample_scene, cam, budget=len(new)), new)
    assert again.objective == pytest.approx(city_plan.objective, rel=1e-9)


# ----------------------------------------------------------------------------- streets
def test_street_runs_add_up_to_the_corridors_geodesic_length(city_gpkg, sample_scene):
    s = _read(city_gpkg, "streets")
    assert set(s.geom_type) == {"LineString"}
    assert s["watched"].dtype == bool
    watched = float(s.loc[s["watched"], "length_m"].sum())
    unwatched = float(s.loc[~s["watched"], "length_m"].sum())
    assert watched > 0 and unwatched > 0
    total = _geod_length(sample_scene.corridors)  # on the ellipsoid, independent of the CRS
    assert watched + unwatched == pytest.approx(total, rel=2e-3)
    assert _geod_length(s) == pytest.approx(total, rel=2e-3)
    # each corridor exactly: runs partition it (no gap, no overlap)
    per = s.groupby("corridor")["length_m"].sum()
    lengths = sample_scene.corridors.length
    assert np.allclose(per.reindex(lengths.index).to_numpy(), lengths.to_numpy(), atol=1e-6)
    union = s.groupby("corridor").geometry.agg(lambda g: shapely.union_all(g.to_numpy()).length)
    assert np.allclose(union.reindex(lengths.index).to_numpy(), lengths.to_numpy(), atol=1e-3)


def test_each_demand_point_lies_on_a_run_of_its_tier_and_set(city_plan, sample_scene):
    s = streets(sample_scene, city_plan)
    d = city_plan.demand
    for j in np.random.default_rng(1).choice(len(d), 200, replace=False):
        row = d.iloc[j]
        mine = s[s["corridor"] == row["corridor"]]
        on = mine[mine.distance(row.geometry) < 1e-6]
        assert len(on) >= 1
        watched = row["quality"] > 0
        # a point at the boundary of two runs touches both: one of them is its own
        assert ((on["watched"] == watched) & (on["covered_by"] == row["covered_by"])).any()
    assert (s.loc[~s["watched"], "covered_by"] == -1).all()
    assert (s.loc[s["watched"], "covered_by"] >= 0).all()
    ranks = city_plan.cameras["rank"].to_numpy()
    w = s[s["watched"]]
    assert (w["set_rank"].to_numpy() == ranks[w["covered_by"].to_numpy()]).all()


def test_hand_worked_runs_on_one_street():
    d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    c = gpd.GeoDataFrame(
        {"name": ["Main St"], "kind": ["primary"]},
        geometry=[LineString([(0, 0), (300, 0)])],
        crs=2326,
    )
    scene = cov.Scene(d, c)
    cam = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)  # headings 0/120/240
    plan = cov.solve(cov.Problem(scene, cam, budget=2, method="greedy"))
    assert plan.cameras.geometry.x.tolist() == [75.0, 175.0]
    s = streets(scene, plan)
    # demand at x = 5, 15, ..., 295; from x = 75 the 120° and 240° cameras see 35..115
    # (40 m), each point standing for +-5 m: watched 30..120 and 130..220
    got = [
        (round(g.bounds[0], 6), round(g.bounds[2], 6), b)
        for g, b in zip(s.geometry, s["covered_by"], strict=True)
    ]
    assert got == [(0, 30, -1), (30, 120, 0), (120, 130, -1), (130, 220, 1), (220, 300, -1)]
    assert set(s["name"]) == {"Main St"} and set(s["kind"]) == {"primary"}
    assert s["tier"].tolist() == ["unwatched", "covered", "unwatched", "covered", "unwatched"]


# ----------------------------------------------------------------------------- views
def test_views_point_their_heading_stay_in_range_and_out_of_buildings(city_plan, sample_scene):
    v = views(sample_scene, city_plan)
    cams = city_plan.cameras
    pole = cams.geometry.to_numpy()[v["set"].to_numpy()]
    # every vertex within range of its pole (the wedge's arc is inscribed)
    far = [
        max(Point(xy).distance(p) for xy in shapely.get_coordinates(g))
        for g, p in zip(v.geometry, pole, strict=True)
    ]
    assert np.all(np.asarray(far) <= v["range_m"].to_numpy() + 1e-6)
    # the bearing of each view's centroid from its pole is within half the field of view
    cxy = shapely.get_coordinates(v.geometry.centroid.to_numpy())
    pxy = shapely.get_coordinates(pole)
    bearing = np.degrees(np.arctan2(cxy[:, 0] - pxy[:, 0], cxy[:, 1] - pxy[:, 1])) % 360
    off = (bearing - v["heading_deg"].to_numpy() + 180) % 360 - 180
    assert np.all(np.abs(off) < v["hfov_deg"].to_numpy() / 2)
    # the heading is the set's camera-th heading
    want = [
        cams["headings_deg"].iloc[s][k] % 360 for s, k in zip(v["set"], v["camera"], strict=True)
    ]
    assert np.allclose(v["heading_deg"].to_numpy(), want)
    # clipped by buildings: a view sees the walls (footprints shrunk by the 0.5 m clearance
    # of coverage.visibility) and cuts corners between its rays (2° apart, 1.4 m at 40 m),
    # so it reaches at most 1.5 m into a footprint, never further
    assert _depth_inside(v, sample_scene.buildings) < 0.01
    free = views(sample_scene, city_plan, occlusion=False)
    assert len(free) == len(v) and free["area_m2"].sum() > v["area_m2"].sum() * 1.05
    assert set(v["tier"]) == {"covered"}
    assert set(v["status"]) == {"new", "existing"}


def test_views_have_dori_tiers_and_stop_at_walls():
    d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -60, 200, 60)], crs=2326)
    c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (200, 0)])], crs=2326)
    b = gpd.GeoDataFrame(geometry=[box(90, 10, 110, 30)], crs=2326)
    scene = cov.Scene(d, c, buildings=b)
    cam = cov.CameraSet(cameras=2, resolution_px=1920, hfov_deg=90)
    assert 36 < cam.range_m < 40  # detect (25 px/m): 1920 / (2 tan 45° x 25) = 38.4 m
    sets = gpd.GeoDataFrame({"headings_deg": ["0;180"]}, geometry=[Point(100, 0)], crs=2326)
    plan = assess(cov.Problem(scene, cam, budget=1), sets)
    v = views(scene, plan)
    assert v["heading_deg"].tolist() == [0.0, 180.0]
    assert set(v["tier"]) == {"detect"}  # the weakest DORI tier: reached at the far edge
    north, south = v.geometry.to_numpy()
    # the north camera sees up to the wall (shrunk 0.5 m: y = 10.5), not behind the building
    assert north.contains(Point(100, 9)) and not north.contains(Point(100, 12))
    assert not north.contains(Point(100, 35))
    assert south.contains(Point(100, -35)) and not south.contains(Point(100, 9))
    free = views(scene, plan, occlusion=False).geometry.to_numpy()
    assert free[0].contains(Point(100, 35))
    assert _depth_inside(v, b) < 0.01


# ----------------------------------------------------------------------------- demand, districts
def test_demand_layer_names_the_tier_and_the_watching_set(city_gpkg, city_plan):
    d = _read(city_gpkg, "demand")
    assert set(d.geom_type) == {"Point"}
    q = city_plan.demand["quality"].to_numpy()
    assert (d["watched"].to_numpy() == (q > 0)).all()
    assert (d["tier"].to_numpy() == np.where(q > 0, "covered", "unwatched")).all()
    at = d["covered_by"].to_numpy()
    status = city_plan.cameras["status"].to_numpy()
    assert (d.loc[at < 0, "set_status"].fillna("") == "").all()
    assert (d.loc[at >= 0, "set_status"].to_numpy() == status[at[at >= 0]]).all()
    assert d["weight"].sum() == pytest.approx(city_plan.demand["weight"].sum())


def test_districts_layer_carries_the_report(city_gpkg, city_plan, sample_scene):
    got = _read(city_gpkg, "districts")
    report = cov.evaluate(sample_scene, city_plan, continuity=False).districts
    merged = got.merge(report, on="district", suffixes=("", "_r"))
    assert len(merged) == len(report)
    for col in ("weighted_coverage", "sets_new", "weight_total"):
        assert np.allclose(
            merged[col].to_numpy(float), merged[f"{col}_r"].to_numpy(float), equal_nan=True
        )
    area = got.set_index("district").area
    want = sample_scene.districts.set_index("name").area
    assert np.allclose(area.reindex(want.index).to_numpy(), want.to_numpy(), rtol=1e-9)


# ----------------------------------------------------------------------------- CSV
def test_plan_csv_has_lon_lat_checked_with_pyproj(city_plan, sample_scene, tmp_path):
    write_frame(city_plan.cameras, tmp_path / "plan.csv")
    t = pd.read_csv(tmp_path / "plan.csv")
    assert list(t.columns[-5:]) == ["lon", "lat", "x", "y", "crs"]
    code = sample_scene.crs.to_authority()
    assert set(t["crs"]) == {f"{code[0]}:{code[1]}"}
    fwd = Transformer.from_crs(sample_scene.crs, "EPSG:4326", always_xy=True)
    lon, lat = fwd.transform(t["x"].to_numpy(), t["y"].to_numpy())
    assert np.allclose(t["lon"], lon, atol=1e-9) and np.allclose(t["lat"], lat, atol=1e-9)
    back = np.concatenate([[float(x) for x in h.split(";")] for h in t["headings_deg"]])
    want = np.concatenate([list(h) for h in city_plan.cameras["headings_deg"]])
    assert np.allclose(back, want, rtol=0, atol=1e-7)


def test_heading_text_keeps_ten_digits():
    h = (1 / 3 * 100, 359.123456789, 0.0)
    text = headings_text(h)
    assert text == "33.33333333;359.1234568;0"
    assert np.allclose([float(x) for x in text.split(";")], h, atol=1e-6)


def test_gis_table_makes_names_and_cells_safe():
    t = gis_table(
        gpd.GeoDataFrame(
            {
                "Weight": [1.0],
                "weight": [2.0],
                "geom": ["g"],
                "tags": [["a", "b"]],
                "meta": [{"k": 1}],
                "kind": pd.Categorical(["x"]),
                "ok": [True],
            },
            geometry=[Point(0, 0)],
            crs=2326,
        )
    )
    assert t.columns.tolist() == [
        "Weight",
        "weight_2",
        "geom_2",
        "tags",
        "meta",
        "kind",
        "ok",
        "geometry",
    ]
    assert t.iloc[0].drop("geometry").tolist() == [1.0, 2.0, "g", "a;b", '{"k": 1}', "x", True]
    assert t.geometry.name == "geometry"


# ----------------------------------------------------------------------------- API errors
def test_to_gpkg_errors(city_plan, sample_scene, tmp_path):
    with pytest.raises(ParameterError, match=r"ending in \.gpkg"):
        to_gpkg(sample_scene, city_plan, tmp_path / "plan.shp")
    bare = cov.plan.Plan(**{**city_plan.__dict__, "scene": None})
    with pytest.raises(InputError, match=r"pass the scene it was solved on"):
        bare.to_gpkg(tmp_path / "p.gpkg")
    assert bare.to_gpkg(tmp_path / "p.gpkg", scene=sample_scene).is_file()
    moved = cov.Scene(
        sample_scene.districts.to_crs(4326),
        sample_scene.corridors.iloc[:5].to_crs(4326),
        crs="EPSG:2326",
    )
    with pytest.raises(InputError, match="differs from the scene"):
        to_gpkg(moved, city_plan, tmp_path / "q.gpkg")
    assert not (tmp_path / "q.gpkg").exists() and not (tmp_path / "plan.shp").exists()


def test_layers_without_existing_sets_write_empty_typed_layers(tmp_path):
    d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    scene = cov.Scene(d, c)
    plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=1, method="greedy"))
    out = layers(scene, plan)
    assert set(out) == set(GPKG_LAYERS)
    path = to_gpkg(scene, plan, tmp_path / "one.gpkg")
    assert [tuple(r) for r in pyogrio.list_layers(path)] == list(GPKG_LAYERS.items())
    assert len(_read(path, "cameras")) == 1 and (_read(path, "cameras")["status"] == "new").all()


# ----------------------------------------------------------------------------- Hong Kong
def test_hong_kong_tst_plan_gpkg(hk_path, tmp_path):
    scene = cov.datasets.hong_kong(hk_path, incidents="tst")
    cam = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    plan = cov.solve(cov.Problem(scene, cam, budget=10, method="greedy"))
    path = plan.to_gpkg(tmp_path / "tst.gpkg")
    assert [tuple(r) for r in pyogrio.list_layers(path)] == list(GPKG_LAYERS.items())
    for name in GPKG_LAYERS:
        assert CRS.from_user_input(pyogrio.read_info(path, layer=name)["crs"]).to_epsg() == 2326
    s = _read(path, "streets")
    assert s["length_m"].sum() == pytest.approx(_geod_length(scene.corridors), rel=2e-3)
    assert len(_read(path, "demand")) == len(plan.demand)
    assert len(_read(path, "cameras")) == len(plan.cameras)
    v = _read(path, "views")
    assert 0 < len(v) <= sum(len(h) for h in plan.cameras["headings_deg"])
    # TST buildings clip the views: none reaches more than 1.5 m into a footprint
    assert _depth_inside(v, scene.buildings) < 0.01
    assert "Yau Tsim Mong" in set(_read(path, "districts")["district"])
    assert math.isfinite(float(v["area_m2"].sum()))


def test_a_plan_on_own_demand_cuts_the_streets_by_the_views():
    d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    scene = cov.Scene(d, c)
    own = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0]}, geometry=[Point(150, 0), Point(250, 10)], crs=2326
    )
    cam = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40)
    sets = gpd.GeoDataFrame({"headings_deg": ["90;270"]}, geometry=[Point(125, 0)], crs=2326)
    plan = assess(cov.Problem(scene, cam, budget=1, demand=own), sets)
    assert (plan.demand["corridor"] == -1).all()  # no demand point on the corridor
    s = streets(scene, plan).sort_values("length_m")
    assert set(s["basis"]) == {"views"}
    # east and west cameras, 40 m: x = 85..165 watched by set 0, the rest unwatched
    # (to within the polygonised arc and the 0.25 m outline simplification)
    got = sorted(
        (g.bounds[0], g.bounds[2], w, b)
        for g, w, b in zip(s.geometry, s["watched"], s["covered_by"], strict=True)
    )
    assert [(w, b) for _, _, w, b in got] == [(False, -1), (True, 0), (False, -1)]
    ends = np.array([[x0, x1] for x0, x1, _, _ in got])
    assert np.allclose(ends, [[0, 85], [85, 165], [165, 300]], atol=0.3)
    assert s["length_m"].sum() == pytest.approx(300.0)
