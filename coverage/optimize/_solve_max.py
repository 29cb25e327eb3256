"""The stages of :func:`coverage.optimize.max_coverage` for the max-quality objective.

Private.  Works on a core problem (see ``_core``) and keeps, at every
moment, the best plan found and the best proven bound, both in core units
(the fixed rows' value ``core.base`` is added by the caller).

Stages: lazy greedy (+ online bound) → swap local search → Lagrangian bound by
subgradient → Lagrangian variable fixing → HiGHS MILP on the reduced model
(warm-started, interrupted at the deadline).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.optimize.bound import (
    Contested,
    LagrangeResult,
    evaluate,
    split_contested,
    subgradient,
)
from coverage.optimize._constraints import Constraints, Tracker
from coverage.optimize._core import Core, GroupIndex, core_value, gather_rows
from coverage.optimize.exact import ISOLATE_NNZ, ExtraRows, solve_milp
from coverage.optimize.greedy import lazy_greedy
from coverage.optimize.local import swap_search

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ProgressFn = Callable[[str, int, int, float, float], None]


@dataclass
class RunState:
    """Best plan and bound so far (core units), with their history."""

    t0: float
    deadline: float
    progress: ProgressFn | None
    plan: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    value: float = 0.0
    bound: float = np.inf
    bound_method: str = ""
    method: str = ""
    trace: list[tuple[float, float, float, str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def offer_plan(self, plan: IntArray, value: float, stage: str) -> None:
        if not self.method or value > self.value + 1e-12 * max(1.0, abs(self.value)):
            self.plan = np.asarray(plan, dtype=np.int64)
            self.value = value
            self.method = stage
        self._log(stage)

    def offer_bound(self, bound: float, stage: str) -> None:
        if bound < self.bound:
            self.bound = bound
            self.bound_method = stage
        self._log(stage)

    def _log(self, stage: str) -> None:
        self.trace.append((time.perf_counter() - self.t0, self.value, self.bound, stage))

    def gap(self) -> float:
        if not np.isfinite(self.bound) or self.bound <= 0:
            return 0.0 if self.bound <= 0 else 1.0
        return max(0.0, (self.bound - self.value) / self.bound)

    def left(self) -> float:
        return self.deadline - time.perf_counter()


def run_greedy(core: Core, state: RunState, con: Constraints) -> None:
    """Lazy greedy on the core with its online bound (ratio greedy too with costs)."""
    V = core.V
    w = np.ones(V.shape[1])
    colmax = np.zeros(V.shape[1])
    if V.nnz:
        np.maximum.at(colmax, V.indices, V.data)
    variants = [None] if con.costs is None else [con.costs, None]
    for costs in variants:
        tracker = None if con.plain else Tracker(con)
        res = lazy_greedy(
            V,
            w,
            budget=core.budget,
            fixed=np.zeros(0, dtype=np.int64),
            group_ids=core.groups.group_ids if core.groups.order is not None else None,
            n_groups=core.groups.n_groups,
            total_bound=float(colmax.sum()),
            t0=state.t0,
            progress=state.progress,
            can_add=None if tracker is None else tracker.can_add,
            on_add=None if tracker is None else tracker.add,
            costs=costs,
            bound_fn=None if con.plain else (lambda u: con.relaxed_max(u)[0]),
        )
        state.info["greedy_evaluations"] = state.info.get("greedy_evaluations", 0) + res.evaluations
        if tracker is None or tracker.feasible():
            state.offer_plan(res.selected, res.value, "greedy")
            state.info["greedy_prefix"] = res.selected[: res.best_step]
            state.info["greedy_plan"] = (res.selected, res.gains)
        state.offer_bound(res.bound, "online")


def run_local(core: Core, state: RunState, con: Constraints, *, time_share: float = 1.0) -> None:
    """Swap local search from the current plan."""
    if not state.method or state.left() <= 0:
        return
    deadline = time.perf_counter() + max(0.0, state.left() * time_share)
    tracker = None
    if not con.plain:
        in_s = np.zeros(core.V.shape[0], dtype=bool)
        in_s[state.plan] = True
        tracker = Tracker(con, in_s)
    plan, swaps = swap_search(
        core.V, core.groups, con.K, state.plan, deadline=deadline, tracker=tracker
    )
    state.info["swaps"] = state.info.get("swaps", 0) + swaps
    if swaps:
        state.offer_plan(plan, core_value(core.V, plan), "local")
    if state.progress is not None:
        state.progress("local", swaps, swaps, state.value, state.bound)


def run_perturb(
    core: Core,
    state: RunState,
    rng: np.random.Generator,
    *,
    time_share: float,
    n_drop: int = 0,
    max_stale: int = 30,
) -> None:
    """Iterated local search: drop a few rows at random, refill greedily, swap; keep if better.

    Plain problems only (no side constraints).  Deterministic for a given ``rng``.
    """
    if not state.method or state.plan.size < 2 or state.left() <= 0:
        return
    deadline = time.perf_counter() + max(0.0, state.left() * time_share)
    V = core.V
    w = np.ones(V.shape[1])
    gids = core.groups.group_ids if core.groups.order is not None else None
    plan, value = state.plan.copy(), state.value
    n_drop = n_drop or max(2, min(50, plan.size // 20))
    rounds = accepted = stale = 0
    while time.perf_counter() < deadline and stale < max_stale:
        rounds += 1
        stale += 1
        drop = rng.choice(plan.size, size=min(n_drop, plan.size - 1), replace=False)
        keep = np.delete(plan, drop)
        res = lazy_greedy(
            V,
            w,
            budget=core.budget - keep.size,
            fixed=keep,
            group_ids=gids,
            n_groups=core.groups.n_groups,
            total_bound=np.inf,
            t0=state.t0,
            n_checkpoints=1,
        )
        cand = np.concatenate([keep, res.selected])
        cand, _ = swap_search(V, core.groups, core.budget, cand, deadline=deadline)
        v = core_value(V, cand)
        if v > value + 1e-12 * max(1.0, abs(value)):
            plan, value = cand, v
            accepted += 1
            stale = 0
            state.offer_plan(plan, value, "local")
    state.info["perturb_rounds"] = state.info.get("perturb_rounds", 0) + rounds
    state.info["perturb_accepted"] = state.info.get("perturb_accepted", 0) + accepted


def run_lagrangian(
    core: Core,
    con: Contested,
    state: RunState,
    cons: Constraints,
    *,
    gap_tol: float,
    time_share: float = 1.0,
    lam_start: FloatArray | None = None,
) -> LagrangeResult:
    """Subgradient on the Lagrangian dual, started at the plan's cover levels."""
    # start at the cover levels of the plan or of the greedy prefix with the best online bound
    starts = [state.plan, state.info.get("greedy_prefix", state.plan)]
    if lam_start is not None:
        starts = []
    lam0 = np.zeros(con.cols.size)
    best_l = np.inf
    for plan in starts:
        lam = np.zeros(con.cols.size)
        if plan.size:
            pos = gather_rows(con.V.indptr, plan)
            np.maximum.at(lam, con.V.indices[pos], con.V.data[pos])
        val = evaluate(
            con, core.groups, core.budget, lam, None if cons.plain else cons.relaxed_max
        )[0]
        if val < best_l:
            best_l, lam0 = val, lam
    if lam_start is not None:
        lam0 = lam_start
    deadline = time.perf_counter() + max(0.0, state.left() * time_share)

    def _cb(it: int, b: float) -> None:
        if state.progress is not None and it % 10 == 0:
            state.progress("bound", it, 0, state.value, min(b, state.bound))

    res = subgradient(
        con,
        core.groups,
        core.budget,
        lam0,
        target=state.value,
        gap_tol=gap_tol,
        deadline=deadline,
        t0=state.t0,
        on_bound=_cb,
        relax=None if cons.plain else cons.relaxed_max,
    )
    state.info["lagrangian_iterations"] = (
        state.info.get("lagrangian_iterations", 0) + res.iterations
    )
    state.offer_bound(res.bound, "lagrangian")
    if cons.plain and state.gap() > gap_tol and state.left() > 0.1:
        lagrangian_heuristic(core, res, state, cons)
    return res


