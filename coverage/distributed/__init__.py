"""Beyond one machine: the coverage matrix by spatial tiles and the solve on a dask cluster.

Needs the ``distributed`` extra (``pip install 'coverage-planner[distributed]'``:
dask, distributed, dask-geopandas).  ``import coverage`` and every in-process
path never import dask; this package imports it only when a function here
runs.

The doors
---------
- :func:`coverage.matrix.coverage_matrix` and :func:`coverage.plan.build_matrix`
  with ``client=``: the matrix by tiles, assembled on the driver, identical to
  the in-process matrix (same rows, columns and values).
- :func:`coverage.plan.solve` with ``client=``: tiles built on the workers,
  the optimizer run on them (:func:`solve_tiles`), then the matrix gathered
  once for the :class:`~coverage.plan.Plan` (which holds it for evaluation).
- :func:`build_tiles` and :func:`solve_tiles`: the same without gathering the
  matrix; the driver holds only curves, bounds and the chosen rows.
- :func:`max_coverage`: a matrix on the driver, cut into pieces solved on the
  workers (also :func:`coverage.optimize.max_coverage` with ``client=``).
- :func:`connect`: ``with connect("local", workers=2) as client:`` (a
  LocalCluster of worker processes) or ``connect("tcp://host:8786")`` (a running
  scheduler); the CLI's ``[compute]`` section and ``--scheduler`` use it.

Tiles
-----
A regular grid over the sites and existing sets (``n_tiles`` cells, as square
as the box allows); a tile owns the origins in its cell and sees the demand
points within ``range_m`` + 1 m of their bounding box (the halo), and the
buildings reaching into it.  Every pair within range is computed once, by
the tile owning its origin, with the in-process code: the assembled matrix is
the single-machine matrix exactly.

The solve
---------
See :mod:`coverage.distributed._solve` for the rounds and the proof of the
bound: the workers return greedy curves (gains), plans of their share of the
budget, their best rows for swaps and Lagrangian multipliers; the driver
allocates the budget (largest gains first), colours the pieces so that
neighbours are solved one after the other, swaps sets across pieces when the
exact objective rises, and adds the bound up with one multiplier per column
(a column seen from two tiles is counted once).  The plan's
``upper_bound`` is proven; ``objective`` is recomputed from the chosen rows.

Faults
------
The tasks are pure and their inputs travel in the task graph, which the
scheduler keeps: when a worker dies, dask reruns its tasks elsewhere and the
result does not change.

What is gathered
----------------
``solve_tiles`` brings to the driver, per piece: at most ``K`` gains, the
entries of the chosen rows, a few rows offered for swaps, the entries of the
existing sets, the shared columns' multipliers and at most ``K`` group
values.  The task graph (on the scheduler) holds each tile's inputs, so that
a lost tile can be rebuilt.  ``gather`` (and
``coverage.plan.solve``) bring the whole matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage.distributed._matrix import TiledMatrix
from coverage.distributed._solve import Entries, Options, Pieces, piece_of_tile, solve_pieces
from coverage.distributed._tiles import TileGrid, tile_grid
from coverage.errors import ParameterError

if TYPE_CHECKING:
    import geopandas as gpd

    from coverage.optimize import Solution
    from coverage.plan import Problem

__all__ = [
    "SCHEMES",
    "TileGrid",
    "TiledMatrix",
    "build_tiles",
    "check_scheduler",
    "connect",
    "max_coverage",
    "solve_tiles",
    "tile_grid",
]

Progress = Callable[[str, float, float | None], None]


@contextmanager
def connect(scheduler: str = "local", *, workers: int = 2) -> Iterator[Any]:
    """Yield a ``dask.distributed.Client`` on a LocalCluster or a running scheduler.

    The client (and the local cluster) are closed when the ``with`` block ends.

    Parameters
    ----------
    scheduler
        ``"local"``: start a ``LocalCluster`` of `workers` processes with one
        thread each.  Otherwise the address of a running scheduler, e.g.
        ``"tcp://10.0.0.5:8786"`` (``tls://``, ``ucx://`` and ``inproc://`` too).
    workers
        Worker processes of the local cluster (ignored for an address).

    Raises
    ------
    ImportError
        If the ``distributed`` extra is not installed.
    coverage.errors.ParameterError
        If `workers` is not an int >= 1 or `scheduler` is neither ``"local"``
        nor an address.

    Examples
    --------
    >>> from coverage.distributed import connect
    >>> with connect("local", workers=1) as client:  # doctest: +SKIP
    ...     len(client.scheduler_info()["workers"])
    1
    """
    from coverage._validate import check_number

    workers = int(check_number(workers, "workers", "connect", low=1, integer=True))
    check_scheduler(scheduler, "connect")
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the extra is installed where tests run
        msg = (
            "coverage.distributed needs dask.distributed: pip install "
            "'coverage-planner[distributed]' (dask, distributed, dask-geopandas)."
        )
        raise ImportError(msg) from exc
    dist: Any = distributed  # untyped
    if scheduler == "local":
        # the diagnostics server on any free port: another cluster on this machine holding
        # 8787 is then no conflict
        with (
            dist.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            dist.Client(cluster, set_as_default=False) as client,
        ):
            yield client
        return
    with dist.Client(scheduler, set_as_default=False) as client:
        yield client


#: Address schemes of a dask scheduler.
SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://")


def check_scheduler(scheduler: Any, owner: str) -> str:
    """Check a scheduler: ``"local"`` or an address such as ``"tcp://host:8786"``.

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786", "connect")
    'tcp://10.0.0.5:8786'
    """
    if not isinstance(scheduler, str) or not (
        scheduler == "local" or scheduler.startswith(SCHEMES)
    ):
        msg = (
            f"The 'scheduler' parameter of {owner} must be \"local\" (a LocalCluster on this "
            f'machine) or a scheduler address such as "tcp://host:8786". Got {scheduler!r}.'
        )
        raise ParameterError(msg)
    return scheduler


def build_tiles(
    problem: Problem,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    client: Any,
    n_tiles: int | None = None,
    progress: Progress | None = None,
) -> tuple[TiledMatrix, Any]:
    """Build `problem`'s matrix by tiles on the workers and keep it there.

    Returns the :class:`TiledMatrix` and the resolved existing sets
    (:class:`coverage.assumptions.ExistingSets`); ``gather()`` gives the
    matrix :func:`coverage.plan.build_matrix` returns.
    """
    from coverage import plan as _plan
    from coverage.distributed import _matrix
    from coverage.matrix import _existing_sets, _points, _zone_caps
    from coverage.visibility import CLEARANCE_M

    scene = problem.scene
    ex = _plan._existing_sets(problem, demand)
    cam = problem.camera
    existing = _existing_sets(
        ex.xy if len(ex.xy) else None,
        ex.heading_deg if len(ex.xy) else None,
        ex.cameras if len(ex.xy) else None,
        cam,
    )
    bld = scene.buildings.geometry.values if problem.occlusion else None
    zones = scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None
    zones_arr = np.asarray(zones if zones is not None else [], dtype=object)
    tiers = _plan.privacy_max_tier(problem)
    zone_cap = _zone_caps(zones_arr, tiers, cam)
    tiled = _matrix.tiled_matrix(
        _points(_plan._xy(sites), "sites_xy"),
        _points(_plan._xy(demand), "demand_xy"),
        cam,
        client=client,
        n_tiles=_matrix.n_tiles_for(client, n_tiles),
        buildings=np.asarray(bld if bld is not None else [], dtype=object),
        zones=zones_arr,
        bearings=list(sites["bearings_deg"]),
        existing=existing,
        clearance_m=CLEARANCE_M,
        privacy_n_rays=360,
        progress=progress,
        credit=_plan.demand_credit(problem, demand),
        privacy_max_tier=tiers,
        demand_zones=zones_arr[zone_cap < 0],
    )
    return tiled, ex


def gather_plan_matrix(tiled: TiledMatrix, ex: Any, progress: Progress | None = None) -> Any:
    """Gather the matrix and number its existing rows as :func:`coverage.plan.build_matrix` does."""
    from coverage.plan import _with_scene_existing

    return _with_scene_existing(tiled.gather(progress), ex)


def solve_tiles(  # noqa: PLR0913 -- the tiles, then keyword-only terms
    tiled: TiledMatrix,
    weights: ArrayLike,
    *,
    budgets: Sequence[int],
    method: str = "auto",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: int | None = 0,
    progress: Progress | None = None,
    on_phase: Callable[[int, Solution], None] | None = None,
    release_tiles: bool = False,
) -> tuple[Solution, ...]:
    """Solve the phases on the tiles where they are; the matrix never comes to the driver.

    Each phase adds ``budgets[p]`` sets to the existing sets and the earlier
    phases (as :func:`coverage.optimize.plan_phases`).  Rows are numbered as
    in the gathered matrix.

    With ``release_tiles=True`` the workers drop the tiles once the pieces
    (the candidate rows the solve needs) are built, halving their memory;
    ``tiled.gather()`` is then no longer possible.

    Returns
    -------
    tuple of Solution
        One per phase, ``method="distributed"``, with a proven ``upper_bound``.
    """
    from coverage.distributed import _solve

    client = tiled.client
    w = np.asarray(weights, dtype=np.float64)
    counts = np.bincount(np.concatenate(tiled.plan.halo), minlength=tiled.n_demand)
    site_start = _solve._share(client, tiled.site_start)
    futs = [
        client.submit(
            piece_of_tile,
            t,
            site_start,
            tiled.n_candidates,
            w[h],
            counts[h] >= 2,
            pure=False,
        )
        for t, h in zip(tiled.tiles, tiled.plan.halo, strict=True)
    ]
    edges = _solve.sharing(tiled.plan.halo, tiled.n_demand)
    fixed_parts = [
        client.submit(_solve.fixed_of_tile, t, site_start, tiled.n_candidates, pure=False)
        for t in tiled.tiles
    ]
    fixed = Entries.empty()
    for part in client.gather(fixed_parts):
        fixed = fixed + part
    nnz_each = [int(n) for n in client.gather([client.submit(_nnz, f) for f in futs])]
    pieces = Pieces(client, futs, edges, tiled.n_rows, tiled.n_demand, nnz_each)
    if release_tiles:  # the pieces hold the rows now; a lost piece is rebuilt from the graph
        tiled.tiles.clear()
    site_start = tiled.site_start

    def group_of(rows: NDArray[np.int64]) -> NDArray[np.int64]:
        return (np.searchsorted(site_start, rows, side="right") - 1).astype(np.int64)

    options = Options(method, time_limit_s, gap_tol, rng)
    return _phases(pieces, w, fixed, budgets, options, group_of, progress, on_phase)


def _nnz(piece: Any) -> int:
    return int(piece.A.nnz)


def _phases(  # noqa: PLR0913 -- the pieces and the terms of every phase
    pieces: Pieces,
    w: NDArray[np.float64],
    fixed: Entries,
    budgets: Sequence[int],
    options: Options,
    group_of: Callable[[NDArray[np.int64]], NDArray[np.int64]],
    progress: Progress | None,
    on_phase: Callable[[int, Solution], None] | None,
) -> tuple[Solution, ...]:
    """Phase after phase: each phase's sets are fixed (and their sites closed) for the next."""
    out: list[Solution] = []
    closed = np.zeros(0, dtype=np.int64)
    for p, b in enumerate(budgets):
        sol, chosen = solve_pieces(
            pieces,
            w,
            budget=int(b),
            fixed=fixed,
            closed=closed,
            options=options,
            progress=progress,
        )
        out.append(sol)
        fixed = fixed + chosen
        closed = np.union1d(closed, group_of(chosen.selected)).astype(np.int64)
        if on_phase is not None:
            on_phase(p, sol)
    return tuple(out)


def max_coverage(  # noqa: PLR0913 -- public door: the data, then keyword-only options
    A: Any,
    weights: ArrayLike,
    *,
    budget: float,
    client: Any,
    groups: ArrayLike | None = None,
    fixed: ArrayLike | None = None,
    n_pieces: int | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: int | None = 0,
    progress: Progress | None = None,
) -> Solution:
    """Solve :func:`coverage.optimize.max_coverage` on the workers of `client`, by pieces.

    The matrix is cut into pieces of whole groups (components of the
    coverage graph kept whole where they are small, a large one cut), sent to
    the workers and solved as :func:`solve_tiles` does.  Only plain problems:
    a count budget, groups and fixed rows.

    Returns
    -------
    Solution
        ``method="distributed"``; ``objective`` recomputed from ``selected``,
        ``upper_bound`` proven.

    Raises
    ------
    coverage.errors.ParameterError
        `budget` or `n_pieces` out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from coverage.distributed import connect
    >>> client = connect("local", workers=1)  # doctest: +SKIP
    >>> max_coverage(np.eye(3), [3, 2, 1], budget=2, client=client).objective  # doctest: +SKIP
    5.0
    """
    from coverage._validate import check_number
    from coverage.distributed import _solve
    from coverage.optimize import _inputs

    owner = "coverage.distributed.max_coverage"
    M = _inputs.as_csr(A, owner)
    n, m = M.shape
    w = _inputs.as_weights(weights, m, owner)
    fx = _inputs.as_fixed(fixed, n, owner)
    budget = int(
        check_number(budget, "budget", owner, low=1, high=max(n - fx.size, 1), integer=True)
    )
    g = _inputs.as_groups(groups, n, owner)
    g = np.arange(n, dtype=np.int64) if g is None else np.asarray(g, dtype=np.int64)
    n_workers = len(client.scheduler_info().get("workers", {})) or 1
    n_p = (
        4 * n_workers
        if n_pieces is None
        else int(check_number(n_pieces, "n_pieces", owner, low=1, integer=True))
    )
    pieces, fixed_e = _solve.pieces_of_matrix(client, M, w, groups=g, fixed=fx, n_pieces=n_p)
    closed = np.unique(g[fx]).astype(np.int64)
    sol, _ = solve_pieces(
        pieces,
        w,
        budget=budget,
        fixed=fixed_e,
        closed=closed,
        options=Options(method, time_limit_s, gap_tol, rng),
        progress=progress,
    )
    return sol


def _front_door(**args: Any) -> Solution:
    """Check what :func:`coverage.optimize.max_coverage` was given for a cluster, then solve."""
    unsupported = [k for k in ("costs", "labels", "quotas", "xy") if args[k] is not None]
    unsupported += [k for k in ("min_separation_m",) if args[k] is not None]
    unsupported += [k for k, v in (("k_coverage", 1), ("combine", "max")) if args[k] != v]
    unsupported += [k for k in ("progress",) if args[k] is not None]
    if unsupported:
        msg = (
            f"max_coverage(client=...) solves plain problems (a count budget, groups, fixed "
            f"rows); got {', '.join(unsupported)}. Leave client=None for side constraints."
        )
        raise ParameterError(msg)
    rng = args["rng"]
    if rng is not None and not isinstance(rng, int | np.integer):
        msg = "max_coverage(client=...) needs rng as None or an int seed (it goes to every piece)."
        raise ParameterError(msg)
    return max_coverage(
        args["A"],
        args["weights"],
        budget=args["budget"],
        client=args["client"],
        groups=args["groups"],
        fixed=args["fixed"],
        n_pieces=args["n_pieces"],
        method=args["method"],
        time_limit_s=args["time_limit_s"],
        gap_tol=args["gap_tol"],
        rng=None if rng is None else int(rng),
    )
