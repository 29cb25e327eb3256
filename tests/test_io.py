"""Atomic output files: a failed write leaves the target as it was and no temporary file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from coverage.io import atomic_path, write_frame, write_text


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_write_text_replaces_whole_and_cleans_up(tmp_path: Path):
    target = tmp_path / "sub" / "a.txt"
    write_text(target, "one")
    write_text(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert _leftovers(target.parent) == []


def test_a_failed_write_keeps_the_old_file(tmp_path: Path):
    target = tmp_path / "a.txt"
    target.write_text("before", encoding="utf-8")

    def half_written() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            msg = "boom"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="boom"):
        half_written()
    assert target.read_text(encoding="utf-8") == "before"
    assert _leftovers(tmp_path) == []


def test_write_frame_formats_and_tuples(tmp_path: Path):
    frame = gpd.GeoDataFrame(
        {"headings_deg": [(0.0, 180.0), (90.0,)], "n": [1, 2]},
        geometry=[Point(833000, 816000), Point(833010, 816000)],
        crs=2326,
    )
    write_frame(frame, tmp_path / "f.csv")
    text = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    # lon/lat (EPSG:4326) first, then x/y in the frame's CRS, named
    assert text[0] == "headings_deg,n,lon,lat,x,y,crs"
    assert text[1].startswith("0;180,1,114.") and text[1].endswith(",833000.0,816000.0,EPSG:2326")
    write_frame(frame, tmp_path / "f.geojson")
    back = gpd.read_file(tmp_path / "f.geojson")
    assert back.crs.to_epsg() == 4326 and list(back["headings_deg"]) == ["0;180", "90"]
    with pytest.raises(ValueError, match=r"use \.geojson, \.gpkg, \.csv or \.parquet"):
        write_frame(frame, tmp_path / "f.shp")
    assert _leftovers(tmp_path) == []


def test_plan_folder_swaps_whole_and_cleans_up(tmp_path: Path):
    import json

    from coverage.io import PLAN_FOLDER_FORMAT, plan_folder

    target = tmp_path / "a" / "b" / "plan"
    with plan_folder(target, force=False) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".plan.tmp-")
        assert (target.parent / ".plan.lock").is_file()  # locked while writing
        write_text(tmp / "meta.json", json.dumps({"format": PLAN_FOLDER_FORMAT}))
        assert not target.exists()
    assert (target / "meta.json").is_file()
    assert _leftovers(target.parent) == []

    def half_written() -> None:
        with plan_folder(target, force=True) as tmp:
            write_text(tmp / "half.txt", "x")
            msg = "boom"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="boom"):
        half_written()
    assert sorted(p.name for p in target.iterdir()) == ["meta.json"]  # the old one, as it was
    assert _leftovers(target.parent) == []


def test_plan_folder_removes_the_parents_it_made_on_failure(tmp_path: Path):
    from coverage.io import plan_folder

    with pytest.raises(KeyboardInterrupt), plan_folder(tmp_path / "x" / "y" / "z", force=False):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