def lagrangian_heuristic(
    core: Core, lag: LagrangeResult, state: RunState, cons: Constraints
) -> None:
    """The inner solution at the best multipliers is a plan: polish it by swaps."""
    rows = lag.group_arg[lag.chosen_groups]
    if rows.size == 0:
        return
    value = core_value(core.V, rows)
    deadline = time.perf_counter() + max(0.0, state.left() * 0.3)
    plan, swaps = swap_search(core.V, core.groups, cons.K, rows, deadline=deadline)
    if swaps:
        value = core_value(core.V, plan)
    state.info["lagrangian_plan_value"] = value
    state.offer_plan(plan, value, "lagrangian")


def lagrangian_fixing(
    core: Core, lag: LagrangeResult, target: float
) -> tuple[NDArray[np.bool_], IntArray]:
    """Rows that cannot be in any plan better than ``target``, and groups that must be used.

    Returns ``(keep, must_groups)``: ``keep[i]`` False when forcing row ``i`` in
    bounds the value by <= ``target``; ``must_groups`` lists groups that every
    better plan uses (forcing them empty bounds the value by <= ``target``).
    """
    g = core.groups
    K = core.budget
    L = lag.bound
    gm = lag.group_max
    chosen = lag.chosen_groups
    is_chosen = np.zeros(g.n_groups, dtype=bool)
    is_chosen[chosen] = True
    full = chosen.size >= K
    kth = float(gm[chosen].min()) if full and chosen.size else 0.0
    rest = gm[~is_chosen]
    nxt = float(rest.max()) if (full and rest.size) else 0.0
    nxt = max(nxt, 0.0)
    tol = 1e-9 * max(1.0, abs(target))
    gi = g.group_ids
    c = lag.c
    forced = np.where(is_chosen[gi], L - gm[gi] + c, L + c - kth)
    keep = forced >= target - tol
    # a chosen group's argmax row is never eliminated by the in-group rule
    keep[lag.group_arg[chosen]] = True
    without = L - gm[chosen] + nxt
    must = chosen[without < target - tol]
    return keep, must


