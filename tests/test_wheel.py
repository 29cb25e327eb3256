"""The built wheel carries everything a planner needs: the sample city and the main job.

Builds the wheel, installs it (without dependencies) into a scratch folder, and runs the
README's main job from there with the project's dependencies, so a file that only exists in
the repository (not in the package) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy: setuptools writes build/ and *.egg-info/ into the source tree, and a
    # stale build/lib there would leak deleted modules into the wheel.
    src = tmp_path_factory.mktemp("src") / "project"
    junk = (".venv", ".git", "build", "dist", "out", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*junk, ".hypothesis"))
    wheels = tmp_path_factory.mktemp("wheel")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(wheels), str(src)], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.skip(f"could not build the wheel here (no build backend?): {build.stderr[-500:]}")
    (wheel,) = wheels.glob("coverage_planner-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def _run_from(target: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_wheel_ships_the_sample_city(installed, tmp_path):
    res = _run_from(
        installed,
        [
            "-c",
            "import coverage as cov; s = cov.datasets.sample_city();"
            " print(cov.__file__); print(len(s.districts), len(s.corridors))",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    where, counts = res.stdout.splitlines()
    assert Path(where).is_relative_to(installed)  # the wheel's copy, not the checkout
    assert counts == "8 7218"


def test_wheel_runs_the_readme_main_job(installed, tmp_path):
    script = ROOT / "examples" / "plan_sample_city.py"
    res = _run_from(installed, [str(script), "--out", "out", "--budget", "20"], tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    assert {"plan.geojson", "plan.csv", "districts.csv", "map.html"} <= {
        p.name for p in out.iterdir()
    }
