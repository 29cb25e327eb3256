"""Geometry-free solvers for quality-valued maximum coverage.

The core of :mod:`coverage`: it sees a sparse matrix ``A`` (configurations ×
demand points, quality values in (0, 1]), demand weights and a few index
arrays, never a geometry.

The model
---------
Choose a set ``S`` of at most ``budget`` rows of ``A`` (at most one per group)
that maximizes

.. math:: f(S) = \\sum_j w_j \\max_{i \\in S \\cup F} A_{ij}

where ``F`` are the rows already installed (``fixed``): they count toward the
coverage and not toward the budget.  Every :class:`Solution` carries
``objective`` (recomputed from ``selected``), ``upper_bound`` (a proven bound
on the optimum) and ``gap = (upper_bound - objective) / upper_bound``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse import csr_array

from coverage.optimize._constraints import Constraints
from coverage.optimize._core import Core, build_core
from coverage.optimize._solve_max import order_plan, solve_core
from coverage._validate import check_choice, check_number
from coverage.errors import InputError, ParameterError, SolverError

__all__ = [
    "CoverageCurve",
    "Progress",
    "Solution",
    "TracePoint",
    "coverage_curve",
    "is_feasible",
    "max_coverage",
    "objective",
    "plan_phases",
]

SeedLike = int | np.random.Generator | None
METHODS = ("auto", "greedy", "local", "exact")
#: Wall-time limits used when ``time_limit_s`` is None.
_DEFAULT_LIMIT_S = {"auto": 60.0, "greedy": np.inf, "local": 30.0, "exact": 300.0}


class TracePoint(NamedTuple):
    """One point of a solver's history: the best plan and bound at a time."""

    time_s: float
    objective: float
    upper_bound: float
    stage: str


class Progress(NamedTuple):
    """What a ``progress`` callback receives (for progress bars)."""

    stage: str
    done: int
    total: int
    objective: float
    upper_bound: float
    elapsed_s: float


@dataclass(frozen=True, eq=False)
class Solution:
    """The result of :func:`max_coverage`.

    Attributes
    ----------
    selected
        int64 row indices chosen, in the order chosen (fixed rows excluded).
    gains
        float64 marginal gain of each selected row, in that order, on top of
        the fixed rows and the rows chosen before it.
    objective
        Covered weight of ``selected`` ∪ ``fixed``, recomputed from ``selected``.
    upper_bound
        A proven upper bound on the optimum (never an estimate).
    gap
        ``(upper_bound - objective) / upper_bound`` (0 when the bound is 0).
    method
        The method that produced ``selected`` (e.g. ``"greedy"``).
    trace
        Tuple of :class:`TracePoint`: objective and bound over time.
    bound_method
        Which computation gave ``upper_bound``.
    elapsed_s
        Wall time of the call.
    info
        Solver details (counts, timings), for logs and benchmarks.
    """

    selected: NDArray[np.int64]
    gains: NDArray[np.float64]
    objective: float
    upper_bound: float
    gap: float
    method: str
    trace: tuple[TracePoint, ...]
    bound_method: str = ""
    elapsed_s: float = 0.0
    info: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return (
            f"Solution(n_selected={self.selected.size}, objective={self.objective:.6g}, "
            f"upper_bound={self.upper_bound:.6g}, gap={self.gap:.3%}, method={self.method!r})"
        )


# --------------------------------------------------------------------------- validation


def _as_csr(A: Any, owner: str = "max_coverage") -> csr_array:
    if sparse.issparse(A):
        M = csr_array(A, dtype=np.float64)
    else:
        try:
            dense = np.asarray(A, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"The 'A' parameter of {owner} must be a 2-D sparse matrix or array. {exc}"
            raise InputError(msg) from exc
        if dense.ndim != 2:
            msg = (
                f"The 'A' parameter of {owner} must be 2-D (configurations × demand points). "
                f"Got an array of shape {dense.shape} instead."
            )
            raise InputError(msg)
        M = csr_array(dense)
    if M.ndim != 2:  # pragma: no cover - scipy sparse arrays are 2-D here
        msg = f"The 'A' parameter of {owner} must be 2-D."
        raise InputError(msg)
    M = M.copy()
    M.sum_duplicates()
    M.eliminate_zeros()
    bad = ~np.isfinite(M.data) | (M.data < 0) | (M.data > 1)
    if bad.any():
        rows = np.unique(np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))[bad])
        msg = (
            f"The 'A' parameter of {owner} must hold coverage qualities in [0, 1]; "
            f"{int(bad.sum())} value(s) are negative, above 1 or not finite "
            f"(rows {rows[:5].tolist()}{'…' if rows.size > 5 else ''})."
        )
        raise InputError(msg)
    M.indices = M.indices.astype(np.int64, copy=False)
    M.indptr = M.indptr.astype(np.int64, copy=False)
    M.has_sorted_indices = False
    M.sort_indices()
    return M


