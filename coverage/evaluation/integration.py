"""What each owner's shared cameras are worth to a plan: coverage, new sets saved, key sets.

A police force that joins its cameras with those of the MTR or a government
department wants to know, before negotiating, what each partner's cameras add.
:func:`integration_value` answers it for every owner of existing sets, from the
plan's own coverage matrix (no geometry is recomputed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage._arrays import row_of_entries
from coverage._validate import check_number
from coverage.errors import InputError, ParameterError
from coverage.matrix import CoverageMatrix
from coverage.plan import Plan, Problem, best_cover, solve

__all__ = ["integration_value", "marginal_losses"]

_COLUMNS = [
    "owner",
    "existing_sets",
    "coverage_with",
    "coverage_without",
    "coverage_lost",
    "new_sets_saved_low",
    "new_sets_saved_high",
    "top_sets",
    "top_sets_lost",
]
#: Rounds of subgradient steps at the budget just below the first one the bound lets reach.
_ROUNDS = 12


def integration_value(  # noqa: PLR0913 - the problem and owners, then keyword-only options
    problem: Problem,
    owners: Sequence[str] | str | None = None,
    *,
    plan: Plan | None = None,
    top: int = 5,
    savings: bool = True,
    bound_iterations: int = 15,
    solves: int = 0,
    time_limit_s: float | None = None,
) -> pd.DataFrame:
    r"""Value of each owner's existing sets to the plan, if they are shared.

    For each owner ``o`` of existing sets (``scene.cameras["owner"]``: police,
    MTR, a department), with ``f(S)`` the covered demand weight of the sets
    ``S`` (the plan's objective, see :func:`coverage.optimize.max_coverage`),
    ``N`` the plan's new sets, ``E`` all existing sets used by the plan and
    ``E_o`` those of owner ``o``, ``W`` the total demand weight:

    * ``coverage_with = f(N ∪ E) / W``: the plan as solved, every owner's sets shared;
    * ``coverage_without = f(N ∪ (E \ E_o)) / W``: the *same* new sets, the
      owner's sets not shared (the plan is kept, not re-optimized: this is
      what is lost if a signed plan goes ahead without that partner);
      ``coverage_lost`` is the difference;
    * ``new_sets_saved_low`` / ``new_sets_saved_high``: how many fewer new sets
      an optimal plan needs to reach ``f(N ∪ E)`` with ``E_o`` shared than
      without, an interval with both ends proven. For the smallest budgets
      ``n_with``, ``n_without`` whose optimum reaches ``f(N ∪ E)`` with and
      without ``E_o``, ``L <= n <= H``: ``L`` is the first budget whose proven
      bound reaches it (the Lagrangian bound of
      :func:`coverage.evaluation.coverage_curve` at every budget at once, from
      gain-bound starts, lowered by subgradient steps), ``H`` the first at
      which a plan found (greedy, or the plan's new sets extended by greedy)
      does; ``H_with <= len(N)``. So ``n_without - n_with`` lies in
      ``[max(0, L_without - H_with), H_without - L_with]``; the high end is
      NaN when no plan on the candidate sites reaches it without ``E_o``.
      Budgets are unconstrained (no phases, no quotas).
    * ``top_sets``: labels (``scene.cameras`` index) of the owner's `top` sets
      with the largest marginal value, ``f(N ∪ E) - f(N ∪ E \ {e})``: the
      coverage lost if that one set alone were not shared (see
      :func:`marginal_losses`); ``top_sets_lost`` the matching shares of
      ``W``. Sets with no marginal value are not listed.

    Parameters
    ----------
    problem
        The planning problem (its scene's ``cameras`` layer has the owners).
    owners
        Owners to value, as written in ``scene.cameras["owner"]`` (a list, or
        one name); None: every owner of an existing set the plan uses, in
        sorted order.
    plan
        The plan solved for `problem`; None: ``solve(problem)``.
    top
        How many of an owner's sets to list in ``top_sets`` (an int >= 0).
    savings
        Compute the ``new_sets_saved`` interval (about 4 s on the sample city
        with 50 new sets); False: the two columns are NaN.
    bound_iterations
        Subgradient steps per round of the bounds: more, narrower intervals.
    solves, time_limit_s
        Optimizer runs (``problem.method``, each within `time_limit_s`) per
        end of each bracket, at budgets inside it: a run whose proven bound is
        below the coverage raises ``L``, one whose plan reaches it lowers
        ``H``: narrower intervals on large plans.

    Returns
    -------
    pandas.DataFrame
        One row per owner, the columns above (``existing_sets``: that owner's
        sets in the plan's matrix, indoor ones left out; shares of ``W``;
        ``top_sets`` and ``top_sets_lost`` tuples); ``attrs``: ``target``
        ``f(N ∪ E)`` and ``new_sets`` ``len(N)``.

    Raises
    ------
    coverage.errors.ParameterError
        An owner in `owners` has no existing set in the plan (the message
        lists those it has), or `top` or `solves` is negative.
    coverage.errors.InputError
        The plan was made by :func:`coverage.plan.assess` (no candidates).

    See Also
    --------
    coverage.evaluation.coverage_curve : the same bounds, at chosen budgets.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> cams = gpd.GeoDataFrame({"owner": ["MTR"], "heading_deg": [90.0], "cameras": [1]},
    ...                         geometry=[Point(0, 0)], crs=2326)
    >>> scene = cov.Scene(d, c, cameras=cams)
    >>> problem = cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy")
    >>> v = integration_value(problem)
    >>> v[["owner", "existing_sets", "coverage_with", "coverage_without"]].round(3).values.tolist()
    [['MTR', 1, 0.733, 0.6]]
    """
    top = int(check_number(top, "top", "integration_value", low=0, integer=True))
    solves = int(check_number(solves, "solves", "integration_value", low=0, integer=True))
    if plan is None:
        plan = solve(problem)
    if (plan.meta or {}).get("assessed"):
        msg = (
            "integration_value needs a plan made by coverage.solve (an assessed layout has no "
            "candidate sites to re-plan on); solve the problem, or pass plan=None."
        )
        raise InputError(msg)
    cm = plan.matrix
    owner_of = _row_owners(problem, cm)
    wanted = _wanted_owners(owners, owner_of)
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    total = float(w.sum())
    new_rows = _new_rows(plan)
    chosen = np.concatenate([new_rows, cm.fixed]).astype(np.int64)
    target = _value(cm, w, chosen)
    fixed_loss = marginal_losses(cm, w, chosen)[new_rows.size :]
    labels = problem.scene.cameras.index.to_numpy()
    rows_out: list[dict[str, Any]] = []
    how = {"iterations": bound_iterations, "solves": solves, "time_limit_s": time_limit_s}
    with_interval = _with_interval(plan, target, new_rows, problem, how) if savings else None
    for o in wanted:
        mine = owner_of == o
        without = _value(cm, w, np.concatenate([new_rows, cm.fixed[~mine]]).astype(np.int64))
        order = np.argsort(-fixed_loss[mine], kind="stable")
        order = order[fixed_loss[mine][order] > 0][:top]
        saved = (np.nan, np.nan)
        if with_interval is not None:
            saved = _saved(plan, cm.fixed[mine], (new_rows, target), with_interval, problem, how)
        share = 1.0 / total if total > 0 else 0.0
        rows_out.append(
            {
                "owner": o,
                "existing_sets": int(mine.sum()),
                "coverage_with": target * share,
                "coverage_without": without * share,
                "coverage_lost": (target - without) * share,
                "new_sets_saved_low": saved[0],
                "new_sets_saved_high": saved[1],
                "top_sets": tuple(labels[cm.existing[cm.fixed[mine][order]]].tolist()),
                "top_sets_lost": tuple(float(x * share) for x in fixed_loss[mine][order]),
            }
        )
    frame = pd.DataFrame(rows_out, columns=_COLUMNS)
    frame.attrs.update(target=target, new_sets=int(new_rows.size))
    return frame


def _wanted_owners(owners: Sequence[str] | str | None, owner_of: NDArray[np.str_]) -> list[str]:
    """Return the owners to value: all of the plan's (sorted), or the given ones, checked."""
    known = sorted(set(owner_of.tolist()))
    if isinstance(owners, str):  # one owner given as text, not its letters
        owners = [owners]
    wanted = known if owners is None else [str(o) for o in owners]
    unknown = [o for o in wanted if o not in known]
    if unknown:
        msg = (
            f"The 'owners' parameter of integration_value names owner(s) {unknown[:5]} with no "
            f"existing set in the plan; its existing sets belong to {known[:20]} "
            "(scene.cameras['owner'])."
        )
        raise ParameterError(msg)
    return wanted


def marginal_losses(
    cm: CoverageMatrix, weights: NDArray[np.float64], rows: Sequence[int] | NDArray[np.int64]
) -> NDArray[np.float64]:
    """Covered weight lost by taking each one of `rows` away, the others kept.

    ``loss[k] = f(rows) - f(rows without rows[k])``, with ``f`` the covered
    weight ``sum_j w_j max_i A[i, j]``. Computed for every row at once from
    each demand point's best and second-best quality among `rows` (a point
    seen equally well by two rows loses nothing when one goes).

    Parameters
    ----------
    cm
        A coverage matrix.
    weights
        Demand weights, one per column.
    rows
        The rows in place (indices into ``cm.A``, distinct).

    Returns
    -------
    numpy.ndarray
        One loss per row of `rows`, in that order (>= 0).

    Examples
    --------
    >>> from scipy.sparse import csr_array
    >>> from coverage.matrix import CoverageMatrix
    >>> A = csr_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.5]]))
    >>> z = np.zeros(2, dtype=np.int64)
    >>> cm = CoverageMatrix(A, z, z, z, np.zeros((2, 1)), np.zeros(0, np.int64), np.arange(2))
    >>> marginal_losses(cm, np.array([1.0, 1.0, 2.0]), [0, 1]).tolist()
    [1.0, 1.0]
    """
    rows = np.asarray(rows, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    out = np.zeros(rows.size)
    if rows.size == 0:
        return out
    sub = cm.A[rows].tocsc()
    if sub.nnz == 0:
        return out
    col = row_of_entries(sub.indptr)
    data, r = sub.data, sub.indices
    order = np.lexsort((r, -data, col))  # by column, best first
    c, d, rr = col[order], data[order], r[order]
    first = np.r_[True, c[1:] != c[:-1]]
    starts = np.flatnonzero(first)
    second = np.zeros(starts.size)
    has_second = np.r_[starts[1:], c.size] - starts > 1
    second[has_second] = d[starts[has_second] + 1]
    gain = w[c[starts]] * (d[starts] - second)
    np.add.at(out, rr[starts], gain)
    return out


def _without_rows(cm: CoverageMatrix, drop: Sequence[int] | NDArray[np.int64]) -> CoverageMatrix:
    """Take the rows `drop` out of a coverage matrix (index arrays renumbered).

    Used to value existing sets: without an owner's rows, those sets neither
    cover nor can be chosen.

    Examples
    --------
    >>> from scipy.sparse import csr_array
    >>> from coverage.matrix import CoverageMatrix
    >>> A = csr_array(np.eye(3))
    >>> i = np.arange(3, dtype=np.int64)
    >>> cm = CoverageMatrix(A, i, i, i, np.zeros((3, 1)), np.array([2]), i)
    >>> out = _without_rows(cm, [1])
    >>> out.A.shape, out.fixed.tolist()
    ((2, 3), [1])
    """
    from scipy.sparse import csr_array

    n = cm.A.shape[0]
    keep = np.ones(n, dtype=bool)
    keep[np.asarray(drop, dtype=np.int64)] = False
    new_index = np.cumsum(keep) - 1
    fixed = np.asarray(cm.fixed, dtype=np.int64)
    return replace(
        cm,
        A=csr_array(cm.A[np.flatnonzero(keep)]),
        site=cm.site[keep],
        existing=cm.existing[keep],
        rotation=cm.rotation[keep],
        headings_deg=cm.headings_deg[keep],
        fixed=new_index[fixed[keep[fixed]]].astype(np.int64),
        groups=cm.groups[keep],
    )


# --------------------------------------------------------------------------- helpers
def _row_owners(problem: Problem, cm: CoverageMatrix) -> NDArray[np.str_]:
    """Owner (text) of each fixed row of the plan's matrix."""
    cams = problem.scene.cameras
    if len(cm.fixed) and int(cm.existing[cm.fixed].max()) >= len(cams):
        msg = (
            "The plan's existing sets are not the problem's scene.cameras (more rows than the "
            "layer has); pass the problem the plan was solved for."
        )
        raise InputError(msg)
    owners = cams["owner"].fillna("").astype(str).to_numpy() if len(cams) else np.zeros(0, str)
    out: NDArray[np.str_] = np.asarray(owners[cm.existing[cm.fixed]], dtype=str)
    return out


def _new_rows(plan: Plan) -> NDArray[np.int64]:
    """Matrix rows of the plan's new sets (by site and first heading)."""
    from coverage.evaluation.curve import _plan_rows

    if len(plan.new_cameras) == 0:
        return np.zeros(0, dtype=np.int64)
    rows = _plan_rows(plan)
    if rows is None:
        msg = "The plan's new sets are not rows of its coverage matrix; solve the problem again."
        raise InputError(msg)
    return rows


def _value(cm: CoverageMatrix, w: NDArray[np.float64], rows: NDArray[np.int64]) -> float:
    return float(np.sum(w * best_cover(cm, rows)[0]))


def _open_sites(cm: CoverageMatrix) -> int:
    return int(np.unique(cm.groups[cm.site >= 0]).size)


def _reach(  # noqa: PLR0913 - internal: the matrix, the target, then keyword-only options
    cm: CoverageMatrix,
    w: NDArray[np.float64],
    target: float,
    *,
    top: int,
    known: Sequence[NDArray[np.int64]],
    iterations: int,
    seed: NDArray[np.int64] | None = None,
) -> tuple[int | None, int | None]:
    """``(L, H)`` for reaching `target` with new rows of `cm` (budgets up to ``cap`` sites).

    ``L``: the smallest budget whose proven bound reaches `target` (no plan
    with fewer new rows does); ``H``: the smallest budget at which a greedy
    prefix reaches it. None when no budget up to the number of open sites
    does. The bounds are those of :func:`coverage.evaluation.coverage_curve`
    (:mod:`coverage.evaluation._bounds`: the Lagrangian bound at every budget at
    once, started from the gain bounds of the `known` row sets and of greedy
    prefixes, lowered by `iterations` subgradient steps at the budget just
    below ``L``), made monotone in the budget. The greedy run is extended by
    doubling its budget from `top` until it reaches `target` or every site;
    `seed` (the plan's new rows) extended by greedy may reach it sooner.
    """
    from coverage.evaluation._bounds import BoundCore
    from coverage.optimize import max_coverage

    cap = _open_sites(cm)
    fixed = np.asarray(cm.fixed, dtype=np.int64)
    tol = 1e-9 * max(1.0, abs(target))
    core = BoundCore.build(cm.A, w, groups=cm.groups, fixed=fixed)
    top = min(max(top, 1), cap)
    while True:
        greedy = max_coverage(cm.A, w, budget=top, groups=cm.groups, fixed=fixed, method="greedy")
        order = np.asarray(greedy.selected, dtype=np.int64)
        prefix = _value(cm, w, fixed) + np.r_[0.0, np.cumsum(greedy.gains)]
        if prefix[-1] >= target - tol or top >= cap or order.size < top:
            break
        top = min(cap, 2 * top)
    budgets = np.arange(cap + 1, dtype=np.int64)
    cuts = np.unique(np.linspace(0, order.size, 9).round().astype(np.int64))
    sets = [*known, *(np.concatenate([order[:k], fixed]) for k in cuts)]
    starts = [core.multipliers(best_cover(cm, rows)[0]) for rows in sets]
    values = np.array([core.bounds(lam, budgets) for lam in starts])
    ub = np.minimum.accumulate(values.min(axis=0)[::-1])[::-1]
    reach_low = np.flatnonzero(ub >= target - tol)
    low = int(reach_low[0]) if reach_low.size else None
    for _ in range(_ROUNDS):  # lower the bound just below L: each round may prove L higher
        if low is None or low == 0:
            break
        b = low - 1
        best = int(np.argmin(values[:, b]))  # chained: each round starts where the last ended
        lam = core.descend(starts[best], b, float(prefix[min(b, order.size)]), iterations)
        starts.append(lam)
        values = np.vstack([values, core.bounds(lam, budgets)])
        ub = np.minimum.accumulate(np.minimum(ub, values[-1])[::-1])[::-1]
        low = int(np.flatnonzero(ub >= target - tol)[0])
    reach_high = np.flatnonzero(prefix >= target - tol)
    high = int(reach_high[0]) if reach_high.size else None
    if high is not None:  # recomputed from the rows, never taken from the gains alone
        value = _value(cm, w, np.concatenate([order[:high], fixed]))
        high = high if value >= target - tol else None
    if seed is not None and (high is None or high > seed.size):
        extended = _extend(cm, w, seed, target, cap)
        if extended is not None and (high is None or extended < high):
            high = extended
    return low, high


def _extend(
    cm: CoverageMatrix, w: NDArray[np.float64], seed: NDArray[np.int64], target: float, cap: int
) -> int | None:
    """Fewest rows `seed` plus a greedy extension needs to reach `target` (None: never).

    The plan's own new sets extended by greedy, the way the coverage curve's
    "plan order" extends them: often fewer sets than greedy from scratch.
    """
    from coverage.optimize import max_coverage

    tol = 1e-9 * max(1.0, abs(target))
    base = np.concatenate([seed, cm.fixed]).astype(np.int64)
    start = _value(cm, w, base)
    if start >= target - tol:
        return int(seed.size)
    room = cap - int(np.unique(cm.groups[seed]).size)
    extra = min(max(seed.size, 1), room)
    while extra > 0:
        more = max_coverage(cm.A, w, budget=extra, groups=cm.groups, fixed=base, method="greedy")
        prefix = start + np.cumsum(more.gains)
        hit = np.flatnonzero(prefix >= target - tol)
        if hit.size:
            k = int(hit[0]) + 1
            rows = np.concatenate([base, np.asarray(more.selected[:k], dtype=np.int64)])
            return int(seed.size) + k if _value(cm, w, rows) >= target - tol else None
        if extra >= room or len(more.selected) < extra:
            return None
        extra = min(room, 2 * extra)
    return None


def _with_interval(
    plan: Plan,
    target: float,
    new_rows: NDArray[np.int64],
    problem: Problem,
    how: dict[str, Any],
) -> tuple[int, int]:
    """``(L_with, H_with)``: proven bracket of the smallest budget reaching `target`."""
    cm = plan.matrix
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    b = int(new_rows.size)
    known = [np.concatenate([new_rows, cm.fixed]).astype(np.int64)]
    low, high = _reach(cm, w, target, top=b, known=known, iterations=how["iterations"])
    low, high = (b if low is None else min(low, b)), (b if high is None else min(high, b))
    return _refine(cm, w, target, (low, high), problem, how)


def _saved(
    plan: Plan,
    drop: NDArray[np.int64],
    new: tuple[NDArray[np.int64], float],
    with_interval: tuple[int, int],
    problem: Problem,
    how: dict[str, Any],
) -> tuple[float, float]:
    """Bound the new sets saved by sharing the rows `drop` (see integration_value)."""
    new_rows, target = new
    keep = np.ones(plan.matrix.A.shape[0], dtype=bool)
    keep[drop] = False
    renumber = np.cumsum(keep) - 1
    cm = _without_rows(plan.matrix, drop)
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    kept = np.concatenate([renumber[new_rows], cm.fixed]).astype(np.int64)
    start = new_rows.size + drop.size  # replacing each set by a new one: a first guess
    seed = renumber[new_rows].astype(np.int64)
    low, high = _reach(
        cm, w, target, top=start, known=[kept], iterations=how["iterations"], seed=seed
    )
    low_with, high_with = with_interval
    if low is None:  # even every site together stays below: no new plan replaces these sets
        return float(max(0, _open_sites(cm) + 1 - high_with)), float("nan")
    if high is not None:
        low, high = _refine(cm, w, target, (low, high), problem, how)
    saved_high = float("nan") if high is None else float(high - low_with)
    return float(max(0, low - high_with)), saved_high


def _refine(
    cm: CoverageMatrix,
    w: NDArray[np.float64],
    target: float,
    bracket: tuple[int, int],
    problem: Problem,
    how: dict[str, Any],
) -> tuple[int, int]:
    """Narrow ``[L, H]`` with up to ``2 * solves`` optimizer runs at budgets inside it.

    A run at budget ``b`` whose proven upper bound is below `target` proves
    ``n > b`` (``L = b + 1``); one whose plan reaches `target` gives ``H = b``;
    otherwise ``b`` stays undecided and the next runs look on either side of it.
    """
    from coverage.optimize import max_coverage

    low, high = bracket
    tol = 1e-9 * max(1.0, abs(target))
    undecided: list[int] = []
    for _ in range(2 * int(how["solves"])):
        sides = [
            (low, min(undecided, default=high) - 1),
            (max(undecided, default=low - 1) + 1, high - 1),
        ]
        sides = [(a, b) for a, b in sides if a <= b]
        if not sides:
            break
        a, b = max(sides, key=lambda ab: ab[1] - ab[0])
        mid = (a + b + 1) // 2
        if mid < 1:  # budget 0: the existing sets alone, no run needed
            if _value(cm, w, cm.fixed) >= target - tol:
                high = 0
            else:
                low = max(low, 1)
            continue
        sol = max_coverage(
            cm.A,
            w,
            budget=mid,
            groups=cm.groups,
            fixed=cm.fixed,
            method=problem.method,
            time_limit_s=how["time_limit_s"],
            gap_tol=problem.gap_tol,
            rng=problem.rng,
        )
        if float(sol.upper_bound) < target - tol:
            low = mid + 1
        elif (
            _value(cm, w, np.concatenate([sol.selected, cm.fixed]).astype(np.int64)) >= target - tol
        ):
            high = mid
        else:
            undecided.append(mid)
        undecided = [u for u in undecided if low <= u < high]
    return low, high
