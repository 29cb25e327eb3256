"""Hong Kong: where the next 2,000 police camera sets go, and the 2,000 after them.

The scenario a planner runs on a Monday morning, on the real open data in
``../shared/data/hong-kong`` (see its SOURCES.md):

- **Territory-wide.** The 18 districts. Demand is the 89,828 police-recorded
  traffic collisions of 2014–2019 (weighted 5 fatal / 3 serious / 1 slight; the
  only point-level incident data published for Hong Kong) plus the MTR exits and
  police stations as places of heavy foot traffic. Candidate poles sit at the
  incident-weighted centre of every 30 m grid cell with demand in it. The MTR
  exits and police stations count as existing camera sets (MTR- and
  police-owned; their real positions, assumed equipment: a standard set each).
  Phase 1 places 2,000 sets, phase 2 the next 2,000 with phase 1 fixed.
- **Equity.** The same phase 1 with district quotas (every district gets at
  least its population share of half the budget), side by side with the
  unconstrained plan: what equity costs in coverage.
- **Street level.** Tsim Sha Tsui's real streets and buildings with full
  occlusion, demand along the streets, the same two-phase question at a budget
  of 60 + 60.
- **The programme's questions** (issue 14). *Roadmap:* the programme's new sets
  year by year, 2,000 (2025) + 2,000 (2026) + 2,388 (2027), each year keeping the
  sets before it (the territory plan's phases are these years), with a proven
  bound per year and the year weighted coverage first reaches ``--target-share``.
  *Partners:* what the MTR's exits and the police stations (the existing sets)
  are worth to the 2027 plan: coverage with and without them, new sets saved
  (a proven interval), their most valuable sets. *Effect in incidents:*
  collisions watched per type of collision and year of data, before the plan and
  after each year. *Face capture under privacy rules:* the first year planned again
  with a face-capable set (3 x 40°, 3840 px, 4 m pole), foot traffic credited only
  where a face is captured and collisions at detection grade, views into the Tsim Sha
  Tsui extract's residential zones and playgrounds masked above "observe" and "detect"
  (``report_face.html``, ``face_coverage.csv``, ``privacy_audit.csv``).

Writes into ``--out`` (default ``out/hong_kong``): ``plan.geojson`` (territory:
one row per set with ``phase`` and ``status``), ``plan_quotas.geojson``,
``plan_tst.geojson``, ``districts.csv``, ``equity.csv``, ``phases.csv``,
``curve.csv``, ``roadmap.csv``, ``partners.csv`` (shared with the first year's plan),
``partners_final.csv`` (with the whole programme's), ``incidents_by_phase.csv``,
``report.html``, ``report_tst.html``, ``map.html``, ``map_tst.html`` and
``summary.json`` (stage timings, coverage, proven gaps, the programme's answers).

Run from the repository root::

    python examples/hong_kong_next_2000.py [--data DIR] [--out DIR] [--quick]

``--quick`` plans 200 + 200 + 239 sets with short time limits and skips the street
level and equity runs (a few minutes instead of a quarter of an hour).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

import coverage as cov
from coverage.io import write_frame, write_text

#: Demand weight of one heavy-foot-traffic place (an MTR exit or police station),
#: spread over 9 points within 15 m. An assumption: comparable to ~25 slight
#: collisions, so that a busy exit counts like a collision hotspot.
LANDMARK_WEIGHT = 25.0
CELL_M = 30.0

#: Printed in the report and summary.json.
ASSUMPTIONS = [
    "Incidents are traffic collisions 2014-2019 (no point-level crime data is published).",
    f"Each MTR exit and police station adds {LANDMARK_WEIGHT:g} demand weight (foot traffic).",
    "MTR exits and police stations are taken as existing camera sets (positions real, "
    "equipment assumed); other existing police sets are not published and not modelled.",
    "Roadmap: the programme's 612 sets of 2024 are not published; the 624 MTR exits and "
    "police stations stand in for the existing sets (620 modelled: 4 exits lie inside "
    "buildings and are left out), so the totals are 620 + the new sets (7,008 after 2027 "
    "rather than the programme's 7,000).",
    "Collisions are traffic accidents, not crimes: 'incidents watched' counts collision "
    "places a camera set sees (detection-grade evidence), not cases solved.",
]
#: The programme's new sets per year and the years' labels.
YEARS = (2000, 2000, 2388)
YEAR_LABELS = (2025, 2026, 2027)
QUICK_YEARS = (200, 200, 239)

#: The face study: a set that can capture faces (3 cameras of 40°, 3840 px, on a 4 m pole:
#: identify-grade pixels and a down angle of at most 15° from 8.96 m to 20.96 m).
FACE_CAMERA = cov.CameraSet(
    cameras=3, hfov_deg=40, resolution_px=3840, mount_height_m=4.0, range_m=40, rotations=4
)
#: Foot traffic at identification grade (faces), collisions at detection grade.
FACE_OBJECTIVE: dict[str, Any] = {"source == 'foot traffic'": "face", "default": "detect"}
#: Privacy guidelines allow detection, not identification, into these places.
PRIVACY_RULES = [
    {"category": "residential", "max_tier": "observe"},
    {"category": "children", "max_tier": "detect"},
    {"category": "worship", "max_tier": "observe"},
    {"category": "health", "max_tier": "observe"},
]
FACE_ASSUMPTIONS = [
    "Face study: the MTR exits and police stations stand for the crowded places where street "
    "crime is (no crime points are published); faces are credited there, collisions need "
    "only detection.",
    "Privacy zones are the homes, schools, playgrounds, places of worship and clinics mapped "
    "in the Tsim Sha Tsui OpenStreetMap extract (the only land-use data in the shared set); "
    "elsewhere no zone is known, so none is masked.",
]

log = logging.getLogger("hong_kong_next_2000")


def territory_inputs(scene: cov.Scene) -> tuple[cov.Scene, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Existing sets, demand points and candidate poles for the territory-wide plan."""
    crs = scene.crs
    lm = scene.landmarks
    cams = gpd.GeoDataFrame(
        {
            "owner": np.where(lm["kind"] == "mtr_exit", "MTR", "police"),
            "heading_deg": np.nan,
            "cameras": 3,
            "name": lm["name"].to_numpy(),
        },
        geometry=lm.geometry.values,
        crs=crs,
    )
    territory = cov.Scene(
        scene.districts,
        scene.corridors,
        hotspots=scene.hotspots,
        buildings=scene.buildings,
        cameras=cams,
        landmarks=scene.landmarks,
        crs=crs,
        name="Hong Kong (territory)",
        attribution=scene.attribution,
    )
    # demand: collisions, merged where they share a spot (1 m), plus landmark rings
    xy = np.column_stack([scene.hotspots.geometry.x, scene.hotspots.geometry.y])
    key = np.round(xy).astype(np.int64)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    w = np.bincount(inv.ravel(), weights=scene.hotspots["weight"].to_numpy())
    n = np.bincount(inv.ravel())
    ring = np.array(
        [(0.0, 0.0)] + [(15 * np.sin(a), 15 * np.cos(a)) for a in np.radians(np.arange(0, 360, 45))]
    )
    lxy = np.column_stack([lm.geometry.x, lm.geometry.y])
    lpts = (lxy[:, None, :] + ring[None, :, :]).reshape(-1, 2)
    demand = gpd.GeoDataFrame(
        {
            "weight": np.r_[w, np.full(len(lpts), LANDMARK_WEIGHT / len(ring))],
            "incidents": np.r_[n, np.zeros(len(lpts), dtype=np.int64)],
            "source": np.r_[np.full(len(w), "collision"), np.full(len(lpts), "foot traffic")],
        },
        geometry=gpd.points_from_xy(np.r_[uniq[:, 0], lpts[:, 0]], np.r_[uniq[:, 1], lpts[:, 1]]),
        crs=crs,
    )
    # candidate poles: the weighted centre of each 30 m cell that has demand
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    cell = np.floor(dxy / CELL_M).astype(np.int64)
    _cu, ci = np.unique(cell, axis=0, return_inverse=True)
    ci = ci.ravel()
    dw = demand["weight"].to_numpy() + 1e-9
    cx = np.bincount(ci, weights=dxy[:, 0] * dw) / np.bincount(ci, weights=dw)
    cy = np.bincount(ci, weights=dxy[:, 1] * dw) / np.bincount(ci, weights=dw)
    poles = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cx, cy), crs=crs)
    inside = np.zeros(len(poles), dtype=bool)
    if len(scene.buildings):
        hit = scene.buildings.sindex.query(poles.geometry.values, predicate="within")[0]
        inside[hit] = True
    log.info(
        "territory: %d demand points (%d collision spots), %d candidate poles (%d cells inside "
        "a building skipped), %d existing sets",
        len(demand),
        len(w),
        int((~inside).sum()),
        int(inside.sum()),
        len(cams),
    )
    return territory, demand, poles[~inside].reset_index(drop=True)


