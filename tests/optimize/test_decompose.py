"""Spatial decomposition (optimize/decompose.py) against brute force and a second solver."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse import block_diag, csr_array
from strategies import brute_force, dense_value, prop, scipy_milp_optimum

from coverage.optimize import is_feasible, max_coverage, objective
from coverage.optimize._core import GroupIndex, build_core, core_value
from coverage.optimize._state import RunState
from coverage.optimize.bound import Dual, split_contested, subgradient
from coverage.optimize.decompose import (
    Work,
    _pieces,
    price_of,
    reprice,
    run_decomposed,
    solve_piece,
    split_components,
    trim,
)
from coverage.optimize.greedy import lazy_greedy


def blocks_instance(seed: int, n_blocks: int, rows: int, cols: int, *, groups: bool, fixed: bool):
    """Block-diagonal instance (independent components), shuffled rows and columns."""
    rng = np.random.default_rng(seed)
    mats, gids = [], []
    for b in range(n_blocks):
        n = int(rng.integers(1, rows + 1))
        m = int(rng.integers(1, cols + 1))
        D = (rng.random((n, m)) < 0.5) * rng.choice([0.25, 0.5, 1.0], size=(n, m))
        mats.append(csr_array(D))
        gids.append(100 * b + rng.integers(0, max(1, n // 2 + 1), size=n))
    A = csr_array(block_diag(mats, format="csr")).toarray()
    g = np.concatenate(gids)
    pr, pc = rng.permutation(A.shape[0]), rng.permutation(A.shape[1])
    A, g = A[pr][:, pc], g[pr]
    w = rng.choice([0.0, 1.0, 2.0, 3.5], size=A.shape[1], p=[0.1, 0.5, 0.3, 0.1])
    fx = None
    if fixed and A.shape[0] > 2:
        fx = np.sort(rng.choice(A.shape[0], size=1 + A.shape[0] // 6, replace=False))
    return csr_array(A), w, (g if groups else None), fx


def union_find_components(D: np.ndarray, groups: np.ndarray | None) -> list[set[int]]:
    """Rows linked when they share a column or a group: brute-force components (as row sets)."""
    n = D.shape[0]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a in range(n):
        for b in range(a + 1, n):
            shares = bool(((D[a] > 0) & (D[b] > 0)).any())
            same_group = groups is not None and groups[a] == groups[b]
            if shares or same_group:
                parent[find(a)] = find(b)
    comps: dict[int, set[int]] = {}
    for i in range(n):
        comps.setdefault(find(i), set()).add(i)
    return list(comps.values())


@prop(40)
@given(seed=st.integers(0, 2**31), n_blocks=st.integers(1, 5), groups=st.booleans())
def test_components_match_union_find(seed, n_blocks, groups):
    A, _w, g, _ = blocks_instance(seed, n_blocks, 5, 6, groups=True, fixed=False)
    g = g if groups else None
    n, row_comp, col_comp = split_components(A, GroupIndex(g, A.shape[0]))
    D = A.toarray()
    expected = union_find_components(D, g)
    got: dict[int, set[int]] = {}
    for i, c in enumerate(row_comp.tolist()):
        got.setdefault(c, set()).add(i)
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, expected))
    assert n == len(expected)
    for j in range(D.shape[1]):
        cover = np.flatnonzero(D[:, j] > 0)
        if cover.size == 0:
            assert col_comp[j] == -1
        else:
            assert set(row_comp[cover].tolist()) == {col_comp[j]}


def _state_with_weak_bound(core, iterations):
    """Greedy plan and a deliberately short subgradient: the decomposition must tighten it."""
    res = lazy_greedy(
        core.V,
        np.ones(core.V.shape[1]),
        budget=core.budget,
        fixed=np.zeros(0, dtype=np.int64),
        groups=core.groups,
        total_bound=np.inf,
    )
    state = RunState(t0=0.0, deadline=np.inf, progress=None)
    state.offer_plan(res.selected, core_value(core.V, res.selected), "greedy")
    con = split_contested(core.V, core.groups)
    dual = Dual(con, core.groups, core.budget, None)
    lam0 = np.zeros(con.cols.size)
    lag = subgradient(
        dual, lam0, target=state.value, gap_tol=0.0, deadline=np.inf, max_iterations=iterations
    )
    state.offer_bound(lag.bound, "lagrangian")
    return state, lag, con


@prop(40)
@given(
    seed=st.integers(0, 2**31),
    n_blocks=st.integers(2, 4),
    budget=st.integers(1, 4),
    iterations=st.sampled_from([0, 3, 30]),
    groups=st.booleans(),
    fixed=st.booleans(),
)
def test_decomposition_plan_and_bound_vs_brute_force(
    seed, n_blocks, budget, iterations, groups, fixed
):
    A, w, g, fx = blocks_instance(seed, n_blocks, 4, 5, groups=groups, fixed=fixed)
    fxa = np.zeros(0, dtype=np.int64) if fx is None else fx
    core = build_core(A, w, budget=budget, fixed=fxa, group_ids=g)
    if core.V.shape[0] == 0:
        return
    state, lag, con = _state_with_weak_bound(core, iterations)
    # the priced Lagrangian bounds of the components add up to L(lam)
    P = _pieces(core, lag, con.cols, state.plan)
    assert P.price * budget + P.lag.sum() == pytest.approx(lag.bound, rel=1e-9, abs=1e-9)
    priced = run_decomposed(
        core, state, lag, con.cols, gap_tol=0.0, work=Work(max_piece_nnz=10**6, max_pieces=2)
    )
    opt = brute_force(A, w, budget, g, fx)
    base = core.base
    assert state.bound + base >= opt - 1e-7
    if priced is not None:
        # new multipliers at the same price: still a bound, never above the old one
        dual = Dual(con, core.groups, core.budget, None)
        lag2 = subgradient(
            dual, lag.lam, target=state.value, gap_tol=0.0, deadline=np.inf, max_iterations=20
        )
        again = reprice(core, priced, lag2, con.cols)
        assert again + base >= opt - 1e-7
        assert again <= priced.price * budget + priced.bounds.sum() + 1e-9
    plan = core.rows[state.plan]
    assert plan.size <= budget
    if g is not None:
        assert np.unique(g[plan]).size == plan.size
    rows = [] if fx is None else fx.tolist()
    assert state.value + base == pytest.approx(dense_value(A.toarray(), w, rows + plan.tolist()))
    assert state.value + base <= opt + 1e-7


@prop(25)
@given(
    seed=st.integers(0, 2**31),
    n_blocks=st.integers(2, 4),
    budget=st.integers(1, 4),
    groups=st.booleans(),
    fixed=st.booleans(),
)
def test_auto_with_components_vs_brute_force(seed, n_blocks, budget, groups, fixed):
    A, w, g, fx = blocks_instance(seed, n_blocks, 4, 5, groups=groups, fixed=fixed)
    n_free = A.shape[0] - (0 if fx is None else fx.size)
    if n_free < 1:
        return
    budget = min(budget, n_free)
    opt = brute_force(A, w, budget, g, fx)
    sol = max_coverage(A, w, budget=budget, groups=g, fixed=fx, method="auto", rng=0, gap_tol=0)
    assert sol.objective == pytest.approx(objective(A, w, sol.selected, fx))
    assert sol.objective <= opt + 1e-7 <= sol.upper_bound + 2e-7
    assert is_feasible(sol, A, budget=budget, groups=g, fixed=fx)


def test_solve_piece_is_the_priced_optimum():
    """max f(S) - price |S| by enumeration, on one component with groups."""
    rng = np.random.default_rng(3)
    D = (rng.random((9, 12)) < 0.4) * rng.choice([0.5, 1.0], size=(9, 12))
    D = D * rng.choice([1.0, 2.0], size=12)
    g = np.array([0, 0, 1, 1, 2, 3, 3, 4, 5])
    for price in (0.0, 1.0, 2.5, 6.0):
        best = 0.0
        for mask in range(1 << 9):
            rows = [i for i in range(9) if mask >> i & 1]
            if len({g[i] for i in rows}) < len(rows) or len(rows) > 3:
                continue
            best = max(best, dense_value(D, np.ones(12), rows) - price * len(rows))
        res = solve_piece(
            csr_array(D),
            g,
            price,
            3,
            warm_start=np.zeros(0, dtype=np.int64),
            node_limit=10_000,
            time_limit_s=30,
        )
        assert res.value - price * res.plan.size == pytest.approx(best)
        assert res.bound >= best - 1e-7
        assert res.bound == pytest.approx(best, abs=1e-6)


def test_trim_drops_least_loss_rows():
    D = np.array([[1.0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0.5]])
    V = csr_array(D * np.array([1.0, 1.0, 3.0, 1.0]))
    # row 1 adds nothing over row 0, row 3 adds 0.5: both go first
    assert trim(V, np.array([0, 1, 2, 3]), 2).tolist() == [0, 2]


def test_price_between_kth_and_next_value():
    vals = np.array([4.0, 9.0, 1.0, 7.0])
    mu = price_of(vals, 2)
    assert 4.0 <= mu <= 7.0
    assert price_of(vals, 4) == 0.0


@pytest.mark.parametrize(
    "extra",
    [
        {"costs": [1.0, 2.0, 1.0, 1.5, 1.0, 1.0, 2.0, 1.0]},
        {"labels": list("aabbaabb"), "quotas": {"a": (1, None), "b": (1, 2)}},
    ],
)
def test_coupling_constraints_fall_back_to_the_global_path(extra):
    """Costs and quotas couple the components: no decomposition, and still the optimum."""
    A, w, _, _ = blocks_instance(11, 3, 4, 4, groups=False, fixed=False)
    D = np.zeros((8, A.shape[1]))
    D[: min(8, A.shape[0])] = A.toarray()[:8]
    D[D.sum(axis=1) == 0, 0] = 0.5
    A = csr_array(D)
    budget = 3.0 if "costs" in extra else 3
    sol = max_coverage(A, w, budget=budget, method="auto", rng=0, **extra)
    assert "components" not in sol.info
    if "costs" in extra:
        c = np.asarray(extra["costs"])
        best = max(
            dense_value(D, w, [i for i in range(8) if m >> i & 1])
            for m in range(256)
            if c[[i for i in range(8) if m >> i & 1]].sum() <= 3.0
        )
    else:
        lab = np.array(extra["labels"])
        best = 0.0
        for m in range(256):
            rows = [i for i in range(8) if m >> i & 1]
            na, nb = int((lab[rows] == "a").sum()), int((lab[rows] == "b").sum())
            if len(rows) <= 3 and na >= 1 and 1 <= nb <= 2:
                best = max(best, dense_value(D, w, rows))
    assert sol.objective <= best + 1e-7 <= sol.upper_bound + 2e-7


def test_decomposition_vs_highs_on_a_mid_size_instance():
    """Twelve components of 30 rows: decomposition bound and plan against the HiGHS optimum."""
    rng = np.random.default_rng(7)
    mats = [
        csr_array((rng.random((30, 40)) < 0.12) * rng.choice([0.5, 1.0], size=(30, 40)))
        for _ in range(12)
    ]
    A = csr_array(block_diag(mats, format="csr"))
    w = rng.choice([1.0, 2.0, 3.0], size=A.shape[1])
    g = np.repeat(np.arange(A.shape[0] // 3), 3)
    opt = scipy_milp_optimum(A, w, 25, g)
    sol = max_coverage(A, w, budget=25, groups=g, method="auto", rng=0, gap_tol=1e-9)
    assert sol.info["components"] >= 12
    assert sol.objective == pytest.approx(objective(A, w, sol.selected))
    assert sol.objective <= opt + 1e-7 <= sol.upper_bound + 2e-7


def _priced_optimum(D: np.ndarray, rows: np.ndarray, g: np.ndarray, price: float, k: int) -> float:
    """max f_c(S) - price |S| over the rows of one component, one row per group, |S| <= k."""
    best = 0.0
    ones = np.ones(D.shape[1])
    for size in range(1, min(k, rows.size) + 1):
        for S in itertools.combinations(rows.tolist(), size):
            if len({g[i] for i in S}) == size:
                best = max(best, dense_value(D, ones, S) - price * size)
    return best


@prop(30)
@given(
    seed=st.integers(0, 2**31),
    n_blocks=st.integers(2, 4),
    budget=st.integers(1, 4),
    groups=st.booleans(),
)
def test_default_work_solves_every_component_with_a_gap(seed, n_blocks, budget, groups):
    """With the default work limits every component ends at its priced optimum (brute force)."""
    A, w, g, _ = blocks_instance(seed, n_blocks, 4, 5, groups=groups, fixed=False)
    core = build_core(A, w, budget=budget, fixed=np.zeros(0, dtype=np.int64), group_ids=g)
    state, lag, con = _state_with_weak_bound(core, 3)
    priced = run_decomposed(core, state, lag, con.cols, gap_tol=0.0)
    if priced is None:
        return
    D = core.V.toarray()
    gid = core.groups.group_ids
    for c in range(priced.bounds.size):
        rows = np.flatnonzero(priced.row_comp == c)
        best = _priced_optimum(D, rows, gid, priced.price, budget)
        assert priced.bounds[c] >= best - 1e-7
        assert priced.bounds[c] == pytest.approx(best, abs=1e-5 * max(1.0, abs(best)))
    # the bound is the price relaxation, so it bounds the optimum from above
    opt = brute_force(A, w, budget, g)
    total = priced.price * budget + priced.bounds.sum()
    assert state.bound <= total + 1e-9
    assert total + core.base >= opt - 1e-7
