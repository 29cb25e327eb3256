"""The stages of :func:`coverage.optimize.max_coverage` for the max-quality objective.

Private.  Works on a core problem (see ``_core``) and keeps, at every
moment, the best plan found and the best proven bound (a ``RunState``), both
in core units; :func:`solve_max` adds the fixed rows' value ``core.base`` and
returns the :class:`~coverage.optimize.Solution`.

Stages: lazy greedy (+ online bound) → swap local search → Lagrangian bound by
subgradient → perturbation search → Lagrangian variable fixing → HiGHS MILP on
the reduced model (warm-started, interrupted at the deadline).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from coverage._arrays import relative_gap
from coverage.optimize._checks import objective
from coverage.optimize._constraints import Constraints, Tracker
from coverage.optimize._core import Core, core_value, gather_rows
from coverage.optimize._inputs import Instance, RunOptions
from coverage.optimize._solution import Solution, TracePoint
from coverage.optimize._state import RunState, no_plan_error
from coverage.optimize.bound import (
    MAX_ITERATIONS,
    Contested,
    Dual,
    LagrangeResult,
    lagrangian_value,
    split_contested,
    subgradient,
)
from coverage.optimize.decompose import Priced, reprice, run_decomposed
from coverage.optimize.exact import ISOLATE_NNZ, reduce_model, solve_milp
from coverage.optimize.greedy import lazy_greedy
from coverage.optimize.local import swap_search
from coverage.optimize.reductions import reduce_core

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def run_greedy(core: Core, state: RunState, constraints: Constraints) -> None:
    """Lazy greedy on the core with its online bound (ratio greedy too with costs)."""
    V = core.V
    w = np.ones(V.shape[1])
    colmax = np.zeros(V.shape[1])
    if V.nnz:
        np.maximum.at(colmax, V.indices, V.data)
    variants = [None] if constraints.costs is None else [constraints.costs, None]
    for costs in variants:
        tracker = None if constraints.plain else Tracker(constraints)
        res = lazy_greedy(
            V,
            w,
            budget=core.budget,
            fixed=np.zeros(0, dtype=np.int64),
            groups=core.groups,
            total_bound=float(colmax.sum()),
            progress=state.progress,
            can_add=None if tracker is None else tracker.can_add,
            on_add=None if tracker is None else tracker.add,
            costs=costs,
            bound_fn=None if constraints.plain else (lambda u: constraints.relaxed_max(u)[0]),
        )
        state.info["greedy_evaluations"] = state.info.get("greedy_evaluations", 0) + res.evaluations
        if tracker is None or tracker.feasible():
            state.offer_plan(res.selected, res.value, "greedy")
            state.info["greedy_prefix"] = res.selected[: res.best_step]
            state.info["greedy_plan"] = (res.selected, res.gains)
        state.offer_bound(res.bound, "online")


def run_local(core: Core, state: RunState, constraints: Constraints) -> None:
    """Swap local search from the current plan (up to 200 passes; the deadline is a cap)."""
    if not state.method or state.left() <= 0:
        return
    deadline = state.deadline
    tracker = None
    if not constraints.plain:
        in_s = np.zeros(core.V.shape[0], dtype=bool)
        in_s[state.plan] = True
        tracker = Tracker(constraints, in_s)
    plan, swaps = swap_search(
        core.V, core.groups, constraints.max_count, state.plan, deadline=deadline, tracker=tracker
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
    max_rounds: int,
    n_drop: int = 0,
    max_stale: int = 30,
) -> None:
    """Run an iterated local search: drop rows at random, refill greedily, swap; keep if better.

    Plain problems only (no side constraints).  At most ``max_rounds`` rounds
    (and ``max_stale`` without improvement): deterministic for a given ``rng``
    unless the deadline (a safety cap) cuts it.
    """
    if not state.method or state.plan.size < 2 or state.left() <= 0:
        return
    deadline = state.deadline
    V = core.V
    w = np.ones(V.shape[1])
    plan, value = state.plan.copy(), state.value
    n_drop = n_drop or max(2, min(50, plan.size // 20))
    rounds = accepted = stale = 0
    while time.perf_counter() < deadline and stale < max_stale and rounds < max_rounds:
        rounds += 1
        stale += 1
        drop = rng.choice(plan.size, size=min(n_drop, plan.size - 1), replace=False)
        keep = np.delete(plan, drop)
        res = lazy_greedy(
            V,
            w,
            budget=core.budget - keep.size,
            fixed=keep,
            groups=core.groups,
            total_bound=np.inf,
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
        if state.progress is not None:
            state.progress("perturb", rounds, max_rounds, state.value, state.bound)
    state.info["perturb_rounds"] = state.info.get("perturb_rounds", 0) + rounds
    state.info["perturb_accepted"] = state.info.get("perturb_accepted", 0) + accepted


def run_lagrangian(
    core: Core,
    dual: Dual,
    state: RunState,
    *,
    gap_tol: float,
    max_iterations: int = MAX_ITERATIONS,
    lam_start: FloatArray | None = None,
) -> LagrangeResult:
    """Subgradient on the Lagrangian dual, started at the plan's cover levels."""
    lam0 = lam_start if lam_start is not None else _start_multipliers(dual, state)
    every = max(1, min(10, int(2e6 // max(1, dual.contested.V.nnz))))

    def _cb(it: int, b: float) -> None:
        if state.progress is not None and it % every == 0:
            state.progress("bound", it, max_iterations, state.value, min(b, state.bound))

    res = subgradient(
        dual,
        lam0,
        target=state.value,
        gap_tol=gap_tol,
        deadline=state.deadline,
        on_bound=_cb,
        max_iterations=max_iterations,
    )
    state.info["lagrangian_iterations"] = (
        state.info.get("lagrangian_iterations", 0) + res.iterations
    )
    state.offer_bound(res.bound, "lagrangian")
    if dual.relax is None and state.gap() > gap_tol and state.left() > 0.1:
        lagrangian_heuristic(core, res, state)
    return res


def _start_multipliers(dual: Dual, state: RunState) -> FloatArray:
    """Return the cover levels of the plan or of the greedy prefix, whichever bounds lower."""
    V = dual.contested.V
    lam0 = np.zeros(V.shape[1])
    best_l = np.inf
    for plan in (state.plan, state.info.get("greedy_prefix", state.plan)):
        lam = np.zeros(V.shape[1])
        if plan.size:
            pos = gather_rows(V.indptr, plan)
            np.maximum.at(lam, V.indices[pos], V.data[pos])
        val = lagrangian_value(dual, lam)[0]
        if val < best_l:
            best_l, lam0 = val, lam
    return lam0


def lagrangian_heuristic(core: Core, lag: LagrangeResult, state: RunState) -> None:
    """Polish by swaps the inner solution at the best multipliers (it is a plan)."""
    rows = lag.group_arg[lag.chosen_groups]
    if rows.size == 0:
        return
    value = core_value(core.V, rows)
    plan, swaps = swap_search(
        core.V, core.groups, core.budget, rows, deadline=state.deadline, max_passes=HEURISTIC_PASSES
    )
    if swaps:
        value = core_value(core.V, plan)
    state.info["lagrangian_plan_value"] = value
    state.offer_plan(plan, value, "lagrangian")


def run_exact(  # noqa: PLR0913 - the problem, then keyword-only options
    core: Core,
    contested: Contested,
    state: RunState,
    constraints: Constraints,
    *,
    lag: LagrangeResult | None,
    gap_tol: float,
    node_limit: int | None = None,
) -> None:
    """HiGHS MILP on the model reduced by Lagrangian fixing (if ``lag`` is given).

    One thread, ``node_limit`` branch-and-bound nodes (None: no limit): with
    the deadline only a safety cap, the same model gives the same result.
    HiGHS' presolve stays on beside the warm start (Tsim Sha Tsui, equal
    time and load: root bound 10,602.9 with it, 10,614.5 without; a warm
    start it maps to a worse plan costs nothing, the incumbent is kept here).
    """
    if state.left() < _min_milp_s(contested.V.nnz) and state.method:
        state.info["milp_status"] = "skipped: too little time left"
        state.cut_by_time = True
        return
    red = reduce_model(core, constraints, lag, state.plan, state.value)
    if red is None:  # pragma: no cover - fixing is consistent with the budget
        return
    state.info["exact_rows"] = int(red.free_rows.size)
    state.info["exact_fixed_in"] = int(red.forced.size)
    state.info["exact_nnz"] = int(red.model.V.nnz)
    if state.left() < _min_milp_s(red.model.V.nnz):
        state.info["milp_status"] = "skipped: too little time left"
        state.cut_by_time = True
        return
    if red.budget <= 0 or red.free_rows.size == 0:
        bound, chosen, optimal, status = 0.0, np.zeros(0, dtype=np.int64), True, "trivial"
    else:
        res = solve_milp(
            red.model.V,
            red.model.row_const,
            red.groups.group_ids if red.groups.order is not None else None,
            red.budget,
            time_limit_s=max(0.05, state.left()),
            warm_start=red.warm_start,
            gap_tol=gap_tol,
            extra=red.extra,
            budget_row=red.budget_row,
            threads=1,
            node_limit=node_limit,
            presolve=True,
        )
        bound, chosen, optimal, status = res.bound, res.selected, res.optimal, res.status
        state.info["milp_seconds"] = res.seconds
        state.info.update({f"milp_{k}": v for k, v in res.info.items()})
        state.cut_by_time |= bool(res.info.get("interrupted", False))
    state.info["milp_status"] = status
    if chosen.size or red.forced.size:
        plan = np.concatenate([red.forced, red.free_rows[chosen]])
        state.offer_plan(plan, core_value(core.V, plan), "exact")
    if np.isfinite(bound):
        # any plan better than state.value obeys the fixing: bound = max(value, restricted bound)
        state.offer_bound(max(state.value, red.forced_value + bound), "milp")
    state.info["milp_optimal"] = bool(optimal)


#: Work budgets of ``"auto"`` (deterministic limits; the deadline is only a cap):
#: subgradient steps x contested entries, perturbation rounds x entries, MILP nodes.
LAGRANGE_WORK = 1e8
PERTURB_WORK = 1e7
MILP_NODES = 300
#: Swap passes that polish the Lagrangian's inner plan (a heuristic: kept short).
HEURISTIC_PASSES = 10


def _min_milp_s(nnz: int) -> float:
    """Least time worth a MILP: a child process needs about a second to start."""
    return 2.0 if nnz >= ISOLATE_NNZ else 0.3


def solve_max(inst: Instance, core: Core, constraints: Constraints, run: RunOptions) -> Solution:
    """Run the stages ``run.method`` asks for and return the :class:`Solution`.

    Plain problems (count budget and groups) are reduced first
    (``reductions``), except with ``method="greedy"``.
    """
    reduction: dict[str, int] = {}
    if constraints.plain and run.method != "greedy":
        red = reduce_core(core)
        core, reduction = red.core, red.stats
        constraints = Constraints(groups=core.groups, max_count=core.budget)
    state = solve_core(core, constraints, run)
    state.info.update({f"reduction_{k}": v for k, v in reduction.items()})
    if not state.method:
        raise no_plan_error(owner="max_coverage")
    ordered, gains = order_plan(core, state.plan, state.info.pop("greedy_plan", None))
    state.info.pop("greedy_prefix", None)
    selected = core.rows[ordered]
    obj = objective(inst.A, inst.w, selected, inst.fixed)
    ub = max(core.base + state.bound, obj)
    trace = tuple(
        TracePoint(t, core.base + v, core.base + b, stage) for t, v, b, stage in state.trace
    )
    n, m = inst.A.shape
    return Solution(
        selected=selected,
        gains=gains,
        objective=obj,
        upper_bound=ub,
        gap=relative_gap(obj, ub),
        method=state.method,
        trace=trace,
        bound_method=state.bound_method,
        elapsed_s=time.perf_counter() - run.t0,
        info={"n_rows": n, "n_demand": m, "nnz": inst.A.nnz, **state.info},
        stopped_by=state.stopped_by(run.gap_tol, run.method),
    )


def solve_core(core: Core, constraints: Constraints, run: RunOptions) -> RunState:
    """Run the stages that ``run.method`` asks for, within ``run.deadline`` (core units).

    Every stage's work is counted (passes, iterations, rounds, pieces,
    nodes; see the ``*_WORK`` constants), so the same inputs and seed give
    the same plan on any machine load; the deadline is only a safety cap.
    """
    method, gap_tol = run.method, run.gap_tol
    progress = None
    if run.progress is not None:
        outer, base = run.progress, core.base

        def progress(stage: str, done: int, total: int, value: float, bound: float) -> None:
            outer(stage, done, total, base + value, base + bound)

    state = RunState(t0=run.t0, deadline=run.deadline, progress=progress)
    if constraints.plain and (core.V.shape[0] == 0 or core.V.nnz == 0):
        state.offer_plan(np.zeros(0, dtype=np.int64), 0.0, "greedy")
        state.offer_bound(0.0, "trivial")
        return state
    run_greedy(core, state, constraints)
    if not state.method:
        # no feasible plan from greedy (quota minima): let the MILP find one
        contested = split_contested(core.V, core.groups)
        run_exact(core, contested, state, constraints, lag=None, gap_tol=gap_tol)
        if not state.method:
            return state
    if method == "greedy" or state.gap() <= 1e-12:
        return state
    run_local(core, state, constraints)
    contested = split_contested(core.V, core.groups)
    state.info["contested_columns"] = int(contested.cols.size)
    state.info["contested_nnz"] = int(contested.V.nnz)
    nnz = max(1, contested.V.nnz)
    # a MILP of the whole is worth starting when the model is small
    milp_ok = method == "exact" or contested.V.nnz < 4 * ISOLATE_NNZ
    relax = None if constraints.plain else constraints.relaxed_max
    dual = Dual(contested, core.groups, core.budget, relax)
    lag = None
    iterations = max(50, min(MAX_ITERATIONS, int(LAGRANGE_WORK // nnz)))
    if state.gap() > gap_tol and state.left() > 0:
        lag = run_lagrangian(core, dual, state, gap_tol=gap_tol, max_iterations=iterations)
    if method == "local" or state.gap() <= gap_tol:
        return state
    priced = None
    if constraints.plain and lag is not None:
        priced = run_decomposed(core, state, lag, contested.cols, gap_tol=gap_tol)
        if state.gap() <= gap_tol:
            return state
    if constraints.plain:
        rounds = max(5, min(60, int(PERTURB_WORK // max(1, core.V.nnz))))
        run_perturb(core, state, run.rng, max_rounds=rounds)
    if milp_ok:
        tol = 1e-9 if method == "exact" else gap_tol
        nodes = None if method == "exact" else MILP_NODES
        run_exact(core, contested, state, constraints, lag=lag, gap_tol=tol, node_limit=nodes)
    if state.gap() > gap_tol and state.left() > 0 and lag is not None:
        _resume_bound(core, dual, state, lag, priced, gap_tol=gap_tol, iterations=iterations // 2)
    return state


def _resume_bound(  # noqa: PLR0913 - the run's pieces, then keyword-only limits
    core: Core,
    dual: Dual,
    state: RunState,
    lag: LagrangeResult,
    priced: Priced | None,
    *,
    gap_tol: float,
    iterations: int,
) -> None:
    """Resume the subgradient from its best point (the MILP did not prove the target, or none ran).

    The new multipliers also tighten the decomposition's bound at its price.
    """
    lag2 = run_lagrangian(
        core, dual, state, gap_tol=gap_tol, max_iterations=iterations, lam_start=lag.lam
    )
    if priced is not None:
        state.offer_bound(reprice(core, priced, lag2, dual.contested.cols), "decomposition")


def order_plan(
    core: Core,
    plan: IntArray,
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
        groups=None,
        total_bound=np.inf,
        n_checkpoints=1,
    )
    rest = np.setdiff1d(np.arange(plan.size), res.selected)
    order = np.concatenate([res.selected, rest]).astype(np.int64)
    return plan[order], np.concatenate([res.gains, np.zeros(rest.size)])
