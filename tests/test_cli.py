"""The command line, through its real entry points (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import X0, Y0, tiny_layers, tiny_poles

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    for name, frame in tiny_layers().items():
        frame.to_file(tmp_path / f"{name}.gpkg")
    tiny_poles().to_file(tmp_path / "poles.geojson")
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        """
[scene]
districts = "districts.gpkg"
corridors = "corridors.gpkg"
buildings = "buildings.gpkg"
cameras = "cameras.gpkg"
name = "Tiny <b>town</b>"

[camera]
cameras = 2
hfov_deg = 90
range_m = 40
rotations = 2

[plan]
budget = [1, 1]
method = "exact"
poles = "poles.geojson"
candidates = "poles"

[output]
folder = "out/tiny"
""",
        encoding="utf-8",
    )
    return cfg


def test_help_reads_like_a_planner_guide():
    res = run("--help")
    assert res.returncode == 0
    for word in ("coverage init", "coverage plan", "proven upper bound"):
        assert word in res.stdout
    res = run("plan", "--help")
    assert res.returncode == 0 and "--force" in res.stdout


def test_plan_writes_everything_and_reruns_identically(tiny_config: Path):
    res = run("plan", str(tiny_config), "--quiet")
    assert res.returncode == 0, res.stderr
    out = tiny_config.parent / "out" / "tiny"
    names = {p.name for p in out.iterdir()}
    assert {
        "plan.geojson",
        "plan.gpkg",
        "plan.csv",
        "districts.csv",
        "phases.csv",
        "meta.json",
        "map.html",
        "report.html",
        "config.toml",
    } <= names
    plan = gpd.read_file(out / "plan.geojson")
    assert list(plan["status"]) == ["existing", "new", "new"]
    assert list(plan["phase"]) == [0, 1, 2]
    # plan.gpkg: the five GIS layers; its cameras layer is the plan
    import pyogrio

    layers = dict(pyogrio.list_layers(out / "plan.gpkg").tolist())
    assert layers == {
        "cameras": "Point",
        "views": "MultiPolygon",
        "demand": "Point",
        "streets": "LineString",
        "districts": "MultiPolygon",
    }
    cams = gpd.read_file(out / "plan.gpkg", layer="cameras")
    assert list(cams["status"]) == list(plan["status"])
    assert list(cams["headings_deg"]) == list(plan["headings_deg"])  # one text format
    meta = json.loads((out / "meta.json").read_text())
    # worked on paper in test_plan: phase 1 = 32, phase 2 = 40
    assert [p["objective"] for p in meta["phases"]] == pytest.approx([32.0, 40.0])
    assert meta["objective"] == pytest.approx(40.0)
    assert meta["upper_bound"] >= 40.0 - 1e-9
    assert "load scene" in meta["timings_s"] and "matrix" in meta["timings_s"]
    before = (out / "plan.csv").read_text()

    # an existing folder is never overwritten without --force, and is left as it was
    res = run("plan", str(tiny_config), "--quiet")
    assert res.returncode == 2
    assert "already exists" in res.stderr and "--force" in res.stderr
    assert (out / "plan.csv").read_text() == before

    res = run("plan", str(tiny_config), "--quiet", "--force")
    assert res.returncode == 0, res.stderr
    assert (out / "plan.csv").read_text() == before  # same config and seed, same plan
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp folders


def test_bad_config_fails_clearly_and_writes_nothing(tiny_config: Path):
    text = tiny_config.read_text()
    bad = tiny_config.with_name("bad.toml")
    bad.write_text(
        text.replace("hfov_deg = 90", 'hfov_deg = "wide"').replace(
            "[output]", '[output]\nformat = "shp"'
        ),
        encoding="utf-8",
    )
    res = run("plan", str(bad))
    assert res.returncode == 2
    assert "[camera] hfov_deg must be a number; got 'wide'" in res.stderr
    assert "[output] unknown key 'format'" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tiny_config.parent / "out").exists()

    # a value the camera model refuses names the section too, and leaves nothing behind
    bad.write_text(text.replace("hfov_deg = 90", "hfov_deg = -5"), encoding="utf-8")
    res = run("plan", str(bad))
    assert res.returncode == 2
    assert "[camera]" in res.stderr and "hfov_deg" in res.stderr
    assert not (tiny_config.parent / "out").exists()

    res = run("plan", str(tiny_config.with_name("missing.toml")))
    assert res.returncode == 2 and "coverage init" in res.stderr


def test_evaluate_and_map_a_saved_plan(tiny_config: Path):
    assert run("plan", str(tiny_config), "--quiet").returncode == 0
    plan = tiny_config.parent / "out" / "tiny" / "plan.geojson"
    res = run("evaluate", str(plan), str(tiny_config), "--quiet")
    assert res.returncode == 0, res.stderr
    assert "2 sets cover 40.0" in res.stdout
    # nothing optimized unless asked: the bound is said not to be computed
    assert "not computed" in res.stdout and "--bound" in res.stdout
    assert "can exceed" not in res.stdout
    # an --out the table cannot be written to fails at once, naming the formats, and writes nothing
    res = run(
        "evaluate", str(plan), str(tiny_config), "--quiet", "-o", str(tiny_config.parent / "t")
    )
    assert res.returncode == 2, res.stderr
    assert ".csv, .geojson, .gpkg, .parquet or .geoparquet" in res.stderr, res.stderr
    assert "sets cover" not in res.stdout and not (tiny_config.parent / "t").exists()
    res = run("evaluate", str(plan), str(tiny_config), "--quiet", "--bound")
    assert res.returncode == 0, res.stderr
    # the best plan of 2 sets covers 40 (worked on paper in tests/evaluation/test_curve.py)
    assert "2 sets cover 40.0" in res.stdout and "can exceed" in res.stdout
    bound = float(res.stdout.split("can exceed ")[1].split(" ")[0].replace(",", ""))
    assert bound >= 40.0 - 1e-9
    html = tiny_config.parent / "m.html"
    res = run("map", str(plan), str(tiny_config), "--quiet", "-o", str(html))
    assert res.returncode == 0, res.stderr
    assert html.stat().st_size > 10_000


def test_init_writes_a_template_that_plans(tmp_path: Path):
    cfg = tmp_path / "my.toml"
    res = run("init", str(cfg))
    assert res.returncode == 0, res.stderr
    from coverage.config import load_config

    loaded = load_config(cfg)  # the template itself is a valid configuration
    assert loaded.scene["dataset"] == "sample_city"
    text = cfg.read_text(encoding="utf-8")
    res = run("init", str(cfg))
    assert res.returncode == 2 and "--force" in res.stderr  # never overwrites without --force
    assert cfg.read_text(encoding="utf-8") == text


def test_entry_point_on_the_sample_city(tmp_path: Path):
    cfg = tmp_path / "sample.toml"
    cfg.write_text(
        '[scene]\ndataset = "sample_city"\n[plan]\nbudget = 20\nmethod = "greedy"\n'
        '[output]\nfolder = "out"\nreport = false\n',
        encoding="utf-8",
    )
    exe = BIN / "coverage"
    if not exe.exists():
        pytest.skip("the 'coverage' script is not installed (pip install -e .)")
    res = subprocess.run(
        [str(exe), "plan", str(cfg), "--quiet"], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    plan = gpd.read_file(tmp_path / "out" / "plan.geojson")
    assert (plan["status"] == "new").sum() == 20


def test_plan_progress_shows_stages_and_report_steps_and_no_gdal_chatter(tiny_config: Path):
    res = run("plan", str(tiny_config))  # not quiet: the bar and the log lines on stderr
    assert res.returncode == 0, res.stderr
    err = res.stderr
    assert "Created" not in err  # pyogrio's "Created N records" after each layer written
    assert "report: curve" in err and "optimize phase 2" in err
    # every log line starts a line of its own (written above the bar, not after it)
    for line in err.splitlines():
        if " optimize phase 1: " in line and line.rstrip().endswith(" s"):
            assert line.split("\r")[-1].lstrip()[:2].isdigit(), line


@pytest.mark.slow
def test_plan_on_the_sample_city_writes_the_layered_gpkg(tmp_path: Path):
    import pyogrio

    cfg = tmp_path / "sample.toml"
    cfg.write_text(
        '[scene]\ndataset = "sample_city"\n[plan]\nbudget = 20\nmethod = "greedy"\n'
        '[output]\nfolder = "out"\nmap = false\nreport = false\n',
        encoding="utf-8",
    )
    res = run("plan", str(cfg), "--quiet")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    gpkg = out / "plan.gpkg"
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    assert names == ["cameras", "views", "demand", "streets", "districts"]
    cams = gpd.read_file(gpkg, layer="cameras")
    assert (cams["status"] == "new").sum() == 20
    assert len(gpd.read_file(gpkg, layer="views")) == cams["n_cameras"].sum()
    districts = gpd.read_file(gpkg, layer="districts")
    table = pd.read_csv(out / "districts.csv")
    assert sorted(districts["district"]) == sorted(table["district"])
    meta = json.loads((out / "meta.json").read_text())
    assert pyogrio.read_info(gpkg, layer="streets")["crs"] == meta["crs"]
    # the CSV names its CRS and gives lon/lat
    csv = pd.read_csv(out / "plan.csv")
    assert {"lon", "lat", "x", "y", "crs"} <= set(csv.columns) and set(csv["crs"]) == {meta["crs"]}


def _programme_config(tmp_path: Path, roadmap: str) -> Path:
    """The partners' scene (tests/partners.py): six poles, existing sets of three owners."""
    from partners import EXISTING, POLES, partner_problem

    scene = partner_problem(EXISTING).scene
    for name in ("districts", "corridors", "buildings", "cameras"):
        getattr(scene, name).to_file(tmp_path / f"{name}.gpkg")
    from conftest import X0, Y0
    from shapely.geometry import Point

    gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in POLES], crs="EPSG:2326").to_file(
        tmp_path / "poles.geojson"
    )
    cfg = tmp_path / "programme.toml"
    cfg.write_text(
        f"""
[scene]
districts = "districts.gpkg"
corridors = "corridors.gpkg"
buildings = "buildings.gpkg"
cameras = "cameras.gpkg"

[camera]
cameras = 1
hfov_deg = 90
range_m = 40
rotations = 4

[plan]
method = "exact"
spacing_m = 5
poles = "poles.geojson"
candidates = "poles"

{roadmap}

[partners]
top = 2

[output]
folder = "out"
map = false
""",
        encoding="utf-8",
    )
    return cfg


