r"""The solve across workers: pieces, a budget allocated on the driver, a proven bound.

Private: the doors are :func:`coverage.distributed.max_coverage` (a matrix
on the driver, cut into pieces) and :func:`coverage.plan.solve` with
``client=`` (the tiles of :mod:`coverage.distributed._matrix`, where they
were built).

A *piece* holds whole groups (sites): its selectable rows, their columns
(global ids) and the columns' weights.  Two pieces may share columns (a
demand point near a tile border seen from sites of both); the budget is the
only other coupling.  The existing sets (and earlier phases) are folded into
a base level ``c0`` the driver sends to every piece.

Rounds (each one task per piece; results in a fixed order, so the same
inputs and seed give the same plan):

1. *Curves.*  Each piece runs the lazy greedy over its rows (the one of
   :func:`~coverage.optimize.max_coverage`, on the values over ``c0``) and
   returns its marginal gains, non-increasing.  The
   driver takes the ``K`` largest gains over all pieces (ties by piece, then
   rank): piece ``p`` gets ``k_p`` sets.  Without shared columns this is the
   global greedy exactly (its gains are the pieces' gains, merged).  A curve
   is first as long as twice the piece's share of the entries; a piece whose
   whole curve is taken is run again, four times longer.
2. *Plans, by colour.*  Pieces sharing a column get different colours
   (greedy colouring of the piece graph).  Colour by colour, each piece
   improves its ``k_p`` sets with ``c0`` raised by the plans of the colours
   before: pieces of one colour share no column, so their plans add up
   exactly.  A piece of at most ``WHOLE_SOLVE_NNZ`` entries runs
   ``max_coverage`` with the problem's method; a larger one polishes its
   greedy prefix by the swap search of ``"local"`` (the stages of ``"auto"``
   that prove its gap are not repeated per piece: round 4 proves the
   whole).  ``method="greedy"`` keeps the prefixes.  The plan is the union
   (or the greedy prefixes of round 1, if they are worth more).
3. *Swaps across pieces.*  Each piece offers the rows with the largest gains
   over the plan; the driver swaps one in for the plan row whose loss is
   smallest once it is in (the row of the same site, if the plan has one)
   when that raises the objective, evaluated exactly from the chosen rows.
   A few rounds (``POLISH_ROUNDS``); the objective is recomputed on the
   driver from the chosen rows.
4. *Bound.*  For ANY multipliers ``lam >= 0`` over the columns and ANY
   price ``mu >= 0``,

   .. math:: \mathrm{OPT} \le f(F) + \sum_j \lambda_j
             + \max_{|S| \le K,\ \text{one per group}} \sum_{i \in S} c_i(\lambda)
             \le f(F) + \mu K + \sum_j \lambda_j + \sum_g (c_g(\lambda) - \mu)^+,

   with ``c_i(lam) = sum_j (V_ij - lam_j)^+``, ``c_g`` the largest ``c_i``
   of group ``g`` and ``V`` the values over ``c0`` (the Lagrangian of
   :mod:`coverage.optimize.bound`; the second form because the ``K`` largest
   group values add up to at most ``mu K`` plus their excess over ``mu``).
   The priced form splits over pieces exactly as long as every column has
   ONE ``lam_j``, counted once: with a common price (the greedy's marginal
   gain at the budget), each piece lowers its part by subgradient steps
   from the plan's cover levels (at most the in-process work for its size,
   stopping once within its share of ``gap_tol``); a shared column then takes the multiplier
   of the piece holding most of its entries (ties: lowest piece); each piece
   lowers its own columns' multipliers again with the shared ones held fixed
   and returns its part and its group values.  The correction for a
   component cut by a tile border is this single choice of ``lam_j``: no
   column weight is counted twice, and the sum is the Lagrangian of the
   whole problem at one ``lam``.  The driver adds ``sum_j lam_j`` (each
   column by one piece) and the ``K`` largest group values over all pieces
   (one per group; groups never span pieces), the best price for those
   values.  First of all, the same sum at ``lam`` = the plan's cover levels
   (the submodular online bound: one pass, and ``sum_j lam_j`` is the plan's
   value) is computed; when it already proves ``gap_tol`` the multipliers
   are not computed (as the in-process ``"auto"`` stops there).  The lower of
   the two is the plan's bound.

What the driver holds: the piece gains (at most ``K`` per piece), the
chosen rows' entries, the rows offered for swaps (``POLISH_CANDIDATES`` per
piece and round), the fixed rows' entries (``c0``), the multipliers of
shared columns and the group values (at most ``K`` per piece).  Never the
matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array, vstack

from coverage._arrays import relative_gap
from coverage.distributed._matrix import Progress, _collect, submit
from coverage.optimize import Solution, TracePoint, max_coverage

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Subgradient work of the bound, in steps × contested entries (as in-process ``auto``).
BOUND_WORK = 1e8
#: Most subgradient steps of one piece.
BOUND_STEPS = 1000
#: Rounds of swaps across pieces, and rows each piece offers per round.
POLISH_ROUNDS = 4
POLISH_CANDIDATES = 32
#: Pieces up to this many entries get max_coverage with the problem's method; larger ones
#: the greedy and the swap search (their share of the bound comes from the Lagrangian).
WHOLE_SOLVE_NNZ = 200_000


@dataclass(frozen=True)
class Piece:
    """Whole groups of selectable rows and their columns (lives on a worker)."""

    index: int
    A: csr_array  # rows x local columns, qualities in (0, 1]
    rows: IntArray  # global row of each local row
    groups: IntArray  # global group of each local row
    cols: IntArray  # global column of each local column, ascending
    w: FloatArray  # weight of each local column
    shared: NDArray[np.bool_]  # local columns other pieces may hold too


@dataclass(frozen=True)
class Levels:
    """A sparse cover level per column: ascending global columns and their quality."""

    cols: IntArray
    level: FloatArray

    @staticmethod
    def of(cols: IntArray, vals: FloatArray) -> Levels:
        """Return the column-wise maximum of entries (cols, vals)."""
        if cols.size == 0:
            return Levels(np.zeros(0, np.int64), np.zeros(0))
        u, inv = np.unique(cols, return_inverse=True)
        lev = np.zeros(u.size)
        np.maximum.at(lev, inv, vals)
        return Levels(u.astype(np.int64), lev)

    def on(self, cols: IntArray) -> FloatArray:
        """Return the level at each of `cols` (0 where none)."""
        out = np.zeros(cols.size)
        if self.cols.size == 0 or cols.size == 0:
            return out
        pos = np.clip(np.searchsorted(self.cols, cols), 0, self.cols.size - 1)
        hit = self.cols[pos] == cols
        out[hit] = self.level[pos[hit]]
        return out

    def union(self, other: Levels) -> Levels:
        """Return the column-wise maximum of two level vectors."""
        return Levels.of(
            np.concatenate([self.cols, other.cols]), np.concatenate([self.level, other.level])
        )


@dataclass(frozen=True)
class Options:
    """What every piece's solve uses (the problem's optimizer options)."""

    method: str = "auto"
    time_limit_s: float | None = None
    gap_tol: float = 1e-3
    rng: int | None = 0


@dataclass
class Entries:
    """Some rows in global numbering: their entries, and the rows in order with their gains."""

    rows: IntArray  # row of each entry
    cols: IntArray
    vals: FloatArray
    selected: IntArray  # the rows, in the order chosen
    gains: FloatArray  # gain of each selected row where it was chosen
    groups: IntArray  # group of each selected row

    @staticmethod
    def empty() -> Entries:
        """Entries of no row."""
        z = np.zeros(0, np.int64)
        return Entries(z, z.copy(), np.zeros(0), z.copy(), np.zeros(0), z.copy())

    def levels(self) -> Levels:
        """Cover level of these rows per column."""
        return Levels.of(self.cols, self.vals)

    def __add__(self, other: Entries) -> Entries:
        return Entries(
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.cols, other.cols]),
            np.concatenate([self.vals, other.vals]),
            np.concatenate([self.selected, other.selected]),
            np.concatenate([self.gains, other.gains]),
            np.concatenate([self.groups, other.groups]),
        )

    def without(self, row: int) -> Entries:
        """Return these entries without those of `row`."""
        keep = self.rows != row
        sel = self.selected != row
        return Entries(
            self.rows[keep],
            self.cols[keep],
            self.vals[keep],
            self.selected[sel],
            self.gains[sel],
            self.groups[sel],
        )


# --------------------------------------------------------------------------- on the workers
def _open(piece: Piece, closed: IntArray) -> NDArray[np.bool_]:
    """Rows of the piece whose group holds no fixed row."""
    return ~np.isin(piece.groups, closed)


def _local_problem(
    piece: Piece, c0: Levels, closed: IntArray
) -> tuple[csr_array, IntArray, IntArray, int]:
    """Return the piece as a max_coverage problem: open rows, then one fixed row at ``c0``."""
    keep = np.flatnonzero(_open(piece, closed))
    A = piece.A[keep]
    base = csr_array(c0.on(piece.cols)[None, :])
    M = csr_array(vstack([A, base], format="csr"))
    groups = np.concatenate([piece.groups[keep], [-1]])
    return M, keep, groups, int(np.unique(piece.groups[keep]).size)


def _entries_of(piece: Piece, local: IntArray, gains: FloatArray) -> Entries:
    """Entries of local rows `local` in global numbering, with their gains."""
    local = np.asarray(local, dtype=np.int64)
    sub = piece.A[local].tocoo()
    rows = piece.rows[local]
    return Entries(
        rows[sub.row].astype(np.int64),
        piece.cols[sub.col].astype(np.int64),
        np.asarray(sub.data, dtype=np.float64),
        rows.astype(np.int64),
        np.asarray(gains, dtype=np.float64),
        piece.groups[local].astype(np.int64),
    )


def piece_curve(piece: Piece, c0: Levels, closed: IntArray, budget: int) -> dict[str, Any]:
    """Round 1: the piece's greedy gains (non-increasing) and the rows in greedy order."""
    from coverage.optimize._core import GroupIndex
    from coverage.optimize.greedy import lazy_greedy

    V, g, keep = _values(piece, c0, closed)
    n_groups = int(np.unique(g).size)
    k = min(budget, n_groups)
    if k == 0 or V.nnz == 0:
        return {"gains": np.zeros(0), "local": np.zeros(0, np.int64), "complete": True}
    res = lazy_greedy(
        V,
        np.ones(V.shape[1]),
        budget=k,
        fixed=np.zeros(0, dtype=np.int64),
        groups=GroupIndex(g, V.shape[0]),
        total_bound=np.inf,
        n_checkpoints=1,
    )
    gains = np.asarray(res.gains, dtype=np.float64)
    pos = gains > 0
    local = keep[np.asarray(res.selected, dtype=np.int64)[pos]]
    # complete: no further row of this piece would gain anything
    complete = k == n_groups or int(pos.sum()) < k
    return {"gains": gains[pos], "local": local, "complete": complete}


