"""Demand points and hotspot surfaces, checked against hand-worked values and brute force."""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.optimize import minimize
from shapely.geometry import LineString, MultiPoint, Point, box

from coverage import demand as demand_mod
from coverage.demand import hotspot_polygons, hotspot_risk, sample_demand
from coverage.errors import CRSError, InputError, ParameterError
from coverage.scene import Scene

CRS = "EPSG:2326"


def frame(geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=crs)


def scene_of(lines, *, districts=None, hotspots=None, footfall=None):
    d = districts if districts is not None else frame([box(-5000, -5000, 5000, 5000)], name=["A"])
    cols = {} if footfall is None else {"footfall": footfall}
    return Scene(d, frame(lines, **cols), hotspots=hotspots, crs=CRS)


def brute_kde(q, xy, w, h):
    """Kernel sums by brute force, with the same 4 h cutoff."""
    d2 = ((q[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    return (w[None, :] * np.exp(-0.5 * d2 / h**2) * (d2 <= (4 * h) ** 2)).sum(1)


def brute_max(xy, w, h):
    best = 0.0
    for p in xy:
        res = minimize(
            lambda x: -brute_kde(x[None, :], xy, w, h)[0],
            p,
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 5000},
        )
        best = max(best, -res.fun)
    return best


# ----------------------------------------------------------------------------- sample_demand
def test_straight_corridor_spacing_10_gives_10_points_at_half_offsets():
    scene = scene_of([LineString([(0, 0), (100, 0)])], footfall=[3.0])
    d = sample_demand(scene, spacing_m=10)
    assert d.geometry.x.tolist() == pytest.approx([5, 15, 25, 35, 45, 55, 65, 75, 85, 95])
    assert d.geometry.y.tolist() == pytest.approx([0] * 10)
    assert list(d.columns) == [
        "weight",
        "footfall",
        "risk",
        "district",
        "corridor",
        "bearing_deg",
        "geometry",
    ]
    assert d["bearing_deg"].tolist() == pytest.approx([90.0] * 10)  # the corridor runs east
    assert isinstance(d.index, pd.RangeIndex)
    assert d["weight"].tolist() == [3.0] * 10
    assert d["risk"].tolist() == [0.0] * 10
    assert d["district"].tolist() == ["A"] * 10
    assert d["corridor"].tolist() == [0] * 10
    assert d.crs == scene.crs


def test_end_of_corridor_is_not_sampled_and_short_corridor_gets_its_midpoint():
    scene = scene_of([LineString([(0, 0), (95, 0)]), LineString([(0, 50), (4, 50)])])
    d = sample_demand(scene, spacing_m=10)
    x0 = d.loc[d["corridor"] == 0].geometry.x.tolist()
    assert x0 == pytest.approx([5, 15, 25, 35, 45, 55, 65, 75, 85])
    short = d.loc[d["corridor"] == 1]
    assert short.geometry.x.tolist() == pytest.approx([2.0])
    assert short.geometry.y.tolist() == pytest.approx([50.0])


def test_points_follow_the_arc_length_of_a_bent_corridor():
    scene = scene_of([LineString([(0, 0), (10, 0), (10, 20), (10, 20), (0, 20)])])
    d = sample_demand(scene, spacing_m=10)
    xy = shapely.get_coordinates(d.geometry.values)
    np.testing.assert_allclose(xy, [[5, 0], [10, 5], [10, 15], [5, 20]])


def test_district_is_empty_outside_all_districts_and_points_are_kept():
    districts = frame([box(0, -10, 50, 10), box(50, -10, 70, 10)], name=["W", "E"])
    scene = scene_of([LineString([(0, 0), (100, 0)])], districts=districts)
    d = sample_demand(scene, spacing_m=20)  # 10, 30, 50, 70, 90
    # 50 lies on the shared boundary: first district in layer order; 70 on E's edge
    assert d["district"].tolist() == ["W", "W", "W", "E", ""]


def test_weight_is_footfall_times_one_plus_risk():
    hot = frame([Point(50, 0)])
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=hot, footfall=[2.0])
    d = sample_demand(scene, spacing_m=10, bandwidth_m=30)
    expected_risk = np.exp(-0.5 * ((d.geometry.x.to_numpy() - 50) / 30) ** 2)
    expected_risk /= 1.0  # the maximum of a single kernel is 1
    np.testing.assert_allclose(d["risk"], expected_risk, atol=1e-9)
    np.testing.assert_allclose(d["weight"], 2.0 * (1 + expected_risk))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "10", None, True])
