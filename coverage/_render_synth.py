"""Hand-made scenes and plans for testing and benchmarking the maps.

They follow the Scene and Plan schemas of the interface contract exactly, so
the map code can be exercised without the pipeline (tests) and at Hong Kong
scale in seconds (benchmarks). Not part of the public API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

HK1980 = CRS.from_epsg(2326)
#: DORI tiers of the synthetic camera: quality value reached within each distance.
SYNTH_TIERS = {"identify": 1.0, "recognise": 0.75, "observe": 0.5, "detect": 0.25}
_TIER_DIST_M = (10.0, 20.0, 30.0, 40.0)


@dataclass
class FakeScene:
    """Duck-typed stand-in for ``coverage.Scene`` (same attributes)."""

    districts: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    privacy_zones: gpd.GeoDataFrame
    crs: CRS = HK1980
    name: str = ""
    attribution: tuple[str, ...] = ()

    @property
    def hotspot_kind(self) -> str:
        if len(self.hotspots) == 0:
            return "none"
        return "points" if self.hotspots.geom_type.iloc[0] == "Point" else "polygons"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = self.corridors.total_bounds
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


@dataclass
class FakePlan:
    """Duck-typed stand-in for ``coverage.plan.Plan``."""

    cameras: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    objective: float
    upper_bound: float
    gap: float
    crs: CRS = HK1980
    meta: dict[str, Any] = field(default_factory=dict)
    solution: Any = None


def _gdf(data: dict[str, Any], geometry: Any, crs: CRS = HK1980) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=crs)


def _sample_demand(corridors: gpd.GeoDataFrame, spacing_m: float) -> gpd.GeoDataFrame:
    geoms = corridors.geometry.to_numpy()
    lengths = shapely.length(geoms)
    counts = np.maximum(1, np.round(lengths / spacing_m).astype(int))
    owner = np.repeat(np.arange(len(geoms)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    frac = (np.arange(owner.size) - starts + 0.5) / counts[owner]
    pts = shapely.line_interpolate_point(geoms[owner], frac, normalized=True)
    return _gdf(
        {
            "weight": corridors["footfall"].to_numpy()[owner] * 1.0,
            "district": "",
            "corridor": corridors.index.to_numpy()[owner],
        },
        pts,
    )


def _wedge_quality(
    demand_xy: np.ndarray, poles_xy: np.ndarray, headings: np.ndarray, hfov_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Best DORI quality per demand point and the pole giving it (-1 if none)."""
    quality = np.zeros(len(demand_xy))
    best = np.full(len(demand_xy), -1, dtype=np.int64)
    if len(poles_xy) == 0:
        return quality, best
    tree = cKDTree(demand_xy)
    hits = tree.query_ball_point(poles_xy, r=_TIER_DIST_M[-1])
    for i, idx in enumerate(hits):
        if not idx:
            continue
        idx = np.asarray(idx)
        d = demand_xy[idx] - poles_xy[i]
        dist = np.hypot(d[:, 0], d[:, 1])
        az = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
        diff = np.abs((az[:, None] - headings[i][None, :] + 180.0) % 360.0 - 180.0)
        seen = (diff <= hfov_deg / 2).any(axis=1) | (dist < 1.0)
        q = np.select([dist <= t for t in _TIER_DIST_M], list(SYNTH_TIERS.values()), default=0.0)
        q = np.where(seen, q, 0.0)
        better = q > quality[idx]
        quality[idx[better]] = q[better]
        best[idx[better]] = i
    return quality, best


