"""Tests of coverage.optimize: brute force on tiny instances, properties, errors."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csr_array
from strategies import coverage_instances

from coverage.errors import InputError, ParameterError, SolverError
from coverage.optimize import (
    Progress,
    Solution,
    coverage_curve,
    is_feasible,
    max_coverage,
    objective,
    plan_phases,
)


def prop(max_examples):
    """Derandomized hypothesis settings for this module."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def dense_value(D, w, rows):
    if len(rows) == 0:
        return 0.0
    return float(D[list(rows)].max(axis=0) @ w)


def brute_force(A, w, budget, groups=None, fixed=None):
    """Optimum by enumeration of every feasible subset of size <= budget."""
    D = A.toarray() if hasattr(A, "toarray") else np.asarray(A, dtype=float)
    n = D.shape[0]
    fx = [] if fixed is None else sorted(int(i) for i in fixed)
    closed = set() if groups is None else {groups[i] for i in fx}
    cand = [i for i in range(n) if i not in fx and (groups is None or groups[i] not in closed)]
    best = dense_value(D, w, fx)
    for k in range(1, min(budget, len(cand)) + 1):
        for combo in itertools.combinations(cand, k):
            if groups is not None and len({groups[i] for i in combo}) < k:
                continue
            best = max(best, dense_value(D, w, fx + list(combo)))
    return best


def naive_greedy(A, w, budget, groups=None, fixed=None):
    """Plain (non-lazy) greedy, ties to the lowest index, stops at zero gain."""
    D = A.toarray()
    n = D.shape[0]
    fx = [] if fixed is None else [int(i) for i in fixed]
    used = set() if groups is None else {groups[i] for i in fx}
    sel: list[int] = []
    for _ in range(budget):
        base = dense_value(D, w, fx + sel)
        best_i, best_g = -1, 0.0
        for i in range(n):
            if i in sel or i in fx or (groups is not None and groups[i] in used):
                continue
            g = dense_value(D, w, [*fx, *sel, i]) - base
            if g > best_g + 1e-12:
                best_i, best_g = i, g
        if best_i < 0:
            break
        sel.append(best_i)
        if groups is not None:
            used.add(groups[best_i])
    return sel


# --------------------------------------------------------------------------- hand-worked


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


def test_ties_broken_by_lowest_index():
    A = csr_array(np.eye(5))
    sol = max_coverage(A, np.ones(5), budget=3, method="greedy")
    assert sol.selected.tolist() == [0, 1, 2]


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


def test_stops_when_nothing_left_to_gain():
    A = csr_array([[1, 0], [1, 0], [0, 0]])
    sol = max_coverage(A, [1, 1], budget=3, method="greedy")
    assert sol.selected.tolist() == [0]
    assert sol.objective == 1.0
    assert sol.upper_bound == pytest.approx(1.0)


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


# --------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------------------- brute force


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


# --------------------------------------------------------------------------- every method