def test_plan_with_roadmap_and_partners_writes_and_prints_the_tables(tmp_path: Path):
    cfg = _programme_config(
        tmp_path,
        "[roadmap]\nyears = [1, 2]\nlabels = [2025, 2026]\ntarget_share = 0.6\ntotal_sets = 7",
    )
    res = run("plan", str(cfg))
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    road = pd.read_csv(out / "roadmap.csv")
    assert road["year"].tolist() == [2025, 2026]
    assert road["sets_total"].tolist() == [5, 7]
    partners = pd.read_csv(out / "partners.csv")
    assert partners["owner"].tolist() == ["MTR", "dept", "police"]
    assert (partners["coverage_with"] >= partners["coverage_without"]).all()
    assert {"new_sets_saved_low", "new_sets_saved_high"} <= set(partners.columns)
    assert "Partners' cameras" in res.stdout and "MTR" in res.stdout
    reach = ("first reaches 60.0%", "reaches 60.0% in", "not reach 60.0%", "Unknown whether")
    assert any(r in res.stdout for r in reach)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Roadmap</h2>" in html and "<h2>Partners&#x27; cameras</h2>" not in html
    assert "<h2>Partners' cameras</h2>" in html
    meta = json.loads((out / "meta.json").read_text())
    assert meta["outputs"]["roadmap.csv"] == "written"
    assert meta["outputs"]["partners.csv"] == "written"
    assert [p["budget"] for p in meta["phases"]] == [1, 2]


