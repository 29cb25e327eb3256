"""Benchmark: the matrix and the solve in one process against a dask LocalCluster.

Run ``python benchmarks/bench_distributed.py [--scales 1,4] [--modes single,cluster]
[--workers 2] [--tiles 16] [--budget-per-scale 2000]``.

Each (scale, mode) runs in a fresh child process.  Scale ``s`` is the grid city
of ``bench_matrix.py`` (``hk``: 7.1 km square, about 500k demand points and
100k sites, buildings and privacy zones) grown to ``s`` times its area (side
``7.1 km * sqrt(s)``), with a budget of ``s * budget-per-scale`` sets.

- ``single``: ``coverage_matrix`` then ``max_coverage(method="auto")`` in the
  child process.
- ``cluster``: a ``LocalCluster(n_workers, threads_per_worker=1, processes=True)``
  started in the child; the matrix by tiles (``TiledMatrix``, never gathered)
  and ``solve_tiles``.

Printed per run: wall seconds of the matrix and of the solve, objective, proven
bound and gap, peak RSS of the driver (the child; for ``cluster`` it holds the
scheduler too) and of each worker process, the per-task costs of every stage
(JSON, for the scaling model in ``benchmarks/README.md``) and the 1-minute load.
The machine is shared: state the load next to any time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_matrix import grid_city  # noqa: E402

from coverage.camera import CameraSet  # noqa: E402

HK_SIDE_M = 7_100.0
CAMERA = CameraSet(cameras=3, hfov_deg=90, range_m=40)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _data(scale: float) -> dict[str, Any]:
    data = grid_city(HK_SIDE_M * float(np.sqrt(scale)), demand_spacing_m=2.0, site_spacing_m=10.0)
    rng = np.random.default_rng(0)
    data["weights"] = rng.uniform(0.1, 2.0, len(data["demand"]))
    return data


def _single(scale: float, budget: int) -> dict[str, Any]:
    from coverage.matrix import coverage_matrix
    from coverage.optimize import max_coverage

    data = _data(scale)
    t0 = time.perf_counter()
    cm = coverage_matrix(
        data["sites"],
        data["demand"],
        CAMERA,
        buildings=data["buildings"],
        privacy_zones=data["privacy_zones"],
    )
    t1 = time.perf_counter()
    sol = max_coverage(cm.A, data["weights"], budget=budget, groups=cm.groups, rng=0)
    t2 = time.perf_counter()
    return {
        "sites": len(data["sites"]),
        "demand": len(data["demand"]),
        "nnz": int(cm.A.nnz),
        "matrix_s": t1 - t0,
        "solve_s": t2 - t1,
        "objective": sol.objective,
        "upper_bound": sol.upper_bound,
        "gap": sol.gap,
        "stopped_by": sol.stopped_by,
        "driver_peak_mb": _peak_mb(),
    }


def _task_costs(stream: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Seconds of compute of each task, by the function's name."""
    out: dict[str, list[float]] = {}
    for rec in stream:
        key = rec.get("key", "?")
        name = str(key[0] if isinstance(key, tuple) else key).split("-")[0]
        comp = [s for s in rec.get("startstops", ()) if s.get("action") == "compute"]
        secs = sum(s["stop"] - s["start"] for s in comp)
        out.setdefault(name, []).append(round(secs, 3))
    return out


def _cluster(scale: float, budget: int, workers: int, tiles: int) -> dict[str, Any]:
    from distributed import Client, LocalCluster, get_task_stream

    from coverage.distributed import _matrix, solve_tiles
    from coverage.matrix import _existing_sets

    data = _data(scale)
    data_mb = _peak_mb()
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit=0,  # measure, do not spill or pause
        ) as lc,
        Client(lc) as client,
        get_task_stream(client) as ts,
    ):
        t0 = time.perf_counter()
        tiled = _matrix.tiled_matrix(
            data["sites"],
            data["demand"],
            CAMERA,
            client=client,
            n_tiles=tiles,
            buildings=np.asarray(data["buildings"], dtype=object),
            zones=np.asarray(data["privacy_zones"], dtype=object),
            bearings=None,
            existing=_existing_sets(None, None, None, CAMERA),
            clearance_m=0.5,
            privacy_n_rays=360,
        )
        t1 = time.perf_counter()
        matrix_mb = _peak_mb()
        (sol,) = solve_tiles(tiled, data["weights"], budgets=[budget], rng=0, release_tiles=True)
        t2 = time.perf_counter()
        worker_peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        stream = ts.data
    return {
        "sites": len(data["sites"]),
        "demand": len(data["demand"]),
        "nnz": int(sol.info["nnz"]) if sol.info else 0,
        "tiles": tiled.meta["n_tiles"],
        "matrix_s": t1 - t0,
        "solve_s": t2 - t1,
        "objective": sol.objective,
        "upper_bound": sol.upper_bound,
        "gap": sol.gap,
        "bound_method": sol.bound_method,
        "colours": sol.info["colours"] if sol.info else 0,
        "driver_peak_mb": _peak_mb(),
        "driver_after_data_mb": data_mb,
        "driver_after_matrix_mb": matrix_mb,
        "worker_peak_mb": sorted(round(v) for v in worker_peaks.values()),
        "tile_costs": tiled.meta["tile_costs"],
        "n_workers": workers,
        "task_costs": _task_costs(list(stream)),
    }