def run_exact(
    core: Core,
    con: Contested,
    state: RunState,
    cons: Constraints,
    *,
    lag: LagrangeResult | None,
    gap_tol: float,
    threads: int | None = None,
) -> None:
    """HiGHS MILP on the model reduced by Lagrangian fixing (if ``lag`` is given)."""
    # a child process needs about a second to start: not worth it at the very end
    if state.left() < (2.0 if con.V.nnz >= ISOLATE_NNZ else 0.3) and state.method:
        state.info["milp_status"] = "skipped: too little time left"
        return
    n = core.V.shape[0]
    keep = np.ones(n, dtype=bool)
    must = np.zeros(0, dtype=np.int64)
    if lag is not None and state.plan.size and cons.plain:
        keep, must = lagrangian_fixing(core, lag, state.value)
    gi = core.groups.group_ids
    # groups forced in with a single surviving row: fix that row to 1
    keep_rows = np.flatnonzero(keep)
    surv = np.bincount(gi[keep_rows], minlength=core.groups.n_groups)
    must_mask = np.zeros(core.groups.n_groups, dtype=bool)
    must_mask[must] = True
    single = keep_rows[must_mask[gi[keep_rows]] & (surv[gi[keep_rows]] == 1)]
    multi_groups = np.flatnonzero(must_mask & (surv >= 2))
    free_rows = np.setdiff1d(keep_rows, single)
    state.info["exact_rows"] = int(free_rows.size)
    state.info["exact_fixed_in"] = int(single.size)
    budget_left = core.budget - single.size
    if budget_left < 0:  # pragma: no cover - fixing is consistent with the budget
        return
    # residual values w.r.t. the rows fixed in
    V = core.V
    level = np.zeros(V.shape[1])
    if single.size:
        pos = gather_rows(V.indptr, single)
        np.maximum.at(level, V.indices[pos], V.data[pos])
    fixed_value = float(level.sum())
    sub = V[free_rows]
    vals = np.maximum(sub.data - level[sub.indices], 0.0)
    Vs = csr_array((vals, sub.indices, sub.indptr), shape=sub.shape)
    Vs.eliminate_zeros()
    sub_groups = GroupIndex(
        gi[free_rows] if core.groups.order is not None else None, free_rows.size
    )
    sub_con = split_contested(Vs, sub_groups)
    state.info["exact_nnz"] = int(sub_con.V.nnz)
    extra = None
    budget_row = None
    if not cons.plain:
        Mx, lo, hi = cons.milp_rows()
        extra = ExtraRows(csr_array(Mx[:, free_rows]), lo, hi) if Mx.shape[0] else None
        if cons.costs is not None:
            budget_row = cons.costs[free_rows]
            budget_left = cons.money
    if multi_groups.size:
        pos_in_sub = np.searchsorted(free_rows, free_rows)
        rows_g = gi[free_rows]
        sel = np.isin(rows_g, multi_groups)
        _, rid = np.unique(rows_g[sel], return_inverse=True)
        M = csr_array(
            (np.ones(int(sel.sum())), (rid, pos_in_sub[sel])),
            shape=(multi_groups.size, free_rows.size),
        )
        extra = ExtraRows(M, np.ones(multi_groups.size), np.full(multi_groups.size, np.inf))
    warm = np.flatnonzero(np.isin(free_rows, state.plan))
    # a child process needs about a second to start: not worth it at the very end
    min_left = 2.0 if sub_con.V.nnz >= ISOLATE_NNZ else 0.3
    if state.left() < min_left:
        state.info["milp_status"] = "skipped: too little time left"
        return
    if budget_left <= 0 or free_rows.size == 0:
        _res_value, res_bound, sel_sub, optimal = 0.0, 0.0, np.zeros(0, dtype=np.int64), True
        status = "trivial"
    else:
        res = solve_milp(
            sub_con.V,
            sub_con.row_const,
            sub_groups.group_ids if sub_groups.order is not None else None,
            budget_left,
            time_limit_s=max(0.05, state.left()),
            warm_start=warm,
            gap_tol=gap_tol,
            extra=extra,
            threads=threads,
            budget_row=budget_row,
        )
        _res_value, res_bound, sel_sub, optimal = res.value, res.bound, res.selected, res.optimal
        status = res.status
        state.info["milp_seconds"] = res.seconds
        state.info.update({f"milp_{k}": v for k, v in res.info.items()})
    state.info["milp_status"] = status
    if sel_sub.size or single.size:
        plan = np.concatenate([single, free_rows[sel_sub]])
        state.offer_plan(plan, core_value(core.V, plan), "exact")
    if np.isfinite(res_bound):
        # any plan better than state.value obeys the fixing: bound = max(value, restricted bound)
        state.offer_bound(max(state.value, fixed_value + res_bound), "milp")
    state.info["milp_optimal"] = bool(optimal)


