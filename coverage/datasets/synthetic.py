"""Synthetic cities: a deterministic generator of realistic scene layers.

:func:`synthetic_city` draws a fictional coastal city with an irregular street
network (perturbed Voronoi blocks, curved arterials, a waterfront promenade,
footpaths through blocks and stairways up the hills), building footprints
along the street frontages, incidents clustered into hotspots, footfall that
varies street by street, existing camera sets and privacy zones.

Everything is vectorized (numpy, scipy.spatial, shapely 2): the default
4 km x 3 km city takes about 2 s, and a Hong Kong-sized one (12 km x 8 km:
2,500 km of corridors, 130,000 buildings, 28,000 incidents) about 20 s of CPU
and 0.7 GB. Every draw comes from one :class:`numpy.random.Generator` seeded
once, so the same arguments give the same frames. The bundled sample city
(``coverage/datasets/data/sample_city.gpkg``) is made with this module::

    python -m coverage.datasets.synthetic --write PATH

The generator runs in named stages (land, arterials, blocks, streets,
footpaths, buildings, corridors, hotspot centres, footfall, incidents,
cameras, landmarks, privacy zones, districts), each drawing from the one
generator in that order, and a last step that places the layers.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Voronoi, cKDTree

from coverage._arrays import repeat_index
from coverage._crs import require_metric
from coverage._geometry import azimuth_deg
from coverage._validate import check_number
from coverage.errors import ParameterError
from coverage.io import atomic_path
from coverage.scene import LAYERS as _SCENE_LAYERS

__all__ = [
    "DISTRICT_NAMES",
    "INCIDENT_CATEGORIES",
    "LAYERS",
    "SAMPLE_CITY_KWARGS",
    "synthetic_city",
    "write_city",
]

#: Layer names, in the order they are returned and written.
LAYERS: tuple[str, ...] = tuple(_SCENE_LAYERS)

#: Fictional district names (one with an ampersand, one with an apostrophe).
DISTRICT_NAMES = (
    "Harbour & Market",
    "Lantern Hill",
    "St. Agnes' Quay",
    "Jade Terrace",
    "Kingfisher Bay",
    "Old Ferry Point",
    "Willow Heights",
    "Saltpan Gardens",
    "Camphor Vale",
    "Bellbird Wharf",
    "Copper Lane",
    "Orchid Crescent",
    "Tidewater",
    "Morning Star Fields",
    "Granite Steps",
    "Pearl Reach",
)

#: Incident categories and their severity weights (the "weight" column).
INCIDENT_CATEGORIES = {
    "theft": 1.0,
    "robbery": 3.0,
    "assault": 2.5,
    "burglary": 1.5,
    "vandalism": 0.5,
}

_STREET_WORDS = (
    "Amber",
    "Banyan",
    "Bamboo",
    "Cedar",
    "Chestnut",
    "Cloud",
    "Coral",
    "Crane",
    "Cypress",
    "Dragon",
    "Egret",
    "Emerald",
    "Ferry",
    "Fig",
    "Fortune",
    "Garden",
    "Ginger",
    "Golden",
    "Harmony",
    "Heron",
    "Hibiscus",
    "Ivory",
    "Jasmine",
    "Junk",
    "Kite",
    "Lotus",
    "Lychee",
    "Magnolia",
    "Mango",
    "Maple",
    "Mariner",
    "Mulberry",
    "Nutmeg",
    "Oyster",
    "Pagoda",
    "Peach",
    "Pepper",
    "Pine",
    "Plum",
    "Rope",
    "Saffron",
    "Sampan",
    "Silk",
    "Silver",
    "Spice",
    "Swallow",
    "Tangerine",
    "Tea",
    "Temple",
    "Tin",
    "Typhoon",
    "Velvet",
    "Walnut",
    "Wing",
    "Wisteria",
)
_STREET_SUFFIX = ("Street", "Street", "Street", "Road", "Lane", "Terrace", "Row", "Square")
_ARTERIAL_NAMES = (
    "Harbour Road",
    "Queen's Parade",
    "Lantern Road",
    "Kingfisher Avenue",
    "Jade Boulevard",
    "Granite Way",
    "Camphor Road",
    "Pearl Avenue",
    "Monsoon Road",
    "Typhoon Shelter Road",
    "Bellbird Avenue",
    "Willow Road",
    "Saltpan Road",
    "Orchid Boulevard",
    "Copper Road",
    "Morning Star Avenue",
)
#: Relative footfall by corridor kind (a residential street is 1).
_BASE_FOOTFALL = {
    "primary": 6.0,
    "secondary": 4.0,
    "residential": 1.0,
    "service": 0.3,
    "footway": 1.5,
    "pedestrian": 5.0,
    "steps": 0.8,
}
#: Half the carriageway width, metres, by corridor kind (buildings stand behind it).
_HALF_WIDTH_M = {
    "primary": 12.0,
    "secondary": 9.0,
    "residential": 5.0,
    "service": 3.5,
    "pedestrian": 4.0,
}
_SIDEWALK_M = 2.5
_FOOTWAY_CLEAR_M = 3.0
_REF_AREA_M2 = 12.0e6  # the default 4 km x 3 km city; counts scale with area / this

#: Arguments of :func:`synthetic_city` for the bundled sample city ("Port Meridian", UTM 50N).
SAMPLE_CITY_KWARGS: dict[str, Any] = {
    "width_m": 4000.0,
    "height_m": 3000.0,
    "n_districts": 8,
    "seed": 2026,
    "crs": "EPSG:32650",
    "origin": (360000.0, 2460000.0),
    "block_spacing_m": 95.0,
    "precision_m": 0.1,
}


def _crs_or_raise(crs: Any) -> CRS:
    try:
        out = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError, a plain Exception subclass
        msg = f"The 'crs' parameter of synthetic_city must be a CRS. Got {crs!r} instead."
        raise ParameterError(msg) from exc
    return require_metric(out, where="synthetic_city")


# --------------------------------------------------------------------------- geometry helpers
def _coast_y(
    x: NDArray[np.float64], width_m: float, height_m: float, phase: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Northing of the coastline (the sea lies south of it) at eastings `x`."""
    u = x / width_m
    y: NDArray[np.float64] = height_m * (
        0.10
        + 0.035 * np.sin(2 * np.pi * (1.3 * u + phase[0]))
        + 0.02 * np.sin(2 * np.pi * (3.7 * u + phase[1]))
        + 0.06 * np.exp(-(((u - 0.45) / 0.12) ** 2))  # a headland
    )
    return y


def _curve(
    p0: NDArray[np.float64],
    p1: NDArray[np.float64],
    bend: float,
    waves: float,
    phase: float,
    n: int = 400,
) -> NDArray[np.float64]:
    """Draw a gently curving polyline from p0 to p1 (bend and waves in metres)."""
    t = np.linspace(0.0, 1.0, n)
    d = p1 - p0
    normal = np.array([-d[1], d[0]]) / np.hypot(*d)
    off = bend * np.sin(np.pi * t) + waves * np.sin(2 * np.pi * (2.0 * t + phase)) * np.sin(
        np.pi * t
    )
    out: NDArray[np.float64] = p0 + t[:, None] * d + off[:, None] * normal
    return out


