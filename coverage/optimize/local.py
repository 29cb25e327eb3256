"""Swap local search for quality-valued max coverage on a core problem.

Private: the public door is :func:`coverage.optimize.max_coverage`.

State per column: the best and second-best value among the chosen rows and the
row giving the best (its *owner*).  Removing row ``i`` loses
``loss_i = sum_{j owned by i} (best_j - second_j)``; swapping ``i`` out and
``k`` in changes the value by

    gain(k | S) - loss_i + sum_{j owned by i} [(V_kj - second_j)^+ - (V_kj - best_j)^+],

computed exactly from row ``k`` alone.  Only improving swaps are applied, so
the result is never worse than the start.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.optimize._core import GroupIndex, gather_rows, segment_sum

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class _Top2:
    """Best / second-best value per column among the chosen rows."""

    def __init__(self, V: csr_array, in_s: NDArray[np.bool_]) -> None:
        self.V = V
        self.C = V.tocsc()
        self.C.sort_indices()
        n, m = V.shape
        self.in_s = in_s
        self.best = np.zeros(m)
        self.second = np.zeros(m)
        self.owner = np.full(m, -1, dtype=np.int64)
        self.loss = np.zeros(n)
        self.refresh(np.arange(m, dtype=np.int64))

    def refresh(self, cols: IntArray) -> None:
        """Recompute best/second/owner (and the owners' losses) on ``cols``."""
        if cols.size == 0:
            return
        old_owner = self.owner[cols]
        old_diff = self.best[cols] - self.second[cols]
        has = old_owner >= 0
        np.subtract.at(self.loss, old_owner[has], old_diff[has])
        C = self.C
        pos = gather_rows(C.indptr, cols)
        col_of = np.repeat(cols, np.diff(C.indptr)[cols])
        rows = C.indices[pos].astype(np.int64)
        keep = self.in_s[rows]
        rows, col_of, vals = rows[keep], col_of[keep], C.data[pos][keep]
        self.best[cols] = 0.0
        self.second[cols] = 0.0
        self.owner[cols] = -1
        if rows.size:
            order = np.lexsort((rows, -vals, col_of))
            rows, col_of, vals = rows[order], col_of[order], vals[order]
            first = np.concatenate([[True], col_of[1:] != col_of[:-1]])
            fi = np.flatnonzero(first)
            self.best[col_of[fi]] = vals[fi]
            self.owner[col_of[fi]] = rows[fi]
            nxt = fi + 1
            ok = nxt < rows.size
            ok[ok] &= ~first[nxt[ok]]
            self.second[col_of[fi[ok]]] = vals[nxt[ok]]
        new_owner = self.owner[cols]
        has = new_owner >= 0
        np.add.at(self.loss, new_owner[has], self.best[cols][has] - self.second[cols][has])


def swap_search(  # noqa: PLR0913 - the problem, then keyword-only options
    V: csr_array,
    groups: GroupIndex,
    budget: int,
    start: IntArray,
    *,
    deadline: float,
    tracker: Any = None,
    max_passes: int = 200,
    n_low: int = 4,
) -> tuple[IntArray, int]:
    """Improve ``start`` by batches of independent improving swaps.

    Each pass evaluates, vectorized, every pair (row ``k`` out of the plan,
    partner ``i`` in it) where ``i`` owns a column of ``k``, or is among the
    ``n_low`` rows of least loss, or is ``k``'s group mate; then applies the
    best improving swaps whose columns do not overlap (so each delta stays
    exact).  Returns the selection (core row ids) and the number of swaps.
    ``tracker`` (a ``_constraints.Tracker`` on the start plan) may
    veto a move with ``can_swap(i, k)`` (``i = -1``: pure addition) and is
    told of each applied move.
    """
    if tracker is not None:
        n_low = max(n_low, 8)
    plan = _Plan(V, groups, np.asarray(start, dtype=np.int64))
    eps = 1e-10 * max(1.0, float(plan.top.best.sum()))
    swaps = 0
    for _ in range(max_passes):
        if time.perf_counter() > deadline:
            break
        moves = _improving_moves(plan, budget, n_low, eps)
        if moves is None:
            break
        changed = _apply_moves(plan, moves, budget, tracker)
        if not changed:
            break
        swaps += len(changed) // 2
        plan.top.refresh(np.unique(np.concatenate(changed)).astype(np.int64))
    return np.asarray(plan.order_kept, dtype=np.int64), swaps


class _Plan:
    """The plan under search: membership, its top-2 levels, group owners, choice order."""

    def __init__(self, V: csr_array, groups: GroupIndex, start: IntArray) -> None:
        n = V.shape[0]
        self.V = V
        self.groups = groups
        self.in_s = np.zeros(n, dtype=bool)
        self.in_s[start] = True
        self.top = _Top2(V, self.in_s)
        self.gid = groups.group_ids
        self.group_owner = np.full(max(groups.n_groups, 1), -1, dtype=np.int64)
        self.group_owner[self.gid[start]] = start
        self.n_sel = int(start.size)
        self.order_kept = list(start.tolist())

    def swap(self, i: int, k: int) -> None:
        """Row ``k`` in, row ``i`` out (``i = -1``: a pure addition)."""
        if i >= 0:
            self.in_s[i] = False
            self.group_owner[self.gid[i]] = -1
            self.order_kept.remove(i)
        else:
            self.n_sel += 1
        self.in_s[k] = True
        self.group_owner[self.gid[k]] = k
        self.order_kept.append(k)


def _improving_moves(
    plan: _Plan, budget: int, n_low: int, eps: float
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """Every improving move ``(k in, i out, delta)``, best first; None when there is none."""
    V, top, in_s, gid = plan.V, plan.top, plan.in_s, plan.gid
    n = V.shape[0]
    indptr, indices, data = V.indptr, V.indices, V.data
    sel_arr = np.flatnonzero(in_s)
    g1 = segment_sum(np.maximum(data - top.best[indices], 0.0), indptr, n)
    g2 = segment_sum(np.maximum(data - top.second[indices], 0.0), indptr, n)
    if sel_arr.size:
        nl = min(n_low, sel_arr.size)
        low = sel_arr[np.argpartition(top.loss[sel_arr], nl - 1)[:nl]]
        minloss = float(top.loss[low].min())
    else:
        low = np.zeros(0, dtype=np.int64)
        minloss = 0.0
    full = plan.n_sel >= budget
    cand = np.flatnonzero(~in_s & (g2 > (minloss if full else 0.0) + eps))
    if cand.size == 0:
        return None
    mate = plan.group_owner[gid[cand]]
    # pairs via owned columns
    pos = gather_rows(indptr, cand)
    k_e = np.repeat(cand, np.diff(indptr)[cand])
    j_e = indices[pos]
    v_e = data[pos]
    o_e = top.owner[j_e]
    term = np.maximum(v_e - top.second[j_e], 0.0) - np.maximum(v_e - top.best[j_e], 0.0)
    keep = (o_e >= 0) & (term > 0)
    k_e, o_e, term = k_e[keep], o_e[keep], term[keep]
    # add pairs with the low-loss rows and group mates (corr 0 unless also owners)
    k_extra = [np.repeat(cand[mate < 0], low.size), cand[mate >= 0]]
    o_extra = [np.tile(low, int((mate < 0).sum())), mate[mate >= 0]]
    k_all = np.concatenate([k_e, *k_extra])
    o_all = np.concatenate([o_e, *o_extra])
    t_all = np.concatenate([term, np.zeros(sum(x.size for x in k_extra))])
    uk, inv = np.unique(k_all * n + o_all, return_inverse=True)
    corr = np.bincount(inv, weights=t_all)
    pk = uk // n
    po = uk % n
    delta = g1[pk] - top.loss[po] + corr
    # a row whose group is taken may only replace its group mate
    pm = plan.group_owner[gid[pk]]
    ok = (pm < 0) | (pm == po)
    pk, po, delta = pk[ok], po[ok], delta[ok]
    if not full:
        adds = cand[mate < 0]
        pk = np.concatenate([pk, adds])
        po = np.concatenate([po, np.full(adds.size, -1, dtype=np.int64)])
        delta = np.concatenate([delta, g1[adds]])
    good = delta > eps
    if not good.any():
        return None
    pk, po, delta = pk[good], po[good], delta[good]
    order = np.lexsort((po, pk, -delta))
    return pk[order], po[order], delta[order]


def _apply_moves(
    plan: _Plan, moves: tuple[IntArray, IntArray, FloatArray], budget: int, tracker: Any
) -> list[IntArray]:
    """Apply the moves, best first, whose rows, groups and columns are untouched so far.

    Returns the columns of the rows moved in and out (two arrays per move).
    """
    V, gid = plan.V, plan.gid
    indptr, indices = V.indptr, V.indices
    touched = np.zeros(V.shape[1], dtype=bool)
    used_row = np.zeros(V.shape[0], dtype=bool)
    used_group = np.zeros(max(plan.groups.n_groups, 1), dtype=bool)
    changed: list[IntArray] = []
    for k, i in zip(moves[0].tolist(), moves[1].tolist(), strict=True):
        if used_row[k] or (i >= 0 and used_row[i]) or used_group[gid[k]]:
            continue
        if i < 0 and plan.n_sel >= budget:
            continue
        ck = indices[indptr[k] : indptr[k + 1]]
        ci = indices[indptr[i] : indptr[i + 1]] if i >= 0 else ck[:0]
        if touched[ck].any() or touched[ci].any():
            continue
        if tracker is not None:
            if not tracker.can_swap(i, k):
                continue
            if i >= 0:
                tracker.remove(i)
            tracker.add(k)
        touched[ck] = True
        touched[ci] = True
        used_row[k] = True
        used_group[gid[k]] = True
        if i >= 0:
            used_row[i] = True
            used_group[gid[i]] = True
        plan.swap(i, k)
        changed.append(ck)
        changed.append(ci)
    return changed
