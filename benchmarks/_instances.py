"""City-like synthetic max-coverage instances (sites × demand points, quality values).

A street grid with jittered, partly missing blocks; demand points sampled along
streets with footfall that decays from a few centres (and hotspots); candidate
sites along the streets; each site hosts ``rotations`` configurations (a
3-camera set in a few headings), each covering the demand points in its
sectors within ``range_m`` with a quality that falls with distance.

The generator is vectorized (a KD-tree of demand points), so 150,000 ×
1,000,000 builds in tens of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.spatial import cKDTree


@dataclass(frozen=True, eq=False)
class Instance:
    """A generated instance: ``A`` (rows = configurations), ``weights``, ``groups`` (site)."""

    A: csr_array
    weights: NDArray[np.float64]
    groups: NDArray[np.int64]
    site_xy: NDArray[np.float64]
    row_xy: NDArray[np.float64]
    demand_xy: NDArray[np.float64]
    name: str


def _street_points(
    rng: np.random.Generator, n: int, side_m: float, block_m: float
) -> NDArray[np.float64]:
    """``n`` points on a jittered grid of streets over a square of side ``side_m``."""
    n_lines = max(2, int(side_m / block_m))
    offsets = (np.arange(n_lines) + 0.5) * side_m / n_lines
    offsets = offsets + rng.normal(0, block_m * 0.08, size=n_lines)
    horizontal = rng.random(n) < 0.5
    line = rng.integers(0, n_lines, size=n)
    along = rng.random(n) * side_m
    across = offsets[line] + rng.normal(0, 3.0, size=n)  # street width
    x = np.where(horizontal, along, across)
    y = np.where(horizontal, across, along)
    return np.column_stack([x, y])


def city_instance(
    n_rows: int,
    n_demand: int,
    *,
    rotations: int = 4,
    range_m: float = 40.0,
    hfov_deg: float = 90.0,
    cameras: int = 3,
    seed: int = 0,
    density_per_km2: float = 2_500.0,
) -> Instance:
    """Build an instance with ``n_rows`` configurations and ``n_demand`` points.

    The city side is chosen so that demand density is ``density_per_km2``
    (about one point every 10 m of street); sites number ``n_rows // rotations``.
    """
    rng = np.random.default_rng(seed)
    n_sites = max(1, n_rows // rotations)
    side_m = float(np.sqrt(n_demand / density_per_km2) * 1000.0)
    block_m = 90.0
    demand_xy = _street_points(rng, n_demand, side_m, block_m)
    site_xy = _street_points(rng, n_sites, side_m, block_m)

    # weights: footfall from a few centres, times (1 + hotspot risk)
    n_centres = max(1, int(side_m / 1500))
    centres = rng.random((n_centres, 2)) * side_m
    d_c = np.min(
        np.hypot(
            demand_xy[:, None, 0] - centres[None, :, 0], demand_xy[:, None, 1] - centres[None, :, 1]
        ),
        axis=1,
    )
    footfall = 0.2 + np.exp(-d_c / (side_m / 4 + 1.0)) * rng.lognormal(0, 0.5, size=n_demand)
    n_hot = max(1, n_demand // 5000)
    hot = rng.random((n_hot, 2)) * side_m
    tree_hot = cKDTree(hot)
    dh, _ = tree_hot.query(demand_xy, k=1)
    risk = np.exp(-((dh / 150.0) ** 2))
    weights = footfall * (1.0 + risk)

    # configurations: each site, `rotations` headings of a `cameras`-sector set
    tree = cKDTree(demand_xy)
    pairs = tree.query_ball_point(site_xy, r=range_m, return_sorted=False)
    lens = np.fromiter((len(p) for p in pairs), dtype=np.int64, count=n_sites)
    site_of = np.repeat(np.arange(n_sites), lens)
    cols = (
        np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
        if lens.sum()
        else (np.zeros(0, dtype=np.int64))
    )
    dx = demand_xy[cols, 0] - site_xy[site_of, 0]
    dy = demand_xy[cols, 1] - site_xy[site_of, 1]
    dist = np.hypot(dx, dy)
    az = np.degrees(np.arctan2(dx, dy)) % 360.0
    base = rng.random(n_sites) * 360.0
    # DORI-like quality tiers by distance, plus a little noise; within (0, 1]
    quality = np.select(
        [dist < range_m * 0.3, dist < range_m * 0.6, dist < range_m * 0.85],
        [1.0, 0.75, 0.5],
        default=0.25,
    )
    rows_r, cols_r, vals_r = [], [], []
    sector_half = hfov_deg / 2.0
    for r in range(rotations):
        heading = base[site_of] + r * (360.0 / cameras) / rotations
        inside = np.zeros(cols.size, dtype=bool)
        for c in range(cameras):
            h = (heading + c * 360.0 / cameras) % 360.0
            diff = np.abs((az - h + 180.0) % 360.0 - 180.0)
            inside |= diff <= sector_half
        inside |= dist < 3.0
        rows_r.append(site_of[inside] * rotations + r)
        cols_r.append(cols[inside])
        vals_r.append(quality[inside])
    rows = np.concatenate(rows_r)
    A = csr_array(
        (np.concatenate(vals_r), (rows, np.concatenate(cols_r))),
        shape=(n_sites * rotations, n_demand),
    )
    A.sum_duplicates()
    groups = np.repeat(np.arange(n_sites, dtype=np.int64), rotations)
    row_xy = np.repeat(site_xy, rotations, axis=0)
    return Instance(
        A=A,
        weights=weights,
        groups=groups,
        site_xy=site_xy,
        row_xy=row_xy,
        demand_xy=demand_xy,
        name=f"{n_sites * rotations}x{n_demand}",
    )
