"""Tests of the lazy greedy and its online bound (method='greedy')."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from strategies import (
    brute_force,
    coverage_instances,
    dense_value,
    naive_greedy,
    prop,
)

from coverage.optimize import (
    is_feasible,
    max_coverage,
    objective,
)


def test_ties_broken_by_lowest_index():
    A = csr_array(np.eye(5))
    sol = max_coverage(A, np.ones(5), budget=3, method="greedy")
    assert sol.selected.tolist() == [0, 1, 2]


def test_stops_when_nothing_left_to_gain():
    A = csr_array([[1, 0], [1, 0], [0, 0]])
    sol = max_coverage(A, [1, 1], budget=3, method="greedy")
    assert sol.selected.tolist() == [0]
    assert sol.objective == 1.0
    assert sol.upper_bound == pytest.approx(1.0)


@prop(100)
@given(
    inst=coverage_instances(max_sites=8, max_demand=10, with_groups=True, with_fixed=True),
    budget=st.integers(1, 4),
)
def test_greedy_vs_brute_force(inst, budget):
    n = inst.A.shape[0]
    nfix = 0 if inst.fixed is None else inst.fixed.size
    budget = min(budget, n - nfix) if n - nfix >= 1 else None
    if budget is None:
        return
    sol = max_coverage(
        inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method="greedy"
    )
    opt = brute_force(inst.A, inst.weights, budget, inst.groups, inst.fixed)
    assert is_feasible(sol, inst.A, budget=budget, groups=inst.groups, fixed=inst.fixed)
    assert sol.objective == pytest.approx(
        objective(inst.A, inst.weights, sol.selected, inst.fixed), abs=1e-12
    )
    D = inst.A.toarray()
    fx = [] if inst.fixed is None else inst.fixed.tolist()
    assert sol.objective == pytest.approx(dense_value(D, inst.weights, fx + sol.selected.tolist()))
    assert sol.objective <= opt + 1e-9
    assert sol.upper_bound >= opt - 1e-9
    # greedy 1 - 1/e guarantee (cardinality, no groups) w.r.t. the gain over fixed
    base = dense_value(D, inst.weights, fx)
    if inst.groups is None:
        assert sol.objective - base >= (1 - 1 / np.e) * (opt - base) - 1e-9
    else:
        assert sol.objective - base >= 0.5 * (opt - base) - 1e-9
    assert sol.selected.tolist() == naive_greedy(
        inst.A, inst.weights, budget, inst.groups, inst.fixed
    )
    # gains add up to the objective
    assert base + sol.gains.sum() == pytest.approx(sol.objective)


@prop(40)
@given(inst=coverage_instances(max_sites=12, max_demand=20))
def test_greedy_objective_never_falls_with_budget(inst):
    n = inst.A.shape[0]
    values = [
        max_coverage(inst.A, inst.weights, budget=b, method="greedy").objective
        for b in range(1, n + 1)
    ]
    assert all(v2 >= v1 - 1e-12 for v1, v2 in itertools.pairwise(values))