def test_roadmap_total_that_does_not_add_up_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from coverage.cli import main

    cfg = _programme_config(tmp_path, "[roadmap]\nyears = [1, 2]\ntotal_sets = 9")
    assert main(["plan", str(cfg), "--quiet"]) == 2  # in process: the same exit path
    err = capsys.readouterr().err
    assert "[roadmap] total_sets" in err and "make the last year 4" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_plan_with_a_face_camera_and_privacy_zones_writes_both_tables(tiny_config: Path):
    """face_coverage.csv and privacy_audit.csv: the same tables the API gives for the plan."""
    from shapely.geometry import box

    import coverage as cov
    from coverage.config import load_config
    from coverage.evaluation import face_coverage, privacy_table

    tmp_path = tiny_config.parent  # the tiny scene's layers and poles are written there
    zone = box(X0 + 70, Y0 + 80, X0 + 95, Y0 + 95)  # 375 m², south-west of the crossing
    gpd.GeoDataFrame(
        {"name": ["Block 1"], "category": ["residential"]},
        geometry=[zone],
        crs="EPSG:2326",
    ).to_file(tmp_path / "privacy.geojson")
    cfg = tmp_path / "face.toml"
    cfg.write_text(
        """
[scene]
districts = "districts.gpkg"
corridors = "corridors.gpkg"
buildings = "buildings.gpkg"
cameras = "cameras.gpkg"
privacy_zones = "privacy.geojson"

[camera]
cameras = 2
hfov_deg = 30
range_m = 40
rotations = 8
resolution_px = 3840
mount_height_m = 5

[plan]
budget = 2
method = "exact"
poles = "poles.geojson"
candidates = "poles"

[objective]
default = "face"

[[privacy.rules]]
category = "residential"
max_tier = "observe"

[output]
folder = "out"
map = false
""",
        encoding="utf-8",
    )
    res = run("plan", str(cfg))
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    meta = json.loads((out / "meta.json").read_text())
    assert meta["outputs"]["face_coverage.csv"] == "written"
    assert meta["outputs"]["privacy_audit.csv"] == "written"

    conf = load_config(cfg)
    scene = conf.build_scene()
    plan = cov.solve(conf.build_problem(scene))
    want_face = face_coverage(scene, plan)
    got_face = pd.read_csv(out / "face_coverage.csv")
    assert got_face["district"].tolist() == want_face["district"].tolist()
    pd.testing.assert_series_equal(got_face["face_share"], want_face["face_share"])
    all_districts = got_face.iloc[-1]  # a face objective: the new sets capture faces
    assert all_districts["face_share"] > all_districts["face_share_before"]
    assert all_districts["face_share"] == pytest.approx(
        all_districts["footfall_face"] / all_districts["footfall"]
    )
    total = want_face.iloc[-1]
    assert f"{total['face_share_before']:.1%} -> {total['face_share']:.1%}" in res.stdout

    want_audit = privacy_table(scene, plan)
    got_audit = pd.read_csv(out / "privacy_audit.csv", keep_default_na=False)
    assert len(want_audit) > 0, "the zone is within 40 m of pole A: some set must see it"
    assert got_audit["set"].tolist() == want_audit["set"].tolist()
    assert got_audit["seen_m2"].to_numpy() == pytest.approx(want_audit["seen_m2"].to_numpy())
    assert got_audit["masked_m2"].to_numpy() == pytest.approx(want_audit["masked_m2"].to_numpy())
    # per set, the zone's area at most once over its tiers
    per_set = got_audit.groupby("set")[["seen_m2", "masked_m2"]].sum().sum(axis=1)
    assert (per_set <= zone.area + 1e-6).all()
    assert "Privacy audit:" in res.stdout


def test_plan_without_resolution_writes_no_face_or_privacy_table(tiny_config: Path):
    res = run("plan", str(tiny_config))
    assert res.returncode == 0, res.stderr
    out = tiny_config.parent / "out" / "tiny"
    assert not (out / "face_coverage.csv").exists()
    assert not (out / "privacy_audit.csv").exists()
    assert "Faces captured" not in res.stdout
