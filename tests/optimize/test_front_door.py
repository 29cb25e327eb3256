"""Tests of max_coverage as a whole: hand-worked cases, errors, every method vs brute force."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from strategies import (
    brute_force,
    coverage_instances,
    prop,
)

from coverage.errors import InputError, ParameterError
from coverage.optimize import (
    Progress,
    Solution,
    is_feasible,
    max_coverage,
    objective,
)


def test_docstring_example_and_fields():
    A = csr_array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])
    sol = max_coverage(A, [1, 1, 1], budget=2, method="greedy")
    assert isinstance(sol, Solution)
    assert sol.selected.dtype == np.int64
    assert sol.selected.tolist() == [0, 1]
    assert sol.gains.tolist() == [2.0, 1.0]
    assert sol.objective == 3.0
    assert sol.upper_bound == pytest.approx(3.0)
    assert sol.gap == pytest.approx(0.0)
    assert sol.method == "greedy"
    assert len(sol.trace) >= 2
    with pytest.raises(AttributeError):
        sol.objective = 1.0  # type: ignore[misc]


def test_quality_values_take_the_best_level():
    A = csr_array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.25, 1.0]])
    w = np.array([1.0, 2.0, 1.0])
    # f({0}) = 0.5 + 1.0 = 1.5; f({2}) = 0.5 + 1 = 1.5; f({1}) = 1
    sol = max_coverage(A, w, budget=1, method="greedy")
    assert sol.selected.tolist() == [0]  # tie 1.5 vs 1.5 goes to the lowest index
    assert sol.objective == pytest.approx(1.5)
    sol2 = max_coverage(A, w, budget=2, method="greedy")
    # after {0}: gain(1) = 0.5, gain(2) = 1.0 + 0 = 1.0 -> choose 2; total 2.5
    assert sol2.selected.tolist() == [0, 2]
    assert sol2.gains.tolist() == pytest.approx([1.5, 1.0])
    assert sol2.objective == pytest.approx(2.5)
    # {0, 2}: 0.5 + 2 * 0.5 + 1 = 2.5; {1, 2}: 1 + 2 * 0.25 + 1 = 2.5; {0, 1}: 1 + 1 = 2
    assert brute_force(A, w, 2) == pytest.approx(2.5)
    assert sol2.upper_bound >= 2.5 - 1e-12


def test_fixed_rows_are_free_and_counted():
    A = csr_array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]])
    w = np.ones(4)
    sol = max_coverage(A, w, budget=1, fixed=[0], method="greedy")
    assert sol.selected.tolist() == [2]
    assert sol.gains.tolist() == [2.0]
    assert sol.objective == 4.0
    assert 0 not in sol.selected


def test_groups_one_per_group():
    A = csr_array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    w = np.ones(4)
    groups = np.array([7, 7, 7, 3])
    sol = max_coverage(A, w, budget=2, groups=groups, method="greedy")
    assert is_feasible(sol, A, budget=2, groups=groups)
    assert sol.selected.tolist() == [1, 3]
    assert sol.objective == 4.0


def test_group_of_a_fixed_row_is_closed():
    A = csr_array([[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    sol = max_coverage(A, np.ones(3), budget=1, groups=[0, 0, 1], fixed=[0], method="greedy")
    assert sol.selected.tolist() == [2]
    assert sol.objective == 2.0


def test_progress_callback_and_trace_monotone_bound():
    rng = np.random.default_rng(0)
    A = csr_array((rng.random((60, 200)) < 0.05) * rng.random((60, 200)))
    events: list[Progress] = []
    sol = max_coverage(A, np.ones(200), budget=20, method="greedy", progress=events.append)
    assert events
    assert all(isinstance(e, Progress) for e in events)
    assert events[-1].done <= events[-1].total
    bounds = [tp.upper_bound for tp in sol.trace]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(bounds))
    assert sol.upper_bound <= min(bounds) + 1e-9


def test_dense_input_and_matrix_types_agree():
    D = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]])
    s1 = max_coverage(D, [1, 1, 1], budget=1, method="greedy")
    s2 = max_coverage(csr_array(D), [1, 1, 1], budget=1, method="greedy")
    assert s1.selected.tolist() == s2.selected.tolist()
    assert s1.objective == s2.objective


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"budget": 0}, ParameterError, r"The 'budget' parameter of max_coverage must be an int"),
        ({"budget": 9}, ParameterError, r"Got 9 instead"),
        ({"budget": 1.5}, ParameterError, r"'budget'"),
        ({"budget": 1, "method": "magic"}, ParameterError, r"'method' parameter"),
        ({"budget": 1, "gap_tol": -1}, ParameterError, r"'gap_tol'"),
        ({"budget": 1, "time_limit_s": 0}, ParameterError, r"'time_limit_s'"),
        ({"budget": 1, "fixed": [5]}, InputError, r"outside \[0, 3\)"),
        ({"budget": 1, "groups": [1, 2]}, InputError, r"one group id per row"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    A = csr_array(np.eye(3))
    with pytest.raises(exc, match=match):
        max_coverage(A, np.ones(3), **kwargs)


def test_bad_weights_and_matrix():
    A = csr_array(np.eye(3))
    with pytest.raises(InputError, match="negative or NaN"):
        max_coverage(A, [1, -1, np.nan], budget=1)
    with pytest.raises(InputError, match="one value per demand point"):
        max_coverage(A, [1, 1], budget=1)
    with pytest.raises(InputError, match=r"qualities in \[0, 1\]"):
        max_coverage(csr_array([[2.0, 0.0]]), [1, 1], budget=1)


def test_import_is_light():
    code = (
        "import sys, coverage.optimize; print('geopandas' in sys.modules, 'shapely' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@prop(60)
@given(
    inst=coverage_instances(max_sites=8, max_demand=10, with_groups=True, with_fixed=True),
    budget=st.integers(1, 4),
    method=st.sampled_from(["local", "exact", "auto"]),
)
def test_every_method_vs_brute_force(inst, budget, method):
    n = inst.A.shape[0]
    nfix = 0 if inst.fixed is None else inst.fixed.size
    if n - nfix < 1:
        return
    budget = min(budget, n - nfix)
    sol = max_coverage(
        inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method=method
    )
    opt = brute_force(inst.A, inst.weights, budget, inst.groups, inst.fixed)
    assert is_feasible(sol, inst.A, budget=budget, groups=inst.groups, fixed=inst.fixed)
    assert sol.objective == pytest.approx(objective(inst.A, inst.weights, sol.selected, inst.fixed))
    assert sol.objective <= opt + 1e-9
    assert sol.upper_bound >= opt - 1e-9
    greedy = max_coverage(
        inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method="greedy"
    )
    assert sol.objective >= greedy.objective - 1e-9  # never worse than greedy
    if method == "exact":
        assert sol.objective == pytest.approx(opt)
        assert sol.gap <= 1e-6


def test_auto_reports_progress_and_a_consistent_trace():
    rng = np.random.default_rng(8)
    D = (rng.random((80, 300)) < 0.04) * rng.choice([0.25, 0.5, 1.0], size=(80, 300))
    events: list[Progress] = []
    sol = max_coverage(
        csr_array(D),
        rng.random(300),
        budget=10,
        method="auto",
        gap_tol=0.0,
        progress=events.append,
        time_limit_s=20,
    )
    assert {e.stage for e in events} >= {"greedy"}
    bounds = [tp.upper_bound for tp in sol.trace]
    values = [tp.objective for tp in sol.trace]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(bounds))
    assert all(v2 >= v1 - 1e-9 for v1, v2 in itertools.pairwise(values))
    assert sol.objective <= sol.upper_bound + 1e-9
    assert sol.gap <= 1e-6  # auto with gap_tol=0 proves optimality on this size
    assert sol.gains.sum() == pytest.approx(sol.objective)
