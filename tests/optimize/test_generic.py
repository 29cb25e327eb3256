"""Tests of the k-coverage and probabilistic objectives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csr_array
from strategies import (
    brute_force_general,
    check_constraints,
    constrained_instances,
    prop,
)

from coverage.errors import ParameterError, SolverError
from coverage.optimize import (
    max_coverage,
    objective,
)


def test_k_coverage_hand_worked():
    # 4 points; point 3 has a single possible coverer, so it can never earn with k = 2.
    #        p0   p1   p2   p3
    A = csr_array(
        [
            [1.0, 0.5, 0.0, 0.0],  # row 0
            [1.0, 1.0, 0.0, 0.0],  # row 1
            [0.5, 0.0, 1.0, 1.0],  # row 2
            [0.0, 1.0, 1.0, 0.0],  # row 3
        ]
    )
    w = np.array([1.0, 2.0, 4.0, 8.0])
    # credit = w * (2nd best quality).  Pairs by hand:
    # {0,1}: p0 1*1 + p1 2*0.5 = 2      {0,2}: p0 0.5 = 0.5          {0,3}: p1 2*0.5 = 1
    # {1,2}: p0 0.5 = 0.5               {1,3}: p1 2*1 = 2            {2,3}: p2 4*1 = 4
    # triples: {1,2,3}: p0 .5 + p1 2 + p2 4 = 6.5; {0,2,3}: p0 .5 + p1 1 + p2 4 = 5.5
    #          {0,1,2}: p0 1 + p1 1 = 2; {0,1,3}: p0 1 + p1 2*1 = 3
    expected = {2: 4.0, 3: 6.5}
    for budget, opt in expected.items():
        for method in ("greedy", "local", "exact", "auto"):
            sol = max_coverage(A, w, budget=budget, method=method, k_coverage=2)
            assert sol.objective == pytest.approx(objective(A, w, sol.selected, k_coverage=2))
            assert sol.objective <= opt + 1e-12
            assert sol.upper_bound >= opt - 1e-12
            if method in ("exact", "auto"):
                assert sol.objective == pytest.approx(opt)
    # p3 (weight 8) never earns: even all rows give 0.5 + 2 + 4 = 6.5
    assert objective(A, w, [0, 1, 2, 3], k_coverage=2) == pytest.approx(1.0 + 2.0 + 4.0)
    assert objective(A, w, [1, 2, 3], k_coverage=2) == pytest.approx(6.5)
    # fixed rows count toward k
    sol = max_coverage(A, w, budget=1, fixed=[3], k_coverage=2, method="exact")
    assert sol.selected.tolist() == [2]  # with 3: p2 4*1 = 4 (+ p1 only 1 coverer)
    assert sol.objective == pytest.approx(4.0)


def test_probabilistic_hand_worked():
    A = csr_array([[0.5, 0.5], [0.5, 0.0], [0.0, 0.9]])
    w = np.array([1.0, 1.0])
    # {0,1}: p0 1-(.5*.5)=.75, p1 .5 -> 1.25 ; {0,2}: .5 + (1-.5*.1)=.95 -> 1.45 ; {1,2}: .5+.9=1.4
    for method in ("greedy", "local", "exact", "auto"):
        sol = max_coverage(A, w, budget=2, method=method, combine="probabilistic")
        assert sol.objective == pytest.approx(
            objective(A, w, sol.selected, combine="probabilistic")
        )
        assert sol.upper_bound >= 1.45 - 1e-9
        if method in ("exact", "auto"):
            assert sol.objective == pytest.approx(1.45)


@prop(40)
@given(
    data=constrained_instances(),
    budget=st.integers(1, 3),
    method=st.sampled_from(["greedy", "local", "exact", "auto"]),
    variant=st.sampled_from([("kcov", 2), ("kcov", 3), ("prob", 1)]),
)
def test_generic_objectives_vs_brute_force(data, budget, method, variant):
    inst, kw = data
    n = inst.A.shape[0]
    nfix = 0 if inst.fixed is None else inst.fixed.size
    if n - nfix < 1:
        return
    budget = min(budget, n - nfix) if "costs" not in kw else float(budget) + 0.5
    kind, k = variant
    extra = {"k_coverage": k} if kind == "kcov" else {"combine": "probabilistic"}

    def val(rows):
        return objective(inst.A, inst.weights, rows, **extra)

    opt = brute_force_general(
        inst.A, inst.weights, lambda r: check_constraints(r, inst, budget, kw), inst.fixed, val
    )
    kwargs = {"groups": inst.groups, "fixed": inst.fixed, **kw, **extra}
    if opt == -np.inf:
        with pytest.raises((SolverError, ParameterError)):
            max_coverage(inst.A, inst.weights, budget=budget, method=method, **kwargs)
        return
    try:
        sol = max_coverage(inst.A, inst.weights, budget=budget, method=method, **kwargs)
    except SolverError:
        assert method in ("greedy", "local")
        return
    assert check_constraints(sol.selected.tolist(), inst, budget, kw)
    fx = [] if inst.fixed is None else inst.fixed.tolist()
    assert sol.objective == pytest.approx(val(fx + sol.selected.tolist()))
    assert sol.objective <= opt + 1e-9
    assert sol.upper_bound >= opt - 1e-7
    if method == "exact":
        assert sol.objective == pytest.approx(opt, rel=1e-7)


@pytest.mark.parametrize("extra", [{"k_coverage": 2}, {"combine": "probabilistic"}])
@pytest.mark.parametrize("method", ["local", "auto"])
def test_generic_swap_search_keeps_budget_on_medium_instance(method, extra):
    # Regression: a sweep of swaps once reused rows it had already swapped out as
    # partners, so the plan grew to 31 of 60 rows under budget=6.
    rng = np.random.default_rng(7)
    A = sparse.random(60, 200, density=0.08, random_state=rng, format="csr")
    A.data = 0.2 + 0.8 * A.data
    w = rng.uniform(0, 3, 200)
    groups = np.arange(60) // 3
    sol = max_coverage(A, w, budget=6, groups=groups, method=method, time_limit_s=3, **extra)
    assert sol.selected.size <= 6
    assert np.unique(groups[sol.selected]).size == sol.selected.size
    assert sol.objective == pytest.approx(objective(A, w, sol.selected, **extra))
    assert sol.objective <= sol.upper_bound + 1e-9
