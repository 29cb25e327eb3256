"""The stages of :func:`coverage.optimize.max_coverage` for k-coverage and probabilistic credit.

Private.  Greedy (with its bound), then swap search on the true objective,
then the MILP of :mod:`coverage.optimize.generic` when the method asks for it
and the gap is above target.  Values are in full units (fixed rows included).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from coverage._arrays import relative_gap
from coverage.optimize import generic
from coverage.optimize._checks import objective
from coverage.optimize._constraints import Constraints
from coverage.optimize._core import Core
from coverage.optimize._inputs import Instance, RunOptions
from coverage.optimize._solution import Solution, TracePoint
from coverage.optimize._state import RunState, no_plan_error
from coverage.optimize.generic import GenericProblem

IntArray = NDArray[np.int64]


def solve_generic(
    inst: Instance,
    core: Core,
    cons: Constraints,
    run: RunOptions,
    *,
    k_coverage: int,
    combine: str,
) -> Solution:
    """Run the stages ``run.method`` asks for and return the :class:`Solution`."""
    kind = "prob" if combine == "probabilistic" else "kcov"
    P = generic.make_problem(inst.A, inst.w, core.rows, inst.fixed, k_coverage, kind)
    state = RunState(t0=run.t0, deadline=run.deadline, progress=None)
    _run_greedy(P, cons, state)
    if state.method and run.method in ("local", "auto", "exact") and state.bound > state.value:
        _run_local(P, cons, state, run)
    tol = 1e-9 if run.method == "exact" else run.gap_tol
    need_exact = not state.method or (
        run.method in ("exact", "auto") and relative_gap(state.value, state.bound) > tol
    )
    if need_exact:
        _run_milp(P, cons, state, gap_tol=tol)
    if not state.method:
        raise no_plan_error(owner="max_coverage")
    bound_method = "milp" if need_exact else ("online" if kind == "prob" else "trivial")
    return _solution(inst, core, state, bound_method, k_coverage=k_coverage, combine=combine)


def _value_of(P: GenericProblem, plan: IntArray) -> float:
    in_s = np.zeros(P.A.shape[0], dtype=bool)
    in_s[plan] = True
    return generic.value(P, in_s)


def _run_greedy(P: GenericProblem, cons: Constraints, state: RunState) -> None:
    plan, bound = generic.greedy(P, cons, deadline=state.deadline)
    if plan is not None:
        state.offer_plan(plan, _value_of(P, plan), "greedy")
    state.offer_bound(min(bound, generic.trivial_bound(P)), "greedy")


def _run_local(P: GenericProblem, cons: Constraints, state: RunState, run: RunOptions) -> None:
    # the exact methods keep half of the time for the MILP
    deadline = run.deadline if run.method == "local" else run.t0 + (run.deadline - run.t0) * 0.5
    plan, swaps = generic.swap_search(P, cons, state.plan, deadline=deadline)
    state.info["swaps"] = swaps
    state.offer_plan(plan, _value_of(P, plan), "local")


def _run_milp(P: GenericProblem, cons: Constraints, state: RunState, *, gap_tol: float) -> None:
    warm = state.plan if state.method else None
    res = generic.solve_milp(P, cons, deadline=state.deadline, warm=warm, gap_tol=gap_tol)
    state.info["milp_optimal"] = res.optimal
    if res.value > -np.inf:
        state.offer_plan(res.selected, _value_of(P, res.selected), "exact")
    state.offer_bound(res.bound, "milp")


def _solution(
    inst: Instance,
    core: Core,
    state: RunState,
    bound_method: str,
    *,
    k_coverage: int,
    combine: str,
) -> Solution:
    """Build the Solution: original row ids (greedy order, else ascending), prefix gains."""
    plan = state.plan if state.method == "greedy" else np.sort(state.plan)
    selected = core.rows[plan].astype(np.int64)

    def value(rows: IntArray) -> float:
        return objective(inst.A, inst.w, rows, inst.fixed, k_coverage=k_coverage, combine=combine)

    prefix = [value(selected[:t]) for t in range(selected.size + 1)]
    obj = value(selected)
    ub = max(state.bound, obj)
    trace = tuple(TracePoint(*point) for point in state.trace)
    return Solution(
        selected=selected,
        gains=np.diff(np.asarray(prefix, dtype=np.float64)),
        objective=obj,
        upper_bound=ub,
        gap=relative_gap(obj, ub),
        method=state.method,
        trace=trace,
        bound_method=bound_method,
        elapsed_s=time.perf_counter() - state.t0,
        info=state.info,
    )
