"""Demand points along corridors, and hotspot surfaces from incidents.

Demand is what the cameras should see: points every ``spacing_m`` along the
pedestrian corridors, each weighted by the corridor's footfall and by the
crime risk at that spot, ``weight = footfall * (1 + risk)``. The risk comes
from the scene's hotspots: a kernel density of incident points, or the
intensity of hotspot polygons, scaled to [0, 1].

:func:`hotspot_polygons` turns incident points into editable hotspot polygons
(contours of the same kernel density), which can be handed back to a
:class:`~coverage.scene.Scene` as its ``hotspots`` layer.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import contourpy
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from scipy import ndimage
from scipy.spatial import cKDTree

from coverage._arrays import offsets_within, repeat_index
from coverage._crs import require_metric
from coverage._geometry import Polylines
from coverage._sizes import check_points_along
from coverage._validate import check_number, format_rows
from coverage.assumptions import SNAP_M, check_snap_m, snap_to_corridors
from coverage.errors import CRSError, InputError, ParameterError
from coverage.scene import district_of

if TYPE_CHECKING:
    from coverage.scene import Scene

__all__ = ["corridor_bearing_deg", "hotspot_polygons", "hotspot_risk", "sample_demand"]

logger = logging.getLogger("coverage")

#: The Gaussian kernel is cut at this many bandwidths (relative weight exp(-8) ≈ 3.4e-4 there).
KERNEL_CUTOFF = 4.0
#: Above this many (query point, incident) pairs, hotspot_risk interpolates a grid instead.
_EXACT_PAIRS_MAX = 5_000_000
#: Pairs handled per chunk by the exact evaluation (bounds memory to ~100 MB).
_PAIRS_PER_CHUNK = 2_000_000
#: Largest KDE grid, in cells (about 160 MB of float64).
_GRID_CELLS_MAX = 20_000_000

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------- kernel density
def _check_category_weights(
    category_weights: Mapping[str, float] | None, owner: str
) -> dict[str, float]:
    if category_weights is None:
        return {}
    if not isinstance(category_weights, Mapping):
        msg = (
            f"The 'category_weights' parameter of {owner} must be a mapping from category "
            f"to a weight >= 0, e.g. {{'robbery': 3.0}}. Got {category_weights!r} instead."
        )
        raise ParameterError(msg)
    out: dict[str, float] = {}
    bad = []
    for key, value in category_weights.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
        if isinstance(value, bool) or not math.isfinite(v) or v < 0:
            bad.append(f"{key!r}: {value!r}")
        out[str(key)] = v
    if bad:
        msg = (
            f"The 'category_weights' parameter of {owner} must map categories to finite "
            f"weights >= 0. Got {', '.join(bad)} instead."
        )
        raise ParameterError(msg)
    return out


def _incident_arrays(
    incidents: gpd.GeoDataFrame, category_weights: dict[str, float]
) -> tuple[FloatArray, FloatArray]:
    """Incident coordinates (multi-points split into parts) and their weights."""
    geoms = incidents.geometry.values
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    n = len(incidents)
    w = incidents["weight"].to_numpy(dtype=float) if "weight" in incidents.columns else np.ones(n)
    if "category" in incidents.columns and category_weights:
        cats = incidents["category"].fillna("").astype(str)
        w = w * cats.map(category_weights).fillna(1.0).to_numpy(dtype=float)
    w = w[idx]
    keep = w > 0
    return xy[keep], w[keep]


def _kde_exact(
    q: FloatArray, xy: FloatArray, w: FloatArray, h: float, n_pairs: int | None = None
) -> FloatArray:
    """Sum of w * exp(-d²/2h²) over incidents within KERNEL_CUTOFF*h of each query point."""
    out = np.zeros(len(q))
    if len(q) == 0 or len(xy) == 0:
        return out
    r = KERNEL_CUTOFF * h
    tree = cKDTree(xy)
    if n_pairs is None:
        n_pairs = _pairs_estimate(q, xy, r)
    # slices of the query points with about _PAIRS_PER_CHUNK pairs each (on average)
    n_chunks = max(1, math.ceil(n_pairs / _PAIRS_PER_CHUNK))
    edges = np.linspace(0, len(q), n_chunks + 1).astype(np.int64)
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        pairs = cKDTree(q[a:b]).sparse_distance_matrix(tree, r, output_type="ndarray")
        k = np.exp(-0.5 * (pairs["v"] / h) ** 2) * w[pairs["j"]]
        out[a:b] += np.bincount(pairs["i"], weights=k, minlength=b - a)
    return out


def _pairs_estimate(q: FloatArray, xy: FloatArray, r: float) -> int:
    """About how many (query, incident) pairs lie within `r`, in O(n + m).

    Incidents are counted on a grid of cell `r`; each query point takes the
    count of its 3 × 3 block scaled by π/9 (the disk's share of the block).
    """
    if len(q) == 0 or len(xy) == 0:
        return 0
    lo = np.minimum(q.min(axis=0), xy.min(axis=0))
    hi = np.maximum(q.max(axis=0), xy.max(axis=0))
    nf = np.floor((hi - lo) / r) + 1.0  # float: a tiny r cannot overflow the count
    if float(nf[0]) * float(nf[1]) > _GRID_CELLS_MAX:
        return int(cKDTree(xy).count_neighbors(cKDTree(q), r))
    n = nf.astype(np.int64)
    ci = np.floor((xy - lo) / r).astype(np.int64)
    counts = np.bincount(ci[:, 1] * n[0] + ci[:, 0], minlength=int(n[0] * n[1]))
    block = (
        ndimage.uniform_filter(counts.reshape(n[1], n[0]).astype(float), size=3, mode="constant")
        * 9.0
    )
    qi = np.floor((q - lo) / r).astype(np.int64)
    return int(block[qi[:, 1], qi[:, 0]].sum() * math.pi / 9.0)


def _grid_cells(extent: FloatArray, pad: float, c: float) -> tuple[float, float]:
    """Nodes per axis of a grid of cell `c` over `extent` ± `pad` (+ 3), as floats (no overflow)."""
    n = np.floor((extent + 2 * pad) / c) + 3.0
    return float(n[0]), float(n[1])


def _smallest_bandwidth(extent: FloatArray) -> float:
    """Smallest h whose grid of cell h (pad 4 h) over `extent` has at most _GRID_CELLS_MAX nodes."""
    # (ex / h + 11) (ey / h + 11) <= N, solved for u = 1 / h
    ex, ey = float(extent[0]), float(extent[1])
    a, b, c = ex * ey, 11.0 * (ex + ey), 121.0 - _GRID_CELLS_MAX
    if a <= 0:
        return b / -c if b > 0 else 0.0
    u = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return 1.0 / u


def _grid_axes(
    xy: FloatArray, h: float, cell: float | None, owner: str = "hotspot_polygons"
) -> tuple[FloatArray, FloatArray, float]:
    """Grid node coordinates covering the incidents' support (bounds ± cutoff + 1 cell).

    Without `cell` the cell starts at h/4 and grows (by 1.5, at most to h)
    until the grid has at most ``_GRID_CELLS_MAX`` nodes; when even a cell of
    h is too many (a bandwidth far below the incidents' extent) the
    bandwidth is refused: a coarser grid would miss the density's peaks.
    Counts are floats, so a tiny bandwidth cannot overflow them.
    """
    lo = xy.min(axis=0)
    hi = xy.max(axis=0)
    extent = hi - lo
    c = h / 4.0 if cell is None else cell
    pad = KERNEL_CUTOFF * h
    if cell is None:
        nx, ny = _grid_cells(extent, pad, h)
        if nx * ny > _GRID_CELLS_MAX:
            fx, fy = _grid_cells(extent, pad, c)
            msg = (
                f"The 'bandwidth_m' parameter of {owner} is too small for incidents spread over "
                f"{extent[0]:,.0f} x {extent[1]:,.0f} m: the kernel-density grid would need "
                f"{fx * fy:.3g} cells of bandwidth_m/4 ({fx * fy * 8 / 2**30:,.3g} GiB), and "
                f"{nx * ny:.3g} even with cells of bandwidth_m, more than the limit of "
                f"{_GRID_CELLS_MAX:,} cells. Got {h!r} instead; use bandwidth_m >= "
                f"{math.ceil(_smallest_bandwidth(extent) * 100) / 100:g} (and if the incidents "
                "should not spread that far, look for stray points)."
            )
            raise ParameterError(msg)
        while math.prod(_grid_cells(extent, pad, c)) > _GRID_CELLS_MAX:
            c = min(c * 1.5, h)
    nx, ny = _grid_cells(extent, pad, c)
    if nx * ny > _GRID_CELLS_MAX:
        msg = (
            f"The 'cell_m' parameter of {owner} gives a grid of {nx:.3g} x {ny:.3g} cells "
            f"over the incidents (more than {_GRID_CELLS_MAX:,}). Got {cell!r} instead; "
            "use a larger cell_m."
        )
        raise ParameterError(msg)
    x0 = lo - pad - c
    xs = x0[0] + c * np.arange(int(nx))
    ys = x0[1] + c * np.arange(int(ny))
    return xs, ys, c


def _kde_grid(
    xy: FloatArray,
    w: FloatArray,
    h: float,
    xs: FloatArray,
    ys: FloatArray,
    tile: int = 32,
) -> FloatArray:
    """Kernel sums at every grid node, shape (len(ys), len(xs)), exact (square 4 h cutoff).

    The Gaussian is separable: the incidents of each `tile` × `tile` block of
    cells add ``Eyᵀ · diag(w) · Ex`` to the block's window (the block plus the
    cutoff), a dense matrix product. The loop runs over non-empty blocks,
    never over incidents.
    """
    nx, ny = len(xs), len(ys)
    z = np.zeros((ny, nx))
    if len(xy) == 0:
        return z
    c = float(xs[1] - xs[0]) if nx > 1 else float(ys[1] - ys[0])
    r = KERNEL_CUTOFF * h
    m = math.ceil(r / c)
    ix = np.clip(np.floor((xy[:, 0] - xs[0]) / c).astype(np.int64), 0, nx - 1)
    iy = np.clip(np.floor((xy[:, 1] - ys[0]) / c).astype(np.int64), 0, ny - 1)
    ntx = nx // tile + 1
    key = (iy // tile) * ntx + ix // tile
    order = np.argsort(key, kind="stable")
    key = key[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    first = np.concatenate([[0], bounds])
    for k, grp in zip(key[first].tolist(), np.split(order, bounds), strict=True):
        ty, tx = divmod(k, ntx)
        x0, x1 = max(tx * tile - m, 0), min((tx + 1) * tile + m + 1, nx)
        y0, y1 = max(ty * tile - m, 0), min((ty + 1) * tile + m + 1, ny)
        dx = xs[None, x0:x1] - xy[grp, 0, None]
        dy = ys[None, y0:y1] - xy[grp, 1, None]
        ex = np.exp(-0.5 * (dx / h) ** 2) * (np.abs(dx) <= r)
        ey = np.exp(-0.5 * (dy / h) ** 2) * (np.abs(dy) <= r) * w[grp, None]
        z[y0:y1, x0:x1] += ey.T @ ex
    return z


def _modes(
    starts: FloatArray,
    xy: FloatArray,
    w: FloatArray,
    h: float,
    *,
    merge: bool = True,
    iters: int = 200,
) -> tuple[FloatArray, FloatArray]:
    """Refine `starts` toward local maxima of the kernel sum by mean shift.

    Returns the end points and their exact kernel sums. A point stops when
    its step falls below 1e-4 h (the value is then within ~1e-8 of the local
    maximum). With `merge`, points that meet (within 1e-3 h) are merged and
    the output no longer lines up with `starts`.
    """
    p = starts.copy()
    done = np.zeros(len(p), dtype=bool)
    tree = cKDTree(xy)
    r = KERNEL_CUTOFF * h
    it = 0
    while it < iters and not done.all():
        # neighbours within r + h of where the points stand now; valid while they move < h
        act = np.flatnonzero(~done)
        anchor = p[act].copy()
        pairs = cKDTree(anchor).sparse_distance_matrix(tree, r + h, output_type="ndarray")
        order = np.argsort(pairs["i"], kind="stable")
        pi, pj = act[pairs["i"][order]], pairs["j"][order]
        while it < iters:
            it += 1
            live = ~done[pi]
            i, j = pi[live], pj[live]
            d2 = np.sum((xy[j] - p[i]) ** 2, axis=1)
            k = w[j] * np.exp(-0.5 * d2 / h**2) * (d2 <= r * r)
            s = np.bincount(i, weights=k, minlength=len(p))
            mx = np.bincount(i, weights=k * xy[j, 0], minlength=len(p))
            my = np.bincount(i, weights=k * xy[j, 1], minlength=len(p))
            mov = np.flatnonzero(~done & (s > 0))
            new = np.column_stack([mx[mov] / s[mov], my[mov] / s[mov]])
            step = np.hypot(*(new - p[mov]).T)
            p[mov] = new
            done[mov[step < 1e-4 * h]] = True
            done[~done & (s <= 0)] = True
            if done.all():
                break
            drift = np.hypot(*(p[act] - anchor).T)
            if (drift[~done[act]] > h).any():
                break
    if merge:  # keep the first point of each 1e-3 h cell
        _, first = np.unique(np.round(p / (1e-3 * h)), axis=0, return_index=True)
        p = p[np.sort(first)]
    return p, _kde_exact(p, xy, w, h)


def _kde_binned(
    xy: FloatArray, w: FloatArray, h: float, xs: FloatArray, ys: FloatArray
) -> FloatArray:
    """Approximate kernel sums at the grid nodes: linear binning + Gaussian filter.

    O(cells) instead of O(incidents × kernel cells); incidents outside the grid
    are ignored. With cell h/8 the nodes are within ~0.3% of the maximum of the
    exact sums (linear binning error).
    """
    c = float(xs[1] - xs[0])
    fx = (xy[:, 0] - xs[0]) / c
    fy = (xy[:, 1] - ys[0]) / c
    nx, ny = len(xs), len(ys)
    inside = (fx >= 0) & (fx <= nx - 1) & (fy >= 0) & (fy <= ny - 1)
    fx, fy, w = fx[inside], fy[inside], w[inside]
    i0 = np.minimum(np.floor(fx).astype(np.int64), nx - 2)
    j0 = np.minimum(np.floor(fy).astype(np.int64), ny - 2)
    a, b = fx - i0, fy - j0
    g = np.zeros(nx * ny)
    for di, wx in ((0, 1 - a), (1, a)):
        for dj, wy in ((0, 1 - b), (1, b)):
            g += np.bincount((j0 + dj) * nx + i0 + di, weights=w * wx * wy, minlength=nx * ny)
    sigma = h / c
    radius = int(KERNEL_CUTOFF * sigma + 0.5)
    # gaussian_filter normalises its discrete kernel to sum 1; undo that (peak weight 1)
    scale = float(np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).sum())
    z = ndimage.gaussian_filter(g.reshape(ny, nx), sigma, mode="constant", truncate=KERNEL_CUTOFF)
    return np.asarray(z * scale * scale, dtype=float)


def _kde_max(
    xy: FloatArray,
    w: FloatArray,
    h: float,
    grid: tuple[FloatArray, FloatArray, FloatArray],
    *,
    z_exact: bool,
    max_starts: int = 64,
) -> float:
    """Find the maximum of the kernel sum: the grid's near-top local maxima refined by mean shift.

    `grid` is ``(xs, ys, z)``, the density on the grid (exact at the nodes
    when `z_exact`). Every local maximum of the grid within 5% of its top is
    refined (at most `max_starts`, best first), so a peak ranked second on an
    approximate grid is not missed.
    """
    xs, ys, z = grid
    local = (z == ndimage.maximum_filter(z, size=3, mode="constant")) & (z >= 0.95 * z.max())
    iy, ix = np.nonzero(local)
    order = np.argsort(-z[iy, ix], kind="stable")[:max_starts]
    starts = np.column_stack([xs[ix[order]], ys[iy[order]]])
    # and the incident nearest each, in case the grid is coarse next to h
    _, nearest = cKDTree(xy).query(starts)
    starts = np.vstack([starts, xy[nearest]])
    _, vals = _modes(starts, xy, w, h)
    top = float(vals.max()) if len(vals) else 0.0
    return max(top, float(z.max())) if z_exact else top


def _check_bandwidth(bandwidth_m: Any, owner: str) -> float:
    return float(check_number(bandwidth_m, "bandwidth_m", owner, low=0.0, low_open=True))


def hotspot_risk(
    xy: Any,
    scene: Scene,
    *,
    bandwidth_m: float = 150.0,
    category_weights: Mapping[str, float] | None = None,
) -> FloatArray:
    """Crime risk in [0, 1] at the given points, from the scene's hotspots.

    Parameters
    ----------
    xy
        Points, array-like of shape (n, 2), in the scene's CRS (metres).
    scene
        The scene; only ``scene.hotspots`` and ``scene.hotspot_kind`` are read.
    bandwidth_m
        Standard deviation of the Gaussian kernel, in metres (incident points only).
    category_weights
        Extra weight per incident ``category`` (e.g. ``{"robbery": 3.0}``); the
        incident's kernel weight is ``weight * category_weights.get(category, 1)``.
        Categories absent from the data are ignored.

    Returns
    -------
    numpy.ndarray
        Risk per point, float64 in [0, 1].

    Raises
    ------
    coverage.errors.ParameterError
        `bandwidth_m` is not a positive number, or a category weight is
        negative, NaN or not a number; or `bandwidth_m` is so small next to
        the incidents' extent that the density grid would exceed 20 million
        cells even with cells of `bandwidth_m` (the message gives the
        smallest bandwidth that fits).

    Notes
    -----
    Incident points: the risk is the kernel density
    ``f(x) = sum_i w_i exp(-|x - p_i|² / 2 h²)`` (``h = bandwidth_m``, kernel
    cut at 4 h) divided by its maximum over the plane (the top local maxima
    of a binned grid of cell h/4, refined by mean shift to exact local
    maxima). It is evaluated exactly at the points while there are at most
    about 5 million (point, incident) pairs within 4 h (estimated from a
    coarse count); beyond that it is read by
    cubic-spline interpolation from a linearly binned grid of cell h/8,
    within about 0.3% of the maximum of the exact value (binning error;
    tested below 0.5%). The cutoff changes a single incident's contribution
    by less than exp(-8) ≈ 3.4e-4.

    Polygon hotspots: the risk is the largest ``intensity`` of the polygons
    containing the point (boundary included), divided by the largest
    intensity of the layer; 0 outside all polygons. No hotspots: all zeros.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point, box
    >>> from coverage.scene import Scene
    >>> d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 1000, 1000)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 500), (1000, 500)])], crs=2326)
    >>> h = gpd.GeoDataFrame(geometry=[Point(500, 500)], crs=2326)
    >>> scene = Scene(d, c, hotspots=h)
    >>> hotspot_risk([[500, 500], [650, 500], [2000, 0]], scene, bandwidth_m=150).round(4)
    array([1.    , 0.6065, 0.    ])
    """
    owner = "hotspot_risk"
    h = _check_bandwidth(bandwidth_m, owner)
    cw = _check_category_weights(category_weights, owner)
    try:
        q = np.asarray(xy, dtype=float)
    except (TypeError, ValueError):
        q = np.full((1, 1), np.nan)
    if q.size == 0:
        q = q.reshape(0, 2)
    if q.ndim != 2 or q.shape[1] != 2 or not np.isfinite(q).all():
        msg = (
            f"The 'xy' parameter of {owner} must be finite coordinates of shape (n, 2), in the "
            f"scene's CRS. Got an array of shape {np.shape(q)} instead."
        )
        raise ParameterError(msg)
    return _risk(q, scene, h, cw, None)


def _risk(  # noqa: PLR0913 -- validated pieces of hotspot_risk / sample_demand
    q: FloatArray,
    scene: Scene,
    h: float,
    cw: dict[str, float],
    tree: shapely.STRtree | None,
    owner: str = "hotspot_risk",
    incidents: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """hotspot_risk on validated input; `tree` is an STRtree of the points of `q`, if built.

    `incidents` (coordinates, weights) replaces the scene's incident points (snapped ones).
    """
    out = np.zeros(len(q))
    kind = scene.hotspot_kind
    if kind == "none" or len(q) == 0:
        return out
    hs = scene.hotspots
    if kind == "polygons":
        inten = hs["intensity"].to_numpy(dtype=float)
        top = inten.max() if len(inten) else 0.0
        if not top > 0:
            return out
        tree = tree if tree is not None else shapely.STRtree(shapely.points(q))
        poly_idx, pt_idx = tree.query(hs.geometry.values, predicate="intersects")
        np.maximum.at(out, pt_idx, inten[poly_idx] / top)
        return np.clip(out, 0.0, 1.0)
    pxy, w = _incident_arrays(hs, cw) if incidents is None else incidents
    if len(w) == 0:
        return out
    return _incident_risk(q, pxy, w, h, owner)


def _incident_risk(
    q: FloatArray, pxy: FloatArray, w: FloatArray, h: float, owner: str
) -> FloatArray:
    """Kernel density of the incidents at `q`, divided by its maximum over the plane."""
    out = np.zeros(len(q))
    xs, ys, _ = _grid_axes(pxy, h, None, owner)
    top = _kde_max(pxy, w, h, (xs, ys, _kde_binned(pxy, w, h, xs, ys)), z_exact=False)
    if not top > 0:
        return out
    r = KERNEL_CUTOFF * h
    n_pairs = _pairs_estimate(q, pxy, r)
    if n_pairs <= _EXACT_PAIRS_MAX:
        f = _kde_exact(q, pxy, w, h, n_pairs)
    else:
        # a grid of cell h/8 over the query points (plus the cutoff), read by cubic splines
        c = h / 8.0
        lo = np.maximum(q.min(axis=0), pxy.min(axis=0) - r) - r - 2 * c
        hi = np.minimum(q.max(axis=0), pxy.max(axis=0) + r) + r + 2 * c
        nf = np.maximum(np.ceil((hi - lo) / c) + 1.0, 2.0)  # float: cannot overflow
        while float(nf[0]) * float(nf[1]) > _GRID_CELLS_MAX:
            c *= 1.25
            nf = np.maximum(np.ceil((hi - lo) / c) + 1.0, 2.0)
        n = nf.astype(np.int64)
        gx = lo[0] + c * np.arange(n[0])
        gy = lo[1] + c * np.arange(n[1])
        logger.info(
            "hotspot_risk: %d point-incident pairs; reading a %d x %d KDE grid (cell %.1f m).",
            n_pairs,
            n[0],
            n[1],
            c,
        )
        z = _kde_binned(pxy, w, h, gx, gy)
        coords = np.vstack([(q[:, 1] - gy[0]) / c, (q[:, 0] - gx[0]) / c])
        f = ndimage.map_coordinates(z, coords, order=3, mode="constant", cval=0.0)
    return np.clip(f / top, 0.0, 1.0)


# --------------------------------------------------------------------------- demand
def require_finite_corridors(corridors: gpd.GeoDataFrame, owner: str) -> None:
    """Refuse corridors with NaN or infinite coordinates, naming the rows (before sampling them)."""
    xy, idx = shapely.get_coordinates(corridors.geometry.values, return_index=True)
    bad_vertex = ~np.isfinite(xy).all(axis=1)
    if bad_vertex.any():
        pos = np.unique(idx[bad_vertex])
        rows = corridors.index.to_numpy()[pos].tolist()
        msg = (
            f"{owner}: the corridors layer has {len(rows)} line(s) with NaN or infinite "
            f"coordinates (rows {format_rows(rows)}). Fix or remove those rows."
        )
        raise InputError(msg)


def sample_demand(
    scene: Scene,
    *,
    spacing_m: float = 10.0,
    bandwidth_m: float = 150.0,
    category_weights: Mapping[str, float] | None = None,
    snap_m: float = SNAP_M,
) -> gpd.GeoDataFrame:
    """Demand points every `spacing_m` along the corridors, weighted by footfall and risk.

    Parameters
    ----------
    scene
        The scene; its corridors, districts and hotspots are read.
    spacing_m
        Distance between consecutive points along a corridor, in metres.
    bandwidth_m, category_weights
        Passed to :func:`hotspot_risk`.
    snap_m
        Incident points inside a building footprint or off the corridors are
        snapped to the nearest corridor within this many metres before the
        density is computed; farther ones stay where they are (unreachable).
        A hotspot polygon that contains no demand point gives its intensity
        to the nearest demand point within `snap_m`. See
        :mod:`coverage.assumptions`; the counts (and weights) are in
        ``attrs["assumptions"]`` of the result.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in ``scene.crs`` with a RangeIndex and the columns ``weight``
        (``footfall * (1 + risk)``), ``footfall``, ``risk`` (in [0, 1]),
        ``district`` (name, ``""`` outside all districts), ``corridor``
        (row label of ``scene.corridors``) and ``bearing_deg`` (the axis of
        the corridor segment the point lies on, degrees clockwise from grid
        north in [0, 180): people walk along it either way; the face
        criterion of :mod:`coverage.criteria` reads it). Points come corridor
        by corridor, in order along each corridor.

    Raises
    ------
    coverage.errors.ParameterError
        `spacing_m` or `bandwidth_m` is not a positive number, or a category
        weight is negative or NaN, or `bandwidth_m` is too small for the
        density grid (see :func:`hotspot_risk`).

    Notes
    -----
    A corridor of length L gets points at arc lengths ``spacing_m/2``,
    ``3*spacing_m/2``, ... (all those < L), so two corridors meeting at an
    intersection never both put a point on it; a corridor shorter than
    ``spacing_m/2`` gets one point, at its middle. Each point stands for
    about ``spacing_m`` of corridor. A point on a district boundary belongs
    to the first district (in layer order) that covers it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> from coverage.scene import Scene
    >>> d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 60, 60)], crs=2326)
    >>> c = gpd.GeoDataFrame({"footfall": [2.0]},
    ...                      geometry=[LineString([(0, 10), (100, 10)])], crs=2326)
    >>> demand = sample_demand(Scene(d, c), spacing_m=25)
    >>> demand.geometry.x.tolist(), demand["district"].tolist()
    ([12.5, 37.5, 62.5, 87.5], ['A', 'A', '', ''])
    >>> demand["weight"].tolist()
    [2.0, 2.0, 2.0, 2.0]
    """
    owner = "sample_demand"
    s = float(check_number(spacing_m, "spacing_m", owner, low=0.0, low_open=True))
    h = _check_bandwidth(bandwidth_m, owner)
    cw = _check_category_weights(category_weights, owner)
    corridors = scene.corridors
    require_finite_corridors(corridors, owner)
    lines = corridors.geometry.values
    check_points_along(np.asarray(shapely.length(lines), dtype=float), s, "spacing_m", owner)
    poly = Polylines(lines)
    length = poly.length
    n = np.maximum(np.ceil(length / s - 0.5 - 1e-9), 1).astype(np.int64)
    line = repeat_index(n)
    offset = s / 2 + offsets_within(n) * s
    short = length < s / 2
    offset[short[line]] = length[line][short[line]] / 2
    xy, az = poly.at(line, offset)
    footfall = corridors["footfall"].to_numpy(dtype=float)[line]
    points = shapely.points(xy) if len(xy) else np.empty(0, dtype=object)
    tree = shapely.STRtree(points)
    snap = check_snap_m(snap_m, owner)
    incidents, counts = _snapped_incidents(scene, cw, snap, (h, owner))
    risk = _risk(xy, scene, h, cw, tree, owner, incidents)
    if scene.hotspot_kind == "polygons":
        risk, counts = _snap_polygons(risk, scene, points, snap)
    logger.info(
        "sample_demand: %d points on %d corridors (spacing %g m, hotspots: %s).",
        len(xy),
        len(lines),
        s,
        scene.hotspot_kind,
    )
    out = gpd.GeoDataFrame(
        {
            "weight": footfall * (1.0 + risk),
            "footfall": footfall,
            "risk": risk,
            "district": district_of(xy, scene.districts),
            "corridor": corridors.index.to_numpy()[line],
            "bearing_deg": np.mod(az, 180.0),
        },
        geometry=gpd.GeoSeries(points, crs=scene.crs).values,
        crs=scene.crs,
    )
    out.attrs["assumptions"] = {"snap_m": snap, "hotspot_kind": scene.hotspot_kind, **counts}
    return out


def corridor_bearing_deg(xy: ArrayLike, lines: ArrayLike, *, step_m: float = 0.5) -> FloatArray:
    """Axis of the nearest corridor at each point, degrees in [0, 180) (NaN without corridors).

    The nearest line (ties: the first in layer order) is followed ``step_m``
    either side of the point's projection onto it; the bearing of that chord
    is the axis.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lines = np.array([LineString([(0, 0), (100, 0)]), LineString([(0, 10), (0, 90)])])
    >>> corridor_bearing_deg([[50.0, 2.0], [3.0, 50.0]], lines).tolist()
    [90.0, 0.0]
    """
    pts_xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    geoms = np.asarray(lines, dtype=object).reshape(-1)
    out = np.full(len(pts_xy), np.nan)
    if len(pts_xy) == 0 or len(geoms) == 0:
        return out
    pts = shapely.points(pts_xy)
    pi, li = shapely.STRtree(geoms).query_nearest(pts, all_matches=True)
    first = np.r_[True, pi[1:] != pi[:-1]]  # pairs come sorted by point; keep the first line
    pi, li = pi[first], li[first]
    g = geoms[li]
    s = shapely.line_locate_point(g, pts[pi])
    length = shapely.length(g)
    a = shapely.get_coordinates(shapely.line_interpolate_point(g, np.clip(s - step_m, 0, length)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(g, np.clip(s + step_m, 0, length)))
    d = b - a
    has = np.hypot(d[:, 0], d[:, 1]) > 0
    az = np.mod(np.degrees(np.arctan2(d[:, 0], d[:, 1])), 180.0)
    out[pi[has]] = np.where(az >= 180.0, 0.0, az)[has]
    return out


def _snapped_incidents(
    scene: Scene, cw: dict[str, float], snap_m: float, bandwidth: tuple[float, str]
) -> tuple[tuple[FloatArray, FloatArray] | None, dict[str, Any]]:
    """Snap the scene's incident points to the corridors; count them and their weights.

    Each part of a multi-point counts as one incident (with the row's weight).
    """
    if scene.hotspot_kind != "points":
        return None, {}
    pxy, w = _incident_arrays(scene.hotspots, cw)
    if len(w):
        _grid_axes(pxy, bandwidth[0], None, bandwidth[1])  # refuse a too-small bandwidth first
    footprints = scene.buildings.geometry.values if len(scene.buildings) else None
    snap = snap_to_corridors(pxy, scene.corridors.geometry.values, footprints, snap_m)
    on = ~snap.snapped & ~snap.unreachable
    counts = {
        "incidents": len(w),
        "incidents_weight": float(w.sum()),
        "incidents_on_corridor": int(on.sum()),
        "incidents_on_corridor_weight": float(w[on].sum()),
        "incidents_snapped": int(snap.snapped.sum()),
        "incidents_snapped_weight": float(w[snap.snapped].sum()),
        "incidents_max_snap_m": float(snap.distance_m[snap.snapped].max(initial=0.0)),
        "incidents_unreachable": int(snap.unreachable.sum()),
        "incidents_unreachable_weight": float(w[snap.unreachable].sum()),
    }
    if snap.unreachable.any():
        logger.warning(
            "sample_demand: %d incident(s) (weight %.6g) lie farther than snap_m = %g m from "
            "every corridor; they stay where they are and no street point stands on them.",
            counts["incidents_unreachable"],
            counts["incidents_unreachable_weight"],
            snap_m,
        )
    return (snap.xy, w), counts


def _snap_polygons(
    risk: FloatArray, scene: Scene, points: NDArray[np.object_], snap_m: float
) -> tuple[FloatArray, dict[str, Any]]:
    """Give each hotspot polygon without a demand point to the nearest point within `snap_m`."""
    hs = scene.hotspots
    inten = hs["intensity"].to_numpy(dtype=float)
    geoms = hs.geometry.values
    top = float(inten.max()) if len(inten) else 0.0
    tree = shapely.STRtree(points)
    hit = np.zeros(len(geoms), dtype=bool)
    hit[np.unique(tree.query(geoms, predicate="intersects")[0])] = True
    lone = np.flatnonzero(~hit)
    snapped = np.zeros(len(geoms), dtype=bool)
    if lone.size and len(points) and top > 0:
        gi, pi = tree.query_nearest(geoms[lone], max_distance=snap_m, all_matches=True)
        risk = risk.copy()
        np.maximum.at(risk, pi, inten[lone[gi]] / top)
        snapped[lone[np.unique(gi)]] = True
    unreachable = ~hit & ~snapped
    counts = {
        "hotspot_polygons": len(geoms),
        "hotspot_polygons_intensity": float(inten.sum()),
        "hotspot_polygons_on_corridor": int(hit.sum()),
        "hotspot_polygons_on_corridor_intensity": float(inten[hit].sum()),
        "hotspot_polygons_snapped": int(snapped.sum()),
        "hotspot_polygons_snapped_intensity": float(inten[snapped].sum()),
        "hotspot_polygons_unreachable": int(unreachable.sum()),
        "hotspot_polygons_unreachable_intensity": float(inten[unreachable].sum()),
    }
    return np.clip(risk, 0.0, 1.0), counts


# --------------------------------------------------------------------------- hotspot polygons
def hotspot_polygons(
    incidents: gpd.GeoDataFrame,
    *,
    bandwidth_m: float = 150.0,
    cell_m: float | None = None,
    threshold: float = 0.5,
    category_weights: Mapping[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Hotspot polygons: where the incidents' kernel density exceeds `threshold` × its maximum.

    Parameters
    ----------
    incidents
        Incident points (Point or MultiPoint) in a projected CRS in metres,
        with optional ``weight`` (>= 0, default 1) and ``category`` columns.
    bandwidth_m
        Standard deviation of the Gaussian kernel, in metres.
    cell_m
        Grid cell of the density surface, in metres (default ``bandwidth_m / 4``).
    threshold
        Contour level as a fraction of the density's maximum, in (0, 1).
    category_weights
        Extra weight per ``category``, as in :func:`hotspot_risk`.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons (holes kept) in the incidents' CRS, RangeIndex, sorted by
        decreasing ``intensity``: the **peak** density inside the polygon, in
        weighted incidents per km². Edit them freely and pass them to
        :class:`~coverage.scene.Scene` as ``hotspots``; the risk then scales
        with this intensity.

    Raises
    ------
    coverage.errors.CRSError
        The incidents have no CRS, or it is not projected in metres.
    coverage.errors.InputError
        Geometries are not points, or weights are NaN or negative.
    coverage.errors.ParameterError
        A parameter is out of range (or the grid would be too large).

    Notes
    -----
    The density is ``f(x) = sum_i w_i exp(-|x - p_i|² / 2 h²) / (2 π h²)``
    with ``h = bandwidth_m``, computed exactly at the nodes of a grid of cell
    `cell_m` (kernel cut at 4 h). Contours come from marching squares
    (contourpy) on that grid, so a boundary is placed within a small fraction
    of a cell. The peak is the best grid node, refined by mean shift to the
    exact local maximum. A single incident gives a near-circle of radius
    ``h * sqrt(-2 ln threshold)``.

    Examples
    --------
    >>> import math
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> inc = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=2326)
    >>> hot = hotspot_polygons(inc, bandwidth_m=100, threshold=0.5)
    >>> circle = math.pi * 100**2 * -2 * math.log(0.5)  # radius h·√(-2 ln t)
    >>> len(hot), round(float(hot.area.iloc[0]) / circle, 2)
    (1, 0.99)
    >>> round(float(hot["intensity"].iloc[0]), 1)  # 1 / (2π · 0.01 km²)
    15.9
    """
    h, cell, t, cw, crs = _hotspot_parameters(
        incidents, bandwidth_m, cell_m, threshold, category_weights
    )
    empty = gpd.GeoDataFrame(
        {"intensity": pd.Series(dtype=float)}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
    )
    xy, w = _incident_arrays(incidents, cw)
    if len(w) == 0:
        return empty
    xs, ys, c = _grid_axes(xy, h, cell)
    z = _kde_grid(xy, w, h, xs, ys)
    top = _kde_max(xy, w, h, (xs, ys, z), z_exact=True)
    if not top > 0:
        return empty
    level = t * top
    geoms = _contour_polygons(xs, ys, z, level)
    if len(geoms) == 0:
        return empty
    peak = _polygon_peaks(geoms, (xs, ys, z), level, (xy, w), h)
    per_km2 = 1e6 / (2 * math.pi * h * h)
    order = np.argsort(-peak, kind="stable")
    logger.info(
        "hotspot_polygons: %d polygon(s) above %.3g of the peak (grid %d x %d, cell %.1f m).",
        len(geoms),
        t,
        len(xs),
        len(ys),
        c,
    )
    return gpd.GeoDataFrame(
        {"intensity": peak[order] * per_km2}, geometry=geoms[order], crs=crs
    ).reset_index(drop=True)


def _hotspot_parameters(
    incidents: Any,
    bandwidth_m: Any,
    cell_m: Any,
    threshold: Any,
    category_weights: Mapping[str, float] | None,
) -> tuple[float, float | None, float, dict[str, float], CRS]:
    """Check :func:`hotspot_polygons`' input: bandwidth, cell, threshold, weights and CRS."""
    owner = "hotspot_polygons"
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = f"hotspot_polygons needs a GeoDataFrame of incident points; got {type(incidents)}."
        raise TypeError(msg)
    h = _check_bandwidth(bandwidth_m, owner)
    cell = (
        None
        if cell_m is None
        else float(check_number(cell_m, "cell_m", owner, low=0.0, low_open=True))
    )
    t = float(check_number(threshold, "threshold", owner, low=0.0, high=1.0, low_open=True))
    if t >= 1.0:
        msg = f"The 'threshold' parameter of {owner} must be a number in (0, 1). Got {t!r} instead."
        raise ParameterError(msg)
    cw = _check_category_weights(category_weights, owner)
    if incidents.crs is None:
        msg = (
            "The incidents given to hotspot_polygons have no CRS. Set it with .set_crs(...) "
            "and project them to metres, e.g. .to_crs(scene.crs)."
        )
        raise CRSError(msg)
    crs = require_metric(CRS.from_user_input(incidents.crs), where="The incidents")
    _check_incidents(incidents)
    return h, cell, t, cw, crs


def _contour_polygons(
    xs: FloatArray, ys: FloatArray, z: FloatArray, level: float
) -> NDArray[np.object_]:
    """Trace the polygons (holes kept) where the gridded density `z` is at least `level`.

    Marching squares (contourpy), so a boundary lies within a fraction of a cell.
    """
    gen = contourpy.contour_generator(xs, ys, z, fill_type="OuterOffset")
    filled = gen.filled(level, np.inf)  # OuterOffset: (points per polygon, ring offsets)
    rings: list[FloatArray] = list(filled[0])  # type: ignore[arg-type]
    offsets: list[NDArray[np.uint32]] = list(filled[1])  # type: ignore[arg-type]
    polys = []
    for pts, offs in zip(rings, offsets, strict=True):
        parts = [pts[a:b] for a, b in itertools.pairwise(offs)]
        polys.append(shapely.Polygon(parts[0], parts[1:]))
    return np.array(polys, dtype=object)


def _polygon_peaks(
    geoms: NDArray[np.object_],
    grid: tuple[FloatArray, FloatArray, FloatArray],
    level: float,
    incidents: tuple[FloatArray, FloatArray],
    h: float,
) -> FloatArray:
    """Peak density in each polygon: its best grid node, refined by mean shift.

    Mean shift climbs uphill, so the refined peak stays inside its polygon.
    """
    xs, ys, z = grid
    xy, w = incidents
    iy, ix = np.nonzero(z >= level)
    vals = z[iy, ix]
    cand = np.column_stack([xs[ix], ys[iy]])
    g_idx, c_idx = shapely.STRtree(shapely.points(cand)).query(geoms, predicate="intersects")
    peak = np.zeros(len(geoms))
    np.maximum.at(peak, g_idx, vals[c_idx])
    o = np.lexsort((-vals[c_idx], g_idx))  # best node first within each polygon
    g_sorted, c_sorted = g_idx[o], c_idx[o]
    first = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    if len(first):
        _, refined = _modes(cand[c_sorted[first]], xy, w, h, merge=False)
        np.maximum.at(peak, g_sorted[first], refined)
    return peak


def _check_incidents(incidents: gpd.GeoDataFrame) -> None:
    geom = incidents.geometry.values
    bad = ~np.isin(shapely.get_type_id(geom), (0, 4)) | shapely.is_empty(geom)
    problems = []
    if bad.any():
        rows = incidents.index.to_numpy()[bad].tolist()
        problems.append(
            f"{int(bad.sum())} incident(s) are not points (rows {format_rows(rows)}); "
            "give one Point (or MultiPoint) per incident."
        )
    if "weight" in incidents.columns:
        v = pd.to_numeric(incidents["weight"], errors="coerce").to_numpy(dtype=float)
        badw = ~np.isfinite(v) | (v < 0)
        if badw.any():
            rows = incidents.index.to_numpy()[badw].tolist()
            problems.append(
                f"column 'weight': {int(badw.sum())} value(s) are NaN, negative or not numbers "
                f"(rows {format_rows(rows)}). Weights must be finite and >= 0."
            )
    if problems:
        msg = "The incidents given to hotspot_polygons have problems:\n- " + "\n- ".join(problems)
        raise InputError(msg)
