"""Plan the next camera sets for the bundled sample city.

Writes into the output folder (default ``out/sample_city``):

- ``plan.geojson`` and ``plan.csv``: one row per camera set (existing and new),
- ``districts.csv``: coverage by district, before and after,
- ``map.html``: the coverage map (works offline).

Run from the repository root::

    python examples/plan_sample_city.py --budget 200 --out out/sample_city
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import coverage as cov
from coverage.io import write_frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200, help="new camera sets (default 200)")
    parser.add_argument("--out", type=Path, default=Path("out/sample_city"), help="output folder")
    parser.add_argument("--method", default="auto", choices=["auto", "greedy", "local", "exact"])
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # not "Created N records"

    t0 = time.perf_counter()
    scene = cov.datasets.sample_city()
    print(scene)
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    problem = cov.Problem(
        scene, camera, budget=args.budget, method=args.method, time_limit_s=args.time_limit_s
    )
    plan = cov.solve(problem)
    report = cov.evaluate(scene, plan)
    print(plan.summary())
    print(
        report.districts[
            [
                "district",
                "sets_new",
                "weighted_coverage_before",
                "weighted_coverage",
                "point_coverage",
            ]
        ].to_string(index=False)
    )

    out = args.out
    write_frame(plan.cameras, out / "plan.geojson")
    write_frame(plan.cameras, out / "plan.csv")
    write_frame(report.districts, out / "districts.csv")
    from coverage.render import render_map, save_map

    save_map(render_map(scene, plan), out / "map.html")
    m = plan.meta
    print(
        f"demand points {m['n_demand']:,}, candidate sites {m['n_sites']:,}, configurations "
        f"{m['n_configurations']:,}, nnz {m['nnz']:,}; stage seconds "
        + ", ".join(f"{k} {v:.2f}" for k, v in m["timings_s"].items())
    )
    print(
        f"Wrote {out}/plan.geojson, plan.csv, districts.csv, map.html "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
