"""Plan camera sets on the real Tsim Sha Tsui streets (Hong Kong open data).

Reads the data beside the repository (``../shared/data/hong-kong``, see its
SOURCES.md) and writes ``plan.geojson``, ``plan.csv``, ``districts.csv`` and
``map.html`` into the output folder (default ``out/hong_kong_tst``). Streets and
buildings come from OpenStreetMap (2015), incidents are the police-recorded
traffic collisions near them, MTR exits and police stations raise footfall.

Run from the repository root::

    python examples/plan_hong_kong.py --budget 60
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import coverage as cov
from coverage.io import write_frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=cov.datasets.DEFAULT_HONG_KONG_PATH)
    parser.add_argument("--budget", type=int, default=60, help="new camera sets (default 60)")
    parser.add_argument("--out", type=Path, default=Path("out/hong_kong_tst"))
    parser.add_argument("--time-limit-s", type=float, default=60.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # not "Created N records"
    if not args.data.is_dir():
        print(
            f"Hong Kong data folder not found at {args.data}; nothing to do. Pass --data DIR "
            "pointing at the folder described in shared/data/hong-kong/SOURCES.md.",
            file=sys.stderr,
        )
        return 0

    t0 = time.perf_counter()
    scene = cov.datasets.hong_kong(args.data, incidents="tst")
    print(scene)
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    plan = cov.solve(cov.Problem(scene, camera, budget=args.budget, time_limit_s=args.time_limit_s))
    report = cov.evaluate(scene, plan)
    print(plan.summary())
    yt = report.districts[report.districts["demand_points"] > 0]
    print(
        yt[["district", "sets_new", "weighted_coverage", "point_coverage"]].to_string(index=False)
    )
    out = args.out
    write_frame(plan.cameras, out / "plan.geojson")
    write_frame(plan.cameras, out / "plan.csv")
    write_frame(report.districts, out / "districts.csv")
    from coverage.render import render_map, save_map

    # the 2001 coastline, for the map only (districts and incidents stay the HAD ones)
    land = cov.datasets.hong_kong_land(args.data)
    save_map(render_map(scene, plan, land=land), out / "map.html")
    print(f"Wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
