"""The ``coverage`` command: plan, evaluate and map camera sets from a config file.

Run ``coverage --help`` (or ``python -m coverage --help``) for the commands.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from coverage.errors import CoverageError, ParameterError, SolverError

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
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines")
        sp.add_argument("-v", "--verbose", action="store_true", help="more log lines")
        sp.add_argument(
            "--debug", action="store_true", help="show the traceback of an unexpected error"
        )

    sp = sub.add_parser(
        "plan",
        help="plan new camera sets from a configuration file",
        description=(
            "Plan new camera sets. Writes into the output folder: plan.geojson and plan.csv (one "
            "row per set, with phase and status; headings as 30;150;270, lon/lat and x/y in the "
            "named CRS), plan.gpkg (layers cameras, views, demand, streets, districts), "
            "districts.csv, phases.csv, "
            "meta.json, map.html and report.html. The folder appears whole, once the plan is "
            "written; if the map or the report fails, the plan is kept and meta.json says "
            "what failed (exit code 1)."
        ),
    )
    sp.add_argument("config", type=Path, help="configuration file (TOML)")
    sp.add_argument("-o", "--out", type=Path, help="output folder (default: [output] folder)")
    sp.add_argument(
        "--force",
        action="store_true",
        help="replace an output folder an earlier 'coverage plan' wrote (atomically)",
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
    sp.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    common(sp)

    sp = sub.add_parser(
        "map", help="the coverage map of a saved plan", description="Draw PLAN on CONFIG's scene."
    )
    sp.add_argument("plan", type=Path, help="camera sets (GeoJSON/GeoPackage/...)")
    sp.add_argument("config", type=Path, help="configuration file (TOML) for the scene")
    sp.add_argument("-o", "--out", type=Path, default=Path("map.html"), help="HTML file")
    sp.add_argument("--online", action="store_true", help="use web map tiles (needs internet)")
    sp.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    common(sp)

    sp = sub.add_parser(
        "init",
        help="write a documented configuration file to start from",
        description="Write a documented configuration template.",
    )
    sp.add_argument("config", type=Path, help="file to write")
    sp.add_argument("--force", action="store_true", help="replace the file if it exists")
    sp.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return p


def _version() -> str:
    from coverage import __version__

    return f"coverage {__version__}"


EPILOG = """\
exit status: 0 done; 1 failed while running (for 'plan': the plan is kept, meta.json says
what failed); 2 a bad configuration, argument, input or output location (nothing written);
130 interrupted (nothing written)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1, 2 or 130, see ``--help``)."""
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
    command: Callable[[argparse.Namespace], int] = {
        "plan": _cmd_plan,
        "evaluate": _cmd_evaluate,
        "map": _cmd_map,
        "init": _cmd_init,
    }[args.command]
    try:
        return command(args)
    except KeyboardInterrupt:
        _say(args, "interrupted; nothing was written (an earlier output is as it was).")
        return 130
    except (SolverError, MemoryError) as exc:
        _say(args, _one_line(exc) or type(exc).__name__)
        return 1
    except (CoverageError, FileNotFoundError, FileExistsError, IsADirectoryError) as exc:
        _say(args, _one_line(exc))
        return 2
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        _say(args, f"{_describe(exc)} (rerun with --debug for the traceback)")
        return 1


def _one_line(exc: BaseException) -> str:
    """Return the message of `exc`; an OSError's as 'what: path'."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


