"""Lazy greedy (CELF / Minoux) for quality-valued max coverage on CSR matrices.

Private: the public door is :func:`coverage.optimize.max_coverage`.

The objective of a selection ``S`` is ``sum_j w_j * max_{i in S ∪ fixed} A[i, j]``.
It is monotone submodular, so a stale marginal gain is an upper bound on the
current one (the lazy trick), and ``f(S) + sum of the K largest marginal gains``
(one per group) bounds the optimum for every ``S`` (the online bound).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

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
        order, starts = _group_order(group_ids)
        vals = np.maximum.reduceat(ub[order], starts)
    if k >= vals.size:
        return float(np.sum(vals[vals > 0]))
    top = np.partition(vals, vals.size - k)[vals.size - k :]
    return float(np.sum(top[top > 0]))


def lazy_greedy(  # noqa: PLR0913 - the problem, then keyword-only hooks and options
    A: csr_array,
    w: FloatArray,
    *,
    budget: int,
    fixed: IntArray,
    group_ids: IntArray | None,
    n_groups: int,
    total_bound: float,
    progress: Callable[[str, int, int, float, float], None] | None = None,
    n_checkpoints: int = 24,
    can_add: Callable[[int], bool] | None = None,
    on_add: Callable[[int], None] | None = None,
    costs: FloatArray | None = None,
    bound_fn: Callable[[FloatArray], float] | None = None,
) -> GreedyResult:
    """Run CELF greedy; ties are broken by the lowest row index.

    ``group_ids`` are dense ids in ``[0, n_groups)``, or None when every row is
    its own group.  Groups holding a fixed row are closed.  ``can_add`` may
    veto a row (side constraints), ``on_add`` is told of each choice,
    ``costs`` turn the key into gain per cost, and ``bound_fn`` replaces the
    online bound's "sum of the budget largest gains, one per group".
    """
    if bound_fn is None:

        def bound_fn(u: FloatArray) -> float:
            return group_top_sum(u, group_ids, n_groups, budget)

    run = _LazyGreedy(A, w, fixed, group_ids, n_groups, costs)
    bound = min(total_bound, run.value + bound_fn(run.ub))
    best_step = 0
    step = max(1, budget // max(1, n_checkpoints))
    while len(run.selected) < budget and run.heap:
        i = run.next_choice(can_add)
        if i < 0:
            break
        if on_add is not None:
            on_add(i)
        run.take(i)
        t = len(run.selected)
        if t % step == 0 or t == budget:
            b = run.value + bound_fn(run.ub)
            if b < bound:
                bound = b
                best_step = t
            if progress is not None:
                progress("greedy", t, budget, run.value, bound)
    # Final exact refresh: every marginal gain w.r.t. the final selection.
    ub = row_gains(A, w, run.cover)
    ub[fixed] = 0.0
    if run.selected:
        ub[np.asarray(run.selected, dtype=np.int64)] = 0.0
    final = run.value + bound_fn(ub)
    if final < bound:
        bound = final
        best_step = len(run.selected)
    exact_value = float(w @ run.cover)
    bound = max(bound, exact_value)
    return GreedyResult(
        selected=np.asarray(run.selected, dtype=np.int64),
        gains=np.asarray(run.gains, dtype=np.float64),
        value=exact_value,
        bound=bound,
        evaluations=run.evaluations,
        best_step=best_step,
    )


class _LazyGreedy:
    """The state of one CELF run: cover levels, stale gains (upper bounds) and the heap."""

    def __init__(
        self,
        A: csr_array,
        w: FloatArray,
        fixed: IntArray,
        group_ids: IntArray | None,
        n_groups: int,
        costs: FloatArray | None,
    ) -> None:
        n, m = A.shape
        self.A, self.w, self.group_ids = A, w, group_ids
        self.cover = np.zeros(m, dtype=np.float64)
        for i in fixed.tolist():
            self._raise_cover(i)
        self.value = float(w @ self.cover)
        self.eligible = np.ones(n, dtype=bool)
        self.eligible[fixed] = False
        self.group_used = np.zeros(max(n_groups, 1), dtype=bool)
        if group_ids is not None and fixed.size:
            self.group_used[group_ids[fixed]] = True
            self.eligible &= ~self.group_used[group_ids]
        self.inv_cost = None if costs is None else 1.0 / np.asarray(costs, dtype=np.float64)
        self.ub = row_gains(A, w, self.cover)  # exact at the start
        self.ub[fixed] = 0.0
        order = np.flatnonzero(self.eligible & (self.ub > 0))
        key0 = self.ub[order] if self.inv_cost is None else self.ub[order] * self.inv_cost[order]
        self.heap: list[tuple[float, int]] = list(
            zip((-key0).tolist(), order.tolist(), strict=True)
        )
        heapq.heapify(self.heap)
        self.fresh_round = np.full(n, -1, dtype=np.int64)
        self.fresh_round[order] = 0
        self.selected: list[int] = []
        self.gains: list[float] = []
        self.evaluations = 0

    def _raise_cover(self, i: int) -> None:
        A = self.A
        s, e = A.indptr[i], A.indptr[i + 1]
        idx = A.indices[s:e]
        self.cover[idx] = np.maximum(self.cover[idx], A.data[s:e])

    def next_choice(self, can_add: Callable[[int], bool] | None) -> int:
        """Pop until the top of the heap is fresh and allowed; -1 when nothing gains."""
        heap, t = self.heap, len(self.selected)
        while heap:
            i = heap[0][1]
            if not self.eligible[i]:
                heapq.heappop(heap)
                continue
            if self.fresh_round[i] == t:
                heapq.heappop(heap)
                if float(self.ub[i]) <= 0.0:
                    return -1
                if can_add is not None and not can_add(i):
                    self.eligible[i] = False
                    continue
                return i
            if self.group_ids is not None and self.group_used[self.group_ids[i]]:
                self.eligible[i] = False
                heapq.heappop(heap)
                continue
            self._refresh(i, t)
        return -1

    def _refresh(self, i: int, t: int) -> None:
        """Recompute the gain of row ``i`` at round ``t`` and put it back in the heap."""
        A, cover = self.A, self.cover
        s, e = A.indptr[i], A.indptr[i + 1]
        idx = A.indices[s:e]
        g = float(np.add.reduce(self.w[idx] * np.maximum(A.data[s:e] - cover[idx], 0.0)))
        self.evaluations += 1
        self.ub[i] = g
        self.fresh_round[i] = t
        if g <= 0.0:
            heapq.heappop(self.heap)
        else:
            key = -g if self.inv_cost is None else -g * self.inv_cost[i]
            heapq.heapreplace(self.heap, (key, i))

    def take(self, i: int) -> None:
        """Choose row ``i`` (its fresh gain is ``ub[i]``)."""
        g = float(self.ub[i])
        self._raise_cover(i)
        self.selected.append(i)
        self.gains.append(g)
        self.value += g
        self.eligible[i] = False
        self.ub[i] = 0.0
        if self.group_ids is not None:
            self.group_used[self.group_ids[i]] = True