def test_spacing_must_be_positive(bad):
    scene = scene_of([LineString([(0, 0), (100, 0)])])
    with pytest.raises(ParameterError, match="The 'spacing_m' parameter of sample_demand"):
        sample_demand(scene, spacing_m=bad)


def test_bandwidth_must_be_positive():
    scene = scene_of([LineString([(0, 0), (100, 0)])])
    with pytest.raises(ParameterError, match="The 'bandwidth_m' parameter of sample_demand"):
        sample_demand(scene, bandwidth_m=0)


# ----------------------------------------------------------------------------- hotspot_risk
def test_single_incident_risk_is_a_gaussian_of_distance():
    h = 150.0
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=frame([Point(0, 0)]))
    d = np.array([0.0, 10.0, 75.0, 150.0, 300.0, 450.0, 590.0])
    q = np.column_stack([d * 0.6, d * 0.8])  # distance d in a slanted direction
    risk = hotspot_risk(q, scene, bandwidth_m=h)
    np.testing.assert_allclose(risk, np.exp(-(d**2) / (2 * h**2)), rtol=1e-12, atol=1e-15)
    # beyond the 4 h cutoff the kernel is zero (it would be below exp(-8) ≈ 3.4e-4)
    assert hotspot_risk([[0, 601.0], [5000, 0]], scene, bandwidth_m=h).tolist() == [0.0, 0.0]


def test_risk_matches_brute_force_kde_normalised_by_its_true_maximum():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 400, size=(12, 2))
    w = rng.uniform(0.5, 3, size=12)
    cat = np.array(["theft", "robbery", ""] * 4)
    hot = frame(shapely.points(xy), weight=w, category=cat)
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=hot)
    cw = {"robbery": 2.5, "not in data": 7.0}
    we = w * np.where(cat == "robbery", 2.5, 1.0)
    h = 60.0
    q = rng.uniform(-100, 500, size=(300, 2))
    # brute force with the same 4 h cutoff
    f = brute_kde(q, xy, we, h)
    top = brute_max(xy, we, h)
    risk = hotspot_risk(q, scene, bandwidth_m=h, category_weights=cw)
    np.testing.assert_allclose(risk, np.clip(f / top, 0, 1), atol=1e-6)
    assert risk.max() <= 1.0


def test_grid_interpolation_fallback_is_within_half_a_percent(monkeypatch):
    rng = np.random.default_rng(1)
    xy = rng.normal(0, 200, size=(40, 2))
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=frame(shapely.points(xy)))
    q = rng.uniform(-700, 700, size=(2000, 2))
    exact = hotspot_risk(q, scene, bandwidth_m=80)
    monkeypatch.setattr(demand_mod, "_EXACT_PAIRS_MAX", 0)
    approx = hotspot_risk(q, scene, bandwidth_m=80)
    assert np.abs(approx - exact).max() < 5e-3
    assert approx.min() >= 0
    assert approx.max() <= 1


def test_multipoint_incident_counts_each_part():
    single = frame([Point(0, 0), Point(300, 0)])
    multi = frame([MultiPoint([(0, 0), (300, 0)])])
    lines = [LineString([(0, 0), (100, 0)])]
    q = [[0, 0], [150, 0], [300, 50]]
    a = hotspot_risk(q, scene_of(lines, hotspots=single), bandwidth_m=100)
    b = hotspot_risk(q, scene_of(lines, hotspots=multi), bandwidth_m=100)
    np.testing.assert_allclose(a, b)


def test_risk_points_must_be_finite_pairs():
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=frame([Point(0, 0)]))
    for bad in ([1, 2, 3], [[0, np.nan]], [[0, 0, 0]], "ab"):
        with pytest.raises(ParameterError, match=r"'xy' parameter of hotspot_risk.*shape \(n, 2\)"):
            hotspot_risk(bad, scene)
    assert hotspot_risk([], scene).shape == (0,)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "x"])
