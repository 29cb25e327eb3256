"""The coverage matrix by spatial tiles on a dask cluster.

Private: the doors are :func:`coverage.matrix.coverage_matrix` and
:func:`coverage.plan.build_matrix` with ``client=``, and
:func:`coverage.distributed.tiled_matrix`.

Each tile runs the in-process :func:`coverage.matrix.coverage_matrix` on the
origins (sites and existing sets) it owns, the demand points of its halo and
the buildings that reach into the halo.  Every quantity the matrix holds is a
function of one (origin, demand point) pair and the buildings and privacy
zones within ``range_m`` of the origin, all present in the tile; so the
tile's rows are exactly the single-machine rows of its origins.  The driver
then renumbers rows (candidates by site then rotation, then the existing
sets) and columns (the halo's global demand index).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_array

from coverage.camera import CameraSet
from coverage.distributed._tiles import HALO_MARGIN_M, TilePlan, plan_tiles
from coverage.matrix import CoverageMatrix, coverage_matrix, row_orientations

#: Progress of a stage: ``progress(stage, done, total)`` (the plan's ProgressCallback).
Progress = Callable[[str, float, float | None], None]


@dataclass(frozen=True)
class TileInput:
    """What one tile needs: its origins, its halo of demand and the nearby layers."""

    tile: int
    site_ids: NDArray[np.int64]
    sites_xy: NDArray[np.float64]
    bearings: list[Sequence[float]] | None
    existing_ids: NDArray[np.int64]
    existing_xy: NDArray[np.float64]
    existing_heading_deg: NDArray[np.float64]
    existing_cameras: NDArray[np.int64]
    halo_ids: NDArray[np.int64]
    demand_xy: NDArray[np.float64]
    buildings: NDArray[np.object_]
    zones: NDArray[np.object_]
    camera_set: CameraSet
    clearance_m: float
    privacy_n_rays: int
    credit: Any = None  # DemandCredit of the halo's points
    privacy_max_tier: Sequence[str | None] | None = None  # one per zone (all zones travel)


@dataclass(frozen=True)
class TileMatrix:
    """One tile's rows: the in-process matrix of its origins over its halo (local indices)."""

    tile: int
    cm: CoverageMatrix
    site_ids: NDArray[np.int64]
    existing_ids: NDArray[np.int64]
    halo_ids: NDArray[np.int64]
    seconds: float = 0.0  # wall time of the build on its worker

    def global_rows(self, site_start: NDArray[np.int64], n_candidates: int) -> NDArray[np.int64]:
        """Global row of each local row, given the first global row of each of its sites."""
        cm = self.cm
        out = np.empty(cm.A.shape[0], dtype=np.int64)
        cand = cm.site >= 0
        s = cm.site[cand]
        # rows of one site are consecutive and in rotation order: position within the site
        first = np.searchsorted(s, s, side="left")
        out[cand] = site_start[s] + (np.arange(s.size) - first)
        out[~cand] = n_candidates + self.existing_ids[cm.existing[~cand]]
        return out


def build_tile(inp: TileInput) -> TileMatrix:
    """Run the in-process matrix on one tile (a pure function: safe to retry)."""
    t0 = time.perf_counter()
    n_ex = len(inp.existing_ids)
    cm = coverage_matrix(
        inp.sites_xy,
        inp.demand_xy,
        inp.camera_set,
        buildings=inp.buildings if inp.buildings.size else None,
        privacy_zones=inp.zones if inp.zones.size else None,
        site_bearings_deg=inp.bearings,
        existing_xy=inp.existing_xy if n_ex else None,
        existing_heading_deg=inp.existing_heading_deg if n_ex else None,
        existing_cameras=inp.existing_cameras if n_ex else None,
        clearance_m=inp.clearance_m,
        privacy_n_rays=inp.privacy_n_rays,
        credit=inp.credit,
        privacy_max_tier=inp.privacy_max_tier,
    )
    seconds = time.perf_counter() - t0
    return TileMatrix(inp.tile, cm, inp.site_ids, inp.existing_ids, inp.halo_ids, seconds)


