"""integration_value: partners' cameras, checked against re-solving without them by brute force."""

from __future__ import annotations

import numpy as np
import pytest
from partners import EXISTING, fewest_sets, partner_problem
from scipy.sparse import csr_array

import coverage as cov
from coverage.errors import InputError, ParameterError
from coverage.evaluation import integration_value, marginal_losses
from coverage.matrix import CoverageMatrix
from coverage.plan import build_matrix


@pytest.fixture(scope="module")
def valued():
    problem = partner_problem(EXISTING)
    plan = cov.solve(problem)
    return problem, plan, integration_value(problem, plan=plan, top=3)


def test_one_row_per_owner_and_coverage_with_is_the_plan(valued):
    _, plan, v = valued
    assert v["owner"].tolist() == ["MTR", "dept", "police"]
    assert v["existing_sets"].tolist() == [2, 1, 1]
    total = float(plan.demand["weight"].sum())
    assert v["coverage_with"].tolist() == pytest.approx([plan.objective / total] * 3)
    assert v.attrs["target"] == pytest.approx(plan.objective)
    assert v.attrs["new_sets"] == len(plan.new_cameras)


def test_coverage_without_matches_assessing_the_plan_on_a_scene_without_the_owner(valued):
    _, plan, v = valued
    total = float(plan.demand["weight"].sum())
    for owner in ["MTR", "dept", "police"]:
        others = [r for r in EXISTING if r[0] != owner]
        # an independent path: a fresh scene without the owner's cameras, the same new sets
        assessed = cov.plan.assess(partner_problem(others), plan.new_cameras)
        row = v.set_index("owner").loc[owner]
        assert row["coverage_without"] == pytest.approx(assessed.objective / total)
        assert row["coverage_lost"] == pytest.approx(row["coverage_with"] - row["coverage_without"])
        assert row["coverage_lost"] >= 0


def test_new_sets_saved_holds_the_brute_force_saving(valued):
    _, plan, v = valued
    target = plan.objective
    w = plan.demand["weight"].to_numpy()
    n_with = fewest_sets(plan.matrix, w, target)
    assert n_with <= len(plan.new_cameras)
    savings = []
    for owner in ["MTR", "dept", "police"]:
        others = partner_problem([r for r in EXISTING if r[0] != owner])
        # the matrix without the owner, built from scratch (same demand and sites)
        from coverage.plan import _make_demand, _make_sites

        cm = build_matrix(others, _make_demand(others), _make_sites(others))
        n_without = fewest_sets(cm, w, target)
        row = v.set_index("owner").loc[owner]
        saved = n_without - n_with
        savings.append(saved)
        assert row["new_sets_saved_low"] <= saved + 1e-9
        if np.isfinite(saved):
            assert saved <= row["new_sets_saved_high"] + 1e-9
        else:
            assert np.isnan(row["new_sets_saved_high"])
    assert max(savings) >= 1  # the case is not trivial: some owner's sets do save new ones


def test_solver_runs_narrow_the_interval_and_keep_the_brute_force_saving(valued):
    problem, plan, _ = valued
    w = plan.demand["weight"].to_numpy()
    n_with = fewest_sets(plan.matrix, w, plan.objective)
    refined = integration_value(problem, plan=plan, solves=2, bound_iterations=0)
    loose = integration_value(problem, plan=plan, bound_iterations=0)
    from coverage.plan import _make_demand, _make_sites

    for owner in ["MTR", "dept", "police"]:
        others = partner_problem([r for r in EXISTING if r[0] != owner])
        cm = build_matrix(others, _make_demand(others), _make_sites(others))
        saved = fewest_sets(cm, w, plan.objective) - n_with
        r = refined.set_index("owner").loc[owner]
        q = loose.set_index("owner").loc[owner]
        assert r["new_sets_saved_low"] <= saved <= r["new_sets_saved_high"]
        assert q["new_sets_saved_low"] <= r["new_sets_saved_low"]
        assert r["new_sets_saved_high"] <= q["new_sets_saved_high"]


