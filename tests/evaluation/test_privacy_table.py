"""The per-set privacy audit against hand-made wedges (analytic areas and shapely)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import X0, Y0, tiny_layers
from shapely.geometry import Point, box

import coverage as cov
from coverage.evaluation import privacy_table
from coverage.evaluation.privacy import tier_bands_m

CAM = cov.CameraSet(cameras=1, hfov_deg=90, resolution_px=1920, rotations=1)
#: 1920 px, 90°: detect 38.4 m, observe 15.36, recognise 7.68, identify 3.84 (camera.py)
RADII = {"detect": 38.4, "observe": 15.36, "recognise": 7.68, "identify": 3.84}
POLE = (100.0, 40.0)  # on V street, south of the crossing, looking north


def _scene(zones: list[object], categories: list[str]) -> cov.Scene:
    layers = tiny_layers()
    pz = gpd.GeoDataFrame({"category": categories}, geometry=zones, crs="EPSG:2326")
    return cov.Scene(layers["districts"], layers["corridors"], privacy_zones=pz, name="tiny")


def _plan(scene: cov.Scene, rules: list[dict[str, str]] | None) -> cov.Plan:
    problem = cov.Problem(scene, CAM, budget=1, occlusion=False, privacy_rules=rules)
    sets = gpd.GeoDataFrame(
        {"headings_deg": [(0.0,)]}, geometry=[Point(X0 + POLE[0], Y0 + POLE[1])], crs=scene.crs
    )
    return cov.plan.assess(problem, sets)


def _b(x0: float, y0: float, x1: float, y1: float) -> object:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def test_bands_follow_the_tier_distances():
    bands = tier_bands_m(CAM)
    assert [t for t, _, _ in bands] == list(RADII)
    for (t, lo, hi), nxt in zip(bands, [*list(RADII.values())[1:], 0.0], strict=True):
        assert hi == pytest.approx(RADII[t])
        assert lo == pytest.approx(nxt)
    assert [t for t, _, _ in tier_bands_m(CAM.with_(min_tier="observe"))] == [
        "observe",
        "recognise",
        "identify",
    ]
    assert tier_bands_m(cov.CameraSet(range_m=30, min_range_m=2)) == [("seen", 2.0, 30.0)]


def test_areas_of_a_wedge_inside_a_zone_are_quarter_rings():
    # the zone holds the whole 90° wedge (|x - 100| <= 27.2, 40 <= y <= 78.4)
    zone = _b(70, 40, 130, 80)
    plan = _plan(
        _scene([zone], ["residential"]), [{"category": "residential", "max_tier": "observe"}]
    )
    t = privacy_table(plan.scene, plan)
    new = t[t["status"] == "new"].set_index("tier")
    radii = [*RADII.values(), 0.0]
    for i, tier in enumerate(RADII):
        ring = math.pi * (radii[i] ** 2 - radii[i + 1] ** 2) / 4
        total = new.loc[tier, "seen_m2"] + new.loc[tier, "masked_m2"]
        assert total == pytest.approx(ring, rel=2e-3)
        masked = tier in ("recognise", "identify")
        assert (new.loc[tier, "masked_m2"] > 0) == masked
        assert (new.loc[tier, "seen_m2"] > 0) == (not masked)
    assert set(new["rule"]) == {"observe"}
    assert set(new["category"]) == {"residential"}


def test_areas_against_shapely_on_a_hand_made_wedge():
    # two zones of two categories cutting the wedge obliquely; the second has no rule
    z1 = shapely.Polygon([(X0 + 90, Y0 + 45), (X0 + 140, Y0 + 50), (X0 + 95, Y0 + 75)])
    z2 = _b(80, 60, 100, 90)
    plan = _plan(
        _scene([z1, z2], ["school", "clinic"]), [{"category": "school", "max_tier": "detect"}]
    )
    t = privacy_table(plan.scene, plan)
    new = t[t["status"] == "new"]
    # the wedge drawn independently: apex at the pole, arc of 2,000 vertices from -45° to 45°
    px, py = X0 + POLE[0], Y0 + POLE[1]
    for zone, cat in ((z1, "school"), (z2, "clinic")):
        radii = [*RADII.values(), 0.0]
        for i, tier in enumerate(RADII):
            a = np.radians(np.linspace(-45, 45, 2000))
            outer = [(px + radii[i] * np.sin(x), py + radii[i] * np.cos(x)) for x in a]
            inner = [
                (px + radii[i + 1] * np.sin(x), py + radii[i + 1] * np.cos(x)) for x in a[::-1]
            ]
            band = (
                shapely.Polygon(outer + inner)
                if radii[i + 1] > 0
                else shapely.Polygon([(px, py), *outer])
            )
            expect = band.intersection(zone).area
            got = new[(new["category"] == cat) & (new["tier"] == tier)]
            area = float(got[["seen_m2", "masked_m2"]].sum().sum()) if len(got) else 0.0
            assert area == pytest.approx(expect, rel=2e-3, abs=1e-3), (cat, tier)
            if len(got):
                masked = cat == "school" and tier != "detect"
                assert (float(got["masked_m2"].iloc[0]) > 0) == masked
                assert got["rule"].iloc[0] == ("detect" if cat == "school" else "")


def test_a_zone_without_rules_keeps_the_old_behaviour():
    zone = _b(95, 80, 105, 90)  # on V street, north of the pole
    scene = _scene([zone], ["residential"])
    old = cov.solve(cov.Problem(scene, CAM, budget=2, method="greedy"))
    ruled = cov.solve(
        cov.Problem(
            scene,
            CAM,
            budget=2,
            method="greedy",
            privacy_rules=[{"category": "residential", "max_tier": "observe"}],
        )
    )
    assert old.matrix.meta["n_privacy_excluded"] > 0
    assert old.matrix.meta["n_demand_in_privacy"] == 1  # (100, 85)
    assert ruled.matrix.meta["n_privacy_excluded"] == 0
    assert ruled.matrix.meta["n_demand_masked"] == 1
    inside = ruled.demand.geometry.within(zone)
    assert float(ruled.demand.loc[inside, "quality"].max()) <= 0.5
