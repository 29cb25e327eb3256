"""Privacy-zone area seen, worked on paper."""

from __future__ import annotations

import geopandas as gpd
import pytest
from conftest import X0, Y0, tiny_layers
from shapely.geometry import box

from coverage.evaluation import evaluate

CRS = "EPSG:2326"


def test_privacy_area_seen_by_the_existing_set(tiny_plan, scene_with):
    _, plan = tiny_plan
    # a 10 m x 10 m zone 10..20 m east of the existing set (20, 100): inside its east view
    zone = gpd.GeoDataFrame(
        {"name": ["clinic"]}, geometry=[box(X0 + 30, Y0 + 95, X0 + 40, Y0 + 105)], crs=CRS
    )
    scene = scene_with(tiny_layers(), privacy_zones=zone)
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    assert d.loc["West", "privacy_seen_before_m2"] == pytest.approx(100.0, rel=1e-6)
    assert d.loc["West", "privacy_seen_m2"] == pytest.approx(100.0, rel=1e-6)
    assert d.loc["East", "privacy_seen_m2"] == 0
