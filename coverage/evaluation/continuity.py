"""Corridor continuity: watched length per edge, the longest unobserved stretch, routes.

Every edge of the scene's corridor graph is cut into *runs*: maximal pieces
with one watch status, each demand point standing for the part of its edge
closer to it than to any other demand point on that edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components, dijkstra

from coverage._validate import check_number
from coverage.errors import InputError
from coverage.evaluation.routes import route_ends, route_table
from coverage.plan import Plan
from coverage.scene import Scene

__all__ = ["Continuity", "corridor_continuity", "edge_watch"]

#: Ends of a stretch of corridor: ((x0, y0), (x1, y1)).
Ends = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Continuity:
    """How continuously the corridors are watched.

    Attributes
    ----------
    longest_unwatched_m
        The longest unobserved stretch: over every pair of points joined by
        unwatched corridor only, the largest shortest-walk distance between
        them inside the unwatched corridor (the diameter of the unwatched
        corridor network). See :func:`corridor_continuity`.
    longest_unwatched_ends
        ``((x0, y0), (x1, y1))``: the two ends of that stretch (None if every
        metre is watched).
    largest_unwatched_network_m
        Total length of the largest connected piece of unwatched corridor.
    corridor_length_m, watched_length_m
        Length of the corridor graph and how much of it is watched.
    routes
        One row per landmark–hotspot route: ``origin``, ``target`` (names),
        ``length_m``, ``watched_m``, ``watched_share``, ``watched`` (share >=
        the threshold).
    share_routes_watched
        Share of the routes watched for at least ``threshold`` of their length
        (NaN without routes).
    threshold
        The share of its length a route needs watched to count.
    """

    longest_unwatched_m: float
    longest_unwatched_ends: Ends | None
    largest_unwatched_network_m: float
    corridor_length_m: float
    watched_length_m: float
    routes: pd.DataFrame = field(repr=False)
    share_routes_watched: float
    threshold: float

    def as_dict(self) -> dict[str, float]:
        """Return the headline figures as a flat dict."""
        return {
            "longest_unwatched_m": self.longest_unwatched_m,
            "largest_unwatched_network_m": self.largest_unwatched_network_m,
            "corridor_length_m": self.corridor_length_m,
            "watched_length_m": self.watched_length_m,
            "routes": float(len(self.routes)),
            "routes_watched": float(self.routes["watched"].sum()) if len(self.routes) else 0.0,
            "share_routes_watched": self.share_routes_watched,
            "route_threshold": self.threshold,
        }


# ----------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class _Edges:
    """The edges of the corridor graph as arrays (in ``graph.edges`` order)."""

    table: pd.DataFrame  # u, v, corridor, length_m, start (node at 0 m), end (node at length_m)
    geoms: NDArray[np.object_]
    node_xy: dict[int, tuple[float, float]]


@dataclass(frozen=True)
class _Runs:
    """Maximal runs of one watch status along each graph edge."""

    edge: NDArray[np.int64]  # edge position in the edge list
    lo: NDArray[np.float64]  # metres from the edge's start node
    hi: NDArray[np.float64]
    watched: NDArray[np.bool_]
    edges: _Edges


def _edge_arrays(G: nx.Graph) -> _Edges:
    """Read the edges of `G` into arrays, with the node at the start of each geometry."""
    rows = list(G.edges(data=True))
    u = np.array([r[0] for r in rows], dtype=np.int64)
    v = np.array([r[1] for r in rows], dtype=np.int64)
    geoms = np.array([r[2]["geometry"] for r in rows], dtype=object)
    length = np.array([float(r[2]["length_m"]) for r in rows], dtype=np.float64)
    corridor = np.array([r[2].get("corridor", -1) for r in rows], dtype=np.int64)
    node_xy = {int(n): (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
    start = np.zeros(len(rows), dtype=np.int64)
    end = np.zeros(len(rows), dtype=np.int64)
    if rows:
        s_xy = shapely.get_coordinates(shapely.get_point(geoms, 0))
        uxy = np.array([node_xy[int(n)] for n in u])
        vxy = np.array([node_xy[int(n)] for n in v])
        flip = np.hypot(*(s_xy - uxy).T) > np.hypot(*(s_xy - vxy).T)
        start, end = np.where(flip, v, u), np.where(flip, u, v)
    table = pd.DataFrame(
        {"u": u, "v": v, "corridor": corridor, "length_m": length, "start": start, "end": end}
    )
    return _Edges(table, geoms, node_xy)


def _point_runs(
    edges: _Edges, demand: Any, watched: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """(edge, lo, hi, watched) of the piece of edge each demand point stands for.

    A point's edge is the nearest, on the point's corridor when there is a
    tie (then the lowest edge); its piece runs half way to its neighbours on
    that edge, or to the edge's end.
    """
    geoms = edges.geoms
    length = edges.table["length_m"].to_numpy()
    corridor = edges.table["corridor"].to_numpy()
    pts = np.asarray(demand.geometry.values, dtype=object)
    glen = shapely.length(geoms)
    scale = np.divide(length, glen, out=np.ones_like(length), where=glen > 0)
    pi, ei = shapely.STRtree(geoms).query_nearest(pts, all_matches=True)
    dc = demand["corridor"].to_numpy() if "corridor" in demand.columns else np.full(len(pts), -2)
    mismatch = (corridor[ei] != dc[pi]).astype(np.int64)
    order = np.lexsort((ei, mismatch, pi))  # per point: same corridor first, then lowest edge
    pi, ei = pi[order], ei[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    pe = np.full(len(pts), -1, dtype=np.int64)
    pe[pi[first]] = ei[first]
    ok = pe >= 0
    pidx = np.flatnonzero(ok)
    pe = pe[ok]
    t = shapely.line_locate_point(geoms[pe], pts[pidx]) * scale[pe]
    o = np.lexsort((pidx, t, pe))
    pe, t, pw = pe[o], t[o], watched[pidx[o]]
    same_prev = np.r_[False, pe[1:] == pe[:-1]]
    same_next = np.r_[pe[1:] == pe[:-1], False]
    lo = np.where(same_prev, (np.r_[0.0, t[:-1]] + t) / 2.0, 0.0)
    hi = np.where(same_next, (t + np.r_[t[1:], 0.0]) / 2.0, length[pe])
    return pe, lo, hi, pw


def _bare_edge_status(
    geoms: NDArray[np.object_], demand: Any, watched: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Watch status of the demand point nearest each edge's midpoint (ties: lowest point)."""
    pts = np.asarray(demand.geometry.values, dtype=object)
    status = np.zeros(len(geoms), dtype=bool)
    if len(pts) == 0:
        return status
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    bi, di = shapely.STRtree(pts).query_nearest(mids, all_matches=True)
    o = np.lexsort((di, bi))
    bi, di = bi[o], di[o]
    f = np.r_[True, bi[1:] != bi[:-1]]
    status[bi[f]] = watched[di[f]]
    return status


