"""Benchmark: build the coverage matrix for the sample city and a Hong Kong-size city.

Run ``python benchmarks/bench_matrix.py [--cases sample,hk-synth] [--repeat N]
[--workers 2] [--profile]``.

Prints sizes, nnz, wall and CPU seconds of the matrix build (medians of
``--repeat`` runs), peak memory (max RSS of a fresh child process per case, data
generation included) and the 1-minute load average. The machine is shared: with
a load above the core count, wall time overstates the cost; CPU time does not.

Cases: ``sample`` is ``coverage.datasets.sample_city()`` with the pipeline's
demand and candidates; ``hk-synth`` is ``coverage.datasets.synthetic.synthetic_city`` at
8 x 6 km (about 1,240 km of corridors, 65k buildings, privacy zones and existing
cameras) with demand every 2.4 m and sites every 12 m; ``small``/``mid``/``hk``
are the grid cities of :func:`grid_city` (streets on a 100 m grid, demand along
them, poles on the kerbs, rectangular buildings filling the blocks).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coverage.camera import CameraSet  # noqa: E402
from coverage.matrix import coverage_matrix  # noqa: E402

#: (side of the square city in m, demand spacing m, site spacing m)
SCALES = {
    "small": (1_000.0, 2.0, 10.0),  # ~20 km of street
    "mid": (3_200.0, 2.0, 10.0),  # ~205 km, ~100k demand, ~20k sites
    "hk": (7_100.0, 2.0, 10.0),  # ~1,000 km, ~500k demand, ~100k sites
}


def grid_city(
    side_m: float,
    *,
    block_m: float = 100.0,
    street_m: float = 20.0,
    demand_spacing_m: float = 2.0,
    site_spacing_m: float = 10.0,
    buildings_per_side: int = 3,
    rng: int | None = 0,
) -> dict[str, Any]:
    """Arrays of a synthetic grid city: streets, demand, sites, buildings, privacy zones."""
    gen = np.random.default_rng(rng)
    n = int(side_m // block_m)
    lines = np.arange(n + 1) * block_m
    length = float(side_m)
    # demand along every street centre line (horizontal then vertical)
    t = np.arange(0.0, length, demand_spacing_m)
    hx, hy = np.meshgrid(t, lines)
    vx, vy = np.meshgrid(lines, t)
    demand = np.concatenate(
        [np.stack([hx.ravel(), hy.ravel()], 1), np.stack([vx.ravel(), vy.ravel()], 1)]
    )
    demand += gen.normal(0.0, 0.5, demand.shape)  # not exactly collinear
    # candidate sites on the kerb, alternating sides
    s = np.arange(site_spacing_m / 2, length, site_spacing_m)
    sx, sy = np.meshgrid(s, lines)
    off = np.where(np.arange(sx.size) % 2 == 0, 1.0, -1.0) * (street_m / 2 - 1.0)
    sites = np.concatenate(
        [
            np.stack([sx.ravel(), sy.ravel() + off], 1),
            np.stack([sy.ravel() + off, sx.ravel()], 1),
        ]
    )
    # buildings: each block's interior split into k x k rectangles with gaps
    inner = block_m - street_m
    cell = inner / buildings_per_side
    bx0 = lines[:-1] + street_m / 2
    cx, cy, ix, iy = np.meshgrid(
        bx0, bx0, np.arange(buildings_per_side), np.arange(buildings_per_side)
    )
    x0 = (cx + ix * cell).ravel() + 1.0
    y0 = (cy + iy * cell).ravel() + 1.0
    w = cell - 2.0 - gen.uniform(0, 3, x0.size)
    h = cell - 2.0 - gen.uniform(0, 3, x0.size)
    buildings = shapely.box(x0, y0, x0 + w, y0 + h)
    # a few privacy zones: some whole blocks
    pick = gen.choice(len(bx0) ** 2, size=max(1, len(bx0) ** 2 // 200), replace=False)
    pb = np.stack(np.meshgrid(bx0, bx0), -1).reshape(-1, 2)[pick]
    zones = shapely.box(pb[:, 0], pb[:, 1], pb[:, 0] + inner, pb[:, 1] + inner)
    return {
        "sites": sites,
        "demand": demand,
        "buildings": buildings,
        "privacy_zones": zones,
        "corridor_km": 2 * (n + 1) * length / 1000.0,
    }


def _along(lines: np.ndarray, step_m: float) -> np.ndarray:
    """Points every ``step_m`` along each line (at least one per line), as (n, 2)."""
    lengths = shapely.length(lines)
    n = np.maximum(np.ceil(lengths / step_m).astype(np.int64), 1)
    li = np.repeat(np.arange(len(lines)), n)
    frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 0.5) / np.repeat(n, n)
    return shapely.get_coordinates(shapely.line_interpolate_point(lines[li], frac, normalized=True))


def _from_layers(layers: dict[str, Any], demand_m: float, site_m: float) -> dict[str, Any]:
    """Demand and sites sampled along the corridors; sites inside buildings/zones dropped."""
    lines = layers["corridors"].geometry.to_numpy()
    bld = layers["buildings"].geometry.to_numpy()
    zones = layers["privacy_zones"].geometry.to_numpy()
    sites = _along(lines, site_m)
    bad = shapely.STRtree(np.concatenate([bld, zones])).query(
        shapely.points(sites), predicate="intersects"
    )[0]
    sites = np.delete(sites, np.unique(bad), axis=0)
    cams = layers["cameras"]
    return {
        "sites": sites,
        "demand": _along(lines, demand_m),
        "buildings": bld,
        "privacy_zones": zones,
        "existing_xy": shapely.get_coordinates(cams.geometry.to_numpy()),
        "existing_heading_deg": cams["heading_deg"].to_numpy(dtype=float),
        "existing_cameras": cams["cameras"].to_numpy(dtype=np.int64),
        "corridor_km": float(shapely.length(lines).sum() / 1000.0),
    }


def _load_case(case: str) -> dict[str, Any]:
    if case == "sample":
        from coverage import datasets

        scene = datasets.sample_city()
        layers = {
            "corridors": scene.corridors,
            "buildings": scene.buildings,
            "privacy_zones": scene.privacy_zones,
            "cameras": scene.cameras,
        }
        data = _from_layers(layers, 10.0, 25.0)
        # the pipeline's own demand points and candidate sites
        from coverage import candidates, demand

        d = demand.sample_demand(scene)
        c = candidates.candidate_sites(scene)
        data["demand"] = shapely.get_coordinates(d.geometry.to_numpy())
        data["sites"] = shapely.get_coordinates(c.geometry.to_numpy())
        data["source"] = "sample_city + sample_demand + candidate_sites"
        return data
    if case == "hk-synth":
        from coverage.datasets.synthetic import synthetic_city

        t0 = time.perf_counter()
        layers = synthetic_city(width_m=8000.0, height_m=6000.0, n_districts=18, seed=1)
        data = _from_layers(layers, 2.4, 12.0)
        data["source"] = f"synthetic_city 8x6 km ({time.perf_counter() - t0:.0f} s to generate)"
        return data
    side, dsp, ssp = SCALES[case]
    data = grid_city(side, demand_spacing_m=dsp, site_spacing_m=ssp)
    data["source"] = f"grid city {side / 1000:.1f} km square"
    return data


def _run_one(
    case: str, occlusion: bool, privacy: bool, profile: bool, workers: int
) -> dict[str, Any]:
    data = _load_case(case)
    cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    kw: dict[str, Any] = {"workers": workers}
    if occlusion:
        kw["buildings"] = data["buildings"]
    if privacy:
        kw["privacy_zones"] = data["privacy_zones"]
    for key in ("existing_xy", "existing_heading_deg", "existing_cameras"):
        if key in data and len(data["existing_xy"]):
            kw[key] = data[key]
    # CPU-time profile: robust to other processes sharing the cores (use with --workers 1)
    prof = cProfile.Profile(time.process_time) if profile else None
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    cm = coverage_matrix(data["sites"], data["demand"], cs, **kw)
    if prof:
        prof.disable()
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    out = {
        "case": case,
        "source": data["source"],
        "occlusion": occlusion,
        "privacy": privacy,
        "corridor_km": round(data["corridor_km"], 1),
        "sites": len(data["sites"]),
        "demand": len(data["demand"]),
        "buildings": len(data["buildings"]),
        "rows": cm.shape[0],
        "nnz": int(cm.A.nnz),
        "meta": cm.meta,
        "seconds": round(secs, 2),
        "cpu_seconds": round(cpu, 2),
        "load_avg": os.getloadavg()[0],
        "rss_before_mb": round(rss0, 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(20)
        out["profile"] = s.getvalue()
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the cases, each in a fresh child process, and print the table."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument(
        "--cases", default="sample,hk-synth", help="comma list of sample, small, mid, hk, hk-synth"
    )
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-occlusion", action="store_true")
    p.add_argument("--no-privacy", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        res = _run_one(a.child, not a.no_occlusion, not a.no_privacy, a.profile, a.workers)
        print(json.dumps(res))
        return
    hdr = (
        f"{'case':9} {'km':>6} {'sites':>7} {'demand':>7} {'bldgs':>6} {'rows':>7} "
        f"{'nnz':>10} {'pairs':>10} {'excl':>5} {'s(med)':>7} {'cpu(med)':>8} {'runs':>14} "
        f"{'peakMB':>7} {'load':>5}"
    )
    print(f"# workers={a.workers} occlusion={not a.no_occlusion} privacy={not a.no_privacy}")
    print(hdr)
    for case in a.cases.split(","):
        runs = []
        for _ in range(a.repeat):
            cmd = [sys.executable, __file__, "--child", case, "--workers", str(a.workers)]
            cmd += ["--no-occlusion"] * a.no_occlusion + ["--no-privacy"] * a.no_privacy
            cmd += ["--profile"] * a.profile
            res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        r = runs[0]
        secs = [x["seconds"] for x in runs]
        med = float(np.median(secs))
        peak = max(x["peak_rss_mb"] for x in runs)
        print(
            f"{case:9} {r['corridor_km']:6.0f} {r['sites']:7d} {r['demand']:7d} "
            f"{r['buildings']:6d} {r['rows']:7d} {r['nnz']:10d} "
            f"{r['meta']['n_pairs_in_range']:10d} {r['meta']['n_privacy_excluded']:5d} "
            f"{med:7.1f} {np.median([x['cpu_seconds'] for x in runs]):8.1f} "
            f"{','.join(f'{x:.0f}' for x in secs):>14} {peak:7.0f} "
            f"{np.median([x['load_avg'] for x in runs]):5.1f}"
        )
        print(f"#   {r['source']}; rss before build {r['rss_before_mb']:.0f} MB")
        if a.profile:
            print(r["profile"])


if __name__ == "__main__":
    main()
