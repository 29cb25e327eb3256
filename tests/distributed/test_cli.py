"""The command on a dask cluster: ``[compute]`` in the configuration and ``--scheduler``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import tiny_layers, tiny_poles

CONFIG = """
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
budget = 2
method = "exact"
poles = "poles.geojson"
candidates = "poles"

[output]
folder = "out"
map = false
report = false
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for name, frame in tiny_layers().items():
        frame.to_file(tmp_path / f"{name}.gpkg")
    tiny_poles().to_file(tmp_path / "poles.geojson")
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return cfg


def test_compute_section_and_scheduler_option_plan_on_a_local_cluster(config: Path):
    config.write_text(
        CONFIG + '\n[compute]\nscheduler = "local"\nworkers = 1\ntiles = 2\n', encoding="utf-8"
    )
    res = run("plan", str(config), "--quiet", "-o", str(config.parent / "cluster"))
    assert res.returncode == 0, res.stderr
    there = gpd.read_file(config.parent / "cluster" / "plan.geojson")
    meta = json.loads((config.parent / "cluster" / "meta.json").read_text())
    assert meta["solver_method"] == "distributed"
    assert meta["nnz"] > 0 and meta["upper_bound"] >= meta["objective"]
    assert list(there["status"]).count("new") == 2
    # --scheduler overrides the file; a bad address is refused before any work
    res = run(
        "plan", str(config), "--quiet", "--scheduler", "http://x", "-o", str(config.parent / "x")
    )
    assert res.returncode == 2
    assert "scheduler" in res.stderr and "tcp://host:8786" in res.stderr
    assert not (config.parent / "x").exists()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[compute]\nscheduler = "http://x"\n', "[compute] scheduler must be"),
        ('[compute]\nscheduler = "local"\nworkers = 0\n', "[compute] workers must be"),
        ("[compute]\nworkers = 2\n", "[compute] needs scheduler"),
        ('[compute]\nschedular = "local"\n', "unknown key 'schedular'"),
    ],
)
def test_bad_compute_sections(tmp_path: Path, section: str, message: str):
    from coverage.config import load_config
    from coverage.errors import ConfigError

    cfg = tmp_path / "c.toml"
    cfg.write_text('[scene]\ndataset = "sample_city"\n' + section, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(cfg)