def piece_plan(
    piece: Piece,
    curve: dict[str, Any],
    c0: Levels,
    closed: IntArray,
    k: int,
    options: Options,
) -> dict[str, Any]:
    """Round 2: a plan of `k` sets over ``c0``; also the greedy prefix of `k` rows.

    A piece of at most ``WHOLE_SOLVE_NNZ`` entries gets ``max_coverage`` with
    the problem's method (its work limits); a larger one the greedy prefix
    polished by the swap search of ``"local"`` (work-counted passes): the
    bound of the whole comes from round 4, not from the pieces' solves.
    """
    from coverage.optimize._core import GroupIndex, core_value
    from coverage.optimize.local import swap_search

    prefix = curve["local"][:k]
    out: dict[str, Any] = {"greedy": _entries_of(piece, prefix, curve["gains"][:k]), "info": {}}
    if k == 0 or options.method == "greedy":
        out["plan"] = Entries.empty() if k == 0 else out["greedy"]
        return out
    V, g, keep = _values(piece, c0, closed)
    if V.nnz <= WHOLE_SOLVE_NNZ:
        M, keep, groups, _ = _local_problem(piece, c0, closed)
        sol = max_coverage(
            M,
            piece.w,
            budget=k,
            groups=groups,
            fixed=[M.shape[0] - 1],
            method=options.method,
            time_limit_s=options.time_limit_s,
            gap_tol=options.gap_tol,
            rng=options.rng,
        )
        out["plan"] = _entries_of(piece, keep[sol.selected], np.asarray(sol.gains))
        out["info"] = {"stopped_by": sol.stopped_by, "gap": sol.gap}
        return out
    start = np.searchsorted(keep, prefix)
    plan, swaps = swap_search(
        V, GroupIndex(g, V.shape[0]), k, start, deadline=time.perf_counter() + 3600.0
    )
    gains = np.full(plan.size, core_value(V, plan) / max(plan.size, 1))
    out["plan"] = _entries_of(piece, keep[np.sort(plan)], gains)
    out["info"] = {"stopped_by": "swaps", "swaps": swaps}
    return out


