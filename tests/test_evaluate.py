"""evaluate: districts, incidents, privacy, continuity, curve and comparison, worked on paper.

The tiny scene (conftest.tiny_layers, see test_pipeline for its coverage on paper): with
budget 1 the plan is B E-W at (130, 100) (sees H x = 95..165 and V y = 75..105) beside the
existing set at (20, 100) facing east/west (sees H x = 5..55). Districts: West x < 98, East.

The continuity graph (a "T", metres): A (0, 0) - C (100, 0) - B (200, 0) along y = 0 (corridor
0) and C - D (100, 100) (corridor 1); demand every 10 m at 5, 15, ..., 95 from each edge's
start. Watched by hand: on C-B x = 105..145; on C-D y = 65..95. Each point stands for the 10 m
around it, so:
- watched: C-B 100..150 (50 m), C-D 60..100 (40 m): 90 m of 300 m;
- unwatched: A-C (100 m) joined at C to C-(100, 60) (60 m): one network of 160 m whose longest
  walk is A -> C -> (100, 60) = 160 m; and (150, 0)-B, 50 m on its own.
Routes from a landmark at A to hotspots at B and at D (both 200 m long):
A-B watched 50 / 200 = 0.25, A-D watched 40 / 200 = 0.2.
"""

from __future__ import annotations

import itertools
import types

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_layers, tiny_poles
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, box

import coverage as cov
from coverage.errors import InputError, ParameterError
from coverage.evaluate import (
    _diameter,
    compare,
    corridor_continuity,
    coverage_curve,
    edge_watch,
    evaluate,
    incident_coverage,
    plan_camera_set,
    route_ends,
)

CAMERA = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
CRS = "EPSG:2326"


def P(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def _problem(scene, budget, camera=CAMERA, **kw):
    return cov.Problem(scene, camera, budget=budget, poles=tiny_poles(), candidates="poles", **kw)


@pytest.fixture(scope="module")
def tiny_plan():
    layers = tiny_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
    )
    return scene, cov.solve(_problem(scene, 1))


def _with(scene_layers: dict, **extra) -> cov.Scene:
    layers = {**scene_layers, **extra}
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers.get("buildings"),
        cameras=layers.get("cameras"),
        hotspots=layers.get("hotspots"),
        privacy_zones=layers.get("privacy_zones"),
        landmarks=layers.get("landmarks"),
        name=layers.get("name", ""),
    )


# ----------------------------------------------------------------------------- districts


def test_existing_columns_kept(tiny_plan):
    scene, plan = tiny_plan
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    assert d.loc["West", "weighted_coverage"] == pytest.approx(14 / 20)
    assert d.loc["East", "weighted_coverage"] == pytest.approx(18 / 40)
    assert d.loc["East", "point_coverage_before"] == 0
    assert list(d.index) == ["West", "East"]


def test_density_per_km2_and_residents(tiny_plan):
    _, plan = tiny_plan
    layers = tiny_layers()
    layers["districts"]["population"] = [1000.0, 2000.0]
    scene = _with(layers)
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    # West 98 m x 200 m, East 102 m x 200 m; one set in each (existing West, new East)
    assert d.loc["West", "area_km2"] == pytest.approx(98 * 200 / 1e6)
    assert d.loc["West", "sets_per_km2"] == pytest.approx(1 / (98 * 200 / 1e6))
    assert d.loc["East", "sets_per_km2"] == pytest.approx(1 / (102 * 200 / 1e6))
    assert d.loc["West", "sets_per_10k_residents"] == pytest.approx(10.0)
    assert d.loc["East", "sets_per_10k_residents"] == pytest.approx(5.0)
    no_pop = evaluate(_with(tiny_layers()), plan, continuity=False).districts
    assert no_pop["sets_per_10k_residents"].isna().all()


def test_module_is_callable_as_the_function(tiny_plan):
    import coverage.evaluate as module

    scene, plan = tiny_plan
    assert isinstance(cov.evaluate(scene, plan, continuity=False), cov.Report)
    assert isinstance(module(scene, plan, continuity=False), cov.Report)


