"""The ``coverage`` command: plan, evaluate and map camera sets from a config file.

Run ``coverage --help`` (or ``python -m coverage --help``) for the commands.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from coverage.errors import CoverageError

__all__ = ["main"]

logger = logging.getLogger("coverage")

DESCRIPTION = """\
Plan where the next CCTV camera sets go, and see what they cover.

A configuration file (TOML) says which city to use (the bundled sample city,
the Hong Kong data, or your own layer files), which camera set to install,
how many sets to place and how hard to look for the best plan. Start with:

  coverage init my_plan.toml      write a documented configuration to edit
  coverage plan my_plan.toml      plan; writes the plan, report and map
  coverage evaluate PLAN CONFIG   coverage of a saved plan (or your own layout)
  coverage map PLAN CONFIG        the coverage map of a saved plan

Every plan comes with a proven upper bound on what any plan of that size could
cover, and the gap to it: "within 0.1 % of the best possible" is a guarantee.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coverage",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines")
        sp.add_argument("-v", "--verbose", action="store_true", help="more log lines")

    sp = sub.add_parser(
        "plan",
        help="plan new camera sets from a configuration file",
        description=(
            "Plan new camera sets. Writes into the output folder: plan.geojson, plan.gpkg and "
            "plan.csv (one row per set, with phase and status), districts.csv, phases.csv, "
            "meta.json, map.html and report.html. The folder is written whole or not at all."
        ),
    )
    sp.add_argument("config", type=Path, help="configuration file (TOML)")
    sp.add_argument("-o", "--out", type=Path, help="output folder (default: [output] folder)")
    sp.add_argument(
        "--force", action="store_true", help="replace an existing output folder (atomically)"
    )
    common(sp)

    sp = sub.add_parser(
        "evaluate",
        help="coverage of a saved plan or of your own layout",
        description=(
            "Coverage by district of the camera sets in PLAN (a plan.geojson written by "
            "'coverage plan', or your own points with an optional headings_deg column), on the "
            "scene of CONFIG, with the proven bound on the best plan with as many sets."
        ),
    )
    sp.add_argument("plan", type=Path, help="camera sets (GeoJSON/GeoPackage/...)")
    sp.add_argument("config", type=Path, help="configuration file (TOML) for the scene")
    sp.add_argument("-o", "--out", type=Path, help="write the district table to this CSV file")
    common(sp)

    sp = sub.add_parser(
        "map", help="the coverage map of a saved plan", description="Draw PLAN on CONFIG's scene."
    )
    sp.add_argument("plan", type=Path, help="camera sets (GeoJSON/GeoPackage/...)")
    sp.add_argument("config", type=Path, help="configuration file (TOML) for the scene")
    sp.add_argument("-o", "--out", type=Path, default=Path("map.html"), help="HTML file")
    sp.add_argument("--online", action="store_true", help="use web map tiles (needs internet)")
    common(sp)

    sp = sub.add_parser(
        "init",
        help="write a documented configuration file to start from",
        description="Write a documented configuration template.",
    )
    sp.add_argument("config", type=Path, help="file to write (must not exist)")
    return p