def _as_weights(weights: ArrayLike, m: int, owner: str = "max_coverage") -> NDArray[np.float64]:
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"The 'weights' parameter of {owner} must be numeric. {exc}"
        raise InputError(msg) from exc
    if w.ndim != 1 or w.size != m:
        msg = (
            f"The 'weights' parameter of {owner} must be 1-D with one value per demand point "
            f"(column of A, {m}). Got shape {w.shape} instead."
        )
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        msg = (
            f"The 'weights' parameter of {owner}: {bad.size} value(s) are negative or NaN "
            f"(positions {bad[:5].tolist()}{'…' if bad.size > 5 else ''}). "
            "Weights must be finite and >= 0."
        )
        raise InputError(msg)
    return w


def _as_index(
    values: ArrayLike | None, n: int, name: str, owner: str = "max_coverage"
) -> NDArray[np.int64]:
    if values is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        msg = f"The {name!r} parameter of {owner} must be a 1-D array of row indices (ints)."
        raise InputError(msg)
    arr = arr.astype(np.int64)
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        msg = (
            f"The {name!r} parameter of {owner} holds row indices outside [0, {n}): "
            f"{bad[:5].tolist()}."
        )
        raise InputError(msg)
    return arr


def _as_groups(
    groups: ArrayLike | None, n: int, owner: str = "max_coverage"
) -> tuple[NDArray[np.int64] | None, int]:
    if groups is None:
        return None, n
    g = np.asarray(groups)
    if g.ndim != 1 or g.size != n:
        msg = (
            f"The 'groups' parameter of {owner} must be 1-D with one group id per row of A "
            f"({n}). Got shape {g.shape} instead."
        )
        raise InputError(msg)
    _, ids = np.unique(g, return_inverse=True)
    ids = ids.astype(np.int64).ravel()
    return ids, int(ids.max()) + 1 if ids.size else 0


def _core_rows_count(n: int, fx: NDArray[np.int64]) -> int:
    """Largest count budget (every selectable row)."""
    return max(1, n - fx.size)


def _as_costs(costs: ArrayLike, n: int, owner: str) -> NDArray[np.float64]:
    c = np.asarray(costs, dtype=np.float64)
    if c.ndim != 1 or c.size != n:
        msg = (
            f"The 'costs' parameter of {owner} must be 1-D with one cost per row of A ({n}). "
            f"Got shape {c.shape} instead."
        )
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(c) | (c <= 0))
    if bad.size:
        msg = (
            f"The 'costs' parameter of {owner}: {bad.size} value(s) are not finite and > 0 "
            f"(rows {bad[:5].tolist()}{'…' if bad.size > 5 else ''})."
        )
        raise InputError(msg)
    return c


def _as_quotas(
    labels: ArrayLike | None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None,
    n: int,
    owner: str,
) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None, NDArray[np.int64] | None]:
    if quotas is None or len(quotas) == 0:
        return None, None, None
    if labels is None:
        msg = f"The 'quotas' parameter of {owner} needs 'labels' (one label per row of A)."
        raise InputError(msg)
    lab = np.asarray(labels, dtype=object)
    if lab.ndim != 1 or lab.size != n:
        msg = (
            f"The 'labels' parameter of {owner} must be 1-D with one label per row of A ({n}). "
            f"Got shape {lab.shape} instead."
        )
        raise InputError(msg)
    keys = list(quotas)
    ids = np.full(n, -1, dtype=np.int64)
    qmin = np.zeros(len(keys), dtype=np.int64)
    qmax = np.zeros(len(keys), dtype=np.int64)
    for t, key in enumerate(keys):
        pair = quotas[key]
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            msg = f"The 'quotas' entry {key!r} of {owner} must be a (min, max) pair. Got {pair!r}."
            raise InputError(msg)
        lo, hi = pair
        lo = (
            0 if lo is None else check_number(lo, f"quotas[{key!r}][0]", owner, low=0, integer=True)
        )
        hi = (
            n if hi is None else check_number(hi, f"quotas[{key!r}][1]", owner, low=0, integer=True)
        )
        if lo > hi:
            msg = f"The 'quotas' entry {key!r} of {owner} has min {lo} > max {hi}."
            raise InputError(msg)
        qmin[t], qmax[t] = lo, hi
        ids[lab == key] = t
    return ids, qmin, qmax


