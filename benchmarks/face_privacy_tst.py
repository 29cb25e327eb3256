"""Face-capable coverage and the privacy audit on the real Tsim Sha Tsui extract (issue 14).

Builds the scene as ``examples/plan_from_osm.py`` does (the 2015 OpenStreetMap extract
in ``../shared/data/hong-kong``, 500 m grid districts), adds privacy zones from the
same extract (assumptions, stated: ``landuse=residential`` polygons are
"residential", ``leisure=playground`` is "children"), and plans 60 new sets twice
with a face-capable camera set: with the default objective (graded DORI credit)
and with ``objective={"default": "face"}``. Both plans run under the privacy rules
residential -> observe, children -> detect. Prints, for each plan, the share of
weighted demand and of foot traffic that is face-capable, and the privacy table's
size and totals by category and tier.

Run from the repository root (takes a few minutes)::

    python benchmarks/face_privacy_tst.py [--budget 60] [--time-limit-s 30]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import coverage as cov
from coverage.evaluation import face_coverage, privacy_table
from coverage.evaluation.face import face_capable

TST = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "hong-kong"
    / "osm_tsim_sha_tsui_2015.osm"
)
#: 3 cameras of 40° (3840 px) on a 4 m pole: faces from 8.96 m (down angle 15°) to 20.96 m.
CAMERA = cov.CameraSet(
    cameras=3, hfov_deg=40, resolution_px=3840, mount_height_m=4.0, range_m=40, rotations=4
)
RULES = [
    {"category": "residential", "max_tier": "observe"},
    {"category": "children", "max_tier": "detect"},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    args = parser.parse_args()
    print(f"load {os.getloadavg()}")
    base = cov.Scene.from_osm(TST, districts="grid", grid_m=500)
    zones = cov.osm.read_privacy_zones(TST).to_crs(base.crs)
    scene = cov.Scene(
        base.districts,
        base.corridors,
        hotspots=base.hotspots,
        buildings=base.buildings,
        cameras=base.cameras,
        privacy_zones=zones,
        landmarks=base.landmarks,
        crs=base.crs,
        name=base.name,
    )
    print(
        f"{len(zones)} privacy zones: {zones['category'].value_counts().to_dict()}, "
        f"{zones.area.sum():,.0f} m²"
    )
    for label, objective in (("default", None), ("face", {"default": "face"})):
        t0 = time.perf_counter()
        problem = cov.Problem(
            scene,
            CAMERA,
            budget=args.budget,
            time_limit_s=args.time_limit_s,
            objective=objective,
            privacy_rules=RULES,
        )
        plan = cov.solve(problem)
        t_solve = time.perf_counter() - t0
        after, before = face_capable(scene, plan)
        w = plan.demand["base_weight" if objective else "weight"].to_numpy(dtype=float)
        table = face_coverage(scene, plan).iloc[-1]
        audit = privacy_table(scene, plan)
        t_all = time.perf_counter() - t0
        print(
            f"[{label}] {plan.summary()}\n"
            f"  face-capable weighted demand: {w[before].sum() / w.sum():.2%} before -> "
            f"{w[after].sum() / w.sum():.2%} after; foot traffic "
            f"{table['face_share_before']:.2%} -> {table['face_share']:.2%}\n"
            f"  matrix {plan.matrix.shape}, nnz {plan.matrix.A.nnz:,}, masked demand "
            f"{plan.matrix.meta['n_demand_masked']}, refused configurations "
            f"{plan.matrix.meta['n_privacy_excluded']}\n"
            f"  privacy table: {len(audit)} rows, {audit['set'].nunique()} sets; "
            f"solve {t_solve:.0f} s, with evaluation {t_all:.0f} s; load {os.getloadavg()}"
        )
        if len(audit):
            print(
                audit.groupby(["category", "tier"], sort=False)[["seen_m2", "masked_m2"]]
                .sum()
                .round(0)
                .to_string()
            )


if __name__ == "__main__":
    main()