def test_bad_category_weight_is_a_parameter_error(bad):
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=frame([Point(0, 0)]))
    with pytest.raises(ParameterError, match="'category_weights' parameter of hotspot_risk"):
        hotspot_risk([[0, 0]], scene, category_weights={"robbery": bad})


def test_category_weights_scale_incidents():
    hot = frame([Point(0, 0), Point(1000, 0)], category=["robbery", "theft"])
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=hot)
    r = hotspot_risk([[0, 0], [1000, 0]], scene, bandwidth_m=50, category_weights={"robbery": 4})
    np.testing.assert_allclose(r, [1.0, 0.25])
    r0 = hotspot_risk([[0, 0], [1000, 0]], scene, bandwidth_m=50, category_weights={"theft": 0})
    np.testing.assert_allclose(r0, [1.0, 0.0])


def test_polygon_hotspots_give_max_containing_intensity_over_max():
    polys = frame([box(0, 0, 10, 10), box(5, 5, 20, 20)], intensity=[2.0, 8.0])
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=polys)
    r = hotspot_risk([[1, 1], [7, 7], [15, 15], [50, 50], [10, 2]], scene)
    np.testing.assert_allclose(r, [0.25, 1.0, 1.0, 0.0, 0.25])


def test_no_hotspots_or_zero_weights_give_zero_risk():
    lines = [LineString([(0, 0), (100, 0)])]
    assert hotspot_risk([[0, 0], [1, 1]], scene_of(lines)).tolist() == [0.0, 0.0]
    zero = frame([Point(0, 0)], weight=[0.0])
    assert hotspot_risk([[0, 0]], scene_of(lines, hotspots=zero)).tolist() == [0.0]
    zero_poly = frame([box(0, 0, 1, 1)], intensity=[0.0])
    assert hotspot_risk([[0.5, 0.5]], scene_of(lines, hotspots=zero_poly)).tolist() == [0.0]
    assert hotspot_risk(np.zeros((0, 2)), scene_of(lines, hotspots=zero)).shape == (0,)


# ----------------------------------------------------------------------------- hotspot_polygons
@pytest.mark.parametrize(("t", "cell_m"), [(0.2, None), (0.5, None), (0.8, 12.5)])
def test_single_incident_gives_a_circle_of_radius_h_sqrt_minus_2_ln_t(t, cell_m):
    # the default cell (h/4 = 25 m) is coarse for the small circle of t = 0.8 (r = 67 m)
    h = 100.0
    inc = frame([Point(1000, 2000)], weight=[3.0])
    hot = hotspot_polygons(inc, bandwidth_m=h, threshold=t, cell_m=cell_m)
    assert len(hot) == 1
    poly = hot.geometry.iloc[0]
    r = h * math.sqrt(-2 * math.log(t))
    assert poly.area == pytest.approx(math.pi * r * r, rel=0.03)
    assert poly.centroid.distance(Point(1000, 2000)) < 0.5
    dist = shapely.distance(Point(1000, 2000), shapely.points(shapely.get_coordinates(poly)))
    assert np.all(np.abs(dist - r) < 0.02 * r)
    # peak density of one incident of weight 3: 3 / (2π h²), per km²
    assert hot["intensity"].iloc[0] == pytest.approx(3e6 / (2 * math.pi * h * h), rel=1e-9)
    assert hot.crs == gpd.GeoSeries([], crs=CRS).crs


def test_two_clusters_give_two_polygons_sorted_by_intensity_and_ring_has_a_hole():
    inc = frame([Point(0, 0), Point(5000, 0)], weight=[1.0, 2.0])
    hot = hotspot_polygons(inc, bandwidth_m=100, threshold=0.3)
    assert len(hot) == 2
    assert hot["intensity"].iloc[0] == pytest.approx(2 * hot["intensity"].iloc[1])
    assert hot.geometry.iloc[0].contains(Point(5000, 0))
    # 60 incidents on a circle of radius 300 m: the density dips in the middle
    ang = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    ring = frame(shapely.points(np.column_stack([300 * np.cos(ang), 300 * np.sin(ang)])))
    hot = hotspot_polygons(ring, bandwidth_m=60, threshold=0.5)
    assert len(hot) == 1
    poly = hot.geometry.iloc[0]
    assert len(poly.interiors) == 1
    assert not poly.contains(Point(0, 0))
    assert poly.contains(Point(300, 0))


