"""Tests of the level MILP: against an independent HiGHS model, time limit, child process."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from strategies import (
    coverage_instances,
    prop,
    scipy_milp_optimum,
)

from coverage.optimize import (
    is_feasible,
    max_coverage,
)


@prop(10)
@given(
    inst=coverage_instances(max_sites=25, max_demand=40, with_groups=True, with_fixed=True),
    budget=st.integers(1, 8),
)
def test_exact_agrees_with_independent_highs_model(inst, budget):
    n = inst.A.shape[0]
    nfix = 0 if inst.fixed is None else inst.fixed.size
    if n - nfix < 1:
        return
    budget = min(budget, n - nfix)
    opt = scipy_milp_optimum(inst.A, inst.weights, budget, inst.groups, inst.fixed)
    exact = max_coverage(
        inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method="exact"
    )
    assert exact.objective == pytest.approx(opt, rel=1e-7, abs=1e-9)
    for method in ("greedy", "local", "auto"):
        sol = max_coverage(
            inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method=method
        )
        assert sol.objective <= opt + 1e-7
        assert sol.upper_bound >= opt - 1e-7
        assert sol.objective >= (1 - 1 / np.e) * 0.5 * opt - 1e-9


def test_time_limit_is_enforced_on_exact():
    import time

    rng = np.random.default_rng(5)
    n, m = 400, 1500
    D = (rng.random((n, m)) < 0.02) * rng.choice([0.5, 1.0], size=(n, m))
    t = time.perf_counter()
    sol = max_coverage(csr_array(D), np.ones(m), budget=60, method="exact", time_limit_s=1.0)
    assert time.perf_counter() - t < 5.0
    assert sol.objective <= sol.upper_bound + 1e-9
    assert is_feasible(sol, D, budget=60)


def test_milp_in_child_process_matches_in_process():
    from coverage.optimize._core import GroupIndex
    from coverage.optimize.exact import solve_milp

    rng = np.random.default_rng(21)
    D = (rng.random((30, 60)) < 0.1) * rng.choice([0.5, 1.0], size=(30, 60))
    V = csr_array(D * rng.random(60))
    g = GroupIndex(None, 30).group_ids
    here = solve_milp(V, np.zeros(30), g, 5, time_limit_s=30, isolate=False, gap_tol=1e-9)
    child = solve_milp(V, np.zeros(30), g, 5, time_limit_s=30, isolate=True, gap_tol=1e-9)
    assert child.info.get("isolated")
    assert child.value == pytest.approx(here.value)
    assert child.bound == pytest.approx(here.bound, rel=1e-6)