def tile_summary(tm: TileMatrix) -> dict[str, Any]:
    """Small facts about a tile for the driver: rows kept per owned site, counts, width."""
    cm = tm.cm
    cand = cm.site >= 0
    kept = np.bincount(cm.site[cand], minlength=len(tm.site_ids)).astype(np.int64)
    return {
        "tile": tm.tile,
        "site_ids": tm.site_ids,
        "kept_per_site": kept,
        "n_rows": int(cm.A.shape[0]),
        "nnz": int(cm.A.nnz),
        "n_halo": len(tm.halo_ids),
        "n_sites": len(tm.site_ids),
        "seconds": tm.seconds,
        "meta": {k: v for k, v in cm.meta.items() if isinstance(v, int)},
    }


def tile_entries(
    tm: TileMatrix, site_start: NDArray[np.int64], n_candidates: int, width: int
) -> dict[str, NDArray[Any]]:
    """Return the tile's entries and row facts in global numbering (for gathering)."""
    cm = tm.cm
    rows = tm.global_rows(site_start[tm.site_ids], n_candidates)
    coo = cm.A.tocoo()
    head = np.full((cm.A.shape[0], width), np.nan)
    head[:, : cm.headings_deg.shape[1]] = cm.headings_deg
    cand = cm.site >= 0
    return {
        "r": rows[coo.row],
        "c": tm.halo_ids[coo.col],
        "v": coo.data,
        "rows": rows,
        "rotation": cm.rotation,
        "headings": head,
        "cand": cand,
    }


@dataclass
class TiledMatrix:
    """A coverage matrix whose tiles live on the workers (futures), with its row layout.

    Nothing large is on the driver: the tiles stay where they were built, and
    :meth:`gather` assembles the whole :class:`~coverage.matrix.CoverageMatrix`
    only when asked.
    """

    client: Any
    tiles: list[Any]  # futures of TileMatrix
    plan: TilePlan
    n_sites: int
    n_existing: int
    n_demand: int
    width: int  # cameras per row of the headings array
    site_start: NDArray[np.int64]  # first global row of each site (kept rows)
    n_candidates: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Rows of the whole matrix (candidates, then existing sets)."""
        return self.n_candidates + self.n_existing

    @property
    def fixed(self) -> NDArray[np.int64]:
        """Global rows of the existing sets."""
        return np.arange(self.n_candidates, self.n_rows, dtype=np.int64)

    def gather(self, progress: Progress | None = None) -> CoverageMatrix:
        """Bring every tile to the driver and assemble the whole matrix (the only big gather)."""
        site_start = submit(self.client, _keep, self.site_start)  # once, not once per tile
        futs = [
            self.client.submit(
                tile_entries, t, site_start, self.n_candidates, self.width, pure=False
            )
            for t in self.tiles
        ]
        parts = _collect(self.client, futs, "matrix: gather", progress)
        return _assemble(self, parts)


def _assemble(tm: TiledMatrix, parts: list[dict[str, NDArray[Any]]]) -> CoverageMatrix:
    """Build the global CoverageMatrix from the tiles' entries in global numbering."""
    from coverage.matrix import _csr

    n_rows = tm.n_rows
    site = np.full(n_rows, -1, dtype=np.int64)
    rotation = np.zeros(n_rows, dtype=np.int64)
    headings = np.full((n_rows, tm.width), np.nan)
    for p in parts:
        rows = p["rows"]
        cand = p["cand"]
        rotation[rows] = p["rotation"]
        headings[rows] = p["headings"]
        site[rows[cand]] = np.searchsorted(tm.site_start, rows[cand], side="right") - 1
    existing = np.full(n_rows, -1, dtype=np.int64)
    existing[tm.n_candidates :] = np.arange(tm.n_existing, dtype=np.int64)
    groups = site.copy()
    groups[tm.n_candidates :] = tm.n_sites + np.arange(tm.n_existing, dtype=np.int64)
    r = np.concatenate([p["r"] for p in parts]) if parts else np.zeros(0, np.int64)
    c = np.concatenate([p["c"] for p in parts]) if parts else np.zeros(0, np.int64)
    v = np.concatenate([p["v"] for p in parts]) if parts else np.zeros(0)
    A: csr_array = _csr(r, c, v, (n_rows, tm.n_demand))
    return CoverageMatrix(
        A=A,
        site=site,
        existing=existing,
        rotation=rotation,
        headings_deg=headings,
        fixed=tm.fixed,
        groups=groups,
        meta=dict(tm.meta),
    )


