r"""Exact problem reductions of a core problem: dominated rows, merged columns.

Private: the public door is :func:`coverage.optimize.max_coverage` (``"auto"``,
``"local"`` and ``"exact"`` reduce plain problems, groups and fixed rows only,
before any stage runs).

Every reduction keeps the optimum value: any plan of the original core maps
to a plan of the reduced core of at least the same value, and every plan of
the reduced core is a plan of the original one of the same value.  So a bound
proven on the reduced core bounds the original optimum, and a plan found on it
is a feasible plan of the original problem (its value is recomputed from the
original matrix anyway).

Row ``a`` is *covered* by row ``b`` when ``V[a, j] <= V[b, j]`` for every
column ``j`` (entry by entry; ``a``'s support inside ``b``'s).

1. **Empty rows** (no value left after the fixed rows) are dropped.
2. **Dominated in their group.**  If ``b`` covers ``a`` and both are in the
   same group, a plan holding ``a`` can hold ``b`` instead (the group rule is
   unchanged) and loses nothing: ``a`` goes.  Rows covering each other
   (identical rows) keep the lowest index.
3. **Dominated by a row whose group is free.**  If ``b`` covers ``a`` and
   ``b`` is the only row left in its group, a plan holding ``a`` and not
   ``b`` swaps ``a`` for ``b`` (``b``'s group is then unused); one holding
   both drops ``a`` at no loss.  ``a`` goes.
4. **Proportional columns merged.**  Columns ``j, j'`` with the same rows and
   ``V[:, j'] = t V[:, j]`` (``t > 0``) contribute ``(1 + t) max_{i in S}
   V[i, j]`` together, so they become one column with summed scale.  Binary
   coverage with weights: the demand points reached by exactly the same
   configurations become one point with their weights summed.

Covering is a preorder: with the index tie-break the strict order has
maximal elements, which are never dropped, so every dropped row has a kept
row that covers it (by transitivity) in the same group (2) or in a group of
one row (3).  Steps 2 and 3 compare only pairs of rows that share a column
and stop adding pairs at ``max_pairs`` (then fewer rows are dropped, which
is still exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage._arrays import offsets_within, repeat_index, row_of_entries
from coverage.optimize._core import Core, GroupIndex

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["Reduced", "covered_rows", "merge_columns", "reduce_core"]

#: Most ordered row pairs compared by one domination step (each costs ~60 bytes while it
#: runs; territory phase 1 needs 1.8 million).
MAX_PAIRS = 8_000_000


@dataclass
class Reduced:
    """A reduced core and what the reductions removed."""

    core: Core  # rows: original rows of A, as for any core; V: merged columns
    kept: IntArray  # row of the input core behind each reduced row
    col_class: IntArray  # merged column of each input column (-1: no value left)
    stats: dict[str, int] = field(default_factory=dict)


def _pairs_in_cells(
    cell: IntArray, is_cand: BoolArray, n_cells: int, max_pairs: int
) -> tuple[IntArray, IntArray]:
    """Pairs ``(p, q)``, ``p != q``, of positions sharing a cell, ``q`` a candidate.

    ``cell`` is non-decreasing and, within a cell, candidates come first.
    Cells are taken whole, in order, until ``max_pairs`` pairs are reached.
    """
    size = np.bincount(cell, minlength=n_cells).astype(np.int64)
    n_cand = np.bincount(cell[is_cand], minlength=n_cells).astype(np.int64)
    take = np.cumsum(size * n_cand) <= max_pairs
    start = np.cumsum(size) - size
    reps = np.where(take, n_cand, 0)[cell]
    p = np.repeat(np.arange(cell.size, dtype=np.int64), reps)
    q = np.repeat(start[cell], reps) + offsets_within(reps)
    keep = p != q
    return p[keep], q[keep]


def covered_rows(
    V: csr_array,
    candidates: BoolArray,
    same_key: IntArray,
    *,
    max_pairs: int = MAX_PAIRS,
) -> BoolArray:
    """Rows ``a`` covered by another row ``b`` with ``candidates[b]`` and ``same_key`` equal.

    ``same_key`` pairs rows up (the group id for step 2, or 0 everywhere for
    step 3).  Rows covering each other: only the higher index counts as
    covered.  Empty rows are never reported (they have no column to share).

    Examples
    --------
    >>> V = csr_array([[1.0, 0, 0], [1.0, 1, 0], [0, 0, 1], [1.0, 1, 0]])
    >>> covered_rows(V, np.ones(4, bool), np.zeros(4, np.int64)).tolist()
    [True, False, False, True]
    """
    n = V.shape[0]
    out = np.zeros(n, dtype=bool)
    if V.nnz == 0:
        return out
    r = row_of_entries(V.indptr)
    key = np.asarray(same_key, dtype=np.int64)[r]
    j = V.indices.astype(np.int64)
    # cells (key, column), candidates first within a cell
    order = np.lexsort((r, ~candidates[r], j, key))
    r, k_s, j_s, v = r[order], key[order], j[order], V.data[order]
    new = np.concatenate([[True], (k_s[1:] != k_s[:-1]) | (j_s[1:] != j_s[:-1])])
    cell = np.cumsum(new) - 1
    p, q = _pairs_in_cells(cell, candidates[r], int(cell[-1]) + 1, max_pairs)
    ok = v[q] >= v[p]
    a, b = r[p[ok]], r[q[ok]]
    # per ordered pair (a, b): the columns of a where b is at least as large
    uniq, cnt = np.unique(a * n + b, return_counts=True)
    a_u, b_u = uniq // n, uniq % n
    covers = cnt == np.diff(V.indptr).astype(np.int64)[a_u]  # b covers a
    a_c, b_c = a_u[covers], b_u[covers]
    # a tie (b covers a and a covers b) counts only for the higher index
    both = np.isin(b_c * n + a_c, a_c * n + b_c)
    out[a_c[~both | (b_c < a_c)]] = True
    return out


def merge_columns(V: csr_array) -> tuple[csr_array, IntArray]:
    """Merge columns with the same rows and proportional values (scales summed).

    Returns the merged matrix (columns in the order of their lowest input
    column) and, per input column, its merged column (-1 for an empty
    column, which is dropped).

    Examples
    --------
    >>> V = csr_array([[1.0, 2.0, 1.0], [0.5, 1.0, 0.0]])
    >>> M, cls = merge_columns(V)
    >>> M.toarray().tolist(), cls.tolist()
    ([[3.0, 1.0], [1.5, 0.0]], [0, 0, 1])
    """
    n, m = V.shape
    C = V.tocsc()
    C.sort_indices()
    nnz = np.diff(C.indptr).astype(np.int64)
    col = repeat_index(nnz)
    cmax = np.zeros(m)
    np.maximum.at(cmax, col, C.data)
    u = C.data / cmax[col]
    # two hashes of (rows, normalized values) per column; equal hashes are checked exactly
    h_rows = np.random.default_rng(12345).random((2, n))
    h1 = np.bincount(col, weights=h_rows[0][C.indices] * (1.0 + u), minlength=m)
    h2 = np.bincount(col, weights=h_rows[1][C.indices] * (2.0 - u), minlength=m)
    order = np.lexsort((np.arange(m), h2, h1, nnz))
    same_prev = np.zeros(m, dtype=bool)
    a, b = order[:-1], order[1:]
    cand = (nnz[a] == nnz[b]) & (h1[a] == h1[b]) & (h2[a] == h2[b]) & (nnz[a] > 0)
    ca, cb = a[cand], b[cand]
    if ca.size:
        lens = nnz[ca]
        pair = repeat_index(lens)
        off = offsets_within(lens)
        pa = C.indptr[ca][pair] + off
        pb = C.indptr[cb][pair] + off
        differ = (C.indices[pa] != C.indices[pb]) | (u[pa] != u[pb])
        same = np.bincount(pair, weights=differ, minlength=ca.size) == 0
        same_prev[np.flatnonzero(cand)[same] + 1] = True
    live_sorted = nnz[order] > 0
    cls_sorted = np.cumsum(~same_prev & live_sorted) - 1
    n_cls = int(cls_sorted[-1]) + 1 if m and live_sorted.any() else 0
    cls = np.full(m, -1, dtype=np.int64)
    cls[order[live_sorted]] = cls_sorted[live_sorted]
    live = np.flatnonzero(cls >= 0)
    rep = np.full(n_cls, m, dtype=np.int64)
    np.minimum.at(rep, cls[live], live)
    # renumber the classes by their lowest column (deterministic, input order)
    renum = np.empty(n_cls, dtype=np.int64)
    renum[np.argsort(rep, kind="stable")] = np.arange(n_cls, dtype=np.int64)
    cls[live] = renum[cls[live]]
    scale = np.bincount(cls[live], weights=cmax[live], minlength=n_cls)
    is_rep = np.zeros(m, dtype=bool)
    is_rep[rep] = True
    e = is_rep[col]
    M = csr_array((u[e] * scale[cls[col[e]]], (C.indices[e], cls[col[e]])), shape=(n, n_cls))
    M.sort_indices()
    return M, cls


def reduce_core(core: Core, *, max_pairs: int = MAX_PAIRS) -> Reduced:
    """Apply the reductions 1-4 of the module docstring to a plain core problem.

    Examples
    --------
    >>> V = csr_array([[1.0, 1, 0], [1.0, 0, 0], [0, 0, 0], [0, 1.0, 1]])
    >>> core = Core(V, np.arange(4), GroupIndex(np.array([0, 0, 1, 2]), 4), 2, 0.0, np.zeros(3))
    >>> red = reduce_core(core)
    >>> red.kept.tolist(), red.core.V.shape
    ([0, 3], (2, 3))
    """
    V = csr_array(core.V)
    n = V.shape[0]
    gid = core.groups.group_ids
    alive = np.diff(V.indptr) > 0
    stats = {"rows_in": n, "empty_rows": int((~alive).sum())}
    dom_g = covered_rows(V, alive, gid, max_pairs=max_pairs) & alive
    alive &= ~dom_g
    per_group = np.bincount(gid[alive], minlength=core.groups.n_groups)
    lone = alive & (per_group[gid] == 1)
    zero = np.zeros(n, dtype=np.int64)
    dom_f = covered_rows(V, lone, zero, max_pairs=max_pairs) & alive if lone.any() else lone
    alive &= ~dom_f
    stats["dominated_in_group"] = int(dom_g.sum())
    stats["dominated_by_free_group"] = int(dom_f.sum())
    kept = np.flatnonzero(alive).astype(np.int64)
    sub = csr_array(V[kept]) if kept.size < n else V
    M, cls = merge_columns(sub)
    M.indices = M.indices.astype(np.int64, copy=False)
    M.indptr = M.indptr.astype(np.int64, copy=False)
    stats.update({"rows_out": int(kept.size), "cols_in": V.shape[1], "cols_out": M.shape[1]})
    g = None if core.groups.order is None else gid[kept]
    red = Core(
        V=M,
        rows=core.rows[kept],
        groups=GroupIndex(g, kept.size),
        budget=core.budget,
        base=core.base,
        c0=core.c0,
    )
    return Reduced(core=red, kept=kept, col_class=cls, stats=stats)