def _separation_pairs(
    xy: ArrayLike | None, min_separation_m: float | None, n: int, owner: str
) -> NDArray[np.int64] | None:
    if min_separation_m is None:
        return None
    sep = check_number(min_separation_m, "min_separation_m", owner, low=0, low_open=True)
    if xy is None:
        msg = f"The 'min_separation_m' parameter of {owner} needs 'xy' (row coordinates, metres)."
        raise InputError(msg)
    pts = np.asarray(xy, dtype=np.float64)
    if pts.shape != (n, 2) or not np.all(np.isfinite(pts)):
        msg = (
            f"The 'xy' parameter of {owner} must be a finite array of shape ({n}, 2). "
            f"Got shape {pts.shape} instead."
        )
        raise InputError(msg)
    from scipy.spatial import cKDTree

    pairs = cKDTree(pts).query_pairs(sep * (1 - 1e-12), output_type="ndarray")
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _core_constraints(
    core: Core,
    costs: NDArray[np.float64] | None,
    budget: float,
    label_ids: NDArray[np.int64] | None,
    qmin: NDArray[np.int64] | None,
    qmax: NDArray[np.int64] | None,
    pairs: NDArray[np.int64] | None,
) -> Constraints:
    rows = core.rows
    conflicts = None
    if pairs is not None and pairs.size:
        pos = np.full(int(rows.max(initial=-1)) + 2 + int(pairs.max()), -1, dtype=np.int64)
        pos[rows] = np.arange(rows.size)
        a, b = pos[pairs[:, 0]], pos[pairs[:, 1]]
        ok = (a >= 0) & (b >= 0)
        a, b = a[ok], b[ok]
        conflicts = csr_array(
            (np.ones(2 * a.size, dtype=bool), (np.r_[a, b], np.r_[b, a])),
            shape=(rows.size, rows.size),
        )
    return Constraints(
        groups=core.groups,
        K=core.budget,
        costs=None if costs is None else costs[rows],
        money=float(budget) if costs is not None else np.inf,
        labels=None if label_ids is None else label_ids[rows],
        qmin=qmin,
        qmax=qmax,
        conflicts=conflicts,
    )


