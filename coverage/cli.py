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
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
            "meta.json, map.html and report.html; with [roadmap] roadmap.csv, with [partners] "
            "partners.csv, with incident points incidents_by_phase.csv; with resolution_px and "
            "mount_height_m face_coverage.csv, with privacy zones and resolution_px "
            "privacy_audit.csv. The folder appears "
            "whole, once the plan is "
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
    sp.add_argument(
        "--scheduler",
        metavar="ADDR",
        help='run on dask: "local" (a LocalCluster) or "tcp://host:8786" (default: [compute])',
    )
    sp.add_argument(
        "--workers", type=int, metavar="N", help='worker processes of --scheduler "local"'
    )
    common(sp)

    sp = sub.add_parser(
        "evaluate",
        help="coverage of a saved plan or of your own layout",
        description=(
            "Coverage by district of the camera sets in PLAN (a plan.geojson written by "
            "'coverage plan', or your own points with an optional headings_deg column), on the "
            "scene of CONFIG. Nothing is optimized unless --bound is given: then the proven "
            "bound on the best plan with as many sets is computed too (as slow as planning)."
        ),
    )
    sp.add_argument("plan", type=Path, help="camera sets (GeoJSON/GeoPackage/...)")
    sp.add_argument("config", type=Path, help="configuration file (TOML) for the scene")
    sp.add_argument(
        "--bound",
        action="store_true",
        help="also prove how far the sets are from the best plan of as many (runs the optimizer)",
    )
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
        # pyogrio logs "Created N records" at INFO after every layer it writes
        logging.getLogger("pyogrio").setLevel(logging.DEBUG if verbose else logging.WARNING)
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
    """A progress bar over the pipeline's stages (quiet: nothing), and their timings.

    While the bar is open, log records go through ``tqdm.write`` (above the
    bar, never through it). The bar's postfix shows the optimizer's objective,
    proven bound, gap and time left during an optimize stage (:meth:`solver`),
    and the current step of other stages (:meth:`callback`).
    """

    def __init__(self, total: int, quiet: bool, time_limit_s: float | None = None) -> None:
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        from coverage._timing import StageTimer

        self.bar = tqdm(
            total=total, disable=quiet, unit="stage", file=sys.stderr, dynamic_ncols=True
        )
        self.time_limit_s = time_limit_s
        self._redirect = logging_redirect_tqdm(tqdm_class=tqdm)
        self._redirect.__enter__()
        self._timer = StageTimer(on_start=self._start, on_end=self._end)
        self.timings = self._timer.timings

    def _start(self, name: str) -> None:
        self.bar.set_description(name, refresh=False)
        self.bar.set_postfix_str("", refresh=True)

    def _end(self, _name: str) -> None:
        self.bar.set_postfix_str("", refresh=False)
        self.bar.update(1)

    def stage(self, name: str) -> AbstractContextManager[None]:
        """Time the ``with`` block as stage `name`, one step of the bar."""
        return self._timer.stage(name)

    def callback(self, stage: str, done: float, total: float | None) -> None:
        """Follow stages on the bar (a :data:`coverage.plan.ProgressCallback`).

        :func:`coverage.plan.solve`'s stages move the bar: ``(stage, 0, None)``
        starts one, ``(stage, 1, 1)`` ends it. Steps inside a stage of ours
        (the report's) have names with a colon, ``"report: curve"``, and are
        shown after the bar.
        """
        if ":" in stage:
            if done == 0:
                self.bar.set_postfix_str(stage)
            elif total and total > 1:  # tasks of a stage on a dask cluster
                self.bar.set_postfix_str(f"{stage} {done:g}/{total:g}")
        elif done == 0:
            self._start(stage)
        else:
            self._end(stage)

    def solver(self, record: Any) -> None:
        """Show an optimizer :class:`coverage.optimize.Progress` record after the bar."""
        self.bar.set_postfix_str(_solver_text(record, self.time_limit_s))

    def close(self) -> None:
        """Close the bar and give logging its handlers back."""
        try:
            self.bar.close()
        finally:
            self._redirect.__exit__(None, None, None)