def _edge_runs(scene: Scene, plan: Plan, min_quality: float) -> _Runs:
    """Cut every edge of ``scene.graph`` into runs, watched where quality > `min_quality`."""
    edges = _edge_arrays(scene.graph)
    n_e = len(edges.table)
    length = edges.table["length_m"].to_numpy()
    demand = plan.demand
    watched = demand["quality"].to_numpy(dtype=float) > min_quality
    if n_e and len(demand):
        pe, lo, hi, pw = _point_runs(edges, demand, watched)
    else:
        pe = np.zeros(0, dtype=np.int64)
        lo = hi = np.zeros(0)
        pw = np.zeros(0, dtype=bool)
    # edges with no demand point take the status of the demand point nearest their midpoint
    bare = np.setdiff1d(np.arange(n_e), pe)
    if bare.size:
        pe = np.r_[pe, bare]
        lo = np.r_[lo, np.zeros(bare.size)]
        hi = np.r_[hi, length[bare]]
        pw = np.r_[pw, _bare_edge_status(edges.geoms[bare], demand, watched)]
    # merge neighbouring pieces of one status into runs
    o = np.lexsort((lo, pe))
    pe, lo, hi, pw = pe[o], lo[o], hi[o], pw[o]
    if pe.size:
        new_run = np.r_[True, (pe[1:] != pe[:-1]) | (pw[1:] != pw[:-1])]
        s = np.flatnonzero(new_run)
        pe, pw = pe[s], pw[s]
        lo, hi = np.minimum.reduceat(lo, s), np.maximum.reduceat(hi, s)
    return _Runs(pe, lo, hi, pw, edges)