def _make_plan(
    scene: FakeScene,
    site_xy: np.ndarray,
    site_headings: np.ndarray,
    *,
    phases: np.ndarray,
    spacing_m: float,
    hfov_deg: float = 90.0,
) -> FakePlan:
    """Plan with existing rows first, then the new sets in rank order."""
    demand = _sample_demand(scene.corridors, spacing_m)
    dist_idx = shapely.STRtree(scene.districts.geometry.to_numpy()).query(
        demand.geometry.to_numpy(), predicate="within"
    )
    names = np.full(len(demand), "", dtype=object)
    names[dist_idx[0]] = scene.districts["name"].to_numpy()[dist_idx[1]]
    demand["district"] = names.astype(str)

    ex = scene.cameras
    ex_xy = shapely.get_coordinates(ex.geometry.to_numpy())
    ex_head = np.stack(
        [
            (np.nan_to_num(ex["heading_deg"].to_numpy(), nan=0.0) + k * 120.0) % 360.0
            for k in range(3)
        ],
        axis=1,
    )
    poles = np.vstack([ex_xy, site_xy]) if len(ex_xy) else site_xy
    heads = np.vstack([ex_head, site_headings]) if len(ex_xy) else site_headings
    dxy = shapely.get_coordinates(demand.geometry.to_numpy())
    quality, best = _wedge_quality(dxy, poles, heads, hfov_deg)
    demand["quality"] = quality
    demand["covered_by"] = best
    # Greedy-order-free marginal gains: weight each set truly adds (for popups).
    w = demand["weight"].to_numpy()
    gain = np.bincount(best[best >= 0], weights=(w * quality)[best >= 0], minlength=len(poles))
    n_ex = len(ex_xy)
    cams = _gdf(
        {
            "rank": np.r_[np.zeros(n_ex, int), np.arange(1, len(site_xy) + 1)],
            "site": np.r_[np.full(n_ex, -1), np.arange(len(site_xy))],
            "district": "",
            "gain": np.r_[np.zeros(n_ex), gain[n_ex:]],
            "headings_deg": [tuple(float(v) for v in h) for h in heads],
            "hfov_deg": hfov_deg,
            "range_m": _TIER_DIST_M[-1],
            "phase": np.r_[np.zeros(n_ex, int), phases],
            "status": ["existing"] * n_ex + ["new"] * len(site_xy),
            "owner": list(ex["owner"]) + ["police"] * len(site_xy),
        },
        shapely.points(poles),
    )
    ci = shapely.STRtree(scene.districts.geometry.to_numpy()).query(
        cams.geometry.to_numpy(), predicate="within"
    )
    cn = np.full(len(cams), "", dtype=object)
    cn[ci[0]] = scene.districts["name"].to_numpy()[ci[1]]
    cams["district"] = cn.astype(str)
    objective = float((w * quality).sum())
    return FakePlan(
        cams,
        demand,
        objective=objective,
        upper_bound=objective * 1.02,
        gap=0.02 / 1.02,
        meta={"tier_weights": dict(SYNTH_TIERS)},
    )


def tiny_scene(district_names: tuple[str, str] = ("West", "East")) -> FakeScene:
    """A 200 m x 200 m scene in EPSG:2326 (Tsim Sha Tsui-ish coordinates).

    Two districts split at x0 + 100, an east-west and a north-south street
    crossing at the centre plus a short lane, one building, two existing
    cameras (police, MTR), five incidents and a privacy zone.
    """
    x0, y0 = 836_000.0, 818_000.0
    box = shapely.box
    districts = _gdf(
        {"name": list(district_names)},
        [box(x0, y0, x0 + 100, y0 + 200), box(x0 + 100, y0, x0 + 200, y0 + 200)],
    )
    corridors = _gdf(
        {
            "footfall": [2.0, 1.0, 1.0],
            "name": ["Nathan Road", "Peking Road", ""],
            "kind": ["primary", "secondary", "footway"],
        },
        [
            shapely.LineString([(x0 + 10, y0 + 100), (x0 + 190, y0 + 100)]),
            shapely.LineString([(x0 + 100, y0 + 10), (x0 + 100, y0 + 190)]),
            shapely.LineString([(x0 + 20, y0 + 20), (x0 + 60, y0 + 20)]),
        ],
    )
    hotspots = _gdf(
        {"weight": [1.0, 2.0, 1.0, 1.0, 3.0], "category": ["theft", "", "assault", "", "theft"]},
        shapely.points(
            [
                (x0 + 95, y0 + 105),
                (x0 + 150, y0 + 100),
                (x0 + 100, y0 + 40),
                (x0 + 30, y0 + 20),
                (x0 + 105, y0 + 98),
            ]
        ),
    )
    buildings = _gdf({"height_m": [30.0]}, [box(x0 + 120, y0 + 110, x0 + 160, y0 + 150)])
    cameras = _gdf(
        {"owner": ["police", "MTR"], "heading_deg": [90.0, np.nan], "cameras": [3, 3]},
        shapely.points([(x0 + 30, y0 + 100), (x0 + 100, y0 + 170)]),
    )
    privacy = _gdf({"name": ["School"]}, [box(x0 + 160, y0 + 20, x0 + 190, y0 + 60)])
    return FakeScene(
        districts,
        corridors,
        hotspots,
        buildings,
        cameras,
        privacy,
        name="Tiny",
        attribution=("© OpenStreetMap contributors", "DATA.GOV.HK"),
    )


