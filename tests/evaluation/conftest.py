"""The tiny scene's plan with budget 1, and helpers to vary the scene and the problem.

The tiny scene (conftest.tiny_layers, see test_plan for its coverage on paper): with
budget 1 the plan is B E-W at (130, 100) (sees H x = 95..165 and V y = 75..105) beside the
existing set at (20, 100) facing east/west (sees H x = 5..55). Districts: West x < 98, East.

The continuity graph (a "T", metres): A (0, 0) - C (100, 0) - B (200, 0) along y = 0 (corridor
0) and C - D (100, 100) (corridor 1); demand every 10 m at 5, 15, ..., 95 from each edge's
start. Watched by hand: on C-B x = 105..145; on C-D y = 65..95. Each point stands for the 10 m
around it, so:
- watched: C-B 100..150 (50 m), C-D 60..100 (40 m): 90 m of 300 m;
- unwatched: A-C (100 m) joined at C to C-(100, 60) (60 m): one network of 160 m whose longest
  walk is A -> C -> (100, 60) = 160 m; and (150, 0)-B, 50 m on its own.
`route_scene` adds a landmark at A and polygon hotspots at B and at D.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pytest
from conftest import X0, Y0, tiny_layers, tiny_poles
from shapely.geometry import LineString, Point, box

import coverage as cov

#: The camera set of the tiny plans: two cameras back to back, two rotations.
CAMERA = cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2)
CRS = "EPSG:2326"


def P(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def _problem(scene: cov.Scene, budget: Any, camera: cov.CameraSet = CAMERA, **kw: Any) -> Any:
    return cov.Problem(scene, camera, budget=budget, poles=tiny_poles(), candidates="poles", **kw)


def _with(scene_layers: dict, **extra: Any) -> cov.Scene:
    layers = {**scene_layers, **extra}
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers.get("buildings"),
        cameras=layers.get("cameras"),
        hotspots=layers.get("hotspots"),
        privacy_zones=layers.get("privacy_zones"),
        landmarks=layers.get("landmarks"),
        name=layers.get("name", ""),
    )


@pytest.fixture
def camera() -> cov.CameraSet:
    """The camera set of the tiny plans."""
    return CAMERA


@pytest.fixture
def tiny_problem() -> Callable[..., Any]:
    """``tiny_problem(scene, budget, camera=CAMERA, **options)``: a problem on the three poles."""
    return _problem


@pytest.fixture
def scene_with() -> Callable[..., cov.Scene]:
    """``scene_with(layers, **extra)``: a scene of `layers`, `extra` layers added or replaced."""
    return _with


@pytest.fixture(scope="session")
def tiny_plan() -> tuple[cov.Scene, Any]:
    """The tiny scene (buildings and the existing set) and its budget-1 plan."""
    layers = tiny_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
    )
    return scene, cov.solve(_problem(scene, 1))


def _t_scene(**extra: Any) -> cov.Scene:
    districts = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 150)], crs=CRS
    )
    corridors = gpd.GeoDataFrame(
        geometry=[LineString([P(0, 0), P(200, 0)]), LineString([P(100, 0), P(100, 100)])], crs=CRS
    )
    return cov.Scene(districts, corridors, **extra)


def _t_plan() -> types.SimpleNamespace:
    xs = [float(v) for v in range(5, 100, 10)]
    pts, q, corr = [], [], []
    for x in xs:  # A-C: unwatched
        pts.append(P(x, 0))
        q.append(0.0)
        corr.append(0)
    for x in xs:  # C-B: 105..145 watched
        pts.append(P(100 + x, 0))
        q.append(1.0 if x < 50 else 0.0)
        corr.append(0)
    for y in xs:  # C-D: 65..95 watched
        pts.append(P(100, y))
        q.append(0.5 if y > 60 else 0.0)
        corr.append(1)
    demand = gpd.GeoDataFrame(
        {"quality": q, "corridor": corr, "weight": 1.0}, geometry=pts, crs=CRS
    )
    return types.SimpleNamespace(demand=demand, meta={})


def _route_scene(**extra: Any) -> cov.Scene:
    landmarks = gpd.GeoDataFrame(  # the far exit (5 km away) is ignored despite its weight
        {"kind": ["mtr_exit", "mtr_exit"], "name": ["Exit A", "Far exit"], "weight": [1.0, 9.0]},
        geometry=[P(1, 1), P(5000, 5000)],
        crs=CRS,
    )
    hot = gpd.GeoDataFrame(
        {"intensity": [2.0, 1.0]},
        geometry=[
            box(X0 + 195, Y0 - 5, X0 + 205, Y0 + 5),
            box(X0 + 95, Y0 + 95, X0 + 105, Y0 + 105),
        ],
        crs=CRS,
    )
    return _t_scene(landmarks=landmarks, hotspots=hot, **extra)


@pytest.fixture
def t_scene() -> Callable[..., cov.Scene]:
    """``t_scene(**layers)``: the "T" graph in one district, with optional extra layers."""
    return _t_scene


@pytest.fixture
def t_plan() -> Callable[[], types.SimpleNamespace]:
    """``t_plan()``: a fresh plan-like namespace with the T graph's demand watched by hand."""
    return _t_plan


@pytest.fixture
def route_scene() -> Callable[..., cov.Scene]:
    """``route_scene()``: the T graph with a landmark at A and hotspots at B and D."""
    return _route_scene
