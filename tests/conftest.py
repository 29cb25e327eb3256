"""Shared fixtures: a tiny scene worked out on paper, the sample city, Hong Kong data."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, settings
from shapely.geometry import LineString, Point, box

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HK_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hong-kong"

#: Origin of the tiny scene in the Hong Kong 1980 Grid (near Tsim Sha Tsui).
X0, Y0 = 835_000.0, 818_000.0


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """The tiny scene's layers (coordinates relative to (X0, Y0), EPSG:2326).

    - corridor H: (0, 100) -> (200, 100), footfall 2; corridor V: (100, 0) -> (100, 200), footfall 1
    - one building, box (105, 105)-(125, 130), in the north-east corner of the crossing
    - one existing police set at (20, 100), two cameras, heading 90 (east/west)
    - districts: West (x < 98) and East (x >= 98)
    """

    def b(x0: float, y0: float, x1: float, y1: float) -> object:
        return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    def ln(*pts: tuple[float, float]) -> LineString:
        return LineString([(X0 + x, Y0 + y) for x, y in pts])

    crs = "EPSG:2326"
    return {
        "districts": gpd.GeoDataFrame(
            {"name": ["West", "East"]}, geometry=[b(0, 0, 98, 200), b(98, 0, 200, 200)], crs=crs
        ),
        "corridors": gpd.GeoDataFrame(
            {"footfall": [2.0, 1.0], "name": ["H street", "V street"]},
            geometry=[ln((0, 100), (200, 100)), ln((100, 0), (100, 200))],
            crs=crs,
        ),
        "buildings": gpd.GeoDataFrame(geometry=[b(105, 105, 125, 130)], crs=crs),
        "cameras": gpd.GeoDataFrame(
            {"owner": ["police"], "heading_deg": [90.0], "cameras": [2]},
            geometry=[Point(X0 + 20, Y0 + 100)],
            crs=crs,
        ),
    }


def tiny_poles() -> gpd.GeoDataFrame:
    """Three candidate poles: A at the crossing, B 30 m east of it, C 60 m north of it."""
    pts = [Point(X0 + 100, Y0 + 100), Point(X0 + 130, Y0 + 100), Point(X0 + 100, Y0 + 160)]
    return gpd.GeoDataFrame({"name": ["A", "B", "C"]}, geometry=pts, crs="EPSG:2326")


@pytest.fixture
def tiny_scene():
    from coverage import Scene

    layers = tiny_layers()
    return Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
        name="tiny",
    )


@pytest.fixture(scope="session")
def sample_scene():
    from coverage.datasets import sample_city

    return sample_city()


@pytest.fixture(scope="session")
def hk_path() -> Path:
    if not HK_DATA.is_dir():
        pytest.skip("Hong Kong data folder not found")
    return HK_DATA