def piece_candidates(
    piece: Piece, level: Levels, closed: IntArray, selected: IntArray, m: int
) -> Entries:
    """Polish round: the `m` rows not in the plan with the largest gains over `level`."""
    from coverage.optimize._core import segment_sum

    keep = np.flatnonzero(_open(piece, closed) & ~np.isin(piece.rows, selected))
    A = piece.A[keep]
    lev = level.on(piece.cols)
    vals = piece.w[A.indices] * np.maximum(A.data - lev[A.indices], 0.0)
    gain = segment_sum(vals, A.indptr, keep.size)
    pos = np.flatnonzero(gain > 0)
    order = pos[np.lexsort((piece.rows[keep][pos], -gain[pos]))][:m]
    return _entries_of(piece, keep[order], gain[order])


def priced_dual(con: Any, gi: Any, price: float) -> Any:
    """Return the priced Lagrangian of a piece: ``sum lam + sum_g (c_g(lam) - price)^+``.

    For any price ``mu >= 0`` the top-``K`` sum of the group values is at most
    ``mu K + sum_g (c_g - mu)^+``, so the whole bound splits over pieces with
    one common price; each piece lowers its own part.
    """
    from coverage.optimize.bound import Dual

    def relax(c: FloatArray) -> tuple[float, IntArray, FloatArray]:
        gm, arg = gi.group_max(c)
        on = gm > price
        rows = np.asarray(arg[on], dtype=np.int64)
        return float((gm[on] - price).sum()), rows, np.ones(rows.size)

    return Dual(con, gi, 0, relax)


@dataclass(frozen=True)
class BoundWork:
    """How long each piece lowers its part of the bound: the common price and the limits.

    ``abs_tol``: a piece stops once its part is within this of its own plan's
    priced value (its share of the gap target); ``steps``: at most this many
    subgradient steps per pass.
    """

    price: float
    steps: int
    abs_tol: float
    selected: IntArray
    first_steps: int = 10  # the first pass (every column free), that places the shared ones


def _lower(con: Any, gi: Any, start: FloatArray, target: float, work: BoundWork) -> FloatArray:
    """Priced subgradient steps from `start`; stop within ``work.abs_tol`` of `target`."""
    from coverage.optimize.bound import lagrangian_value, subgradient

    dual = priced_dual(con, gi, work.price)
    first = lagrangian_value(dual, np.clip(start, 0.0, con.colmax))[0]
    res = subgradient(
        dual,
        start,
        target=target,
        gap_tol=work.abs_tol / max(abs(first), 1e-12),
        deadline=time.perf_counter() + 3600.0,
        max_iterations=work.steps,
    )
    return np.asarray(res.lam, dtype=np.float64)


def _priced_target(V: csr_array, rows: IntArray, work: BoundWork) -> float:
    """Return the piece's own plan rows' value less the price per row (below its part)."""
    from coverage.optimize._core import core_value

    own = np.flatnonzero(np.isin(rows, work.selected))
    return core_value(V, own) - work.price * own.size


