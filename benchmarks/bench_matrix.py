"""Benchmark: build the coverage matrix for the sample city and a Hong Kong-size city.

Run ``python benchmarks/bench_matrix.py [--scale hk|mid|small] [--repeat N] [--profile]``.

Prints sizes, nnz, seconds (median of ``--repeat`` runs) and peak memory
(max RSS of a fresh child process per case). The big city comes from
``coverage.synthetic.synthetic_city`` when that exists, otherwise from the
grid generator below (streets on a 100 m grid, demand points along them,
candidate poles beside them, rectangular buildings filling the blocks).
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


def _load_case(case: str) -> dict[str, Any]:
    if case == "sample":
        try:
            from coverage import candidates, datasets, demand  # type: ignore[attr-defined]

            scene = datasets.sample_city()
            d = demand.sample_demand(scene)
            c = candidates.candidate_sites(scene)
            return {
                "sites": shapely.get_coordinates(c.geometry.to_numpy()),
                "demand": shapely.get_coordinates(d.geometry.to_numpy()),
                "buildings": scene.buildings.geometry.to_numpy(),
                "privacy_zones": scene.privacy_zones.geometry.to_numpy(),
                "corridor_km": float(scene.corridors.length.sum() / 1000.0),
            }
        except (ImportError, AttributeError) as e:
            print(
                f"# sample city not available ({e!r}); using the 'small' grid city", file=sys.stderr
            )
            case = "small"
    side, dsp, ssp = SCALES[case]
    return grid_city(side, demand_spacing_m=dsp, site_spacing_m=ssp)


def _run_one(case: str, occlusion: bool, privacy: bool, profile: bool) -> dict[str, Any]:
    data = _load_case(case)
    cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    kw: dict[str, Any] = {}
    if occlusion:
        kw["buildings"] = data["buildings"]
    if privacy:
        kw["privacy_zones"] = data["privacy_zones"]
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    cm = coverage_matrix(data["sites"], data["demand"], cs, **kw)
    if prof:
        prof.disable()
    secs = time.perf_counter() - t0
    out = {
        "case": case,
        "occlusion": occlusion,
        "privacy": privacy,
        "corridor_km": round(data["corridor_km"], 1),
        "sites": len(data["sites"]),
        "demand": len(data["demand"]),
        "buildings": len(data["buildings"]),
        "rows": cm.shape[0],
        "nnz": int(cm.A.nnz),
        "pairs_in_range": cm.meta["n_pairs_in_range"],
        "seconds": round(secs, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
        out["profile"] = s.getvalue()
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default="sample,hk", help="comma list of sample, small, mid, hk")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-occlusion", action="store_true")
    p.add_argument("--privacy", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(_run_one(a.child, not a.no_occlusion, a.privacy, a.profile)))
        return
    hdr = (
        f"{'case':7} {'km':>7} {'sites':>8} {'demand':>8} {'bldgs':>7} {'rows':>8} "
        f"{'nnz':>10} {'s(med)':>7} {'peakMB':>7}"
    )
    print(hdr)
    for case in a.cases.split(","):
        runs = []
        for _ in range(a.repeat):
            cmd = [sys.executable, __file__, "--child", case]
            cmd += ["--no-occlusion"] * a.no_occlusion + ["--privacy"] * a.privacy
            cmd += ["--profile"] * a.profile
            res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        r = runs[0]
        med = float(np.median([x["seconds"] for x in runs]))
        peak = max(x["peak_rss_mb"] for x in runs)
        print(
            f"{case:7} {r['corridor_km']:7.0f} {r['sites']:8d} {r['demand']:8d} "
            f"{r['buildings']:7d} {r['rows']:8d} {r['nnz']:10d} {med:7.1f} {peak:7.0f}"
        )
        if a.profile:
            print(r["profile"])


if __name__ == "__main__":
    main()
