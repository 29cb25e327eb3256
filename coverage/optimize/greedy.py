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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.optimize._core import GroupIndex, segment_sum

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


def group_top_sum(ub: FloatArray, groups: GroupIndex | None, k: int) -> float:
    """Largest sum of ``k`` values of ``ub`` with at most one per group (None: no groups)."""
    if k <= 0 or ub.size == 0:
        return 0.0
    if groups is None or groups.order is None:
        vals = ub
    else:
        vals = np.maximum.reduceat(ub[groups.order], groups.starts)
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
    groups: GroupIndex | None,
    total_bound: float,
    progress: Callable[[str, int, int, float, float], None] | None = None,
    n_checkpoints: int = 24,
    can_add: Callable[[int], bool] | None = None,
    on_add: Callable[[int], None] | None = None,
    costs: FloatArray | None = None,
    bound_fn: Callable[[FloatArray], float] | None = None,
) -> GreedyResult:
    """Run CELF greedy; ties are broken by the lowest row index.

    ``groups`` (None: every row is its own group) allows one row per group;
    groups holding a fixed row are closed.  ``can_add`` may veto a row (side
    constraints), ``on_add`` is told of each choice,
    ``costs`` turn the key into gain per cost, and ``bound_fn`` replaces the
    online bound's "sum of the budget largest gains, one per group".
    """
    if bound_fn is None:

        def bound_fn(u: FloatArray) -> float:
            return group_top_sum(u, groups, budget)

    run = _LazyGreedy(A, w, fixed, groups, costs)
    bound = min(total_bound, run.value + bound_fn(run.ub))
    best_step = 0
    step = max(1, budget // max(1, n_checkpoints))
    drop = run.group_taken if run.group_ids is not None else None
    while len(run.selected) < budget and run.queue.heap:
        i = run.queue.next_fresh(len(run.selected), run.gain, drop=drop)
        if i < 0:
            break
        if can_add is not None and not can_add(i):
            continue
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
        evaluations=run.queue.evaluations,
        best_step=best_step,
    )


class LazyHeap:
    """The CELF queue: rows by stale gain (an upper bound, by submodularity), best first.

    ``ub`` (shared, updated in place) holds each row's last computed gain and
    ``fresh_round[i]`` the round (number of choices made) it was computed at.
    The key is the gain, or gain per cost with ``inv_cost``; ties go to the
    lowest row index.  Both greedy variants (max objective and generic) use it.
    """

    def __init__(
        self, ub: FloatArray, rows: IntArray, inv_cost: FloatArray | None, *, fresh: bool
    ) -> None:
        self.ub = ub
        self.inv_cost = inv_cost
        key = ub[rows] if inv_cost is None else ub[rows] * inv_cost[rows]
        self.heap: list[tuple[float, int]] = list(zip((-key).tolist(), rows.tolist(), strict=True))
        heapq.heapify(self.heap)
        self.fresh_round = np.full(ub.size, -1, dtype=np.int64)
        if fresh:  # the gains in `ub` are exact now
            self.fresh_round[rows] = 0
        self.evaluations = 0

    def next_fresh(
        self,
        t: int,
        gain: Callable[[int], float],
        *,
        drop: Callable[[int], bool] | None = None,
        deadline: float = np.inf,
    ) -> int:
        """Pop the best row whose gain is fresh at round ``t``; -1 when nothing gains.

        Stale rows on top are re-evaluated with ``gain(i)`` and pushed back;
        rows for which ``drop(i)`` holds leave the queue unevaluated.  Also
        -1 once ``deadline`` (``time.perf_counter`` clock) has passed.
        """
        heap, ub, fresh_round = self.heap, self.ub, self.fresh_round
        timed = np.isfinite(deadline)
        while heap and not (timed and time.perf_counter() >= deadline):
            i = heap[0][1]
            if drop is not None and drop(i):
                heapq.heappop(heap)
                continue
            if fresh_round[i] == t:
                heapq.heappop(heap)
                return i if float(ub[i]) > 0.0 else -1
            g = gain(i)
            self.evaluations += 1
            ub[i] = g
            fresh_round[i] = t
            if g <= 0.0:
                heapq.heappop(heap)
            else:
                key = -g if self.inv_cost is None else -g * self.inv_cost[i]
                heapq.heapreplace(heap, (key, i))
        return -1


class _LazyGreedy:
    """The state of one CELF run on the max objective: cover levels, chosen rows, the queue."""

    def __init__(
        self,
        A: csr_array,
        w: FloatArray,
        fixed: IntArray,
        groups: GroupIndex | None,
        costs: FloatArray | None,
    ) -> None:
        n, m = A.shape
        group_ids = None if groups is None or groups.order is None else groups.group_ids
        n_groups = n if groups is None else groups.n_groups
        self.A, self.w, self.group_ids = A, w, group_ids
        self.cover = np.zeros(m, dtype=np.float64)
        for i in fixed.tolist():
            self._raise_cover(i)
        self.value = float(w @ self.cover)
        eligible = np.ones(n, dtype=bool)
        eligible[fixed] = False
        self.group_used = np.zeros(max(n_groups, 1), dtype=bool)
        if group_ids is not None and fixed.size:
            self.group_used[group_ids[fixed]] = True
            eligible &= ~self.group_used[group_ids]
        inv_cost = None if costs is None else 1.0 / np.asarray(costs, dtype=np.float64)
        self.ub = row_gains(A, w, self.cover)  # exact at the start
        self.ub[fixed] = 0.0
        rows = np.flatnonzero(eligible & (self.ub > 0))
        self.queue = LazyHeap(self.ub, rows, inv_cost, fresh=True)
        self.selected: list[int] = []
        self.gains: list[float] = []

    def _raise_cover(self, i: int) -> None:
        A = self.A
        s, e = A.indptr[i], A.indptr[i + 1]
        idx = A.indices[s:e]
        self.cover[idx] = np.maximum(self.cover[idx], A.data[s:e])

    def gain(self, i: int) -> float:
        """Marginal gain of row ``i`` on the current cover."""
        A, cover = self.A, self.cover
        s, e = A.indptr[i], A.indptr[i + 1]
        idx = A.indices[s:e]
        return float(np.add.reduce(self.w[idx] * np.maximum(A.data[s:e] - cover[idx], 0.0)))

    def group_taken(self, i: int) -> bool:
        """Whether the group of row ``i`` already holds a chosen (or fixed) row."""
        return self.group_ids is not None and bool(self.group_used[self.group_ids[i]])

    def take(self, i: int) -> None:
        """Choose row ``i`` (its fresh gain is ``ub[i]``)."""
        g = float(self.ub[i])
        self._raise_cover(i)
        self.selected.append(i)
        self.gains.append(g)
        self.value += g
        self.ub[i] = 0.0
        if self.group_ids is not None:
            self.group_used[self.group_ids[i]] = True
