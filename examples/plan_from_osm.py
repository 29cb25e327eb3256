"""Plan the next camera sets for a city from nothing but an OpenStreetMap extract.

Reads the Tsim Sha Tsui ``.osm`` (``../shared/data/hong-kong``, beside the repository) or any
``.osm``/``.osm.pbf`` you pass, builds the scene with :meth:`coverage.Scene.from_osm`, plans
``--budget`` new sets and writes into ``--out`` (default ``out/osm``):

- ``plan.geojson`` and ``plan.csv``: one row per camera set (existing and new),
- ``districts.csv``: coverage by district, before and after,
- ``plan.gpkg``: layers ``cameras``, ``views``, ``demand``, ``streets``, ``districts`` (QGIS),
- ``map.html`` and ``report.html`` (both work offline).

Run from the repository root::

    python examples/plan_from_osm.py --budget 60 --out out/osm
    python examples/plan_from_osm.py --osm my_city.osm.pbf --districts grid --grid-m 400
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import coverage as cov
from coverage.evaluation.assumptions import assumption_rows
from coverage.io import write_frame

TST = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "hong-kong"
    / "osm_tsim_sha_tsui_2015.osm"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=TST, help="the .osm or .osm.pbf file")
    parser.add_argument("--budget", type=int, default=60, help="new camera sets (default 60)")
    parser.add_argument("--out", type=Path, default=Path("out/osm"), help="output folder")
    parser.add_argument(
        "--districts", default=None, help='"grid" for named grid cells, or a districts file'
    )
    parser.add_argument("--grid-m", type=float, default=500.0, help="grid cell size, metres")
    parser.add_argument("--method", default="auto", choices=["auto", "greedy", "local", "exact"])
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if not args.osm.exists():
        print(f"{args.osm} not found; pass --osm FILE (.osm or .osm.pbf)", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    scene = cov.Scene.from_osm(args.osm, districts=args.districts, grid_m=args.grid_m)
    t_scene = time.perf_counter() - t0
    print(scene)
    heights = scene.buildings["height_source"].value_counts()
    cams = scene.cameras
    print(
        f"OSM: {len(scene.corridors)} corridors ({scene.corridors.length.sum() / 1000:.1f} km); "
        f"{len(scene.buildings)} buildings (height from the tag {heights.get('height', 0)}, "
        f"from levels {heights.get('levels', 0)}, default {heights.get('default', 0)}); "
        f"{len(cams)} existing cameras ({cams['camera_type'].isin(['dome', 'panning']).sum()} "
        f"all-around, {cams['heading_deg'].isna().sum()} with an unknown heading, "
        f"{(cams['owner'] == cov.osm.UNKNOWN_OWNER).sum()} with no operator); "
        f"{len(scene.hotspots)} hotspots; {len(scene.landmarks)} landmarks; "
        f"{len(scene.districts)} district(s)"
    )

    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    problem = cov.Problem(
        scene, camera, budget=args.budget, method=args.method, time_limit_s=args.time_limit_s
    )
    plan = cov.solve(problem)
    report = cov.evaluate(scene, plan)
    print(plan.summary())

    out = args.out
    write_frame(plan.cameras, out / "plan.geojson")
    write_frame(plan.cameras, out / "plan.csv")
    write_frame(report.districts, out / "districts.csv")
    plan.to_gpkg(out / "plan.gpkg", report=report)
    from coverage.render import render_map, save_map

    save_map(render_map(scene, plan), out / "map.html")
    cov.write_report(out / "report.html", scene, plan, report=report)
    m = plan.meta
    print(
        f"objective {plan.objective:,.1f}, upper bound {plan.upper_bound:,.1f}, gap "
        f"{plan.gap:.2%}; demand points {m['n_demand']:,}, candidate sites {m['n_sites']:,}, "
        f"configurations {m['n_configurations']:,}, nnz {m['nnz']:,}"
    )
    print(
        f"scene {t_scene:.1f} s; stage seconds "
        + ", ".join(f"{k} {v:.2f}" for k, v in m["timings_s"].items())
    )
    print("Assumptions made about the data (also in the report):")
    for what, done in assumption_rows(m["assumptions"]):
        print(f"  - {what}: {done}")
    print(
        f"Wrote {out}/plan.geojson, plan.csv, districts.csv, plan.gpkg, map.html, report.html "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
