"""Walking routes between landmarks and hotspots, and how much of each is watched."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage.evaluation import _common
from coverage.plan import Plan
from coverage.scene import Scene

__all__ = ["route_ends"]

#: A route end: (name, graph node).
_End = tuple[str, int]


def _top_separated(
    xy: NDArray[np.float64], score: NDArray[np.float64], n: int, separation_m: float
) -> NDArray[np.int64]:
    """Up to `n` indices by descending score (ties by index), each separation_m apart."""
    order = np.lexsort((np.arange(len(score)), -score))
    picked: list[int] = []
    for i in order:
        if score[i] <= 0 and picked:
            break
        if all(np.hypot(*(xy[i] - xy[j])) >= separation_m for j in picked):
            picked.append(int(i))
            if len(picked) == n:
                break
    return np.asarray(picked, dtype=np.int64)


def _main_nodes(G: nx.Graph) -> tuple[NDArray[np.int64], cKDTree | None]:
    """Node ids of the largest connected piece of `G` (ties: lowest node id) and their k-d tree."""
    if G.number_of_nodes() == 0:
        return np.zeros(0, dtype=np.int64), None
    main = max(nx.connected_components(G), key=lambda c: (len(c), -min(c)))
    ids = np.array(sorted(main), dtype=np.int64)
    xy = np.array([(G.nodes[int(i)]["x"], G.nodes[int(i)]["y"]) for i in ids], dtype=float)
    return ids, cKDTree(xy)


def _landmark_scores(
    scene: Scene,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.str_]]:
    """Landmark positions, scores (``weight``, else 1) and names ("" where missing)."""
    lm = scene.landmarks
    xy = _common.xy(lm.geometry)
    score = lm["weight"].to_numpy(dtype=float) if "weight" in lm.columns else np.ones(len(lm))
    names = lm["name"].astype(str).to_numpy() if "name" in lm.columns else np.full(len(lm), "")
    return xy, score, names


def _hotspot_scores(scene: Scene, plan: Plan) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Candidate hotspot positions and scores (see :func:`route_ends`)."""
    kind = scene.hotspot_kind
    if kind == "points":
        from coverage.demand import hotspot_risk

        xy = _common.xy(scene.hotspots.geometry)
        bandwidth_m = float((getattr(plan, "meta", {}) or {}).get("bandwidth_m", 150.0))
        score = np.asarray(hotspot_risk(xy, scene, bandwidth_m=bandwidth_m), dtype=float)
    elif kind == "polygons":
        xy = _common.xy(shapely.centroid(scene.hotspots.geometry.values))
        score = scene.hotspots["intensity"].to_numpy(dtype=float)
    else:
        xy = _common.xy(plan.demand.geometry)
        score = plan.demand["weight"].to_numpy(dtype=float)
    return xy, score


