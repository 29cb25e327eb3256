"""The plan-level coverage curve: objective and proven upper bound against the budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage._arrays import relative_gap, row_of_entries
from coverage._validate import check_number
from coverage.matrix import CoverageMatrix
from coverage.plan import Plan, best_cover

__all__ = ["coverage_curve"]

_COLUMNS = [
    "budget",
    "objective",
    "upper_bound",
    "gap",
    "weighted_coverage",
    "upper_bound_coverage",
    "method",
]


def coverage_curve(
    plan: Plan,
    budgets: Sequence[int] | None = None,
    *,
    method: str = "greedy",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: int | None = 0,
) -> pd.DataFrame:
    """Coverage reached and its proven upper bound against the budget.

    The plan-level door to :func:`coverage.optimize.coverage_curve`: re-solves
    the plan's coverage matrix (same weights, existing sets fixed, one
    configuration per site) for each budget. Greedy (the default) is nested:
    the plan for a budget extends the plan for any smaller budget, so the
    curve is also a placement order. The plan's own objective is used at its
    budget where better, and its bound too when it was solved in one phase
    without quotas (the same problem); each bound is tightened by the bound that any
    known plan S gives at every budget b, ``f(S) + the b largest marginal
    gains w.r.t. S`` (one per site), and by the smallest bound at any larger
    budget (the optimum never falls as the budget rises).

    Parameters
    ----------
    plan
        A solved plan (its ``matrix`` and ``demand["weight"]`` are used).
    budgets
        Budgets to solve (ints >= 0; 0 is the existing sets alone). None:
        eleven budgets from 0 to twice the plan's, capped at the number of
        candidate sites.
    method, time_limit_s, gap_tol, rng
        Passed to ``max_coverage`` for each budget.

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``objective``, ``upper_bound``, ``gap``,
        ``weighted_coverage`` and ``upper_bound_coverage`` (the two as shares
        of the total demand weight), ``method``; sorted by budget.

    Raises
    ------
    coverage.errors.ParameterError
        A budget is negative or above the number of candidate sites.

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
    >>> c[["budget", "objective", "upper_bound"]].values.tolist()
    [[0.0, 0.0, 0.0], [1.0, 9.0, 9.0], [2.0, 18.0, 18.0], [4.0, 28.0, 30.0]]
    """
    cm = plan.matrix
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    options = {"method": method, "time_limit_s": time_limit_s, "gap_tol": gap_tol, "rng": rng}
    frame, selections = _solve_budgets(cm, w, _wanted_budgets(plan, budgets), options)
    # Every known plan S bounds every budget b: OPT(b) <= f(S) + the b largest gains w.r.t. S.
    qualities = [plan.demand["quality"].to_numpy(dtype=np.float64)]
    qualities += [best_cover(cm, np.concatenate([s, cm.fixed]))[0] for s in selections]
    budgets_arr = frame["budget"].to_numpy(dtype=np.int64)
    ub_now = np.array(frame["upper_bound"], dtype=float)
    for q in qualities:
        ub_now = np.minimum(ub_now, _gain_bounds(cm, w, q, budgets_arr))
    frame["upper_bound"] = ub_now
    frame["upper_bound"] = _with_plan_point(frame, plan)
    frame["gap"] = [
        relative_gap(o, u) for o, u in zip(frame["objective"], frame["upper_bound"], strict=True)
    ]
    total = float(w.sum())
    frame["weighted_coverage"] = frame["objective"] / total if total > 0 else 0.0
    frame["upper_bound_coverage"] = frame["upper_bound"] / total if total > 0 else 0.0
    return frame[_COLUMNS]


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


def _solve_budgets(
    cm: CoverageMatrix, w: NDArray[np.float64], wanted: list[int], options: dict[str, Any]
) -> tuple[pd.DataFrame, list[NDArray[np.int64]]]:
    """One row per budget (``budget``, ``objective``, ``upper_bound``, ``gap``, ``method``).

    Budget 0 is the existing sets alone; the others are solved by
    :func:`coverage.optimize.coverage_curve` with `options`. Also returns the
    rows chosen for each positive budget.
    """
    from coverage import optimize

    out: list[tuple[int, float, float, float, str]] = []
    if 0 in wanted:
        base = optimize.objective(cm.A, w, np.zeros(0, dtype=np.int64), cm.fixed)
        out.append((0, base, base, 0.0, "existing"))
    positive = [b for b in wanted if b > 0]
    selections: list[NDArray[np.int64]] = []
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
    if at.size and same_problem:
        ub[at[0]] = min(ub[at[0]], float(plan.upper_bound))
    ub = np.minimum.accumulate(ub[::-1])[::-1]
    out: NDArray[np.float64] = np.maximum(ub, frame["objective"].to_numpy(dtype=float))
    return out


def _gain_bounds(
    cm: CoverageMatrix,
    w: NDArray[np.float64],
    q: NDArray[np.float64],
    budgets: NDArray[np.int64],
) -> NDArray[np.float64]:
    """``f(S) + sum of the b largest marginal gains w.r.t. S`` (one per group) for each b.

    `q` is the best quality each demand point gets from a plan S (existing
    sets included). A proven bound on the optimum at budget b for any S
    (submodularity): the optimal b rows add at most their gains w.r.t. S,
    one row per group.
    """
    A = cm.A.tocsr()
    f_s = float(w @ q)
    col = A.indices
    gain_nz = np.maximum(A.data - q[col], 0.0) * w[col]
    gains = np.bincount(row_of_entries(A.indptr), weights=gain_nz, minlength=A.shape[0])
    gains[cm.fixed] = 0.0
    _, gid = np.unique(cm.groups, return_inverse=True)
    best = np.zeros(int(gid.max()) + 1 if gid.size else 0)
    np.maximum.at(best, gid.ravel(), gains)
    best[gid.ravel()[cm.fixed]] = 0.0  # a group with an installed set is closed
    top = np.r_[0.0, np.cumsum(np.sort(best)[::-1])]
    b = np.clip(budgets, 0, top.size - 1)
    out: NDArray[np.float64] = f_s + top[b]
    return out