def test_camera_set_is_read_from_the_plan(tiny_plan):
    _, plan = tiny_plan
    assert plan_camera_set(plan) == CAMERA
    fake = types.SimpleNamespace(cameras=plan.cameras, meta={})
    rebuilt = plan_camera_set(fake)  # from the table: 2 cameras 180 degrees apart
    assert rebuilt.relative_headings_deg == (0.0, 180.0)
    assert rebuilt.range_m == 40.0
    with pytest.raises(TypeError, match="CameraSet"):
        plan_camera_set(plan, "tri-90")


# ----------------------------------------------------------------------------- incidents

INCIDENTS = [  # (x, y, category, seen before, seen after, district)
    (30, 100, "theft", True, True, "West"),  # existing set, east camera
    (5, 150, "theft", False, False, "West"),  # 50 m away
    (150, 100, "theft", False, True, "East"),  # B, east camera
    (100, 115, "assault", False, False, "East"),  # B's west camera, behind the building
    (100, 170, "", False, False, "East"),  # only C N-S would see it
]


def _incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"category": [i[2] for i in INCIDENTS], "weight": 1.0},
        geometry=[P(i[0], i[1]) for i in INCIDENTS],
        crs=CRS,
    )


def test_incidents_covered_on_paper(tiny_plan):
    _, plan = tiny_plan  # the layout solved without incidents, evaluated with them
    scene = _with(tiny_layers(), hotspots=_incidents())
    inc = incident_coverage(scene, plan)
    assert inc["covered_before"].tolist() == [i[3] for i in INCIDENTS]
    assert inc["covered"].tolist() == [i[4] for i in INCIDENTS]
    assert inc["district"].tolist() == [i[5] for i in INCIDENTS]
    report = evaluate(scene, plan, continuity=False)
    d = report.districts.set_index("district")
    assert d.loc[
        "West", ["incidents", "incidents_covered_before", "incidents_covered"]
    ].tolist() == [
        2,
        1,
        1,
    ]
    assert d.loc[
        "East", ["incidents", "incidents_covered_before", "incidents_covered"]
    ].tolist() == [
        3,
        0,
        1,
    ]
    assert report.total["incidents_covered"] == 2
    long = report.incidents.set_index(["district", "category"])
    assert long.loc[("East", "assault"), "covered"] == 0
    assert long.loc[("East", "theft"), "covered"] == 1
    assert long.loc[("East", "(no category)"), "incidents"] == 1
    assert long.loc[("West", "theft"), ["incidents", "covered_before", "covered"]].tolist() == [
        2,
        1,
        1,
    ]


def test_incident_behind_building_seen_without_occlusion(tiny_plan):
    layers = tiny_layers()
    base = _with(layers)
    plan = cov.solve(_problem(base, 1, occlusion=False))
    scene = _with(layers, hotspots=_incidents())
    inc = incident_coverage(scene, plan)
    assert inc["covered"].tolist() == [True, False, True, True, False]


@pytest.mark.parametrize(
    "camera",
    [
        CAMERA,
        cov.CameraSet(
            cameras=2, hfov_deg=70, range_m=35, relative_headings_deg=(30, 210), rotations=3
        ),
        cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, rotations=2),
    ],
)
def test_incidents_at_demand_points_match_the_plan(camera):
    """Incidents placed on the demand points are watched exactly where the demand is."""
    layers = tiny_layers()
    base = _with(layers)
    plan = cov.solve(_problem(base, 2, camera=camera))
    pts = gpd.GeoDataFrame(geometry=plan.demand.geometry.values, crs=CRS)
    scene = _with(layers, hotspots=pts)
    inc = incident_coverage(scene, plan)
    np.testing.assert_allclose(inc["quality"].to_numpy(), plan.demand["quality"].to_numpy())
    existing = plan.matrix.fixed
    before = (plan.matrix.A[existing].toarray() > 0).any(axis=0)
    assert inc["covered_before"].tolist() == before.tolist()


def test_no_point_hotspots_gives_zero_incidents(tiny_plan):
    scene, plan = tiny_plan
    inc = incident_coverage(scene, plan)
    assert len(inc) == 0
    report = evaluate(scene, plan, continuity=False)
    assert report.total["incidents"] == 0
    assert (report.districts["incidents"] == 0).all()