def _collect(client: Any, futures: list[Any], stage: str, progress: Progress | None) -> list[Any]:
    """Results of `futures` in their order, reporting ``(stage, done, total)`` as they finish."""
    from distributed import as_completed

    each: Any = as_completed  # untyped in distributed
    total = len(futures)
    if progress is not None:
        progress(stage, 0, total)
    for done, _ in enumerate(each(futures, loop=client.loop), 1):
        if progress is not None:
            progress(stage, done, total)
    return list(client.gather(futures))


def submit(client: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """``client.submit`` with the data in the task (so a lost worker's task can be rerun).

    The inputs travel inside the graph, which the scheduler keeps until the
    result is released: dask can then rerun a task whose worker died.  The
    large-graph warning is raised above the sizes tiles have.
    """
    import dask

    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "2GiB"}):
        return client.submit(fn, *args, pure=False)


def tiled_matrix(  # noqa: PLR0913 -- the data, then keyword-only options (as coverage_matrix)
    sites: NDArray[np.float64],
    demand: NDArray[np.float64],
    camera_set: CameraSet,
    *,
    client: Any,
    n_tiles: int,
    buildings: NDArray[np.object_],
    zones: NDArray[np.object_],
    bearings: Sequence[Sequence[float]] | None,
    existing: Any,
    clearance_m: float,
    privacy_n_rays: int,
    progress: Progress | None = None,
    credit: Any = None,
    privacy_max_tier: Sequence[str | None] | None = None,
    demand_zones: NDArray[np.object_] | None = None,
) -> TiledMatrix:
    """Build the tiles on the workers (checked inputs; see :func:`coverage_matrix`).

    `zones` are all the privacy zones (each tile gets them all, with
    `privacy_max_tier`); `demand_zones` those whose demand earns nothing (the
    zones without a tier; default: all), counted once on the driver.  A
    `credit` (:class:`coverage.criteria.DemandCredit`) is cut to each halo.
    """
    if camera_set.rotations == "corridors":
        row_orientations(len(sites), camera_set, bearings)  # the same check as in process
    if credit is not None:  # the same checks as in process, before the halos cut it
        from coverage.matrix import _point_credit

        _point_credit(
            demand[:0], None, np.zeros(0, dtype=object), np.zeros(0, np.int64), camera_set
        )
        _check_credit_length(credit, len(demand))
    range_m = float(camera_set.range_m)  # type: ignore[arg-type]
    reach = range_m + HALO_MARGIN_M
    plan = plan_tiles(sites, existing.xy, demand, n_tiles=n_tiles, reach_m=reach)
    tree = shapely.STRtree(buildings) if buildings.size else None
    futures = []
    for t, (s, e, h, box) in enumerate(
        zip(plan.sites, plan.existing, plan.halo, plan.boxes, strict=True)
    ):
        bld = buildings[np.sort(tree.query(shapely.box(*box)))] if tree is not None else buildings
        inp = TileInput(
            tile=t,
            site_ids=s,
            sites_xy=sites[s],
            bearings=None if bearings is None else [bearings[i] for i in s],
            existing_ids=e,
            existing_xy=existing.xy[e],
            existing_heading_deg=existing.heading_deg[e],
            existing_cameras=existing.cameras[e],
            halo_ids=h,
            demand_xy=demand[h],
            buildings=bld,
            zones=zones,
            camera_set=camera_set,
            clearance_m=clearance_m,
            privacy_n_rays=privacy_n_rays,
            credit=_credit_of(credit, h),
            privacy_max_tier=privacy_max_tier,
        )
        futures.append(submit(client, build_tile, inp))
    summaries = _collect(
        client,
        [client.submit(tile_summary, f, pure=False) for f in futures],
        "matrix: tiles",
        progress,
    )
    kept = np.zeros(len(sites), dtype=np.int64)
    costs = [
        {k: smr[k] for k in ("tile", "n_sites", "n_halo", "nnz", "seconds")} for smr in summaries
    ]
    meta: dict[str, Any] = {"n_pairs_in_range": 0, "n_pairs_visible": 0, "n_privacy_excluded": 0}
    for smr in summaries:
        kept[smr["site_ids"]] = smr["kept_per_site"]
        for k in meta:
            meta[k] += int(smr["meta"].get(k, 0))
    site_start = (np.cumsum(kept) - kept).astype(np.int64)
    n_in_zones = 0
    count_zones = zones if demand_zones is None else demand_zones
    if count_zones.size and len(demand):
        hit = shapely.STRtree(count_zones).query(shapely.points(demand), predicate="intersects")[0]
        n_in_zones = int(np.unique(hit).size)
    meta["n_demand_in_privacy"] = n_in_zones
    meta["n_demand_masked"] = _n_masked(zones, demand_zones, demand)
    meta["n_tiles"] = len(futures)
    meta["tile_costs"] = costs
    width = int(max(camera_set.n_cameras, existing.cameras.max(initial=0)))
    return TiledMatrix(
        client=client,
        tiles=futures,
        plan=plan,
        n_sites=len(sites),
        n_existing=len(existing.xy),
        n_demand=len(demand),
        width=width,
        site_start=site_start,
        n_candidates=int(kept.sum()),
        meta=meta,
    )