def _solve_generic(
    M: csr_array,
    w: NDArray[np.float64],
    fx: NDArray[np.int64],
    core: Core,
    cons: Constraints,
    *,
    method: str,
    deadline: float,
    gap_tol: float,
    t0: float,
    k: int,
    combine: str,
    owner: str,
) -> Solution:
    """k-coverage and probabilistic objectives (see ``generic``)."""
    from coverage.optimize import generic as gen

    kind = "prob" if combine == "probabilistic" else "kcov"
    P = gen.make_problem(M, w, core.rows, fx, k, kind)
    trace: list[TracePoint] = []

    def value_of(plan: NDArray[np.int64]) -> float:
        in_s = np.zeros(core.rows.size, dtype=bool)
        in_s[plan] = True
        return gen.value(P, in_s)

    plan, bound = gen.greedy(P, cons, deadline=deadline)
    bound = min(bound, gen.trivial_bound(P))
    used = "greedy"
    best = None if (plan.size and plan[0] < 0) else plan
    best_value = -np.inf if best is None else value_of(best)
    trace.append(TracePoint(time.perf_counter() - t0, best_value, bound, "greedy"))
    info: dict[str, Any] = {}
    if best is not None and method in ("local", "auto", "exact") and bound > best_value:
        plan2, swaps = gen.swap_search(
            P, cons, best, deadline=t0 + (deadline - t0) * 0.5 if method != "local" else deadline
        )
        info["swaps"] = swaps
        v2 = value_of(plan2)
        if v2 > best_value + 1e-12 * max(1.0, abs(best_value)):
            best, best_value, used = plan2, v2, "local"
        trace.append(TracePoint(time.perf_counter() - t0, best_value, bound, "local"))
    need_exact = best is None or (
        method in ("exact", "auto")
        and _gap(best_value, bound) > (1e-9 if method == "exact" else gap_tol)
    )
    if need_exact:
        tol = 1e-9 if method == "exact" else gap_tol
        plan3, b3, optimal = gen.solve_milp(P, cons, deadline=deadline, warm=best, gap_tol=tol)
        info["milp_optimal"] = optimal
        if plan3 is not None:
            v3 = value_of(plan3)
            if best is None or v3 > best_value + 1e-12 * max(1.0, abs(best_value)):
                best, best_value, used = plan3, v3, "exact"
        if np.isfinite(b3):
            bound = min(bound, b3)
        trace.append(TracePoint(time.perf_counter() - t0, best_value, bound, "milp"))
    if best is None:
        msg = (
            f"{owner} found no plan that meets every constraint (quota minima, money, "
            "separation) within the time limit. Check that the quotas can be met together, "
            "or raise time_limit_s."
        )
        raise SolverError(msg)
    selected = core.rows[np.sort(best)]
    # gains along the plan's order (ascending row index; greedy order when greedy)
    if used == "greedy":
        selected = core.rows[best]
    gains = []
    prev = objective(M, w, [], fx, k_coverage=k, combine=combine)
    for t in range(1, selected.size + 1):
        cur = objective(M, w, selected[:t], fx, k_coverage=k, combine=combine)
        gains.append(cur - prev)
        prev = cur
    obj = objective(M, w, selected, fx, k_coverage=k, combine=combine)
    ub = max(bound, obj)
    return Solution(
        selected=selected.astype(np.int64),
        gains=np.asarray(gains, dtype=np.float64),
        objective=obj,
        upper_bound=ub,
        gap=_gap(obj, ub),
        method=used,
        trace=tuple(trace),
        bound_method="milp" if need_exact else ("online" if kind == "prob" else "trivial"),
        elapsed_s=time.perf_counter() - t0,
        info=info,
    )


def _gap(obj: float, ub: float) -> float:
    if ub <= 0:
        return 0.0
    return max(0.0, (ub - obj) / ub)


# --------------------------------------------------------------------------- helpers


def objective(
    A: Any,
    weights: ArrayLike,
    selected: ArrayLike,
    fixed: ArrayLike | None = None,
    *,
    k_coverage: int = 1,
    combine: str = "max",
) -> float:
    """Covered weight of a selection: ``sum_j w_j * max_{i in selected ∪ fixed} A[i, j]``.

    With ``k_coverage=k`` the credit of a point is its weight times the k-th
    best quality among the rows (0 with fewer than k); with
    ``combine="probabilistic"`` it is ``w_j * (1 - prod_i (1 - A[i, j]))``.

    Parameters
    ----------
    A
        Sparse or dense matrix (configurations × demand points), values in [0, 1].
    weights
        Demand weights, one per column of ``A``.
    selected
        Row indices chosen.
    fixed
        Row indices already installed (counted too).
    k_coverage, combine
        As in :func:`max_coverage`.

    Returns
    -------
    float
        The covered weight.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]])
    >>> objective(A, [1, 1, 1], [0])
    1.5
    >>> objective(A, [1, 1, 1], [0], fixed=[1])
    3.0
    """
    M = _as_csr(A, "objective")
    w = _as_weights(weights, M.shape[1], "objective")
    k_coverage = check_number(k_coverage, "k_coverage", "objective", low=1, integer=True)
    combine = check_choice(combine, "combine", "objective", ("max", "probabilistic"))
    rows = np.concatenate(
        [
            _as_index(selected, M.shape[0], "selected", "objective"),
            _as_index(fixed, M.shape[0], "fixed", "objective"),
        ]
    )
    if rows.size == 0:
        return 0.0
    sub = csr_array(M[np.unique(rows)]).tocoo()
    cols, vals = sub.col.astype(np.int64), sub.data
    credit = np.zeros(M.shape[1])
    if combine == "probabilistic":
        with np.errstate(divide="ignore"):
            logs = np.log1p(-vals)
        s = np.zeros(M.shape[1])
        np.add.at(s, cols, logs)
        credit = -np.expm1(s)
    else:
        order = np.lexsort((-vals, cols))
        cols, vals = cols[order], vals[order]
        first = np.concatenate([[True], cols[1:] != cols[:-1]])
        start = np.maximum.accumulate(np.where(first, np.arange(cols.size), 0))
        hit = (np.arange(cols.size) - start) == k_coverage - 1
        credit[cols[hit]] = vals[hit]
    return float(credit @ w)