def _sample_along(
    xy: NDArray[np.float64], step_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points every `step_m` along a polyline, with unit tangents."""
    seg = np.diff(xy, axis=0)
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    s = np.arange(step_m / 2, cum[-1], step_m)
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    f = (s - cum[i]) / seglen[i]
    pts = xy[i] + f[:, None] * seg[i]
    tan = seg[i] / seglen[i][:, None]
    return pts, tan


class _Curves:
    """Nearest-curve queries on polylines sampled every 2 m (distances to within 0.1 m)."""

    def __init__(self, curves: list[NDArray[np.float64]]) -> None:
        xy, ids = [], []
        for k, c in enumerate(curves):
            dense, _ = _sample_along(c, 2.0)
            xy.append(np.vstack([c[:1], dense, c[-1:]]))
            ids.append(np.full(len(dense) + 2, k))
        self.tree = cKDTree(np.vstack(xy))
        self.ids = np.concatenate(ids)

    def nearest(self, pts: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Distance to the nearest curve and that curve's index, for each point."""
        d, i = self.tree.query(pts)
        return d, self.ids[i]


def _tiles(geom: Any, width_m: float, height_m: float, tile_m: float = 400.0) -> NDArray[Any]:
    """Cut `geom` into square tiles (small envelopes make STRtree queries cheap)."""
    xs = np.arange(0.0, width_m, tile_m)
    ys = np.arange(0.0, height_m, tile_m)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    pieces = shapely.intersection(geom, shapely.box(gx, gy, gx + tile_m, gy + tile_m))
    out: NDArray[Any] = pieces[~shapely.is_empty(pieces)]
    return out


# --------------------------------------------------------------------------- land
@dataclass(frozen=True)
class _Land:
    """The city's rectangle, its coast (the sea lies south of it) and its old town."""

    width_m: float
    height_m: float
    block_spacing_m: float
    phase: NDArray[np.float64]  # phases of the coastline's two waves
    coast: NDArray[np.float64]  # (600, 2): the coastline, west to east
    box: Any  # the city's rectangle
    land_box: Any  # the land inside the rectangle (prepared)
    land_inner: Any  # the land 12 m in from the coast and the edges (prepared)
    old_town: NDArray[np.float64]  # (2,): centre of the old town, by the harbour

    @property
    def size_m(self) -> float:
        """The longer side of the city."""
        return max(self.width_m, self.height_m)

    @property
    def hills_y(self) -> float:
        """North of this the city climbs the hills (stairs, sparse blocks)."""
        return 0.78 * self.height_m

    def coast_y(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Northing of the coastline at eastings `x`."""
        return _coast_y(x, self.width_m, self.height_m, self.phase)

    def spacing(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """Typical distance between block centres at points `p`: denser in the old town."""
        d = np.hypot(p[:, 0] - self.old_town[0], p[:, 1] - self.old_town[1])
        far = 1.0 - np.exp(-((d / (0.35 * self.size_m)) ** 2))
        s = self.block_spacing_m * (0.6 + 0.55 * far)
        out: NDArray[np.float64] = s * np.where(p[:, 1] > self.hills_y, 1.35, 1.0)
        return out

    def on_land(self, p: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether points `p` lie on the inner land."""
        out: NDArray[np.bool_] = shapely.contains_xy(self.land_inner, p[:, 0], p[:, 1])
        return out


def _land(
    rng: np.random.Generator, width_m: float, height_m: float, block_spacing_m: float
) -> _Land:
    """Draw the coast and the old town."""
    W, H = width_m, height_m
    phase = rng.uniform(0.0, 1.0, 2)
    xs = np.linspace(0.0, W, 600)
    coast = np.column_stack([xs, _coast_y(xs, W, H, phase)])
    land = shapely.polygons(np.vstack([coast, [[W, H], [0.0, H]], coast[:1]]))
    old_town = np.array(
        [rng.uniform(0.3, 0.6) * W, _coast_y(np.array([0.45 * W]), W, H, phase)[0] + 0.18 * H]
    )
    box = shapely.box(0.0, 0.0, W, H)
    land_box = shapely.intersection(land, box)
    land_inner = shapely.buffer(land_box, -12.0)
    shapely.prepare(land_box)
    shapely.prepare(land_inner)
    return _Land(W, H, block_spacing_m, phase, coast, box, land_box, land_inner, old_town)


# --------------------------------------------------------------------------- arterials
@dataclass(frozen=True)
class _Arterials:
    """Curved arterials and the mirrored pairs of block centres that carve them in."""

    curves: list[NDArray[np.float64]]
    kinds: list[str]
    geoms: NDArray[np.object_]  # one LineString per curve
    half_gap: float  # distance of each pair point from its curve
    pair_points: NDArray[np.float64]
    near: _Curves


def _arterial_curves(
    rng: np.random.Generator, land: _Land
) -> tuple[list[NDArray[np.float64]], list[str]]:
    """Curves across the city (east-west, north-south, one diagonal) and one along the harbour."""
    W, H = land.width_m, land.height_m
    n_ew = max(1, round(H / 1500.0))
    n_ns = max(2, round(W / 1800.0))
    harbour = land.coast.copy()
    harbour[:, 1] += 0.04 * H + 60.0
    curves = [harbour]
    kinds = ["primary"]
    for k in range(n_ew):
        y = H * (0.3 + 0.55 * (k + 0.5) / n_ew) + rng.uniform(-0.05, 0.05) * H
        curves.append(
            _curve(
                np.array([-50.0, y + rng.uniform(-0.1, 0.1) * H]),
                np.array([W + 50.0, y + rng.uniform(-0.1, 0.1) * H]),
                rng.uniform(-0.06, 0.06) * H,
                rng.uniform(20, 60),
                rng.uniform(),
            )
        )
        kinds.append("primary" if k % 2 == 0 else "secondary")
    for k in range(n_ns):
        x = W * (k + 0.5) / n_ns + rng.uniform(-0.08, 0.08) * W / n_ns
        curves.append(
            _curve(
                np.array([x + rng.uniform(-0.1, 0.1) * W / n_ns, 0.0]),
                np.array([x + rng.uniform(-0.2, 0.2) * W / n_ns, H + 50.0]),
                rng.uniform(-0.08, 0.08) * W / n_ns * 2,
                rng.uniform(20, 60),
                rng.uniform(),
            )
        )
        kinds.append("secondary" if k % 2 else "primary")
    curves.append(
        _curve(
            np.array([rng.uniform(0.0, 0.2) * W, H + 50.0]),
            np.array([W + 50.0, rng.uniform(0.25, 0.45) * H]),
            rng.uniform(0.05, 0.12) * H,
            30.0,
            rng.uniform(),
        )
    )
    kinds.append("secondary")
    return curves, kinds


def _arterials(rng: np.random.Generator, land: _Land) -> _Arterials:
    """Draw the arterial curves and place block centres in mirrored pairs along them."""
    curves, kinds = _arterial_curves(rng, land)
    geoms = np.array([shapely.linestrings(c) for c in curves], dtype=object)
    half_gap = 0.35 * land.block_spacing_m
    pts = []
    for c in curves:
        p, t = _sample_along(c, 0.8 * land.block_spacing_m)
        nrm = np.column_stack([-t[:, 1], t[:, 0]])
        pts += [p + half_gap * nrm, p - half_gap * nrm]
    pair_points = np.vstack(pts)
    # drop pair points that sit close to another arterial (crossings): their own
    # arterial is half_gap away, so a nearer curve is another one
    near = _Curves(curves)
    pair_points = pair_points[near.nearest(pair_points)[0] > 0.9 * half_gap]
    return _Arterials(curves, kinds, geoms, half_gap, pair_points, near)


# --------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class _Blocks:
    """Block centres (the arterial pairs first) and their Voronoi cells."""

    seeds: NDArray[np.float64]
    n_pairs: int  # the first n_pairs seeds are arterial pair points
    cells: NDArray[np.object_]
    extent: Any  # the rectangle the Voronoi diagrams extend to
    on_land: NDArray[np.bool_]  # the centre lies on the inner land
    inner: NDArray[np.object_]  # each cell set back from its streets (the buildable block)
    s_min_m: float  # the smallest typical spacing (old town)


def _blocks(rng: np.random.Generator, land: _Land, art: _Arterials) -> _Blocks:
    """Draw block centres: a thinned Poisson field, denser in the old town, relaxed twice."""
    W, H = land.width_m, land.height_m
    spacing_m = land.block_spacing_m
    s_min = 0.6 * spacing_m
    n0 = rng.poisson(W * H / s_min**2 * 1.25)
    cand = rng.uniform([0.0, 0.0], [W, H], size=(n0, 2))
    accept = rng.uniform(size=n0) < (s_min / land.spacing(cand)) ** 2
    bg = cand[accept]
    bg = bg[bg[:, 1] > land.coast_y(bg[:, 0]) - 0.5 * spacing_m]
    bg = bg[art.near.nearest(bg)[0] > 1.3 * art.half_gap]
    n_pairs = len(art.pair_points)
    seeds = np.vstack([art.pair_points, bg])
    margin = 3.0 * spacing_m
    extent = shapely.box(-margin, -margin, W + margin, H + margin)
    for _ in range(2):  # Lloyd relaxation of the background centres
        cells = _voronoi_cells(seeds, extent)
        cen = shapely.centroid(shapely.clip_by_rect(cells[n_pairs:], 0.0, 0.0, W, H))
        seeds[n_pairs:] = np.column_stack([shapely.get_x(cen), shapely.get_y(cen)])
    cells = _voronoi_cells(seeds, extent)
    inner = shapely.buffer(cells, -(_HALF_WIDTH_M["residential"] + _SIDEWALK_M / 2))
    return _Blocks(seeds, n_pairs, cells, extent, land.on_land(seeds), inner, s_min)


def _voronoi_cells(seeds: NDArray[np.float64], extent: Any) -> NDArray[np.object_]:
    """Voronoi cells of `seeds`, in the order of the seeds."""
    cells: NDArray[np.object_] = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent, ordered=True)
    )
    return cells