def n_tiles_for(client: Any, n_tiles: int | None) -> int:
    """Return `n_tiles` checked, or four tiles per worker of `client` when None."""
    from coverage._validate import check_number

    if n_tiles is not None:
        return int(check_number(n_tiles, "n_tiles", "coverage_matrix", low=1, integer=True))
    n_workers = len(client.scheduler_info().get("workers", {})) or 1
    return 4 * n_workers


def _keep(x: Any) -> Any:
    return x


def _credit_of(credit: Any, halo: NDArray[np.int64]) -> Any:
    """Return the DemandCredit of the halo's points (None stays None)."""
    if credit is None:
        return None
    from dataclasses import replace

    crit = np.asarray(credit.criterion, dtype=object).reshape(-1)[halo]
    bearing = credit.bearing_deg
    if bearing is not None:
        bearing = np.asarray(bearing, dtype=np.float64).reshape(-1)[halo]
    return replace(credit, criterion=crit, bearing_deg=bearing)


def _check_credit_length(credit: Any, m: int) -> None:
    """Check that a credit gives one criterion (and bearing) per demand point."""
    from coverage.errors import InputError

    n = len(np.asarray(credit.criterion, dtype=object).reshape(-1))
    nb = m if credit.bearing_deg is None else len(np.asarray(credit.bearing_deg).reshape(-1))
    if n != m or nb != m:
        what = "criterion" if n != m else "bearing_deg"
        msg = f"coverage_matrix: credit.{what} must give one entry per demand point ({m})."
        raise InputError(msg)


def _n_masked(
    zones: NDArray[np.object_], demand_zones: NDArray[np.object_] | None, demand: NDArray[Any]
) -> int:
    """Demand points inside a zone with a tier (their credit capped), counted once."""
    if demand_zones is None or not zones.size or not len(demand):
        return 0
    ruled = zones[~np.isin(np.arange(len(zones)), _positions(zones, demand_zones))]
    if not ruled.size:
        return 0
    hit = shapely.STRtree(ruled).query(shapely.points(demand), predicate="intersects")[0]
    return int(np.unique(hit).size)


def _positions(zones: NDArray[np.object_], subset: NDArray[np.object_]) -> NDArray[np.int64]:
    """Positions in `zones` of the (identical) geometry objects of `subset`."""
    ids = {id(z): i for i, z in enumerate(zones)}
    return np.array([ids[id(z)] for z in subset if id(z) in ids], dtype=np.int64)