def is_feasible(
    sol: Solution | ArrayLike,
    A: Any,
    *,
    budget: float,
    groups: ArrayLike | None = None,
    fixed: ArrayLike | None = None,
    costs: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None = None,
    xy: ArrayLike | None = None,
    min_separation_m: float | None = None,
) -> bool:
    """Check that a selection respects the budget, groups and side constraints.

    Parameters
    ----------
    sol
        A :class:`Solution` or an array of selected row indices.
    A
        The coverage matrix the selection refers to.
    budget
        Maximum number of selected rows.
    groups
        Group id per row: at most one row per group (fixed rows included).
    fixed
        Rows already installed: they may not be selected again.
    costs, labels, quotas, xy, min_separation_m
        As in :func:`max_coverage`: with `costs`, `budget` is money.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(3)
    >>> is_feasible(np.array([0, 2]), A, budget=2)
    True
    >>> is_feasible(np.array([0, 1]), A, budget=2, groups=[0, 0, 1])
    False
    """
    sel = np.asarray(sol.selected if isinstance(sol, Solution) else sol)
    n = A.shape[0]
    if sel.size == 0:
        sel = np.zeros(0, dtype=np.int64)
    if sel.ndim != 1 or not np.issubdtype(sel.dtype, np.integer):
        return False
    if np.any(sel < 0) or np.any(sel >= n):
        return False
    if np.unique(sel).size != sel.size:
        return False
    if costs is None:
        if sel.size > budget:
            return False
    elif float(np.asarray(costs, dtype=np.float64)[sel].sum()) > budget * (1 + 1e-12):
        return False
    if quotas:
        lab = np.asarray(labels, dtype=object)[sel]
        for key, (lo, hi) in quotas.items():
            count = int(np.sum(lab == key))
            if (lo is not None and count < lo) or (hi is not None and count > hi):
                return False
    if min_separation_m is not None and sel.size > 1:
        pts = np.asarray(xy, dtype=np.float64)[sel]
        d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        if d.min() < min_separation_m * (1 - 1e-12):
            return False
    fx = _as_index(fixed, n, "fixed", "is_feasible")
    if np.intersect1d(sel, fx).size:
        return False
    if groups is not None:
        g = np.asarray(groups)
        gs = g[sel]
        if np.unique(gs).size != gs.size:
            return False
        if fx.size and np.intersect1d(gs, g[fx]).size:
            return False
    return True


# --------------------------------------------------------------------------- main door


