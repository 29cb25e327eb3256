"""Shared internals of the optimizer: residual problems, row/column reductions.

Private: the public door is :func:`coverage.optimize.max_coverage`.

A *core* problem is the quality-valued max coverage problem after the fixed rows
have been folded into a base cover level ``c0``:

    f(S ∪ F) = f(F) + sum_j max_{i in S} V[i, j],   V[i, j] = w_j * (A[i, j] - c0_j)^+

so every solver only ever sees ``V`` (non-negative, rows = eligible
configurations), group ids and the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def segment_sum(values: FloatArray, indptr: NDArray[Any], n: int) -> FloatArray:
    """Sum of ``values[indptr[i]:indptr[i+1]]`` for each ``i`` (0 for empty rows)."""
    out = np.zeros(n, dtype=np.float64)
    if values.size == 0:
        return out
    starts = np.asarray(indptr[:-1], dtype=np.int64)
    nonempty = np.asarray(indptr[1:], dtype=np.int64) > starts
    if nonempty.any():
        out[nonempty] = np.add.reduceat(values, starts[nonempty])
    return out


def gather_rows(indptr: NDArray[Any], rows: IntArray) -> IntArray:
    """Positions in ``data``/``indices`` of all entries of ``rows`` (concatenated)."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.asarray(indptr, dtype=np.int64)[rows]
    lens = np.asarray(indptr, dtype=np.int64)[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return offs + np.arange(total, dtype=np.int64)


class GroupIndex:
    """Rows sorted by group, for per-group maxima with ``reduceat``."""

    def __init__(self, group_ids: IntArray | None, n: int) -> None:
        self.n = n
        if group_ids is None:
            self.order = None
            self.group_ids = np.arange(n, dtype=np.int64)
            self.n_groups = n
            self.starts = np.arange(n, dtype=np.int64)
            self.sizes = np.ones(n, dtype=np.int64)
            self.group_of_sorted = self.group_ids
            return
        _, dense = np.unique(group_ids, return_inverse=True)
        dense = dense.astype(np.int64).ravel()
        order = np.argsort(dense, kind="stable")
        g_sorted = dense[order]
        starts = (
            np.flatnonzero(np.concatenate([[True], g_sorted[1:] != g_sorted[:-1]]))
            if n
            else (np.zeros(0, dtype=np.int64))
        )
        self.order = order
        self.group_ids = dense
        self.n_groups = int(starts.size)
        self.starts = starts.astype(np.int64)
        self.sizes = np.diff(np.concatenate([starts, [n]])).astype(np.int64)
        self.group_of_sorted = g_sorted

    def group_max(self, c: FloatArray) -> tuple[FloatArray, IntArray]:
        """Per-group maximum of ``c`` and the lowest row index reaching it."""
        if self.order is None:
            return c, np.arange(self.n, dtype=np.int64)
        if self.n == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        cs = c[self.order]
        gm = np.maximum.reduceat(cs, self.starts)
        hit = np.flatnonzero(cs == np.repeat(gm, self.sizes))
        # first hit per group: the order is stable, so the lowest row index within a group
        first = np.concatenate(
            [[True], self.group_of_sorted[hit][1:] != self.group_of_sorted[hit][:-1]]
        )
        arg = self.order[hit[first]]
        return gm, arg


def top_k(values: FloatArray, k: int) -> IntArray:
    """Return the indices of the ``k`` largest positive values (ties to the lowest index)."""
    pos = np.flatnonzero(values > 0)
    if pos.size <= k:
        return pos
    vals = values[pos]
    # stable: sort by (-value, index)
    sel = np.argpartition(-vals, k - 1)[:k]
    kth = vals[sel].min()
    above = pos[vals > kth]
    tied = pos[vals == kth]
    need = k - above.size
    return np.sort(np.concatenate([above, tied[:need]]))


@dataclass
class Core:
    """A residual problem on the eligible rows (see the module docstring)."""

    V: csr_array  # (n_rows, m) values w_j * (A_ij - c0_j)^+, eligible rows only
    rows: IntArray  # original row index of each core row
    groups: GroupIndex
    budget: int
    base: float  # f(fixed)
    c0: FloatArray  # cover level of the fixed rows, per column (original columns)


def build_core(
    A: csr_array,
    w: FloatArray,
    *,
    budget: int,
    fixed: IntArray,
    group_ids: IntArray | None,
) -> Core:
    """Fold the fixed rows into a base level and keep the eligible rows only."""
    n, m = A.shape
    c0 = np.zeros(m, dtype=np.float64)
    if fixed.size:
        pos = gather_rows(A.indptr, fixed)
        np.maximum.at(c0, A.indices[pos], A.data[pos])
    base = float(w @ c0)
    eligible = np.ones(n, dtype=bool)
    eligible[fixed] = False
    if group_ids is not None and fixed.size:
        closed = np.zeros(int(group_ids.max()) + 1, dtype=bool)
        closed[group_ids[fixed]] = True
        eligible &= ~closed[group_ids]
    rows = np.flatnonzero(eligible).astype(np.int64)
    sub = A[rows] if rows.size < n else A
    vals = w[sub.indices] * np.maximum(sub.data - c0[sub.indices], 0.0)
    V = csr_array((vals, sub.indices.copy(), sub.indptr.copy()), shape=(rows.size, m))
    V.eliminate_zeros()
    V.indices = V.indices.astype(np.int64, copy=False)
    V.indptr = V.indptr.astype(np.int64, copy=False)
    g = None if group_ids is None else group_ids[rows]
    return Core(V=V, rows=rows, groups=GroupIndex(g, rows.size), budget=budget, base=base, c0=c0)


def core_value(V: csr_array, rows: IntArray) -> float:
    """``sum_j max_{i in rows} V[i, j]`` (exact, vectorized)."""
    if len(rows) == 0:
        return 0.0
    pos = gather_rows(V.indptr, np.asarray(rows, dtype=np.int64))
    best = np.zeros(V.shape[1], dtype=np.float64)
    np.maximum.at(best, V.indices[pos], V.data[pos])
    return float(best.sum())