def route_ends(
    scene: Scene,
    plan: Plan,
    *,
    n_landmarks: int = 10,
    n_hotspots: int = 10,
    separation_m: float = 300.0,
    max_snap_m: float = 250.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick the landmarks and hotspots that walking routes join.

    Only places within `max_snap_m` of a node of the corridor graph's largest
    connected piece count. Landmarks: up to `n_landmarks` of
    ``scene.landmarks`` by ``weight``; hotspots: up to `n_hotspots` locations
    of highest incident density (``hotspot_risk`` at the incidents), of
    highest polygon intensity (polygon hotspots, centroids) or, with no
    hotspots, of highest demand weight. Both are picked greedily by score
    (ties by row), each at least `separation_m` from those already picked.

    Parameters
    ----------
    scene
        The scene (its corridor graph, landmarks and hotspots).
    plan
        A plan, or anything with a ``demand`` frame (used without hotspots).
    n_landmarks, n_hotspots
        How many of each to pick at most.
    separation_m
        Smallest distance between two picked places of one kind.
    max_snap_m
        Largest distance from a place to the graph's largest piece.

    Returns
    -------
    (landmarks, hotspots)
        Frames with ``name``, ``x``, ``y``, ``score``.
    """
    _, tree = _main_nodes(scene.graph)

    def pick(xy: NDArray[np.float64], score: NDArray[np.float64], n: int) -> NDArray[np.int64]:
        if tree is None or len(xy) == 0 or n == 0:
            return np.zeros(0, dtype=np.int64)
        d, _ = tree.query(xy)
        ok = np.flatnonzero(d <= max_snap_m)
        if ok.size == 0:
            return np.zeros(0, dtype=np.int64)
        return ok[_top_separated(xy[ok], score[ok], n, separation_m)]

    landmarks = pd.DataFrame({"name": [], "x": [], "y": [], "score": []})
    if len(scene.landmarks):
        p, score, raw = _landmark_scores(scene)
        o = pick(p, score, n_landmarks)
        names = [raw[i] if raw[i] else f"landmark {i + 1}" for i in o]
        if o.size:
            landmarks = pd.DataFrame({"name": names, "x": p[o, 0], "y": p[o, 1], "score": score[o]})
    p, score = _hotspot_scores(scene, plan)
    h = pick(p, score, n_hotspots)
    hotspots = pd.DataFrame(
        {
            "name": [f"hotspot {k + 1}" for k in range(h.size)],
            "x": p[h, 0] if h.size else [],
            "y": p[h, 1] if h.size else [],
            "score": score[h] if h.size else [],
        }
    )
    return landmarks, hotspots


def _route_pairs(
    G: nx.Graph, landmarks: pd.DataFrame, hotspots: pd.DataFrame
) -> list[tuple[_End, _End]]:
    """(origin, target) of every route, ends snapped to the largest connected piece of `G`.

    Each landmark to each hotspot; without landmarks, each pair of hotspots.
    """
    node_ids, tree = _main_nodes(G)
    assert tree is not None  # the caller checked that G has nodes

    def snap(frame: pd.DataFrame) -> list[int]:
        _, k = tree.query(frame[["x", "y"]].to_numpy(dtype=float))
        return [int(node_ids[i]) for i in np.atleast_1d(k)]

    hs = list(zip(hotspots["name"], snap(hotspots), strict=True))
    if len(landmarks):
        origins = list(zip(landmarks["name"], snap(landmarks), strict=True))
        return [(o, t) for o in origins for t in hs]
    return [(hs[i], hs[j]) for i in range(len(hs)) for j in range(i + 1, len(hs))]


def route_table(
    G: nx.Graph,
    edges: pd.DataFrame,
    watched_m: NDArray[np.float64],
    threshold: float,
    ends: tuple[pd.DataFrame, pd.DataFrame],
) -> pd.DataFrame:
    """Length and watched share of the shortest walk of every route.

    `edges` has ``u``, ``v``, ``length_m`` per edge of `G` (in ``G.edges``
    order) and `watched_m` the watched length of each; `ends` is
    :func:`route_ends`. Routes whose ends snap to one node, or that no walk
    joins, are left out.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``target``, ``length_m``, ``watched_m``, ``watched_share``,
        ``watched`` (share >= `threshold`).
    """
    cols = ["origin", "target", "length_m", "watched_m", "watched_share", "watched"]
    landmarks, hotspots = ends
    if G.number_of_nodes() == 0 or len(hotspots) == 0:
        return pd.DataFrame({c: [] for c in cols})
    key = {}
    for k, (a, b) in enumerate(zip(edges["u"], edges["v"], strict=True)):
        key[(int(a), int(b))] = key[(int(b), int(a))] = k
    length = edges["length_m"].to_numpy()
    out: list[tuple[str, str, float, float, float, bool]] = []
    cache: dict[int, dict[int, list[int]]] = {}
    for (oname, onode), (tname, tnode) in _route_pairs(G, landmarks, hotspots):
        if onode == tnode:
            continue
        if onode not in cache:
            _, cache[onode] = nx.single_source_dijkstra(G, onode, weight="length_m")
        path = cache[onode].get(tnode)
        if path is None:
            continue
        ks = np.array([key[(a, b)] for a, b in itertools.pairwise(path)])
        total = float(length[ks].sum())
        seen = float(watched_m[ks].sum())
        share = seen / total if total > 0 else 0.0
        out.append((str(oname), str(tname), total, seen, share, share >= threshold - 1e-12))
    frame = pd.DataFrame(out, columns=cols)
    frame["watched"] = frame["watched"].astype(bool)
    return frame
