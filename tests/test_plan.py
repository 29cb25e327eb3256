"""End to end on the tiny scene, with every number worked out on paper.

Tiny scene (metres from the origin; see conftest.tiny_layers): corridor H along y = 100
(footfall 2) and V along x = 100 (footfall 1), 200 m each; demand every 10 m at 5, 15, ..., 195
on each, so H points weigh 2 and V points 1 (no hotspots: risk 0). A building fills
(105..125, 105..130). An existing police set at (20, 100) has two cameras facing 90/270.
The new sets have two cameras (0/180), 90° views, 40 m range, and two orientations: N-S
(headings 0/180) and E-W (90/270). Candidate poles: A (100, 100), B (130, 100), C (100, 160).

Coverage worked on paper (a point is seen when it is within 40 m, within 45° of a camera's
heading, and the segment to it misses the building):
- existing (20,100) E-W: H x = 5..55 (6 points, weight 12)
- A N-S: V y = 65..135 (8, weight 8);  A E-W: H x = 65..135 (8, weight 16)
- B E-W: H x = 95..165 (8, weight 16) and V y = 75, 85, 95, 105 (4, weight 4) = 20;
  V y = 115 and 125 are within range and view but behind the building; y = 65 is 46 m away.
- B N-S: nothing;  C E-W: nothing;  C N-S: V y = 125..195 (8, weight 8)
Best plans (objective includes the existing set's 12):
- budget 1: B E-W, 12 + 20 = 32
- budget 2: B E-W + C N-S, 32 + 8 = 40
- budget 3: + A E-W (adds H 65, 75, 85), 40 + 6 = 46
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_poles
from shapely.geometry import box

import coverage as cov

CAMERA = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
H = {(float(x), 100.0) for x in range(5, 200, 10)}
V = {(100.0, float(y)) for y in range(5, 200, 10)}


def h(*xs: int) -> set[tuple[float, float]]:
    return {(float(x), 100.0) for x in xs}


def v(*ys: int) -> set[tuple[float, float]]:
    return {(100.0, float(y)) for y in ys}


EXPECTED = {
    ("A", "NS"): v(65, 75, 85, 95, 105, 115, 125, 135),
    ("A", "EW"): h(65, 75, 85, 95, 105, 115, 125, 135),
    ("B", "NS"): set(),
    ("B", "EW"): h(95, 105, 115, 125, 135, 145, 155, 165) | v(75, 85, 95, 105),
    ("C", "NS"): v(125, 135, 145, 155, 165, 175, 185, 195),
    ("C", "EW"): set(),
}


def _problem(scene, budget, **kw):
    return cov.Problem(scene, CAMERA, budget=budget, poles=tiny_poles(), candidates="poles", **kw)


def _rel(geoms) -> list[tuple[float, float]]:
    return [(round(g.x - X0, 6), round(g.y - Y0, 6)) for g in geoms]


def _orientation(headings) -> str:
    hs = sorted(round(float(x)) % 360 for x in headings)
    return {(0, 180): "NS", (90, 270): "EW"}[tuple(hs)]


def test_demand_weights_are_footfall(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, 1))
    pts = dict(zip(_rel(plan.demand.geometry), plan.demand["weight"], strict=True))
    assert set(pts) == H | V
    assert all(pts[p] == pytest.approx(2.0) for p in H)
    assert all(pts[p] == pytest.approx(1.0) for p in V)


def test_coverage_matrix_matches_paper(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, 1))
    cm = plan.matrix
    demand_xy = _rel(plan.demand.geometry)
    site_name = dict(zip(_rel(plan.sites.geometry), ["?"] * len(plan.sites), strict=True))
    for name, g in zip(["A", "B", "C"], tiny_poles().geometry, strict=True):
        site_name[(g.x - X0, g.y - Y0)] = name
    site_xy = _rel(plan.sites.geometry)
    A = cm.A.tocsr()
    seen: dict[tuple[str, str], set[tuple[float, float]]] = {}
    for r in range(A.shape[0]):
        cols = A.indices[A.indptr[r] : A.indptr[r + 1]]
        covered = {demand_xy[c] for c in cols}
        if cm.site[r] < 0:
            assert covered == h(5, 15, 25, 35, 45, 55)  # the existing set
            continue
        key = (site_name[site_xy[cm.site[r]]], _orientation(cm.headings_deg[r]))
        seen[key] = covered
    for key, want in EXPECTED.items():
        assert seen.get(key, set()) == want, key
    assert np.all(A.data == 1.0)  # binary camera: full credit


@pytest.mark.parametrize("method", ["greedy", "exact", "auto"])
@pytest.mark.parametrize(
    ("budget", "objective", "chosen"),
    [
        (1, 32.0, {("B", "EW")}),
        (2, 40.0, {("B", "EW"), ("C", "NS")}),
        (3, 46.0, {("A", "EW"), ("B", "EW"), ("C", "NS")}),
    ],
)
def test_optimal_plan_matches_paper(tiny_scene, method, budget, objective, chosen):
    plan = cov.solve(_problem(tiny_scene, budget, method=method))
    assert plan.objective == pytest.approx(objective)
    assert plan.objective <= plan.upper_bound + 1e-9
    names = {(g.x - X0, g.y - Y0): n for n, g in zip("ABC", tiny_poles().geometry, strict=True)}
    new = plan.new_cameras
    got = {
        (names[(g.x - X0, g.y - Y0)], _orientation(hd))
        for g, hd in zip(new.geometry, new["headings_deg"], strict=True)
    }
    assert got == chosen
    assert list(new["rank"]) == list(range(1, budget + 1))
    assert new["gain"].sum() == pytest.approx(objective - 12.0)
    # the existing set is in the plan too
    ex = plan.cameras[plan.cameras["status"] == "existing"]
    assert len(ex) == 1
    assert ex.iloc[0]["owner"] == "police"


def test_demand_quality_and_covered_by(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, 1))
    rel = _rel(plan.demand.geometry)
    covered = {p for p, q in zip(rel, plan.demand["quality"], strict=True) if q > 0}
    assert covered == h(5, 15, 25, 35, 45, 55) | EXPECTED[("B", "EW")]
    by = dict(zip(rel, plan.demand["covered_by"], strict=True))
    status = plan.cameras["status"].to_numpy()
    assert status[by[(5.0, 100.0)]] == "existing"
    assert status[by[(145.0, 100.0)]] == "new"
    assert by[(100.0, 115.0)] == -1  # behind the building
    weights = plan.demand["weight"].to_numpy()
    assert float((weights * plan.demand["quality"]).sum()) == pytest.approx(plan.objective)


def test_occlusion_off_sees_behind_the_building(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, 1, occlusion=False))
    # B E-W now also sees V y = 115 and 125: 20 + 2
    assert plan.objective == pytest.approx(12 + 22)


def test_evaluate_by_district(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, 1))
    report = cov.evaluate(tiny_scene, plan)
    d = report.districts.set_index("district")
    # West: H x = 5..95 (10 points, weight 20); covered 5..55 before, + 95 after
    assert d.loc["West", "weight_total"] == pytest.approx(20)
    assert d.loc["West", "weighted_coverage_before"] == pytest.approx(12 / 20)
    assert d.loc["West", "weighted_coverage"] == pytest.approx(14 / 20)
    assert d.loc["West", "sets_existing"] == 1
    # East: H 105..195 (10, weight 20) and V (20, weight 20); covered H 105..165, V 75..105
    assert d.loc["East", "weight_total"] == pytest.approx(40)
    assert d.loc["East", "weighted_coverage"] == pytest.approx(18 / 40)
    assert d.loc["East", "point_coverage"] == pytest.approx(11 / 30)
    assert d.loc["East", "weighted_coverage_before"] == 0
    assert d.loc["East", "sets_new"] == 1
    assert report.total["weight_covered"] == pytest.approx(plan.objective)
    assert report.total["weighted_coverage"] == pytest.approx(32 / 60)


def test_same_seed_same_plan(sample_scene):
    p1 = cov.solve(cov.Problem(sample_scene, cov.CameraSet(), budget=30, method="greedy"))
    p2 = cov.solve(cov.Problem(sample_scene, cov.CameraSet(), budget=30, method="greedy"))
    assert p1.cameras.drop(columns="geometry").equals(p2.cameras.drop(columns="geometry"))
    assert p1.cameras.geometry.equals(p2.cameras.geometry)
    assert p1.objective == p2.objective


def test_budget_above_candidates_is_an_error(tiny_scene):
    with pytest.raises(cov.errors.ParameterError, match=r"'budget'.*\[1, 3\].*Got 4"):
        cov.solve(_problem(tiny_scene, 4))


def test_problem_parameters_are_checked(tiny_scene):
    with pytest.raises(cov.errors.ParameterError, match="'budget' parameter of Problem"):
        cov.Problem(tiny_scene, CAMERA, budget=0)
    with pytest.raises(cov.errors.ParameterError, match="'method' parameter of Problem"):
        cov.Problem(tiny_scene, CAMERA, budget=1, method="magic")
    with pytest.raises(TypeError, match="CameraSet"):
        cov.Problem(tiny_scene, "3 cameras", budget=1)


def test_privacy_zone_over_every_candidate(tiny_scene):
    from conftest import tiny_layers

    layers = tiny_layers()
    zone = gpd.GeoDataFrame(
        {"name": ["whole block"]}, geometry=[box(X0 - 10, Y0 - 10, X0 + 210, Y0 + 210)], crs=2326
    )
    scene = cov.Scene(layers["districts"], layers["corridors"], privacy_zones=zone)
    with pytest.raises(cov.errors.InputError, match="No candidate site is left"):
        cov.solve(cov.Problem(scene, CAMERA, budget=1))
    with pytest.raises(cov.errors.InputError, match=r"(?i)pole.*privacy"):
        cov.solve(_problem(scene, 1))


def test_phases_are_nested(tiny_scene):
    plan = cov.solve(_problem(tiny_scene, [1, 1], method="greedy"))
    new = plan.new_cameras
    assert list(new["phase"]) == [1, 2]
    # phase 1 is the best single set (B E-W, 32); phase 2 adds C N-S on top (40)
    ph = plan.phases
    assert list(ph["budget"]) == [1, 1]
    assert ph["objective"].tolist() == pytest.approx([32.0, 40.0])
    assert (ph["objective"] <= ph["upper_bound"] + 1e-9).all()
    assert plan.objective == pytest.approx(40.0)
    assert new["site"].is_unique


def test_progress_reports_every_stage_once_in_order(tiny_scene):
    events: list[tuple[str, float, float | None]] = []
    plan = cov.solve(
        _problem(tiny_scene, [1, 1], method="greedy"),
        progress=lambda *event: events.append(event),
    )
    stages = ["demand", "candidates", "matrix", "optimize phase 1", "optimize phase 2"]
    assert events == [e for name in stages for e in ((name, 0, None), (name, 1, 1))]
    assert list(plan.meta["timings_s"]) == stages
    assert plan.phases["seconds"].tolist() == [
        plan.meta["timings_s"]["optimize phase 1"],
        plan.meta["timings_s"]["optimize phase 2"],
    ]
    single = cov.solve(_problem(tiny_scene, 1, method="greedy"))
    assert list(single.meta["timings_s"]) == ["demand", "candidates", "matrix", "optimize"]


def test_own_demand_points(tiny_scene):
    # three demand points: two near B, one far away; B E-W sees (120,100) and (140,100)
    pts = [(120, 100), (140, 100), (100, 190)]
    demand = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0, 5.0]},
        geometry=gpd.points_from_xy([X0 + x for x, _ in pts], [Y0 + y for _, y in pts]),
        crs=2326,
    )
    plan = cov.solve(_problem(tiny_scene, 1, demand=demand, method="greedy"))
    # C N-S sees (100,190) at 30 m: weight 5 beats B's 3
    assert plan.objective == pytest.approx(5.0)
    assert list(plan.demand["district"]) == ["East", "East", "East"]
    with pytest.raises(cov.errors.InputError, match=r"demand points are in EPSG:4326.*to_crs"):
        _problem(tiny_scene, 1, demand=demand.to_crs(4326))
    with pytest.raises(cov.errors.InputError, match=r"NaN or negative \(rows \[1\]\)"):
        _problem(tiny_scene, 1, demand=demand.assign(weight=[1.0, -1.0, 0.0]))


def test_quota_parameters_are_checked(tiny_scene):
    with pytest.raises(cov.errors.ParameterError, match="unknown district.*Nowhere"):
        _problem(tiny_scene, 1, quotas={"Nowhere": (1, None)})
    with pytest.raises(cov.errors.ParameterError, match="quota of 'West' must be"):
        _problem(tiny_scene, 1, quotas={"West": (2, 1)})


def test_assess_a_saved_plan(tiny_scene, tmp_path):
    from coverage.io import write_frame

    plan = cov.solve(_problem(tiny_scene, 2, method="greedy"))
    write_frame(plan.cameras, tmp_path / "plan.geojson")
    sets = gpd.read_file(tmp_path / "plan.geojson")
    again = cov.plan.assess(_problem(tiny_scene, 2), sets, bound=True)
    assert again.objective == pytest.approx(40.0)  # the same coverage, read back from the file
    assert again.upper_bound >= 40.0 - 1e-9
    quick = cov.plan.assess(_problem(tiny_scene, 2), sets)  # no bound asked: nothing optimized
    assert quick.objective == pytest.approx(40.0)
    assert np.isnan(quick.upper_bound) and np.isnan(quick.gap)
    assert quick.meta["bound"] == "not computed" and "not computed" in quick.summary()
    assert list(again.cameras["status"]) == ["existing", "new", "new"]
    # a hand-made layout: one set at A facing N-S covers V 65..135 (8) + the existing 12
    mine = gpd.GeoDataFrame(
        {"headings_deg": ["0;180"]}, geometry=[tiny_poles().geometry.iloc[0]], crs=2326
    )
    hand = cov.plan.assess(_problem(tiny_scene, 1), mine, bound=True)
    assert hand.objective == pytest.approx(20.0)
    assert hand.upper_bound >= 32.0 - 1e-9  # the best single set reaches 32
    assert hand.gap == pytest.approx(1 - 20.0 / hand.upper_bound)


def test_summary_says_why_the_gap_target_was_not_proven(sample_scene):
    def plan_of(**kw):
        problem = cov.Problem(
            sample_scene, cov.CameraSet(), budget=40, spacing_m=20, candidate_spacing_m=50, **kw
        )
        return cov.solve(problem)

    local = plan_of(method="local")  # swaps and a Lagrangian bound: 0.3% here, above 0.1%
    assert local.solution.stopped_by == "work_limit" and local.gap > local.meta["gap_tol"]
    assert "The gap target (0.10%) was not proven within the work budget" in local.summary()
    cut = plan_of(method="auto", time_limit_s=1e-3)  # no time for more than greedy
    assert cut.solution.stopped_by == "time_limit" and cut.gap > 1e-3
    assert "The time limit cut the run before the gap target (0.10%)" in cut.summary()
    proven = plan_of(method="auto", gap_tol=0.01)
    assert proven.gap <= 0.01
    assert "not proven" not in proven.summary() and "time limit cut" not in proven.summary()