def _solver_text(record: Any, time_limit_s: float | None) -> str:
    """One line from an optimizer Progress record: objective, bound, gap, time left.

    Examples
    --------
    >>> from coverage.optimize import Progress
    >>> _solver_text(Progress("bound", 10, 0, 990.0, 1000.0, 12.4), 60.0)
    'bound: objective 990.0, bound 1,000.0, gap 1.00%, 48 s left'
    >>> _solver_text(Progress("greedy", 5, 10, 50.0, 80.0, 0.2), None)
    'greedy 5/10: objective 50.0, bound 80.0, gap 37.50%'
    """
    from coverage._arrays import relative_gap

    what = str(record.stage)
    if record.total:
        what += f" {record.done}/{record.total}"
    text = (
        f"{what}: objective {record.objective:,.1f}, bound {record.upper_bound:,.1f}, "
        f"gap {relative_gap(record.objective, record.upper_bound):.2%}"
    )
    if time_limit_s is not None:
        text += f", {max(0.0, time_limit_s - record.elapsed_s):.0f} s left"
    return text


def _time_limit(problem: Any) -> float | None:
    """Return the optimizer's wall-time cap for `problem` (None: none), as max_coverage sets it."""
    if problem.time_limit_s is not None:
        return float(problem.time_limit_s)
    return {"auto": 60.0, "local": 30.0, "exact": 300.0}.get(problem.method)


