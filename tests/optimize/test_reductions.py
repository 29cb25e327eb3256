"""Exact reductions (optimize/reductions.py) against brute force on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.sparse import csr_array
from strategies import brute_force, coverage_instances, dense_value, prop

from coverage.optimize import max_coverage, objective
from coverage.optimize._core import Core, GroupIndex, build_core, core_value
from coverage.optimize.reductions import covered_rows, merge_columns, reduce_core


def _covers(D: np.ndarray, b: int, a: int) -> bool:
    """Row b is at least row a in every column (brute force)."""
    return bool(np.all(D[b] >= D[a]))


def brute_covered(D: np.ndarray, cand: np.ndarray, key: np.ndarray) -> np.ndarray:
    """covered_rows by enumerating every ordered pair."""
    n = D.shape[0]
    out = np.zeros(n, dtype=bool)
    for a, b in itertools.permutations(range(n), 2):
        if not cand[b] or key[a] != key[b] or not D[a].any() or not _covers(D, b, a):
            continue
        tie = _covers(D, a, b) and cand[a]
        if not tie or b < a:
            out[a] = True
    return out


def _dense(seed: int, n: int, m: int, *, levels: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vals = rng.choice([0.5, 1.0], size=(n, m)) if levels else np.ones((n, m))
    D = np.where(rng.random((n, m)) < 0.35, vals, 0.0)
    # plant duplicates and subsets so that ties and dominance happen
    for _ in range(n // 3):
        a, b = rng.integers(0, n, size=2)
        D[a] = D[b] * (rng.random(m) < 0.7)
    return D


@prop(60)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 9),
    m=st.integers(1, 7),
    levels=st.booleans(),
    by_group=st.booleans(),
)
def test_covered_rows_matches_pairwise_check(seed, n, m, levels, by_group):
    rng = np.random.default_rng(seed + 1)
    D = _dense(seed, n, m, levels=levels)
    cand = rng.random(n) < 0.7
    key = rng.integers(0, 3, size=n) if by_group else np.zeros(n, dtype=np.int64)
    got = covered_rows(csr_array(D), cand, key)
    np.testing.assert_array_equal(got, brute_covered(D, cand, key))


def test_covered_rows_pair_limit_only_drops_fewer():
    D = _dense(3, 12, 8, levels=True)
    full = covered_rows(csr_array(D), np.ones(12, bool), np.zeros(12, np.int64))
    capped = covered_rows(csr_array(D), np.ones(12, bool), np.zeros(12, np.int64), max_pairs=10)
    assert full.sum() > 0
    assert not (capped & ~full).any()  # a capped run reports a subset


@prop(60)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 6), m=st.integers(1, 9))
def test_merged_columns_keep_every_plan_value(seed, n, m):
    rng = np.random.default_rng(seed)
    base = np.where(rng.random((n, 3)) < 0.6, rng.choice([0.5, 1.0], size=(n, 3)), 0.0)
    # columns are scaled copies of three patterns (or empty): many merge
    pick = rng.integers(0, 4, size=m)
    scale = rng.choice([0.5, 1.0, 2.0, 3.0], size=m)
    D = np.column_stack(
        [base[:, p] * s if p < 3 else np.zeros(n) for p, s in zip(pick, scale, strict=True)]
    )
    M, cls = merge_columns(csr_array(D))
    # the classes are exactly the distinct normalized non-empty columns
    norm = {}
    for j in range(m):
        if D[:, j].any():
            norm.setdefault(tuple(D[:, j] / D[:, j].max()), len(norm))
    assert M.shape == (n, len(norm))
    assert (cls >= 0).sum() == int((D != 0).any(axis=0).sum())
    for j in range(m):
        assert (cls[j] == -1) == (not D[:, j].any())
    ones = np.ones(m)
    for k in range(n + 1):
        for S in itertools.combinations(range(n), k):
            assert core_value(M, np.array(S, dtype=np.int64)) == pytest.approx(
                dense_value(D, ones, S), abs=1e-12
            )


def _core_of(inst) -> Core:
    A = inst.A
    fx = np.zeros(0, np.int64) if inst.fixed is None else np.asarray(inst.fixed, dtype=np.int64)
    return build_core(A, inst.weights, budget=3, fixed=fx, group_ids=inst.groups)


@prop(80)
@given(
    inst=coverage_instances(max_sites=9, max_demand=8, with_groups=True, with_fixed=True),
    budget=st.integers(1, 4),
)
def test_reduced_core_keeps_the_optimum(inst, budget):
    core = _core_of(inst)
    core.budget = budget
    red = reduce_core(core)
    # every reduced row is an original row; plans keep their value
    Vr, V = red.core.V, core.V
    np.testing.assert_array_equal(red.core.rows, core.rows[red.kept])
    rng = np.random.default_rng(0)
    for _ in range(5):
        k = int(rng.integers(0, red.kept.size + 1))
        S = np.sort(rng.choice(red.kept.size, size=k, replace=False)).astype(np.int64)
        assert core_value(Vr, S) == pytest.approx(core_value(V, red.kept[S]), abs=1e-9)
    # the optimum is the same on both cores (brute force over the core rows, with groups)
    g = None if inst.groups is None else core.groups.group_ids
    gr = None if inst.groups is None else red.core.groups.group_ids
    ones_m, ones_r = np.ones(V.shape[1]), np.ones(Vr.shape[1])
    full = brute_force(csr_array(V), ones_m, budget, g)
    reduced = brute_force(csr_array(Vr), ones_r, budget, gr) if red.kept.size else 0.0
    assert reduced == pytest.approx(full, abs=1e-9)


def test_reduce_core_drops_what_the_docstring_says():
    # group 0: row 1 is a subset of row 0, so row 0 is then alone in its group and covers
    # row 4; row 2 (group 1, alone) covers row 3; row 5 is empty.  Columns 0 and 1 are
    # then both reached by row 0 only, columns 2-4 by row 2 only (proportional).
    D = np.array(
        [
            [1.0, 1.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.5, 1.0],
            [0.0, 0.0, 1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    gid = np.array([0, 0, 1, 2, 2, 3])
    core = Core(csr_array(D), np.arange(6), GroupIndex(gid, 6), 2, 0.0, np.zeros(5))
    red = reduce_core(core)
    assert red.kept.tolist() == [0, 2]
    assert red.stats["empty_rows"] == 1
    assert red.stats["dominated_in_group"] == 1
    assert red.stats["dominated_by_free_group"] == 2
    assert red.col_class.tolist() == [0, 0, 1, 1, 1]
    assert red.core.V.toarray().tolist() == [[2.0, 0.0], [0.0, 2.5]]


@prop(40)
@given(
    inst=coverage_instances(max_sites=9, max_demand=10, with_groups=True, with_fixed=True),
    budget=st.integers(1, 4),
    method=st.sampled_from(["local", "auto"]),
)
def test_solver_on_reduced_core_brackets_brute_force(inst, budget, method):
    n_fixed = 0 if inst.fixed is None else len(inst.fixed)
    budget = min(budget, inst.A.shape[0] - n_fixed)
    assume(budget >= 1)
    sol = max_coverage(
        inst.A, inst.weights, budget=budget, groups=inst.groups, fixed=inst.fixed, method=method
    )
    best = brute_force(inst.A, inst.weights, budget, inst.groups, inst.fixed)
    assert sol.objective == pytest.approx(objective(inst.A, inst.weights, sol.selected, inst.fixed))
    assert sol.objective <= best + 1e-9
    assert sol.upper_bound >= best - 1e-9
