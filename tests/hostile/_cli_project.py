"""Helpers of the hostile command-line and file tests: a tiny project, tree snapshots, runs."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from conftest import tiny_layers, tiny_poles

from coverage.cli import main

#: A configuration of the tiny scene that plans in well under a second (no map, no report).
CONFIG = """\
[scene]
districts = "districts.gpkg"
corridors = "corridors.gpkg"
buildings = "buildings.gpkg"
cameras = "cameras.gpkg"

[camera]
cameras = 2
hfov_deg = 90
range_m = 40
rotations = 2

[plan]
budget = 1
method = "greedy"
poles = "poles.geojson"
candidates = "poles"

[output]
folder = "out"
map = false
report = false
"""


def write_layers(folder: Path) -> Path:
    """Write the tiny scene's layers and poles into `folder` (once per session)."""
    for name, frame in tiny_layers().items():
        frame.to_file(folder / f"{name}.gpkg", engine="pyogrio")
    tiny_poles().to_file(folder / "poles.geojson", engine="pyogrio")
    return folder


def new_project(layers: Path, root: Path, config: str = CONFIG) -> Path:
    """Copy the layers into `root`/project, write `config` there; return the config's path."""
    project = root / "project"
    shutil.copytree(layers, project)
    cfg = project / "plan.toml"
    cfg.write_text(config, encoding="utf-8")
    return cfg


def tree(root: Path) -> dict[str, str]:
    """Every entry under `root`: file -> sha256 of its bytes, folder -> 'dir', link -> target."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            key = str(p.relative_to(root))
            if p.is_symlink():
                out[key] = "link->" + os.readlink(p)
            elif p.is_dir():
                out[key] = "dir"
            else:
                out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_kept(before: dict[str, str], after: dict[str, str]) -> None:
    """Every entry of `before` is still there, byte for byte (new entries are allowed)."""
    lost = {k: v for k, v in before.items() if after.get(k) != v}
    assert not lost, f"changed or lost: {sorted(lost)}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process; return its exit status, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clear_error(err: str, command: str, *needles: str) -> None:
    """One clear message: 'coverage CMD: error: ...' with every needle, and no traceback."""
    assert f"coverage {command}: error: " in err, err
    assert "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary entries (``.NAME.tmp-*``, ``.NAME.old-*``, ``.NAME.lock``) in `folder`."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".") and any(t in p.name for t in (".tmp-", ".old-", ".lock"))
    )
