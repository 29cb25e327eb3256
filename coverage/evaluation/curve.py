"""The plan-level coverage curve: objective and proven upper bound against the budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage._arrays import relative_gap
from coverage._validate import check_choice, check_number
from coverage.evaluation._bounds import BoundCore
from coverage.matrix import CoverageMatrix
from coverage.plan import Plan, best_cover

__all__ = ["coverage_curve"]

#: ``progress(step, done, total)``, the shape of :data:`coverage.plan.ProgressCallback`.
StepCallback = Callable[[str, float, float | None], None]

_COLUMNS = [
    "budget",
    "objective",
    "upper_bound",
    "gap",
    "weighted_coverage",
    "upper_bound_coverage",
    "method",
]
_METHODS = ("ordered", "greedy", "local", "exact", "auto")
#: Prefixes of the ordered solve whose gain bound is computed, besides the budget points.
_BOUND_PREFIXES = 8


def coverage_curve(  # noqa: PLR0913 - the plan and budgets, then keyword-only options
    plan: Plan,
    budgets: Sequence[int] | None = None,
    *,
    method: str = "ordered",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: int | None = 0,
    bound_iterations: int = 15,
    progress: StepCallback | None = None,
) -> pd.DataFrame:
    """Coverage reached and its proven upper bound against the budget.

    With ``method="ordered"`` (the default) the whole curve comes from one
    ordered solve, in about 1.5 s of CPU on the sample city (200 sets, 66k
    configurations): two orders of the candidate rows, one greedy run from
    scratch to the largest budget, and the plan's own sets in greedy order
    followed by a greedy run that extends them to the largest budget. A
    budget's objective is the better of the two prefixes of that length,
    recomputed from its rows. Any other method
    (``"greedy"``, ``"local"``, ``"exact"``, ``"auto"``) re-solves the plan's
    coverage matrix with :func:`coverage.optimize.coverage_curve` for each
    budget (slower; tighter bounds with ``"local"`` and up).

    Every upper bound is proven, the smallest of:

    * the gain bound of every known set ``S`` (each budget point's set, the
      plan, and prefixes of the two orders): for every budget ``b``,
      ``OPT(b) <= f(S) + the b largest marginal gains w.r.t. S, at most one
      per site``. Proof: for an optimal plan ``O`` of ``b`` rows,
      ``f(O) <= f(O ∪ S) <= f(S) + sum_{o in O} (f(S + o) - f(S))`` by
      monotonicity and submodularity of covered weight, and ``O`` holds at
      most one row per site and none on a site with an installed set, so the
      sum is at most the ``b`` largest per-site maximum gains;
    * the Lagrangian bound ``L_b(lambda)`` (see
      :mod:`coverage.evaluation._bounds`), valid for every ``lambda >= 0`` and
      every budget at once; the gain bound is its value at ``lambda_j = w_j
      (q_j(S) - c0_j)``, and `bound_iterations` projected subgradient steps
      per budget point (a fixed count: same data, same bounds) lower it;
    * ``f`` of every open row at once (no plan covers more);
    * the plan's own bound at its budget, when it was solved in one phase
      without quotas (the same problem), and the solver's bound of each solve
      at its budget;
    * the smallest bound at any larger budget (the optimum never falls as the
      budget rises).

    Parameters
    ----------
    plan
        A solved plan (its ``matrix`` and ``demand["weight"]`` are used).
    budgets
        Budgets to report (ints >= 0; 0 is the existing sets alone). None:
        eleven budgets from 0 to twice the plan's, capped at the number of
        candidate sites.
    method
        ``"ordered"`` (one ordered solve), or a ``max_coverage`` method to
        solve each budget on its own.
    time_limit_s, gap_tol, rng
        Passed to ``max_coverage`` for each budget (not used by ``"ordered"``).
    bound_iterations
        Subgradient steps per budget point with ``"ordered"`` (0: gain bounds
        only). More steps, tighter bounds: on the sample city 0, 15 and 30
        steps leave gaps of about 23%, 3% and 2.3% at budgets away from the plan's.
    progress
        Optional ``progress(step, done, total)``, called as the steps run.

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``objective``, ``upper_bound``, ``gap``,
        ``weighted_coverage`` and ``upper_bound_coverage`` (the two as shares
        of the total demand weight), ``method`` (which order or solve gave the
        objective); sorted by budget.

    Raises
    ------
    coverage.errors.ParameterError
        A budget is negative or above the number of candidate sites, or the
        method is unknown.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> c = coverage_curve(plan, [0, 1, 2, 4])
    >>> c[["budget", "objective", "upper_bound"]].round(1).values.tolist()
    [[0.0, 0.0, 0.0], [1.0, 9.0, 9.0], [2.0, 18.0, 18.0], [4.0, 28.0, 29.9]]
    """
    method = check_choice(method, "method", "coverage_curve", _METHODS)
    say = progress if progress is not None else _silent
    cm = plan.matrix
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    wanted = _wanted_budgets(plan, budgets)
    say("curve: solve", 0, None)
    if method == "ordered":
        frame, selections, orders = _ordered_points(plan, cm, w, wanted)
    else:
        options = {"method": method, "time_limit_s": time_limit_s, "gap_tol": gap_tol, "rng": rng}
        frame, selections = _solve_budgets(cm, w, wanted, options)
        orders = []
    say("curve: solve", 1, 1)
    say("curve: bounds", 0, None)
    iterations = bound_iterations if method == "ordered" else 0
    frame["upper_bound"] = _proven_bounds(plan, frame, selections, orders, w, iterations)
    say("curve: bounds", 1, 1)
    frame["gap"] = [
        relative_gap(o, u) for o, u in zip(frame["objective"], frame["upper_bound"], strict=True)
    ]
    total = float(w.sum())
    frame["weighted_coverage"] = frame["objective"] / total if total > 0 else 0.0
    frame["upper_bound_coverage"] = frame["upper_bound"] / total if total > 0 else 0.0
    return frame[_COLUMNS]


def _silent(step: str, done: float, total: float | None) -> None:
    """Ignore progress (the callback used when none is given)."""


def _wanted_budgets(plan: Plan, budgets: Sequence[int] | None) -> list[int]:
    """Check and sort the distinct budgets asked for (None: the default eleven)."""
    cm = plan.matrix
    cap = int(np.unique(cm.groups[cm.site >= 0]).size)
    if budgets is None:
        top = min(cap, max(2 * len(plan.new_cameras), 1))
        budgets = sorted({round(b) for b in np.linspace(0, top, 11)})
    return sorted(
        {
            int(check_number(b, "budgets", "coverage_curve", low=0, high=cap, integer=True))
            for b in budgets
        }
    )


def _proven_bounds(
    plan: Plan,
    frame: pd.DataFrame,
    selections: list[NDArray[np.int64]],
    orders: list[NDArray[np.int64]],
    w: NDArray[np.float64],
    iterations: int,
) -> NDArray[np.float64]:
    """Return the smallest proven bound per budget point (see :func:`coverage_curve`)."""
    cm = plan.matrix
    budgets = frame["budget"].to_numpy(dtype=np.int64)
    objective = frame["objective"].to_numpy(dtype=np.float64)
    ub = np.minimum(np.array(frame["upper_bound"], dtype=float), _all_rows_value(cm, w))
    core = BoundCore.build(cm.A, w, groups=cm.groups, fixed=cm.fixed)
    known = [np.concatenate([s, cm.fixed]) for s in selections]
    for order in orders:  # a few prefixes of each order, spread along it
        cuts = np.unique(np.linspace(0, order.size, _BOUND_PREFIXES + 1).round().astype(np.int64))
        known += [np.concatenate([order[:k], cm.fixed]) for k in cuts]
    starts = [core.multipliers(plan.demand["quality"].to_numpy(dtype=np.float64))]
    starts += [core.multipliers(best_cover(cm, rows)[0]) for rows in known]
    values = np.array([core.bounds(lam, budgets) for lam in starts])  # (start, budget)
    ub = np.minimum(ub, values.min(axis=0))
    for k, b in enumerate(budgets):  # subgradient steps from the best start at each point
        if b == 0 or iterations <= 0 or relative_gap(objective[k], ub[k]) <= 1e-6:
            continue
        lam = core.descend(starts[int(np.argmin(values[:, k]))], int(b), objective[k], iterations)
        row = core.bounds(lam, budgets)  # these multipliers bound every budget
        ub = np.minimum(ub, row)
        starts.append(lam)  # and start the next budget's steps if they bound it best
        values = np.vstack([values, row])
    frame["upper_bound"] = ub
    return _with_plan_point(frame, plan)


def _all_rows_value(cm: CoverageMatrix, w: NDArray[np.float64]) -> float:
    """Covered weight of every row at once: no plan of any size covers more."""
    A = cm.A.tocsr()
    best = np.zeros(A.shape[1])
    if A.nnz:
        np.maximum.at(best, A.indices, A.data)
    return float(np.sum(w * best))


def _ordered_points(
    plan: Plan, cm: CoverageMatrix, w: NDArray[np.float64], wanted: list[int]
) -> tuple[pd.DataFrame, list[NDArray[np.int64]], list[NDArray[np.int64]]]:
    """Budget points from one ordered solve; also each point's rows and the orders used.

    The orders are greedy from scratch up to the largest budget, and the
    plan's sets in greedy order extended by greedy (when the plan's rows are
    found in its matrix). A point's objective is the better prefix, recomputed.
    """
    from coverage import optimize

    top = max(wanted, default=0)
    fixed = np.asarray(cm.fixed, dtype=np.int64)
    orders: dict[str, NDArray[np.int64]] = {}
    solver_bound = np.inf
    if top > 0:
        greedy = optimize.max_coverage(
            cm.A, w, budget=top, groups=cm.groups, fixed=fixed, method="greedy"
        )
        orders["greedy"] = np.asarray(greedy.selected, dtype=np.int64)
        solver_bound = float(greedy.upper_bound)
        plan_order = _plan_order(plan, cm, w, top)
        if plan_order is not None:
            orders["plan order"] = plan_order
    out: list[tuple[int, float, float, float, str]] = []
    selections: list[NDArray[np.int64]] = []
    for b in wanted:
        name, rows = "existing", np.zeros(0, dtype=np.int64)
        value = _value(cm, w, rows)
        for which, order in orders.items() if b > 0 else ():
            v = _value(cm, w, order[:b])
            if v > value + 1e-9 * max(1.0, abs(v)):
                name, rows, value = which, order[:b], v
        out.append((b, value, solver_bound if b == top else np.inf, 0.0, name))
        selections.append(rows)
    frame = pd.DataFrame(out, columns=["budget", "objective", "upper_bound", "gap", "method"])
    return frame, selections, list(orders.values())


def _value(cm: CoverageMatrix, w: NDArray[np.float64], rows: NDArray[np.int64]) -> float:
    """Covered weight of `rows` and the installed sets, recomputed from the matrix."""
    quality = best_cover(cm, np.concatenate([rows, cm.fixed]))[0]
    return float(np.sum(w * quality))


def _plan_order(
    plan: Plan, cm: CoverageMatrix, w: NDArray[np.float64], top: int
) -> NDArray[np.int64] | None:
    """Order the plan's rows greedily, then extend them by greedy up to `top` rows.

    None when the plan's sets are not rows of its matrix (an assessed layout).
    """
    from scipy.sparse import csr_array, vstack

    from coverage import optimize

    rows = _plan_rows(plan)
    if rows is None or rows.size == 0:
        return None
    fixed = np.asarray(cm.fixed, dtype=np.int64)
    k = rows.size
    A = cm.A.tocsr()
    sub = csr_array(vstack([A[rows], A[fixed]]).tocsr())
    inner = optimize.max_coverage(
        sub, w, budget=k, fixed=np.arange(k, k + fixed.size), method="greedy"
    )
    picked = np.asarray(inner.selected, dtype=np.int64)
    rest = np.setdiff1d(np.arange(k), picked)  # rows adding nothing, kept in plan order
    order = rows[np.concatenate([picked, rest])]
    if top > k:
        more = optimize.max_coverage(
            A,
            w,
            budget=top - k,
            groups=cm.groups,
            fixed=np.concatenate([fixed, order]),
            method="greedy",
        )
        order = np.concatenate([order, np.asarray(more.selected, dtype=np.int64)])
    out: NDArray[np.int64] = order.astype(np.int64)
    return out


def _plan_rows(plan: Plan) -> NDArray[np.int64] | None:
    """Find the matrix rows of the plan's new sets by site and first heading (None: not all)."""
    cm = plan.matrix
    new = plan.new_cameras
    if len(new) == 0 or "site" not in new.columns:
        return None
    sites = new["site"].to_numpy(dtype=np.int64)
    cand = np.flatnonzero(np.isin(cm.site, sites) & (cm.site >= 0))
    first = np.round(cm.headings_deg[cand, 0], 6)
    lookup = {
        (int(s), float(h)): int(r) for s, h, r in zip(cm.site[cand], first, cand, strict=True)
    }
    rows = []
    for site, headings in zip(sites, new["headings_deg"], strict=True):
        h = float(np.round(float(headings[0]), 6)) if len(headings) else float("nan")
        row = lookup.get((int(site), h))
        if row is None:
            return None
        rows.append(row)
    out = np.asarray(rows, dtype=np.int64)
    return out if np.unique(cm.groups[out]).size == out.size else None