def _version() -> str:
    from coverage import __version__

    return f"coverage {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    quiet = getattr(args, "quiet", False)
    verbose = getattr(args, "verbose", False)
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    if args.command != "init":
        logging.basicConfig(level=level, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        command: Callable[[argparse.Namespace], int] = {
            "plan": _cmd_plan,
            "evaluate": _cmd_evaluate,
            "map": _cmd_map,
            "init": _cmd_init,
        }[args.command]
        return command(args)
    except (CoverageError, FileNotFoundError, FileExistsError) as exc:
        print(f"coverage {args.command}: error: {exc}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------- stages
class _Stages:
    """A progress bar over the pipeline's stages (quiet: nothing), and their timings."""

    def __init__(self, total: int, quiet: bool) -> None:
        from tqdm import tqdm

        from coverage._timing import StageTimer

        self.bar = tqdm(
            total=total, disable=quiet, unit="stage", file=sys.stderr, dynamic_ncols=True
        )
        self._timer = StageTimer(
            on_start=self.bar.set_description, on_end=lambda _name: self.bar.update(1)
        )
        self.timings = self._timer.timings

    def stage(self, name: str) -> AbstractContextManager[None]:
        """Time the ``with`` block as stage `name`, one step of the bar."""
        return self._timer.stage(name)

    def callback(self, stage: str, done: float, total: float | None) -> None:
        """Follow :func:`coverage.plan.solve`'s stages on the bar (its ProgressCallback)."""
        if done == 0:
            self.bar.set_description(stage)
        else:
            self.bar.update(1)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


@contextmanager
def _atomic_folder(target: Path, *, force: bool) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces `target` whole on success."""
    if target.exists() and not force:
        msg = (
            f"The output folder {str(target)!r} already exists. Pass --force to replace it "
            "(atomically: it is swapped only once the new one is complete), or choose --out."
        )
        raise FileExistsError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# -------------------------------------------------------------------- commands
def _cmd_plan(args: argparse.Namespace) -> int:
    from coverage.config import load_config
    from coverage.evaluation import evaluate
    from coverage.io import write_frame, write_text
    from coverage.plan import solve

    cfg = load_config(args.config)
    out = args.out if args.out is not None else cfg.folder
    if out.exists() and not args.force:
        # fail before any work is done
        with _atomic_folder(out, force=False):
            pass
    want_map = cfg.output.get("map", True)
    want_report = cfg.output.get("report", True)
    budgets = cfg.plan.get("budget", 200)
    n_phases = len(budgets) if isinstance(budgets, list) else 1
    # load scene; solve's demand, candidates, matrix and one optimize stage per phase;
    # evaluate, write plan; then the map and the report when asked for
    n_stages = 1 + 3 + n_phases + 2 + int(want_map) + int(want_report)
    stages = _Stages(total=n_stages, quiet=args.quiet)
    t_start = time.perf_counter()
    try:
        with stages.stage("load scene"):
            scene = cfg.build_scene()
            problem = cfg.build_problem(scene)
        plan = solve(problem, progress=stages.callback)
        stages.timings.update(plan.meta["timings_s"])
        with stages.stage("evaluate"):
            report = evaluate(scene, plan)
        with _atomic_folder(out, force=args.force) as tmp:
            with stages.stage("write plan"):
                write_frame(plan.cameras, tmp / "plan.geojson")
                write_frame(plan.cameras, tmp / "plan.gpkg", layer="cameras")
                write_frame(plan.cameras, tmp / "plan.csv")
                write_frame(report.districts, tmp / "districts.csv")
                write_frame(plan.phases, tmp / "phases.csv")
            if want_map:
                with stages.stage("map"):
                    from coverage.render import render_map, save_map

                    save_map(render_map(scene, plan), tmp / "map.html")
            if want_report:
                with stages.stage("report"):
                    from coverage.report import write_report

                    write_report(tmp / "report.html", scene, plan, report=report)
            meta = {
                "config": str(cfg.path),
                "objective": plan.objective,
                "upper_bound": plan.upper_bound,
                "gap": plan.gap,
                "summary": plan.summary(),
                "totals": report.total,
                **{k: v for k, v in plan.meta.items() if k != "timings_s"},
                "timings_s": stages.timings,
                "total_s": time.perf_counter() - t_start,
            }
            write_text(tmp / "meta.json", json.dumps(meta, indent=2, default=str) + "\n")
            shutil.copyfile(cfg.path, tmp / "config.toml")
    finally:
        stages.close()
    if not args.quiet:
        print(plan.summary())
        t = report.total
        print(
            f"Coverage {t['weighted_coverage_before']:.1%} -> {t['weighted_coverage']:.1%} "
            f"(weighted), {t['point_coverage_before']:.1%} -> {t['point_coverage']:.1%} "
            f"(points). Wrote {out}/"
        )
    return 0


def _assessed(args: argparse.Namespace, *, fast_bound: bool) -> tuple[Any, Any, _Stages]:
    """Scene and assessed plan of the sets in ``args.plan``; the progress bar stays open."""
    import dataclasses

    from coverage.config import load_config
    from coverage.plan import assess
    from coverage.scene import read_layer

    cfg = load_config(args.config)
    sets = read_layer(args.plan, what="plan")
    stages = _Stages(total=3, quiet=args.quiet)
    try:
        with stages.stage("load scene"):
            scene = cfg.build_scene()
            problem = cfg.build_problem(scene)
            if fast_bound:  # the map shows no bound: the greedy one is enough
                problem = dataclasses.replace(problem, method="greedy")
        with stages.stage("coverage and bound"):
            plan = assess(problem, sets)
    except BaseException:
        stages.close()
        raise
    return scene, plan, stages


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from coverage.evaluation import evaluate
    from coverage.io import write_frame

    scene, plan, stages = _assessed(args, fast_bound=False)
    try:
        with stages.stage("evaluate"):
            report = evaluate(scene, plan)
    finally:
        stages.close()
    cols = [
        "district",
        "sets_new",
        "sets_existing",
        "weighted_coverage_before",
        "weighted_coverage",
        "point_coverage",
    ]
    print(report.districts[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"{len(plan.new_cameras)} sets cover {plan.objective:,.1f} of "
        f"{plan.demand['weight'].sum():,.1f} demand weight; no plan of {len(plan.new_cameras)} "
        f"sets on the candidate sites can exceed {plan.upper_bound:,.1f} (gap {plan.gap:.2%})."
    )
    if args.out is not None:
        write_frame(report.districts, args.out)
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from coverage.render import render_map, save_map

    scene, plan, stages = _assessed(args, fast_bound=True)
    try:
        with stages.stage("map"):
            save_map(render_map(scene, plan, offline=not args.online), args.out)
    finally:
        stages.close()
    if not args.quiet:
        print(f"Wrote {args.out}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from coverage.config import TEMPLATE
    from coverage.io import write_text

    if args.config.exists():
        msg = f"{str(args.config)!r} already exists; choose another name."
        raise FileExistsError(msg)
    write_text(args.config, TEMPLATE)
    print(f"Wrote {args.config}: edit it, then run 'coverage plan {args.config}'.")
    return 0