# --------------------------------------------------------------------------- streets
@dataclass(frozen=True)
class _Streets:
    """Street segments: finite Voronoi ridges clipped to land, with kinds and names."""

    parts: NDArray[np.object_]  # LineStrings
    seg: NDArray[np.float64]  # (n, 2, 2) end points
    gen: NDArray[np.int64]  # (n, 2) the two block centres on either side
    kind: NDArray[np.object_]
    name: NDArray[np.object_]
    is_arterial: NDArray[np.bool_]

    @property
    def mid(self) -> NDArray[np.float64]:
        """Midpoint of each segment."""
        out: NDArray[np.float64] = self.seg.mean(axis=1)
        return out

    @property
    def length_m(self) -> NDArray[np.float64]:
        """Length of each segment."""
        out: NDArray[np.float64] = np.hypot(*(self.seg[:, 1] - self.seg[:, 0]).T)
        return out

    def sides(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(block, segment, block across) of each side of each segment: first sides, then second."""
        n = len(self.parts)
        cell = np.concatenate([self.gen[:, 0], self.gen[:, 1]])
        seg = np.concatenate([np.arange(n), np.arange(n)])
        other = np.concatenate([self.gen[:, 1], self.gen[:, 0]])
        return cell, seg, other


def _street_segments(
    land: _Land, seeds: NDArray[np.float64]
) -> tuple[NDArray[np.object_], NDArray[np.float64], NDArray[np.int64]]:
    """(LineStrings, end points, centres either side) of the Voronoi ridges on land."""
    vor = Voronoi(seeds)
    rv = np.asarray(vor.ridge_vertices)
    rp = np.asarray(vor.ridge_points)
    finite = (rv >= 0).all(axis=1)
    rv, rp = rv[finite], rp[finite]
    a = vor.vertices[rv[:, 0]]
    b = vor.vertices[rv[:, 1]]
    ridges = shapely.linestrings(np.stack([a, b], axis=1))
    inside = land.on_land(a) & land.on_land(b)
    clipped = ridges.copy()
    clipped[~inside] = shapely.intersection(ridges[~inside], land.land_box)
    parts, ridx = shapely.get_parts(clipped, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 2.0)
    parts, ridx = parts[ok], ridx[ok]
    seg = shapely.get_coordinates(parts).reshape(-1, 2, 2)
    return parts, seg, rp[ridx]


def _streets(rng: np.random.Generator, land: _Land, art: _Arterials, blocks: _Blocks) -> _Streets:
    """Cut the streets and give them kinds and names (arterial where both ends hug one)."""
    parts, seg, gen = _street_segments(land, blocks.seeds)
    n_st = len(parts)
    kind = np.full(n_st, "residential", dtype=object)
    name = np.full(n_st, "", dtype=object)
    d0, k0 = art.near.nearest(seg[:, 0])
    d1, k1 = art.near.nearest(seg[:, 1])
    near = 0.3 * art.half_gap
    art_of = np.where((d0 < near) & (d1 < near) & (k0 == k1), k0, -1)
    is_art = art_of >= 0
    kind[is_art] = np.asarray(art.kinds, dtype=object)[art_of[is_art]]
    name[is_art] = np.asarray(_ARTERIAL_NAMES * 4, dtype=object)[art_of[is_art]]
    mid = seg.mean(axis=1)
    d_old = np.hypot(mid[:, 0] - land.old_town[0], mid[:, 1] - land.old_town[1])
    u = rng.uniform(size=n_st)
    res = ~is_art
    kind[res & (d_old < min(0.12 * land.size_m, 600.0)) & (u < 0.25)] = "pedestrian"
    kind[res & (d_old > 0.25 * land.size_m) & (u > 0.86)] = "service"
    words = rng.integers(0, len(_STREET_WORDS), n_st)
    suff = rng.integers(0, len(_STREET_SUFFIX), n_st)
    street_names = np.char.add(
        np.char.add(np.asarray(_STREET_WORDS)[words], " "), np.asarray(_STREET_SUFFIX)[suff]
    ).astype(object)
    named = res & (kind != "service")
    name[named] = street_names[named]
    return _Streets(parts, seg, gen, kind, name, is_art)


# --------------------------------------------------------------------------- footpaths
@dataclass(frozen=True)
class _Footpaths:
    """Footpaths through blocks, from the middle of one frontage to the opposite one."""

    geoms: NDArray[np.object_]  # LineStrings of three points
    xy: NDArray[np.float64]  # (n, 3, 2)
    cell: NDArray[np.int64]  # the block each crosses
    a: NDArray[np.int64]  # the street segment at each end
    b: NDArray[np.int64]
    kind: NDArray[np.object_]  # "footway", or "steps" on the hills
    name: NDArray[np.object_]
    clear: NDArray[np.object_]  # per block: the footpath's clearance polygon, or None


def _opposite_frontages(
    streets: _Streets,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(block, its longest segment, the segment farthest from it) for each block.

    Ties go to the lower segment index.
    """
    side_cell, side_seg, _ = streets.sides()
    mid = streets.mid
    df = pd.DataFrame({"cell": side_cell, "seg": side_seg, "len": streets.length_m[side_seg]})
    df = df.sort_values(["cell", "len", "seg"], ascending=[True, False, True], kind="stable")
    first = df.groupby("cell", sort=True).head(1)
    longest = pd.Series(first["seg"].to_numpy(), index=first["cell"].to_numpy())
    df["la"] = longest.reindex(df["cell"].to_numpy()).to_numpy()
    la_mid = mid[df["la"].to_numpy()]
    df["far"] = np.hypot(*(mid[df["seg"].to_numpy()] - la_mid).T)
    df = df[df["seg"] != df["la"]]
    df = df.sort_values(["cell", "far", "seg"], ascending=[True, False, True], kind="stable")
    opp = df.groupby("cell", sort=True).head(1)
    cell = opp["cell"].to_numpy()
    return cell, longest.reindex(cell).to_numpy(), opp["seg"].to_numpy()


def _footpaths(
    rng: np.random.Generator, land: _Land, blocks: _Blocks, streets: _Streets
) -> _Footpaths:
    """Draw footpaths through some blocks (more in the old town), with a bend near the centre."""
    seeds = blocks.seeds
    mid = streets.mid
    fw_cell, fw_a, fw_b = _opposite_frontages(streets)
    d_cell = np.hypot(seeds[fw_cell, 0] - land.old_town[0], seeds[fw_cell, 1] - land.old_town[1])
    p_fw = np.where(d_cell < 0.2 * land.size_m, 0.45, 0.22)
    take = (rng.uniform(size=len(fw_cell)) < p_fw) & blocks.on_land[fw_cell]
    fw_cell, fw_a, fw_b = fw_cell[take], fw_a[take], fw_b[take]
    bend = seeds[fw_cell] + rng.uniform(-0.12, 0.12, (len(fw_cell), 2)) * land.block_spacing_m
    fw_xy = np.stack([mid[fw_a], bend, mid[fw_b]], axis=1)
    footways = shapely.linestrings(fw_xy)
    ok = shapely.is_valid(footways) & (shapely.length(footways) > 10.0)
    footways, fw_cell, fw_a, fw_b = footways[ok], fw_cell[ok], fw_a[ok], fw_b[ok]
    kind = np.where(seeds[fw_cell, 1] > land.hills_y, "steps", "footway").astype(object)
    name = np.full(len(footways), "", dtype=object)
    pick = rng.uniform(size=len(footways)) < 0.3
    words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(footways))]
    suffix = np.where(kind == "steps", " Steps", " Path")
    name[pick] = np.char.add(words, suffix)[pick].astype(object)
    clear = np.full(len(seeds), None, dtype=object)
    clear[fw_cell] = shapely.buffer(footways, _FOOTWAY_CLEAR_M)
    return _Footpaths(footways, fw_xy[ok], fw_cell, fw_a, fw_b, kind, name, clear)