#: Task functions of each stage, in the order the stages run (a barrier between stages).
STAGES = {
    "matrix": ("build_tile",),
    "curves": ("piece_curve",),
    "plans": ("piece_plan",),
    "swaps": ("piece_candidates",),
    "bound": ("piece_multipliers", "piece_bound"),
}


def _makespan(costs: list[float], workers: int) -> float:
    """Longest-processing-time-first schedule of `costs` on `workers` (a barrier after)."""
    load = np.zeros(workers)
    for c in sorted(costs, reverse=True):
        load[np.argmin(load)] += c
    return float(load.max()) if costs else 0.0


def scaling_model(result: dict[str, Any], workers: list[int], grow: float) -> list[str]:
    """Predicted wall time against workers from one cluster run's measured per-task costs.

    Each stage's tasks are replicated ``grow`` times (a city ``grow`` times larger, cut
    into tiles of the same size, has ``grow`` times the tiles, each costing the same), then
    scheduled longest first on the workers; the plans stage runs its colours one after the
    other (four colours on a grid).  The driver's own time (tile planning, allocation,
    swaps, gathering small results) is what the measured run spent outside the workers'
    tasks, and is taken to grow with the city.
    """
    costs = result["task_costs"]
    measured = result["matrix_s"] + result["solve_s"]
    busy = 0.0
    per_stage: dict[str, list[float]] = {}
    for stage, names in STAGES.items():
        per_stage[stage] = [c for n in names for c in costs.get(n, [])]
    for stage, c in per_stage.items():
        if stage == "plans":
            busy += sum(_makespan(c[i::4], result.get("n_workers", 2)) for i in range(4))
        else:
            busy += _makespan(c, result.get("n_workers", 2))
    driver = max(0.0, measured - busy)
    lines = [f"measured {measured:.0f} s on {result['n_workers']} workers, driver {driver:.0f} s"]
    reps = max(1, round(grow))
    for w in workers:
        t = driver * grow
        for stage, c in per_stage.items():
            big = c * reps
            if stage == "plans":
                t += sum(_makespan(big[i::4], w) for i in range(4))
            else:
                t += _makespan(big, w)
        size = float(result["scale"]) * grow
        lines.append(f"  x{size:g} city on {w:3d} workers: {t:7.0f} s")
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run each (scale, mode) in a fresh child process and print one line (and JSON) each."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--scales", default="1,4")
    p.add_argument("--modes", default="single,cluster")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--tiles", type=int, default=16)
    p.add_argument("--budget-per-scale", type=int, default=2000)
    p.add_argument("--json", type=Path, help="also write every result to this file")
    p.add_argument("--model", type=Path, help="print the scaling model of a --json file")
    p.add_argument("--grow", type=float, default=10.0, help="city growth for --model")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.model:
        for r in json.loads(a.model.read_text()):
            if r["mode"] == "cluster":
                print(f"scale {r['scale']:g}:")
                print("\n".join(scaling_model(r, [2, 8, 32, 128], a.grow / r["scale"])))
        return
    if a.child:
        scale, mode = float(a.child[0]), a.child[1]
        budget = int(scale * a.budget_per_scale)
        res = (
            _single(scale, budget)
            if mode == "single"
            else _cluster(scale, budget, a.workers, a.tiles)
        )
        res.update({"scale": scale, "mode": mode, "budget": budget, "load": os.getloadavg()[0]})
        print(json.dumps(res))
        return
    results = []
    for scale in a.scales.split(","):
        for mode in a.modes.split(","):
            cmd = [sys.executable, __file__, "--child", scale, mode]
            cmd += ["--workers", str(a.workers), "--tiles", str(a.tiles)]
            cmd += ["--budget-per-scale", str(a.budget_per_scale)]
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
            if res.returncode != 0:
                print(f"# scale {scale} {mode}: failed ({res.stderr.strip().splitlines()[-1:]})")
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            r["total_s"] = time.perf_counter() - t0
            results.append(r)
            workers = r.get("worker_peak_mb", "-")
            print(
                f"scale {r['scale']:g} {mode:7} sites {r['sites']:,} demand {r['demand']:,} "
                f"nnz {r['nnz']:,} K {r['budget']:,}: matrix {r['matrix_s']:.1f} s, solve "
                f"{r['solve_s']:.1f} s, objective {r['objective']:,.1f}, bound "
                f"{r['upper_bound']:,.1f} (gap {r['gap']:.3%}); driver peak "
                f"{r['driver_peak_mb']:,.0f} MB, workers {workers} MB; load {r['load']:.1f}",
                flush=True,
            )
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