def _describe(exc: BaseException) -> str:
    """'Type: message' on one line (the first line of the message)."""
    text = _one_line(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _say(args: argparse.Namespace, message: str) -> None:
    print(f"coverage {args.command}: error: {message}", file=sys.stderr)


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


# -------------------------------------------------------------------- commands
def _cmd_plan(args: argparse.Namespace) -> int:
    from coverage.config import load_config
    from coverage.io import check_plan_folder, plan_folder
    from coverage.plan import solve

    cfg = load_config(args.config)
    out = args.out if args.out is not None else cfg.folder
    inputs = cfg.input_paths()
    check_plan_folder(out, force=args.force, inputs=inputs)  # fail before any work is done
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
        with plan_folder(out, force=args.force, inputs=inputs) as tmp:  # locked from here on
            with stages.stage("load scene"):
                scene = cfg.build_scene()
                problem = cfg.build_problem(scene)
            plan = solve(problem, progress=stages.callback)
            stages.timings.update(plan.meta["timings_s"])
            writer = _Outputs(tmp, debug=args.debug)
            report = _write_plan(writer, stages, scene, plan)
            if want_map:
                with stages.stage("map"):
                    writer.attempt("map.html", lambda path: _write_map(path, scene, plan))
            if want_report:
                with stages.stage("report"):
                    writer.attempt(
                        "report.html", lambda path: _write_report(path, scene, plan, report)
                    )
            meta = _meta(cfg, scene, plan, report, writer.outputs)
            meta["timings_s"] = stages.timings
            meta["total_s"] = time.perf_counter() - t_start
            writer.required("config.toml", lambda path: shutil.copyfile(cfg.path, path))
            writer.required("meta.json", lambda path: _write_json(path, meta))
    finally:
        stages.close()
    failed = {k: v for k, v in writer.outputs.items() if v != "written"}
    if not args.quiet:
        print(plan.summary())
        if report is not None:
            t = report.total
            print(
                f"Coverage {t['weighted_coverage_before']:.1%} -> {t['weighted_coverage']:.1%} "
                f"(weighted), {t['point_coverage_before']:.1%} -> {t['point_coverage']:.1%} "
                f"(points). Wrote {out}/"
            )
    if failed:
        what = "; ".join(f"{k} {v}" for k, v in failed.items())
        _say(args, f"{what}. The plan and the other outputs are in {out}/ (see meta.json).")
        return 1
    return 0


class _Outputs:
    """Write output files into a folder, recording for each 'written' or 'failed: why'."""

    def __init__(self, folder: Path, *, debug: bool) -> None:
        self.folder = folder
        self.debug = debug
        self.outputs: dict[str, str] = {}

    def required(self, name: str, write: Callable[[Path], object]) -> None:
        """Write `name`; a failure is the run's failure (nothing is kept)."""
        write(self.folder / name)
        self.outputs[name] = "written"

    def attempt(self, name: str, write: Callable[[Path], object]) -> bool:
        """Write `name`; a failure is recorded and logged, and the run goes on."""
        try:
            write(self.folder / name)
        except Exception as exc:
            if self.debug:
                traceback.print_exc()
            logger.debug("Writing %s failed.", name, exc_info=True)
            self.outputs[name] = f"failed: {_describe(exc)}"
            return False
        self.outputs[name] = "written"
        return True


def _write_plan(writer: _Outputs, stages: _Stages, scene: Any, plan: Any) -> Any:
    """Write the plan tables, evaluate, then the layered plan.gpkg; return the Report or None.

    plan.gpkg holds the layers cameras, views, demand, streets and districts
    (:func:`coverage.export.to_gpkg`); its districts layer uses the report.
    """
    from coverage.export import to_gpkg
    from coverage.io import write_frame

    with stages.stage("write plan"):
        writer.attempt("plan.geojson", lambda path: write_frame(plan.cameras, path))
        writer.attempt("plan.csv", lambda path: write_frame(plan.cameras, path))
        writer.attempt("phases.csv", lambda path: write_frame(plan.phases, path))
        if not any(writer.outputs[k] == "written" for k in ("plan.geojson", "plan.csv")):
            msg = "the plan could not be written: " + writer.outputs["plan.geojson"]
            raise OSError(msg)
    report: list[Any] = []
    with stages.stage("evaluate"):
        writer.attempt(
            "districts.csv", lambda path: report.append(_write_districts(path, scene, plan))
        )
        got = report[0] if report else None
        if got is None:
            logger.warning("plan.gpkg has no districts layer: the evaluation failed.")
        writer.attempt(
            "plan.gpkg",
            lambda path: to_gpkg(scene, plan, path, report=got, districts=got is not None),
        )
    return got


def _write_districts(path: Path, scene: Any, plan: Any) -> Any:
    from coverage.evaluation import evaluate
    from coverage.io import write_frame

    report = evaluate(scene, plan)
    write_frame(report.districts, path)
    return report


def _write_map(path: Path, scene: Any, plan: Any) -> None:
    from coverage.render import render_map, save_map

    save_map(render_map(scene, plan), path)


def _write_report(path: Path, scene: Any, plan: Any, report: Any) -> None:
    from coverage.report import write_report

    write_report(path, scene, plan, report=report)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from coverage.io import write_text

    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def _crs_of(scene: Any, plan: Any) -> str | None:
    """Name the working CRS: ``plan.meta['crs']``, else the scene's ('EPSG:n')."""
    crs = plan.meta.get("crs") if isinstance(plan.meta, dict) else None
    if crs is None:
        crs = getattr(scene, "crs", None)
    if crs is None:
        return None
    to_authority = getattr(crs, "to_authority", None)
    auth = to_authority() if callable(to_authority) else None
    return f"{auth[0]}:{auth[1]}" if auth else str(crs)


def _meta(cfg: Any, scene: Any, plan: Any, report: Any, outputs: dict[str, str]) -> dict[str, Any]:
    """Return what meta.json holds (timings are added by the caller)."""
    from coverage.io import PLAN_FOLDER_FORMAT

    ours = {
        "format": PLAN_FOLDER_FORMAT,
        "config": str(cfg.path),
        "crs": _crs_of(scene, plan),
        "objective": plan.objective,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
        "summary": plan.summary(),
        "totals": report.total if report is not None else None,
        "outputs": outputs,
    }
    # the plan's own settings after them, never over them (the format marker above all)
    return ours | {k: v for k, v in plan.meta.items() if k not in ours and k != "timings_s"}


def _read_sets(args: argparse.Namespace) -> Any:
    """Read the camera sets of ``args.plan``; an error says which file to pass."""
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError

    from coverage.scene import read_layer

    path = Path(args.plan)
    if path.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx"):
        beside = [p.name for p in (path.with_suffix(".geojson"), path.with_suffix(".gpkg"))]
        hint = " or ".join(beside)
        msg = (
            f"{str(path)!r} is a table, not a layer of camera points; pass a layer file with "
            f"point geometry, such as the {hint} written beside it by 'coverage plan'."
        )
        raise ParameterError(msg)
    if path.is_dir():
        msg = f"{str(path)!r} is a folder; pass the plan file in it (plan.geojson or plan.gpkg)."
        raise ParameterError(msg)
    try:
        sets = read_layer(path, what="plan", layer=_plan_layer(path))
    except (DataSourceError, DataLayerError) as exc:
        msg = f"{str(path)!r} could not be read as a layer of camera points: {exc}"
        raise ParameterError(msg) from exc
    if not isinstance(sets, gpd.GeoDataFrame) or sets.geometry.isna().all():
        msg = f"{str(path)!r} has no point geometry; pass plan.geojson or plan.gpkg."
        raise ParameterError(msg)
    return sets


def _plan_layer(path: Path) -> str | None:
    """Name the camera-set layer of a GeoPackage: ``cameras`` (or ``plan``, the older name)."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return None
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except DataSourceError:
        return None  # read_layer then says what is wrong with the file
    return next((n for n in ("cameras", "plan") if n in names), None)


def _check_argument_order(args: argparse.Namespace) -> None:
    """Refuse ``PLAN CONFIG`` given the other way round, with the order to use."""
    plan, config = Path(args.plan), Path(args.config)
    if plan.suffix.lower() == ".toml" and config.suffix.lower() != ".toml":
        msg = (
            f"the plan {str(plan)!r} looks like a configuration and the configuration "
            f"{str(config)!r} like a plan: give the plan first, then the configuration "
            f"(coverage {args.command} {config} {plan})."
        )
        raise ParameterError(msg)


def _assessed(args: argparse.Namespace, *, fast_bound: bool) -> tuple[Any, Any, _Stages]:
    """Scene and assessed plan of the sets in ``args.plan``; the progress bar stays open."""
    import dataclasses

    from coverage.config import load_config
    from coverage.io import check_output_file
    from coverage.plan import assess

    _check_argument_order(args)
    cfg = load_config(args.config)
    if args.out is not None:
        check_output_file(args.out, force=args.force, inputs=[*cfg.input_paths(), args.plan])
    sets = _read_sets(args)
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
    from coverage.io import check_output_file, write_text

    check_output_file(args.config, force=args.force)
    write_text(args.config, TEMPLATE)
    print(f"Wrote {args.config}: edit it, then run 'coverage plan {args.config}'.")
    return 0
