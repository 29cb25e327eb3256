"""Corridor continuity on the "T" graph of conftest (t_scene, t_plan), worked on paper."""

from __future__ import annotations

import types

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, box

import coverage as cov
from coverage.errors import InputError, ParameterError
from coverage.evaluation import corridor_continuity, edge_watch
from coverage.evaluation.continuity import _diameter

CRS = "EPSG:2326"


def P(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def test_edge_watch_on_paper(t_scene, t_plan):
    scene = t_scene()
    e = edge_watch(scene, t_plan())
    xy = {n: (round(d["x"] - X0), round(d["y"] - Y0)) for n, d in scene.graph.nodes(data=True)}
    got = {
        frozenset((xy[u], xy[v])): w for u, v, w in zip(e["u"], e["v"], e["watched_m"], strict=True)
    }
    assert got == {
        frozenset(((0, 0), (100, 0))): pytest.approx(0.0),
        frozenset(((100, 0), (200, 0))): pytest.approx(50.0),
        frozenset(((100, 0), (100, 100))): pytest.approx(40.0),
    }
    # a stricter quality threshold drops C-D (quality 0.5)
    strict = edge_watch(scene, t_plan(), min_quality=0.5)
    assert strict["watched_m"].sum() == pytest.approx(50.0)


def test_longest_unobserved_stretch_on_paper(t_scene, t_plan):
    cont = corridor_continuity(t_scene(), t_plan())
    assert cont.longest_unwatched_m == pytest.approx(160.0)
    ends = {(round(x - X0, 6), round(y - Y0, 6)) for x, y in cont.longest_unwatched_ends}
    assert ends == {(0.0, 0.0), (100.0, 60.0)}
    assert cont.largest_unwatched_network_m == pytest.approx(160.0)
    assert cont.corridor_length_m == pytest.approx(300.0)
    assert cont.watched_length_m == pytest.approx(90.0)


def test_everything_watched_has_no_stretch(t_scene, t_plan):
    plan = t_plan()
    plan.demand["quality"] = 1.0
    cont = corridor_continuity(t_scene(), plan)
    assert cont.longest_unwatched_m == 0.0
    assert cont.longest_unwatched_ends is None
    assert cont.watched_length_m == pytest.approx(300.0)


def test_unwatched_loop_diameter_is_half_the_loop():
    """A 100 m square, nothing watched: the farthest corners are 200 m apart (not 400 m)."""
    districts = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 150)], crs=CRS
    )
    ring = [P(0, 0), P(100, 0), P(100, 100), P(0, 100), P(0, 0)]
    corridors = gpd.GeoDataFrame(geometry=[LineString(ring[i : i + 2]) for i in range(4)], crs=CRS)
    scene = cov.Scene(districts, corridors)
    demand = gpd.GeoDataFrame(
        {"quality": [0.0] * 4, "corridor": [0, 1, 2, 3], "weight": 1.0},
        geometry=[P(50, 0), P(100, 50), P(50, 100), P(0, 50)],
        crs=CRS,
    )
    cont = corridor_continuity(scene, types.SimpleNamespace(demand=demand, meta={}))
    assert cont.longest_unwatched_m == pytest.approx(200.0)
    assert cont.largest_unwatched_network_m == pytest.approx(400.0)


def test_diameter_matches_all_pairs():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 30))
        edges = {(i, int(rng.integers(0, i))) for i in range(1, n)}  # a spanning tree
        edges |= {
            tuple(sorted(map(int, rng.integers(0, n, 2)), reverse=True)) for _ in range(n // 2)
        }
        edges = {(a, b) for a, b in edges if a != b}
        a, b = np.array(sorted(edges)).T
        w = rng.integers(1, 50, a.size).astype(float)
        M = csr_array((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        D = dijkstra(M, directed=False)
        d, i, j = _diameter(M)
        assert d == pytest.approx(D.max())
        assert D[i, j] == pytest.approx(d)


def test_continuity_checks_parameters(t_scene, t_plan):
    with pytest.raises(ParameterError, match="'threshold' parameter of corridor_continuity"):
        corridor_continuity(t_scene(), t_plan(), threshold=1.5)
    bad = types.SimpleNamespace(demand=t_plan().demand.drop(columns="quality"))
    with pytest.raises(InputError, match="quality"):
        corridor_continuity(t_scene(), bad)
