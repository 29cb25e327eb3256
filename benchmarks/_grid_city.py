"""A Hong Kong-size grid city and a plan on it, for benchmarking the map.

Streets form a jittered grid of about `n_segments` segments (each block edge
is one corridor), 18 districts, clustered incidents, a few hundred buildings
and privacy zones, and existing cameras by three owners. The plan is solved by
the pipeline (greedy, four phases) from candidate poles at free grid nodes, so
the map is drawn from a real :class:`coverage.Plan`.

Used by ``bench_map.py`` (case ``hk-size``) and by the ``browser_heavy`` test
``tests/render/test_browser.py::test_hong_kong_size_map``, which puts this
folder on ``sys.path``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

import coverage as cov
from coverage._arrays import repeat_index
from coverage._crs import HONG_KONG_CRS

X0, Y0 = 820_000.0, 810_000.0
CAMERA = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, resolution_px=1920)


def _gdf(data: dict[str, object], geometry: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=HONG_KONG_CRS)


def _streets(
    n_segments: int, block_m: float, rng: np.random.Generator
) -> tuple[np.ndarray, gpd.GeoDataFrame, int]:
    """Grid nodes (jittered), one corridor per block edge, and the grid side."""
    side = int(np.ceil(np.sqrt(n_segments / 2))) + 1
    gx, gy = np.meshgrid(np.arange(side) * block_m, np.arange(side) * block_m)
    nodes = np.stack([gx.ravel(), gy.ravel()], axis=1) + rng.normal(0, 3.0, (side * side, 2))
    nodes += (X0, Y0)
    ids = np.arange(side * side).reshape(side, side)
    edges = np.vstack(
        [
            np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
            np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
        ]
    )[:n_segments]
    lines = shapely.linestrings(
        nodes[edges].reshape(-1, 2), indices=repeat_index(np.full(len(edges), 2))
    )
    kinds = np.array(["footway", "primary", "secondary", "residential"])
    corridors = _gdf(
        {
            "footfall": rng.uniform(0.5, 3.0, len(edges)),
            "name": [f"Street {i}" for i in range(len(edges))],
            "kind": kinds[rng.integers(0, 4, len(edges))],
        },
        lines,
    )
    return nodes, corridors, side


def _districts(size_m: float) -> gpd.GeoDataFrame:
    cols, rows = 6, 3
    w, h = (size_m + 100) / cols, (size_m + 100) / rows
    boxes = [
        shapely.box(X0 - 50 + c * w, Y0 - 50 + r * h, X0 - 50 + (c + 1) * w, Y0 - 50 + (r + 1) * h)
        for r in range(rows)
        for c in range(cols)
    ]
    return _gdf({"name": [f"District {i + 1}" for i in range(len(boxes))]}, boxes)


def grid_city(
    *,
    n_segments: int = 100_000,
    n_existing: int = 1000,
    n_incidents: int = 20_000,
    block_m: float = 60.0,
    rng: np.random.Generator | int | None = None,
) -> tuple[cov.Scene, np.ndarray, np.ndarray]:
    """The scene, its grid nodes, and the nodes that already carry a camera set."""
    rng = np.random.default_rng(rng)
    nodes, corridors, side = _streets(n_segments, block_m, rng)
    size_m = (side - 1) * block_m
    centres = rng.uniform((X0, Y0), (X0 + size_m, Y0 + size_m), (40, 2))
    inc = centres[rng.integers(0, 40, n_incidents)] + rng.normal(0, 120.0, (n_incidents, 2))
    hotspots = _gdf(
        {"weight": np.ones(n_incidents), "category": ["collision"] * n_incidents},
        shapely.points(inc),
    )
    bcent = nodes[rng.choice(len(nodes), 400, replace=False)] + block_m / 2
    buildings = _gdf(
        {"height_m": rng.uniform(10, 120, 400)},
        shapely.box(bcent[:, 0] - 15, bcent[:, 1] - 15, bcent[:, 0] + 15, bcent[:, 1] + 15),
    )
    owners = np.array(["police", "MTR", "Transport Department"])
    existing = rng.choice(len(nodes), n_existing, replace=False)
    cameras = _gdf(
        {
            "owner": owners[rng.integers(0, 3, n_existing)],
            "heading_deg": np.where(rng.random(n_existing) < 0.3, np.nan, 45.0),
            "cameras": 3,
        },
        shapely.points(nodes[existing]),
    )
    pcent = rng.uniform((X0, Y0), (X0 + size_m, Y0 + size_m), (30, 2))
    privacy = _gdf(
        {"name": [f"School {i}" for i in range(30)]},
        shapely.box(pcent[:, 0], pcent[:, 1], pcent[:, 0] + 40, pcent[:, 1] + 40),
    )
    scene = cov.Scene(
        _districts(size_m),
        corridors,
        hotspots=hotspots,
        buildings=buildings,
        cameras=cameras,
        privacy_zones=privacy,
        name="Synthetic Hong Kong-size city",
        attribution=("Synthetic data",),
    )
    return scene, nodes, existing


def grid_city_plan(
    *,
    n_sets: int = 4000,
    n_segments: int = 100_000,
    n_existing: int = 1000,
    n_incidents: int = 20_000,
    rng: np.random.Generator | int | None = None,
) -> tuple[cov.Scene, cov.Plan]:
    """The grid city and a four-phase greedy plan of `n_sets` new sets on it.

    Candidate poles are twice `n_sets` free grid nodes (no existing set, outside
    every privacy zone), drawn at random.
    """
    rng = np.random.default_rng(rng)
    scene, nodes, existing = grid_city(
        n_segments=n_segments, n_existing=n_existing, n_incidents=n_incidents, rng=rng
    )
    free = np.setdiff1d(np.arange(len(nodes)), existing)
    private = shapely.union_all(scene.privacy_zones.geometry.to_numpy())
    free = free[~shapely.intersects_xy(private, nodes[free, 0], nodes[free, 1])]
    picked = rng.choice(free, min(2 * n_sets, free.size), replace=False)
    poles = _gdf({"name": [f"node {i}" for i in picked]}, shapely.points(nodes[picked]))
    per_phase = n_sets // 4
    budget = (per_phase, per_phase, per_phase, n_sets - 3 * per_phase)
    problem = cov.Problem(
        scene, CAMERA, budget=budget, candidates="poles", poles=poles, method="greedy"
    )
    return scene, cov.solve(problem)