def _solve_budgets(
    cm: CoverageMatrix, w: NDArray[np.float64], wanted: list[int], options: dict[str, Any]
) -> tuple[pd.DataFrame, list[NDArray[np.int64]]]:
    """One row per budget (``budget``, ``objective``, ``upper_bound``, ``gap``, ``method``).

    Budget 0 is the existing sets alone; the others are solved by
    :func:`coverage.optimize.coverage_curve` with `options`. Also returns the
    rows chosen for each budget.
    """
    from coverage import optimize

    out: list[tuple[int, float, float, float, str]] = []
    selections: list[NDArray[np.int64]] = []
    if 0 in wanted:
        base = optimize.objective(cm.A, w, np.zeros(0, dtype=np.int64), cm.fixed)
        out.append((0, base, base, 0.0, "existing"))
        selections.append(np.zeros(0, dtype=np.int64))
    positive = [b for b in wanted if b > 0]
    if positive:
        curve = optimize.coverage_curve(
            cm.A, w, budgets=positive, groups=cm.groups, fixed=cm.fixed, **options
        )
        for b, sol in zip(positive, curve.solutions, strict=True):
            out.append((b, sol.objective, sol.upper_bound, sol.gap, sol.method))
            selections.append(np.asarray(sol.selected, dtype=np.int64))
    frame = pd.DataFrame(out, columns=["budget", "objective", "upper_bound", "gap", "method"])
    return frame, selections


