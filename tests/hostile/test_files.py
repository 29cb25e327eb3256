"""Faults around the files a plan writes: kill -9, full and read-only disks, concurrent runs,
symbolic links, stale temporaries, the umask and layer names. Each checks that nothing of the
user's changed."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
from hostile._cli_project import (
    assert_clear_error,
    assert_kept,
    leftovers,
    run,
    tree,
)

import coverage.io

REPO = Path(__file__).resolve().parents[2]

#: Runs ``coverage plan CONFIG`` with solve slowed down: it touches SIGNAL once the plan is
#: computed (the output folder is locked and its temporary folder made), then sleeps.
SLOW_PLAN = """
import sys, time
from pathlib import Path
import coverage.plan
real = coverage.plan.solve
def slow(*args, **kwargs):
    result = real(*args, **kwargs)
    Path(sys.argv[2]).touch()
    time.sleep(float(sys.argv[3]))
    return result
coverage.plan.solve = slow
from coverage.cli import main
sys.exit(main(["plan", sys.argv[1], "-q", *sys.argv[4:]]))
"""


def _slow_plan(cfg: Path, signal: Path, sleep_s: float, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_PLAN, str(cfg), str(signal), str(sleep_s), *extra],
        env=env,
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout_s: float = 120) -> None:
    end = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.communicate()}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("the run never got to the end of solve")
        time.sleep(0.05)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def _plan_ok(capsys: pytest.CaptureFixture[str], cfg: Path, *extra: str) -> None:
    code, _, err = run(capsys, "plan", str(cfg), "-q", *extra)
    assert code == 0, err


# ---------------------------------------------------------------------- kill -9
@pytest.mark.parametrize("earlier_plan", [False, True], ids=["new-folder", "replacing"])
def test_kill_9_loses_nothing_and_the_next_run_cleans_up(
    earlier_plan: bool, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    if earlier_plan:
        _plan_ok(capsys, cfg)
    before = tree(cfg.parent)
    signal = cfg.parent.parent / "solved"
    proc = _slow_plan(cfg, signal, 60, *(["--force"] if earlier_plan else []))
    _wait_for(signal, proc)
    proc.kill()
    proc.communicate()
    assert proc.returncode == -9
    left = leftovers(cfg.parent)
    assert any(n.startswith(f".out.tmp-{proc.pid}-") for n in left), left
    assert_kept(before, tree(cfg.parent))  # inputs and the earlier plan are intact
    assert (cfg.parent / "out").exists() == earlier_plan
    # the next run removes what the killed one left, and succeeds
    _plan_ok(capsys, cfg, *(["--force"] if earlier_plan else []))
    assert leftovers(cfg.parent) == []
    after = tree(cfg.parent)
    assert_kept({k: v for k, v in before.items() if not k.startswith("out")}, after)
    assert (cfg.parent / "out" / "plan.csv").is_file()


def test_a_half_swapped_folder_is_restored(cfg: Path, capsys: pytest.CaptureFixture[str]):
    """Killed between setting the old folder aside and moving the new one in."""
    _plan_ok(capsys, cfg)
    out = cfg.parent / "out"
    kept = tree(out)
    aside = cfg.parent / f".out.old-{_dead_pid()}-abcd1234"
    out.rename(aside)
    code, _, err = run(capsys, "plan", str(cfg), "-q")  # no --force: the old one comes back
    assert code == 2
    assert_clear_error(err, "plan", "already exists")
    assert tree(out) == kept
    assert leftovers(cfg.parent) == []


def test_a_live_runs_temporary_folder_is_left_alone(cfg: Path, capsys: pytest.CaptureFixture[str]):
    live = cfg.parent / ".out.tmp-1-00000000"  # pid 1 is always alive
    live.mkdir()
    (live / "x").write_text("busy", encoding="utf-8")
    dead = cfg.parent / f".out.tmp-{_dead_pid()}-00000000"
    dead.mkdir()
    other = cfg.parent / ".other.tmp-1-0"  # another output's: not ours to touch
    other.mkdir()
    before = tree(cfg.parent)
    _plan_ok(capsys, cfg)
    assert_kept({k: v for k, v in before.items() if not k.startswith(dead.name)}, tree(cfg.parent))
    assert live.is_dir() and (live / "x").read_text(encoding="utf-8") == "busy"
    assert not dead.exists()
    assert other.is_dir()


# --------------------------------------------------------------- concurrent runs
def test_two_runs_into_one_folder_one_wins(cfg: Path, capsys: pytest.CaptureFixture[str]):
    before = tree(cfg.parent)
    signal = cfg.parent.parent / "solved"
    first = _slow_plan(cfg, signal, 2.0)
    _wait_for(signal, first)
    t0 = time.perf_counter()
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--force")
    assert time.perf_counter() - t0 < 2.0
    assert code == 2
    assert_clear_error(err, "plan", f"another 'coverage plan' (process {first.pid})", "wait for it")
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert json.loads((cfg.parent / "out" / "meta.json").read_text(encoding="utf-8"))["format"]
    assert leftovers(cfg.parent) == []
    assert_kept(before, tree(cfg.parent))


def test_two_processes_started_together(cfg: Path):
    procs = [_slow_plan(cfg, cfg.parent.parent / f"s{i}", 2.0) for i in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    # the loser either met the lock, or (started late) the finished folder: never a traceback
    assert "another 'coverage plan'" in loser or "already exists" in loser, loser
    assert "Traceback" not in loser
    assert leftovers(cfg.parent) == []


def test_a_held_lock_stops_the_run_before_any_work(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import coverage.plan

    lock = cfg.parent / ".out.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"4242")
        monkeypatch.setattr(coverage.plan, "solve", lambda *a, **k: pytest.fail("computed"))
        before = tree(cfg.parent)
        code, _, err = run(capsys, "plan", str(cfg), "-q")
        assert code == 2
        assert_clear_error(err, "plan", "(process 4242) is writing")
        assert tree(cfg.parent) == before
    finally:
        os.close(fd)


# ---------------------------------------------------------- full and read-only disks
@pytest.mark.parametrize("command", ["plan", "map", "init"])
def test_a_full_disk_is_found_before_any_work(
    command: str, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import shutil

    _plan_ok(capsys, cfg)
    before = tree(cfg.parent)
    real = shutil.disk_usage

    def full(path: object) -> object:
        usage = real(path)  # type: ignore[arg-type]
        return type(usage)(usage.total, usage.total, 1024)

    monkeypatch.setattr(coverage.io.shutil, "disk_usage", full)
    argv = {
        "plan": ["plan", str(cfg), "--out", str(cfg.parent / "new")],
        "map": [
            "map",
            str(cfg.parent / "out" / "plan.geojson"),
            str(cfg),
            "-o",
            str(cfg.parent / "m.html"),
        ],
        "init": ["init", str(cfg.parent / "new.toml")],
    }[command]
    t0 = time.perf_counter()
    code, _, err = run(capsys, *argv, *(["-q"] if command != "init" else []))
    assert time.perf_counter() - t0 < 2.0
    assert code == 2
    assert_clear_error(err, command, "0.0 MiB free", "Free some space")
    assert tree(cfg.parent) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", ["plan", "evaluate"])
def test_a_read_only_folder_real(command: str, cfg: Path, capsys: pytest.CaptureFixture[str]):
    _plan_ok(capsys, cfg)
    ro = cfg.parent / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    before = tree(cfg.parent)
    try:
        argv = {
            "plan": ["plan", str(cfg), "--out", str(ro / "plan")],
            "evaluate": [
                "evaluate",
                str(cfg.parent / "out" / "plan.geojson"),
                str(cfg),
                "-o",
                str(ro / "d.csv"),
            ],
        }[command]
        code, _, err = run(capsys, *argv, "-q")
    finally:
        ro.chmod(0o755)
    assert code == 2
    assert_clear_error(err, command, "cannot write in", "read-only")
    assert tree(cfg.parent) == before


@pytest.mark.parametrize("command", ["plan", "evaluate", "map", "init"])
def test_a_read_only_location(
    command: str, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """As the real test, for root too: the folder is reported not writable by the system."""
    _plan_ok(capsys, cfg)
    ro = cfg.parent / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(
        coverage.io.os, "access", lambda p, mode: False if Path(p) == ro else real(p, mode)
    )
    before = tree(cfg.parent)
    plan = str(cfg.parent / "out" / "plan.geojson")
    argv = {
        "plan": ["plan", str(cfg), "-q", "--out", str(ro / "a" / "plan")],
        "evaluate": ["evaluate", plan, str(cfg), "-q", "-o", str(ro / "d.csv")],
        "map": ["map", plan, str(cfg), "-q", "-o", str(ro / "m.html")],
        "init": ["init", str(ro / "c.toml")],
    }[command]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_clear_error(err, command, f"cannot write in '{ro}'", "choose an output location")
    assert tree(cfg.parent) == before


# -------------------------------------------------------------------- symbolic links
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("points_to", ["plan-folder", "user-folder", "nothing"])
def test_a_symlinked_output_folder_is_never_followed(
    points_to: str, force: bool, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    elsewhere = cfg.parent.parent / "elsewhere"
    if points_to == "plan-folder":
        _plan_ok(capsys, cfg, "--out", str(elsewhere))
    elif points_to == "user-folder":
        elsewhere.mkdir()
        (elsewhere / "photos.zip").write_bytes(b"irreplaceable")
    (cfg.parent / "out").symlink_to(elsewhere)
    before = tree(cfg.parent.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q", *(["--force"] * force))
    assert code == 2
    assert_clear_error(err, "plan", "is a symbolic link", "never replaces a link")
    assert tree(cfg.parent.parent) == before


def test_a_symlinked_parent_is_fine(cfg: Path, capsys: pytest.CaptureFixture[str]):
    real = cfg.parent.parent / "real"
    real.mkdir()
    (cfg.parent / "link").symlink_to(real)
    before = tree(cfg.parent)
    _plan_ok(capsys, cfg, "--out", str(cfg.parent / "link" / "plan"))
    assert_kept(before, tree(cfg.parent))
    assert (real / "plan" / "plan.csv").is_file()
    assert (cfg.parent / "link").is_symlink()


def test_map_force_onto_a_symlink_replaces_the_link_not_its_target(
    cfg: Path, capsys: pytest.CaptureFixture[str]
):
    _plan_ok(capsys, cfg)
    target = cfg.parent.parent / "precious.html"
    target.write_text("mine", encoding="utf-8")
    link = cfg.parent / "m.html"
    link.symlink_to(target)
    plan = str(cfg.parent / "out" / "plan.geojson")
    code, _, err = run(capsys, "map", plan, str(cfg), "-q", "-o", str(link))
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "map", plan, str(cfg), "-q", "-o", str(link), "--force")
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == "mine"
    assert not link.is_symlink() and link.stat().st_size > 1000


# -------------------------------------------------------- permissions and layer names
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_follow_the_umask(umask: int, cfg: Path, capsys: pytest.CaptureFixture[str]):
    before = tree(cfg.parent)
    old = os.umask(umask)
    try:
        _plan_ok(capsys, cfg, "--out", str(cfg.parent / "a" / "plan"))
    finally:
        os.umask(old)
    assert_kept(before, tree(cfg.parent))
    out = cfg.parent / "a" / "plan"
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((cfg.parent / "a").stat().st_mode) == 0o777 & ~umask
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f.name


def test_no_temporary_name_in_layer_names(cfg: Path, capsys: pytest.CaptureFixture[str]):
    before = tree(cfg.parent)
    _plan_ok(capsys, cfg)
    assert_kept(before, tree(cfg.parent))
    out = cfg.parent / "out"
    # the layered plan.gpkg (the "cameras" layer took the place of the older single "plan")
    assert [str(r[0]) for r in pyogrio.list_layers(out / "plan.gpkg")] == [
        "cameras",
        "views",
        "demand",
        "streets",
        "districts",
    ]
    assert json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["name"] == "plan"


def test_write_frame_names_layers_after_the_final_file(tmp_path: Path):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(835000, 818000)], crs=2326)
    coverage.io.write_frame(frame, tmp_path / "cams.gpkg")
    coverage.io.write_frame(frame, tmp_path / "cams.geojson")
    assert [str(r[0]) for r in pyogrio.list_layers(tmp_path / "cams.gpkg")] == ["cams"]
    assert json.loads((tmp_path / "cams.geojson").read_text(encoding="utf-8"))["name"] == "cams"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cams.geojson", "cams.gpkg"]


# ------------------------------------------------------------ the checks themselves
def test_check_plan_folder_directly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    layer = data / "d.gpkg"
    layer.write_bytes(b"x")
    check = coverage.io.check_plan_folder
    check(tmp_path / "new", force=False, inputs=[layer])  # fine: does not exist
    for target, needle in [
        (data, "holds the input"),
        (layer, "is one of the inputs"),
        (tmp_path, "current folder"),
        (Path("/"), "root or home"),
    ]:
        with pytest.raises(coverage.errors.ParameterError, match=needle):
            check(target, force=True, inputs=[layer])
    assert layer.read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
