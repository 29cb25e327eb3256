"""Argument checks and normalisation of the optimizer's public functions.

Private: each public function of :mod:`coverage.optimize` checks its arguments
here once, then works on the normalised arrays.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse import csr_array

from coverage._arrays import row_of_entries
from coverage._validate import check_choice, check_number, check_xy, format_rows
from coverage.errors import InputError, ParameterError
from coverage.optimize._solution import Progress

SeedLike = int | np.random.Generator | None
ProgressFn = Callable[[str, int, int, float, float], None]
METHODS = ("auto", "greedy", "local", "exact")
COMBINE = ("max", "probabilistic")
#: Wall-time limits used when ``time_limit_s`` is None.
DEFAULT_LIMIT_S = {"auto": 60.0, "greedy": np.inf, "local": 30.0, "exact": 300.0}


@dataclass(frozen=True, eq=False)
class Instance:
    """The checked data of one call: matrix, weights and the fixed rows (unique, sorted)."""

    A: csr_array
    w: NDArray[np.float64]
    fixed: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RunOptions:
    """How one call runs: method, gap target, clock, seed and progress callback."""

    method: str
    gap_tol: float
    t0: float
    deadline: float
    rng: np.random.Generator
    progress: ProgressFn | None


def check_run(
    method: str,
    time_limit_s: float | None,
    gap_tol: float,
    rng: SeedLike,
    progress: Callable[[Progress], None] | None,
    t0: float,
) -> RunOptions:
    """Check the run options of :func:`max_coverage`; the seed is normalised here, once."""
    owner = "max_coverage"
    method = check_choice(method, "method", owner, METHODS)
    if time_limit_s is not None:
        time_limit_s = check_number(time_limit_s, "time_limit_s", owner, low=0, low_open=True)
    gap_tol = check_number(gap_tol, "gap_tol", owner, low=0, high=1)
    if progress is not None and not callable(progress):
        msg = f"The 'progress' parameter of {owner} must be callable or None."
        raise ParameterError(msg)
    limit_s = time_limit_s if time_limit_s is not None else DEFAULT_LIMIT_S[method]
    return RunOptions(
        method=method,
        gap_tol=gap_tol,
        t0=t0,
        deadline=t0 + limit_s,
        rng=np.random.default_rng(check_seed(rng, owner)),
        progress=None if progress is None else _progress_fn(progress, t0, limit_s),
    )


def check_seed(rng: Any, owner: str) -> SeedLike:
    """Check a seed: None, an int >= 0 (not a bool) or a ``numpy.random.Generator``."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and int(rng) >= 0:
        return int(rng)
    msg = (
        f"The 'rng' parameter of {owner} must be None, an int >= 0 or a "
        f"numpy.random.Generator. Got {rng!r} instead; pass e.g. rng=0 for a repeatable run."
    )
    raise ParameterError(msg)


def _progress_fn(progress: Callable[[Progress], None], t0: float, limit_s: float) -> ProgressFn:
    def report(stage: str, done: int, total: int, obj: float, ub: float) -> None:
        progress(Progress(stage, done, total, obj, ub, time.perf_counter() - t0, float(limit_s)))

    return report


def check_budget(
    budget: float, costs: ArrayLike | None, n: int, n_fixed: int, owner: str
) -> tuple[float, NDArray[np.float64] | None]:
    """Check the budget (a count, or money with ``costs``) and return it with the costs."""
    if costs is None:
        count = check_number(budget, "budget", owner, low=1, high=max(n - n_fixed, 1), integer=True)
        return count, None
    money = check_number(budget, "budget", owner, low=0, low_open=True)
    return money, as_costs(costs, n, owner)


def check_budgets(budgets: Sequence[float], owner: str) -> None:
    """``budgets`` of :func:`plan_phases` and :func:`coverage_curve`: a non-empty sequence."""
    if isinstance(budgets, str) or not isinstance(budgets, Sequence) or len(budgets) == 0:
        msg = f"The 'budgets' parameter of {owner} must be a non-empty sequence. Got {budgets!r}."
        raise ParameterError(msg)


def check_phase_total(budgets: Sequence[float], free_rows: int, options: Mapping[str, Any]) -> None:
    """Count budgets of :func:`plan_phases` must fit the rows not fixed, all phases together."""
    if options.get("costs") is not None:
        return
    counts = [b for b in budgets if isinstance(b, int | np.integer) and not isinstance(b, bool)]
    if len(counts) != len(budgets):
        return  # each phase's own check names the bad budget
    total = int(sum(int(b) for b in counts))
    if total > max(free_rows, 1):
        msg = (
            f"The 'budgets' parameter of plan_phases adds up to {total} sets ({list(budgets)}) "
            f"but only {free_rows} row(s) are not fixed. Lower the phase budgets."
        )
        raise ParameterError(msg)


