"""A real Scene and Plan for the map tests, with every layer a map draws.

The scene is 200 m x 200 m in EPSG:2326 (Tsim Sha Tsui-ish): two districts
split at x0 + 100, an east-west and a north-south street crossing at the
centre plus a short lane, one building, two existing sets (police, MTR),
five incidents and a privacy zone. The plan is solved by the pipeline in two
phases of one set each, from two candidate poles: the crossing and the lane.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import coverage as cov

X0, Y0 = 836_000.0, 818_000.0
CRS = "EPSG:2326"
#: DORI camera: quality 1 / 0.75 / 0.5 / 0.25 by pixel density.
CAMERA = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, resolution_px=3840)
DORI = {"identify": 1.0, "recognise": 0.75, "observe": 0.5, "detect": 0.25}


def _gdf(data, geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=CRS)


def map_layers(
    district_names: tuple[str, str] = ("West", "East"),
    *,
    owners: tuple[str, str] = ("police", "MTR"),
    corridor_names: tuple[str, str, str] = ("Nathan Road", "Peking Road", ""),
    privacy_name: str = "School",
) -> dict[str, gpd.GeoDataFrame]:
    """The scene's layers; every user string can be replaced (escaping tests)."""
    box = shapely.box
    return {
        "districts": _gdf(
            {"name": list(district_names)},
            [box(X0, Y0, X0 + 100, Y0 + 200), box(X0 + 100, Y0, X0 + 200, Y0 + 200)],
        ),
        "corridors": _gdf(
            {
                "footfall": [2.0, 1.0, 1.0],
                "name": list(corridor_names),
                "kind": ["primary", "secondary", "footway"],
            },
            [
                shapely.LineString([(X0 + 10, Y0 + 100), (X0 + 190, Y0 + 100)]),
                shapely.LineString([(X0 + 100, Y0 + 10), (X0 + 100, Y0 + 190)]),
                shapely.LineString([(X0 + 20, Y0 + 20), (X0 + 60, Y0 + 20)]),
            ],
        ),
        "hotspots": _gdf(
            {
                "weight": [1.0, 2.0, 1.0, 1.0, 3.0],
                "category": ["theft", "", "assault", "", "theft"],
            },
            shapely.points(
                [
                    (X0 + 95, Y0 + 105),
                    (X0 + 150, Y0 + 100),
                    (X0 + 100, Y0 + 40),
                    (X0 + 30, Y0 + 20),
                    (X0 + 105, Y0 + 98),
                ]
            ),
        ),
        "buildings": _gdf({"height_m": [30.0]}, [box(X0 + 120, Y0 + 110, X0 + 160, Y0 + 150)]),
        "cameras": _gdf(
            {"owner": list(owners), "heading_deg": [90.0, np.nan], "cameras": [3, 3]},
            shapely.points([(X0 + 30, Y0 + 100), (X0 + 100, Y0 + 170)]),
        ),
        "privacy_zones": _gdf(
            {"name": [privacy_name]}, [box(X0 + 160, Y0 + 20, X0 + 190, Y0 + 60)]
        ),
    }


def map_scene(
    district_names: tuple[str, str] = ("West", "East"),
    *,
    attribution: tuple[str, ...] = ("© OpenStreetMap contributors", "DATA.GOV.HK"),
    hotspots: gpd.GeoDataFrame | None = None,
    **names,
) -> cov.Scene:
    layers = map_layers(district_names, **names)
    if hotspots is not None:
        layers["hotspots"] = hotspots
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        hotspots=layers["hotspots"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
        privacy_zones=layers["privacy_zones"],
        name="Tiny",
        attribution=attribution,
    )


def map_plan(scene: cov.Scene) -> cov.Plan:
    """Phase 1: one set at the crossing; phase 2: one on the lane."""
    poles = _gdf(
        {"name": ["crossing", "lane"]}, shapely.points([(X0 + 100, Y0 + 100), (X0 + 40, Y0 + 20)])
    )
    problem = cov.Problem(scene, CAMERA, budget=(1, 1), candidates="poles", poles=poles)
    return cov.solve(problem)


@pytest.fixture(scope="session")
def tiny():
    scene = map_scene()
    return scene, map_plan(scene)


@pytest.fixture(scope="session")
def make_map_scene():
    """:func:`map_scene` (a fixture: a conftest is not imported by name)."""
    return map_scene


@pytest.fixture(scope="session")
def make_map_case():
    """``make_map_case(district_names, **names) -> (scene, plan)``, solved afresh."""

    def make(*args, **kwargs):
        scene = map_scene(*args, **kwargs)
        return scene, map_plan(scene)

    return make


@pytest.fixture(scope="session")
def tiny_html(tiny):
    """The offline HTML of the tiny plan's map."""
    from coverage.render import render_map

    scene, plan = tiny
    return render_map(scene, plan).get_root().render()