# -------------------------------------------------------------------- commands
@contextmanager
def _compute(cfg: Any, args: argparse.Namespace) -> Iterator[tuple[Any, int | None]]:
    """Yield a dask client and the tile count from ``--scheduler`` or ``[compute]`` (or None)."""
    compute = dict(cfg.compute)
    if args.scheduler is not None:
        compute["scheduler"] = args.scheduler
    if args.workers is not None:
        compute["workers"] = args.workers
    if "scheduler" not in compute:
        yield None, None
        return
    from coverage.distributed import check_scheduler, connect

    check_scheduler(compute["scheduler"], "--scheduler")
    with connect(compute["scheduler"], workers=compute.get("workers", 2)) as client:
        logger.info("computing on dask: %s", compute["scheduler"])
        yield client, compute.get("tiles")


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
    budgets = cfg.roadmap["years"] if cfg.roadmap else cfg.plan.get("budget", 200)
    n_phases = len(budgets) if isinstance(budgets, list) else 1
    # load scene; solve's demand, candidates, matrix and one optimize stage per phase;
    # evaluate, write plan; roadmap, partners, incidents by phase; the map and the report
    n_extra = int(cfg.roadmap is not None) + int(cfg.partners is not None) + 1
    n_stages = 1 + 3 + n_phases + 2 + n_extra + int(want_map) + int(want_report)
    stages = _Stages(total=n_stages, quiet=args.quiet)
    t_start = time.perf_counter()
    try:
        with plan_folder(out, force=args.force, inputs=inputs) as tmp:  # locked from here on
            with stages.stage("load scene"):
                scene = cfg.build_scene()
                problem = cfg.build_problem(scene)
                _check_roadmap_total(cfg, scene)
            stages.time_limit_s = _time_limit(problem)
            with _compute(cfg, args) as (client, n_tiles):
                plan = solve(
                    problem,
                    progress=stages.callback,
                    solver_progress=stages.solver,
                    client=client,
                    n_tiles=n_tiles,
                )
            stages.timings.update(plan.meta["timings_s"])
            writer = _Outputs(tmp, debug=args.debug)
            report = _write_plan(writer, stages, scene, plan)
            programme = _write_programme(writer, stages, cfg, problem, plan)
            face_lines = _write_face_privacy(writer, stages, problem, plan)
            if want_map:
                with stages.stage("map"):
                    writer.attempt("map.html", lambda path: _write_map(path, scene, plan))
            if want_report:
                with stages.stage("report"):
                    writer.attempt(
                        "report.html",
                        lambda path: _write_report(
                            path, scene, plan, report, progress=stages.callback, **programme
                        ),
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
        _print_programme(programme)
        for line in face_lines:
            print(line)
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
            logger.info("plan.gpkg has no districts layer: the evaluation failed.")
        writer.attempt(
            "plan.gpkg",
            lambda path: to_gpkg(scene, plan, path, report=got, districts=got is not None),
        )
    return got


def _check_roadmap_total(cfg: Any, scene: Any) -> None:
    """Refuse a [roadmap] total_sets that the existing sets and the years do not make."""
    from coverage.evaluation import check_total_sets

    road = cfg.roadmap or {}
    if "total_sets" not in road:
        return
    try:
        check_total_sets(road["total_sets"], len(scene.cameras), road["years"])
    except ValueError as exc:
        err = cfg.error("roadmap", "total_sets", str(exc))
        raise err from exc


def _write_programme(
    writer: _Outputs, stages: _Stages, cfg: Any, problem: Any, plan: Any
) -> dict[str, Any]:
    """Write roadmap.csv, partners.csv and incidents_by_phase.csv as configured.

    Returns what the report shows (``roadmap``, ``partners``, ``incident_phases``);
    a table that failed is left out of it (and recorded in meta.json).
    """
    from coverage import evaluation
    from coverage.io import write_frame

    out: dict[str, Any] = {}

    def keep(name: str, key: str, make: Callable[[], Any], table: Callable[[Any], Any]) -> None:
        def write(path: Path) -> None:
            value = make()
            write_frame(table(value), path)
            out[key] = value

        writer.attempt(name, write)

    if cfg.roadmap is not None:
        road = cfg.roadmap
        with stages.stage("roadmap"):
            keep(
                "roadmap.csv",
                "roadmap",
                lambda: evaluation.roadmap(
                    problem,
                    road["years"],
                    labels=road.get("labels"),
                    target_share=road.get("target_share"),
                    plan=plan,
                ),
                lambda r: r.years,
            )
    if cfg.partners is not None:
        part = cfg.partners
        with stages.stage("partners"):
            keep(
                "partners.csv",
                "partners",
                lambda: evaluation.integration_value(
                    problem,
                    part.get("owners"),
                    plan=plan,
                    top=part.get("top", 5),
                    savings=part.get("savings", True),
                ),
                lambda t: t,
            )
    scene = problem.scene
    with stages.stage("incidents by phase"):
        if scene.hotspot_kind == "points" and len(scene.hotspots):
            keep(
                "incidents_by_phase.csv",
                "incident_phases",
                lambda: evaluation.incidents_by_phase(
                    scene, plan, phase_labels=_year_labels(out.get("roadmap"))
                ),
                lambda t: t,
            )
    return out


def _write_face_privacy(writer: _Outputs, stages: _Stages, problem: Any, plan: Any) -> list[str]:
    """Write face_coverage.csv and privacy_audit.csv when the camera set and scene allow them.

    The same conditions as the report's section: face capture needs the
    camera's ``resolution_px`` and ``mount_height_m``; the audit needs
    privacy zones in the scene and ``resolution_px``.  Returns the lines the
    CLI prints about them.
    """
    from coverage import evaluation
    from coverage.io import write_frame

    cs, scene = problem.camera, problem.scene
    lines: list[str] = []
    if cs.resolution_px is None:
        return lines

    def face(path: Path) -> None:
        table = evaluation.face_coverage(scene, plan)
        write_frame(table, path)
        total = table.iloc[-1]
        lines.append(
            f"Faces captured: {total['face_share_before']:.1%} -> {total['face_share']:.1%} "
            "of foot traffic (face_coverage.csv)."
        )

    def audit(path: Path) -> None:
        table = evaluation.privacy_table(scene, plan)
        write_frame(table, path)
        sets = table["set"].nunique() if len(table) else 0
        lines.append(
            f"Privacy audit: {sets} set(s) see privacy zones, {table['seen_m2'].sum():,.0f} m² "
            f"seen, {table['masked_m2'].sum():,.0f} m² masked (privacy_audit.csv)."
        )

    if cs.mount_height_m is not None:
        with stages.stage("face capture"):
            writer.attempt("face_coverage.csv", face)
    if len(scene.privacy_zones):
        with stages.stage("privacy audit"):
            writer.attempt("privacy_audit.csv", audit)
    return lines


def _year_labels(road: Any) -> list[Any] | None:
    """Return the roadmap's year labels (None without a roadmap)."""
    return None if road is None else list(road.years["year"])


def _print_programme(programme: dict[str, Any]) -> None:
    """Print the roadmap's years and reach, and the partners' table (the CLI's tables)."""
    road = programme.get("roadmap")
    if road is not None:
        cols = ["year", "new_sets", "sets_total", "coverage", "upper_bound_coverage", "gap"]
        print(_percent_table(road.years[cols], ["coverage", "upper_bound_coverage", "gap"]))
        if road.reach is not None:
            print(road.reach.text)
    partners = programme.get("partners")
    if partners is not None and len(partners):
        shares = ["coverage_with", "coverage_without", "coverage_lost"]
        table = partners.drop(columns=["top_sets_lost"]).copy()
        table["top_sets"] = table["top_sets"].map(lambda t: ";".join(str(x) for x in t))
        print("Partners' cameras (coverage with and without each owner's sets):")
        print(_percent_table(table, shares))


def _percent_table(frame: Any, shares: list[str]) -> str:
    """Format a frame as text, the `shares` columns as percentages."""
    shown = frame.copy()
    for c in shares:
        shown[c] = shown[c].map(lambda x: f"{100 * float(x):.1f}%")
    return str(shown.to_string(index=False))


def _write_districts(path: Path, scene: Any, plan: Any) -> Any:
    from coverage.evaluation import evaluate
    from coverage.io import write_frame

    report = evaluate(scene, plan)
    write_frame(report.districts, path)
    return report


def _write_map(path: Path, scene: Any, plan: Any) -> None:
    from coverage.render import render_map, save_map

    save_map(render_map(scene, plan), path)


def _write_report(
    path: Path, scene: Any, plan: Any, report: Any, progress: Any = None, **programme: Any
) -> None:
    from coverage.report import write_report

    def step(name: str) -> None:
        if progress is not None:
            progress(f"report: {name}", 0, None)

    write_report(path, scene, plan, report=report, progress=step, **programme)


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


def _assessed(
    args: argparse.Namespace, *, bound: bool, out_suffixes: tuple[str, ...] | None = None
) -> tuple[Any, Any, _Stages]:
    """Scene and assessed plan of the sets in ``args.plan``; the progress bar stays open.

    With `bound` the optimizer proves how far the sets are from the best plan
    of as many (the configuration's method and time limit; progress on the bar).
    ``args.out`` is checked before any work: writable, not an input, and (with
    `out_suffixes`) of a format that can be written.
    """
    from coverage.config import load_config
    from coverage.io import check_output_file
    from coverage.plan import assess

    _check_argument_order(args)
    cfg = load_config(args.config)
    if args.out is not None:
        check_output_file(args.out, force=args.force, inputs=[*cfg.input_paths(), args.plan])
        if out_suffixes and Path(args.out).suffix.lower() not in out_suffixes:
            msg = (
                f"--out {str(args.out)!r}: the table is written as "
                f"{', '.join(out_suffixes[:-1])} or {out_suffixes[-1]}; give a file name with "
                "one of these, such as districts.csv."
            )
            raise ParameterError(msg)
    sets = _read_sets(args)
    stages = _Stages(total=3, quiet=args.quiet)
    try:
        with stages.stage("load scene"):
            scene = cfg.build_scene()
            problem = cfg.build_problem(scene)
        stages.time_limit_s = _time_limit(problem)
        with stages.stage("coverage and bound" if bound else "coverage"):
            plan = assess(problem, sets, bound=bound, solver_progress=stages.solver)
    except BaseException:
        stages.close()
        raise
    return scene, plan, stages


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from coverage.evaluation import evaluate
    from coverage.io import TABLE_SUFFIXES, write_frame

    scene, plan, stages = _assessed(args, bound=args.bound, out_suffixes=TABLE_SUFFIXES)
    try:
        with stages.stage("evaluate"):
            # the district table only: the continuity and route figures are not printed
            report = evaluate(scene, plan, continuity=False)
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
    n = len(plan.new_cameras)
    line = (
        f"{n} sets cover {plan.objective:,.1f} of {plan.demand['weight'].sum():,.1f} demand weight"
    )
    if args.bound:
        line += (
            f"; no plan of {n} sets on the candidate sites can exceed {plan.upper_bound:,.1f} "
            f"(gap {plan.gap:.2%})."
        )
    else:
        line += (
            f". The bound on the best plan of {n} sets was not computed (nothing was "
            "optimized); add --bound to prove how far these sets are from it."
        )
    print(line)
    if args.out is not None:
        write_frame(report.districts, args.out)
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from coverage.render import render_map, save_map

    scene, plan, stages = _assessed(args, bound=False)
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
