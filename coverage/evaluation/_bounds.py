r"""Proven upper bounds on the best coverage at many budgets at once (numpy only).

For a coverage matrix ``A`` with the installed rows folded into a base level
``c0_j`` (the best quality the existing sets give point ``j``), write
``V_ij = w_j (A_ij - c0_j)^+`` for the open rows (rows on a site with no
installed set) and ``f0 = sum_j w_j c0_j``. The best plan of ``b`` rows, at
most one per site, covers at most

.. math:: L_b(\lambda) = f_0 + \sum_j \lambda_j + \text{(sum of the } b
          \text{ largest site maxima of } \textstyle\sum_j (V_{ij} - \lambda_j)^+)

for **every** ``lambda >= 0`` and every ``b``: it is the Lagrangian relaxation
of "each point is credited by one chosen row" (``u_ij <= x_i``,
``sum_i u_ij <= 1``, ``sum_i x_i <= b``, one row per site) and a relaxation's
optimum is at least the optimum. With ``lambda_j = w_j (q_j - c0_j)`` for the
qualities ``q`` of a set ``S`` it is the submodular gain bound ``f(S) + the b
largest marginal gains w.r.t. S``; a few projected subgradient steps from the
better of two such starts lower it further.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from coverage._arrays import row_of_entries

__all__ = ["BoundCore"]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BoundCore:
    """The open rows' ``V`` in CSR form, rows sorted by site, and the base level.

    Build with :meth:`build`; evaluate bounds with :meth:`bounds`.

    Examples
    --------
    Two sites over three unit-weight points, nothing installed:

    >>> from scipy.sparse import csr_array
    >>> A = csr_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    >>> core = BoundCore.build(A, np.ones(3), groups=np.array([0, 1]), fixed=np.zeros(0, int))
    >>> core.bounds(np.zeros(3), np.array([0, 1, 2])).tolist()  # lambda = 0: the row sums
    [0.0, 2.0, 4.0]
    >>> core.bounds(np.array([0.0, 1.0, 0.0]), np.array([1, 2])).tolist()  # a better lambda
    [2.0, 3.0]
    """

    indptr: Ints
    indices: Ints
    data: Floats
    entry_row: Ints
    group_starts: Ints
    site_of_row: Ints
    base: Floats
    weights: Floats
    base_value: float

    @classmethod
    def build(cls, A: object, w: Floats, *, groups: Ints, fixed: Ints) -> BoundCore:
        """Fold the installed rows (`fixed`) into the base level; keep the open rows."""
        from scipy.sparse import csr_array

        M = csr_array(A).tocsr()
        n, m = M.shape
        base = np.zeros(m)
        fixed = np.asarray(fixed, dtype=np.int64)
        if fixed.size:
            F = M[fixed].tocoo()
            np.maximum.at(base, F.col, F.data)
        _, gid = np.unique(np.asarray(groups), return_inverse=True)
        gid = gid.ravel()
        closed = np.isin(gid, gid[fixed]) if fixed.size else np.zeros(n, dtype=bool)
        rows = np.flatnonzero(~closed)
        rows = rows[np.argsort(gid[rows], kind="stable")]
        sub = csr_array(M[rows]).tocsr()
        er = row_of_entries(sub.indptr)
        value = w[sub.indices] * (sub.data - base[sub.indices])
        keep = value > 0
        counts = np.bincount(er[keep], minlength=rows.size)
        g_sorted = gid[rows]
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]]).astype(np.int64)
        starts = starts if rows.size else starts[:0]
        return cls(
            indptr=np.r_[0, np.cumsum(counts)].astype(np.int64),
            indices=sub.indices[keep].astype(np.int64),
            data=value[keep],
            entry_row=er[keep].astype(np.int64),
            group_starts=starts,
            site_of_row=np.repeat(np.arange(starts.size), np.diff(np.r_[starts, rows.size])),
            base=base,
            weights=np.asarray(w, dtype=np.float64),
            base_value=float(np.sum(w * base)),  # no BLAS: its threads crawl on a busy machine
        )

    def multipliers(self, quality: Floats) -> Floats:
        """``lambda_j = w_j (q_j - c0_j)^+``: the gain bound's multipliers of qualities `q`."""
        out: Floats = self.weights * np.maximum(quality - self.base, 0.0)
        return out

    def _site_values(self, lam: Floats) -> tuple[Floats, Floats]:
        """Each row's reduced value ``sum_j (V_ij - lam_j)^+`` and each site's maximum."""
        n_rows = self.indptr.size - 1
        if not n_rows or not self.data.size:
            return np.zeros(n_rows), np.zeros(self.group_starts.size)
        r = self.data - lam[self.indices]
        np.maximum(r, 0.0, out=r)
        # rows are contiguous runs of entries: sum each run (an empty row's run is set to 0)
        row_val: Floats = np.add.reduceat(r, np.minimum(self.indptr[:-1], r.size - 1))
        row_val[self.indptr[1:] == self.indptr[:-1]] = 0.0
        site_max: Floats = np.maximum.reduceat(row_val, self.group_starts)
        return row_val, site_max

    def bounds(self, lam: Floats, budgets: Ints) -> Floats:
        """``L_b(lam)`` for each budget ``b`` (a proven bound for any ``lam >= 0``)."""
        lam = np.maximum(lam, 0.0)
        _, site_max = self._site_values(lam)
        top = np.r_[0.0, np.cumsum(np.sort(site_max)[::-1])]
        b = np.clip(np.asarray(budgets, dtype=np.int64), 0, top.size - 1)
        out: Floats = self.base_value + float(lam.sum()) + top[b]
        return out

    def descend(self, lam: Floats, budget: int, target: float, iterations: int) -> Floats:
        """Projected subgradient steps on ``L_budget`` from `lam`; return the best multipliers.

        Polyak steps toward `target` (a known objective at `budget`), halved
        after three steps without progress. A fixed number of steps: the
        result depends on the data only, never on the machine's load.
        """
        best_lam = lam = np.maximum(lam, 0.0)
        best = float(self.bounds(lam, np.array([budget]))[0])
        mu, stale = 1.0, 0
        for _ in range(iterations):
            row_val, site_max = self._site_values(lam)
            value = self.base_value + float(lam.sum())
            k = min(budget, site_max.size)
            if k > 0:
                chosen_sites = np.argpartition(site_max, site_max.size - k)[site_max.size - k :]
                chosen_sites = chosen_sites[site_max[chosen_sites] > 0]
                value += float(site_max[chosen_sites].sum())
                rows = self._site_argmax(row_val, site_max, chosen_sites)
            else:
                rows = np.zeros(0, dtype=np.int64)
            if value < best - 1e-12 * max(1.0, abs(best)):
                best, best_lam, stale = value, lam, 0
            else:
                stale += 1
                if stale >= 3:
                    mu, stale = mu / 2, 0
            entries = _entries_of(self.indptr, rows)
            cols = self.indices[entries]
            used = cols[self.data[entries] > lam[cols]]
            g = 1.0 - np.bincount(used, minlength=lam.size)
            g[(lam <= 0) & (g > 0)] = 0.0  # projected: lambda stays >= 0
            norm = float(np.sum(g * g))
            if norm <= 0 or value - target <= 1e-12 * max(1.0, abs(target)):
                break
            lam = np.maximum(lam - mu * (value - target) / norm * g, 0.0)
        return best_lam

    def _site_argmax(self, row_val: Floats, site_max: Floats, sites: Ints) -> Ints:
        """Return the first row of each of `sites` with that site's largest reduced value."""
        site_of_row = self.site_of_row
        wanted = np.zeros(self.group_starts.size, dtype=bool)
        wanted[sites] = True
        hit = np.flatnonzero(wanted[site_of_row] & (row_val >= site_max[site_of_row]))
        _, first = np.unique(site_of_row[hit], return_index=True)
        out: Ints = hit[first]
        return out


def _entries_of(indptr: Ints, rows: Ints) -> Ints:
    """Positions of the stored entries of `rows` in a CSR matrix with this ``indptr``."""
    lo, hi = indptr[rows], indptr[rows + 1]
    counts = hi - lo
    out: Ints = np.repeat(lo - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(counts.sum())
    return out
