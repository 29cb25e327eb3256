"""coverage_curve: objective and bound against budget for the tiny plan, worked on paper."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_layers
from shapely.geometry import Point

import coverage as cov
from coverage.errors import ParameterError
from coverage.evaluation import coverage_curve


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


def test_curve_of_a_phased_plan_keeps_valid_bounds(tiny_plan, tiny_problem):
    scene, _ = tiny_plan
    phased = cov.solve(tiny_problem(scene, (1, 1)))
    assert len(phased.new_cameras) == 2
    c = coverage_curve(phased, [1, 2, 3])
    assert c["objective"].tolist()[1] == pytest.approx(40.0)
    assert (c["upper_bound"].to_numpy() >= np.array([32.0, 40.0, 46.0]) - 1e-9).all()


# ------------------------------------------------------------- the ordered curve, brute force
def _brute_force_optimum(cm, w, budget):
    """Best covered weight of `budget` rows, one per site, by trying every choice (dense)."""
    A = cm.A.toarray()
    base = A[cm.fixed].max(axis=0) if len(cm.fixed) else np.zeros(A.shape[1])
    open_rows = [i for i in range(A.shape[0]) if cm.site[i] >= 0]
    sites = sorted({int(cm.site[i]) for i in open_rows})
    rows_of = {s: [i for i in open_rows if cm.site[i] == s] for s in sites}
    best = float(w @ base)
    for chosen in itertools.combinations(sites, min(budget, len(sites))):
        for rows in itertools.product(*(rows_of[s] for s in chosen)):
            level = np.maximum(base, A[list(rows)].max(axis=0)) if rows else base
            best = max(best, float(w @ level))
    return best


@pytest.fixture(scope="module")
def six_pole_plan():
    """The tiny scene (its existing set included) with six poles along both streets."""
    layers = tiny_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
    )
    xy = [(60, 100), (100, 100), (130, 100), (170, 100), (100, 40), (100, 160)]
    poles = gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs="EPSG:2326")
    camera = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=4)
    problem = cov.Problem(
        scene, camera, budget=2, poles=poles, candidates="poles", method="local", spacing_m=5
    )
    return cov.solve(problem)


def test_ordered_curve_against_brute_force(six_pole_plan):
    plan = six_pole_plan
    cm, w = plan.matrix, plan.demand["weight"].to_numpy()
    steps: list[str] = []
    c = coverage_curve(plan, [0, 1, 2, 3, 4, 5, 6], progress=lambda s, d, t: steps.append(s))
    assert "curve: bounds" in steps
    for b, obj, ub in zip(c["budget"], c["objective"], c["upper_bound"], strict=True):
        best = _brute_force_optimum(cm, w, int(b))
        # the objective is a real plan of b sets (never above the optimum), the bound a proven one
        assert obj <= best + 1e-9
        assert ub >= best - 1e-9, (b, ub, best)
        # and a tight one: the gain bounds alone are up to 12% above here (109 vs 97 at b = 6)
        assert ub <= 1.01 * best, (b, ub, best)
    assert c["objective"].is_monotonic_increasing and c["upper_bound"].is_monotonic_increasing
    assert c.loc[c["budget"] == 2, "objective"].item() >= plan.objective - 1e-9


def test_ordered_objectives_are_recomputed_from_real_prefixes(six_pole_plan):
    plan = six_pole_plan
    cm, w = plan.matrix, plan.demand["weight"].to_numpy()
    c = coverage_curve(plan, [1, 3, 5])
    greedy = cov.optimize.max_coverage(
        cm.A, w, budget=5, groups=cm.groups, fixed=cm.fixed, method="greedy"
    )
    for b, obj in zip(c["budget"], c["objective"], strict=True):
        prefix = cov.optimize.objective(cm.A, w, greedy.selected[:b], cm.fixed)
        assert obj >= prefix - 1e-9  # at least the greedy prefix of that length


@pytest.mark.parametrize("seed", range(6))
def test_bound_core_bounds_every_budget_for_any_multipliers(seed):
    from scipy.sparse import csr_array

    from coverage.evaluation._bounds import BoundCore

    rng = np.random.default_rng(seed)
    n_groups, per, m = 6, 2, 10
    A = rng.random((n_groups * per + 1, m)) * (rng.random((n_groups * per + 1, m)) < 0.4)
    groups = np.r_[np.repeat(np.arange(n_groups), per), n_groups]
    fixed = np.array([n_groups * per])  # the last row is installed, its own group
    w = rng.random(m) * 3
    core = BoundCore.build(csr_array(A), w, groups=groups, fixed=fixed)
    base = A[fixed].max(axis=0)

    def opt(b):
        best = float(w @ base)
        for chosen in itertools.combinations(range(n_groups), b):
            for pick in itertools.product(range(per), repeat=b):
                rows = [g * per + k for g, k in zip(chosen, pick, strict=True)]
                level = np.maximum(base, A[rows].max(axis=0)) if rows else base
                best = max(best, float(w @ level))
        return best

    budgets = np.arange(n_groups + 1)
    optimum = np.array([opt(b) for b in budgets])
    q = np.maximum(base, A[[0, 3]].max(axis=0))  # a known set S = rows 0 and 3
    for lam in (np.zeros(m), core.multipliers(q), rng.random(m) * w):
        assert (core.bounds(lam, budgets) >= optimum - 1e-9).all()
    for b in (1, 2, 4):
        start = core.multipliers(q)
        lam = core.descend(start, b, optimum[b] * 0.9, iterations=25)
        assert (core.bounds(lam, budgets) >= optimum - 1e-9).all()
        # the steps keep the best multipliers seen: never worse than the start at b
        assert core.bounds(lam, [b])[0] <= core.bounds(start, [b])[0] + 1e-9
