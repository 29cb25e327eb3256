"""Redundant (k-coverage) and probabilistic objectives.

Private.  These objectives do not fold into a residual matrix like the max
objective, so their gains, swap deltas and MILP levels are computed from the
column credit on the eligible rows of the original matrix (slower, simpler).
What is the same is shared: the CELF queue (``greedy.LazyHeap``), the side
constraints (``_constraints``) and the HiGHS machinery (``_highs``).  The
orchestration is ``_solve_generic``.

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

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage._arrays import repeat_index, row_of_entries
from coverage.optimize import _highs
from coverage.optimize._constraints import Constraints, Tracker
from coverage.optimize._core import gather_rows, segment_sum
from coverage.optimize._highs import MilpResult
from coverage.optimize.greedy import LazyHeap

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
    return GenericProblem(sub, C, w, fA, k, kind)


def column_credit(
    P: GenericProblem, in_s: NDArray[np.bool_], cols: IntArray, surrogate: bool = False
) -> FloatArray:
    """Credit of columns ``cols`` for the plan ``in_s`` (fixed rows included)."""
    C = P.C
    pos = gather_rows(C.indptr, cols)
    col_of = repeat_index(np.diff(C.indptr)[cols])
    keep = in_s[C.indices[pos]]
    vals = C.data[pos][keep]
    col_of = col_of[keep]
    if P.fixed_A.shape[0]:
        F = P.fixed_A.tocsc()
        fpos = gather_rows(F.indptr, cols)
        fcol = repeat_index(np.diff(F.indptr)[cols])
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
    return np.maximum(segment_sum(contrib, A.indptr, n), 0.0)


def greedy(
    P: GenericProblem,
    cons: Constraints,
    *,
    deadline: float,
) -> tuple[IntArray | None, float]:
    """Lazy greedy (on the surrogate for k-coverage); returns plan and online bound.

    The CELF queue is the max objective's (``greedy.LazyHeap``); gains come
    from the column credit.  The plan is None when it misses a side
    constraint (quota minima).  The online bound is valid for the
    probabilistic objective only (it is submodular); for k-coverage the
    returned bound is +inf.
    """
    n = P.A.shape[0]
    in_s = np.zeros(n, dtype=bool)
    tracker = Tracker(cons)
    surrogate = P.kind == "kcov"
    indptr, indices = P.A.indptr, P.A.indices
    cur = column_credit(P, in_s, np.arange(P.A.shape[1], dtype=np.int64), surrogate)
    value_now = float(cur.sum())

    def gain(i: int) -> float:
        cols = indices[indptr[i] : indptr[i + 1]].astype(np.int64)
        if cols.size == 0:
            return 0.0
        in_s[i] = True
        new = column_credit(P, in_s, cols, surrogate)
        in_s[i] = False
        return float(new.sum() - cur[cols].sum())

    ub = initial_gains(P, cur)
    bound = value_now + cons.relaxed_max(ub)[0]
    inv_cost = None if cons.costs is None else 1.0 / cons.costs
    # the initial gains are exact unless k-coverage has fixed rows (then upper bounds)
    exact = P.kind == "prob" or P.fixed_A.shape[0] == 0
    queue = LazyHeap(ub, np.flatnonzero(ub > 0), inv_cost, fresh=exact)
    chosen: list[int] = []
    while queue.heap:
        i = queue.next_fresh(len(chosen), gain, deadline=deadline)
        if i < 0:
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
        if P.kind == "prob" and len(chosen) % 16 == 0:
            bound = min(bound, value_now + cons.relaxed_max(ub)[0])
    bound = min(bound, value_now + cons.relaxed_max(ub)[0]) if P.kind == "prob" else np.inf
    if not tracker.feasible():
        return None, bound
    return np.asarray(chosen, dtype=np.int64), bound


def swap_search(
    P: GenericProblem,
    cons: Constraints,
    start: IntArray,
    *,
    deadline: float,
    max_partners: int = 12,
) -> tuple[IntArray, int]:
    """First-improvement swaps (and additions) on the true objective.

    Sweeps the rows out of the plan; each may replace (or join, partner -1)
    the chosen rows sharing a column with it or among the ``max_partners``
    of least loss (ranked at the start of the sweep), taking the best
    improving partner.  Sweeps repeat until one changes nothing.
    """
    search = _SwapSearch(P, cons, start)
    swaps = 0
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        low = search.low_loss_rows(max_partners)
        for k in range(P.A.shape[0]):
            if search.in_s[k] or time.perf_counter() > deadline:
                continue
            if search.try_row(k, low):
                swaps += 1
                improved = True
    return np.flatnonzero(search.in_s).astype(np.int64), swaps


class _SwapSearch:
    """The plan under swap search, its per-column credit and its side constraints."""

    def __init__(self, P: GenericProblem, cons: Constraints, start: IntArray) -> None:
        n, m = P.A.shape
        self.P = P
        self.in_s = np.zeros(n, dtype=bool)
        self.in_s[start] = True
        self.tracker = Tracker(cons, self.in_s)
        self.credit = column_credit(P, self.in_s, np.arange(m, dtype=np.int64))
        self.eps = 1e-10 * max(1.0, float(self.credit.sum()))

    def cols_of(self, i: int) -> IntArray:
        A = self.P.A
        return np.asarray(A.indices[A.indptr[i] : A.indptr[i + 1]], dtype=np.int64)

    def low_loss_rows(self, count: int) -> IntArray:
        """Return the ``count`` chosen rows whose removal loses least."""
        in_s, sel = self.in_s, np.flatnonzero(self.in_s)
        loss = np.empty(sel.size)
        for t, i in enumerate(sel.tolist()):
            cols = self.cols_of(i)
            in_s[i] = False
            loss[t] = self.credit[cols].sum() - column_credit(self.P, in_s, cols).sum()
            in_s[i] = True
        return sel[np.argsort(loss, kind="stable")[:count]]

    def delta(self, i: int, k: int) -> tuple[float, IntArray, FloatArray]:
        """Change of value when ``k`` replaces ``i`` (-1: joins), its columns and new credit."""
        in_s = self.in_s
        cols = self.cols_of(k) if i < 0 else np.union1d(self.cols_of(k), self.cols_of(i))
        if i >= 0:
            in_s[i] = False
        in_s[k] = True
        new = column_credit(self.P, in_s, cols)
        in_s[k] = False
        if i >= 0:
            in_s[i] = True
        return float(new.sum() - self.credit[cols].sum()), cols, new

    def try_row(self, k: int, low: IntArray) -> bool:
        """Apply the best improving move bringing row ``k`` in; False when there is none."""
        in_s = self.in_s
        ck = self.cols_of(k)
        if ck.size == 0:
            return False
        C = self.P.C
        sharing = np.unique(C.indices[gather_rows(C.indptr, ck)])
        sharing = sharing[in_s[sharing]]
        # `low` was ranked before this sweep's swaps: keep only rows still chosen
        partners = [-1, *np.union1d(sharing, low[in_s[low]]).tolist()]
        best_d, best = self.eps, None
        for i in partners:
            if not self.tracker.can_swap(i, k):
                continue
            d, cols, new = self.delta(i, k)
            if d > best_d:
                best_d, best = d, (i, cols, new)
        if best is None:
            return False
        i, cols, new = best
        if i >= 0:
            self.tracker.remove(i)
            in_s[i] = False
        self.tracker.add(k)
        in_s[k] = True
        self.credit[cols] = new
        return True


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
) -> MilpResult:
    """MILP for k-coverage (binary levels) or probabilistic (tangent cuts).

    Returns the last plan (``value`` -inf when there is none), the proven
    bound (+inf without a plan) and whether HiGHS proved it optimal.
    """
    n = P.A.shape[0]
    t_start = time.perf_counter()
    if P.kind == "kcov":
        Z, rhs, z_cost = _kcov_levels(P)
        cost = np.concatenate([np.zeros(n), z_cost])
        integer = np.ones(cost.size, dtype=bool)
        tangents = None
    else:
        tangents = _Tangents(P)
        cost = np.concatenate([np.zeros(n), P.w])
        integer = np.arange(cost.size) < n
    rows = _highs.RowBlocks(cost.size)
    if P.kind == "kcov":
        rows.add(Z, np.full(rhs.size, -np.inf), rhs)
    rows.add_budget(cons.costs, n, cons.max_count if cons.costs is None else cons.max_cost)
    rows.add_groups(cons.groups.group_ids, n)
    rows.add(*cons.milp_rows())
    h = _highs.new_highs()
    h.setOptionValue("mip_rel_gap", float(gap_tol))
    h.setOptionValue("random_seed", 0)
    _highs.pass_model(h, cost, rows, integer)
    if tangents is not None:
        tangents.add_initial(h)
    if warm is not None and warm.size:
        x0 = np.zeros(cost.size)
        x0[warm] = 1.0
        _highs.set_start(h, x0)
    _highs.watch_deadline(h, deadline, mip=True)
    return _solve_rounds(h, P, tangents, deadline=deadline, max_rounds=max_rounds, t_start=t_start)


def _solve_rounds(
    h: Any,
    P: GenericProblem,
    tangents: _Tangents | None,
    *,
    deadline: float,
    max_rounds: int,
    t_start: float,
) -> MilpResult:
    """Run HiGHS; for probabilistic credit, add tangents and re-run until the model is tight."""
    import highspy

    n = P.A.shape[0]
    plan: IntArray | None = None
    value = -np.inf
    dual = bound = np.inf
    optimal = False
    for _ in range(max_rounds):
        left = deadline - time.perf_counter()
        if left <= 0.02:
            break
        h.setOptionValue("time_limit", float(left))
        h.run()
        info = h.getInfo()
        if np.isfinite(float(info.mip_dual_bound)):
            dual = min(dual, float(info.mip_dual_bound))
        if info.primal_solution_status < 1:
            break
        plan = _highs.solution_rows(h, n)
        value = float(info.objective_function_value)
        # the MILP dual bound of the outer approximation is a valid bound
        bound = dual
        is_opt = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if tangents is None or tangents.refine(h, plan, np.asarray(h.getSolution().col_value)):
            optimal = is_opt
            break
    return MilpResult(
        selected=np.zeros(0, dtype=np.int64) if plan is None else plan,
        value=value,
        bound=bound,
        status=h.modelStatusToString(h.getModelStatus()),
        seconds=time.perf_counter() - t_start,
        optimal=optimal,
    )


def _kcov_levels(P: GenericProblem) -> tuple[csr_array, FloatArray, FloatArray]:
    """Binary level variables of k-coverage: rows ``k z - sum x <= n_fixed`` and their values.

    Per column, the levels are the distinct values among its eligible and
    fixed coverers; a level earns ``w_j (q - q_prev)`` when at least k rows
    reach it (only levels that enough rows can reach get a variable).
    """
    n, m = P.A.shape
    C = P.C
    Fc = P.fixed_A.tocsc()
    r_idx: list[int] = []
    c_idx: list[int] = []
    vals: list[float] = []
    z_cost: list[float] = []
    rhs: list[float] = []
    for j in range(m):
        rows_j = C.indices[C.indptr[j] : C.indptr[j + 1]]
        v_j = C.data[C.indptr[j] : C.indptr[j + 1]]
        fv = Fc.data[Fc.indptr[j] : Fc.indptr[j + 1]]
        prev = 0.0
        for q in np.unique(np.concatenate([v_j, fv])).tolist():
            elig = rows_j[v_j >= q]
            nfix = int(np.sum(fv >= q))
            if elig.size + nfix >= P.k and P.w[j] > 0:
                nz = len(rhs)
                r_idx.extend([nz] * (elig.size + 1))
                c_idx.extend([*elig.tolist(), n + nz])
                vals.extend([-1.0] * elig.size + [float(P.k)])
                rhs.append(float(nfix))
                z_cost.append(P.w[j] * (q - prev))
            prev = q
    nz = len(rhs)
    Z = csr_array((vals, (r_idx, c_idx)), shape=(nz, n + nz))
    return Z, np.asarray(rhs, dtype=np.float64), np.asarray(z_cost, dtype=np.float64)


class _Tangents:
    """Tangent cuts of probabilistic credit: ``z_j <= 1 - exp(-s_j)``, ``s_j = fs_j + a_j @ x``.

    ``a_ij = -log(1 - q_ij)`` (capped at ``_SURE``), ``fs_j`` the same sum over the
    fixed rows; the tangent at ``s0`` is ``z_j <= 1 - e^{-s0} + e^{-s0} (s_j - s0)``.
    """

    def __init__(self, P: GenericProblem) -> None:
        m = P.A.shape[1]
        Fc = P.fixed_A.tocsc()
        with np.errstate(divide="ignore"):
            a = -np.log1p(-np.minimum(P.A.data, 1.0))
            fa = -np.log1p(-np.minimum(Fc.data, 1.0))
        a = np.minimum(a, _SURE)
        fa = np.minimum(fa, _SURE)
        self.P = P
        self.Aa = csr_array((a, P.A.indices, P.A.indptr), shape=P.A.shape).tocsc()
        self.fs = np.zeros(m)
        np.add.at(self.fs, row_of_entries(Fc.indptr), fa)

    def add(self, h: Any, s0: FloatArray, cols: IntArray) -> None:
        """Tangents at ``s0`` for the columns ``cols``."""
        # z_j - e^{-s0} * sum_i a_ij x_i <= 1 - e^{-s0} (1 + s0) + e^{-s0} fs_j
        n = self.P.A.shape[0]
        Aa = self.Aa
        slope = np.exp(-s0)
        rr: list[int] = []
        cc: list[int] = []
        vv: list[float] = []
        for t, j in enumerate(cols.tolist()):
            s, e = Aa.indptr[j], Aa.indptr[j + 1]
            rr.extend([t] * (e - s + 1))
            cc.extend([*Aa.indices[s:e].tolist(), n + j])
            vv.extend([*(-slope[t] * Aa.data[s:e]).tolist(), 1.0])
        M = csr_array((vv, (rr, cc)), shape=(cols.size, n + self.fs.size))
        rhs = 1.0 - slope * (1.0 + s0) + slope * self.fs[cols]
        _highs.add_rows(h, M, np.full(cols.size, -np.inf), rhs)

    def add_initial(self, h: Any) -> None:
        """Tangents at ``s = fs`` (fixed rows only) and a few steps above it."""
        allc = np.arange(self.fs.size, dtype=np.int64)
        self.add(h, self.fs.copy(), allc)
        for q in (0.5, 1.0, 2.0, 4.0):
            self.add(h, self.fs + q, allc)

    def refine(self, h: Any, plan: IntArray, x: FloatArray) -> bool:
        """Tell whether the model credits ``plan`` exactly; else cut where it over-credits.

        The plan (with its true credit) is offered back as the next start.
        """
        P = self.P
        n, m = P.A.shape
        in_s = np.zeros(n, dtype=bool)
        in_s[plan] = True
        true_credit = column_credit(P, in_s, np.arange(m, dtype=np.int64))
        model_credit = x[n:] * P.w
        over = np.flatnonzero(model_credit > true_credit + 1e-9 * max(1.0, P.w.max()))
        if over.size == 0:
            return True
        s_now = self.fs + self.Aa.T @ in_s.astype(np.float64)
        self.add(h, s_now[over], over.astype(np.int64))
        x0 = np.zeros(n + m)
        x0[plan] = 1.0
        x0[n:] = np.minimum(1.0, true_credit / np.where(P.w > 0, P.w, 1.0))
        _highs.set_start(h, x0)
        return False
