"""Lazy greedy (CELF / Minoux) for quality-valued max coverage on CSR matrices.

Private: the public door is :func:`coverage.optimize.max_coverage`.

The objective of a selection ``S`` is ``sum_j w_j * max_{i in S ∪ fixed} A[i, j]``.
It is monotone submodular, so a stale marginal gain is an upper bound on the
current one (the lazy trick), and ``f(S) + sum of the K largest marginal gains``
(one per group) bounds the optimum for every ``S`` (the online bound).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.optimize._core import segment_sum

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class GreedyResult:
    """What one greedy run leaves behind (internal)."""

    selected: IntArray
    gains: FloatArray
    value: float
    bound: float
    cover: FloatArray
    trace: list[tuple[float, float, float, str]] = field(default_factory=list)
    evaluations: int = 0
    best_step: int = 0  # number of choices at the step with the best online bound


def row_gains(A: csr_array, w: FloatArray, cover: FloatArray) -> FloatArray:
    """Marginal gain of every row given the current cover level of each column."""
    n = A.shape[0]
    contrib = w[A.indices] * np.maximum(A.data - cover[A.indices], 0.0)
    return segment_sum(contrib, A.indptr, n)


_ORDER_CACHE: dict[int, tuple[IntArray, IntArray, IntArray]] = {}


def _group_order(group_ids: IntArray) -> tuple[IntArray, IntArray]:
    """Rows sorted by group and the start of each group (cached per array)."""
    hit = _ORDER_CACHE.get(id(group_ids))
    if hit is not None and hit[0] is group_ids:
        return hit[1], hit[2]
    order = np.argsort(group_ids, kind="stable")
    g = group_ids[order]
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
    _ORDER_CACHE.clear()
    _ORDER_CACHE[id(group_ids)] = (group_ids, order, starts)
    return order, starts


def group_top_sum(ub: FloatArray, group_ids: IntArray | None, n_groups: int, k: int) -> float:
    """Largest sum of ``k`` values of ``ub`` with at most one per group."""
    if k <= 0 or ub.size == 0:
        return 0.0
    if group_ids is None:
        vals = ub
    else:
        vals = np.zeros(n_groups, dtype=np.float64)
        order, starts = _group_order(group_ids)
        vals = np.maximum.reduceat(ub[order], starts)
    if k >= vals.size:
        return float(np.sum(vals[vals > 0]))
    top = np.partition(vals, vals.size - k)[vals.size - k :]
    return float(np.sum(top[top > 0]))


def lazy_greedy(
    A: csr_array,
    w: FloatArray,
    *,
    budget: int,
    fixed: IntArray,
    group_ids: IntArray | None,
    n_groups: int,
    total_bound: float,
    t0: float,
    progress: Callable[[str, int, int, float, float], None] | None = None,
    n_checkpoints: int = 24,
    can_add: Callable[[int], bool] | None = None,
    on_add: Callable[[int], None] | None = None,
    costs: FloatArray | None = None,
    bound_fn: Callable[[FloatArray], float] | None = None,
) -> GreedyResult:
    """Run CELF greedy; ties are broken by the lowest row index.

    ``group_ids`` are dense ids in ``[0, n_groups)``, or None when every row is
    its own group.  Groups holding a fixed row are closed.
    """
    n, m = A.shape
    indptr, indices, data = A.indptr, A.indices, A.data
    cover = np.zeros(m, dtype=np.float64)
    for i in fixed.tolist():
        s, e = indptr[i], indptr[i + 1]
        idx = indices[s:e]
        cover[idx] = np.maximum(cover[idx], data[s:e])
    value = float(w @ cover)

    eligible = np.ones(n, dtype=bool)
    eligible[fixed] = False
    group_used = np.zeros(max(n_groups, 1), dtype=bool)
    if group_ids is not None and fixed.size:
        group_used[group_ids[fixed]] = True
        eligible &= ~group_used[group_ids]

    if bound_fn is None:

        def bound_fn(u: FloatArray) -> float:
            return group_top_sum(u, group_ids, n_groups, budget)

    inv_cost = None if costs is None else 1.0 / np.asarray(costs, dtype=np.float64)
    ub = row_gains(A, w, cover)  # exact at the start
    ub[fixed] = 0.0
    bound = min(total_bound, value + bound_fn(ub))
    trace: list[tuple[float, float, float, str]] = [
        (time.perf_counter() - t0, value, bound, "greedy")
    ]

    order = np.flatnonzero(eligible & (ub > 0))
    key0 = ub[order] if inv_cost is None else ub[order] * inv_cost[order]
    heap: list[tuple[float, int]] = list(zip((-key0).tolist(), order.tolist(), strict=True))
    heapq.heapify(heap)
    fresh_round = np.full(n, -1, dtype=np.int64)
    fresh_round[order] = 0

    selected: list[int] = []
    gains: list[float] = []
    best_step = 0
    evaluations = 0
    step = max(1, budget // max(1, n_checkpoints))
    t = 0
    while t < budget and heap:
        i = heap[0][1]
        if not eligible[i]:
            heapq.heappop(heap)
            continue
        if fresh_round[i] == t:
            heapq.heappop(heap)
            g = float(ub[i])
            if g <= 0.0:
                break
            if can_add is not None and not can_add(i):
                eligible[i] = False
                continue
            if on_add is not None:
                on_add(i)
            s, e = indptr[i], indptr[i + 1]
            idx = indices[s:e]
            cover[idx] = np.maximum(cover[idx], data[s:e])
            selected.append(i)
            gains.append(g)
            value += g
            eligible[i] = False
            ub[i] = 0.0
            if group_ids is not None:
                gi = group_ids[i]
                group_used[gi] = True
            t += 1
            if t % step == 0 or t == budget:
                if group_ids is not None:
                    # closing whole groups lazily: rows of used groups get skipped on pop
                    pass
                b = value + bound_fn(ub)
                if b < bound:
                    bound = b
                    best_step = t
                trace.append((time.perf_counter() - t0, value, bound, "greedy"))
                if progress is not None:
                    progress("greedy", t, budget, value, bound)
            continue
        if group_ids is not None and group_used[group_ids[i]]:
            eligible[i] = False
            heapq.heappop(heap)
            continue
        s, e = indptr[i], indptr[i + 1]
        idx = indices[s:e]
        g = float(np.add.reduce(w[idx] * np.maximum(data[s:e] - cover[idx], 0.0)))
        evaluations += 1
        ub[i] = g
        fresh_round[i] = t
        if g <= 0.0:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (-g if inv_cost is None else -g * inv_cost[i], i))

    # Final exact refresh: every marginal gain w.r.t. the final selection.
    ub = row_gains(A, w, cover)
    ub[fixed] = 0.0
    if selected:
        ub[np.asarray(selected, dtype=np.int64)] = 0.0
    final = value + bound_fn(ub)
    if final < bound:
        bound = final
        best_step = len(selected)
    exact_value = float(w @ cover)
    bound = max(bound, exact_value)
    trace.append((time.perf_counter() - t0, exact_value, bound, "greedy"))
    return GreedyResult(
        selected=np.asarray(selected, dtype=np.int64),
        gains=np.asarray(gains, dtype=np.float64),
        value=exact_value,
        bound=bound,
        cover=cover,
        trace=trace,
        evaluations=evaluations,
        best_step=best_step,
    )