# --------------------------------------------------------------------------- buildings
def _buildings(
    rng: np.random.Generator,
    land: _Land,
    blocks: _Blocks,
    streets: _Streets,
    footpaths: _Footpaths,
) -> tuple[NDArray[np.object_], NDArray[np.float64], NDArray[np.bool_]]:
    """Draw buildings along every street frontage: (footprints, heights, park blocks)."""
    park = rng.uniform(size=len(blocks.seeds)) < 0.07
    bld, bcell = _frontage_plots(rng, land, blocks, streets, park)
    bparts, bcell = _clear_of_obstacles(bld, bcell, land, streets, footpaths)
    bxy = shapely.get_coordinates(shapely.centroid(bparts))
    db = np.hypot(bxy[:, 0] - land.old_town[0], bxy[:, 1] - land.old_town[1])
    dense_b = np.exp(-((db / (0.25 * land.size_m)) ** 2))
    height = np.round(rng.lognormal(np.log(12.0 + 45.0 * dense_b), 0.45), 1)
    height = np.where(bxy[:, 1] > land.hills_y, np.minimum(height, 24.0), height)
    height = np.maximum(height, 3.0)
    return bparts, height, park


def _frontage_plots(
    rng: np.random.Generator,
    land: _Land,
    blocks: _Blocks,
    streets: _Streets,
    park: NDArray[np.bool_],
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Rectangles in a row behind each frontage, clipped to its wedge of the block; their blocks.

    Each rectangle is set back by the street's half-width plus a sidewalk.
    """
    seeds = blocks.seeds
    s_cell, s_seg, s_other = streets.sides()
    keep = blocks.on_land[s_cell] & ~park[s_cell]
    s_seg, s_cell, s_other = s_seg[keep], s_cell[keep], s_other[keep]
    p0, p1 = streets.seg[s_seg, 0], streets.seg[s_seg, 1]
    L = streets.length_m[s_seg]
    tang = (p1 - p0) / L[:, None]
    nrm = seeds[s_cell] - seeds[s_other]
    h = np.hypot(nrm[:, 0], nrm[:, 1]) / 2.0
    nrm = nrm / (2.0 * h[:, None])
    sb = np.array([_HALF_WIDTH_M[k] for k in streets.kind])[s_seg] + _SIDEWALK_M
    corner = np.full(len(s_seg), 1.5)
    d_side = np.hypot(seeds[s_cell, 0] - land.old_town[0], seeds[s_cell, 1] - land.old_town[1])
    dense = np.exp(-((d_side / (0.3 * land.size_m)) ** 2))
    plot = 14.0 + 16.0 * (1.0 - dense) + rng.uniform(-3.0, 3.0, len(s_seg))
    usable = L - 2.0 * corner
    nb = np.where(usable > 8.0, np.maximum(1, np.floor(usable / plot)), 0).astype(np.int64)
    rep = repeat_index(nb)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(nb) - nb, nb)
    slot = usable[rep] / nb[rep]
    t = corner[rep] + (j + 0.5) * slot
    wid = slot * rng.uniform(0.8, 0.97, len(rep))
    depth = np.minimum(
        rng.uniform(12.0, 28.0, len(rep)) + 10.0 * dense[rep], 0.72 * (h[rep] - sb[rep])
    )
    good = depth > 6.0
    rep, t, wid, depth = rep[good], t[good], wid[good], depth[good]
    base = p0[rep] + tang[rep] * t[:, None] + nrm[rep] * sb[rep][:, None]
    hw_t = tang[rep] * (wid / 2.0)[:, None]
    dn = nrm[rep] * depth[:, None]
    rect = np.stack(
        [base - hw_t, base + hw_t, base + hw_t + dn, base - hw_t + dn, base - hw_t], axis=1
    )
    bld = shapely.polygons(rect)
    # each frontage owns the triangle (block centre, segment ends): plots never overlap
    tri = shapely.polygons(np.stack([p0, p1, seeds[s_cell], p0], axis=1))
    tri = shapely.buffer(tri, -0.75, join_style="mitre")  # a 1.5 m gap between wedges
    bld = shapely.intersection(bld, shapely.intersection(tri, blocks.inner[s_cell])[rep])
    return bld, s_cell[rep]


def _clear_of_obstacles(
    bld: NDArray[np.object_],
    bcell: NDArray[np.int64],
    land: _Land,
    streets: _Streets,
    footpaths: _Footpaths,
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Cut the sea front, the arterials' full width and footpaths out of the plots.

    Returns the polygon pieces over 30 m² and the block of each.
    """
    W, H = land.width_m, land.height_m
    kind = streets.kind
    wide = np.isin(kind, ["primary", "secondary"])
    unbuilt = shapely.difference(land.box, land.land_inner)
    coast_line = shapely.linestrings(land.coast)
    obstacles = np.concatenate(
        [
            _tiles(shapely.union(unbuilt, shapely.buffer(coast_line, 30.0)), W, H),
            shapely.buffer(
                streets.parts[wide],
                np.array([_HALF_WIDTH_M[k] for k in kind[wide]]) + _SIDEWALK_M / 2,
            ),
        ]
    )
    ob_b, ob_o = shapely.STRtree(obstacles).query(bld, predicate="intersects")
    order = np.lexsort((ob_o, ob_b))
    ob_b, ob_o = ob_b[order], ob_o[order]
    rank = np.arange(len(ob_b)) - np.searchsorted(ob_b, ob_b)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        m = rank == r
        bld[ob_b[m]] = shapely.difference(bld[ob_b[m]], obstacles[ob_o[m]])
    clear = footpaths.clear[bcell]
    has_fw = np.array([g is not None for g in clear], dtype=bool)
    bld[has_fw] = shapely.difference(bld[has_fw], np.asarray(clear[has_fw]))
    bparts, bidx = shapely.get_parts(bld, return_index=True)
    poly = (shapely.get_type_id(bparts) == 3) & (shapely.area(bparts) > 30.0)
    return bparts[poly], bcell[bidx[poly]]


# --------------------------------------------------------------------------- corridors
@dataclass(frozen=True)
class _Corridors:
    """Every corridor: streets (split where footpaths meet them), footpaths, the promenade."""

    geoms: NDArray[np.object_]
    kind: NDArray[np.object_]
    name: NDArray[np.object_]


def _corridors(land: _Land, streets: _Streets, footpaths: _Footpaths) -> _Corridors:
    """Join streets and footpaths into one network; drop scraps cut off from it."""
    seg, mid = streets.seg, streets.mid
    n_st = len(seg)
    # streets where a footpath starts are split there, so that the two share a vertex
    split = np.zeros(n_st, dtype=bool)
    split[footpaths.a] = True
    split[footpaths.b] = True
    halves = np.where(split, 2, 1)
    row = repeat_index(halves)
    second = np.arange(len(row)) - np.repeat(np.cumsum(halves) - halves, halves)
    start = np.where((second == 1)[:, None], mid[row], seg[row, 0])
    end = np.where((second == 0)[:, None] & split[row][:, None], mid[row], seg[row, 1])
    st_geoms = shapely.linestrings(np.stack([start, end], axis=1))
    # drop scraps cut off from the network (short pieces clipped by the coast)
    st_xy = np.concatenate([np.stack([start, end], axis=1), footpaths.xy[:, [0, 2]]])
    node_xy, node_id = np.unique(np.round(st_xy.reshape(-1, 2), 3), axis=0, return_inverse=True)
    node_id = node_id.reshape(-1, 2)
    adj = coo_array(
        (np.ones(len(node_id)), (node_id[:, 0], node_id[:, 1])), shape=(len(node_xy),) * 2
    )
    _, comp = connected_components(adj, directed=False)
    edge_comp = comp[node_id[:, 0]]
    comp_len = np.bincount(
        edge_comp,
        weights=np.concatenate([shapely.length(st_geoms), shapely.length(footpaths.geoms)]),
    )
    keep_st = comp_len[edge_comp[: len(st_geoms)]] >= 150.0
    keep_fw = comp_len[edge_comp[len(st_geoms) :]] >= 150.0
    # the waterfront promenade
    prom_xy = land.coast.copy()
    prom_xy[:, 1] += 14.0
    promenade = shapely.intersection(shapely.linestrings(prom_xy), land.box)
    prom_parts = shapely.get_parts(np.array([promenade]))
    n_prom = len(prom_parts)
    return _Corridors(
        geoms=np.concatenate([st_geoms[keep_st], footpaths.geoms[keep_fw], prom_parts]),
        kind=np.concatenate(
            [
                streets.kind[row][keep_st],
                footpaths.kind[keep_fw],
                np.full(n_prom, "pedestrian", dtype=object),
            ]
        ),
        name=np.concatenate(
            [
                streets.name[row][keep_st],
                footpaths.name[keep_fw],
                np.full(n_prom, "Harbourfront Promenade", dtype=object),
            ]
        ),
    )


# --------------------------------------------------------------------------- hotspots
@dataclass(frozen=True)
class _Centres:
    """Hotspot centres: markets, stations (arterial crossings) and nightlife."""

    markets: NDArray[np.float64]
    stations: NDArray[np.float64]
    night: NDArray[np.float64]
    kind: NDArray[np.str_]  # "market", "station" or "nightlife", for each of xy
    sigma_m: NDArray[np.float64]  # spread of the incidents around each centre
    weight: NDArray[np.float64]  # share of the incidents drawn to each centre (relative)

    @property
    def xy(self) -> NDArray[np.float64]:
        """Every centre: markets, then stations, then nightlife."""
        return np.vstack([self.markets, self.stations, self.night])


def _hotspot_centres(
    rng: np.random.Generator, land: _Land, art: _Arterials, blocks: _Blocks, scale: float
) -> _Centres:
    """Put stations at arterial crossings; draw markets (one in the old town) and nightlife."""
    geoms = art.geoms
    cross = shapely.get_parts(
        shapely.intersection(geoms[:, None], geoms[None, :])[np.triu_indices(len(geoms), 1)]
    )
    cross = cross[shapely.get_type_id(cross) == 0]
    stations = shapely.get_coordinates(cross)
    stations = stations[land.on_land(stations)]
    if len(stations) == 0:
        stations = land.old_town[None, :].copy()
    n_market = max(1, round(3 * scale))
    n_night = max(1, round(2 * scale))
    seeds = blocks.seeds
    w_seed = (blocks.s_min_m / land.spacing(seeds)) ** 2 * blocks.on_land
    w_seed = w_seed / w_seed.sum()
    markets = np.vstack([land.old_town, seeds[rng.choice(len(seeds), n_market - 1, p=w_seed)]])
    night = seeds[rng.choice(len(seeds), n_night, p=w_seed)]
    kind = np.array(
        ["market"] * len(markets) + ["station"] * len(stations) + ["nightlife"] * len(night)
    )
    sigma_m = np.select([kind == "market", kind == "station"], [140.0, 90.0], 110.0)
    sigma_m = sigma_m * rng.uniform(0.7, 1.3, len(kind))
    weight = np.select([kind == "market", kind == "station"], [3.0, 1.0], 2.0)
    weight = weight * rng.uniform(0.5, 1.5, len(kind))
    return _Centres(markets, stations, night, kind, sigma_m, weight)


def _footfall(
    rng: np.random.Generator, corridors: _Corridors, centres: _Centres
) -> NDArray[np.float64]:
    """Draw footfall: base by kind x nearness to the hotspot centres x log-normal noise."""
    gmid = shapely.line_interpolate_point(corridors.geoms, 0.5, normalized=True)
    dc, _ = cKDTree(centres.xy).query(shapely.get_coordinates(gmid))
    base = np.array([_BASE_FOOTFALL[k] for k in corridors.kind])
    footfall = (
        base
        * (1.0 + 3.0 * np.exp(-((dc / 300.0) ** 2)))
        * rng.lognormal(0.0, 0.3, len(corridors.geoms))
    )
    out: NDArray[np.float64] = np.maximum(np.round(footfall, 3), 0.05)
    return out


#: Shares of the incident categories (theft, robbery, assault, burglary, vandalism) by source.
_CATEGORY_MIX = {
    "market": [0.6, 0.12, 0.08, 0.1, 0.1],
    "station": [0.55, 0.2, 0.1, 0.05, 0.1],
    "nightlife": [0.25, 0.15, 0.35, 0.05, 0.2],
    "background": [0.3, 0.08, 0.1, 0.37, 0.15],
}


def _incidents(
    rng: np.random.Generator, corridors: _Corridors, centres: _Centres, scale: float
) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Draw incidents around the centres and along the streets, snapped to the nearest corridor.

    Returns their coordinates and categories.
    """
    geoms = corridors.geoms
    n_inc = max(50, round(3500 * scale))
    n_clu = round(0.8 * n_inc)
    comp = rng.choice(len(centres.kind), n_clu, p=centres.weight / centres.weight.sum())
    ipts = centres.xy[comp] + rng.normal(size=(n_clu, 2)) * centres.sigma_m[comp][:, None]
    lens = shapely.length(geoms)
    bg_line = rng.choice(len(geoms), n_inc - n_clu, p=lens / lens.sum())
    bg_pts = shapely.get_coordinates(
        shapely.line_interpolate_point(
            geoms[bg_line], rng.uniform(size=n_inc - n_clu), normalized=True
        )
    )
    points = shapely.points(np.vstack([ipts, bg_pts]))
    source = np.concatenate([centres.kind[comp], np.full(n_inc - n_clu, "background")])
    near = shapely.STRtree(geoms).query_nearest(points, all_matches=False)[1]
    on = shapely.line_interpolate_point(geoms[near], shapely.line_locate_point(geoms[near], points))
    ixy = shapely.get_coordinates(on) + rng.uniform(-2.0, 2.0, (n_inc, 2))
    cats = np.array(list(INCIDENT_CATEGORIES))
    icat = np.empty(n_inc, dtype=object)
    for typ, probs in _CATEGORY_MIX.items():
        m = source == typ
        icat[m] = cats[rng.choice(len(cats), int(m.sum()), p=probs)]
    return ixy, icat


# --------------------------------------------------------------------------- cameras
@dataclass(frozen=True)
class _Junctions:
    """Street nodes where three or more segments meet (all nodes if fewer than three do)."""

    xy: NDArray[np.float64]
    tree: cKDTree
    seg: NDArray[np.float64]  # the street segments' end points, (n, 2, 2)

    def bearing_deg(self, idx: NDArray[np.int64]) -> NDArray[np.float64]:
        """Azimuth of one street segment leaving each junction `idx`."""
        js = self.xy[idx]
        k = cKDTree(self.seg.reshape(-1, 2)).query(js)[1]
        other = self.seg[k // 2, 1 - (k % 2)]
        return azimuth_deg(other[:, 0] - js[:, 0], other[:, 1] - js[:, 1])


def _junctions(streets: _Streets) -> tuple[_Junctions, NDArray[np.int64]]:
    """Find the junctions, and the junction nearest each end of each arterial segment."""
    seg = streets.seg
    nodes, inv = np.unique(np.round(seg.reshape(-1, 2), 1), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    deg = np.bincount(inv, minlength=len(nodes))
    xy = nodes[deg >= 3] if np.count_nonzero(deg >= 3) >= 3 else nodes
    tree = cKDTree(xy)
    art_nodes = np.unique(inv.reshape(-1, 2)[streets.is_arterial].reshape(-1))
    art_junctions = np.unique(tree.query(nodes[art_nodes])[1])
    return _Junctions(xy, tree, seg), art_junctions


@dataclass(frozen=True)
class _Cameras:
    """Existing camera sets at junctions."""

    xy: NDArray[np.float64]
    owner: list[str]
    heading_deg: NDArray[np.float64]  # NaN: unknown
    cameras: NDArray[np.int64]  # cameras per set


def _cameras(
    rng: np.random.Generator,
    junctions: _Junctions,
    art_junctions: NDArray[np.int64],
    centres: _Centres,
    scale: float,
) -> _Cameras:
    """Draw the existing camera sets at junctions; some headings are unknown.

    MTR at stations; police at markets, nightlife and random junctions;
    Transport Department on the arterials.
    """
    jtree = junctions.tree
    # MTR at stations
    js = np.unique(jtree.query(centres.stations)[1])
    hd_mtr = junctions.bearing_deg(js)
    hd_mtr[rng.uniform(size=len(js)) < 0.4] = np.nan
    n_mtr = rng.choice([2, 3], len(js))
    # police at markets and nightlife, plus some random junctions
    n_pol = max(2, round(6 * scale))
    pol_near = jtree.query(np.vstack([centres.markets, centres.night]))[1]
    n_j = len(junctions.xy)
    pol_rand = rng.choice(n_j, min(n_pol, n_j), replace=False)
    jp = np.setdiff1d(np.unique(np.concatenate([pol_near, pol_rand])), js)
    hd_pol = junctions.bearing_deg(jp)
    hd_pol[rng.uniform(size=len(jp)) < 0.5] = np.nan
    # Transport Department on the arterials
    n_td = min(len(art_junctions), max(2, round(8 * scale)))
    jt = rng.choice(art_junctions, n_td, replace=False)
    jt = np.setdiff1d(np.sort(jt), np.concatenate([js, jp]))
    return _Cameras(
        xy=junctions.xy[np.concatenate([js, jp, jt])],
        owner=["MTR"] * len(js) + ["police"] * len(jp) + ["Transport Department"] * len(jt),
        heading_deg=np.concatenate([hd_mtr, hd_pol, junctions.bearing_deg(jt)]),
        cameras=np.concatenate([n_mtr, np.full(len(jp), 3), np.full(len(jt), 2)]),
    )


# --------------------------------------------------------------------------- landmarks
def _landmarks(
    rng: np.random.Generator,
    junctions: _Junctions,
    centres: _Centres,
    block_spacing_m: float,
    scale: float,
) -> dict[str, Any]:
    """Draw station exits, markets and police stations at street junctions (frame columns)."""
    jxy, jtree = junctions.xy, junctions.tree
    stations = centres.stations
    exit_near = jtree.query_ball_point(stations, r=0.9 * block_spacing_m + 60.0)
    st_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(stations))]
    xy, kind, name, weight = [], [], [], []
    for i, near in enumerate(exit_near):
        near_idx = np.sort(np.asarray(near, dtype=np.int64))
        if near_idx.size == 0:
            continue
        n_exit = min(near_idx.size, int(rng.integers(2, 5)))
        xy.append(jxy[rng.choice(near_idx, n_exit, replace=False)])
        kind += ["mtr_exit"] * n_exit
        name += [f"{st_words[i]} Station exit {chr(65 + e)}" for e in range(n_exit)]
        weight.append(np.full(n_exit, 3.0))
    mk = np.unique(jtree.query(centres.markets)[1])
    xy.append(jxy[mk])
    kind += ["market"] * len(mk)
    mk_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(mk))]
    name += [f"{w} Market" for w in mk_words]
    weight.append(np.full(len(mk), 2.0))
    n_ps = min(max(1, round(2 * scale)), len(jxy))
    ps = np.sort(rng.choice(len(jxy), n_ps, replace=False))
    xy.append(jxy[ps])
    kind += ["police_station"] * n_ps
    ps_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), n_ps)]
    name += [f"{w} Police Station" for w in ps_words]
    weight.append(np.full(n_ps, 1.0))
    return {
        "kind": np.asarray(kind, dtype=str),
        "name": np.asarray(name, dtype=str),
        "weight": np.concatenate(weight).astype(float),
        "geometry": shapely.points(np.vstack(xy)),
    }


# --------------------------------------------------------------------------- privacy zones
def _privacy_zones(
    rng: np.random.Generator, blocks: _Blocks, park: NDArray[np.bool_], scale: float
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Draw schools, clinics and residential courtyards in mid-sized blocks: (polygons, names)."""
    n_pz = max(3, round(9 * scale))
    area = shapely.area(blocks.inner)
    elig = np.flatnonzero(blocks.on_land & ~park & (area > 2500.0) & (area < 20000.0))
    cells = rng.choice(elig, min(n_pz, len(elig)), replace=False) if len(elig) else elig
    kind = np.array(["school", "clinic", "courtyard"])[np.arange(len(cells)) % 3]
    geoms = np.where(
        kind == "courtyard",
        shapely.buffer(blocks.inner[cells], -22.0),
        shapely.buffer(blocks.inner[cells], -2.0),
    )
    words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(cells))]
    pattern = {
        "school": "{} Primary School",
        "clinic": "{} Street Clinic",
        "courtyard": "{} Court residential courtyard",
    }
    names = np.array([pattern[k].format(w) for w, k in zip(words, kind, strict=True)], dtype=object)
    return geoms, names


