"""Progress: the CLI's bar shows the optimizer's gap, log lines go above it, solve reports."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

import pytest
from conftest import tiny_layers, tiny_poles

import coverage as cov
from coverage.cli import _Stages
from coverage.optimize import Progress


@contextmanager
def logging_to_stderr():
    """INFO log lines to the current (captured) stderr, as the CLI's basicConfig sets them up."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield logging.getLogger("coverage")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_optimizer_records_give_a_postfix_with_gap_and_time_left(capsys):
    stages = _Stages(total=2, quiet=False, time_limit_s=60.0)
    records = [
        Progress("greedy", 10, 20, 50.0, 100.0, 0.5),
        Progress("local", 3, 3, 80.0, 100.0, 2.0),
        Progress("bound", 10, 0, 90.0, 92.0, 12.25),
    ]
    seen = []
    try:
        with stages.stage("optimize"):
            for r in records:
                stages.solver(r)
                seen.append(stages.bar.postfix)
    finally:
        stages.close()
    # gap = (bound - objective) / bound, time left = 60 s - elapsed
    assert seen[0] == "greedy 10/20: objective 50.0, bound 100.0, gap 50.00%, 60 s left"
    assert seen[1] == "local 3/3: objective 80.0, bound 100.0, gap 20.00%, 58 s left"
    assert seen[2] == "bound: objective 90.0, bound 92.0, gap 2.17%, 48 s left"
    err = capsys.readouterr().err
    assert "gap 2.17%, 48 s left" in err  # drawn on the bar
    assert "optimize" in err


def test_log_lines_during_a_stage_do_not_break_the_bar(capsys):
    with logging_to_stderr() as log:
        stages = _Stages(total=2, quiet=False)
        try:
            with stages.stage("load scene"):
                log.info("a log line in the middle of a stage")
            with stages.stage("matrix"):
                log.info("another one")
        finally:
            stages.close()
        # the handlers are given back when the bar closes
        assert any(type(h) is logging.StreamHandler for h in logging.getLogger().handlers)
    err = capsys.readouterr().err
    lines = err.split("\n")
    for message in ("a log line in the middle of a stage", "another one"):
        (line,) = [x for x in lines if message in x]
        # what the terminal shows of the line (after its last carriage return) is the message
        # alone: the bar was cleared before it and redrawn after it, not written into it
        assert line.split("\r")[-1].strip() == message


def test_quiet_stages_draw_nothing(capsys):
    stages = _Stages(total=1, quiet=True, time_limit_s=5.0)
    with stages.stage("optimize"):
        stages.solver(Progress("bound", 1, 0, 1.0, 2.0, 1.0))
    stages.close()
    assert capsys.readouterr().err == ""


def test_report_steps_show_after_the_stage_name(capsys):
    stages = _Stages(total=1, quiet=False)
    with stages.stage("report"):
        stages.callback("report: curve", 0, None)
        assert stages.bar.postfix == "report: curve"
    stages.close()
    assert stages.bar.n == 1  # a step does not move the bar; the stage does
    assert "report: curve" in capsys.readouterr().err


def test_solve_passes_optimizer_records_and_keeps_three_argument_callbacks():
    layers = tiny_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
    )
    camera = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
    problem = cov.Problem(
        scene, camera, budget=2, poles=tiny_poles(), candidates="poles", method="local"
    )
    calls: list[tuple[str, float, float | None]] = []
    records: list[Progress] = []

    def old_style(stage, done, total):  # a callback written for the three-argument protocol
        calls.append((stage, done, total))

    plan = cov.solve(problem, progress=old_style, solver_progress=records.append)
    stages = [c[0] for c in calls]
    assert stages == [s for s in ["demand", "candidates", "matrix", "optimize"] for _ in (0, 1)]
    assert all(isinstance(r, Progress) for r in records) and records
    assert all(r.objective <= r.upper_bound + 1e-9 for r in records)
    assert plan.objective == pytest.approx(40.0)  # the best 2 sets (tests/evaluation/test_curve)