# ----------------------------------------------------------------------------- privacy


def test_privacy_area_seen_by_the_existing_set(tiny_plan):
    _, plan = tiny_plan
    # a 10 m x 10 m zone 10..20 m east of the existing set (20, 100): inside its east view
    zone = gpd.GeoDataFrame(
        {"name": ["clinic"]}, geometry=[box(X0 + 30, Y0 + 95, X0 + 40, Y0 + 105)], crs=CRS
    )
    scene = _with(tiny_layers(), privacy_zones=zone)
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    assert d.loc["West", "privacy_seen_before_m2"] == pytest.approx(100.0, rel=1e-6)
    assert d.loc["West", "privacy_seen_m2"] == pytest.approx(100.0, rel=1e-6)
    assert d.loc["East", "privacy_seen_m2"] == 0


# ----------------------------------------------------------------------------- continuity


def _t_scene(**extra) -> cov.Scene:
    districts = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 150)], crs=CRS
    )
    corridors = gpd.GeoDataFrame(
        geometry=[LineString([P(0, 0), P(200, 0)]), LineString([P(100, 0), P(100, 100)])], crs=CRS
    )
    return cov.Scene(districts, corridors, **extra)


def _t_plan() -> types.SimpleNamespace:
    xs = [float(v) for v in range(5, 100, 10)]
    pts, q, corr = [], [], []
    for x in xs:  # A-C: unwatched
        pts.append(P(x, 0))
        q.append(0.0)
        corr.append(0)
    for x in xs:  # C-B: 105..145 watched
        pts.append(P(100 + x, 0))
        q.append(1.0 if x < 50 else 0.0)
        corr.append(0)
    for y in xs:  # C-D: 65..95 watched
        pts.append(P(100, y))
        q.append(0.5 if y > 60 else 0.0)
        corr.append(1)
    demand = gpd.GeoDataFrame(
        {"quality": q, "corridor": corr, "weight": 1.0}, geometry=pts, crs=CRS
    )
    return types.SimpleNamespace(demand=demand, meta={})


def test_edge_watch_on_paper():
    scene = _t_scene()
    e = edge_watch(scene, _t_plan())
    xy = {n: (round(d["x"] - X0), round(d["y"] - Y0)) for n, d in scene.graph.nodes(data=True)}
    got = {
        frozenset((xy[u], xy[v])): w for u, v, w in zip(e["u"], e["v"], e["watched_m"], strict=True)
    }
    assert got == {
        frozenset(((0, 0), (100, 0))): pytest.approx(0.0),
        frozenset(((100, 0), (200, 0))): pytest.approx(50.0),
        frozenset(((100, 0), (100, 100))): pytest.approx(40.0),
    }
    # a stricter quality threshold drops C-D (quality 0.5)
    strict = edge_watch(scene, _t_plan(), min_quality=0.5)
    assert strict["watched_m"].sum() == pytest.approx(50.0)


def test_longest_unobserved_stretch_on_paper():
    cont = corridor_continuity(_t_scene(), _t_plan())
    assert cont.longest_unwatched_m == pytest.approx(160.0)
    ends = {(round(x - X0, 6), round(y - Y0, 6)) for x, y in cont.longest_unwatched_ends}
    assert ends == {(0.0, 0.0), (100.0, 60.0)}
    assert cont.largest_unwatched_network_m == pytest.approx(160.0)
    assert cont.corridor_length_m == pytest.approx(300.0)
    assert cont.watched_length_m == pytest.approx(90.0)


def test_everything_watched_has_no_stretch():
    plan = _t_plan()
    plan.demand["quality"] = 1.0
    cont = corridor_continuity(_t_scene(), plan)
    assert cont.longest_unwatched_m == 0.0
    assert cont.longest_unwatched_ends is None
    assert cont.watched_length_m == pytest.approx(300.0)


