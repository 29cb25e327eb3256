"""Redundant (k-coverage) and probabilistic objectives.

Private.  These objectives do not fold into a residual matrix like the max
objective, so they get their own (slower, simpler) greedy, swap search, bound
and MILP, on the eligible rows ``rows`` of the original matrix.

- k-coverage: the credit of point ``j`` is ``w_j`` times the k-th best quality
  among the chosen and fixed rows (0 with fewer than k coverers).  Greedy runs
  on the submodular surrogate ``w_j * (sum of the k best qualities) / k``, the
  swap search on the true objective.  Bounds: ``sum_j w_j * (k-th best
  possible quality)`` and the MILP (binary level variables) dual bound.
- probabilistic: credit ``w_j * (1 - prod(1 - q))`` is monotone submodular, so
  the lazy greedy and its online bound hold.  The MILP is exact through the
  concave form ``1 - exp(-s_j)``, ``s_j = sum_i x_i * -log(1 - q_ij)``, with
  tangent cuts added until the plan's value matches the model.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csr_array

from coverage.optimize._constraints import Constraints, Tracker
from coverage.optimize._core import gather_rows
from coverage.optimize.exact import new_highs

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: -log(1 - q) used for q = 1 (certain detection): exp(-40) ~ 4e-18.
_SURE = 40.0


@dataclass
class GenericProblem:
    """Matrix restricted to the eligible rows, plus what the fixed rows give."""

    A: csr_array  # eligible rows × all columns
    C: Any  # CSC of A
    w: FloatArray
    fixed_vals: list[FloatArray] | None  # k-coverage: per column, fixed rows' values
    fixed_A: csr_array  # fixed rows × columns
    k: int
    kind: str  # "kcov" or "prob"


def make_problem(
    A: csr_array, w: FloatArray, rows: IntArray, fixed: IntArray, k: int, kind: str
) -> GenericProblem:
    """Restrict ``A`` to ``rows`` and keep the fixed rows aside."""
    sub = csr_array(A[rows]) if rows.size else csr_array((0, A.shape[1]))
    C = sub.tocsc()
    C.sort_indices()
    fA = csr_array(A[fixed]) if fixed.size else csr_array((0, A.shape[1]))
    return GenericProblem(sub, C, w, None, fA, k, kind)


def column_credit(
    P: GenericProblem, in_s: NDArray[np.bool_], cols: IntArray, surrogate: bool = False
) -> FloatArray:
    """Credit of columns ``cols`` for the plan ``in_s`` (fixed rows included)."""
    C = P.C
    pos = gather_rows(C.indptr, cols)
    col_of = np.repeat(np.arange(cols.size), np.diff(C.indptr)[cols])
    keep = in_s[C.indices[pos]]
    vals = C.data[pos][keep]
    col_of = col_of[keep]
    if P.fixed_A.shape[0]:
        F = P.fixed_A.tocsc()
        fpos = gather_rows(F.indptr, cols)
        fcol = np.repeat(np.arange(cols.size), np.diff(F.indptr)[cols])
        vals = np.concatenate([vals, F.data[fpos]])
        col_of = np.concatenate([col_of, fcol])
    out = np.zeros(cols.size)
    if vals.size == 0:
        return out
    if P.kind == "prob":
        with np.errstate(divide="ignore"):
            logs = np.log1p(-np.minimum(vals, 1.0))
        s = np.zeros(cols.size)
        np.add.at(s, col_of, logs)
        out = 1.0 - np.exp(s)
    else:
        order = np.lexsort((-vals, col_of))
        vals, col_of = vals[order], col_of[order]
        first = np.concatenate([[True], col_of[1:] != col_of[:-1]])
        start = np.maximum.accumulate(np.where(first, np.arange(vals.size), 0))
        rank = np.arange(vals.size) - start
        if surrogate:
            topk = rank < P.k
            np.add.at(out, col_of[topk], vals[topk])
            out /= P.k
        else:
            hit = rank == P.k - 1
            out[col_of[hit]] = vals[hit]
    return out * P.w[cols]


def value(P: GenericProblem, in_s: NDArray[np.bool_]) -> float:
    """Objective of the plan (all columns)."""
    return float(column_credit(P, in_s, np.arange(P.A.shape[1], dtype=np.int64)).sum())


def initial_gains(P: GenericProblem, cur: FloatArray) -> FloatArray:
    """Gain of each row alone on top of the fixed rows (vectorized upper bounds).

    Probabilistic: exact, ``sum_j w_j * r_j * q_ij`` with ``r_j`` the fixed
    rows' miss probability.  k-coverage surrogate: ``sum_j w_j * q_ij / k``,
    an upper bound of the surrogate gain (exact without fixed rows), which the
    lazy loop refines.
    """
    A = P.A
    n = A.shape[0]
    if n == 0 or A.nnz == 0:
        return np.zeros(n)
    cols = A.indices
    if P.kind == "prob":
        miss = 1.0 - cur / np.where(P.w > 0, P.w, 1.0)
        contrib = P.w[cols] * miss[cols] * A.data
    else:
        contrib = P.w[cols] * A.data / P.k
    from coverage.optimize._core import segment_sum

    return np.maximum(segment_sum(contrib, A.indptr, n), 0.0)


def greedy(
    P: GenericProblem,
    cons: Constraints,
    *,
    deadline: float,
) -> tuple[IntArray, float]:
    """Lazy greedy (on the surrogate for k-coverage); returns plan and online bound.

    The online bound is valid for the probabilistic objective only (it is
    submodular); for k-coverage the returned bound is +inf.
    """
    n = P.A.shape[0]
    in_s = np.zeros(n, dtype=bool)
    tracker = Tracker(cons)
    surrogate = P.kind == "kcov"
    indptr, indices = P.A.indptr, P.A.indices
    cur = column_credit(P, in_s, np.arange(P.A.shape[1], dtype=np.int64), surrogate)
    base_value = float(cur.sum())

    def gain(i: int) -> float:
        cols = indices[indptr[i] : indptr[i + 1]].astype(np.int64)
        if cols.size == 0:
            return 0.0
        in_s[i] = True
        new = column_credit(P, in_s, cols, surrogate)
        in_s[i] = False
        return float(new.sum() - cur[cols].sum())

    ub = initial_gains(P, cur)
    inv_cost = None if cons.costs is None else 1.0 / cons.costs
    bound = base_value + cons.relaxed_max(ub)[0]
    key = ub if inv_cost is None else ub * inv_cost
    heap = [(-float(key[i]), i) for i in range(n) if ub[i] > 0]
    heapq.heapify(heap)
    fresh = np.full(n, -1)
    if P.kind == "prob" or P.fixed_A.shape[0] == 0:
        fresh[:] = 0  # the initial gains are exact
    t = 0
    value_now = base_value
    chosen: list[int] = []
    while heap and time.perf_counter() < deadline:
        i = heap[0][1]
        if fresh[i] == t:
            heapq.heappop(heap)
            if ub[i] <= 0:
                break
            if not tracker.can_add(i):
                continue
            tracker.add(i)
            in_s[i] = True
            cols = indices[indptr[i] : indptr[i + 1]].astype(np.int64)
            cur[cols] = column_credit(P, in_s, cols, surrogate)
            value_now += float(ub[i])
            chosen.append(i)
            ub[i] = 0.0
            t += 1
            if P.kind == "prob" and t % 16 == 0:
                bound = min(bound, value_now + cons.relaxed_max(ub)[0])
            continue
        g = gain(i)
        ub[i] = g
        fresh[i] = t
        if g <= 0:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (-(g if inv_cost is None else g * inv_cost[i]), i))
    bound = min(bound, value_now + cons.relaxed_max(ub)[0]) if P.kind == "prob" else np.inf
    plan = np.asarray(chosen, dtype=np.int64)
    if not tracker.feasible():
        plan = np.array([-1], dtype=np.int64)  # marker: infeasible
    return plan, bound


def swap_search(
    P: GenericProblem,
    cons: Constraints,
    start: IntArray,
    *,
    deadline: float,
    max_partners: int = 12,
) -> tuple[IntArray, int]:
    """First-improvement swaps (and additions) on the true objective."""
    n, m = P.A.shape
    in_s = np.zeros(n, dtype=bool)
    in_s[start] = True
    tracker = Tracker(cons, in_s)
    indptr, indices = P.A.indptr, P.A.indices
    C = P.C
    credit = column_credit(P, in_s, np.arange(m, dtype=np.int64))
    scale = max(1.0, float(credit.sum()))
    eps = 1e-10 * scale
    swaps = 0

    def cols_of(i: int) -> IntArray:
        return indices[indptr[i] : indptr[i + 1]].astype(np.int64)

    def delta(i: int, k: int) -> tuple[float, IntArray, FloatArray]:
        cols = cols_of(k) if i < 0 else np.union1d(cols_of(k), cols_of(i))
        if i >= 0:
            in_s[i] = False
        in_s[k] = True
        new = column_credit(P, in_s, cols)
        in_s[k] = False
        if i >= 0:
            in_s[i] = True
        return float(new.sum() - credit[cols].sum()), cols, new

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        sel = np.flatnonzero(in_s)
        # loss of removing each chosen row
        loss = np.empty(sel.size)
        for t, i in enumerate(sel.tolist()):
            cols = cols_of(i)
            in_s[i] = False
            loss[t] = credit[cols].sum() - column_credit(P, in_s, cols).sum()
            in_s[i] = True
        low = sel[np.argsort(loss, kind="stable")[:max_partners]]
        for k in range(n):
            if in_s[k] or time.perf_counter() > deadline:
                continue
            ck = cols_of(k)
            if ck.size == 0:
                continue
            pos = gather_rows(C.indptr, ck)
            sharing = np.unique(C.indices[pos])
            sharing = sharing[in_s[sharing]]
            # `low` was ranked before this sweep's swaps: keep only rows still chosen
            partners = [-1, *np.union1d(sharing, low[in_s[low]]).tolist()]
            best = (eps, -2, None, None)
            for i in partners:
                if not tracker.can_swap(i, k):
                    continue
                d, cols, new = delta(i, k)
                if d > best[0]:
                    best = (d, i, cols, new)
            if best[1] != -2:
                d, i, cols, new = best
                if i >= 0:
                    tracker.remove(i)
                    in_s[i] = False
                tracker.add(k)
                in_s[k] = True
                credit[cols] = new
                swaps += 1
                improved = True
    return np.flatnonzero(in_s).astype(np.int64), swaps


def trivial_bound(P: GenericProblem) -> float:
    """``sum_j w_j * (credit with every row chosen)``: valid for both objectives."""
    all_in = np.ones(P.A.shape[0], dtype=bool)
    return value(P, all_in)


def solve_milp(
    P: GenericProblem,
    cons: Constraints,
    *,
    deadline: float,
    warm: IntArray | None,
    gap_tol: float,
    max_rounds: int = 30,
) -> tuple[IntArray | None, float, bool]:
    """MILP for k-coverage (binary levels) or probabilistic (tangent cuts).

    Returns (plan or None, proven bound, optimal?).
    """
    import highspy

    n, m = P.A.shape
    C = P.C
    Fc = P.fixed_A.tocsc()
    rows_l: list[Any] = []
    lo_l: list[FloatArray] = []
    hi_l: list[FloatArray] = []
    cost: list[float] = []
    n_var = n
    integrality = [1] * n
    if P.kind == "kcov":
        # per column, levels = distinct values among eligible and fixed coverers
        r_idx, c_idx, vals_ = [], [], []
        z_cost: list[float] = []
        z_row_rhs: list[float] = []
        nz = 0
        for j in range(m):
            s, e = C.indptr[j], C.indptr[j + 1]
            rows_j = C.indices[s:e]
            v_j = C.data[s:e]
            fv = Fc.data[Fc.indptr[j] : Fc.indptr[j + 1]]
            levels = np.unique(np.concatenate([v_j, fv]))
            prev = 0.0
            for q in levels.tolist():
                elig = rows_j[v_j >= q]
                nfix = int(np.sum(fv >= q))
                if elig.size + nfix >= P.k and P.w[j] > 0:
                    # k * z <= sum x + nfix
                    zi = n + nz
                    r_idx.extend([nz] * (elig.size + 1))
                    c_idx.extend([*elig.tolist(), zi])
                    vals_.extend([-1.0] * elig.size + [float(P.k)])
                    z_row_rhs.append(float(nfix))
                    z_cost.append(P.w[j] * (q - prev))
                    nz += 1
                prev = q
        n_var = n + nz
        Z = csr_array((vals_, (r_idx, c_idx)), shape=(nz, n_var))
        rows_l.append(Z)
        lo_l.append(np.full(nz, -np.inf))
        hi_l.append(np.asarray(z_row_rhs))
        cost = [0.0] * n + z_cost
        integrality = [1] * n_var
        const = 0.0
    else:
        # s_j = sum_i x_i a_ij (+ fixed), credit z_j <= 1 - e^{-s0} + e^{-s0} (s - s0)
        with np.errstate(divide="ignore"):
            a = -np.log1p(-np.minimum(P.A.data, 1.0))
            fa = -np.log1p(-np.minimum(Fc.data, 1.0))
        a = np.minimum(a, _SURE)
        fa = np.minimum(fa, _SURE)
        Aa = csr_array((a, P.A.indices, P.A.indptr), shape=P.A.shape).tocsc()
        fs = np.zeros(m)
        np.add.at(fs, np.repeat(np.arange(m), np.diff(Fc.indptr)), fa)
        n_var = n + m
        cost = [0.0] * n + P.w.tolist()
        integrality = [1] * n + [0] * m
        const = 0.0
    # budget, groups, side constraints
    brow = np.ones(n) if cons.costs is None else cons.costs
    budget = cons.K if cons.costs is None else cons.money
    rows_l.append(csr_array(np.concatenate([brow, np.zeros(n_var - n)])[None, :]))
    lo_l.append(np.array([-np.inf]))
    hi_l.append(np.array([float(budget)]))
    gid = cons.groups.group_ids
    _, inv, cnt = np.unique(gid, return_inverse=True, return_counts=True)
    multi = np.flatnonzero(cnt[inv] >= 2)
    if multi.size:
        _, g2 = np.unique(inv[multi], return_inverse=True)
        G = csr_array((np.ones(multi.size), (g2, multi)), shape=(int(g2.max()) + 1, n_var))
        rows_l.append(G)
        lo_l.append(np.full(G.shape[0], -np.inf))
        hi_l.append(np.ones(G.shape[0]))
    Mx, lo, hi = cons.milp_rows()
    if Mx.shape[0]:
        rows_l.append(csr_array(sparse.hstack([Mx, csr_array((Mx.shape[0], n_var - n))])))
        lo_l.append(lo)
        hi_l.append(hi)

    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(gap_tol))
    h.setOptionValue("random_seed", 0)
    inf = highspy.kHighsInf
    lower = np.zeros(n_var)
    upper = np.ones(n_var)
    h.addVars(n_var, lower, upper)
    h.changeColsCost(n_var, np.arange(n_var, dtype=np.int32), np.asarray(cost, dtype=np.float64))
    h.changeColsIntegrality(
        n_var,
        np.arange(n_var, dtype=np.int32),
        np.asarray(
            [
                highspy.HighsVarType.kInteger if t else highspy.HighsVarType.kContinuous
                for t in integrality
            ]
        ),
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add_rows(M: csr_array, lo: FloatArray, hi: FloatArray) -> None:
        M = csr_array(M)
        lo = np.where(np.isfinite(lo), lo, -inf)
        hi = np.where(np.isfinite(hi), hi, inf)
        h.addRows(
            M.shape[0], lo, hi, M.nnz, M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data
        )

    for M, lo, hi in zip(rows_l, lo_l, hi_l, strict=True):
        if M.shape[0]:
            add_rows(M, lo, hi)

    def add_tangents(s0: FloatArray, cols: IntArray) -> None:
        # z_j - e^{-s0} * sum_i a_ij x_i <= 1 - e^{-s0} (1 + s0) + e^{-s0} fs_j
        slope = np.exp(-s0)
        rr, cc, vv = [], [], []
        for t, j in enumerate(cols.tolist()):
            s, e = Aa.indptr[j], Aa.indptr[j + 1]
            rr.extend([t] * (e - s + 1))
            cc.extend([*Aa.indices[s:e].tolist(), n + j])
            vv.extend([*(-slope[t] * Aa.data[s:e]).tolist(), 1.0])
        M = csr_array((vv, (rr, cc)), shape=(cols.size, n_var))
        rhs = 1.0 - slope * (1.0 + s0) + slope * fs[cols]
        add_rows(M, np.full(cols.size, -inf), rhs)

    if P.kind == "prob":
        # tangents at s = fixed only, and at s = fixed + each single coverer level
        allc = np.arange(m, dtype=np.int64)
        add_tangents(fs.copy(), allc)
        for q in (0.5, 1.0, 2.0, 4.0):
            add_tangents(fs + q, allc)
    if warm is not None and warm.size:
        x0 = np.zeros(n_var)
        x0[warm] = 1.0
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        h.setSolution(sol)
    state = {"bound": np.inf}

    def _interrupt(e: Any) -> None:
        if time.perf_counter() > deadline:
            e.interrupt()

    h.cbSimplexInterrupt += _interrupt
    h.cbIpmInterrupt += _interrupt
    h.cbMipInterrupt += _interrupt
    plan: IntArray | None = None
    bound = np.inf
    optimal = False
    for _ in range(max_rounds):
        left = deadline - time.perf_counter()
        if left <= 0.02:
            break
        h.setOptionValue("time_limit", float(left))
        h.run()
        info = h.getInfo()
        b = float(info.mip_dual_bound)
        if np.isfinite(b):
            state["bound"] = min(state["bound"], b + const)
        if info.primal_solution_status < 1:
            break
        x = np.asarray(h.getSolution().col_value)
        plan = np.flatnonzero(x[:n] > 0.5).astype(np.int64)
        is_opt = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if P.kind == "kcov":
            bound = state["bound"]
            optimal = is_opt
            break
        # probabilistic: add tangents where the model over-credits the plan
        in_s = np.zeros(n, dtype=bool)
        in_s[plan] = True
        true_credit = column_credit(P, in_s, np.arange(m, dtype=np.int64))
        model_credit = x[n:] * P.w
        over = np.flatnonzero(model_credit > true_credit + 1e-9 * max(1.0, P.w.max()))
        # the MILP dual bound of the outer approximation is a valid bound
        bound = state["bound"]
        if over.size == 0:
            optimal = is_opt
            break
        xs = np.zeros(n)
        xs[plan] = 1.0
        s_now = fs + Aa.T @ xs
        add_tangents(s_now[over], over.astype(np.int64))
        sol = highspy.HighsSolution()
        x0 = np.zeros(n_var)
        x0[plan] = 1.0
        x0[n:] = np.minimum(1.0, true_credit / np.where(P.w > 0, P.w, 1.0))
        sol.col_value = x0.tolist()
        h.setSolution(sol)
    return plan, bound, optimal
