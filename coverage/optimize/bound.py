"""Proven upper bounds: the Lagrangian dual of the coverage constraints.

Private: the public door is :func:`coverage.optimize.max_coverage`.

The LP relaxation of quality-valued max coverage on a core problem (values
``V >= 0``, budget ``K``, at most one row per group) is

    max  sum_ij V_ij u_ij
    s.t. sum_i u_ij <= 1 (all j),  0 <= u_ij <= x_i,
         sum_i x_i <= K,  sum_{i in g} x_i <= 1,  0 <= x <= 1.

Relaxing ``sum_i u_ij <= 1`` with multipliers ``lam_j >= 0`` gives, for ANY
``lam >= 0``, the upper bound

    L(lam) = sum_j lam_j + (sum of the K largest group maxima of c_i(lam)),
    c_i(lam) = sum_j (V_ij - lam_j)^+,

one sparse pass per evaluation.  Its minimum equals the LP bound (the inner
problem is over a laminar matroid, whose LP is integral).  At ``lam = cover
level of a plan S`` it is exactly the submodular online bound of ``S``.

A column covered by rows of a single group only has ``lam_j = 0`` optimal
(``L`` is non-decreasing in such a ``lam_j``), so those columns are folded into
per-row constants and the subgradient method works on the *contested* columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage._arrays import row_of_entries
from coverage.optimize._core import GroupIndex, gather_rows, segment_sum, top_k

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Relax = Callable[[FloatArray], tuple[float, IntArray, FloatArray]]


@dataclass
class Contested:
    """The contested part of a core problem (columns covered by >= 2 groups)."""

    V: csr_array  # core rows × contested columns (re-indexed)
    cols: IntArray  # original column of each contested column
    row_const: FloatArray  # per row: value from uncontested columns
    colmax: FloatArray


def split_contested(V: csr_array, groups: GroupIndex) -> Contested:
    """Fold columns covered by a single group into per-row constants."""
    n, m = V.shape
    r = row_of_entries(V.indptr)
    g = groups.group_ids[r]
    gmin = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
    gmax = np.full(m, -1, dtype=np.int64)
    np.minimum.at(gmin, V.indices, g)
    np.maximum.at(gmax, V.indices, g)
    contested_col = (gmax >= 0) & (gmin != gmax)
    keep = contested_col[V.indices]
    row_const = segment_sum(np.where(keep, 0.0, V.data), V.indptr, n)
    cols = np.flatnonzero(contested_col).astype(np.int64)
    remap = np.full(m, -1, dtype=np.int64)
    remap[cols] = np.arange(cols.size, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(segment_sum(keep.astype(np.float64), V.indptr, n))])
    Vc = csr_array(
        (V.data[keep], remap[V.indices[keep]], indptr.astype(np.int64)), shape=(n, cols.size)
    )
    colmax = np.zeros(cols.size, dtype=np.float64)
    np.maximum.at(colmax, Vc.indices, Vc.data)
    return Contested(V=Vc, cols=cols, row_const=row_const, colmax=colmax)


@dataclass(frozen=True, eq=False)
class Dual:
    """The Lagrangian dual of one core problem: contested part, groups, budget.

    ``relax`` bounds the inner problem under side constraints
    (``Constraints.relaxed_max``); None means the count budget and groups only.
    """

    contested: Contested
    groups: GroupIndex
    budget: int
    relax: Relax | None = None


@dataclass
class LagrangeResult:
    """Best multipliers found and their bound (core units, without the base)."""

    bound: float
    lam: FloatArray
    c: FloatArray  # row values c_i(lam) at the best lam
    group_max: FloatArray
    group_arg: IntArray
    chosen_groups: IntArray
    iterations: int


#: Most subgradient steps of one run.
MAX_ITERATIONS = 1000


def lagrangian_value(
    dual: Dual, lam: FloatArray
) -> tuple[float, FloatArray, FloatArray, IntArray, IntArray, IntArray, FloatArray]:
    """Return ``L(lam)``, row values, group maxima and argmax rows, chosen groups, rows, weights."""
    Vc = dual.contested.V
    groups = dual.groups
    r = Vc.data - lam[Vc.indices]
    c = dual.contested.row_const + segment_sum(np.maximum(r, 0.0), Vc.indptr, Vc.shape[0])
    gm, arg = groups.group_max(c)
    if dual.relax is None:
        chosen = top_k(gm, dual.budget)
        rows = arg[chosen]
        weights = np.ones(rows.size)
        inner = float(gm[chosen].sum())
    else:
        inner, rows, weights = dual.relax(c)
        chosen = groups.group_ids[rows]
    value = float(lam.sum() + inner)
    return value, c, gm, arg, chosen, rows, weights


def subgradient(  # noqa: PLR0913 - the dual and its start, then keyword-only limits
    dual: Dual,
    lam0: FloatArray,
    *,
    target: float,
    gap_tol: float,
    deadline: float,
    on_bound: Callable[[int, float], None] | None = None,
    max_iterations: int = MAX_ITERATIONS,
) -> LagrangeResult:
    """Minimize ``L`` by projected subgradient steps with Polyak step sizes.

    At most ``max_iterations`` steps (``deadline`` is a safety cap).
    Every evaluated ``L(lam)`` is a valid bound; the best one is returned.
    ``target`` is the best known plan value (a lower bound on the optimum);
    ``on_bound(iteration, best bound)`` is called after every step.
    """
    colmax = dual.contested.colmax
    lam = np.clip(lam0, 0.0, colmax)
    value, c, gm, arg, chosen, rows, wts = lagrangian_value(dual, lam)
    best = LagrangeResult(value, lam.copy(), c, gm, arg, chosen, 0)
    best_rw = (rows, wts)
    theta = 1.0
    since_improve = 0
    direction = np.zeros_like(lam)
    it = 0
    for it in range(1, max_iterations + 1):
        if best.bound <= target * (1.0 + 1e-12) or (best.bound - target) <= gap_tol * best.bound:
            break
        if time.perf_counter() > deadline:
            break
        d = _direction(dual.contested, rows, wts, lam, direction)
        norm2 = float(d @ d)
        if norm2 <= 0.0:
            break  # lam is optimal for the LP dual
        step = theta * (value - target) / norm2
        direction = d
        lam = np.clip(lam - step * d, 0.0, colmax)
        value, c, gm, arg, chosen, rows, wts = lagrangian_value(dual, lam)
        if value < best.bound - 1e-12 * max(1.0, abs(best.bound)):
            best = LagrangeResult(value, lam.copy(), c, gm, arg, chosen, it)
            best_rw = (rows, wts)
            since_improve = 0
        else:
            since_improve += 1
            if since_improve >= 8:
                # back to the best point with half the step
                theta *= 0.5
                since_improve = 0
                lam = best.lam.copy()
                value = best.bound
                rows, wts = best_rw
                direction[:] = 0.0
                if theta < 1e-5:
                    break
        if on_bound is not None:
            on_bound(it, best.bound)
    best.iterations = it
    return best


def _direction(
    con: Contested, rows: IntArray, wts: FloatArray, lam: FloatArray, previous: FloatArray
) -> FloatArray:
    """Deflected subgradient direction (reduces zig-zag), projected on the box ``[0, colmax]``."""
    Vc = con.V
    pos = gather_rows(Vc.indptr, rows)
    wpos = np.repeat(wts, np.diff(Vc.indptr)[rows])
    hit = Vc.data[pos] > lam[Vc.indices[pos]]
    g = 1.0 - np.bincount(Vc.indices[pos[hit]], weights=wpos[hit], minlength=lam.size)
    d = g + 0.3 * previous
    d[(lam <= 0.0) & (d > 0)] = 0.0
    d[(lam >= con.colmax) & (d < 0)] = 0.0
    return d