def test_hotspot_polygons_feed_back_into_a_scene():
    inc = frame([Point(0, 0), Point(2000, 0), Point(2050, 0)])
    hot = hotspot_polygons(inc, bandwidth_m=100, threshold=0.5)
    scene = scene_of([LineString([(0, 0), (100, 0)])], hotspots=hot)
    assert scene.hotspot_kind == "polygons"
    r = hotspot_risk([[2025, 0], [0, 0], [1000, 0]], scene)
    assert r[0] == 1.0
    assert r[1] == pytest.approx(hot["intensity"].min() / hot["intensity"].max())
    assert r[2] == 0.0


def test_hotspot_polygons_errors():
    inc = frame([Point(0, 0)])
    with pytest.raises(CRSError, match="no CRS"):
        hotspot_polygons(gpd.GeoDataFrame(geometry=[Point(0, 0)]))
    with pytest.raises(CRSError, match="metres"):
        hotspot_polygons(frame([Point(114.1, 22.3)], crs="EPSG:4326"))
    with pytest.raises(InputError, match=r"not points \(rows \[1\]\)"):
        hotspot_polygons(frame([Point(0, 0), box(0, 0, 1, 1)]))
    with pytest.raises(InputError, match=r"column 'weight'.*rows \[0\]"):
        hotspot_polygons(frame([Point(0, 0)], weight=[-1.0]))
    for t in (0, 1, 1.5, float("nan")):
        with pytest.raises(ParameterError, match="'threshold' parameter of hotspot_polygons"):
            hotspot_polygons(inc, threshold=t)
    with pytest.raises(ParameterError, match="'cell_m' parameter of hotspot_polygons"):
        hotspot_polygons(inc, cell_m=-1)
    with pytest.raises(ParameterError, match="'cell_m' parameter of hotspot_polygons"):
        hotspot_polygons(frame([Point(0, 0), Point(1e6, 1e6)]), cell_m=1)
    with pytest.raises(TypeError, match="GeoDataFrame"):
        hotspot_polygons([Point(0, 0)])


def test_hotspot_polygons_of_zero_weights_is_empty():
    hot = hotspot_polygons(frame([Point(0, 0)], weight=[0.0]))
    assert len(hot) == 0
    assert list(hot.columns) == ["intensity", "geometry"]


# ----------------------------------------------------------------------------- real scenes
def test_tiny_scene_demand(tiny_scene):
    d = sample_demand(tiny_scene, spacing_m=10)
    # H: 200 m -> 20 points, V: 200 m -> 20 points
    assert len(d) == 40
    h = d[d["corridor"] == 0]
    assert h["weight"].tolist() == [2.0] * 20
    assert h["district"].tolist() == ["West"] * 10 + ["East"] * 10


def random_city(km: float, seed: int = 0, n_incidents: int = 90_000, n_buildings: int = 50_000):
    """A dense random city: straight corridors of 50-300 m, ~`km` km in total (10 km per km²),
    18 districts, `n_buildings` small boxes, 200 round privacy zones, uniform incidents."""
    rng = np.random.default_rng(seed)
    n = int(km * 1000 / 175)
    side = math.sqrt(km / 10) * 1000.0
    a = rng.uniform(0, side, size=(n, 2))
    ang = rng.uniform(0, 2 * np.pi, n)
    ln = rng.uniform(50, 300, n)
    b = a + np.column_stack([np.sin(ang), np.cos(ang)]) * ln[:, None]
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    districts = frame(
        [
            box(x, y, x + side / 6, y + side / 3)
            for x in np.arange(6) * side / 6
            for y in np.arange(3) * side / 3
        ],
        name=[f"D{i}" for i in range(18)],
    )
    c = rng.uniform(0, side, size=(n_buildings, 2))
    wh = rng.uniform(5, 15, size=(n_buildings, 2))
    buildings = frame(shapely.box(c[:, 0], c[:, 1], c[:, 0] + wh[:, 0], c[:, 1] + wh[:, 1]))
    privacy = frame(shapely.buffer(shapely.points(rng.uniform(0, side, size=(200, 2))), 40))
    inc = frame(shapely.points(rng.uniform(0, side, size=(n_incidents, 2))))
    return {
        "districts": districts,
        "corridors": frame(lines),
        "hotspots": inc,
        "buildings": buildings,
        "privacy_zones": privacy,
    }