def as_csr(A: Any, owner: str = "max_coverage") -> csr_array:
    """Return ``A`` as float64 CSR, int64 indices, sorted, duplicates summed, no zeros."""
    if sparse.issparse(A):
        _check_sparse_structure(A, owner)
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
        rows = np.unique(row_of_entries(M.indptr)[bad])
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


def _check_sparse_structure(A: Any, owner: str) -> None:
    """Refuse a sparse matrix whose indices are out of range or that repeats an entry.

    Duplicated entries would be summed silently by scipy (0.3 + 0.3 = 0.6 of
    coverage that no camera gives), so they are an error naming the pairs.
    """
    fmt = getattr(A, "format", "")
    if fmt in ("csr", "csc"):
        try:
            A.check_format(full_check=True)
        except (ValueError, IndexError) as exc:
            msg = (
                f"The 'A' parameter of {owner} is a malformed {fmt.upper()} matrix of shape "
                f"{A.shape}: {exc}. Build it with scipy.sparse.csr_array((data, (rows, cols)), "
                "shape=...) so every index is inside the shape."
            )
            raise InputError(msg) from exc
        if A.has_canonical_format:
            return
    coo = A if fmt == "coo" else A.tocoo(copy=False)
    row = np.asarray(coo.coords[0], dtype=np.int64)
    col = np.asarray(coo.coords[1], dtype=np.int64)
    n, m = A.shape
    bad = np.flatnonzero((row < 0) | (row >= n) | (col < 0) | (col >= m))
    if bad.size:
        pairs = [(int(row[i]), int(col[i])) for i in bad[:5]]
        msg = (
            f"The 'A' parameter of {owner} has {bad.size} entr{'y' if bad.size == 1 else 'ies'} "
            f"outside its shape {A.shape} (row, column): {format_rows(pairs)}. Fix the indices "
            "or the shape."
        )
        raise InputError(msg)
    order = np.lexsort((col, row))
    r, c = row[order], col[order]
    dup = np.flatnonzero((r[1:] == r[:-1]) & (c[1:] == c[:-1]))
    if dup.size:
        pairs = sorted({(int(r[i]), int(c[i])) for i in dup})
        msg = (
            f"The 'A' parameter of {owner} gives {len(pairs)} (row, column) entr"
            f"{'y' if len(pairs) == 1 else 'ies'} more than once: {format_rows(pairs)}. "
            "scipy would add them up (0.3 + 0.3 = 0.6 of coverage no camera gives); keep one "
            "value per entry (e.g. the largest) before calling."
        )
        raise InputError(msg)


def as_weights(weights: ArrayLike, m: int, owner: str = "max_coverage") -> NDArray[np.float64]:
    """Demand weights as float64, one per column, finite and >= 0."""
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
    with np.errstate(over="ignore"):
        total = float(w.sum())
    if not np.isfinite(total):
        msg = (
            f"The 'weights' parameter of {owner} adds up to {total} (the values overflow "
            f"float64; largest {float(w.max()):.3g}). Scale the weights down, e.g. divide by "
            "their maximum."
        )
        raise InputError(msg)
    return w


def as_index(
    values: ArrayLike | None, n: int, name: str, owner: str = "max_coverage"
) -> NDArray[np.int64]:
    """Row indices as int64 (empty for None), each in ``[0, n)``."""
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


def as_fixed(values: ArrayLike | None, n: int, owner: str = "max_coverage") -> NDArray[np.int64]:
    """Return the fixed rows, sorted; a row given twice is an error (it is installed once)."""
    arr = as_index(values, n, "fixed", owner)
    uniq, counts = np.unique(arr, return_counts=True)
    twice = uniq[counts > 1]
    if twice.size:
        msg = (
            f"The 'fixed' parameter of {owner} lists {twice.size} row(s) more than once: "
            f"{format_rows(twice.tolist())}. Each installed row counts once; remove the repeats."
        )
        raise InputError(msg)
    return uniq


