"""Spatial tiles: a regular grid over the origins (sites and existing sets), each with a halo.

Private (numpy only; no dask).  A tile *owns* the origins inside its cell and
*sees* every demand point within ``range_m + margin_m`` of the bounding box of
the origins it owns: every (origin, demand) pair within range is therefore
inside exactly one tile, the one owning the origin.  Demand points are owned
by the cell they fall in (clipped to the grid), so counts over demand add up
once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Added to ``range_m`` around a tile's origins: well above the matrix's edge tolerance
#: (a micrometre), so no pair within range is left outside a halo by rounding.
HALO_MARGIN_M = 1.0


@dataclass(frozen=True)
class TileGrid:
    """A grid of ``nx`` × ``ny`` cells over a box, in the working CRS (metres).

    Attributes
    ----------
    x0, y0
        Lower-left corner of the grid.
    width_m, height_m
        Size of one cell.
    nx, ny
        Number of columns and rows of cells.
    """

    x0: float
    y0: float
    width_m: float
    height_m: float
    nx: int
    ny: int

    @property
    def n_tiles(self) -> int:
        """Number of cells."""
        return self.nx * self.ny

    def cell_of(self, xy: NDArray[np.float64]) -> NDArray[np.int64]:
        """Cell index (``iy * nx + ix``) of each point; points outside go to the nearest cell."""
        if len(xy) == 0:
            return np.zeros(0, dtype=np.int64)
        ix = np.floor((xy[:, 0] - self.x0) / self.width_m).astype(np.int64)
        iy = np.floor((xy[:, 1] - self.y0) / self.height_m).astype(np.int64)
        ix = np.clip(ix, 0, self.nx - 1)
        iy = np.clip(iy, 0, self.ny - 1)
        return np.asarray(iy * self.nx + ix, dtype=np.int64)


def grid_shape(n_tiles: int, width_m: float, height_m: float) -> tuple[int, int]:
    """(nx, ny) with ``nx * ny`` close to `n_tiles` and cells as square as the box allows.

    Examples
    --------
    >>> grid_shape(4, 100.0, 100.0), grid_shape(9, 100.0, 100.0), grid_shape(2, 50.0, 100.0)
    ((2, 2), (3, 3), (1, 2))
    """
    aspect = max(width_m, 1e-9) / max(height_m, 1e-9)
    best: tuple[float, int, int] | None = None
    for nx in range(1, n_tiles + 1):
        ny = max(1, round(n_tiles / nx))
        # how far from the wanted count, then how far from square cells
        cost = abs(nx * ny - n_tiles) * 10.0 + abs(math.log(aspect * ny / nx))
        if best is None or cost < best[0]:
            best = (cost, nx, ny)
    assert best is not None
    return best[1], best[2]


def tile_grid(origins_xy: NDArray[np.float64], n_tiles: int) -> TileGrid:
    """Cut the bounding box of the origins into about `n_tiles` cells.

    Examples
    --------
    >>> g = tile_grid(np.array([[0.0, 0.0], [10.0, 10.0]]), 4)
    >>> (g.nx, g.ny), g.cell_of(np.array([[1.0, 1.0], [9.0, 9.0], [99.0, -5.0]])).tolist()
    ((2, 2), [0, 3, 1])
    """
    if len(origins_xy) == 0:
        return TileGrid(0.0, 0.0, 1.0, 1.0, 1, 1)
    lo = origins_xy.min(axis=0)
    hi = origins_xy.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    nx, ny = grid_shape(n_tiles, float(span[0]), float(span[1]))
    # a hair wider than the box, so the far edge falls inside the last cell
    return TileGrid(
        float(lo[0]),
        float(lo[1]),
        float(span[0]) * (1 + 1e-9) / nx,
        float(span[1]) * (1 + 1e-9) / ny,
        nx,
        ny,
    )


@dataclass(frozen=True)
class TilePlan:
    """Which origins each tile owns and which demand points it sees."""

    grid: TileGrid
    sites: list[NDArray[np.int64]]  # ascending site indices owned by each tile
    existing: list[NDArray[np.int64]]  # ascending existing-set indices owned by each tile
    halo: list[NDArray[np.int64]]  # ascending demand indices within reach of each tile
    owned_demand: list[NDArray[np.int64]]  # demand indices in each tile's cell
    boxes: list[tuple[float, float, float, float]]  # reach box of each tile (xmin, ymin, ...)


def plan_tiles(
    sites_xy: NDArray[np.float64],
    existing_xy: NDArray[np.float64],
    demand_xy: NDArray[np.float64],
    *,
    n_tiles: int,
    reach_m: float,
) -> TilePlan:
    """Assign origins and demand to tiles; tiles owning no origin are left out.

    `reach_m` is ``range_m + HALO_MARGIN_M``: a tile sees the demand points in
    the bounding box of its origins grown by it (a box holds the disc of every
    origin, so no pair within range is missed).
    """
    origins = np.concatenate([sites_xy, existing_xy])
    grid = tile_grid(origins, n_tiles)
    cell_s = grid.cell_of(sites_xy)
    cell_e = grid.cell_of(existing_xy)
    cell_d = grid.cell_of(demand_xy)
    order_d = np.argsort(demand_xy[:, 0], kind="stable") if len(demand_xy) else np.zeros(0, int)
    xs = demand_xy[order_d, 0] if len(demand_xy) else np.zeros(0)
    plan = TilePlan(grid, [], [], [], [], [])
    for t in range(grid.n_tiles):
        s = np.flatnonzero(cell_s == t).astype(np.int64)
        e = np.flatnonzero(cell_e == t).astype(np.int64)
        if s.size == 0 and e.size == 0:
            continue
        own = np.concatenate([sites_xy[s], existing_xy[e]])
        xmin, ymin = own.min(axis=0) - reach_m
        xmax, ymax = own.max(axis=0) + reach_m
        a = int(np.searchsorted(xs, xmin, side="left"))
        b = int(np.searchsorted(xs, xmax, side="right"))
        cand = order_d[a:b]
        y = demand_xy[cand, 1]
        halo = np.sort(cand[(y >= ymin) & (y <= ymax)]).astype(np.int64)
        plan.sites.append(s)
        plan.existing.append(e)
        plan.halo.append(halo)
        plan.owned_demand.append(np.flatnonzero(cell_d == t).astype(np.int64))
        plan.boxes.append((float(xmin), float(ymin), float(xmax), float(ymax)))
    # demand in a cell that owns no origin still has to be counted once: give it to tile 0
    counted = np.zeros(len(demand_xy), dtype=bool)
    for od in plan.owned_demand:
        counted[od] = True
    if plan.owned_demand and not counted.all():
        rest = np.flatnonzero(~counted).astype(np.int64)
        plan.owned_demand[0] = np.union1d(plan.owned_demand[0], rest).astype(np.int64)
    return plan
