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
    assert text[0] == "headings_deg,n,x,y,crs"
    assert text[1].startswith("0;180,1,833000") and text[1].endswith(",EPSG:2326")
    write_frame(frame, tmp_path / "f.geojson")
    back = gpd.read_file(tmp_path / "f.geojson")
    assert back.crs.to_epsg() == 4326 and list(back["headings_deg"]) == ["0;180", "90"]
    with pytest.raises(ValueError, match=r"use \.geojson, \.gpkg, \.csv or \.parquet"):
        write_frame(frame, tmp_path / "f.shp")
    assert _leftovers(tmp_path) == []
