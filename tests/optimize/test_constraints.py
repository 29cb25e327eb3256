"""Tests of the side constraints: money, quotas, separation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from strategies import (
    brute_force_general,
    check_constraints,
    constrained_instances,
    prop,
)

from coverage.errors import InputError, ParameterError, SolverError
from coverage.optimize import (
    is_feasible,
    max_coverage,
    objective,
)


@prop(80)
@given(
    data=constrained_instances(),
    budget=st.integers(1, 4),
    method=st.sampled_from(["greedy", "local", "exact", "auto"]),
)
def test_constraints_vs_brute_force(data, budget, method):
    inst, kw = data
    n = inst.A.shape[0]
    nfix = 0 if inst.fixed is None else inst.fixed.size
    if n - nfix < 1:
        return
    budget = min(budget, n - nfix) if "costs" not in kw else float(budget) + 0.5
    opt = brute_force_general(
        inst.A, inst.weights, lambda r: check_constraints(r, inst, budget, kw), inst.fixed
    )
    kwargs = {"groups": inst.groups, "fixed": inst.fixed, **kw}
    if opt == -np.inf:  # no feasible plan at all: refused up front, or after the search
        with pytest.raises(
            (SolverError, ParameterError), match="no plan that meets every constraint|cannot be met"
        ):
            max_coverage(inst.A, inst.weights, budget=budget, method=method, **kwargs)
        return
    try:
        sol = max_coverage(inst.A, inst.weights, budget=budget, method=method, **kwargs)
    except SolverError:
        # heuristics may miss a feasible plan under quota minima; exact must not
        assert method in ("greedy", "local")
        assert "quotas" in kw
        return
    assert check_constraints(sol.selected.tolist(), inst, budget, kw)
    assert is_feasible(sol, inst.A, budget=budget, **kwargs)
    assert sol.objective == pytest.approx(objective(inst.A, inst.weights, sol.selected, inst.fixed))
    assert sol.objective <= opt + 1e-9
    assert sol.upper_bound >= opt - 1e-9
    if method == "exact":
        assert sol.objective == pytest.approx(opt)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"costs": [1, 0, 1]}, r"'costs'.*not finite and > 0"),
        ({"costs": [1, 1]}, r"one cost per row"),
        ({"quotas": {"a": (0, 1)}}, r"needs 'labels'"),
        ({"quotas": {"a": (2, 1)}, "labels": ["a", "a", "b"]}, r"min 2 > max 1"),
        ({"min_separation_m": 5.0}, r"needs 'xy'"),
        ({"min_separation_m": 5.0, "xy": [[0, 0]]}, r"shape \(3, 2\)"),
        ({"k_coverage": 0}, r"'k_coverage'"),
        ({"combine": "sum"}, r"'combine'"),
    ],
)
def test_bad_constraint_parameters(kwargs, match):
    with pytest.raises((InputError, ParameterError), match=match):
        max_coverage(np.eye(3), np.ones(3), budget=1, **kwargs)


def test_budget_is_money_with_costs():
    A = csr_array(np.eye(4))
    w = np.array([4.0, 3.0, 2.0, 1.0])
    costs = np.array([3.0, 1.0, 1.0, 1.0])
    for method in ("greedy", "local", "exact", "auto"):
        sol = max_coverage(A, w, budget=3.0, costs=costs, method=method)
        assert costs[sol.selected].sum() <= 3.0
        # best: {1, 2, 3} = 6 > {0} = 4
        if method in ("exact", "auto"):
            assert sol.objective == pytest.approx(6.0)
        assert sol.upper_bound >= 6.0 - 1e-9


def test_separation_blocks_close_sites():
    A = csr_array(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]))
    xy = np.array([[0.0, 0.0], [5.0, 0.0], [30.0, 0.0]])
    for method in ("greedy", "local", "exact"):
        sol = max_coverage(A, np.ones(3), budget=2, xy=xy, min_separation_m=10.0, method=method)
        assert is_feasible(sol, A, budget=2, xy=xy, min_separation_m=10.0)
        assert sol.objective == pytest.approx(3.0)