def as_groups(
    groups: ArrayLike | None, n: int, owner: str = "max_coverage"
) -> NDArray[np.int64] | None:
    """Dense group ids ``0..n_groups-1`` per row, or None (every row its own group)."""
    if groups is None:
        return None
    g = np.asarray(groups)
    if g.ndim != 1 or g.size != n:
        msg = (
            f"The 'groups' parameter of {owner} must be 1-D with one group id per row of A "
            f"({n}). Got shape {g.shape} instead."
        )
        raise InputError(msg)
    if g.dtype.kind == "f" and np.isnan(g).any():
        bad = np.flatnonzero(np.isnan(g))
        msg = (
            f"The 'groups' parameter of {owner} has {bad.size} NaN group id(s) (rows "
            f"{format_rows(bad.tolist())}); give every row a group (its site)."
        )
        raise InputError(msg)
    try:
        _, ids = np.unique(g, return_inverse=True)
    except TypeError as exc:  # ids of mixed types cannot be sorted
        msg = (
            f"The 'groups' parameter of {owner} mixes id types ({exc}); use one type, e.g. "
            "the site index as an int."
        )
        raise InputError(msg) from exc
    ids = ids.astype(np.int64).ravel()
    return ids


def as_costs(costs: ArrayLike, n: int, owner: str) -> NDArray[np.float64]:
    """Row costs as float64, finite and > 0."""
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


def as_quotas(
    labels: ArrayLike | None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None,
    n: int,
    owner: str,
) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None, NDArray[np.int64] | None]:
    """Quota id per row (-1: none), minima and maxima; three Nones without quotas."""
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


def check_quotas_feasible(
    quotas: Mapping[Any, tuple[int | None, int | None]] | None,
    arrays: tuple[NDArray[np.int64] | None, NDArray[np.int64] | None, NDArray[np.int64] | None],
    rows: NDArray[np.int64],
    group_ids: NDArray[np.int64] | None,
    budget: float | None,
    owner: str,
) -> None:
    """Refuse quota minima that no plan can meet, before any search.

    `rows` are the rows that may still be chosen (not fixed, group not
    closed); a group (site) takes one set, so a label's minimum cannot exceed
    its number of open groups. `budget` is the count budget (None with costs).
    """
    ids, qmin, _ = arrays
    if quotas is None or ids is None or qmin is None:
        return
    keys = list(quotas)
    lab = ids[rows]
    grp = rows if group_ids is None else group_ids[rows]
    ok = lab >= 0
    pairs = np.unique(np.column_stack([lab[ok], grp[ok]]), axis=0)
    avail = np.bincount(pairs[:, 0], minlength=len(keys)) if len(pairs) else np.zeros(len(keys))
    short = [t for t in range(len(keys)) if qmin[t] > avail[t]]
    if short:
        parts = [
            f"{keys[t]!r} needs at least {int(qmin[t])} but has {int(avail[t])} open site(s)"
            for t in short[:5]
        ]
        msg = (
            f"The 'quotas' parameter of {owner} cannot be met: {'; '.join(parts)}"
            f"{' …' if len(short) > 5 else ''}. Lower those minima or add candidate sites there "
            "(each site takes one set)."
        )
        raise ParameterError(msg)
    total = int(qmin.sum())
    if budget is not None and total > budget:
        listed = ", ".join(f"{keys[t]!r}: {int(qmin[t])}" for t in range(len(keys)) if qmin[t])
        msg = (
            f"The 'quotas' parameter of {owner} cannot be met: the minima add up to {total} "
            f"set(s) ({listed}) but the budget is {int(budget)}. Lower the minima or raise the "
            "budget."
        )
        raise ParameterError(msg)


def separation_pairs(
    xy: ArrayLike | None, min_separation_m: float | None, n: int, owner: str
) -> NDArray[np.int64] | None:
    """Pairs of rows closer than ``min_separation_m`` (None without that constraint)."""
    if min_separation_m is None:
        return None
    sep = check_number(min_separation_m, "min_separation_m", owner, low=0, low_open=True)
    if xy is None:
        msg = f"The 'min_separation_m' parameter of {owner} needs 'xy' (row coordinates, metres)."
        raise InputError(msg)
    pts = check_xy(xy, "xy", owner)  # (k, 2), finite, rows named
    if pts.shape != (n, 2):
        msg = (
            f"The 'xy' parameter of {owner} must be a finite array of shape ({n}, 2). "
            f"Got shape {pts.shape} instead."
        )
        raise InputError(msg)
    from scipy.spatial import cKDTree

    pairs = cKDTree(pts).query_pairs(sep * (1 - 1e-12), output_type="ndarray")
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