def max_coverage(
    A: Any,
    weights: ArrayLike,
    *,
    budget: float,
    groups: ArrayLike | None = None,
    fixed: ArrayLike | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: SeedLike = None,
    progress: Callable[[Progress], None] | None = None,
    costs: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None = None,
    xy: ArrayLike | None = None,
    min_separation_m: float | None = None,
    k_coverage: int = 1,
    combine: str = "max",
) -> Solution:
    """Choose at most `budget` configurations that maximize covered demand weight.

    Parameters
    ----------
    A
        scipy.sparse matrix (or dense array), shape (n_configurations,
        n_demand); values are coverage qualities in (0, 1] (1 = full credit).
    weights
        Demand weights, shape (n_demand,), finite and >= 0.
    budget
        Maximum number of configurations to choose (fixed rows are free).
    groups
        Optional group id per row: at most one configuration per group (a
        site hosts one set in one rotation).  A group holding a fixed row is
        closed.
    fixed
        Optional row indices already installed: they count toward coverage
        and not toward the budget.
    method
        ``"greedy"``: lazy greedy and its online bound.  ``"local"``: greedy,
        then swap local search and the Lagrangian bound.  ``"exact"``: all of
        that, then the HiGHS MILP (reduced first) to proven optimality or the
        time limit.  ``"auto"``: the stages in that order, stopping as soon as
        the gap is at most `gap_tol` or the time is up.
    time_limit_s
        Wall-time limit of the whole call (greedy always completes).  None
        means 60 s for ``"auto"``, 30 s for ``"local"``, 300 s for
        ``"exact"`` and none for ``"greedy"``.  The limit is enforced on HiGHS
        too (large models run in a child process killed at the deadline).
    gap_tol
        Relative gap at which ``"auto"``, ``"local"`` stop (``"exact"``
        aims at 1e-9).
    rng
        Seed or Generator, normalized once; it drives the perturbation
        search (drop a few rows at random, refill, swap; up to 30 rounds
        without improvement) that ``"auto"`` runs when more than 5 s are
        left.  Same seed, same plan.
    progress
        Optional callable receiving a :class:`Progress` now and then.
    costs
        Optional cost per row (finite, > 0).  Then `budget` is the total cost
        allowed (a number) instead of a count.
    labels
        Optional label per row (e.g. the district), used by `quotas`.
    quotas
        ``{label: (min, max)}``: how many chosen rows each label must and may
        get (None: no limit on that side).  Fixed rows do not count.
    xy
        Row coordinates, shape (n_configurations, 2), in metres; needed by
        `min_separation_m`.
    min_separation_m
        Chosen rows must be at least this far apart (fixed rows excepted).
    k_coverage
        A demand point earns credit only when at least `k_coverage` chosen or
        fixed rows cover it; the credit is its weight times the k-th best
        quality.  A point with fewer than k possible coverers never earns.
    combine
        ``"max"`` (credit = best quality) or ``"probabilistic"`` (credit =
        ``1 - prod(1 - q)`` over the covering rows, detections independent).

    Returns
    -------
    Solution
        ``selected`` in the order chosen, ``objective`` recomputed from it,
        a proven ``upper_bound`` and the ``gap``.

    Raises
    ------
    InputError
        If ``A``, ``weights``, ``groups`` or ``fixed`` are malformed.
    ParameterError
        If ``budget``, ``method``, ``time_limit_s`` or ``gap_tol`` are out of range.

    Notes
    -----
    Objective: ``f(S) = sum_j w_j * max_{i in S ∪ fixed} A[i, j]``, monotone
    submodular.  The fixed rows are folded into a base level first, so every
    stage works on ``V_ij = w_j (A_ij - c0_j)^+`` over the selectable rows.

    - Greedy is lazy (CELF): stale gains are upper bounds; ties go to the
      lowest row index; with `costs` the ratio greedy and the plain greedy
      both run and the better plan is kept.  Its online bound is
      ``min(sum_j w_j max_i A_ij, f(S_t) + sum of the budget largest marginal
      gains w.r.t. S_t, at most one per group)``, the best over the steps.
    - Local search applies improving swaps (row out, row in) in batches whose
      columns do not overlap; it never makes the plan worse.
    - The Lagrangian bound relaxes ``sum_i u_ij <= 1`` in the LP
      ``max sum V_ij u_ij, u_ij <= x_i, sum x_i <= K, one per group``:
      ``L(lam) = sum_j lam_j + top-K group maxima of sum_j (V_ij - lam_j)^+``
      is an upper bound for every ``lam >= 0`` (its minimum is the LP bound);
      projected subgradient steps lower it.  Columns covered by one group only
      keep ``lam_j = 0`` (optimal), so the steps work on contested columns.
    - Exact: rows that cannot be in any plan better than the incumbent (by the
      Lagrangian reduced costs) are removed, groups that must be used are
      forced, and the remaining level MILP goes to HiGHS with the warm start.
      The bound is then ``max(incumbent, MILP dual bound)``.
    - Side constraints enter every stage: greedy and swaps check them (and
      reserve room for quota minima), bounds relax them (minima and separation
      dropped, money by a fractional knapsack), and the MILP has them as rows.
    - ``k_coverage > 1`` and ``combine="probabilistic"`` use a simpler path
      (surrogate greedy for k-coverage, swaps on the true objective, MILP with
      binary levels or tangent cuts); meant for small and medium instances.

    ``upper_bound`` is always a proven bound; ``objective`` is always
    recomputed from ``selected`` by :func:`objective`.

    Examples
    --------
    >>> from scipy.sparse import csr_array
    >>> A = csr_array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])
    >>> sol = max_coverage(A, [1, 1, 1], budget=1, method="greedy")
    >>> sol.selected.tolist(), sol.objective
    ([0], 2.0)
    >>> max_coverage(A, [1, 1, 1], budget=2).objective
    3.0
    """
    t0 = time.perf_counter()
    owner = "max_coverage"
    M = _as_csr(A, owner)
    n, m = M.shape
    w = _as_weights(weights, m, owner)
    method = check_choice(method, "method", owner, METHODS)
    if time_limit_s is not None:
        time_limit_s = check_number(time_limit_s, "time_limit_s", owner, low=0, low_open=True)
    gap_tol = check_number(gap_tol, "gap_tol", owner, low=0, high=1)
    fx = np.unique(_as_index(fixed, n, "fixed", owner))
    if costs is None:
        budget = check_number(
            budget, "budget", owner, low=1, high=max(n - fx.size, 1), integer=True
        )
        cost_arr = None
    else:
        budget = check_number(budget, "budget", owner, low=0, low_open=True)
        cost_arr = _as_costs(costs, n, owner)
    group_ids, _n_groups = _as_groups(groups, n, owner)
    k_coverage = check_number(k_coverage, "k_coverage", owner, low=1, integer=True)
    combine = check_choice(combine, "combine", owner, ("max", "probabilistic"))
    label_ids, qmin, qmax = _as_quotas(labels, quotas, n, owner)
    sep_pairs = _separation_pairs(xy, min_separation_m, n, owner)
    rng = np.random.default_rng(rng)  # normalized once; used by the perturbation search
    if progress is not None and not callable(progress):
        msg = f"The 'progress' parameter of {owner} must be callable or None."
        raise ParameterError(msg)

    def _progress(stage: str, done: int, total: int, obj: float, ub: float) -> None:
        if progress is not None:
            progress(Progress(stage, done, total, obj, ub, time.perf_counter() - t0))

    deadline = t0 + (time_limit_s if time_limit_s is not None else _DEFAULT_LIMIT_S[method])
    core = build_core(
        M,
        w,
        budget=budget if cost_arr is None else _core_rows_count(n, fx),
        fixed=fx,
        group_ids=group_ids,
    )
    cons = _core_constraints(core, cost_arr, budget, label_ids, qmin, qmax, sep_pairs)
    if k_coverage > 1 or combine == "probabilistic":
        return _solve_generic(
            M,
            w,
            fx,
            core,
            cons,
            method=method,
            deadline=deadline,
            gap_tol=gap_tol,
            t0=t0,
            k=k_coverage,
            combine=combine,
            owner=owner,
        )
    state = solve_core(
        core,
        method=method,
        deadline=deadline,
        gap_tol=gap_tol,
        t0=t0,
        progress=_progress,
        cons=cons,
        rng=rng,
    )
    if not state.method:
        msg = (
            f"{owner} found no plan that meets every constraint (quota minima, money, "
            "separation) within the time limit. Check that the quotas can be met together, "
            "or raise time_limit_s."
        )
        raise SolverError(msg)
    ordered, gains = order_plan(core, state.plan, t0, state.info.pop("greedy_plan", None))
    state.info.pop("greedy_prefix", None)
    selected = core.rows[ordered]
    obj = objective(M, w, selected, fx)
    ub = max(core.base + state.bound, obj)
    trace = tuple(
        TracePoint(t, core.base + v, core.base + b, stage) for t, v, b, stage in state.trace
    )
    return Solution(
        selected=selected,
        gains=gains,
        objective=obj,
        upper_bound=ub,
        gap=_gap(obj, ub),
        method=state.method,
        trace=trace,
        bound_method=state.bound_method,
        elapsed_s=time.perf_counter() - t0,
        info={"n_rows": n, "n_demand": m, "nnz": M.nnz, **state.info},
    )


