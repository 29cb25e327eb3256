"""The partners' scene: the tiny streets, six poles and existing sets of three owners.

Shared by tests/evaluation/test_integration.py and test_roadmap.py, with brute-force checkers.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
from conftest import X0, Y0, tiny_layers
from shapely.geometry import Point

import coverage as cov
from coverage.matrix import CoverageMatrix

CAMERA = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=4)
POLES = [(60, 100), (100, 100), (130, 100), (170, 100), (100, 40), (100, 160)]


def _cameras(rows: list[tuple[str, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "owner": [r[0] for r in rows],
            "heading_deg": [r[3] for r in rows],
            "cameras": 1,
        },
        geometry=[Point(X0 + r[1], Y0 + r[2]) for r in rows],
        crs="EPSG:2326",
    )


#: police at the west end, two MTR sets (east end, south of the crossing), one department set
EXISTING = [
    ("police", 20, 100, 90.0),
    ("MTR", 190, 100, 270.0),
    ("MTR", 100, 10, 0.0),
    ("dept", 100, 190, 180.0),
]


def partner_problem(rows: list[tuple[str, float, float, float]], budget: int = 2) -> cov.Problem:
    layers = tiny_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=_cameras(rows) if rows else None,
    )
    poles = gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in POLES], crs="EPSG:2326")
    return cov.Problem(
        scene, CAMERA, budget=budget, poles=poles, candidates="poles", method="exact", spacing_m=5
    )


def fewest_sets(cm: CoverageMatrix, w: np.ndarray, target: float) -> float:
    """Fewest open rows (one per site) whose coverage with the fixed rows reaches `target`."""
    A = cm.A.toarray()
    base = A[cm.fixed].max(axis=0) if len(cm.fixed) else np.zeros(A.shape[1])
    open_rows = [i for i in range(A.shape[0]) if cm.site[i] >= 0]
    sites = sorted({int(cm.site[i]) for i in open_rows})
    rows_of = {s: [i for i in open_rows if cm.site[i] == s] for s in sites}
    for b in range(len(sites) + 1):
        for chosen in itertools.combinations(sites, b):
            for rows in itertools.product(*(rows_of[s] for s in chosen)):
                level = np.maximum(base, A[list(rows)].max(axis=0)) if rows else base
                if float(w @ level) >= target - 1e-9:
                    return float(b)
    return float("inf")
