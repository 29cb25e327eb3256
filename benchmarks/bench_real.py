"""Benchmark of ``max_coverage`` on the real Hong Kong instances, beside HiGHS.

The instances are built exactly as ``examples/hong_kong_next_2000.py`` builds
them from ``../shared/data/hong-kong`` (see its SOURCES.md):

- ``territory1``: territory-wide phase 1, K = 2,000, the MTR exits and police
  stations fixed as existing sets, one configuration per pole (groups);
- ``territory2``: phase 2, K = 2,000, with phase 1 fixed too (phase 1 is the
  plan ``max_coverage(method="auto")`` gives ``territory1`` with the cap out of
  reach, so it depends on this version of the optimizer, not on the load);
- ``tst``: Tsim Sha Tsui at street level with full occlusion, K = 60.

Building the matrices takes minutes, so each instance is cached as an ``.npz``
(matrix, weights, groups, fixed rows) under ``/tmp/realinst/`` (``--cache``);
later runs reload it in a second.  Nothing is written into the repository
except, with ``--write-readme``, the results table in ``benchmarks/README.md``.

Run from the repository root::

    python benchmarks/bench_real.py --quick           # our method only, 60 s cap
    python benchmarks/bench_real.py                   # + HiGHS MILP at 60 s
    python benchmarks/bench_real.py --highs-long 400  # + HiGHS at 400 s
    python benchmarks/bench_real.py --instances tst --highs-long 1500 --highs-reduced

HiGHS solves the same model (the level MILP of ``coverage.optimize.exact``:
the exact formulation, groups and fixed rows folded in) on one thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coverage.optimize import max_coverage, objective

CACHE = Path("/tmp/realinst")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hong-kong"
INSTANCES = ("territory1", "territory2", "tst")
BUDGET = {"territory1": 2000, "territory2": 2000, "tst": 60}


# --------------------------------------------------------------------------- building


def _load_example() -> Any:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "examples" / "hong_kong_next_2000.py"
    spec = importlib.util.spec_from_file_location("hong_kong_next_2000", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _matrix_of(problem: Any) -> tuple[csr_array, NDArray[np.float64], NDArray[np.int64], Any]:
    from coverage import plan as plan_mod

    demand = plan_mod._make_demand(problem)
    sites = plan_mod._make_sites(problem)
    cm = plan_mod.build_matrix(problem, demand, sites)
    return cm.A, demand["weight"].to_numpy(dtype=np.float64), cm.fixed, cm


def _save(name: str, A: csr_array, w: Any, groups: Any, fixed: Any) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    A = csr_array(A)
    path = CACHE / f"{name}.npz"
    np.savez(
        path,
        data=A.data,
        indices=A.indices,
        indptr=A.indptr,
        shape=np.array(A.shape),
        weights=np.asarray(w, dtype=np.float64),
        groups=np.asarray(groups, dtype=np.int64),
        fixed=np.asarray(fixed, dtype=np.int64),
    )
    return path


def load(name: str) -> dict[str, Any]:
    """The cached instance ``name``: ``A``, ``weights``, ``groups``, ``fixed``, ``budget``."""
    z = np.load(CACHE / f"{name}.npz")
    A = csr_array((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    return {
        "A": A,
        "weights": z["weights"],
        "groups": z["groups"],
        "fixed": z["fixed"],
        "budget": BUDGET[name],
        "name": name,
    }


def build(data: Path, names: tuple[str, ...]) -> None:
    """Build the instances (as the example does) and cache them as .npz."""
    import coverage as cov

    ex = _load_example()
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, rotations=4)
    todo = [n for n in names if not (CACHE / f"{n}.npz").exists()]
    if "territory2" in todo and not (CACHE / "territory1.npz").exists():
        todo.insert(0, "territory1")
    if "territory1" in todo:
        t0 = time.perf_counter()
        hk = cov.datasets.hong_kong(data)
        territory, demand, poles = ex.territory_inputs(hk)
        prob = cov.Problem(
            territory,
            camera,
            budget=2000,
            poles=poles,
            candidates="poles",
            demand=demand,
            method="auto",
            occlusion=True,
        )
        A, w, fixed, cm = _matrix_of(prob)
        _save("territory1", A, w, cm.groups, fixed)
        secs = time.perf_counter() - t0
        print(f"territory1: {A.shape} nnz {A.nnz} fixed {fixed.size} ({secs:.0f} s)")
    if "territory2" in todo:
        inst = load("territory1")
        # the cap out of reach: phase 1 is the work-limited plan, the same at any load
        sol = _ours(inst, time_limit_s=900.0)
        fixed2 = np.concatenate([inst["fixed"], sol.selected])
        _save("territory2", inst["A"], inst["weights"], inst["groups"], fixed2)
        print(
            f"territory2: phase 1 objective {sol.objective:.1f} ({sol.stopped_by}), "
            f"fixed {fixed2.size}"
        )
    if "tst" in todo:
        t0 = time.perf_counter()
        tst = cov.datasets.hong_kong(data, incidents="tst")
        prob = cov.Problem(tst, camera, budget=60, method="auto", occlusion=True)
        A, w, fixed, cm = _matrix_of(prob)
        _save("tst", A, w, cm.groups, fixed)
        print(f"tst: {A.shape} nnz {A.nnz} fixed {fixed.size} ({time.perf_counter() - t0:.0f} s)")


# --------------------------------------------------------------------------- runs


def _ours(inst: dict[str, Any], *, time_limit_s: float, method: str = "auto", **kw: Any) -> Any:
    return max_coverage(
        inst["A"],
        inst["weights"],
        budget=inst["budget"],
        groups=inst["groups"],
        fixed=inst["fixed"],
        method=method,
        time_limit_s=time_limit_s,
        rng=0,
        **kw,
    )


def run_ours(inst: dict[str, Any], limit: float, method: str = "auto") -> dict[str, Any]:
    t0 = time.perf_counter()
    sol = _ours(inst, time_limit_s=limit, method=method)
    secs = time.perf_counter() - t0
    obj = objective(inst["A"], inst["weights"], sol.selected, inst["fixed"])
    assert abs(obj - sol.objective) <= 1e-6 * max(1.0, obj)
    return {
        "method": method,
        "seconds": secs,
        "objective": sol.objective,
        "bound": sol.upper_bound,
        "gap": sol.gap,
        "stopped_by": getattr(sol, "stopped_by", ""),
        "info": sol.info,
    }


def run_highs(inst: dict[str, Any], limit: float, reduced: bool = False) -> dict[str, Any]:
    """HiGHS MILP (one thread, presolve on, no warm start) on the level model of the core.

    With ``reduced``, on the core after ``coverage.optimize.reductions`` (the
    model ``auto``'s MILP stage starts from).
    """
    from coverage.optimize import _inputs
    from coverage.optimize._core import build_core
    from coverage.optimize.bound import split_contested
    from coverage.optimize.exact import solve_milp
    from coverage.optimize.reductions import reduce_core

    t0 = time.perf_counter()
    A = _inputs.as_csr(inst["A"], "bench")
    core = build_core(
        A, inst["weights"], budget=inst["budget"], fixed=inst["fixed"], group_ids=inst["groups"]
    )
    if reduced:
        core = reduce_core(core).core
    con = split_contested(core.V, core.groups)
    res = solve_milp(
        con.V,
        con.row_const,
        core.groups.group_ids,
        core.budget,
        time_limit_s=limit,
        gap_tol=1e-6,
        threads=1,
    )
    secs = time.perf_counter() - t0
    sel = core.rows[res.selected]
    obj = objective(A, inst["weights"], sel, inst["fixed"])
    bound = core.base + res.bound
    return {
        "method": f"HiGHS {limit:g} s" + (", reduced model" if reduced else ""),
        "seconds": secs,
        "objective": obj,
        "bound": bound,
        "gap": (bound - obj) / bound if bound > 0 else 0.0,
        "stopped_by": res.status,
        "info": res.info,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, load average {load:.1f} at start"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--instances", nargs="+", default=list(INSTANCES), choices=INSTANCES)
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--quick", action="store_true", help="our method only (no HiGHS)")
    ap.add_argument("--limit", type=float, default=60.0, help="time cap of our method")
    ap.add_argument("--highs-limit", type=float, default=60.0)
    ap.add_argument("--highs-long", type=float, default=0.0, help="also HiGHS at this limit")
    ap.add_argument(
        "--highs-reduced",
        action="store_true",
        help="HiGHS on the reduced core (the model auto's MILP stage solves), not the whole core",
    )
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--methods", nargs="+", default=["auto"])
    args = ap.parse_args(argv)
    build(args.data, tuple(args.instances))
    if args.build_only:
        return 0
    print(f"machine: {machine()}")
    print("| instance | method | seconds | objective | proven bound | gap | stopped by |")
    print("|---|---|---|---|---|---|---|")
    for name in args.instances:
        inst = load(name)
        runs: list[Any] = [partial(run_ours, inst, args.limit, m) for m in args.methods]
        if not args.quick:
            red = args.highs_reduced
            runs.append(partial(run_highs, inst, args.highs_limit, red))
            if args.highs_long > 0:
                runs.append(partial(run_highs, inst, args.highs_long, red))
        n, m = inst["A"].shape
        label = f"{name} ({n:,} x {m:,}, {inst['fixed'].size} fixed, K={inst['budget']})"
        for fn in runs:
            results = [fn() for _ in range(args.repeat)]
            r = results[0]
            secs = statistics.median(x["seconds"] for x in results)
            print(
                f"| {label} | {r['method']} | {secs:.1f} | {r['objective']:,.1f} | "
                f"{r['bound']:,.1f} | {r['gap']:.3%} | {r['stopped_by']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