def _watched_m(r: _Runs) -> NDArray[np.float64]:
    """Watched length of every edge (metres, at most the edge's length)."""
    length = r.edges.table["length_m"].to_numpy()
    w = np.bincount(r.edge[r.watched], weights=(r.hi - r.lo)[r.watched], minlength=len(length))
    out: NDArray[np.float64] = np.minimum(w.astype(np.float64), length)
    return out


def edge_watch(scene: Scene, plan: Plan, *, min_quality: float = 0.0) -> pd.DataFrame:
    """Watched length of every edge of the corridor graph.

    Each demand point stands for the part of its graph edge closer to it
    than to any other demand point on that edge (its edge: the nearest, on
    the same corridor when there is a tie); that part is watched when the
    point's ``quality`` exceeds `min_quality`. An edge with no demand point
    (shorter than the demand spacing) takes the status of the demand point
    nearest its midpoint.

    Parameters
    ----------
    scene
        The scene (its corridor graph).
    plan
        A plan, or anything with a ``demand`` frame of points with ``quality``
        (and ``corridor``).
    min_quality
        A demand point is watched when its quality exceeds this.

    Returns
    -------
    pandas.DataFrame
        One row per edge of ``scene.graph`` (in ``graph.edges`` order):
        ``u``, ``v``, ``corridor``, ``length_m``, ``watched_m``.

    Examples
    --------
    >>> import geopandas as gpd, types
    >>> from shapely.geometry import LineString, Point
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]},
    ...     geometry=[LineString([(0, 0), (0, 1)]).buffer(500)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (40, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> demand = gpd.GeoDataFrame({"quality": [1.0, 0, 0, 1.0], "corridor": 0},
    ...     geometry=[Point(x, 0) for x in (5, 15, 25, 35)], crs=2326)
    >>> edge_watch(scene, types.SimpleNamespace(demand=demand))["watched_m"].tolist()
    [20.0]
    """
    r = _edge_runs(scene, plan, min_quality)
    out = r.edges.table[["u", "v", "corridor", "length_m"]].copy()
    out["watched_m"] = _watched_m(r)
    return out


# ----------------------------------------------------------------------------- unwatched network


@dataclass(frozen=True)
class _Network:
    """The unwatched runs as a graph: nodes are run ends, edges are runs."""

    matrix: csr_array  # symmetric, shortest parallel run kept
    node_xy: list[tuple[float, float]]  # coordinates of each node
    run_node: NDArray[np.int64]  # node at the start of each run
    run_length: NDArray[np.float64]
    edge_node: NDArray[np.int64]  # lower node of each edge of `matrix`


def _unwatched_graph(r: _Runs) -> _Network:
    """Join the unwatched runs at graph nodes, with virtual nodes where a run ends mid-edge."""
    sel = ~r.watched
    e, lo, hi = r.edge[sel], r.lo[sel], r.hi[sel]
    L = r.edges.table["length_m"].to_numpy()[e]
    eps = 1e-6
    at_start = lo <= eps
    at_end = hi >= L - eps
    a = np.where(at_start, r.edges.table["start"].to_numpy()[e], -1)
    b = np.where(at_end, r.edges.table["end"].to_numpy()[e], -1)
    xy: dict[int, tuple[float, float]] = dict(r.edges.node_xy)
    nxt = max(r.edges.node_xy, default=-1) + 1
    geoms = r.edges.geoms[e]
    glen = shapely.length(geoms)
    for arr, pos, mask in ((a, lo, ~at_start), (b, hi, ~at_end)):
        idx = np.flatnonzero(mask)
        if idx.size:
            ids = nxt + np.arange(idx.size)
            nxt += idx.size
            arr[idx] = ids
            frac = np.divide(pos[idx], L[idx], out=np.zeros(idx.size), where=L[idx] > 0)
            p = shapely.get_coordinates(
                shapely.line_interpolate_point(geoms[idx], frac * glen[idx])
            )
            xy.update({int(i): (float(x), float(y)) for i, (x, y) in zip(ids, p, strict=True)})
    length = np.maximum(hi - lo, 0.0)
    used = np.unique(np.r_[a, b])
    ia, ib = np.searchsorted(used, a), np.searchsorted(used, b)
    n = used.size
    lo_i, hi_i = np.minimum(ia, ib), np.maximum(ia, ib)
    o = np.lexsort((length, hi_i, lo_i))
    lo_i, hi_i, ln = lo_i[o], hi_i[o], length[o]
    keep = np.r_[True, (lo_i[1:] != lo_i[:-1]) | (hi_i[1:] != hi_i[:-1])] & (lo_i != hi_i)
    lo_i, hi_i, ln = lo_i[keep], hi_i[keep], np.maximum(ln[keep], 1e-9)
    M = coo_array((np.r_[ln, ln], (np.r_[lo_i, hi_i], np.r_[hi_i, lo_i])), shape=(n, n)).tocsr()
    return _Network(M, [xy[int(u)] for u in used], ia, length, lo_i)