def scipy_milp_optimum(A, w, budget, groups=None, fixed=None):
    """Independent model: assignment formulation solved by scipy.optimize.milp."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    D = A.toarray()
    n, m = D.shape
    pairs = np.argwhere(D > 0)  # (i, j)
    p = len(pairs)
    nv = n + p
    c = np.zeros(nv)
    c[n:] = -(D[pairs[:, 0], pairs[:, 1]] * w[pairs[:, 1]])
    rows, lo, hi = [], [], []
    # sum_i u_ij <= 1
    for j in range(m):
        r = np.zeros(nv)
        r[n + np.flatnonzero(pairs[:, 1] == j)] = 1
        rows.append(r)
        lo.append(-np.inf)
        hi.append(1)
    # u_ij <= x_i
    for t, (i, _) in enumerate(pairs):
        r = np.zeros(nv)
        r[n + t] = 1
        r[i] = -1
        rows.append(r)
        lo.append(-np.inf)
        hi.append(0)
    fx = np.zeros(n, dtype=bool)
    if fixed is not None:
        fx[np.asarray(fixed)] = True
    r = np.zeros(nv)
    r[:n] = ~fx
    rows.append(r)
    lo.append(-np.inf)
    hi.append(budget)
    if groups is not None:
        for g in np.unique(groups):
            r = np.zeros(nv)
            r[:n] = groups == g
            rows.append(r)
            lo.append(-np.inf)
            hi.append(1)
    lb = np.zeros(nv)
    lb[:n] = fx
    integrality = np.r_[np.ones(n), np.zeros(p)]
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        bounds=Bounds(lb, np.ones(nv)),
        integrality=integrality,
        options={"mip_rel_gap": 1e-9},
    )
    assert res.success
    return -res.fun


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


def test_lagrangian_bound_valid_and_tighter_than_online():
    rng = np.random.default_rng(3)
    n, m = 40, 120
    D = (rng.random((n, m)) < 0.08) * rng.choice([0.25, 0.5, 1.0], size=(n, m))
    A = csr_array(D)
    w = rng.random(m)
    opt = scipy_milp_optimum(A, w, 6)
    g = max_coverage(A, w, budget=6, method="greedy")
    loc = max_coverage(A, w, budget=6, method="local", gap_tol=0.0)
    assert loc.upper_bound >= opt - 1e-9
    assert loc.upper_bound <= g.upper_bound + 1e-9
    assert loc.objective >= g.objective - 1e-12


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


# --------------------------------------------------------------------------- constraints


def brute_force_general(A, w, feasible, fixed=None, value=None):
    """Optimum over every subset that `feasible(rows)` accepts."""
    D = A.toarray()
    n = D.shape[0]
    fx = [] if fixed is None else [int(i) for i in fixed]
    cand = [i for i in range(n) if i not in fx]
    value = value or (lambda rows: dense_value(D, w, rows))
    best = -np.inf
    for k in range(len(cand) + 1):
        for combo in itertools.combinations(cand, k):
            if feasible(list(combo)):
                best = max(best, value(fx + list(combo)))
    return best


@st.composite
def constrained_instances(draw):
    inst = draw(coverage_instances(max_sites=8, max_demand=10, with_groups=True, with_fixed=True))
    n = inst.A.shape[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["costs", "quotas", "separation", "all"]))
    kw = {}
    if kind in ("costs", "all"):
        kw["costs"] = rng.choice([1.0, 1.5, 2.0, 3.0], size=n)
    if kind in ("quotas", "all"):
        kw["labels"] = rng.choice(["a", "b", "c"], size=n)
        kw["quotas"] = {"a": (draw(st.integers(0, 1)), draw(st.integers(1, 2))), "b": (0, 1)}
    if kind in ("separation", "all"):
        kw["xy"] = rng.integers(0, 4, size=(n, 2)).astype(float) * 10.0
        kw["min_separation_m"] = float(draw(st.sampled_from([5.0, 10.0, 15.0])))
    return inst, kw


def check_constraints(rows, inst, budget, kw):
    """Independent feasibility check used by the brute force."""
    rows = list(rows)
    if inst.fixed is not None and set(rows) & set(inst.fixed.tolist()):
        return False
    if inst.groups is not None:
        gs = [inst.groups[i] for i in rows]
        fixed_g = set() if inst.fixed is None else {inst.groups[i] for i in inst.fixed}
        if len(set(gs)) < len(gs) or set(gs) & fixed_g:
            return False
    if "costs" in kw:
        if sum(kw["costs"][i] for i in rows) > budget + 1e-12:
            return False
    elif len(rows) > budget:
        return False
    if "quotas" in kw:
        for lab, (lo, hi) in kw["quotas"].items():
            c = sum(1 for i in rows if kw["labels"][i] == lab)
            if c < lo or c > hi:
                return False
    if "min_separation_m" in kw:
        for a, b in itertools.combinations(rows, 2):
            if np.hypot(*(kw["xy"][a] - kw["xy"][b])) < kw["min_separation_m"]:
                return False
    return True


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
    if opt == -np.inf:  # no feasible plan at all
        with pytest.raises(SolverError, match="no plan that meets every constraint"):
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


# ------------------------------------------------------------------ k-coverage, probabilistic


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
        with pytest.raises(SolverError):
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


# --------------------------------------------------------------------------- phases, curve


def test_plan_phases_nested_and_bounded():
    rng = np.random.default_rng(11)
    D = (rng.random((12, 20)) < 0.25) * rng.choice([0.5, 1.0], size=(12, 20))
    A = csr_array(D)
    w = rng.random(20)
    phases = plan_phases(A, w, budgets=[2, 2], method="exact", fixed=[0])
    p1, p2 = phases
    assert 0 not in p1.selected and not set(p1.selected) & set(p2.selected)
    # phase 2 is optimal given phase 1 installed
    opt2 = brute_force(A, w, 2, fixed=[0, *p1.selected.tolist()])
    assert p2.objective == pytest.approx(opt2)
    assert p2.objective == pytest.approx(
        objective(A, w, [*p1.selected.tolist(), *p2.selected.tolist()], fixed=[0])
    )
    assert p1.objective == pytest.approx(brute_force(A, w, 2, fixed=[0]))


def test_coverage_curve_bounds_and_monotone():
    rng = np.random.default_rng(12)
    D = (rng.random((10, 25)) < 0.2) * 1.0
    A = csr_array(D)
    w = np.ones(25)
    curve = coverage_curve(A, w, budgets=[1, 2, 3, 4])
    opts = [brute_force(A, w, b) for b in (1, 2, 3, 4)]
    assert np.all(np.diff(curve.objective) >= -1e-12)
    assert np.all(curve.upper_bound >= np.array(opts) - 1e-9)
    assert np.all(curve.objective <= np.array(opts) + 1e-9)
    # greedy plans are nested
    sels = [s.selected.tolist() for s in curve.solutions]
    assert all(a == b[: len(a)] for a, b in itertools.pairwise(sels))


# --------------------------------------------------------------------------- solver plumbing


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
    sol = max_coverage(
        A, w, budget=6, groups=groups, method=method, time_limit_s=3, **extra
    )
    assert sol.selected.size <= 6
    assert np.unique(groups[sol.selected]).size == sol.selected.size
    assert sol.objective == pytest.approx(objective(A, w, sol.selected, **extra))
    assert sol.objective <= sol.upper_bound + 1e-9
