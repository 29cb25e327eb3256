"""Hostile input to the optimizer: every bad argument is a clear error, good ones the right answer.

Issue 10, item 6: seeds, malformed or duplicated sparse entries, repeated fixed
rows, NaN weights, budgets of the wrong kind and quota minima that no plan can
meet are refused before any search, with the parameter, the rows and the fix.
Expected values are worked by hand or by brute force over every subset.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import coo_array, csc_array, csr_array, csr_matrix

from coverage.errors import InputError, ParameterError
from coverage.optimize import coverage_curve, max_coverage, plan_phases

A3 = np.eye(3)
W3 = np.ones(3)


def _brute(A, w, budget, feasible=lambda rows: True):
    """Best value of sum_j w_j max_i A_ij over every feasible subset of <= budget rows."""
    D = np.asarray(A, dtype=float)
    best = 0.0
    for k in range(budget + 1):
        for rows in itertools.combinations(range(D.shape[0]), k):
            if feasible(rows):
                v = float(w @ D[list(rows)].max(axis=0)) if rows else 0.0
                best = max(best, v)
    return best


# --------------------------------------------------------------------------- seeds
@pytest.mark.parametrize("rng", ["abc", -1, 1.5, True, [1, 2], object()])
def test_bad_seed_is_a_parameter_error(rng):
    with pytest.raises(ParameterError, match=r"'rng' parameter of max_coverage.*int >= 0"):
        max_coverage(A3, W3, budget=1, rng=rng)


@pytest.mark.parametrize("rng", [None, 0, 7, np.int64(3), np.random.default_rng(5)])
def test_good_seeds_give_the_optimum(rng):
    w = np.array([3.0, 2.0, 1.0])
    sol = max_coverage(A3, w, budget=2, rng=rng)
    assert sorted(sol.selected.tolist()) == [0, 1]
    assert sol.objective == pytest.approx(5.0)


def test_bad_seed_in_plan_phases_and_curve():
    with pytest.raises(ParameterError, match="'rng'"):
        plan_phases(A3, W3, budgets=[1, 1], rng="abc")
    with pytest.raises(ParameterError, match="'rng'"):
        coverage_curve(A3, W3, budgets=[1], rng=-5)


# --------------------------------------------------------------------------- the matrix
def test_csr_column_index_out_of_range():
    A = csr_array((np.ones(2), np.array([0, 5]), np.array([0, 1, 2])), shape=(2, 3))
    with pytest.raises(InputError, match=r"malformed CSR matrix of shape \(2, 3\)"):
        max_coverage(A, W3, budget=1)


def test_csr_row_pointer_broken():
    A = csr_array((np.ones(2), np.array([0, 1]), np.array([0, 3, 2])), shape=(2, 3))
    with pytest.raises(InputError, match="malformed CSR"):
        max_coverage(A, W3, budget=1)


def test_csc_row_index_out_of_range():
    A = csc_array((np.ones(2), np.array([0, 9]), np.array([0, 1, 2, 2])), shape=(2, 3))
    with pytest.raises(InputError, match="malformed CSC"):
        max_coverage(A, W3, budget=1)


def test_coo_entry_outside_the_shape():
    A = coo_array((np.ones(2), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 3))
    A.col[1] = 7  # mutated after construction, as a hostile caller might
    with pytest.raises(InputError, match=r"outside its shape \(2, 3\).*\(1, 7\)"):
        max_coverage(A, W3, budget=1)


def test_duplicated_coo_entry_is_refused_not_summed():
    # 0.3 twice at (0, 0): scipy would sum it to 0.6, coverage no camera gives
    A = coo_array(
        (np.array([0.3, 0.3, 1.0]), (np.array([0, 0, 1]), np.array([0, 0, 1]))), shape=(2, 2)
    )
    with pytest.raises(InputError, match=r"more than once: \[\(0, 0\)\]"):
        max_coverage(A, np.ones(2), budget=1)


def test_duplicated_csr_entry_is_refused():
    A = csr_matrix((np.array([0.5, 0.5]), np.array([1, 1]), np.array([0, 2, 2])), shape=(2, 2))
    with pytest.raises(InputError, match=r"\(0, 1\)"):
        max_coverage(A, np.ones(2), budget=1)


def test_unsorted_but_distinct_csr_entries_are_accepted():
    # row 0 holds columns 2 then 0 (not sorted, no duplicate): a valid matrix
    A = csr_array(
        (np.array([0.5, 1.0, 0.8]), np.array([2, 0, 1]), np.array([0, 2, 3])), shape=(2, 3)
    )
    w = np.array([1.0, 2.0, 4.0])
    sol = max_coverage(A, w, budget=1, method="exact")
    # row 0: 1*1 + 4*0.5 = 3; row 1: 2*0.8 = 1.6
    assert sol.selected.tolist() == [0]
    assert sol.objective == pytest.approx(3.0)


def test_coo_without_duplicates_matches_dense():
    rng = np.random.default_rng(1)
    D = np.where(rng.random((6, 8)) < 0.4, rng.random((6, 8)), 0.0)
    w = rng.random(8)
    sol_d = max_coverage(D, w, budget=2, method="exact")
    sol_c = max_coverage(coo_array(D), w, budget=2, method="exact")
    assert sol_c.objective == pytest.approx(sol_d.objective)
    assert sol_d.objective == pytest.approx(_brute(D, w, 2))


@pytest.mark.parametrize(
    ("A", "match"),
    [
        (np.array([[0.5, np.nan, 0.0]]), "not finite"),
        (np.array([[0.5, np.inf, 0.0]]), "not finite"),
        (np.array([[1.5, 0.0, 0.0]]), "above 1"),
        (np.array([[-0.1, 0.0, 0.0]]), "negative"),
        (np.ones(3), "must be 2-D"),
        ([["a", "b", "c"]], "2-D sparse matrix or array"),
    ],
)
def test_bad_matrix_values(A, match):
    with pytest.raises(InputError, match=match):
        max_coverage(A, W3, budget=1)


# --------------------------------------------------------------------------- weights, budget
@pytest.mark.parametrize(
    ("w", "match"),
    [
        ([1.0, np.nan, 1.0], r"NaN.*positions \[1\]"),
        ([1.0, -2.0, 1.0], r"negative.*positions \[1\]"),
        ([1.0, np.inf, 1.0], "finite"),
        ([1.0, 1.0], r"one value per demand point \(column of A, 3\)"),
        (["a", "b", "c"], "must be numeric"),
    ],
)
def test_bad_weights(w, match):
    with pytest.raises(InputError, match=match):
        max_coverage(A3, w, budget=1)


@pytest.mark.parametrize("budget", [True, False, 1.5, 0, -1, 4, np.nan, "2", None])
def test_bad_budget(budget):
    with pytest.raises(
        ParameterError, match=r"'budget' parameter of max_coverage.*int in \[1, 3\]"
    ):
        max_coverage(A3, W3, budget=budget)


def test_numpy_int_budget_is_accepted():
    assert max_coverage(A3, np.array([1.0, 2.0, 3.0]), budget=np.int64(2)).objective == 5.0


# --------------------------------------------------------------------------- fixed rows
def test_duplicated_fixed_rows_are_refused():
    with pytest.raises(InputError, match=r"'fixed'.*more than once: \[0\]"):
        max_coverage(A3, W3, budget=1, fixed=[0, 0])


@pytest.mark.parametrize(
    ("fixed", "match"),
    [([3], r"outside \[0, 3\)"), ([-1], r"outside \[0, 3\)"), ([0.5], "row indices \\(ints\\)")],
)
def test_bad_fixed_rows(fixed, match):
    with pytest.raises(InputError, match=match):
        max_coverage(A3, W3, budget=1, fixed=fixed)


def test_fixed_rows_counted_once():
    w = np.array([5.0, 2.0, 1.0])
    sol = max_coverage(A3, w, budget=1, fixed=[0])
    assert sol.selected.tolist() == [1]
    assert sol.objective == pytest.approx(7.0)


# --------------------------------------------------------------------------- quotas
LAB4 = np.array(["a", "a", "b", "b"], dtype=object)


def test_quota_minima_above_the_budget():
    with pytest.raises(
        ParameterError, match=r"minima add up to 3 set\(s\) \('a': 2, 'b': 1\) but the budget is 2"
    ):
        max_coverage(
            np.eye(4), np.ones(4), budget=2, labels=LAB4, quotas={"a": (2, None), "b": (1, None)}
        )


def test_quota_minimum_above_the_sites_of_a_district():
    labels = np.array(["a", "b", "b", "b"], dtype=object)
    with pytest.raises(ParameterError, match=r"'a' needs at least 2 but has 1 open site"):
        max_coverage(np.eye(4), np.ones(4), budget=3, labels=labels, quotas={"a": (2, None)})


def test_quota_counts_sites_not_rotations():
    # district a has two rows but both on one site (group 0): one set at most
    groups = np.array([0, 0, 1, 2])
    with pytest.raises(ParameterError, match=r"'a' needs at least 2 but has 1 open site"):
        max_coverage(
            np.eye(4), np.ones(4), budget=3, groups=groups, labels=LAB4, quotas={"a": (2, None)}
        )


def test_quota_for_a_district_without_candidates():
    with pytest.raises(ParameterError, match=r"'c' needs at least 1 but has 0 open site"):
        max_coverage(np.eye(4), np.ones(4), budget=2, labels=LAB4, quotas={"c": (1, None)})


def test_quota_on_sites_closed_by_fixed_rows():
    # the only site of 'a' already holds a fixed set: its group is closed
    groups = np.array([0, 0, 1, 2])
    with pytest.raises(ParameterError, match=r"'a' needs at least 1 but has 0 open site"):
        max_coverage(
            np.eye(4),
            np.ones(4),
            budget=1,
            groups=groups,
            fixed=[0],
            labels=LAB4,
            quotas={"a": (1, None)},
        )


def test_feasible_quotas_give_the_constrained_optimum():
    w = np.array([1.0, 2.0, 8.0, 4.0])
    sol = max_coverage(np.eye(4), w, budget=2, labels=LAB4, quotas={"a": (1, None)}, method="exact")
    best = _brute(np.eye(4), w, 2, lambda r: sum(LAB4[i] == "a" for i in r) >= 1)
    assert best == pytest.approx(10.0)
    assert sol.objective == pytest.approx(best)
    assert sorted(sol.selected.tolist()) == [1, 2]


def test_quota_in_plan_phases_applies_per_phase():
    with pytest.raises(ParameterError, match="minima add up to 2"):
        plan_phases(
            np.eye(4),
            np.ones(4),
            budgets=[2, 1],
            labels=LAB4,
            quotas={"a": (1, None), "b": (1, None)},
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quotas": {"a": (1, 0)}, "labels": LAB4}, "min 1 > max 0"),
        ({"quotas": {"a": (-1, 2)}, "labels": LAB4}, r"quotas\['a'\]\[0\]"),
        ({"quotas": {"a": (1.5, 2)}, "labels": LAB4}, r"quotas\['a'\]\[0\]"),
        ({"quotas": {"a": 3}, "labels": LAB4}, r"\(min, max\) pair"),
        ({"quotas": {"a": (0, 1)}, "labels": LAB4[:3]}, "one label per row of A"),
    ],
)
def test_bad_quota_arguments(kwargs, match):
    with pytest.raises((InputError, ParameterError), match=match):
        max_coverage(np.eye(4), np.ones(4), budget=2, **kwargs)


# --------------------------------------------------------------------------- run options
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time_limit_s": -1}, "'time_limit_s'"),
        ({"time_limit_s": np.nan}, "'time_limit_s'"),
        ({"gap_tol": 2.0}, "'gap_tol'"),
        ({"gap_tol": "0.1"}, "'gap_tol'"),
        ({"method": "fastest"}, "'method'.*'auto', 'greedy', 'local', 'exact'"),
        ({"progress": 3}, "'progress'.*callable"),
        ({"groups": [0, 1]}, "one group id per row of A"),
        ({"costs": [1.0, np.nan, 1.0]}, "'costs'.*not finite"),
    ],
)
def test_bad_run_options(kwargs, match):
    with pytest.raises((InputError, ParameterError), match=match):
        max_coverage(A3, W3, budget=1, **kwargs)


@pytest.mark.parametrize("budgets", [[], "12", 3])
def test_bad_phase_budgets(budgets):
    with pytest.raises(ParameterError, match="'budgets' parameter of plan_phases"):
        plan_phases(A3, W3, budgets=budgets)


# --------------------------------------------------------------------------- overflow, groups
def test_weights_that_overflow_are_refused():
    with pytest.raises(InputError, match=r"adds up to inf .*overflow float64"):
        max_coverage(A3, [1e308, 1e308, 1e308], budget=3)


def test_large_but_finite_weights_are_exact():
    sol = max_coverage(A3, [1e307, 2e307, 3e307], budget=2)
    assert sol.objective == pytest.approx(5e307)


def test_nan_group_ids_are_refused():
    with pytest.raises(InputError, match=r"'groups'.*NaN group id\(s\) \(rows \[1\]\)"):
        max_coverage(A3, W3, budget=1, groups=[0.0, np.nan, 1.0])


def test_mixed_group_id_types_are_refused():
    with pytest.raises(InputError, match="'groups'.*mixes id types"):
        max_coverage(A3, W3, budget=2, groups=np.array([0, "a", 0], dtype=object))


def test_separation_rows_with_nan_are_named():
    with pytest.raises(
        InputError, match=r"'xy'.*1 row\(s\) with NaN or infinite coordinates \(rows \[2\]\)"
    ):
        max_coverage(A3, W3, budget=1, xy=[[0, 0], [1, 1], [np.nan, 0]], min_separation_m=1.0)


def test_phase_budgets_that_exceed_the_rows_are_named_up_front():
    with pytest.raises(
        ParameterError,
        match=r"'budgets' parameter of plan_phases adds up to 4 sets \(\[2, 2\]\) but only 3",
    ):
        plan_phases(A3, W3, budgets=[2, 2])
    with pytest.raises(ParameterError, match=r"adds up to 2 sets .* only 1 row"):
        plan_phases(A3, W3, budgets=[1, 1], fixed=[0, 1])


def test_phase_budgets_that_fit_are_nested_and_optimal():
    w = np.array([3.0, 2.0, 1.0])
    p1, p2 = plan_phases(A3, w, budgets=[1, 2], method="exact")
    assert p1.selected.tolist() == [0]
    assert sorted(p2.selected.tolist()) == [1, 2]
    assert p2.objective == pytest.approx(_brute(A3, w, 3))


@pytest.mark.parametrize(
    ("A", "w", "budget", "want"),
    [
        (csr_array((0, 3)), W3, 1, 0.0),  # no rows: nothing to choose
        (csr_array((3, 0)), np.ones(0), 1, 0.0),  # no demand
        (csr_array((3, 3)), W3, 2, 0.0),  # nothing covered
        (np.eye(3, dtype=bool), W3, 1, 1.0),  # booleans are qualities 0/1
        (np.eye(3, dtype=np.int8), np.array([1.0, 4.0, 2.0]), 1, 4.0),
    ],
)
def test_degenerate_but_valid_inputs_give_the_right_value(A, w, budget, want):
    assert max_coverage(A, w, budget=budget).objective == pytest.approx(want)