def piece_multipliers(
    piece: Piece,
    c0: Levels,
    closed: IntArray,
    plan: Levels,
    work: BoundWork,
    prior: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Round 3: the piece's multipliers (priced subgradient from the plan's levels or `prior`)."""
    from coverage.optimize._core import GroupIndex
    from coverage.optimize.bound import split_contested

    V, g, keep = _values(piece, c0, closed)
    lam = np.zeros(V.shape[1])
    if V.nnz:
        gi = GroupIndex(g, V.shape[0])
        con = split_contested(V, gi)
        start = (_plan_values(piece, c0, plan) if prior is None else prior["lam"])[con.cols]
        target = _priced_target(V, piece.rows[keep], work)
        lam[con.cols] = _lower(con, gi, start, target, replace(work, steps=work.first_steps))
    counts = np.bincount(V.indices, minlength=V.shape[1])
    sh = np.flatnonzero(piece.shared)
    return {"lam": lam, "cols": piece.cols[sh], "lam_shared": lam[sh], "count": counts[sh]}


def piece_online(
    piece: Piece, c0: Levels, closed: IntArray, plan: Levels, budget: int
) -> FloatArray:
    """Top group values at ``lam`` = the plan's cover levels (the online bound's part)."""
    from coverage.optimize._core import GroupIndex, segment_sum

    V, g, _ = _values(piece, c0, closed)
    if V.shape[0] == 0:
        return np.zeros(0)
    mu = _plan_values(piece, c0, plan)
    c = segment_sum(np.maximum(V.data - mu[V.indices], 0.0), V.indptr, V.shape[0])
    gm, _ = GroupIndex(g, V.shape[0]).group_max(c)
    return np.asarray(np.sort(gm[gm > 0])[::-1][:budget], dtype=np.float64)


def piece_bound(  # noqa: PLR0913 -- the piece and its round's inputs
    piece: Piece,
    mult: dict[str, Any],
    c0: Levels,
    closed: IntArray,
    plan: Levels,
    chosen: tuple[IntArray, FloatArray, NDArray[np.bool_]],
    budget: int,
    work: BoundWork,
) -> dict[str, Any]:
    """Round 4: the shared multipliers agreed, the piece's own ones lowered again; the sums.

    Returns, for the agreed multipliers (the piece's own ones lowered again
    when ``work.steps > 0``), the sum of the multipliers this piece counts and
    its top group values.
    """
    from coverage.optimize._core import GroupIndex, segment_sum

    V, g, keep = _values(piece, c0, closed)
    gi = GroupIndex(g, V.shape[0])
    lam = np.asarray(mult["lam"], dtype=np.float64).copy()
    mine = np.ones(V.shape[1], dtype=bool)
    sh = np.flatnonzero(piece.shared)
    lam[sh], mine[sh] = chosen[1], chosen[2]
    if V.nnz and work.steps > 0:
        target = _priced_target(V, piece.rows[keep], work)
        lam = _own_multipliers(V, gi, lam, piece.shared, target, work)
    c = segment_sum(np.maximum(V.data - lam[V.indices], 0.0), V.indptr, V.shape[0])
    gm, _ = gi.group_max(c) if V.shape[0] else (np.zeros(0), None)
    top = np.sort(gm[gm > 0])[::-1][:budget]
    return {"lagrangian": (float(lam[mine].sum()), top)}


def _own_multipliers(
    V: csr_array,
    gi: Any,
    lam: FloatArray,
    shared: NDArray[np.bool_],
    target: float,
    work: BoundWork,
) -> FloatArray:
    """Lower the multipliers of the piece's own columns with the shared ones held fixed.

    The shared columns' terms ``(V_ij - lam_j)^+`` become constants of the rows,
    so the subgradient only moves the columns no other piece holds.
    """
    from coverage.optimize._core import segment_sum
    from coverage.optimize.bound import split_contested

    on_shared = shared[V.indices]
    fixed_part = segment_sum(
        np.where(on_shared, np.maximum(V.data - lam[V.indices], 0.0), 0.0), V.indptr, V.shape[0]
    )
    own = csr_array(
        (np.where(on_shared, 0.0, V.data), V.indices.copy(), V.indptr.copy()), shape=V.shape
    )  # copies: eliminate_zeros works in place
    own.eliminate_zeros()
    own.indices = own.indices.astype(np.int64, copy=False)
    own.indptr = own.indptr.astype(np.int64, copy=False)
    con = split_contested(own, gi)
    con.row_const = con.row_const + fixed_part
    out = lam.copy()
    out[con.cols] = _lower(con, gi, lam[con.cols], target, work)
    return out


def _values(piece: Piece, c0: Levels, closed: IntArray) -> tuple[csr_array, IntArray, IntArray]:
    """``V = w (A - c0)^+`` of the open rows (zeros dropped) and their groups."""
    keep = np.flatnonzero(_open(piece, closed))
    A = piece.A[keep]
    lev = c0.on(piece.cols)
    vals = piece.w[A.indices] * np.maximum(A.data - lev[A.indices], 0.0)
    V = csr_array((vals, A.indices.copy(), A.indptr.copy()), shape=A.shape)
    V.eliminate_zeros()
    V.indices = V.indices.astype(np.int64, copy=False)
    V.indptr = V.indptr.astype(np.int64, copy=False)
    return V, piece.groups[keep], keep


def _plan_values(piece: Piece, c0: Levels, plan: Levels) -> FloatArray:
    """Cover levels of the plan over ``c0``, in value units, on the piece's columns."""
    cols = piece.cols
    return np.asarray(piece.w * np.maximum(plan.on(cols) - c0.on(cols), 0.0))


# --------------------------------------------------------------------------- on the driver
def colours(n: int, edges: list[tuple[int, int]]) -> IntArray:
    """Greedy colouring (in index order) of a graph on ``n`` pieces: neighbours differ.

    Examples
    --------
    >>> colours(4, [(0, 1), (1, 2), (2, 3), (0, 2)]).tolist()
    [0, 1, 2, 0]
    """
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        nbrs[a].add(b)
        nbrs[b].add(a)
    out = np.full(n, -1, dtype=np.int64)
    for p in range(n):
        used = {int(out[q]) for q in nbrs[p] if out[q] >= 0}
        c = 0
        while c in used:
            c += 1
        out[p] = c
    return out


def allocate(gains: list[FloatArray], budget: int) -> IntArray:
    """Count sets per piece: the `budget` largest gains over all pieces (ties: piece, then rank).

    Examples
    --------
    >>> allocate([np.array([5.0, 1.0]), np.array([3.0, 2.0])], 3).tolist()
    [1, 2]
    """
    if not gains:
        return np.zeros(0, dtype=np.int64)
    g = np.concatenate(gains)
    piece = np.concatenate([np.full(x.size, p, dtype=np.int64) for p, x in enumerate(gains)])
    rank = np.concatenate([np.arange(x.size, dtype=np.int64) for x in gains])
    order = np.lexsort((rank, piece, -g))[:budget]
    return np.bincount(piece[order], minlength=len(gains)).astype(np.int64)


def value_of(entries: Entries, c0: Levels, w: FloatArray) -> float:
    """Covered weight of the rows of `entries` on top of ``c0`` (exact, from the rows alone)."""
    lev = entries.levels().union(c0)
    return float(w[lev.cols] @ lev.level)


