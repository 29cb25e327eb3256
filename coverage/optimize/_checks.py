"""Checkers beside the solvers: the value of a plan and whether it is feasible.

Both recompute from the matrix alone, independently of any solver's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_array

from coverage._validate import check_choice, check_number
from coverage.optimize._inputs import COMBINE, as_csr, as_index, as_weights
from coverage.optimize._solution import Solution

__all__ = ["is_feasible", "objective"]


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
    M = as_csr(A, "objective")
    w = as_weights(weights, M.shape[1], "objective")
    k_coverage = check_number(k_coverage, "k_coverage", "objective", low=1, integer=True)
    combine = check_choice(combine, "combine", "objective", COMBINE)
    rows = np.concatenate(
        [
            as_index(selected, M.shape[0], "selected", "objective"),
            as_index(fixed, M.shape[0], "fixed", "objective"),
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


def is_feasible(  # noqa: PLR0913 - public checker, constraints keyword-only like max_coverage
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
    if np.any(sel < 0) or np.any(sel >= n) or np.unique(sel).size != sel.size:
        return False
    if not (
        _within_budget(sel, budget, costs)
        and _quotas_met(sel, labels, quotas)
        and _separated(sel, xy, min_separation_m)
    ):
        return False
    fx = as_index(fixed, n, "fixed", "is_feasible")
    return not np.intersect1d(sel, fx).size and _one_per_group(sel, fx, groups)


def _within_budget(sel: NDArray[np.int64], budget: float, costs: ArrayLike | None) -> bool:
    if costs is None:
        return bool(sel.size <= budget)
    return float(np.asarray(costs, dtype=np.float64)[sel].sum()) <= budget * (1 + 1e-12)


def _quotas_met(
    sel: NDArray[np.int64],
    labels: ArrayLike | None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None,
) -> bool:
    if not quotas:
        return True
    lab = np.asarray(labels, dtype=object)[sel]
    for key, (lo, hi) in quotas.items():
        count = int(np.sum(lab == key))
        if (lo is not None and count < lo) or (hi is not None and count > hi):
            return False
    return True


def _separated(
    sel: NDArray[np.int64], xy: ArrayLike | None, min_separation_m: float | None
) -> bool:
    if min_separation_m is None or sel.size <= 1:
        return True
    pts = np.asarray(xy, dtype=np.float64)[sel]
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return bool(d.min() >= min_separation_m * (1 - 1e-12))


def _one_per_group(sel: NDArray[np.int64], fx: NDArray[np.int64], groups: ArrayLike | None) -> bool:
    """At most one row per group, and none in a group that holds a fixed row."""
    if groups is None:
        return True
    g = np.asarray(groups)
    gs = g[sel]
    if np.unique(gs).size != gs.size:
        return False
    return not (fx.size and np.intersect1d(gs, g[fx]).size)
