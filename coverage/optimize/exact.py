"""The level MILP of the max objective, solved by HiGHS under a hard time limit.

Private: the public door is :func:`coverage.optimize.max_coverage`.

For a core problem (values ``V``, see ``_core``), column ``j`` with
distinct values ``v_1 < ... < v_L`` among its coverers gets one continuous
``z_jl in [0, 1]`` per level, with

    max  sum_jl (v_l - v_{l-1}) z_jl + sum_i const_i x_i
    s.t. z_jl <= sum_{i: V_ij >= v_l} x_i,
         sum_i x_i <= K,  sum_{i in g} x_i <= 1,  x binary,

(``const_i``: columns covered by a single group, folded into the row).
Before the solve, :func:`reduce_model` removes the rows that the Lagrangian
reduced costs rule out and forces the groups every better plan uses.  The
shared HiGHS machinery (rows, deadline, child process) is in ``_highs``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csr_array

from coverage._arrays import row_of_entries
from coverage.optimize import _highs
from coverage.optimize._constraints import Constraints
from coverage.optimize._core import Core, GroupIndex, gather_rows
from coverage.optimize._highs import MilpResult
from coverage.optimize.bound import Contested, LagrangeResult, split_contested

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["ISOLATE_NNZ", "ExtraRows", "MilpResult", "level_model", "reduce_model", "solve_milp"]

#: Models with at least this many matrix entries run in a child process that is
#: killed at the deadline (HiGHS may not honour interrupts in every phase).
ISOLATE_NNZ = 40_000


@dataclass
class ExtraRows:
    """Linear side constraints on x: ``lower <= M @ x <= upper``."""

    M: csr_array
    lower: FloatArray
    upper: FloatArray


def level_model(Vc: csr_array) -> tuple[FloatArray, csr_array]:
    """Level rows of the contested part: objective of each ``z`` and the ``x`` links.

    Returns ``(dz, X)`` with ``X`` of shape (n_levels, n_rows): ``z_l <= X[l] @ x``.
    """
    n = Vc.shape[0]
    if Vc.nnz == 0:
        return np.zeros(0), csr_array((0, n))
    C = Vc.tocsc()
    rows = C.indices.astype(np.int64)
    cols = row_of_entries(C.indptr)  # CSC: the column of each entry
    vals = C.data
    order = np.lexsort((vals, cols))  # by column, then value ascending
    rows, cols, vals = rows[order], cols[order], vals[order]
    new_level = np.concatenate([[True], (cols[1:] != cols[:-1]) | (vals[1:] != vals[:-1])])
    level_id = np.cumsum(new_level) - 1  # global level id of each entry
    n_levels = int(level_id[-1]) + 1
    lvl_val = vals[new_level]
    lvl_col = cols[new_level]
    first_of_col = np.concatenate([[True], lvl_col[1:] != lvl_col[:-1]])
    prev = np.concatenate([[0.0], lvl_val[:-1]])
    dz = np.where(first_of_col, lvl_val, lvl_val - prev)
    # entry at level r of its column joins levels (col_first_level .. r)
    col_first_level = np.flatnonzero(first_of_col)
    col_index_of_level = np.cumsum(first_of_col) - 1
    first_level_of_entry = col_first_level[col_index_of_level[level_id]]
    counts = level_id - first_level_of_entry + 1
    ent_rows = np.repeat(rows, counts)
    starts = np.repeat(first_level_of_entry - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    ent_lvls = starts + np.arange(int(counts.sum()), dtype=np.int64)
    X = csr_array((np.ones(ent_rows.size), (ent_lvls, ent_rows)), shape=(n_levels, n))
    return dz, X


def solve_milp(
    Vc: csr_array,
    row_const: FloatArray,
    group_ids: IntArray | None,
    budget: float,
    *,
    time_limit_s: float,
    isolate: bool | None = None,
    **options: Any,
) -> MilpResult:
    """Solve the level MILP under a hard time limit (``options``: see ``solve_here``).

    Large models (``isolate``, default: ``Vc.nnz >= ISOLATE_NNZ``) run in a
    child process (``_highs.run_isolated``) killed at the deadline; the best
    plan and bound it sent are kept.
    """
    if isolate is None:
        isolate = Vc.nnz >= ISOLATE_NNZ
    args = (Vc, row_const, group_ids, budget)
    if not isolate:
        return solve_here(*args, time_limit_s=time_limit_s, **options)
    kwargs = {"time_limit_s": float(time_limit_s), **options}
    return _highs.run_isolated(solve_here, args, kwargs, time_limit_s=time_limit_s)


def solve_here(  # noqa: PLR0913 - the model, then keyword-only solver options
    Vc: csr_array,
    row_const: FloatArray,
    group_ids: IntArray | None,
    budget: float,
    *,
    time_limit_s: float,
    warm_start: IntArray | None = None,
    gap_tol: float = 1e-4,
    extra: ExtraRows | None = None,
    budget_row: FloatArray | None = None,
    threads: int | None = None,
    node_limit: int | None = None,
    heuristic_effort: float | None = None,
    presolve: bool | None = None,
    conn: Any = None,
) -> MilpResult:
    """Solve the level MILP in this process.

    The time limit is enforced with HiGHS interrupt callbacks; with ``conn``
    (a pipe end), improving plans and dual bounds are sent as they come.
    Presolve is off when a warm start is given: HiGHS' presolve was seen to
    map a warm start of value 7777 to 7729 in its reduced space, and our
    models come reduced already.

    ``budget_row`` replaces the all-ones budget row (costs).  ``node_limit``
    caps the branch-and-bound nodes (``mip_max_nodes``): a limit counted in
    work, so the result does not depend on the machine's load.
    ``heuristic_effort`` sets HiGHS' ``mip_heuristic_effort`` (None: its
    default); ``presolve`` overrides the rule above.  Returns the best plan
    and the best proven bound.
    """
    t_start = time.perf_counter()
    n = Vc.shape[0]
    dz, X = level_model(Vc)
    h = _highs.new_highs()
    h.setOptionValue("time_limit", max(0.05, float(time_limit_s)))
    h.setOptionValue("mip_rel_gap", float(gap_tol))
    h.setOptionValue("random_seed", 0)
    if presolve is None:
        presolve = warm_start is None or warm_start.size == 0
    h.setOptionValue("presolve", "on" if presolve else "off")
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    if heuristic_effort is not None:
        h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
    rows = _level_rows(X, n, group_ids, budget, extra=extra, budget_row=budget_row)
    integer = np.arange(n + dz.size) < n
    n_row, nnz = _highs.pass_model(h, np.concatenate([row_const, dz]), rows, integer)
    watch = _highs.watch_deadline(h, t_start + float(time_limit_s), mip=True, conn=conn)
    if conn is not None:
        _highs.send_improving(h, conn, n)
    if warm_start is not None and warm_start.size:
        x0 = np.zeros(n + dz.size)
        x0[warm_start] = 1.0
        if dz.size:  # z from the warm start: min(1, X x0)
            x0[n:] = np.minimum(1.0, X @ x0[:n])
        _highs.set_start(h, x0)
    h.run()
    result = _mip_result(h, n, watch, time.perf_counter() - t_start)
    result.info.update({"n_var": n + dz.size, "n_row": n_row, "nnz": nnz})
    return result


def _level_rows(
    X: csr_array,
    n: int,
    group_ids: IntArray | None,
    budget: float,
    *,
    extra: ExtraRows | None,
    budget_row: FloatArray | None,
) -> _highs.RowBlocks:
    """Level rows ``z_l - X x <= 0``, the budget row, group rows and ``extra``."""
    L = X.shape[0]
    rows = _highs.RowBlocks(n + L)
    if L:
        rows.add(
            sparse.hstack([-X, sparse.identity(L, format="csr")]), np.full(L, -np.inf), np.zeros(L)
        )
    rows.add_budget(budget_row, n, budget)
    rows.add_groups(group_ids, n)
    if extra is not None:
        rows.add(extra.M, extra.lower, extra.upper)
    return rows


def _mip_result(h: Any, n: int, watch: dict[str, Any], seconds: float) -> MilpResult:
    import highspy

    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = watch["bound"]
    selected = np.zeros(0, dtype=np.int64)
    value = -np.inf
    if info.primal_solution_status >= 1:
        selected = _highs.solution_rows(h, n)
        value = float(info.objective_function_value)
    return MilpResult(
        selected=selected,
        value=value,
        bound=bound,
        status=h.modelStatusToString(h.getModelStatus()),
        seconds=seconds,
        optimal=h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
        info={"interrupted": watch["interrupted"], "node_count": int(info.mip_node_count)},
    )


# --------------------------------------------------------------------------- reduction


@dataclass
class Reduced:
    """The level MILP left after Lagrangian fixing, in the coordinates of ``free_rows``."""

    free_rows: IntArray  # core rows still free
    forced: IntArray  # core rows fixed to 1 (the only survivor of a forced group)
    forced_value: float  # value of the forced rows
    model: Contested  # residual values of the free rows w.r.t. the forced ones
    groups: GroupIndex
    budget: float  # count, or money with costs
    extra: ExtraRows | None
    budget_row: FloatArray | None
    warm_start: IntArray


def lagrangian_fixing(
    core: Core, lag: LagrangeResult, target: float
) -> tuple[NDArray[np.bool_], IntArray]:
    """Rows that cannot be in any plan better than ``target``, and groups that must be used.

    Returns ``(keep, must_groups)``: ``keep[i]`` False when forcing row ``i`` in
    bounds the value by <= ``target``; ``must_groups`` lists groups that every
    better plan uses (forcing them empty bounds the value by <= ``target``).
    """
    g = core.groups
    L = lag.bound
    gm = lag.group_max
    chosen = lag.chosen_groups
    is_chosen = np.zeros(g.n_groups, dtype=bool)
    is_chosen[chosen] = True
    full = chosen.size >= core.budget
    kth = float(gm[chosen].min()) if full and chosen.size else 0.0
    rest = gm[~is_chosen]
    nxt = float(rest.max()) if (full and rest.size) else 0.0
    nxt = max(nxt, 0.0)
    tol = 1e-9 * max(1.0, abs(target))
    gi = g.group_ids
    forced = np.where(is_chosen[gi], L - gm[gi] + lag.c, L + lag.c - kth)
    keep = forced >= target - tol
    # a chosen group's argmax row is never eliminated by the in-group rule
    keep[lag.group_arg[chosen]] = True
    without = L - gm[chosen] + nxt
    must = chosen[without < target - tol]
    return keep, must


def reduce_model(
    core: Core,
    cons: Constraints,
    lag: LagrangeResult | None,
    plan: IntArray,
    value: float,
) -> Reduced | None:
    """Restrict the MILP to the rows that may beat ``plan`` (value ``value``).

    Without ``lag`` (or with side constraints) nothing is fixed.  Any plan
    better than ``plan`` obeys the fixing, so the bound of the reduced model
    (plus ``forced_value``) bounds the optimum once taken with ``value``.
    """
    n = core.V.shape[0]
    keep = np.ones(n, dtype=bool)
    must = np.zeros(0, dtype=np.int64)
    if lag is not None and plan.size and cons.plain:
        keep, must = lagrangian_fixing(core, lag, value)
    gi = core.groups.group_ids
    # groups forced in with a single surviving row: fix that row to 1
    keep_rows = np.flatnonzero(keep)
    surv = np.bincount(gi[keep_rows], minlength=core.groups.n_groups)
    must_mask = np.zeros(core.groups.n_groups, dtype=bool)
    must_mask[must] = True
    forced = keep_rows[must_mask[gi[keep_rows]] & (surv[gi[keep_rows]] == 1)]
    free_rows = np.setdiff1d(keep_rows, forced)
    if core.budget - forced.size < 0:  # pragma: no cover - fixing is consistent with the budget
        return None
    level = np.zeros(core.V.shape[1])
    if forced.size:
        pos = gather_rows(core.V.indptr, forced)
        np.maximum.at(level, core.V.indices[pos], core.V.data[pos])
    sub = core.V[free_rows]
    Vs = csr_array(
        (np.maximum(sub.data - level[sub.indices], 0.0), sub.indices, sub.indptr), shape=sub.shape
    )
    Vs.eliminate_zeros()
    groups = GroupIndex(gi[free_rows] if core.groups.order is not None else None, free_rows.size)
    budget: float = core.budget - forced.size
    extra, budget_row = None, None
    if not cons.plain:
        Mx, lo, hi = cons.milp_rows()
        extra = ExtraRows(csr_array(Mx[:, free_rows]), lo, hi) if Mx.shape[0] else None
        if cons.costs is not None:
            budget_row, budget = cons.costs[free_rows], cons.max_cost
    multi_groups = np.flatnonzero(must_mask & (surv >= 2))
    if multi_groups.size:  # (plain problems only: no side rows to keep)
        extra = _must_use_rows(gi[free_rows], multi_groups)
    return Reduced(
        free_rows=free_rows,
        forced=forced,
        forced_value=float(level.sum()),
        model=split_contested(Vs, groups),
        groups=groups,
        budget=budget,
        extra=extra,
        budget_row=budget_row,
        warm_start=np.flatnonzero(np.isin(free_rows, plan)),
    )


def _must_use_rows(row_groups: IntArray, must_groups: IntArray) -> ExtraRows:
    """``sum_{i in g} x_i >= 1`` for each group of ``must_groups``."""
    sel = np.isin(row_groups, must_groups)
    _, rid = np.unique(row_groups[sel], return_inverse=True)
    M = csr_array(
        (np.ones(int(sel.sum())), (rid, np.flatnonzero(sel))),
        shape=(must_groups.size, row_groups.size),
    )
    return ExtraRows(M, np.ones(must_groups.size), np.full(must_groups.size, np.inf))
