"""The road to a total: yearly budgets, each year nested in the next, and when a target is reached.

A programme that installs "2,000 sets a year until 7,000" asks what each year
buys and in which year coverage first reaches a target. :func:`roadmap` solves
the years as the phases of one plan (year 2 keeps year 1's sets, see
``Problem(budget=(..., ...))``) and puts a proven upper bound beside each year's
coverage; :func:`reach_year` reads the year a target is reached off those
numbers, saying "unknown" where the bounds leave it open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from coverage._arrays import relative_gap
from coverage._validate import check_number
from coverage.errors import ParameterError
from coverage.plan import Plan, Problem, solve

__all__ = ["Reach", "Roadmap", "check_total_sets", "reach_year", "roadmap"]

_COLUMNS = [
    "year",
    "budget",
    "new_sets",
    "sets_total",
    "objective",
    "upper_bound",
    "upper_bound_any",
    "gap",
    "coverage",
    "upper_bound_coverage",
    "method",
]


@dataclass(frozen=True)
class Reach:
    """When coverage first reaches a target, as far as the proven numbers tell.

    Attributes
    ----------
    target_share
        The target, a share of the total demand weight.
    status
        ``"reached"`` (a year's plan reaches it), ``"not reached"`` (every
        year's proven bound is below it: no choice of that year's sets, given
        the years before, reaches it) or ``"unknown"`` (no year's plan reaches
        it, but a bound is above it).
    year
        The first year whose plan reaches the target (None unless reached).
    earliest_possible
        The first year whose proven bound reaches the target (None if none
        does): no year before it can reach it.
    text
        One sentence saying the above.
    """

    target_share: float
    status: str
    year: Any
    earliest_possible: Any
    text: str


@dataclass(frozen=True, eq=False)  # holds a Plan: compare by identity
class Roadmap:
    """A plan in yearly steps towards a total, with the proven bound of every year.

    Attributes
    ----------
    plan
        The phased plan: phase ``k`` is year ``k`` (``plan.cameras["phase"]``).
    years
        One row per year: ``year`` (the label), ``budget`` (sets asked for),
        ``new_sets`` (placed), ``sets_total`` (existing + new up to that year),
        ``objective`` (covered weight after that year), ``upper_bound`` (a
        proven bound on the best that year could reach given the earlier
        years' sets: the smaller of the phase's own bound and
        ``upper_bound_any``), ``upper_bound_any`` (a proven bound on the best
        any placement of as many new sets could reach, from
        :func:`coverage.evaluation.coverage_curve`), ``gap``, ``coverage`` and
        ``upper_bound_coverage`` (shares of the total demand weight),
        ``method``.
    reach
        When the target is reached (None without a target).
    total_weight
        Total demand weight (the denominator of the shares).
    """

    plan: Plan = field(repr=False)
    years: pd.DataFrame
    reach: Reach | None
    total_weight: float


def roadmap(  # noqa: PLR0913 - the problem and budgets, then keyword-only options
    problem: Problem,
    years: Sequence[int],
    *,
    labels: Sequence[Any] | None = None,
    target_share: float | None = None,
    total_sets: int | None = None,
    plan: Plan | None = None,
    bound_iterations: int = 15,
) -> Roadmap:
    """Plan yearly budgets, each year nested in the next, with a proven bound per year.

    Parameters
    ----------
    problem
        The planning problem; its ``budget`` is replaced by `years`.
    years
        New sets per year, e.g. ``[2000, 2000, 2388]`` (ints >= 1).
    labels
        A label per year (``[2025, 2026, 2027]``); None: 1, 2, ...
    target_share
        A coverage target (a share of the total demand weight in (0, 1]):
        the year it is first reached goes in :attr:`Roadmap.reach`.
    total_sets
        The programme's total (existing + new sets), e.g. 7000: checked
        against the existing sets plus `years`, so a budget that does not add
        up is refused rather than planned.
    plan
        The phased plan already solved for these years (its phase budgets must
        be `years`); None: ``solve(replace(problem, budget=tuple(years)))``.
    bound_iterations
        Subgradient steps for ``upper_bound_any`` (see
        :func:`coverage.evaluation.coverage_curve`).

    Returns
    -------
    Roadmap

    Raises
    ------
    coverage.errors.ParameterError
        A year's budget is not an int >= 1, `labels` has another length or
        repeats a label, `target_share` is outside (0, 1], `total_sets` does
        not add up (the message gives the last year's budget that would), or
        `plan`'s phases are not `years`.

    Notes
    -----
    Year ``k``'s sets are chosen given years ``1..k-1`` (a nested plan, as it
    is built). Its ``upper_bound`` is proven for that question, and
    ``upper_bound_any`` for any placement of ``b_1 + ... + b_k`` new sets; the
    first is the smaller or equal. See :func:`reach_year` for the target.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> problem = cov.Problem(cov.Scene(d, c), cov.CameraSet(), method="greedy")
    >>> r = roadmap(problem, [1, 1, 2], labels=[2025, 2026, 2027], target_share=0.5)
    >>> r.years["sets_total"].tolist()
    [1, 2, 4]
    >>> r.reach.status, r.reach.year
    ('reached', 2026)
    >>> r.reach.text
    'Coverage first reaches 50.0% in 2026 (proven: 2025 cannot, its bound is 30.0%).'
    """
    budgets = _check_years(years)
    names = _check_labels(labels, len(budgets))
    if target_share is not None:
        target_share = float(
            check_number(target_share, "target_share", "roadmap", low=0, low_open=True, high=1)
        )
    n_existing = int(problem.scene.cameras.shape[0])
    if total_sets is not None:
        check_total_sets(total_sets, n_existing, budgets)
    if plan is None:
        plan = solve(replace(problem, budget=tuple(budgets)))
    phases = plan.phases
    got = [int(b) for b in phases["budget"]] if len(phases) else [len(plan.new_cameras)]
    if got != budgets:
        msg = (
            f"The 'plan' parameter of roadmap was solved with phase budgets {got}, not the "
            f"years' {budgets}; pass plan=None to solve the years."
        )
        raise ParameterError(msg)
    table = _year_table(plan, budgets, names, bound_iterations)
    total = float(plan.demand["weight"].sum())
    reach = None
    if target_share is not None:
        reach = reach_year(
            names, table["coverage"].tolist(), table["upper_bound_coverage"].tolist(), target_share
        )
    return Roadmap(plan=plan, years=table, reach=reach, total_weight=total)


def reach_year(
    years: Sequence[Any],
    coverage: Sequence[float],
    upper_bound: Sequence[float],
    target_share: float,
) -> Reach:
    """Find the first year coverage reaches a target, honestly, from plans and proven bounds.

    Parameters
    ----------
    years
        Year labels, in order.
    coverage
        Coverage reached by the plan after each year (shares).
    upper_bound
        A proven upper bound on each year's coverage (shares, >= coverage).
    target_share
        The target share.

    Returns
    -------
    Reach
        ``"reached"`` in the first year the plan reaches the target;
        otherwise ``"not reached"`` when every year's bound is below it and
        ``"unknown"`` when some bound is at or above it.

    Examples
    --------
    >>> reach_year([2025, 2026], [0.3, 0.52], [0.35, 0.6], 0.5).text
    'Coverage first reaches 50.0% in 2026 (proven: 2025 cannot, its bound is 35.0%).'
    >>> reach_year([2025, 2026], [0.3, 0.45], [0.35, 0.55], 0.5).status
    'unknown'
    >>> reach_year([2025, 2026], [0.3, 0.45], [0.35, 0.48], 0.5).text
    'Coverage does not reach 50.0% within the plan (proven: the bound after 2026 is 48.0%).'
    """
    cov = np.asarray(coverage, dtype=float)
    ub = np.asarray(upper_bound, dtype=float)
    if not (len(years) == cov.size == ub.size):
        msg = "reach_year needs one coverage and one upper bound per year."
        raise ParameterError(msg)
    tol = 1e-12
    reached = np.flatnonzero(cov >= target_share - tol)
    possible = np.flatnonzero(ub >= target_share - tol)
    earliest = years[int(possible[0])] if possible.size else None
    t = f"{target_share:.1%}"
    if reached.size:
        k = int(reached[0])
        year = years[k]
        if possible[0] == k:
            before = (
                f" (proven: {years[k - 1]} cannot, its bound is {ub[k - 1]:.1%})" if k > 0 else ""
            )
            text = f"Coverage first reaches {t} in {year}{before}."
        else:
            text = (
                f"Coverage reaches {t} in {year}; it might in {earliest} already (the bound is "
                f"{ub[int(possible[0])]:.1%}, the plan {cov[int(possible[0])]:.1%}): unknown."
            )
        return Reach(target_share, "reached", year, earliest, text)
    if possible.size:
        k = int(possible[0])
        text = (
            f"Unknown whether coverage reaches {t} within the plan: the bound is above it from "
            f"{years[k]} ({ub[k]:.1%}) but the plan stays below ({cov[-1]:.1%} after {years[-1]})."
        )
        return Reach(target_share, "unknown", None, earliest, text)
    text = (
        f"Coverage does not reach {t} within the plan (proven: the bound after {years[-1]} "
        f"is {ub[-1]:.1%})."
    )
    return Reach(target_share, "not reached", None, None, text)


# --------------------------------------------------------------------------- helpers
def _check_years(years: Any) -> list[int]:
    if isinstance(years, str | bytes) or not isinstance(years, Sequence) or len(years) == 0:
        msg = (
            "The 'years' parameter of roadmap must be a non-empty list of new sets per year, "
            f"e.g. [2000, 2000, 2388]. Got {years!r} instead."
        )
        raise ParameterError(msg)
    return [
        int(check_number(b, f"years[{i}]", "roadmap", low=1, integer=True))
        for i, b in enumerate(years)
    ]


def _check_labels(labels: Sequence[Any] | None, n: int) -> list[Any]:
    if labels is None:
        return list(range(1, n + 1))
    names = list(labels)
    if len(names) != n or len({str(x) for x in names}) != n:
        msg = (
            f"The 'labels' parameter of roadmap must give {n} distinct labels, one per year. "
            f"Got {names!r} instead."
        )
        raise ParameterError(msg)
    return names


def check_total_sets(total_sets: Any, n_existing: int, years: Sequence[int]) -> None:
    """Check that the existing sets plus the years' new sets make the programme's total.

    Raises
    ------
    coverage.errors.ParameterError
        They do not; the message gives the last year's budget that would.

    Examples
    --------
    >>> check_total_sets(7000, 612, [2000, 2000, 2388])
    >>> check_total_sets(7000, 624, [2000, 2000, 2388])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage.errors.ParameterError: The 'total_sets' ... make the last year 2,376.
    """
    budgets = [int(b) for b in years]
    total = int(check_number(total_sets, "total_sets", "roadmap", low=1, integer=True))
    planned = n_existing + sum(budgets)
    if planned != total:
        last = total - n_existing - sum(budgets[:-1])
        fix = (
            f"make the last year {last:,}"
            if last >= 1
            else "lower the earlier years or raise the total"
        )
        msg = (
            f"The 'total_sets' parameter of roadmap is {total:,}, but the {n_existing:,} "
            f"existing sets (scene.cameras) plus the years {budgets} make {planned:,}; {fix}."
        )
        raise ParameterError(msg)


def _year_table(
    plan: Plan, budgets: list[int], names: list[Any], bound_iterations: int
) -> pd.DataFrame:
    """One row per year: coverage, the two proven bounds, gap (see :class:`Roadmap`)."""
    from coverage.evaluation.curve import coverage_curve

    n_existing = int((plan.cameras["status"] == "existing").sum())
    phases = plan.phases
    if len(phases) == 0:  # a one-phase plan solved without the phase table
        phases = pd.DataFrame(
            [
                {
                    "objective": plan.objective,
                    "upper_bound": plan.upper_bound,
                    "method": plan.solution.method,
                }
            ]
        )
    new_per_year = [int((plan.cameras["phase"] == k).sum()) for k in range(1, len(budgets) + 1)]
    cumulative = np.cumsum(new_per_year)
    curve = coverage_curve(
        plan, sorted(set(cumulative.tolist())), bound_iterations=bound_iterations
    )
    any_ub = dict(zip(curve["budget"], curve["upper_bound"], strict=True))
    total = float(plan.demand["weight"].sum())
    rows = []
    for k, name in enumerate(names):
        obj = float(phases["objective"].iloc[k])
        ub_any = float(any_ub[int(cumulative[k])])
        ub = max(min(float(phases["upper_bound"].iloc[k]), ub_any), obj)
        rows.append(
            {
                "year": name,
                "budget": budgets[k],
                "new_sets": new_per_year[k],
                "sets_total": n_existing + int(cumulative[k]),
                "objective": obj,
                "upper_bound": ub,
                "upper_bound_any": max(ub_any, obj),
                "gap": relative_gap(obj, ub),
                "coverage": obj / total if total > 0 else 0.0,
                "upper_bound_coverage": ub / total if total > 0 else 0.0,
                "method": str(phases["method"].iloc[k]),
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)