def _unwatched_network(r: _Runs) -> tuple[float, Ends | None, float]:
    """(diameter, its end points, largest component length) of the unwatched runs."""
    if r.watched.all():
        return 0.0, None, 0.0
    net = _unwatched_graph(r)
    M = net.matrix
    n_comp, label = connected_components(M, directed=False)
    comp_len = np.bincount(label[net.run_node], weights=net.run_length, minlength=n_comp)
    comp_edges = np.bincount(label[net.edge_node], minlength=n_comp)
    comp_nodes = np.bincount(label, minlength=n_comp)
    best, ends = 0.0, (int(net.run_node[0]), int(net.run_node[0]))
    for c in np.argsort(-comp_len, kind="stable"):
        if comp_len[c] <= best:
            break
        nodes = np.flatnonzero(label == c)
        sub = M[nodes][:, nodes]
        if comp_edges[c] == comp_nodes[c] - 1:  # a tree: two sweeps find the diameter
            d0 = dijkstra(sub, directed=False, indices=0)
            x = int(np.argmax(d0))
            d1 = dijkstra(sub, directed=False, indices=x)
            y = int(np.argmax(d1))
            d, i, j = float(d1[y]), x, y
        else:
            d, i, j = _diameter(sub)
        if d > best:
            best, ends = d, (int(nodes[i]), int(nodes[j]))
    pair = (net.node_xy[ends[0]], net.node_xy[ends[1]])
    return best, pair, float(comp_len.max(initial=0.0))


def _diameter(sub: csr_array) -> tuple[float, int, int]:
    """Exact weighted diameter of a connected graph and its two ends (bounding diameters).

    Eccentricity bounds from each Dijkstra run (Takes & Kosters 2011):
    ``ecc(w) >= max(ecc(v) - d(v, w), d(v, w))`` and ``ecc(w) <= ecc(v) + d(v, w)``.
    Nodes whose upper bound cannot beat the best eccentricity found are
    dropped (every lower bound is at most that best); the search alternates
    between the largest upper and the smallest lower bound.
    """
    n = sub.shape[0]
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    alive = np.ones(n, dtype=bool)
    best, ends = 0.0, (0, 0)
    high = True
    while alive.any():
        cand = np.flatnonzero(alive)
        v = int(cand[np.argmax(hi[cand])] if high else cand[np.argmin(lo[cand])])
        high = not high
        d = dijkstra(sub, directed=False, indices=v)
        far = int(np.argmax(d))
        ecc = float(d[far])
        if ecc > best:
            best, ends = ecc, (v, far)
        lo = np.maximum(lo, np.maximum(ecc - d, d))
        hi = np.minimum(hi, ecc + d)
        alive[v] = False
        alive &= hi > best + 1e-9
    return best, ends[0], ends[1]


# ----------------------------------------------------------------------------- continuity