def tiny_plan(scene: FakeScene | None = None) -> FakePlan:
    """Two new sets: one at the crossing (phase 1), one on the lane (phase 2)."""
    scene = tiny_scene() if scene is None else scene
    x0, y0 = 836_000.0, 818_000.0
    sites = np.array([(x0 + 100, y0 + 100), (x0 + 40, y0 + 20)])
    heads = np.array([(0.0, 90.0, 180.0), (90.0, 270.0, 0.0)])
    return _make_plan(scene, sites, heads, phases=np.array([1, 2]), spacing_m=10.0)


def synthetic_city(
    *,
    n_sets: int = 4000,
    n_segments: int = 100_000,
    n_existing: int = 1000,
    n_incidents: int = 20_000,
    block_m: float = 60.0,
    rng: Any = None,
) -> tuple[FakeScene, FakePlan]:
    """A Hong Kong-size grid city with a plan of `n_sets` new sets.

    Streets form a jittered grid of about `n_segments` segments (each block
    edge is one corridor), 18 districts, clustered incidents, a few hundred
    buildings and privacy zones, and existing cameras by three owners.
    """
    rng = np.random.default_rng(rng)
    side = int(np.ceil(np.sqrt(n_segments / 2))) + 1
    x0, y0 = 820_000.0, 810_000.0
    gx, gy = np.meshgrid(np.arange(side) * block_m, np.arange(side) * block_m)
    nodes = np.stack([gx.ravel(), gy.ravel()], axis=1) + rng.normal(0, 3.0, (side * side, 2))
    nodes += (x0, y0)
    ids = np.arange(side * side).reshape(side, side)
    edges = np.vstack(
        [
            np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
            np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
        ]
    )[:n_segments]
    lines = shapely.linestrings(
        nodes[edges].reshape(-1, 2), indices=np.repeat(np.arange(len(edges)), 2)
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
    size = (side - 1) * block_m
    cols, rows = 6, 3
    dboxes = [
        shapely.box(
            x0 - 50 + c * (size + 100) / cols,
            y0 - 50 + r * (size + 100) / rows,
            x0 - 50 + (c + 1) * (size + 100) / cols,
            y0 - 50 + (r + 1) * (size + 100) / rows,
        )
        for r in range(rows)
        for c in range(cols)
    ]
    districts = _gdf({"name": [f"District {i + 1}" for i in range(len(dboxes))]}, dboxes)
    centres = rng.uniform((x0, y0), (x0 + size, y0 + size), (40, 2))
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
    ex_nodes = rng.choice(len(nodes), n_existing, replace=False)
    cameras = _gdf(
        {
            "owner": owners[rng.integers(0, 3, n_existing)],
            "heading_deg": np.where(rng.random(n_existing) < 0.3, np.nan, 45.0),
            "cameras": 3,
        },
        shapely.points(nodes[ex_nodes]),
    )
    pcent = rng.uniform((x0, y0), (x0 + size, y0 + size), (30, 2))
    privacy = _gdf(
        {"name": [f"School {i}" for i in range(30)]},
        shapely.box(pcent[:, 0], pcent[:, 1], pcent[:, 0] + 40, pcent[:, 1] + 40),
    )
    scene = FakeScene(
        districts,
        corridors,
        hotspots,
        buildings,
        cameras,
        privacy,
        name="Synthetic Hong Kong-size city",
        attribution=("Synthetic data",),
    )
    free = np.setdiff1d(np.arange(len(nodes)), ex_nodes)
    sites = rng.choice(free, n_sets, replace=False)
    heads = np.array([0.0, 90.0, 180.0]) + 90.0 * rng.integers(0, 4, n_sets)[:, None]
    phases = 1 + (np.arange(n_sets) * 4) // n_sets
    plan = _make_plan(scene, nodes[sites], heads % 360.0, phases=phases, spacing_m=10.0)
    return scene, plan


def as_frame(plan: FakePlan) -> pd.DataFrame:
    """The plan's cameras without geometry (handy in tests)."""
    return pd.DataFrame(plan.cameras.drop(columns="geometry"))
