r"""Spatial decomposition: independent components, priced budget, exact pieces.

Private: the public door is :func:`coverage.optimize.max_coverage` (``"auto"``
and ``"exact"`` use it on problems without side constraints other than groups).

With short-range cameras the coverage graph of a city (rows and demand
columns, linked by the non-zeros; the rows of one group linked too, as a
group holds at most one chosen row) splits into many *components* ``c`` that
share no column.  The optimum then is

.. math:: \max_{\sum_c k_c \le K} \sum_c f_c(k_c),

``f_c(k)`` the best value of component ``c`` with at most ``k`` rows.

The bound
---------
Relaxing the coupling budget with a price ``mu >= 0`` gives, for every
``mu``,

.. math:: \mathrm{OPT} \le \mu K + \sum_c \max_{S_c} \big(f_c(S_c) - \mu |S_c|\big)

(any plan ``S`` with ``|S| <= K`` has ``f(S) = sum_c f_c(S_c)`` and
``mu (K - |S|) >= 0``), so *any* upper bound ``B_c(mu)`` on each component's
priced problem adds up to a proven bound.  For the components not solved
exactly ``B_c`` comes from the Lagrangian multipliers ``lam`` of ``bound``:
``B_c = sum_{j in c} lam_j + sum_{g in c} (c_g(lam) - mu)^+`` (the priced
Lagrangian; with ``mu`` between the K-th and (K+1)-th largest group value
the sum over components is exactly ``L(lam)``).  The components with the
largest gap per entry get the priced MILP (:func:`solve_piece`, HiGHS, node-limited),
whose dual bound replaces theirs: the integer problem of a small component
is solved exactly where the LP of the whole was loose.  The price
relaxation's own gap is at most about one component's non-concavity
(Shapley–Folkman), small when components are many.

The plan
--------
Each solved component contributes its priced optimum (when it beats the
incumbent's part there at that price); the union is trimmed (least loss
first) or filled (greedy) to the budget and polished by swaps.

:func:`solve_piece` is a pure function of (component sub-matrix, group ids,
price, budget cap), so it can run on another process or machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components

from coverage._arrays import row_of_entries
from coverage.optimize._core import Core, GroupIndex, core_value, gather_rows
from coverage.optimize._state import RunState
from coverage.optimize.bound import LagrangeResult, split_contested
from coverage.optimize.exact import solve_milp
from coverage.optimize.greedy import lazy_greedy
from coverage.optimize.local import _Top2, swap_search

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "PieceResult",
    "Priced",
    "Work",
    "price_of",
    "reprice",
    "run_decomposed",
    "solve_piece",
    "split_components",
]


@dataclass(frozen=True)
class Work:
    """Work limits of the decomposition (counted in work, not seconds)."""

    max_pieces: int = 5_000  # priced MILPs solved at most
    node_limit: int = 200  # branch-and-bound nodes per piece
    max_piece_nnz: int = 60_000  # larger components keep their Lagrangian bound
    max_total_nnz: int = 2_000_000  # entries of all the pieces solved, together
    piece_gap: float = 1e-3  # relative gap at which a piece's MILP stops (at most the run's)
    heuristic_effort: float | None = 0.0  # HiGHS' mip_heuristic_effort (None: its default)


def split_components(V: csr_array, groups: GroupIndex) -> tuple[int, IntArray, IntArray]:
    """Return the connected components of the coverage graph (a group's rows stay together).

    Returns ``(n_components, component of each row, component of each column)``;
    a column no row covers gets -1.

    Examples
    --------
    >>> from scipy.sparse import csr_array
    >>> V = csr_array([[1.0, 0, 0], [0, 1, 0], [0, 1, 0]])
    >>> n, rc, cc = split_components(V, GroupIndex(None, 3))
    >>> n, rc.tolist(), cc.tolist()
    (2, [0, 1, 1], [0, 1, -1])
    """
    n, m = V.shape
    ng = groups.n_groups
    r = row_of_entries(V.indptr)
    g = groups.group_ids[r]
    # bipartite graph: group nodes 0..ng-1, column nodes ng..ng+m-1
    rows = np.concatenate([g, ng + V.indices.astype(np.int64)])
    cols = np.concatenate([ng + V.indices.astype(np.int64), g])
    B = coo_array((np.ones(rows.size), (rows, cols)), shape=(ng + m, ng + m)).tocsr()
    _, lab = connected_components(B, directed=False)
    # renumber: components holding a group first, in order of their lowest group
    g_lab = lab[:ng]
    uniq, first = np.unique(g_lab, return_index=True)
    order = uniq[np.argsort(first, kind="stable")]
    remap = np.full(int(lab.max()) + 1 if lab.size else 0, -1, dtype=np.int64)
    remap[order] = np.arange(order.size, dtype=np.int64)
    col_comp = remap[lab[ng:]]
    col_comp[np.diff(V.tocsc().indptr) == 0] = -1
    row_comp = remap[g_lab][groups.group_ids] if n else np.zeros(0, dtype=np.int64)
    return int(order.size), row_comp.astype(np.int64), col_comp.astype(np.int64)


def price_of(group_values: FloatArray, budget: int) -> float:
    """Return a price between the budget-th and next largest positive group value (or 0).

    Examples
    --------
    >>> price_of(np.array([5.0, 1.0, 3.0]), 2)
    2.0
    >>> price_of(np.array([5.0, 0.0]), 2)
    0.0
    """
    pos = np.sort(group_values[group_values > 0])[::-1]
    if pos.size <= budget:
        return 0.0
    return 0.5 * float(pos[budget - 1] + pos[budget])


@dataclass
class PieceResult:
    """The priced problem of one component: a plan, its value and a proven bound."""

    plan: IntArray  # local row ids
    value: float  # f_c(plan)
    bound: float  # proven bound on max_S f_c(S) - price |S|
    optimal: bool
    nodes: int


def solve_piece(  # noqa: PLR0913 - the piece, then keyword-only limits
    V: csr_array,
    group_ids: IntArray,
    price: float,
    max_count: int,
    *,
    warm_start: IntArray,
    node_limit: int,
    time_limit_s: float,
    gap_tol: float = 1e-4,
    heuristic_effort: float | None = None,
) -> PieceResult:
    """Solve ``max f(S) - price |S|`` over ``|S| <= max_count``, one row per group.

    A pure function of its arguments (``V``: the component's values, rows ×
    its columns): it could run on another worker.  The level MILP (see
    ``exact``) goes to HiGHS on one thread with ``node_limit`` nodes;
    ``time_limit_s`` is only a safety cap; ``gap_tol`` is the relative
    gap at which HiGHS stops, ``heuristic_effort`` its
    ``mip_heuristic_effort`` (None: HiGHS' default).
    """
    n = V.shape[0]
    groups = GroupIndex(group_ids, n)
    con = split_contested(V, groups)
    res = solve_milp(
        con.V,
        con.row_const - price,
        group_ids,
        float(max_count),
        time_limit_s=time_limit_s,
        warm_start=warm_start,
        gap_tol=gap_tol,
        threads=1,
        node_limit=node_limit,
        heuristic_effort=heuristic_effort,
    )
    plan = res.selected
    value = core_value(V, plan)
    return PieceResult(
        plan=plan,
        value=value,
        bound=float(res.bound),
        optimal=bool(res.optimal),
        nodes=int(res.info.get("node_count", 0)),
    )


@dataclass
class _Pieces:
    """The component split and the priced Lagrangian bound of each component."""

    n: int
    row_comp: IntArray
    col_comp: IntArray
    price: float
    lag: FloatArray  # B_c from the multipliers
    inc_rows: IntArray  # incumbent rows per component (count)
    inc_value: FloatArray  # incumbent value per component


def _pieces(core: Core, lag: LagrangeResult, cols: IntArray, plan: IntArray) -> _Pieces:
    V, g = core.V, core.groups
    n_c, row_comp, col_comp = split_components(V, g)
    price = price_of(lag.group_max, core.budget)
    grp_comp = np.zeros(g.n_groups, dtype=np.int64)
    grp_comp[g.group_ids] = row_comp
    lam_part = np.bincount(col_comp[cols], weights=lag.lam, minlength=n_c)
    g_part = np.bincount(grp_comp, weights=np.maximum(lag.group_max - price, 0.0), minlength=n_c)
    best = np.zeros(V.shape[1])
    if plan.size:
        pos = gather_rows(V.indptr, plan)
        np.maximum.at(best, V.indices[pos], V.data[pos])
    covered = col_comp >= 0
    inc_value = np.bincount(col_comp[covered], weights=best[covered], minlength=n_c)
    inc_rows = np.bincount(row_comp[plan], minlength=n_c).astype(np.int64)
    lag_c = np.asarray(lam_part + g_part, dtype=np.float64)
    return _Pieces(n_c, row_comp, col_comp, price, lag_c, inc_rows, inc_value.astype(np.float64))


def fix_rows(
    core: Core, lag: LagrangeResult, P: _Pieces, c: int, rows: IntArray, target: float
) -> NDArray[np.bool_]:
    """Rows of component ``c`` that may be in a priced plan better than ``target``.

    Forcing row ``i`` in bounds the priced problem by ``B_c - (gm_g - mu)^+ +
    (c_i - mu)`` (its group ``g`` takes ``i`` instead of its best row); a row
    whose bound is below ``target`` is in no better plan.  Reduced-cost fixing.
    """
    gi = core.groups.group_ids[rows]
    gm = np.maximum(lag.group_max[gi] - P.price, 0.0)
    forced = P.lag[c] - gm + (lag.c[rows] - P.price)
    return np.asarray(forced >= target - 1e-9 * max(1.0, abs(target)))


def run_decomposed(
    core: Core,
    state: RunState,
    lag: LagrangeResult,
    contested_cols: IntArray,
    *,
    gap_tol: float,
    work: Work | None = None,
) -> Priced | None:
    """Price the budget, solve the components with a gap exactly, offer the plan and the bound.

    ``lag`` holds multipliers of the contested columns ``contested_cols``
    (``bound.split_contested``).  Works on plain problems (groups only).
    """
    work = work or Work()
    P = _pieces(core, lag, contested_cols, state.plan)
    state.info["components"] = P.n
    if P.n < 2:
        return None
    K, mu = core.budget, P.price
    gaps = P.lag - (P.inc_value - mu * P.inc_rows)
    rows_of = np.argsort(P.row_comp, kind="stable")
    row_start = np.searchsorted(P.row_comp[rows_of], np.arange(P.n + 1))
    cols_of = np.argsort(P.col_comp, kind="stable")
    n_unc = int((P.col_comp < 0).sum())
    col_start = n_unc + np.searchsorted(P.col_comp[cols_of[n_unc:]], np.arange(P.n + 1))
    nnz_c = np.bincount(P.row_comp, weights=np.diff(core.V.indptr), minlength=P.n)
    bounds = P.lag.copy()
    chosen: dict[int, IntArray] = {}
    in_plan = np.zeros(core.V.shape[0], dtype=bool)
    in_plan[state.plan] = True
    tol = 1e-9 * max(1.0, state.value)
    # most gap per entry first: the many small pieces are cheap, the few large ones last
    density = gaps / (nnz_c + 100.0)
    order = [int(c) for c in np.argsort(-density, kind="stable") if gaps[c] > tol]
    piece_gap = max(1e-6, min(work.piece_gap, gap_tol))
    solved = nodes = done_nnz = 0
    for c in order:
        total = mu * K + float(bounds.sum())
        if solved >= work.max_pieces or done_nnz >= work.max_total_nnz:
            break
        if state.left() <= 0.5:
            state.cut_by_time = True
            break
        if total - state.value <= 0.5 * gap_tol * total:
            break
        if nnz_c[c] > work.max_piece_nnz:
            continue
        rows = rows_of[row_start[c] : row_start[c + 1]]
        inc = P.inc_value[c] - mu * P.inc_rows[c]
        rows = rows[fix_rows(core, lag, P, c, rows, inc) | in_plan[rows]]
        cols = cols_of[col_start[c] : col_start[c + 1]]
        sub = core.V[rows][:, cols]
        res = solve_piece(
            csr_array(sub),
            core.groups.group_ids[rows],
            mu,
            min(K, int(np.unique(core.groups.group_ids[rows]).size)),
            warm_start=np.flatnonzero(in_plan[rows]),
            node_limit=work.node_limit,
            time_limit_s=max(0.05, state.left()),
            gap_tol=piece_gap,
            heuristic_effort=work.heuristic_effort,
        )
        solved += 1
        nodes += res.nodes
        done_nnz += int(nnz_c[c])
        if np.isfinite(res.bound):
            bounds[c] = min(bounds[c], max(res.bound, inc, res.value - mu * res.plan.size))
        if res.value - mu * res.plan.size > inc + tol:
            chosen[c] = rows[res.plan]
        if state.progress is not None:
            state.progress("pieces", solved, len(order), state.value, mu * K + float(bounds.sum()))
    state.info.update({"pieces_solved": solved, "piece_nodes": nodes, "price": mu})
    state.offer_bound(mu * K + float(bounds.sum()), "decomposition")
    if chosen:
        _combine(core, state, P.row_comp, chosen)
    return Priced(mu, bounds, P.row_comp, P.col_comp)


@dataclass
class Priced:
    """The priced bound of a decomposition: price, per-component bounds, the split."""

    price: float
    bounds: FloatArray
    row_comp: IntArray
    col_comp: IntArray


def reprice(core: Core, priced: Priced, lag: LagrangeResult, contested_cols: IntArray) -> float:
    """Return the decomposition bound with new multipliers ``lag`` at the same price.

    For every component ``min(B_c, sum_{j in c} lam_j + sum_{g in c} (c_g(lam) - mu)^+)``:
    both bound its priced problem at the price ``mu``, so their sum plus ``mu K``
    bounds the optimum.
    """
    mu, n_c = priced.price, priced.bounds.size
    grp_comp = np.zeros(core.groups.n_groups, dtype=np.int64)
    grp_comp[core.groups.group_ids] = priced.row_comp
    lam_part = np.bincount(priced.col_comp[contested_cols], weights=lag.lam, minlength=n_c)
    g_part = np.bincount(grp_comp, weights=np.maximum(lag.group_max - mu, 0.0), minlength=n_c)
    return mu * core.budget + float(np.minimum(priced.bounds, lam_part + g_part).sum())


def _combine(core: Core, state: RunState, row_comp: IntArray, chosen: dict[int, IntArray]) -> None:
    """Swap the solved components' plans into the incumbent and fit it to the budget."""
    repl = np.zeros(int(row_comp.max()) + 1, dtype=bool)
    repl[list(chosen)] = True
    keep = state.plan[~repl[row_comp[state.plan]]]
    plan = np.concatenate([keep, *chosen.values()]).astype(np.int64)
    if plan.size > core.budget:
        plan = trim(core.V, plan, core.budget)
    elif plan.size < core.budget:
        res = lazy_greedy(
            core.V,
            np.ones(core.V.shape[1]),
            budget=core.budget - plan.size,
            fixed=plan,
            groups=core.groups,
            total_bound=np.inf,
            n_checkpoints=1,
        )
        plan = np.concatenate([plan, res.selected])
    plan, _ = swap_search(core.V, core.groups, core.budget, plan, deadline=state.deadline)
    state.offer_plan(plan, core_value(core.V, plan), "decomposition")


def trim(V: csr_array, plan: IntArray, budget: int) -> IntArray:
    """Drop rows of least loss, one at a time, until ``budget`` rows are left."""
    in_s = np.zeros(V.shape[0], dtype=bool)
    in_s[plan] = True
    top = _Top2(V, in_s)
    indptr, indices = V.indptr, V.indices
    while int(in_s.sum()) > budget:
        sel = np.flatnonzero(in_s)
        i = int(sel[np.argmin(top.loss[sel])])
        in_s[i] = False
        top.refresh(indices[indptr[i] : indptr[i + 1]].astype(np.int64))
        top.loss[i] = 0.0
    return np.flatnonzero(in_s).astype(np.int64)