# --------------------------------------------------------------------------- phases, curve


def plan_phases(
    A: Any,
    weights: ArrayLike,
    *,
    budgets: Sequence[float],
    fixed: ArrayLike | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
    **options: Any,
) -> tuple[Solution, ...]:
    """Plan in phases: each phase adds to the plans of the phases before it.

    Phase ``p`` solves :func:`max_coverage` with ``budget=budgets[p]`` and the
    rows of ``fixed`` and of every earlier phase as fixed rows, so the plans
    are nested: the first phase is what to install first.

    Parameters
    ----------
    A, weights
        As in :func:`max_coverage`.
    budgets
        Budget of each phase (counts, or money with ``costs``).
    fixed
        Rows already installed before the first phase.
    method
        Method of every phase.
    time_limit_s
        Wall-time limit of each phase.
    **options
        Any other keyword of :func:`max_coverage` (groups, costs, quotas,
        k_coverage, ...); quotas apply to each phase separately.

    Returns
    -------
    tuple of Solution
        One per phase: ``selected`` holds the rows that phase adds,
        ``objective`` the coverage of everything installed after it, and
        ``upper_bound`` a bound on the best that phase could add given the
        earlier phases.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(4)
    >>> p1, p2 = plan_phases(A, [4, 3, 2, 1], budgets=[1, 2], method="greedy")
    >>> p1.selected.tolist(), p2.selected.tolist(), p2.objective
    ([0], [1, 2], 9.0)
    """
    if isinstance(budgets, str) or not isinstance(budgets, Sequence) or len(budgets) == 0:
        msg = (
            f"The 'budgets' parameter of plan_phases must be a non-empty sequence. Got {budgets!r}."
        )
        raise ParameterError(msg)
    M = _as_csr(A, "plan_phases")
    installed = _as_index(fixed, M.shape[0], "fixed", "plan_phases")
    out: list[Solution] = []
    for b in budgets:
        sol = max_coverage(
            M,
            weights,
            budget=b,
            fixed=installed,
            method=method,
            time_limit_s=time_limit_s,
            **options,
        )
        out.append(sol)
        installed = np.concatenate([installed, sol.selected])
    return tuple(out)