def test_top_sets_are_the_largest_direct_losses(valued):
    _, plan, v = valued
    total = float(plan.demand["weight"].sum())
    for owner in ["MTR", "dept", "police"]:
        row = v.set_index("owner").loc[owner]
        direct = {}
        for k, r in enumerate(EXISTING):
            if r[0] != owner:
                continue
            others = [x for j, x in enumerate(EXISTING) if j != k]
            alone = cov.plan.assess(partner_problem(others), plan.new_cameras)
            direct[k] = plan.objective - alone.objective
        expect = [k for k in sorted(direct, key=lambda k: -direct[k]) if direct[k] > 1e-9]
        assert list(row["top_sets"]) == expect
        got = np.array(row["top_sets_lost"])
        assert got == pytest.approx(np.array([direct[k] for k in expect]) / total)


def test_marginal_losses_against_direct_recomputation():
    rng = np.random.default_rng(5)
    for _ in range(20):
        dense = rng.random((6, 9)) * (rng.random((6, 9)) < 0.4)
        dense[dense > 0] = np.round(dense[dense > 0] * 4) / 4 + 0.25  # ties in (0, 1.25]
        dense = np.minimum(dense, 1.0)
        w = rng.random(9)
        n = dense.shape[0]
        z = np.zeros(n, dtype=np.int64)
        cm = CoverageMatrix(
            csr_array(dense), z, z, z, np.zeros((n, 1)), np.zeros(0, np.int64), np.arange(n)
        )
        rows = rng.permutation(n)[:4]

        def f(rs, dense=dense, w=w):
            return float(w @ dense[list(rs)].max(axis=0)) if len(rs) else 0.0

        expect = [f(rows) - f([r for r in rows if r != x]) for x in rows]
        assert marginal_losses(cm, w, rows) == pytest.approx(expect)


def test_owners_subset_and_errors(valued):
    problem, plan, _ = valued
    one = integration_value(problem, ["dept"], plan=plan, savings=False)
    assert one["owner"].tolist() == ["dept"]
    assert integration_value(problem, "dept", plan=plan, savings=False)["owner"].tolist() == [
        "dept"
    ]
    assert one[["new_sets_saved_low", "new_sets_saved_high"]].isna().all(axis=None)
    with pytest.raises(ParameterError, match=r"owner\(s\) \['Airport'\].*'MTR', 'dept', 'police'"):
        integration_value(problem, ["Airport"], plan=plan)
    with pytest.raises(ParameterError, match="'top' parameter of integration_value"):
        integration_value(problem, plan=plan, top=-1)
    assessed = cov.plan.assess(problem, plan.new_cameras)
    with pytest.raises(InputError, match="assessed layout"):
        integration_value(problem, plan=assessed)


def test_no_existing_sets_gives_an_empty_table():
    problem = partner_problem([])
    v = integration_value(problem, savings=False)
    assert len(v) == 0
    assert "new_sets_saved_low" in v.columns


def test_refine_finds_the_exact_budget_from_a_wide_bracket(valued):
    from coverage.evaluation.integration import _open_sites, _refine

    problem, plan, _ = valued
    cm, w = plan.matrix, plan.demand["weight"].to_numpy()
    cap = _open_sites(cm)
    for target in (plan.objective, 0.9 * plan.objective, 0.5 * plan.objective):
        n = fewest_sets(cm, w, target)
        how = {"iterations": 0, "solves": 4, "time_limit_s": None}
        low, high = _refine(cm, w, target, (0, cap), problem, how)  # exact: never undecided
        assert low == high == n
        how["solves"] = 1  # fewer runs: a narrower bracket, still around the truth
        low, high = _refine(cm, w, target, (0, cap), problem, how)
        assert low <= n <= high