def solve_core(
    core: Core,
    *,
    method: str,
    deadline: float,
    gap_tol: float,
    t0: float,
    progress: ProgressFn | None,
    threads: int | None = None,
    cons: Constraints | None = None,
    rng: np.random.Generator | None = None,
) -> RunState:
    """Run the stages that ``method`` asks for, within ``deadline``."""
    state = RunState(t0=t0, deadline=deadline, progress=progress)
    if cons is None:
        cons = Constraints(groups=core.groups, K=core.budget)
    if cons.plain and (core.V.shape[0] == 0 or core.V.nnz == 0):
        state.offer_plan(np.zeros(0, dtype=np.int64), 0.0, "greedy")
        state.offer_bound(0.0, "trivial")
        return state
    run_greedy(core, state, cons)
    if not state.method:
        # no feasible plan from greedy (quota minima): let the MILP find one
        con = split_contested(core.V, core.groups)
        run_exact(core, con, state, cons, lag=None, gap_tol=gap_tol, threads=threads)
        if not state.method:
            return state
    if method == "greedy" or state.gap() <= 1e-12:
        return state
    if method in ("local", "auto", "exact"):
        run_local(core, state, cons, time_share=0.2)
    con = split_contested(core.V, core.groups)
    state.info["contested_columns"] = int(con.cols.size)
    state.info["contested_nnz"] = int(con.V.nnz)
    # a MILP is worth starting when the model is small or there is time for it
    milp_ok = method == "exact" or con.V.nnz < 4 * ISOLATE_NNZ or state.left() > 30.0
    lag = None
    if state.gap() > gap_tol and state.left() > 0:
        share = 1.0 if (method == "local" or not milp_ok) else 0.5
        lag = run_lagrangian(core, con, state, cons, gap_tol=gap_tol, time_share=share)
    if method == "local" or state.gap() <= gap_tol:
        return state
    if method in ("exact", "auto") and cons.plain and state.gap() > gap_tol and state.left() > 5.0:
        run_perturb(core, state, rng or np.random.default_rng(0), time_share=0.25)
    if method == "exact" or (method == "auto" and milp_ok):
        tol = 1e-9 if method == "exact" else gap_tol
        run_exact(core, con, state, cons, lag=lag, gap_tol=tol, threads=threads)
    if method == "auto" and state.gap() > gap_tol and state.left() > 0.2 and lag is not None:
        # time left after the MILP (or none tried): resume the subgradient from its best point
        lag = run_lagrangian(
            core, con, state, cons, gap_tol=gap_tol, time_share=1.0, lam_start=lag.lam
        )
    return state


def order_plan(
    core: Core,
    plan: IntArray,
    t0: float,
    greedy: tuple[IntArray, FloatArray] | None = None,
) -> tuple[IntArray, FloatArray]:
    """Greedy order of a plan's rows (core ids) and their marginal gains.

    Rows that add nothing come last, with gain 0, in index order.
    """
    if plan.size == 0:
        return plan, np.zeros(0)
    if greedy is not None and np.array_equal(greedy[0], plan):
        return greedy
    plan = np.sort(np.asarray(plan, dtype=np.int64))
    sub = core.V[plan]
    res = lazy_greedy(
        sub,
        np.ones(sub.shape[1]),
        budget=plan.size,
        fixed=np.zeros(0, dtype=np.int64),
        group_ids=None,
        n_groups=plan.size,
        total_bound=np.inf,
        t0=t0,
        n_checkpoints=1,
    )
    rest = np.setdiff1d(np.arange(plan.size), res.selected)
    order = np.concatenate([res.selected, rest]).astype(np.int64)
    return plan[order], np.concatenate([res.gains, np.zeros(rest.size)])
