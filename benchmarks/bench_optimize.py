"""Benchmark of ``coverage.optimize.max_coverage`` against HiGHS (and spopt, if installed).

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_optimize.py                  # all three sizes
    .venv/bin/python benchmarks/bench_optimize.py --sizes small --repeat 3
    .venv/bin/python benchmarks/bench_optimize.py --highs-limit 300

Instances come from ``benchmarks/_instances.py`` (city-like: a street grid,
sites along the streets, 3-camera sets in 4 rotations, quality tiers by
distance).  Every run happens in this one process; peak memory is the peak
resident set size of the process during the run (Linux: VmHWM, reset before
each run through /proc/self/clear_refs), so it includes the instance itself;
a MILP child process counts when it sets a new peak among children
(``RUSAGE_CHILDREN`` cannot be reset, so a smaller child may go unseen).
Times are medians over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._instances import Instance, city_instance
from coverage.optimize import max_coverage, objective

SIZES = {
    # name: (rows, demand points, K, gap target, time target s)
    "small": (10_000, 50_000, 2_000, 1e-4, 2.0),
    "medium": (50_000, 250_000, 2_000, 5e-4, 10.0),
    "large": (150_000, 1_000_000, 2_000, 1e-3, 20.0),
}


def _reset_peak() -> None:
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _children_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_ours(inst: Instance, K: int, method: str, gap_tol: float, limit: float) -> dict[str, Any]:
    sol = max_coverage(
        inst.A,
        inst.weights,
        budget=K,
        groups=inst.groups,
        method=method,
        gap_tol=gap_tol,
        time_limit_s=limit,
    )
    return {
        "objective": sol.objective,
        "bound": sol.upper_bound,
        "gap": sol.gap,
        "detail": f"{sol.method}/{sol.bound_method}",
    }


def level_milp(
    A: csr_array, w: NDArray[np.float64], groups: NDArray[np.int64], K: int
) -> tuple[NDArray[np.float64], list[Any], NDArray[np.int64]]:
    """The plain level MILP of quality-valued max coverage, for ``scipy.optimize.milp``.

    Variables: ``x_i`` (binary, one per row) then one ``z`` in [0, 1] per distinct
    value ``v_1 < ... < v_L`` of each column, earning ``w_j (v_l - v_{l-1})``, with
    ``z_jl <= sum_{i: A_ij >= v_l} x_i``, ``sum x <= K`` and one row per group.
    Built here, independently of the package, so the anchor checks our solver.
    Returns the (minimized) cost, the constraints and the integrality.
    """
    n, m = A.shape
    C = sparse.csc_array(A)
    rows = C.indices.astype(np.int64)
    cols = np.repeat(np.arange(m, dtype=np.int64), np.diff(C.indptr))
    vals = C.data
    order = np.lexsort((vals, cols))  # by column, then value ascending
    rows, cols, vals = rows[order], cols[order], vals[order]
    new_level = np.concatenate([[True], (cols[1:] != cols[:-1]) | (vals[1:] != vals[:-1])])
    level = np.cumsum(new_level) - 1
    lvl_val, lvl_col = vals[new_level], cols[new_level]
    first = np.concatenate([[True], lvl_col[1:] != lvl_col[:-1]])
    step = np.where(first, lvl_val, lvl_val - np.concatenate([[0.0], lvl_val[:-1]]))
    # the entry at level r of its column joins the column's levels first..r
    first_level = np.flatnonzero(first)[np.cumsum(first)[level] - 1]
    counts = level - first_level + 1
    link_rows = np.repeat(rows, counts)
    offsets = np.repeat(first_level - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    link_lvls = offsets + np.arange(int(counts.sum()), dtype=np.int64)
    L = int(step.size)
    X = csr_array((np.ones(link_rows.size), (link_lvls, link_rows)), shape=(L, n))
    links = sparse.hstack([-X, sparse.identity(L, format="csr")], format="csr")
    _, gid = np.unique(groups, return_inverse=True)
    G = csr_array((np.ones(n), (gid.ravel(), np.arange(n))), shape=(int(gid.max()) + 1, n))
    pad = csr_array((G.shape[0] + 1, L))
    side = sparse.hstack([sparse.vstack([np.ones((1, n)), G]), pad], format="csr")
    constraints = [
        LinearConstraint(links, -np.inf, 0.0),
        LinearConstraint(side, -np.inf, np.r_[float(K), np.ones(G.shape[0])]),
    ]
    cost = -np.concatenate([np.zeros(n), step * w[lvl_col]])
    integrality = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(L, dtype=np.int64)])
    return cost, constraints, integrality


def run_highs(inst: Instance, K: int, limit: float) -> dict[str, Any]:
    """The plain level MILP of the whole instance, straight to HiGHS (scipy; no reductions).

    HiGHS runs in this process: it may overrun ``limit`` a little.
    """
    A = csr_array(inst.A, dtype=np.float64)
    w = inst.weights
    cost, constraints, integrality = level_milp(A, w, inst.groups, K)
    res = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": limit, "mip_rel_gap": 1e-4, "disp": False},
    )
    selected = np.flatnonzero(res.x[: A.shape[0]] > 0.5) if res.x is not None else np.zeros(0, int)
    obj = objective(A, w, selected) if selected.size else 0.0
    dual = getattr(res, "mip_dual_bound", None)
    bound = max(-dual, obj) if dual is not None and np.isfinite(dual) else np.nan
    return {
        "objective": obj,
        "bound": bound,
        "gap": (bound - obj) / bound if bound > 0 else np.nan,
        "detail": res.message,
    }


def run_spopt(inst: Instance, K: int, limit: float) -> dict[str, Any] | None:
    """spopt's MCLP (binary coverage) when spopt is installed; None when it is not.

    spopt builds a dense cost matrix and a PuLP model in Python loops, so it is
    only attempted up to 2e8 matrix cells.
    """
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        return None
    A = csr_array(inst.A, dtype=np.float64)
    n, m = A.shape
    if n * m > 2e8:
        return {
            "objective": np.nan,
            "bound": np.nan,
            "gap": np.nan,
            "detail": "skipped: dense too big",
        }
    cost = np.where(A.toarray().T > 0, 0.0, 2.0)  # demand × sites; covered within radius 1
    model = MCLP.from_cost_matrix(cost, inst.weights, service_radius=1.0, p_facilities=K)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    chosen = np.asarray([i for i, f in enumerate(model.fac2cli) if len(f)], dtype=np.int64)
    binary = A.copy()
    binary.data[:] = 1.0
    obj = objective(binary, inst.weights, chosen)
    return {"objective": obj, "bound": np.nan, "gap": np.nan, "detail": "binary MCLP, no bound"}


def measure(fn: Callable[[], dict[str, Any] | None], repeat: int) -> dict[str, Any] | None:
    times, peaks, last = [], [], None
    for _ in range(repeat):
        _reset_peak()
        child_before = _children_peak_mb()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        child_after = _children_peak_mb()
        # a MILP child process (if any) counts when it set a new children's peak
        peaks.append(max(_peak_mb(), child_after if child_after > child_before else 0.0))
        if out is None:
            return None
        last = out
    assert last is not None
    last["seconds"] = statistics.median(times)
    last["peak_mb"] = max(peaks)
    return last


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--highs-limit", type=float, default=120.0, help="time limit of the HiGHS anchor (s)"
    )
    ap.add_argument("--no-highs", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    header = (
        f"{'size':>18} {'K':>5} {'method':<22} {'seconds':>8} {'peak MB':>8} "
        f"{'objective':>12} {'bound':>12} {'gap':>8} {'vs HiGHS':>9}  detail"
    )
    print(header)
    print("-" * len(header))
    for name in args.sizes.split(","):
        n, m, K, gap_target, time_target = SIZES[name]
        t = time.perf_counter()
        inst = city_instance(n, m, seed=args.seed)
        gen_s = time.perf_counter() - t
        size = f"{n:,}x{m:,}"
        print(
            f"# {name}: {size}, nnz {inst.A.nnz:,}, generated in {gen_s:.1f} s; "
            f"target gap <= {gap_target:.2%} in < {time_target:g} s",
            flush=True,
        )
        rows: list[tuple[str, dict[str, Any]]] = []
        for label, fn in [
            ("ours greedy", partial(run_ours, inst, K, "greedy", gap_target, 600)),
            ("ours local", partial(run_ours, inst, K, "local", gap_target, time_target)),
            (
                f"ours auto ({time_target:g}s)",
                partial(run_ours, inst, K, "auto", gap_target, time_target),
            ),
            ("ours auto (60s)", partial(run_ours, inst, K, "auto", gap_target, 60.0)),
        ]:
            r = measure(fn, args.repeat)
            if r is not None:
                rows.append((label, r))
        highs = None
        if not args.no_highs:
            highs = measure(partial(run_highs, inst, K, args.highs_limit), 1)
            if highs is not None:
                rows.append((f"HiGHS MILP ({args.highs_limit:g}s)", highs))
        if name == "small":
            sp = measure(partial(run_spopt, inst, K, args.highs_limit), 1)
            if sp is None:
                print("# spopt not installed: skipped")
            else:
                rows.append(("spopt MCLP", sp))
        for label, r in rows:
            ratio = highs["seconds"] / r["seconds"] if highs else float("nan")
            print(
                f"{size:>18} {K:>5} {label:<22} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} "
                f"{r['objective']:>12.2f} {r['bound']:>12.2f} {r['gap']:>8.4%} {ratio:>8.1f}x  "
                f"{r['detail']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
