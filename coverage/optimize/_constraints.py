"""Side constraints of the optimizer: money budget, district quotas, separation.

Private.  Everything here is in *core* row ids (see ``_core``).

- ``Constraints.relaxed_max(c)`` bounds ``max sum_i c_i x_i`` over a relaxation
  of the feasible set (groups, budget, quota maxima; money by a fractional
  knapsack over one pseudo-item per group with the group's best value and
  cheapest cost).  It is used by every bound: online, Lagrangian.
- ``Tracker`` answers "may this row be added / swapped in?" for greedy and
  local search, reserving room for the quota minima.
- ``milp_rows`` writes the constraints for HiGHS.
- ``build_constraints`` maps the checked arguments (original row ids) to a core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.optimize._core import Core, GroupIndex, top_k

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class Constraints:
    """Constraints of one core problem."""

    groups: GroupIndex
    max_count: int  # count budget (every selectable row when the budget is money)
    costs: FloatArray | None = None
    max_cost: float = np.inf  # money budget (inf without costs)
    labels: IntArray | None = None  # label id per row, -1 = no quota
    qmin: IntArray | None = None
    qmax: IntArray | None = None
    conflicts: csr_array | None = None  # symmetric row × row, True = too close

    @property
    def plain(self) -> bool:
        """Only the count budget and groups."""
        return self.costs is None and self.labels is None and self.conflicts is None

    def relaxed_max(self, c: FloatArray) -> tuple[float, IntArray, FloatArray]:
        """Upper bound of ``max sum_i c_i x_i`` over the relaxed feasible set.

        Returns the value, the rows used and their (possibly fractional) weights.
        """
        g = self.groups
        gm, arg = g.group_max(c)
        if self.costs is not None:
            if g.order is None:
                gcost = self.costs
            else:
                gcost = np.minimum.reduceat(self.costs[g.order], g.starts)
            pos = np.flatnonzero(gm > 0)
            ratio = gm[pos] / gcost[pos]
            order = pos[np.lexsort((pos, -ratio))]
            cum = np.cumsum(gcost[order])
            full = int(np.searchsorted(cum, self.max_cost, side="right"))
            take = order[:full]
            value = float(gm[take].sum())
            weights = np.ones(take.size)
            if full < order.size:
                left = self.max_cost - (cum[full - 1] if full else 0.0)
                frac = max(0.0, left / gcost[order[full]])
                value += frac * float(gm[order[full]])
                take = np.concatenate([take, order[full : full + 1]])
                weights = np.concatenate([weights, [frac]])
            return value, arg[take], weights
        if self.labels is not None and self._labels_per_group is not None:
            lab = self._labels_per_group
            cap = (
                np.where(lab >= 0, self.qmax[np.maximum(lab, 0)], self.max_count)
                if self.qmax is not None
                else None
            )
            vals = gm.copy()
            if cap is not None:
                # within each label, keep only the `cap` best groups
                order = np.lexsort((np.arange(vals.size), -vals, lab))
                ls = lab[order]
                first = np.concatenate([[True], ls[1:] != ls[:-1]])
                start_idx = np.maximum.accumulate(np.where(first, np.arange(ls.size), 0))
                rank = np.arange(ls.size) - start_idx
                drop = order[(lab[order] >= 0) & (rank >= cap[order])]
                vals[drop] = 0.0
            chosen = top_k(vals, self.max_count)
            return float(vals[chosen].sum()), arg[chosen], np.ones(chosen.size)
        chosen = top_k(gm, self.max_count)
        return float(gm[chosen].sum()), arg[chosen], np.ones(chosen.size)

    def __post_init__(self) -> None:
        self._labels_per_group: IntArray | None = None
        if self.labels is not None:
            g = self.groups
            lab = np.full(g.n_groups, -1, dtype=np.int64)
            lab[g.group_ids] = self.labels
            lo = np.full(g.n_groups, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(lo, g.group_ids, self.labels)
            if np.all(lo == lab):  # a label per group: quota maxima enter the bound
                self._labels_per_group = lab

    # ------------------------------------------------------------------ MILP rows

    def milp_rows(self) -> tuple[csr_array, FloatArray, FloatArray]:
        """Rows ``lo <= M x <= hi`` for quotas and separation pairs."""
        n = self.groups.n
        mats: list[csr_array] = []
        lo: list[FloatArray] = []
        hi: list[FloatArray] = []
        if self.labels is not None and self.qmin is not None and self.qmax is not None:
            rows = np.flatnonzero(self.labels >= 0)
            nl = self.qmin.size
            mats.append(csr_array((np.ones(rows.size), (self.labels[rows], rows)), shape=(nl, n)))
            lo.append(self.qmin.astype(np.float64))
            hi.append(self.qmax.astype(np.float64))
        if self.conflicts is not None and self.conflicts.nnz:
            C = self.conflicts.tocoo()
            gid = self.groups.group_ids
            keep = (C.row < C.col) & (gid[C.row] != gid[C.col])
            a, b = C.row[keep], C.col[keep]
            k = a.size
            if k:
                data = np.ones(2 * k)
                r = np.concatenate([np.arange(k), np.arange(k)])
                cidx = np.concatenate([a, b])
                mats.append(csr_array((data, (r, cidx)), shape=(k, n)))
                lo.append(np.full(k, -np.inf))
                hi.append(np.ones(k))
        if not mats:
            return csr_array((0, n)), np.zeros(0), np.zeros(0)
        from scipy import sparse

        return (
            csr_array(sparse.vstack(mats, format="csr")),
            np.concatenate(lo),
            np.concatenate(hi),
        )


def build_constraints(
    core: Core,
    costs: FloatArray | None,
    budget: float,
    quotas: tuple[IntArray | None, IntArray | None, IntArray | None],
    pairs: IntArray | None,
) -> Constraints:
    """Build the constraints of ``core`` from the checked arguments (original row ids).

    ``quotas`` is ``(label id per row, minima, maxima)`` and ``pairs`` lists
    the rows closer than the separation; ``budget`` is money with ``costs``.
    """
    label_ids, qmin, qmax = quotas
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
        max_count=core.budget,
        costs=None if costs is None else costs[rows],
        max_cost=float(budget) if costs is not None else np.inf,
        labels=None if label_ids is None else label_ids[rows],
        qmin=qmin,
        qmax=qmax,
        conflicts=conflicts,
    )


class Tracker:
    """Feasibility of additions and swaps against the side constraints."""

    def __init__(self, con: Constraints, in_s: BoolArray | None = None) -> None:
        self.con = con
        n = con.groups.n
        self.in_s = np.zeros(n, dtype=bool) if in_s is None else in_s.copy()
        self.group_used = np.zeros(max(con.groups.n_groups, 1), dtype=bool)
        self.count = 0
        self.spent = 0.0
        self.nl = 0 if con.qmin is None else con.qmin.size
        self.label_count = np.zeros(self.nl, dtype=np.int64)
        self.blocked = np.zeros(n, dtype=np.int64)
        if con.costs is not None and con.labels is not None and self.nl:
            # cheapest rows per label, for reserving money to the minima
            self.cheap: list[FloatArray] = []
            for lab in range(self.nl):
                cs = np.sort(con.costs[con.labels == lab])
                self.cheap.append(np.concatenate([[0.0], np.cumsum(cs)]))
        for i in np.flatnonzero(self.in_s).tolist():
            self.in_s[i] = False
            self.add(i)

    def add(self, i: int) -> None:
        con = self.con
        self.in_s[i] = True
        self.group_used[con.groups.group_ids[i]] = True
        self.count += 1
        if con.costs is not None:
            self.spent += float(con.costs[i])
        if con.labels is not None and con.labels[i] >= 0:
            self.label_count[con.labels[i]] += 1
        if con.conflicts is not None:
            C = con.conflicts
            self.blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] += 1

    def remove(self, i: int) -> None:
        con = self.con
        self.in_s[i] = False
        self.group_used[con.groups.group_ids[i]] = False
        self.count -= 1
        if con.costs is not None:
            self.spent -= float(con.costs[i])
        if con.labels is not None and con.labels[i] >= 0:
            self.label_count[con.labels[i]] -= 1
        if con.conflicts is not None:
            C = con.conflicts
            self.blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] -= 1

    def _reserve_ok(self, count: int, money: float, label_count: IntArray) -> bool:
        con = self.con
        if con.qmin is None:
            return True
        unmet = np.maximum(con.qmin - label_count, 0)
        if con.costs is None:
            return count + int(unmet.sum()) <= con.max_count
        need = sum(float(self.cheap[lab][u]) for lab, u in enumerate(unmet.tolist()) if u)
        return money + need <= con.max_cost * (1 + 1e-12)

    def can_add(self, i: int) -> bool:
        con = self.con
        if self.in_s[i] or self.group_used[con.groups.group_ids[i]]:
            return False
        if con.costs is not None:
            if self.spent + float(con.costs[i]) > con.max_cost * (1 + 1e-12):
                return False
        elif self.count + 1 > con.max_count:
            return False
        if con.conflicts is not None and self.blocked[i] > 0:
            return False
        lc = self.label_count
        if con.labels is not None and con.labels[i] >= 0:
            lab = con.labels[i]
            if con.qmax is not None and lc[lab] + 1 > con.qmax[lab]:
                return False
            lc = lc.copy()
            lc[lab] += 1
        money = self.spent + (float(con.costs[i]) if con.costs is not None else 0.0)
        return self._reserve_ok(self.count + 1, money, lc)

    def can_swap(self, i: int, k: int) -> bool:
        """Tell whether row ``k`` may replace row ``i`` of the plan (``i = -1``: none)."""
        if i < 0:
            return self.can_add(k)
        self.remove(i)
        try:
            return self.can_add(k)
        finally:
            self.add(i)

    def feasible(self) -> bool:
        """Tell whether the current plan satisfies every constraint (minima included)."""
        con = self.con
        if con.costs is not None and self.spent > con.max_cost * (1 + 1e-12):
            return False
        if con.costs is None and self.count > con.max_count:
            return False
        if con.qmin is not None and np.any(self.label_count < con.qmin):
            return False
        if con.qmax is not None and np.any(self.label_count > con.qmax):
            return False
        return not (con.conflicts is not None and np.any(self.blocked[self.in_s] > 0))