def corridor_continuity(  # noqa: PLR0913 (public entry point: data, then keyword-only options)
    scene: Scene,
    plan: Plan,
    *,
    threshold: float = 0.8,
    n_landmarks: int = 10,
    n_hotspots: int = 10,
    separation_m: float = 300.0,
    max_snap_m: float = 250.0,
    min_quality: float = 0.0,
) -> Continuity:
    """How continuously the corridors are watched.

    Parameters
    ----------
    scene
        The scene (its corridor graph, landmarks, hotspots).
    plan
        A plan, or anything with a ``demand`` frame of points with
        ``quality`` (and ``corridor``, ``weight`` where used).
    threshold
        Share of its length a route needs watched to count as watched.
    n_landmarks, n_hotspots, separation_m, max_snap_m
        Route ends (see :func:`route_ends`).
    min_quality
        A demand point is watched when its quality exceeds this.

    Returns
    -------
    Continuity

    Raises
    ------
    coverage.errors.ParameterError
        A parameter is out of range.
    coverage.errors.InputError
        ``plan.demand`` has no ``quality`` column.

    Notes
    -----
    *Watched corridor.* Every edge of ``scene.graph`` is cut into pieces,
    one per demand point on it (the part closer to that point than to any
    other on the edge); a piece is watched when its point is (see
    :func:`edge_watch`).

    *Longest unobserved stretch.* The unwatched pieces form a network (they
    join at graph nodes and run on along an edge). Between two points of it,
    the stretch is the shortest walk that stays inside unwatched corridor;
    the longest such stretch is the network's diameter, over the ends of its
    pieces (exact: two sweeps on a tree, bounding diameters otherwise).
    It is how far someone can walk, by the shortest unobserved way, without
    being seen. ``largest_unwatched_network_m`` is the total length of the
    largest connected unwatched network.

    *Routes.* Each landmark is joined to each hotspot (without landmarks:
    each pair of hotspots) by the shortest walk on the graph (networkx
    Dijkstra on ``length_m``), ends snapped to the nearest node of the
    largest connected piece of the graph; its watched share is the watched
    length of its edges over its length. Routes whose ends snap to one node
    are left out.

    Examples
    --------
    >>> import geopandas as gpd, types
    >>> from shapely.geometry import LineString, Point
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]},
    ...     geometry=[LineString([(0, 0), (0, 1)]).buffer(500)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (40, 0)])], crs=2326)
    >>> demand = gpd.GeoDataFrame({"quality": [1.0, 0, 0, 1.0], "corridor": 0, "weight": 1.0},
    ...     geometry=[Point(x, 0) for x in (5, 15, 25, 35)], crs=2326)
    >>> cont = corridor_continuity(cov.Scene(d, c), types.SimpleNamespace(demand=demand))
    >>> cont.longest_unwatched_m, cont.watched_length_m
    (20.0, 20.0)
    """
    owner = "corridor_continuity"
    threshold = check_number(threshold, "threshold", owner, low=0, high=1)
    check_number(n_landmarks, "n_landmarks", owner, low=0, integer=True)
    check_number(n_hotspots, "n_hotspots", owner, low=0, integer=True)
    check_number(separation_m, "separation_m", owner, low=0)
    check_number(max_snap_m, "max_snap_m", owner, low=0)
    if "quality" not in plan.demand.columns:
        msg = f"{owner}: plan.demand needs a 'quality' column (best view quality, 0 if none)."
        raise InputError(msg)
    r = _edge_runs(scene, plan, min_quality)
    watched_m = _watched_m(r)
    longest, ends, largest = _unwatched_network(r)
    ends_frames = route_ends(
        scene,
        plan,
        n_landmarks=n_landmarks,
        n_hotspots=n_hotspots,
        separation_m=separation_m,
        max_snap_m=max_snap_m,
    )
    table = route_table(scene.graph, r.edges.table, watched_m, threshold, ends_frames)
    share = float(table["watched"].mean()) if len(table) else float("nan")
    return Continuity(
        longest_unwatched_m=longest,
        longest_unwatched_ends=ends,
        largest_unwatched_network_m=largest,
        corridor_length_m=float(r.edges.table["length_m"].to_numpy().sum()),
        watched_length_m=float(watched_m.sum()),
        routes=table,
        share_routes_watched=share,
        threshold=float(threshold),
    )