@pytest.mark.slow
def test_sample_demand_scales_to_a_city():
    layers = random_city(1000)
    scene = Scene(layers.pop("districts"), layers.pop("corridors"), **layers, crs=CRS)
    t = time.perf_counter()
    d = sample_demand(scene, spacing_m=2.0)  # ~500,000 points
    elapsed = time.perf_counter() - t
    assert len(d) > 450_000
    assert elapsed < 30, elapsed


def test_translating_the_scene_changes_nothing_but_coordinates():
    rng = np.random.default_rng(3)
    lines = [LineString(rng.uniform(0, 500, size=(3, 2))) for _ in range(6)]
    inc = rng.uniform(0, 500, size=(30, 2))
    dx, dy = 834_567.25, 817_654.5

    def shifted(geoms, ox, oy):
        return [shapely.transform(g, lambda c: c + np.array([ox, oy])) for g in geoms]

    out = []
    for ox, oy in ((0.0, 0.0), (dx, dy)):
        districts = frame(
            shifted([box(0, 0, 250, 500), box(250, 0, 500, 500)], ox, oy), name=["W", "E"]
        )
        hot = frame(shifted(shapely.points(inc), ox, oy), weight=np.linspace(1, 2, 30))
        scene = Scene(districts, frame(shifted(lines, ox, oy)), hotspots=hot, crs=CRS)
        out.append(sample_demand(scene, spacing_m=7, bandwidth_m=60))
    a, b = out
    np.testing.assert_allclose(
        shapely.get_coordinates(b.geometry.values) - [dx, dy],
        shapely.get_coordinates(a.geometry.values),
        atol=1e-6,
    )
    np.testing.assert_allclose(a["risk"], b["risk"], atol=1e-9)
    assert a["district"].tolist() == b["district"].tolist()


def test_sample_city_demand_invariants(sample_scene):
    d = sample_demand(sample_scene)
    assert d.crs == sample_scene.crs
    assert d["risk"].between(0, 1).all()
    assert d["risk"].max() > 0.5
    np.testing.assert_allclose(d["weight"], d["footfall"] * (1 + d["risk"]))
    # every corridor has at least one point, and the points lie on their corridor
    assert set(d["corridor"]) == set(sample_scene.corridors.index)
    lines = sample_scene.corridors.geometry.values[d["corridor"].to_numpy()]
    assert shapely.distance(d.geometry.values, lines).max() < 1e-6
    inside = shapely.intersects(
        np.asarray(d.geometry.values), shapely.union_all(sample_scene.districts.geometry.values)
    )
    assert (d["district"].to_numpy()[inside] != "").all()
    assert (d["district"].to_numpy()[~inside] == "").all()


def test_hong_kong_risk_matches_brute_force(hk_path):
    from coverage.datasets import hong_kong

    scene = hong_kong(hk_path, incidents="tst")
    # snap_m=0: the incidents stay where they are (snapping is tested in test_assumptions.py)
    d = sample_demand(scene, spacing_m=10, bandwidth_m=150, snap_m=0)
    assert len(d) > 1000
    hs = scene.hotspots
    xy = shapely.get_coordinates(hs.geometry.values)
    w = hs["weight"].to_numpy(dtype=float)
    pick = np.random.default_rng(0).choice(len(d), 40, replace=False)
    q = shapely.get_coordinates(d.geometry.values[pick])
    f = brute_kde(q, xy, w, 150.0)
    top = f / d["risk"].to_numpy()[pick]
    np.testing.assert_allclose(top, top[0], rtol=1e-9)  # risk = f / one normalising constant
    assert d["risk"].max() <= 1.0