@dataclass
class Pieces:
    """Pieces on the workers (futures) and which pairs share columns."""

    client: Any
    futures: list[Any]
    edges: list[tuple[int, int]]
    n_rows: int
    n_demand: int
    nnz_each: list[int]

    @property
    def nnz(self) -> int:
        """Entries of all pieces."""
        return int(sum(self.nnz_each))


def solve_pieces(  # noqa: PLR0913 -- the pieces, then the problem's keyword-only terms
    pieces: Pieces,
    w: FloatArray,
    *,
    budget: int,
    fixed: Entries,
    closed: IntArray,
    options: Options,
    progress: Progress | None = None,
) -> tuple[Solution, Entries]:
    """Solve one phase on the pieces; return the Solution and the chosen rows' entries."""
    t0 = time.perf_counter()
    client, futs = pieces.client, pieces.futures
    c0 = fixed.levels()
    base = float(w[c0.cols] @ c0.level)

    def run(stage: str, calls: list[Any]) -> list[Any]:
        return _collect(client, calls, stage, progress)

    curve_f, curves, k = _curves(pieces, c0, closed, budget, run)
    gains = np.sort(np.concatenate([np.zeros(0), *(c["gains"] for c in curves)]))[::-1]
    price = 0.0 if gains.size <= budget else 0.5 * float(gains[budget - 1] + gains[budget])
    col = colours(len(futs), pieces.edges)
    plan = Entries.empty()
    greedy = Entries.empty()
    infos: list[dict[str, Any]] = [{} for _ in futs]
    closed_f = _share(client, closed)
    for colour in range(int(col.max(initial=-1)) + 1):
        level = _share(client, c0.union(plan.levels()))
        idx = [p for p in range(len(futs)) if col[p] == colour]
        calls = [
            client.submit(
                piece_plan, futs[p], curve_f[p], level, closed_f, int(k[p]), options, pure=False
            )
            for p in idx
        ]
        for p, res in zip(idx, run(f"optimize: plans, colour {colour + 1}", calls), strict=True):
            plan = plan + res["plan"]
            greedy = greedy + res["greedy"]
            infos[p] = res["info"]
    v_plan, v_greedy = value_of(plan, c0, w), value_of(greedy, c0, w)
    source = "pieces"
    if v_greedy > v_plan:
        plan, v_plan, source = greedy, v_greedy, "greedy"
    plan, swaps = _polish(pieces, plan, c0, closed, w, budget, run)
    v_plan = value_of(plan, c0, w)
    abs_tol = 0.5 * options.gap_tol * max(v_plan - base, 0.0) / max(1, len(futs))
    ub, bound_method = _bound(
        pieces,
        c0,
        closed,
        plan,
        price,
        budget,
        abs_tol,
        run,
        v_plan=v_plan,
        base=base,
        gap_tol=options.gap_tol,
    )
    ub = max(base + ub, v_plan)
    sel, gains = _ordered(plan, c0, w)
    info = {
        "n_rows": pieces.n_rows,
        "n_demand": pieces.n_demand,
        "nnz": pieces.nnz,
        "pieces": len(futs),
        "colours": int(col.max(initial=-1)) + 1,
        "allocation": k.tolist(),
        "plan_source": source,
        "swaps": swaps,
        "greedy_objective": v_greedy,
        "piece_stopped_by": [i.get("stopped_by", "") for i in infos],
    }
    sol = Solution(
        selected=sel,
        gains=gains,
        objective=v_plan,
        upper_bound=ub,
        gap=relative_gap(v_plan, ub),
        method="distributed",
        trace=(TracePoint(time.perf_counter() - t0, v_plan, ub, "distributed"),),
        bound_method=bound_method,
        elapsed_s=time.perf_counter() - t0,
        info=info,
        stopped_by="gap" if relative_gap(v_plan, ub) <= options.gap_tol else "work_limit",
    )
    return sol, plan


class _Top2:
    """Best and second-best cover level of every column the plan or ``c0`` reaches."""

    def __init__(self, plan: Entries, c0: Levels, w: FloatArray) -> None:
        rows = np.concatenate([plan.rows, np.full(c0.cols.size, -1, dtype=np.int64)])
        cols = np.concatenate([plan.cols, c0.cols])
        vals = np.concatenate([plan.vals, c0.level])
        order = np.lexsort((rows, -vals, cols))
        c, v, r = cols[order], vals[order], rows[order]
        first = np.ones(c.size, dtype=bool)
        first[1:] = c[1:] != c[:-1]
        idx = np.flatnonzero(first)
        nxt = np.minimum(idx + 1, max(c.size - 1, 0))
        has2 = (idx + 1 < c.size) & (c[nxt] == c[idx]) if c.size else np.zeros(0, bool)
        self.cols, self.l1, self.r1 = c[idx], v[idx], r[idx]
        self.l2 = np.where(has2, v[nxt], 0.0) if c.size else np.zeros(0)
        self.w, self.w_all = w[self.cols], w
        self.rows = np.unique(plan.selected)
        owner = np.searchsorted(self.rows, self.r1)
        mine = self.r1 >= 0
        self.loss = np.bincount(
            owner[mine], weights=(self.w * (self.l1 - self.l2))[mine], minlength=self.rows.size
        )

    def swap_value(self, cols: IntArray, vals: FloatArray) -> tuple[float, FloatArray]:
        """Gain of adding a row (entries), and each plan row's loss once it is added."""
        wc = self.w_all[cols]
        l1, l2 = np.zeros(cols.size), np.zeros(cols.size)
        r1 = np.full(cols.size, -1, dtype=np.int64)
        if self.cols.size:
            p = np.clip(np.searchsorted(self.cols, cols), 0, self.cols.size - 1)
            hit = self.cols[p] == cols
            l1[hit], l2[hit], r1[hit] = self.l1[p[hit]], self.l2[p[hit]], self.r1[p[hit]]
        add = float((wc * np.maximum(vals - l1, 0.0)).sum())
        # where the row's column is held by a plan row, that row's loss there shrinks
        red = wc * ((l1 - l2) - np.maximum(l1 - np.maximum(l2, vals), 0.0))
        mine = r1 >= 0
        loss = self.loss - np.bincount(
            np.searchsorted(self.rows, r1[mine]), weights=red[mine], minlength=self.rows.size
        )
        return add, np.asarray(loss, dtype=np.float64)


