"""Face-capable coverage and the objective mix on the tiny scene, worked out by hand.

Camera: one 30° lens, 3840 px, on a 5 m pole. A face at 1.6 m is captured from
3.4 / tan(15°) = 12.69 m (down angle) to sqrt(28.66² - 3.4²) = 28.46 m (identify,
250 px/m, at slant distance), within 15° of the lens axis and 30° of the corridor.

The tiny scene (tests/conftest.py): H street y = 100 (footfall 2), V street x = 100
(footfall 1), demand every 10 m at 5, 15, ..., 195; the existing police set at
(20, 100) has two cameras, east and west. It captures H x = 35, 45 (east, 15 and 25 m)
and x = 5 (west, 15 m): foot traffic 3 * 2 = 6 of 20 * 2 + 20 * 1 = 60.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_poles
from shapely.geometry import Point

import coverage as cov
from coverage.evaluation import face_coverage
from coverage.evaluation.face import face_capable, face_privacy_html

FACE_CAM = cov.CameraSet(
    cameras=1, hfov_deg=30, resolution_px=3840, mount_height_m=5.0, range_m=40, rotations=4
)


def _sets(*placed: tuple[float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"headings_deg": [(h,) for _, _, h in placed]},
        geometry=[Point(X0 + x, Y0 + y) for x, y, _ in placed],
        crs="EPSG:2326",
    )


def _local(plan: cov.Plan, mask: np.ndarray) -> list[tuple[float, float]]:
    g = plan.demand.geometry[mask]
    return sorted(zip((g.x - X0).round(3).tolist(), (g.y - Y0).round(3).tolist(), strict=True))


def test_face_capture_by_hand(tiny_scene):
    problem = cov.Problem(tiny_scene, FACE_CAM, budget=1)
    # one new set at (100, 70) looking north up V street: y = 85 (15 m) and 95 (25 m)
    plan = cov.plan.assess(problem, _sets((100.0, 70.0, 0.0)))
    after, before = face_capable(tiny_scene, plan)
    assert _local(plan, before) == [(5.0, 100.0), (35.0, 100.0), (45.0, 100.0)]
    assert _local(plan, after) == [
        (5.0, 100.0),
        (35.0, 100.0),
        (45.0, 100.0),
        (100.0, 85.0),
        (100.0, 95.0),
    ]
    table = face_coverage(tiny_scene, plan)
    total = table.iloc[-1]
    assert total["district"] == "All districts"
    assert total["footfall"] == pytest.approx(60.0)
    assert total["footfall_face_before"] == pytest.approx(6.0)
    assert total["footfall_face"] == pytest.approx(8.0)
    assert total["face_share"] == pytest.approx(8 / 60)
    west = table.set_index("district").loc["West"]
    assert west["footfall_face"] == pytest.approx(6.0)  # x = 5, 35, 45 are all west of 98


def test_looking_across_the_corridor_captures_no_face(tiny_scene):
    # at (100, 70) looking east: the lens looks across nothing; at (60, 80) looking north-east
    # toward H street the bearing is 45° off the corridor (yaw > 30°)
    problem = cov.Problem(tiny_scene, FACE_CAM, budget=1)
    plan = cov.plan.assess(problem, _sets((80.0, 80.0, 45.0)))
    after, before = face_capable(tiny_scene, plan)
    assert np.array_equal(after, before)


def test_objective_face_by_hand(tiny_scene):
    # candidates A (100, 100), B (130, 100), C (100, 160); N/E/S/W. The best single set
    # captures two H points (foot traffic 2 each): A east (x = 115, 125), A west (85, 75),
    # B east (145, 155) or B west (115, 105); anything on V captures two points of 1.
    problem = cov.Problem(
        tiny_scene,
        FACE_CAM,
        budget=1,
        poles=tiny_poles(),
        candidates="poles",
        objective={"default": "face"},
        method="exact",
    )
    plan = cov.solve(problem)
    assert plan.objective == pytest.approx(6.0 + 4.0)
    assert plan.upper_bound == pytest.approx(10.0, rel=1e-6)
    assert set(plan.demand["criterion"]) == {"face"}
    assert set(plan.demand["quality"].unique()) <= {0.0, 1.0}
    assert plan.objective == pytest.approx(
        float((plan.demand["weight"] * plan.demand["quality"]).sum())
    )
    new = plan.new_cameras.iloc[0]
    assert new["headings_deg"][0] in (90.0, 270.0)
    # weights scale the objective, base_weight keeps the demand's own
    doubled = cov.solve(
        cov.Problem(
            tiny_scene,
            FACE_CAM,
            budget=1,
            poles=tiny_poles(),
            candidates="poles",
            objective={"default": ("face", 2.0)},
            method="exact",
        )
    )
    assert doubled.objective == pytest.approx(20.0)
    assert doubled.demand["base_weight"].tolist() == plan.demand["weight"].tolist()
    assert doubled.meta["objective"] == [{"where": "default", "criterion": "face", "weight": 2.0}]


def test_mixed_objective_gives_each_class_its_criterion(tiny_scene):
    # V street (corridor 1) needs detection, H street faces
    cam = FACE_CAM.with_(cameras=2, relative_headings_deg=(0.0, 180.0), rotations=2)
    problem = cov.Problem(
        tiny_scene,
        cam,
        budget=1,
        poles=tiny_poles(),
        candidates="poles",
        objective=[("corridor == 1", "detect", 0.5), ("default", "face")],
        method="exact",
    )
    plan = cov.solve(problem)
    d = plan.demand
    assert set(d.loc[d["corridor"] == 1, "criterion"]) == {"detect"}
    assert set(d.loc[d["corridor"] == 0, "criterion"]) == {"face"}
    assert d.loc[d["corridor"] == 1, "weight"].tolist() == pytest.approx([0.5] * 20)
    assert plan.objective == pytest.approx(float((d["weight"] * d["quality"]).sum()))


def test_report_section_mentions_face_and_is_escaped(tiny_scene):
    problem = cov.Problem(tiny_scene, FACE_CAM, budget=1, objective={"default": "face"})
    plan = cov.plan.assess(problem, _sets((100.0, 70.0, 0.0)))
    text = face_privacy_html(tiny_scene, plan)
    assert "Face-capable coverage" in text
    assert "12.7 to 28.5 m from the pole" in text
    assert (
        face_privacy_html(
            tiny_scene,
            cov.plan.assess(
                cov.Problem(tiny_scene, cov.CameraSet(range_m=40), budget=1),
                _sets((100.0, 70.0, 0.0)),
            ),
        )
        == ""
    )


def test_the_report_has_the_face_and_audit_sections(tiny_scene):
    from coverage.report import report_html

    layers_scene = cov.Scene(
        tiny_scene.districts,
        tiny_scene.corridors,
        buildings=tiny_scene.buildings,
        cameras=tiny_scene.cameras,
        privacy_zones=gpd.GeoDataFrame(
            {"name": ["<b>flats</b>"], "category": ["<script>x</script>"]},
            geometry=[Point(X0 + 100, Y0 + 120).buffer(8)],
            crs="EPSG:2326",
        ),
        name="tiny",
    )
    rules = [{"category": "<script>x</script>", "max_tier": "observe"}]
    problem = cov.Problem(layers_scene, FACE_CAM, budget=1, privacy_rules=rules)
    plan = cov.plan.assess(problem, _sets((100.0, 100.0, 0.0)))
    text = report_html(layers_scene, plan, include_map=False, curve=False)
    assert "<h2>Face-capable coverage</h2>" in text
    assert "<h2>Privacy audit by zone category and tier</h2>" in text
    assert "<script>x</script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text