# --------------------------------------------------------------------------- districts
def _districts(
    rng: np.random.Generator, land: _Land, extent: Any, n_districts: int
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Voronoi cells of well-spread seeds, clipped to land: (non-empty polygons, names)."""
    W, H = land.width_m, land.height_m
    cand = rng.uniform([0.0, 0.0], [W, H], size=(max(50, 30 * n_districts), 2))
    cand = cand[land.on_land(cand)]
    chosen = [0]
    dmin = np.hypot(*(cand - cand[0]).T)
    for _ in range(1, min(n_districts, len(cand))):  # farthest point first
        nxt = int(np.argmax(dmin))
        chosen.append(nxt)
        dmin = np.minimum(dmin, np.hypot(*(cand - cand[nxt]).T))
    dseeds = cand[chosen] + rng.normal(0.0, 0.03 * min(W, H), (len(chosen), 2))
    geoms = shapely.intersection(_voronoi_cells(dseeds, extent), land.land_box)
    n_names = len(DISTRICT_NAMES)
    names = np.array(
        [
            DISTRICT_NAMES[i % n_names] + ("" if i < n_names else f" {i // n_names + 1}")
            for i in range(len(geoms))
        ],
        dtype=object,
    )
    keep = ~shapely.is_empty(geoms)
    return geoms[keep], names[keep]


# --------------------------------------------------------------------------- assembly
@dataclass(frozen=True)
class _Placement:
    """Where the frames go: the CRS, the south-west corner and the coordinate grid."""

    crs: CRS
    origin: tuple[float, float]
    precision_m: float

    def place(self, geoms: NDArray[Any]) -> NDArray[Any]:
        """Move geometries to the origin and snap them to the precision grid."""
        shift = np.array([float(self.origin[0]), float(self.origin[1])])
        moved: NDArray[Any] = shapely.transform(geoms, lambda c: c + shift)
        if self.precision_m == 0:
            return moved
        p = self.precision_m
        snapped: NDArray[Any] = shapely.transform(moved, lambda c: np.round(c / p) * p)
        bad = ~shapely.is_valid(snapped)  # rare: a sliver collapsed; let GEOS repair it
        snapped[bad] = shapely.set_precision(moved[bad], p)
        return snapped

    def frame(
        self, cols: dict[str, Any], geoms: NDArray[Any], types: tuple[int, ...]
    ) -> gpd.GeoDataFrame:
        """Build a frame of the placed geometries of the given type ids (empty ones dropped)."""
        g = self.place(np.asarray(geoms, dtype=object))
        ok = ~shapely.is_empty(g) & np.isin(shapely.get_type_id(g), types)
        data = {k: np.asarray(v)[ok] for k, v in cols.items()}
        return gpd.GeoDataFrame(data, geometry=g[ok], crs=self.crs).reset_index(drop=True)


def _assemble(  # noqa: PLR0913 (one argument per group of layers)
    at: _Placement,
    corridors: _Corridors,
    footfall: NDArray[np.float64],
    incidents: tuple[NDArray[np.float64], NDArray[np.object_]],
    buildings: tuple[NDArray[np.object_], NDArray[np.float64]],
    cameras: _Cameras,
    others: dict[str, Any],
) -> dict[str, gpd.GeoDataFrame]:
    """Build the layers as frames in `LAYERS` order, placed by `at`.

    `others` holds ``districts`` and ``privacy_zones`` as (polygons, names)
    and ``landmarks`` as frame columns with ``geometry``.
    """
    ixy, icat = incidents
    bparts, height = buildings
    dgeom, dnames = others["districts"]
    pz_geom, pz_name = others["privacy_zones"]
    lm = dict(others["landmarks"])
    lm_geom = lm.pop("geometry")
    return {
        "districts": at.frame({"name": dnames.astype(str)}, dgeom, (3, 6)),
        "corridors": at.frame(
            {
                "footfall": footfall.astype(float),
                "name": corridors.name.astype(str),
                "kind": corridors.kind.astype(str),
            },
            corridors.geoms,
            (1,),
        ),
        "hotspots": at.frame(
            {
                "weight": np.array([INCIDENT_CATEGORIES[c] for c in icat]).astype(float),
                "category": icat.astype(str),
            },
            shapely.points(ixy),
            (0,),
        ),
        "buildings": at.frame({"height_m": height.astype(float)}, bparts, (3,)),
        "cameras": at.frame(
            {
                "owner": np.asarray(cameras.owner, dtype=str),
                "heading_deg": np.round(cameras.heading_deg, 1).astype(float),
                "cameras": cameras.cameras.astype(np.int64),
            },
            shapely.points(cameras.xy),
            (0,),
        ),
        "privacy_zones": at.frame({"name": pz_name.astype(str)}, pz_geom, (3,)),
        "landmarks": at.frame(lm, lm_geom, (0,)),
    }


# --------------------------------------------------------------------------- the generator
def synthetic_city(  # noqa: PLR0913 (public entry point: keyword-only options)
    *,
    width_m: float = 4000.0,
    height_m: float = 3000.0,
    n_districts: int = 8,
    seed: int = 0,
    crs: Any = "EPSG:32650",
    origin: tuple[float, float] = (360000.0, 2460000.0),
    block_spacing_m: float = 95.0,
    precision_m: float = 0.1,
) -> dict[str, gpd.GeoDataFrame]:
    """Generate a fictional, realistic coastal city as scene layers.

    Parameters
    ----------
    width_m, height_m
        Extent of the city (metres, east-west and north-south). The sea takes
        a strip along the south edge.
    n_districts
        Number of districts (irregular polygons covering the land).
    seed
        Seed of the single :class:`numpy.random.Generator` used for every draw.
    crs
        Projected CRS in metres of the output frames.
    origin
        Easting and northing (in `crs`) of the south-west corner. The default
        puts a fictional island city in UTM zone 50N (EPSG:32650) off the coast
        of Guangdong, well away from Hong Kong.
    block_spacing_m
        Typical distance between block centres in the middle-density parts of
        the city (the old town is about 0.6 times denser, the hills sparser).
        Smaller values give more streets and buildings; below about 50 m the
        blocks get too small to hold buildings behind the street setbacks.
    precision_m
        Coordinates are snapped to this grid (0 keeps full precision).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Keys ``LAYERS``: ``"districts"`` (Polygon/MultiPolygon, "name"),
        ``"corridors"`` (LineString, "footfall", "name", "kind"),
        ``"hotspots"`` (incident Points, "weight", "category"),
        ``"buildings"`` (Polygon, "height_m"), ``"cameras"`` (Points,
        "owner", "heading_deg", "cameras"), ``"privacy_zones"`` (Polygon,
        "name") and ``"landmarks"`` (Points: MTR exits, markets and police
        stations, with "kind", "name", "weight"); each with a RangeIndex and
        in `crs`.

    Raises
    ------
    ParameterError
        If a size, count or spacing is out of range.
    CRSError
        If `crs` is not projected in metres.

    Notes
    -----
    Streets are the edges of a Voronoi diagram of block centres whose density
    falls away from the old town, relaxed by two Lloyd steps. Curved arterials
    are carved in by placing mirrored pairs of block centres on both sides of
    each arterial curve, so that their Voronoi edges follow the curve. Each
    block is a Voronoi cell; buildings are rectangles along every street
    frontage, set back by the half-width of the street plus a sidewalk and
    clipped to the block, so that no building crosses a street or a footpath.
    Footfall is a base value by street kind, raised near hotspots and
    stations, times log-normal noise. Incidents are drawn from a Gaussian
    mixture around markets, stations and nightlife, then snapped to the
    nearest corridor (within 2 m). Counts of incidents, cameras, privacy
    zones and landmarks grow with the area.

    See Also
    --------
    coverage.datasets.sample_city : the bundled city made with this function.

    Examples
    --------
    >>> city = synthetic_city(width_m=600.0, height_m=500.0, n_districts=3, seed=1)
    >>> list(city)  # doctest: +NORMALIZE_WHITESPACE
    ['districts', 'corridors', 'hotspots', 'buildings', 'cameras', 'privacy_zones',
     'landmarks']
    >>> list(city["corridors"].columns)
    ['footfall', 'name', 'kind', 'geometry']
    >>> city["districts"].crs.to_epsg()
    32650
    """
    owner = "synthetic_city"
    width_m = check_number(width_m, "width_m", owner, low=200.0)
    height_m = check_number(height_m, "height_m", owner, low=200.0)
    n_districts = check_number(n_districts, "n_districts", owner, low=1, integer=True)
    seed = check_number(seed, "seed", owner, low=0, integer=True)
    block_spacing_m = check_number(block_spacing_m, "block_spacing_m", owner, low=20.0)
    precision_m = check_number(precision_m, "precision_m", owner, low=0.0)
    out_crs = _crs_or_raise(crs)
    if len(origin) != 2 or not np.all(np.isfinite(np.asarray(origin, dtype=float))):
        msg = (
            "The 'origin' parameter of synthetic_city must be (easting, northing). "
            f"Got {origin!r} instead."
        )
        raise ParameterError(msg)

    # Every stage draws from this one generator, in this order.
    rng = np.random.default_rng(seed)
    scale = width_m * height_m / _REF_AREA_M2
    land = _land(rng, width_m, height_m, block_spacing_m)
    art = _arterials(rng, land)
    blocks = _blocks(rng, land, art)
    streets = _streets(rng, land, art, blocks)
    footpaths = _footpaths(rng, land, blocks, streets)
    bparts, height, park = _buildings(rng, land, blocks, streets, footpaths)
    corridors = _corridors(land, streets, footpaths)
    centres = _hotspot_centres(rng, land, art, blocks, scale)
    footfall = _footfall(rng, corridors, centres)
    incidents = _incidents(rng, corridors, centres, scale)
    junctions, art_junctions = _junctions(streets)
    cameras = _cameras(rng, junctions, art_junctions, centres, scale)
    landmarks = _landmarks(rng, junctions, centres, block_spacing_m, scale)
    privacy_zones = _privacy_zones(rng, blocks, park, scale)
    districts = _districts(rng, land, blocks.extent, n_districts)
    return _assemble(
        _Placement(out_crs, (float(origin[0]), float(origin[1])), precision_m),
        corridors,
        footfall,
        incidents,
        (bparts, height),
        cameras,
        {"districts": districts, "privacy_zones": privacy_zones, "landmarks": landmarks},
    )


# --------------------------------------------------------------------------- writing
def write_city(
    city: dict[str, gpd.GeoDataFrame],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> Path:
    """Write every layer of `city` to one GeoPackage at `path`, atomically.

    Parameters
    ----------
    city
        Layers by name, as :func:`synthetic_city` returns them (written in
        :data:`LAYERS` order).
    path
        The GeoPackage to write.
    overwrite
        Replace `path` if it exists.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    FileExistsError
        `path` exists and `overwrite` is False.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        msg = f"{str(target)!r} exists; pass overwrite=True (--overwrite) to replace it."
        raise FileExistsError(msg)
    with atomic_path(target) as tmp:
        for layer in LAYERS:
            city[layer].to_file(
                tmp, layer=layer, driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO"
            )
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample city (:data:`SAMPLE_CITY_KWARGS`) to a GeoPackage; print a summary.

    ``python -m coverage.datasets.synthetic --write PATH [--overwrite]``. To
    regenerate the bundled file, write it to
    ``coverage/datasets/data/sample_city.gpkg`` with ``--overwrite``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m coverage.datasets.synthetic",
        description="Write the sample city (the bundled sample_city.gpkg) to a GeoPackage.",
    )
    parser.add_argument("--write", required=True, type=Path, metavar="PATH", help="file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")
    args = parser.parse_args(argv)
    if args.write.exists() and not args.overwrite:
        parser.error(f"{str(args.write)!r} exists; add --overwrite to replace it.")
    city = synthetic_city(**SAMPLE_CITY_KWARGS)
    path = write_city(city, args.write, overwrite=args.overwrite)
    for layer in LAYERS:
        print(f"{layer:>14}: {len(city[layer]):6d} rows")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