def quotas_by_population(
    scene: cov.Scene, budget: int, share: float
) -> dict[str, tuple[int, None]]:
    """Every district at least its population share of `share` × `budget` sets."""
    pop = scene.districts.set_index("name")["population"]
    floor = np.floor(share * budget * pop / pop.sum()).astype(int)
    return {str(k): (int(v), None) for k, v in floor.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=cov.datasets.DEFAULT_HONG_KONG_PATH)
    parser.add_argument("--out", type=Path, default=Path("out/hong_kong"))
    parser.add_argument(
        "--years",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="new sets per year (default 2000 2000 2388; with --quick 200 200 239)",
    )
    parser.add_argument("--tst-budget", type=int, nargs=2, default=[60, 60], metavar=("P1", "P2"))
    parser.add_argument("--quota-share", type=float, default=0.5)
    parser.add_argument(
        "--target-share", type=float, default=0.5, help="the roadmap's coverage target"
    )
    parser.add_argument("--time-limit-s", type=float, default=None, help="per optimization")
    parser.add_argument(
        "--quick", action="store_true", help="small years, short limits, no street level/equity"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.years is None:
        args.years = list(QUICK_YEARS if args.quick else YEARS)
    if args.time_limit_s is None:
        args.time_limit_s = 10.0 if args.quick else 60.0
    # the first two years are the "next 2,000 + 2,000" phases of the earlier versions
    args.budget = args.years[:2]
    return args


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Record the wall time of the ``with`` block as stage `name` (seconds, 2 decimals)."""
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 2)
    log.info("== %s: %.1f s", name, timings[name])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # not "Created N records"
    if not args.data.is_dir():
        print(
            f"Hong Kong data folder not found at {args.data}. Pass --data DIR pointing at the "
            "folder described in shared/data/hong-kong/SOURCES.md.",
            file=sys.stderr,
        )
        return 1
    timings: dict[str, float] = {}
    with timed(timings, "load and prepare"):
        hk = cov.datasets.hong_kong(args.data)
        territory, demand, poles = territory_inputs(hk)
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, rotations=4)
    common = {
        "poles": poles,
        "candidates": "poles",
        "demand": demand,
        "method": "auto",
        "time_limit_s": args.time_limit_s,
        "occlusion": True,
    }
    problem = cov.Problem(territory, camera, budget=tuple(args.years), **common)
    with timed(timings, "territory: solve the years (roadmap)"):
        labels = list(YEAR_LABELS[: len(args.years)]) + list(
            range(YEAR_LABELS[-1] + 1, YEAR_LABELS[-1] + 1 + len(args.years) - len(YEAR_LABELS))
        )
        road = cov.roadmap(problem, args.years, labels=labels, target_share=args.target_share)
        plan = road.plan
    for k, v in plan.meta["timings_s"].items():
        timings[f"territory: {k}"] = round(v, 2)
    with timed(timings, "territory: evaluate"):
        report = cov.evaluate(territory, plan)
    with timed(timings, "territory: partners (integration value)"):
        # what the partners' sets are worth to the first year's plan (the next 2,000: its
        # phase 1, solved on its own) and to the whole programme (2027). On the 2027 plan the
        # last sets add little, so re-planning could replace many partner sets cheaply and
        # the proven interval of new sets saved is wide.
        first = dataclasses.replace(plan, cameras=plan.cameras[plan.cameras["phase"] <= 1])
        partners = cov.integration_value(problem, plan=first, top=5)
        partners_final = cov.integration_value(problem, plan=plan, top=5)
    with timed(timings, "territory: incidents by phase"):
        incidents = cov.evaluation.incidents_by_phase(territory, plan, phase_labels=labels)
    with timed(timings, "territory: face-capable plan under privacy rules"):
        face_run = face_and_privacy(args, territory, common)
    equity = tst_run = None
    if not args.quick:
        with timed(timings, "territory: equity comparison"):
            equity = equity_comparison(args, territory, camera, common, plan)
        with timed(timings, "Tsim Sha Tsui: solve and evaluate"):
            tst_run = street_level(args, camera)
    with timed(timings, "coverage curve"):
        total = sum(args.years)
        budgets = sorted({max(1, total * k // 16) for k in (1, 2, 4, 6, 8, 10, 12, 14, 16)})
        curve = cov.evaluation.coverage_curve(
            plan, budgets, method="auto", time_limit_s=args.time_limit_s / 4
        )
    territory_run = {
        "scene": territory,
        "plan": plan,
        "report": report,
        "curve": curve,
        "roadmap": road,
        "partners": partners,
        "partners_final": partners_final,
        "incidents": incidents,
        # the 2001 coastline, for the maps only (districts and incidents stay the HAD ones)
        "land": cov.datasets.hong_kong_land(args.data),
    }
    write_outputs(args.out, territory_run, tst_run, equity, timings)
    write_face_outputs(args.out, face_run, territory_run["land"], timings)
    summary = {
        "assumptions": ASSUMPTIONS,
        "territory": {"candidate_poles": len(poles), **plan_figures(plan, report)},
        **programme_figures(road, partners, incidents),
        "partners_final": partners_final.to_dict("records"),
        "face_and_privacy": face_run["figures"],
        "timings_s": timings,
    }
    if equity is not None and tst_run is not None:
        summary["equity"] = {"quota_share": args.quota_share, **equity["figures"]}
        summary["tst"] = plan_figures(tst_run["plan"], tst_run["report"])
    write_text(args.out / "summary.json", json.dumps(summary, indent=2, default=float) + "\n")
    print_answers(plan, road, partners, incidents, equity, tst_run, args)
    print("Partners, shared with the whole programme's plan:")
    print(partners_final.drop(columns=["top_sets_lost"]).to_string(index=False))
    print(face_run["sentence"])
    print(f"Wrote {args.out}/ (stage seconds: {timings})")
    return 0


def programme_figures(road: cov.Roadmap, partners: Any, incidents: Any) -> dict[str, Any]:
    """The roadmap, partners and incidents answers, for summary.json."""
    last = incidents["phase"].max() if len(incidents) else 0
    per_cat = (
        incidents.groupby(["category", "stage"])["watched"].sum().unstack("stage")
        if len(incidents)
        else None
    )
    return {
        "roadmap": {
            "years": road.years.to_dict("records"),
            "reach": None if road.reach is None else road.reach.__dict__,
        },
        "partners": partners.to_dict("records"),
        "incidents_watched": {
            "by_category": {} if per_cat is None else per_cat.to_dict("index"),
            "by_year_after_last_phase": incidents[incidents["phase"] == last]
            .groupby("year")[["incidents", "watched"]]
            .sum()
            .to_dict("index"),
        },
    }


def answer_notes(territory: dict[str, Any]) -> list[str]:
    """The programme's questions answered in one sentence each, with the figures."""
    road, partners, inc = territory["roadmap"], territory["partners"], territory["incidents"]
    years = "; ".join(
        f"{r.coverage:.1%} after {r.year} ({r.sets_total:,} sets, proven bound "
        f"{r.upper_bound_coverage:.1%})"
        for r in road.years.itertuples(index=False)
    )
    out = [f"Roadmap: weighted coverage {years}. " + (road.reach.text if road.reach else "")]
    years_t = road.years
    for table, year, n in (
        (partners, years_t["year"].iloc[0], int(years_t["new_sets"].iloc[0])),
        (territory["partners_final"], years_t["year"].iloc[-1], int(years_t["new_sets"].sum())),
    ):
        shared = []
        for r in table.itertuples(index=False):
            lo, hi = r.new_sets_saved_low, r.new_sets_saved_high
            saved = f"at least {lo:,.0f}" if np.isnan(hi) else f"{lo:,.0f} to {hi:,.0f}"
            shared.append(
                f"the {r.owner} sets ({r.existing_sets:,}) are worth "
                f"{100 * r.coverage_lost:.1f} points of weighted coverage "
                f"({r.coverage_without:.1%} without them) and {saved} new sets (proven range)"
            )
        out.append(
            f"Partners, shared with the plan up to {year} ({n:,} new sets): "
            + "; ".join(shared)
            + "."
        )
    if len(inc):
        stages = inc.drop_duplicates("phase").sort_values("phase")["stage"].tolist()
        total = inc[inc["phase"] == 0]["incidents"].sum()
        watched = [int(inc.loc[inc["stage"] == st, "watched"].sum()) for st in stages]
        steps = ", ".join(f"{n:,} {st}" for n, st in zip(watched, stages, strict=True))
        years = sorted(str(y) for y in set(inc["year"]))
        out.append(
            f"Incidents watched ({total:,} collisions, {years[0]}-{years[-1]}): {steps} "
            f"({watched[-1] / total:.1%} at the end); by type and year in the tables below."
        )
    out.append(
        "Face-capable coverage under privacy rules: not computed in this report (it needs the "
        "face-capable camera criterion and privacy masking by tier, added separately)."
    )
    return out


def print_answers(  # noqa: PLR0913 - the example's results, printed
    plan: cov.Plan,
    road: cov.Roadmap,
    partners: Any,
    incidents: Any,
    equity: dict[str, Any] | None,
    tst_run: dict[str, Any] | None,
    args: argparse.Namespace,
) -> None:
    """Print the plan and the programme's answers (the figures the report shows)."""
    print(plan.summary())
    cols = ["year", "new_sets", "sets_total", "coverage", "upper_bound_coverage", "gap"]
    print(road.years[cols].to_string(index=False))
    if road.reach is not None:
        print(road.reach.text)
    show = partners.drop(columns=["top_sets_lost"]).copy()
    print(show.to_string(index=False))
    last = incidents["phase"].max() if len(incidents) else 0
    stages = incidents.drop_duplicates("phase").sort_values("phase")["stage"].tolist()
    table = incidents.groupby(["category", "stage"])["watched"].sum().unstack("stage")[stages]
    first = incidents[incidents["phase"] == 0]
    table.insert(0, "incidents", first.groupby("category")["incidents"].sum())
    print(table.to_string())
    print(
        incidents[incidents["phase"] == last]
        .groupby("year")[["incidents", "watched"]]
        .sum()
        .to_string()
    )
    if equity is not None:
        fig = equity["figures"]
        print(
            f"Quotas (each district >= its population share of {args.quota_share:.0%} of "
            f"phase 1) cost {fig['cost_of_quotas']:,.1f} covered weight "
            f"({fig['cost_share']:.2%}); proven gaps {fig['gap_unconstrained']:.3%} / "
            f"{fig['gap_with_quotas']:.3%}."
        )
    if tst_run is not None:
        print("Tsim Sha Tsui:", tst_run["plan"].summary())


def face_and_privacy(
    args: argparse.Namespace, territory: cov.Scene, common: dict[str, Any]
) -> dict[str, Any]:
    """The first year planned for face capture at foot-traffic places, under privacy rules.

    Foot traffic (the MTR exits and police stations, where crowds and street crime are)
    is credited only where a face is captured (identify-grade pixels, a down angle of at
    most 15°, the view along the corridor); collisions only need detection-grade
    coverage. Views into residential zones are masked above "observe", into children's
    playgrounds above "detect".
    """
    # homes, schools, playgrounds, worship and health places of the Tsim Sha Tsui extract (the
    # only land-use data in the shared set), by coverage.osm.PRIVACY_CATEGORIES
    zones = cov.osm.read_privacy_zones(args.data / "osm_tsim_sha_tsui_2015.osm").to_crs(
        territory.crs
    )
    scene = cov.Scene(
        territory.districts,
        territory.corridors,
        hotspots=territory.hotspots,
        buildings=territory.buildings,
        cameras=territory.cameras,
        privacy_zones=zones,
        landmarks=territory.landmarks,
        crs=territory.crs,
        name="Hong Kong (territory, face capture)",
        attribution=territory.attribution,
    )
    # a pole may not stand inside a privacy zone (rules mask views, not poles): leave out
    # the few candidate poles that do, and say so
    poles = common["poles"]
    inside = np.zeros(len(poles), dtype=bool)
    inside[zones.sindex.query(poles.geometry.values, predicate="intersects")[0]] = True
    log.info("face study: %d candidate poles inside a privacy zone left out", int(inside.sum()))
    problem = cov.Problem(
        scene,
        FACE_CAMERA,
        budget=args.years[0],
        objective=FACE_OBJECTIVE,
        privacy_rules=PRIVACY_RULES,
        **{**common, "poles": poles[~inside].reset_index(drop=True)},
    )
    plan = cov.solve(problem)
    face = cov.evaluation.face_coverage(scene, plan)
    audit = cov.evaluation.privacy_table(scene, plan)
    total = face.iloc[-1]
    foot = plan.demand["source"].to_numpy() == "foot traffic"
    credit = plan.demand["quality"].to_numpy(dtype=float) > 0
    w = plan.demand["base_weight"].to_numpy(dtype=float)
    collisions = ~foot
    figures = {
        "camera": "3 x 40 deg, 3840 px, on a 4 m pole (faces from 8.96 m to 20.96 m)",
        "objective": {k: str(v) for k, v in FACE_OBJECTIVE.items()},
        "privacy_rules": PRIVACY_RULES,
        "privacy_zones": zones["category"].value_counts().to_dict(),
        "poles_left_out_in_privacy_zones": int(inside.sum()),
        "new_sets": int((plan.cameras["status"] == "new").sum()),
        "objective_value": plan.objective,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
        # the foot-traffic places' own demand (MTR exits, police stations) with a face captured
        "foot_traffic_places_face_share": float(w[foot & credit].sum() / max(w[foot].sum(), 1e-12)),
        # face_coverage's share: all demand weight (there is no footfall column here)
        "demand_face_capable_share": float(total["face_share"]),
        "demand_face_capable_share_before": float(total["face_share_before"]),
        "collision_weight_detected_share": float(
            w[collisions & credit].sum() / max(w[collisions].sum(), 1e-12)
        ),
        "privacy_table_rows": len(audit),
        "privacy_sets": int(audit["set"].nunique()) if len(audit) else 0,
        "privacy_seen_m2": float(audit["seen_m2"].sum()) if len(audit) else 0.0,
        "privacy_masked_m2": float(audit["masked_m2"].sum()) if len(audit) else 0.0,
    }
    sentence = (
        f"Face capture (first year, {figures['new_sets']:,} face-capable sets): faces captured "
        f"at {figures['foot_traffic_places_face_share']:.1%} of the foot-traffic places' "
        f"weight; all demand weight face-capable "
        f"{figures['demand_face_capable_share_before']:.1%} -> "
        f"{figures['demand_face_capable_share']:.1%}; collision weight detected "
        f"{figures['collision_weight_detected_share']:.1%}; proven gap {plan.gap:.2%}; privacy "
        f"audit {len(audit)} rows over {figures['privacy_sets']} sets, "
        f"{figures['privacy_seen_m2']:,.0f} m² of privacy zones seen within the rules' tiers, "
        f"{figures['privacy_masked_m2']:,.0f} m² masked above them."
    )
    return {
        "scene": scene,
        "plan": plan,
        "face": face,
        "audit": audit,
        "figures": figures,
        "sentence": sentence,
    }


def write_face_outputs(
    out: Path, run: dict[str, Any], land: Any, timings: dict[str, float]
) -> None:
    """face_coverage.csv, privacy_audit.csv, plan_face.geojson and report_face.html."""
    from coverage.report import write_report

    with timed(timings, "face: tables and report"):
        write_frame(run["face"], out / "face_coverage.csv")
        write_frame(run["audit"], out / "privacy_audit.csv")
        write_frame(run["plan"].cameras, out / "plan_face.geojson")
        write_report(
            out / "report_face.html",
            run["scene"],
            run["plan"],
            title="Hong Kong, first year: face capture at foot-traffic places, privacy by tier",
            notes=[*ASSUMPTIONS, *FACE_ASSUMPTIONS, run["sentence"]],
            land=land,
        )


def street_level(args: argparse.Namespace, camera: cov.CameraSet) -> dict[str, Any]:
    """Tsim Sha Tsui's streets and buildings, full occlusion: scene, two-phase plan, report."""
    tst = cov.datasets.hong_kong(args.data, incidents="tst")
    plan = cov.solve(
        cov.Problem(
            tst,
            camera,
            budget=tuple(args.tst_budget),
            method="auto",
            time_limit_s=args.time_limit_s,
            occlusion=True,
        )
    )
    return {"scene": tst, "plan": plan, "report": cov.evaluate(tst, plan)}


def plan_figures(plan: cov.Plan, report: cov.Report) -> dict[str, Any]:
    """Sizes, phases and coverage of a plan, for summary.json."""
    return {
        "demand_points": plan.meta["n_demand"],
        "candidate_sites": plan.meta["n_sites"],
        "existing_sets": int((plan.cameras["status"] == "existing").sum()),
        "configurations": plan.meta["n_configurations"],
        "nnz": plan.meta["nnz"],
        "coverage_before": report.total["weighted_coverage_before"],
        "phases": plan.meta["phases"],
        "coverage_after": report.total["weighted_coverage"],
    }


def equity_comparison(
    args: argparse.Namespace,
    territory: cov.Scene,
    camera: cov.CameraSet,
    common: dict[str, Any],
    plan: cov.Plan,
) -> dict[str, Any]:
    """Phase 1 with district quotas beside phase 1 without: the plans, table and figures."""
    quotas = quotas_by_population(territory, args.budget[0], args.quota_share)
    plan_q = cov.solve(
        cov.Problem(territory, camera, budget=args.budget[0], quotas=quotas, **common)
    )
    # the unconstrained phase 1 is the main plan's first phase: assess its sets rather than
    # solve it again (its proven bound and gap are the main plan's phase-1 figures)
    phase1 = plan.cameras[plan.cameras["phase"] == 1]
    fast = cov.Problem(territory, camera, budget=args.budget[0], **{**common, "method": "greedy"})
    plan_1 = cov.plan.assess(fast, phase1)
    p1 = plan.meta["phases"][0]
    if abs(plan_1.objective - p1["objective"]) > 1e-6 * max(1.0, p1["objective"]):
        msg = f"phase 1 re-assessed to {plan_1.objective}, solved to {p1['objective']}"
        raise RuntimeError(msg)
    table = cov.evaluation.compare(
        territory, plan_1, plan_q, labels=("unconstrained", "with quotas"), camera=camera
    )
    table.insert(1, "quota_min", table["district"].map(lambda d: quotas.get(d, (0, None))[0]))
    cost = plan_1.objective - plan_q.objective
    return {
        "plan": plan_q,
        "table": table,
        "figures": {
            "objective_unconstrained": plan_1.objective,
            "gap_unconstrained": p1["gap"],
            "objective_with_quotas": plan_q.objective,
            "gap_with_quotas": plan_q.gap,
            "cost_of_quotas": cost,
            "cost_share": cost / plan_1.objective if plan_1.objective else 0.0,
        },
    }


def write_outputs(
    out: Path,
    territory: dict[str, Any],
    tst: dict[str, Any] | None,
    equity: dict[str, Any] | None,
    timings: dict[str, float],
) -> None:
    """Tables, maps and reports of both scenes (each file written atomically)."""
    from coverage.render import render_map, save_map
    from coverage.report import write_report

    plan = territory["plan"]
    land = territory["land"]
    with timed(timings, "write tables"):
        write_frame(plan.cameras, out / "plan.geojson")
        write_frame(territory["report"].districts, out / "districts.csv")
        write_frame(plan.phases, out / "phases.csv")
        write_frame(territory["curve"], out / "curve.csv")
        write_frame(territory["roadmap"].years, out / "roadmap.csv")
        write_frame(territory["partners"], out / "partners.csv")
        write_frame(territory["partners_final"], out / "partners_final.csv")
        write_frame(territory["incidents"], out / "incidents_by_phase.csv")
        if equity is not None and tst is not None:
            write_frame(equity["plan"].cameras, out / "plan_quotas.geojson")
            write_frame(tst["plan"].cameras, out / "plan_tst.geojson")
            write_frame(equity["table"], out / "equity.csv")
    with timed(timings, "maps"):
        save_map(render_map(territory["scene"], plan, land=land), out / "map.html")
        if tst is not None:
            save_map(render_map(tst["scene"], tst["plan"], land=land), out / "map_tst.html")
    years = " + ".join(f"{b:,}" for b in territory["roadmap"].years["budget"])
    with timed(timings, "reports"):
        write_report(
            out / "report.html",
            territory["scene"],
            plan,
            report=territory["report"],
            curve=territory["curve"],
            comparison=None if equity is None else equity["table"],
            title=f"Hong Kong: the next {years} camera sets",
            notes=[*answer_notes(territory), *ASSUMPTIONS],
            land=land,
            partners=territory["partners"],
            roadmap=territory["roadmap"],
            incident_phases=territory["incidents"],
        )
        if tst is None:
            return
        plan_tst = tst["plan"]
        write_report(
            out / "report_tst.html",
            tst["scene"],
            plan_tst,
            report=tst["report"],
            title="Tsim Sha Tsui, street level",
            notes=["Real OpenStreetMap streets and buildings (2015); buildings block views."],
            land=land,
        )


if __name__ == "__main__":
    raise SystemExit(main())