def _polish(  # noqa: PLR0913 -- the pieces and the phase's terms
    pieces: Pieces,
    plan: Entries,
    c0: Levels,
    closed: IntArray,
    w: FloatArray,
    budget: int,
    run: Callable[[str, list[Any]], list[Any]],
) -> tuple[Entries, int]:
    """Swap sets across pieces: workers offer their best rows, the driver swaps exactly.

    A swap (add row ``a``, drop row ``d``; ``d`` is the row of ``a``'s site when
    the plan has one) is made when it raises the objective, evaluated exactly
    from the plan's rows.  At most ``POLISH_ROUNDS`` rounds of
    ``POLISH_CANDIDATES`` rows per piece (work-counted: deterministic).
    """
    client, futs = pieces.client, pieces.futures
    swaps = 0
    closed_f = _share(client, closed)
    for rnd in range(POLISH_ROUNDS):
        level = _share(client, c0.union(plan.levels()))
        selected = _share(client, plan.selected)
        calls = [
            client.submit(
                piece_candidates, f, level, closed_f, selected, POLISH_CANDIDATES, pure=False
            )
            for f in futs
        ]
        offers = run(f"optimize: swaps, round {rnd + 1}", calls)
        cand = Entries.empty()
        for o in offers:
            cand = cand + o
        order = np.lexsort((cand.selected, -cand.gains))
        made = 0
        top, tol = _Top2(plan, c0, w), 1e-9 * max(1.0, value_of(plan, c0, w))
        for a in cand.selected[order]:
            new, ok = _try_swap(plan, top, cand, int(a), budget, tol)
            if ok:  # the plan's levels change: only then are they recomputed
                plan, made = new, made + 1
                top = _Top2(plan, c0, w)
        swaps += made
        if made == 0:
            break
    return plan, swaps


def _try_swap(
    plan: Entries, top: _Top2, cand: Entries, a: int, budget: int, tol: float
) -> tuple[Entries, bool]:
    """Add candidate row `a` in place of the plan row it improves most on (if it helps)."""
    mask = cand.rows == a
    add, loss = top.swap_value(cand.cols[mask], cand.vals[mask])
    g = int(cand.groups[cand.selected == a][0])
    same = plan.selected[plan.groups == g]
    if same.size:
        d = int(same[0])
        delta = add - float(loss[np.searchsorted(top.rows, d)])
    elif plan.selected.size < budget:
        d, delta = -1, add
    elif top.rows.size:
        i = int(np.argmin(loss))  # ties: the lowest row
        d, delta = int(top.rows[i]), add - float(loss[i])
    else:
        return plan, False
    if delta <= tol:
        return plan, False
    sel = cand.selected == a
    row = Entries(
        cand.rows[mask],
        cand.cols[mask],
        cand.vals[mask],
        cand.selected[sel],
        np.array([delta]),
        cand.groups[sel],
    )
    return (plan.without(d) if d >= 0 else plan) + row, True