@dataclass(frozen=True, eq=False)
class CoverageCurve:
    """Coverage against budget, with the proven bound at each point."""

    budgets: NDArray[np.float64]
    objective: NDArray[np.float64]
    upper_bound: NDArray[np.float64]
    gap: NDArray[np.float64]
    solutions: tuple[Solution, ...]


def coverage_curve(
    A: Any,
    weights: ArrayLike,
    *,
    budgets: Sequence[float],
    method: str = "greedy",
    time_limit_s: float | None = None,
    **options: Any,
) -> CoverageCurve:
    """Best coverage found and its proven bound for each budget.

    Each point is an independent :func:`max_coverage` run.  With
    ``method="greedy"`` the plans are nested (each is a prefix of the next).

    Parameters
    ----------
    A, weights
        As in :func:`max_coverage`.
    budgets
        The budgets to evaluate.
    method, time_limit_s
        Method and wall-time limit of each point.
    **options
        Any other keyword of :func:`max_coverage`.

    Returns
    -------
    CoverageCurve

    Examples
    --------
    >>> import numpy as np
    >>> curve = coverage_curve(np.eye(3), [3, 2, 1], budgets=[1, 2, 3])
    >>> curve.objective.tolist(), curve.upper_bound.tolist()
    ([3.0, 5.0, 6.0], [3.0, 5.0, 6.0])
    """
    if isinstance(budgets, str) or not isinstance(budgets, Sequence) or len(budgets) == 0:
        msg = (
            "The 'budgets' parameter of coverage_curve must be a non-empty sequence. "
            f"Got {budgets!r}."
        )
        raise ParameterError(msg)
    M = _as_csr(A, "coverage_curve")
    sols = tuple(
        max_coverage(M, weights, budget=b, method=method, time_limit_s=time_limit_s, **options)
        for b in budgets
    )
    return CoverageCurve(
        budgets=np.asarray(budgets, dtype=np.float64),
        objective=np.array([s.objective for s in sols]),
        upper_bound=np.array([s.upper_bound for s in sols]),
        gap=np.array([s.gap for s in sols]),
        solutions=sols,
    )