def test_unwatched_loop_diameter_is_half_the_loop():
    """A 100 m square, nothing watched: the farthest corners are 200 m apart (not 400 m)."""
    districts = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 150)], crs=CRS
    )
    ring = [P(0, 0), P(100, 0), P(100, 100), P(0, 100), P(0, 0)]
    corridors = gpd.GeoDataFrame(geometry=[LineString(ring[i : i + 2]) for i in range(4)], crs=CRS)
    scene = cov.Scene(districts, corridors)
    demand = gpd.GeoDataFrame(
        {"quality": [0.0] * 4, "corridor": [0, 1, 2, 3], "weight": 1.0},
        geometry=[P(50, 0), P(100, 50), P(50, 100), P(0, 50)],
        crs=CRS,
    )
    cont = corridor_continuity(scene, types.SimpleNamespace(demand=demand, meta={}))
    assert cont.longest_unwatched_m == pytest.approx(200.0)
    assert cont.largest_unwatched_network_m == pytest.approx(400.0)


def test_diameter_matches_all_pairs():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 30))
        edges = {(i, int(rng.integers(0, i))) for i in range(1, n)}  # a spanning tree
        edges |= {
            tuple(sorted(map(int, rng.integers(0, n, 2)), reverse=True)) for _ in range(n // 2)
        }
        edges = {(a, b) for a, b in edges if a != b}
        a, b = np.array(sorted(edges)).T
        w = rng.integers(1, 50, a.size).astype(float)
        M = csr_array((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        D = dijkstra(M, directed=False)
        d, i, j = _diameter(M)
        assert d == pytest.approx(D.max())
        assert D[i, j] == pytest.approx(d)


def _route_scene(**extra) -> cov.Scene:
    landmarks = gpd.GeoDataFrame(  # the far exit (5 km away) is ignored despite its weight
        {"kind": ["mtr_exit", "mtr_exit"], "name": ["Exit A", "Far exit"], "weight": [1.0, 9.0]},
        geometry=[P(1, 1), P(5000, 5000)],
        crs=CRS,
    )
    hot = gpd.GeoDataFrame(
        {"intensity": [2.0, 1.0]},
        geometry=[
            box(X0 + 195, Y0 - 5, X0 + 205, Y0 + 5),
            box(X0 + 95, Y0 + 95, X0 + 105, Y0 + 105),
        ],
        crs=CRS,
    )
    return _t_scene(landmarks=landmarks, hotspots=hot, **extra)


def test_route_ends_by_intensity_and_weight():
    lmk, hot = route_ends(_route_scene(), _t_plan(), separation_m=50)
    assert lmk["name"].tolist() == ["Exit A"]
    assert [(round(x - X0), round(y - Y0)) for x, y in zip(hot["x"], hot["y"], strict=True)] == [
        (200, 0),
        (100, 100),
    ]
    _, one = route_ends(_route_scene(), _t_plan(), n_hotspots=1, separation_m=50)
    _, far = route_ends(_route_scene(), _t_plan())  # 300 m apart by default: one is left
    assert len(far) == 1
    assert len(one) == 1


@pytest.mark.parametrize(("threshold", "share"), [(0.8, 0.0), (0.25, 0.5), (0.2, 1.0)])
def test_routes_watched_share_on_paper(threshold, share):
    cont = corridor_continuity(_route_scene(), _t_plan(), threshold=threshold, separation_m=50)
    r = cont.routes.set_index("target")
    assert r["length_m"].tolist() == pytest.approx([200.0, 200.0])
    assert r["watched_share"].tolist() == pytest.approx([0.25, 0.2])
    assert cont.share_routes_watched == pytest.approx(share)


def test_routes_between_hotspots_without_landmarks():
    hot = gpd.GeoDataFrame(
        {"intensity": [2.0, 1.0]},
        geometry=[
            box(X0 + 195, Y0 - 5, X0 + 205, Y0 + 5),
            box(X0 + 95, Y0 + 95, X0 + 105, Y0 + 105),
        ],
        crs=CRS,
    )
    cont = corridor_continuity(_t_scene(hotspots=hot), _t_plan(), separation_m=50)
    # one route B -> C -> D: 200 m, watched 50 + 40
    assert len(cont.routes) == 1
    assert cont.routes["watched_share"].iloc[0] == pytest.approx(90 / 200)


def test_continuity_checks_parameters():
    with pytest.raises(ParameterError, match="'threshold' parameter of corridor_continuity"):
        corridor_continuity(_t_scene(), _t_plan(), threshold=1.5)
    bad = types.SimpleNamespace(demand=_t_plan().demand.drop(columns="quality"))
    with pytest.raises(InputError, match="quality"):
        corridor_continuity(_t_scene(), bad)


def test_continuity_in_the_report(tiny_plan):
    scene, plan = tiny_plan
    report = evaluate(scene, plan)
    # H: watched x = 0..60 (existing) and 90..170 (B); V: y = 70..110 (B)
    # unwatched: H 60..90 joins V 110..200 only through the watched crossing -> separate
    assert report.continuity is not None
    assert report.total["watched_length_m"] == pytest.approx(60 + 80 + 40)
    assert report.total["longest_unwatched_m"] == pytest.approx(90.0)  # V 110..200
    assert report.total["corridor_length_m"] == pytest.approx(400.0)


# ----------------------------------------------------------------------------- curve


def test_curve_on_paper(tiny_plan):
    _, plan = tiny_plan
    c = coverage_curve(plan, [3, 0, 1, 2], method="exact")
    assert c["budget"].tolist() == [0, 1, 2, 3]
    assert c["objective"].tolist() == pytest.approx([12.0, 32.0, 40.0, 46.0])
    assert (c["upper_bound"] >= c["objective"] - 1e-9).all()
    assert c["upper_bound"].is_monotonic_increasing
    assert c["weighted_coverage"].tolist() == pytest.approx([12 / 60, 32 / 60, 40 / 60, 46 / 60])
    greedy = coverage_curve(plan)  # default budgets: 0 .. 2 x the plan's, capped at 3 sites
    assert greedy["budget"].tolist() == [0, 1, 2]
    assert greedy["objective"].is_monotonic_increasing
    # proven bounds: never below the optimum worked on paper
    assert (greedy["upper_bound"].to_numpy() >= np.array([12.0, 32.0, 40.0]) - 1e-9).all()


def test_curve_budget_out_of_range(tiny_plan):
    _, plan = tiny_plan
    with pytest.raises(ParameterError, match="'budgets' parameter of coverage_curve"):
        coverage_curve(plan, [4])


# ----------------------------------------------------------------------------- compare


def test_compare_on_paper(tiny_plan):
    scene, one = tiny_plan
    two = cov.solve(_problem(scene, 2))
    t = compare(scene, one, two, labels=("one", "two")).set_index("district")
    assert list(t.index) == ["West", "East", "(all)"]
    assert t.loc["East", "weighted_coverage_one"] == pytest.approx(18 / 40)
    assert t.loc["East", "weighted_coverage_two"] == pytest.approx(26 / 40)
    assert t.loc["East", "difference"] == pytest.approx(8 / 40)
    assert t.loc["West", "difference"] == pytest.approx(0.0)
    assert t.loc["(all)", "difference"] == pytest.approx(8 / 60)
    assert t.loc["East", ["sets_new_one", "sets_new_two", "sets_difference"]].tolist() == [1, 2, 1]
    assert t.loc["West", "weighted_coverage_before"] == pytest.approx(12 / 20)
    with pytest.raises(InputError, match="two distinct labels"):
        compare(scene, one, two, labels=("x", "x"))


def test_pairs_helper_is_deterministic():
    a = corridor_continuity(_route_scene(), _t_plan())
    b = corridor_continuity(_route_scene(), _t_plan())
    assert a.routes.equals(b.routes)
    assert list(itertools.chain(a.longest_unwatched_ends)) == list(
        itertools.chain(b.longest_unwatched_ends)
    )


def test_curve_of_a_phased_plan_keeps_valid_bounds(tiny_plan):
    scene, _ = tiny_plan
    phased = cov.solve(_problem(scene, (1, 1)))
    assert len(phased.new_cameras) == 2
    c = coverage_curve(phased, [1, 2, 3])
    assert c["objective"].tolist()[1] == pytest.approx(40.0)
    assert (c["upper_bound"].to_numpy() >= np.array([32.0, 40.0, 46.0]) - 1e-9).all()