def _curves(
    pieces: Pieces,
    c0: Levels,
    closed: IntArray,
    budget: int,
    run: Callable[[str, list[Any]], list[Any]],
) -> tuple[list[Any], list[dict[str, Any]], IntArray]:
    """Round 1: greedy curves, each as long as its piece's share of the budget can use.

    A piece first gets twice its share of the entries (at least 16 sets); a
    piece whose whole curve is taken by the allocation (and could go on) is
    run again four times as long, until none is.
    """
    client, futs = pieces.client, pieces.futures
    total = max(1, sum(pieces.nnz_each))
    share = [min(budget, max(16, -(-2 * budget * n // total))) for n in pieces.nnz_each]
    curve_f: list[Any] = [None] * len(futs)
    curves: list[dict[str, Any]] = [{}] * len(futs)
    todo = list(range(len(futs)))
    c0_f, closed_f = _share(client, c0), _share(client, closed)
    while True:
        calls = [
            client.submit(piece_curve, futs[p], c0_f, closed_f, share[p], pure=False) for p in todo
        ]
        for p, f, c in zip(todo, calls, run("optimize: curves", calls), strict=True):
            curve_f[p], curves[p] = f, c
        k = allocate([c["gains"] for c in curves], budget)
        todo = [
            p
            for p in range(len(futs))
            if k[p] == curves[p]["gains"].size and not curves[p]["complete"] and share[p] < budget
        ]
        if not todo:
            return curve_f, curves, k
        for p in todo:
            share[p] = min(budget, 4 * share[p])


def _bound(  # noqa: PLR0913 -- the pieces and the phase's terms
    pieces: Pieces,
    c0: Levels,
    closed: IntArray,
    plan: Entries,
    price: float,
    budget: int,
    abs_tol: float,
    run: Callable[[str, list[Any]], list[Any]],
    *,
    v_plan: float,
    base: float,
    gap_tol: float,
) -> tuple[float, str]:
    """Compute the bound: the online bound first; the multipliers when it is not enough.

    The online bound (``lam`` = the plan's cover levels, the same on every
    piece) needs one pass: the pieces' top group values; ``sum_j lam_j`` is the
    plan's value over ``c0``.  If it proves `gap_tol` (as the in-process
    ``"auto"`` stops there), that is the bound; otherwise every piece lowers
    its part of the priced Lagrangian at the common `price` (the greedy's
    marginal gain at the budget) and the driver adds the parts up at the best
    price for the returned group values (the ``K``-th largest).  Values are
    without the fixed rows' ``base``.
    """
    client, futs = pieces.client, pieces.futures
    plan_levels = _share(client, plan.levels())
    c0_f, closed_f = _share(client, c0), _share(client, closed)
    calls = [
        client.submit(piece_online, f, c0_f, closed_f, plan_levels, budget, pure=False)
        for f in futs
    ]
    tops = np.concatenate([np.zeros(0), *run("optimize: online bound", calls)])
    online = (v_plan - base) + float(np.sort(tops)[::-1][:budget].sum())
    if relative_gap(v_plan, base + online) <= gap_tol:
        return online, "online (pieces)"
    # the steps the whole problem gets in process (at least 50), so the work does not grow
    # with the pieces; a piece stops early at its share of the gap target
    steps = max(50, min(BOUND_STEPS, int(BOUND_WORK // max(1, pieces.nnz))))
    best, name = online, "online"
    mult_f: list[Any] = [None] * len(futs)
    # cheap first: a few steps, the agreed multipliers as they are; then more steps; then the
    # pieces' own multipliers lowered with the shared ones fixed (stop once gap_tol is proven)
    tries = [(min(10, steps), 0), (max(10, steps // 2), 0), (0, steps)]
    for t, (first, own) in enumerate(tries):
        work = _share(client, BoundWork(price, own, abs_tol, plan.selected, first_steps=first))
        if first:
            mult_f = [
                client.submit(
                    piece_multipliers, f, c0_f, closed_f, plan_levels, work, mult_f[p], pure=False
                )
                for p, f in enumerate(futs)
            ]
            shared = run(
                "optimize: multipliers",
                [client.submit(_shared_part, m, pure=False) for m in mult_f],
            )
            chosen = _agree(shared)
        calls = [
            client.submit(
                piece_bound,
                f,
                mult_f[p],
                c0_f,
                closed_f,
                plan_levels,
                chosen[p],
                budget,
                work,
                pure=False,
            )
            for p, f in enumerate(futs)
        ]
        parts = run(f"optimize: bound {t + 1}", calls)
        lam_sum = sum(p["lagrangian"][0] for p in parts)
        tops = np.concatenate([np.zeros(0), *(p["lagrangian"][1] for p in parts)])
        value = lam_sum + float(np.sort(tops)[::-1][:budget].sum())
        if value < best:
            best, name = value, "lagrangian"
        if relative_gap(v_plan, base + best) <= gap_tol:
            break
    return best, f"{name} (pieces)"


def _shared_part(mult: dict[str, Any]) -> tuple[IntArray, FloatArray, IntArray]:
    """Return the shared columns' multipliers and entry counts of one piece (small)."""
    return mult["cols"], mult["lam_shared"], mult["count"]


def _agree(
    shared: list[tuple[IntArray, FloatArray, IntArray]],
) -> list[tuple[IntArray, FloatArray, NDArray[np.bool_]]]:
    """One multiplier per shared column: the piece with most entries there (ties: lowest)."""
    z = [(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))]
    cols = np.concatenate([s[0] for s in [*z, *shared]]).astype(np.int64)
    lam = np.concatenate([s[1] for s in [*z, *shared]]).astype(np.float64)
    cnt = np.concatenate([s[2] for s in [*z, *shared]]).astype(np.int64)
    piece = np.concatenate(
        [np.zeros(0, np.int64)]
        + [np.full(s[0].size, p, dtype=np.int64) for p, s in enumerate(shared)]
    )
    order = np.lexsort((piece, -cnt, cols))
    first = np.ones(order.size, dtype=bool)
    first[1:] = cols[order][1:] != cols[order][:-1]
    win = order[first]
    u = cols[win]
    out = []
    for p, s in enumerate(shared):
        pos = np.searchsorted(u, s[0])
        owner = piece[win][pos]
        out.append((s[0], lam[win][pos], owner == p))
    return out


def _ordered(plan: Entries, c0: Levels, w: FloatArray) -> tuple[IntArray, FloatArray]:
    """Order the plan's rows greedily over ``c0`` and their marginal gains (driver-side)."""
    rows = np.unique(plan.selected)
    if rows.size == 0:
        return rows.astype(np.int64), np.zeros(0)
    cols = np.unique(np.concatenate([plan.cols, c0.cols]))
    r = np.searchsorted(rows, plan.rows)
    c = np.searchsorted(cols, plan.cols)
    M = csr_array((plan.vals, (r, c)), shape=(rows.size + 1, cols.size))
    base = csr_array(
        (c0.level, (np.full(c0.cols.size, rows.size), np.searchsorted(cols, c0.cols))),
        shape=M.shape,
    )
    M = csr_array(M + base)
    sol = max_coverage(M, w[cols], budget=rows.size, fixed=[rows.size], method="greedy")
    rest = np.setdiff1d(np.arange(rows.size), sol.selected)
    order = np.concatenate([sol.selected, rest]).astype(np.int64)
    gains = np.concatenate([sol.gains, np.zeros(rest.size)])
    return rows[order].astype(np.int64), gains.astype(np.float64)


# --------------------------------------------------------------------------- making pieces
def piece_of_tile(
    tm: Any, site_start: IntArray, n_candidates: int, w: FloatArray, shared: NDArray[np.bool_]
) -> Piece:
    """Return the candidate rows of a tile (:class:`~coverage.distributed._matrix.TileMatrix`)."""
    cm = tm.cm
    rows = tm.global_rows(site_start[tm.site_ids], n_candidates)
    cand = np.flatnonzero(cm.site >= 0)
    return Piece(
        index=tm.tile,
        A=csr_array(cm.A[cand]),
        rows=rows[cand],
        groups=tm.site_ids[cm.site[cand]].astype(np.int64),
        cols=tm.halo_ids,
        w=w,
        shared=shared,
    )


def fixed_of_tile(tm: Any, site_start: IntArray, n_candidates: int) -> Entries:
    """Entries of a tile's existing sets, in global numbering."""
    cm = tm.cm
    rows = tm.global_rows(site_start[tm.site_ids], n_candidates)
    ex = np.flatnonzero(cm.site < 0)
    sub = cm.A[ex].tocoo()
    r = rows[ex]
    return Entries(
        r[sub.row].astype(np.int64),
        tm.halo_ids[sub.col].astype(np.int64),
        np.asarray(sub.data, dtype=np.float64),
        r.astype(np.int64),
        np.zeros(r.size),
        np.full(r.size, -1, dtype=np.int64),
    )


def sharing(cols_of: list[IntArray], m: int) -> list[tuple[int, int]]:
    """Pairs of pieces holding a common column (from each piece's columns).

    Examples
    --------
    >>> sharing([np.array([0, 1]), np.array([1, 2]), np.array([3]), np.array([1])], 4)
    [(0, 1), (0, 3), (1, 3)]
    """
    from scipy.sparse import coo_array

    if not cols_of:
        return []
    pid = np.concatenate([np.full(c.size, p, dtype=np.int64) for p, c in enumerate(cols_of)])
    inc = coo_array(
        (np.ones(pid.size), (pid, np.concatenate(cols_of))), shape=(len(cols_of), m)
    ).tocsr()
    adj = (inc @ inc.T).tocoo()
    return sorted({(int(a), int(b)) for a, b in zip(adj.row, adj.col, strict=True) if a < b})


def _share(client: Any, x: Any) -> Any:
    """One task whose result is `x`: every task of a round takes it from there.

    Passing a large argument (cover levels over a million columns) to each
    of a round's tasks would keep one copy per task in the graph; a shared
    future is held once, and rerun from the graph if its worker dies.
    """
    return submit(client, keep, x)


def keep(x: Any) -> Any:
    """Return `x` (a task whose input is its result: the data stay in the graph)."""
    return x


def pieces_of_matrix(
    client: Any,
    A: csr_array,
    w: FloatArray,
    *,
    groups: IntArray,
    fixed: IntArray,
    n_pieces: int,
) -> tuple[Pieces, Entries]:
    """Cut a matrix on the driver into pieces of whole groups, sent to the workers.

    Groups are ordered by reverse Cuthill-McKee on the coverage graph (groups
    and columns; it orders one component after the other and keeps
    neighbours close, so a run of groups shares few columns with the next),
    and the rows are cut into `n_pieces` runs of about equal entries: a
    component with fewer entries than a piece stays whole, a larger one is cut
    between groups.
    """
    from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

    n, m = A.shape
    is_fixed = np.zeros(n, dtype=bool)
    is_fixed[fixed] = True
    sel = np.flatnonzero(~is_fixed)
    S = csr_array(A[sel])
    g = groups[sel]
    # components of the bipartite graph (groups, columns)
    _, gd = np.unique(g, return_inverse=True)
    ng = int(gd.max(initial=-1)) + 1
    r_of = np.repeat(np.arange(S.shape[0]), np.diff(S.indptr))
    from scipy.sparse import coo_array

    ii = np.concatenate([gd[r_of], ng + S.indices])
    jj = np.concatenate([ng + S.indices, gd[r_of]])
    G = coo_array((np.ones(ii.size), (ii, jj)), shape=(ng + m, ng + m)).tocsr()
    _, lab = connected_components(G, directed=False)
    comp = lab[gd]
    rank = np.empty(ng + m, dtype=np.int64)
    rank[reverse_cuthill_mckee(G, symmetric_mode=True)] = np.arange(ng + m)
    order = np.lexsort((sel, rank[gd]))
    nnz = np.diff(S.indptr)[order]
    cum = np.cumsum(nnz)
    total = max(int(cum[-1]) if cum.size else 0, 1)
    cut = np.minimum((cum - 1) * n_pieces // total, n_pieces - 1) if cum.size else cum
    # never split a group, nor a component smaller than a piece: a row takes the piece of
    # the first row of its group (of its component, for a small component)
    gs, cs = g[order], comp[order]
    comp_nnz = np.bincount(cs, weights=nnz) if cs.size else np.zeros(0)
    small = comp_nnz[cs] <= total / n_pieces if cs.size else np.zeros(0, bool)
    key = np.where(small, -1 - cs, gs)  # run boundaries: a small component, else a group
    first = np.ones(key.size, dtype=bool)
    first[1:] = (key[1:] != key[:-1]) | (cs[1:] != cs[:-1])
    cut = cut[np.flatnonzero(first)[np.cumsum(first) - 1]] if gs.size else cut
    piece_of = np.empty(sel.size, dtype=np.int64)
    piece_of[order] = cut
    used = np.unique(piece_of)
    piece_of = np.searchsorted(used, piece_of)
    n_p = used.size
    col_pieces = [np.unique(S[np.flatnonzero(piece_of == p)].indices) for p in range(n_p)]
    count = np.bincount(np.concatenate(col_pieces), minlength=m) if n_p else np.zeros(m, int)
    futures = []
    for p in range(n_p):
        loc = np.flatnonzero(piece_of == p)
        cols = col_pieces[p].astype(np.int64)
        piece = Piece(
            p,
            csr_array(S[loc][:, cols]),
            sel[loc].astype(np.int64),
            g[loc].astype(np.int64),
            cols,
            w[cols],
            count[cols] >= 2,
        )
        futures.append(submit(client, keep, piece))
    fx = csr_array(A[fixed]).tocoo()
    fixed_e = Entries(
        fixed[fx.row].astype(np.int64),
        fx.col.astype(np.int64),
        fx.data.astype(np.float64),
        fixed.astype(np.int64),
        np.zeros(fixed.size),
        np.full(fixed.size, -1, dtype=np.int64),
    )
    nnz_each = [
        int(
            S.indptr[np.flatnonzero(piece_of == p) + 1].sum()
            - S.indptr[np.flatnonzero(piece_of == p)].sum()
        )
        for p in range(n_p)
    ]
    return Pieces(client, futures, sharing(col_pieces, m), n, m, nnz_each), fixed_e