def _with_plan_point(frame: pd.DataFrame, plan: Plan) -> NDArray[np.float64]:
    """Put the plan itself on the curve; return the upper bounds made monotone.

    At the plan's budget its objective replaces a worse one (in `frame`), and
    its bound tightens that budget's when the plan was solved in one phase
    without quotas (a phased or quota plan's bound is for another problem).
    A bound for a larger budget bounds a smaller one (the optimum never falls
    as the budget rises), and no bound is below its objective.
    """
    at = np.flatnonzero(frame["budget"].to_numpy() == len(plan.new_cameras))
    if at.size and float(plan.objective) > float(frame.at[at[0], "objective"]):
        frame.loc[at[0], ["objective", "method"]] = [float(plan.objective), plan.solution.method]
    ub = np.array(frame["upper_bound"], dtype=float)
    meta = getattr(plan, "meta", {}) or {}
    same_problem = len(meta.get("phases") or [None]) <= 1 and not meta.get("quotas")
    if at.size and same_problem and not meta.get("assessed"):
        ub[at[0]] = min(ub[at[0]], float(plan.upper_bound))
    ub = np.minimum.accumulate(ub[::-1])[::-1]
    out: NDArray[np.float64] = np.maximum(ub, frame["objective"].to_numpy(dtype=float))
    return out
