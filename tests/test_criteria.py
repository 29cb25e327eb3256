"""Face criterion, objective mixes and privacy rules by tier, against hand-worked geometry."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coverage.camera import CameraSet
from coverage.criteria import (
    DemandCredit,
    FaceCriterion,
    ObjectiveTerm,
    PrivacyRule,
    demand_criteria,
    face_down_angle_deg,
    normalize_objective,
    normalize_privacy_rules,
    select_demand,
)
from coverage.errors import InputError, ParameterError
from coverage.matrix import coverage_matrix
from coverage.visibility import in_sector

#: 1 camera, 30° lens, 3840 px on a 5 m pole: identify (250 px/m) out to 28.66 m slant.
FACE_CAM = CameraSet(cameras=1, hfov_deg=30, resolution_px=3840, mount_height_m=5.0, range_m=60)
IDENTIFY_SLANT_M = 3840 / (250 * 2 * math.tan(math.radians(15)))


def test_down_angle_is_atan_of_height_over_distance():
    d = np.array([1.0, 3.4, 10.0, 12.0, 20.0])
    expected = [math.degrees(math.atan((5 - 1.6) / x)) for x in d]
    assert face_down_angle_deg(5.0, d) == pytest.approx(expected)
    assert face_down_angle_deg(5.0, [3.4])[0] == pytest.approx(45.0)


def test_down_angle_limit_on_a_5m_pole():
    # atan(3.4 / d) <= 15° exactly when d >= 3.4 / tan(15°) = 12.689 m
    limit = 3.4 / math.tan(math.radians(15))
    d = np.array([5.0, limit - 0.01, limit + 0.01, 20.0])
    got = FaceCriterion().capable(FACE_CAM, d, np.zeros(4), np.zeros(4))
    assert got.tolist() == [False, False, True, True]
    # a looser limit of 20° moves the near edge to 3.4 / tan(20°) = 9.34 m
    got20 = FaceCriterion(max_down_deg=20).capable(FACE_CAM, [9.3, 9.4], [0, 0], [0, 0])
    assert got20.tolist() == [False, True]


def test_identify_density_is_taken_at_slant_distance():
    # ground limit sqrt(28.66² - 3.4²) = 28.46 m; the ground-distance tier would allow 28.55 m
    ground = math.sqrt(IDENTIFY_SLANT_M**2 - 3.4**2)
    assert ground == pytest.approx(28.460, abs=1e-3)
    assert FACE_CAM.camera.tier_distance_m("identify") > 28.55  # the ground-distance reading
    got = FaceCriterion().capable(FACE_CAM, [ground - 0.05, ground + 0.05], [0, 0], [0, 0])
    assert got.tolist() == [True, False]
    assert FaceCriterion().distance_window_m(FACE_CAM) == pytest.approx(
        (3.4 / math.tan(math.radians(15)), ground)
    )


@pytest.mark.parametrize(
    ("offset_deg", "expected"), [(0, True), (44, True), (46, False), (90, False)]
)
@pytest.mark.parametrize("corridor_deg", [0.0, 180.0, 30.0])
@pytest.mark.parametrize("behind", [0.0, 180.0])
def test_yaw_against_the_corridor_axis(offset_deg, expected, corridor_deg, behind):
    face = FaceCriterion(max_yaw_deg=45)
    bearing = corridor_deg + behind + offset_deg  # either walking direction counts
    got = face.capable(FACE_CAM, [20.0], [bearing % 360], [corridor_deg])
    assert got.tolist() == [expected]
    # the other side of the axis too
    got = face.capable(
        FACE_CAM, [20.0], [(corridor_deg + behind - offset_deg) % 360], [corridor_deg]
    )
    assert got.tolist() == [expected]


def test_unknown_corridor_bearing_is_never_face_capable():
    assert FaceCriterion().capable(FACE_CAM, [20.0], [0.0], [np.nan]).tolist() == [False]


def test_tilt_keeps_the_face_inside_the_vertical_field_of_view():
    cam = FACE_CAM.with_(tilt_deg=20.0)
    half = cam.camera.vfov_deg / 2  # 8.55°: faces between 11.45° and 28.55° down are in view
    assert half == pytest.approx(math.degrees(math.atan(math.tan(math.radians(15)) * 9 / 16)))
    d_top = 3.4 / math.tan(math.radians(20 - half))  # 16.7 m: beyond it the face is above the image
    got = FaceCriterion().capable(cam, [14.0, d_top - 0.05, d_top + 0.05, 25.0], [0] * 4, [0] * 4)
    assert got.tolist() == [True, True, False, False]


def test_face_needs_pixels_and_height():
    with pytest.raises(ParameterError, match="resolution_px' and 'mount_height_m"):
        FaceCriterion().capable(CameraSet(range_m=40), [10.0], [0.0], [0.0])
    with pytest.raises(ParameterError, match="tier 'face-id' is not a tier"):
        FaceCriterion(tier="face-id").check_camera(FACE_CAM)
    with pytest.raises(ParameterError, match="'max_yaw_deg' parameter of FaceCriterion"):
        FaceCriterion(max_yaw_deg=120)


def test_face_credit_in_the_matrix_matches_brute_force():
    # pole at the origin, one camera facing north; N-S corridor points and one E-W point
    xs = [0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 8.0]
    ys = [10.0, 13.0, 20.0, 28.4, 29.0, 20.0, 15.0]
    bearing = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 90.0, 0.0])
    demand = np.column_stack([xs, ys])
    credit = DemandCredit(criterion=["face"] * len(xs), bearing_deg=bearing)
    cm = coverage_matrix([[0.0, 0.0]], demand, FACE_CAM.with_(rotations=4), credit=credit)
    north = cm.A.toarray()[0]
    # brute force: in the 30° sector (|atan(x/y)| <= 15°), window 12.69-28.46 m, yaw <= 30°
    d = np.hypot(xs, ys)
    az = np.degrees(np.arctan2(xs, ys)) % 360
    expect = (
        in_sector(az, 0.0, 30.0)
        & (np.degrees(np.arctan2(3.4, d)) <= 15)
        & (np.hypot(d, 3.4) <= IDENTIFY_SLANT_M)
        & (np.minimum(np.abs(az - bearing), 180 - np.abs(az - bearing)) <= 30)
    )
    assert north.tolist() == expect.astype(float).tolist()
    assert north.tolist() == [0, 1, 1, 1, 0, 0, 0]  # 8/15 is 28° off axis: out of the 30° sector


# --------------------------------------------------------------------------- objective mix
def test_selectors_and_first_match():
    d = pd.DataFrame({"risk": [0.1, 0.7, 0.5, 0.9], "district": ["A", "B", "A", "A"]})
    assert select_demand(d, "risk > 0.5").tolist() == [False, True, False, True]
    assert select_demand(d, "district != A").tolist() == [False, True, False, False]
    terms = [
        ObjectiveTerm("district == A", "detect"),
        ObjectiveTerm("default", "quality", 0.5),
        ObjectiveTerm("risk >= 0.7", "face", 4.0),
    ]
    crit, w = demand_criteria(d, terms)
    # non-default terms in order (the first that picks a point wins), then the default
    assert crit.tolist() == ["detect", "face", "detect", "detect"]
    assert w.tolist() == [1.0, 4.0, 1.0, 1.0]
    crit, w = demand_criteria(d, [ObjectiveTerm("risk > 0.6", "observe", 2.0)])
    assert crit.tolist() == ["", "observe", "", "observe"]
    assert w.tolist() == [0.0, 2.0, 0.0, 2.0]


def test_bad_objectives_name_the_fix():
    cs = CameraSet(resolution_px=1920, mount_height_m=5.0)
    with pytest.raises(ParameterError, match="criterion 'faces'; the criteria are 'quality'"):
        normalize_objective({"default": "faces"}, cs)
    with pytest.raises(ParameterError, match="needs a camera set with 'resolution_px'"):
        normalize_objective({"default": "detect"}, CameraSet(range_m=40))
    with pytest.raises(ParameterError, match="more than one 'default'"):
        normalize_objective([("default", "detect"), ("*", "observe")], cs)
    with pytest.raises(ParameterError, match="'weight' parameter of ObjectiveTerm"):
        normalize_objective({"default": ("detect", -1)}, cs)
    with pytest.raises(InputError, match="no column 'hotspot'. Its columns are 'risk'"):
        select_demand(pd.DataFrame({"risk": [0.1]}), "hotspot")
    with pytest.raises(InputError, match="needs a numeric column"):
        select_demand(pd.DataFrame({"district": ["A"]}), "district > 2")


def _grid_demand() -> np.ndarray:
    g = np.arange(-45.0, 46.0, 3.0)
    return np.array([(x, y) for x in g for y in g])


def test_tier_criterion_is_the_tier_reached():
    cs = CameraSet(cameras=3, hfov_deg=90, resolution_px=1920, rotations=2)
    sites = [[0.0, 0.0], [20.0, 5.0]]
    demand = _grid_demand()
    base = coverage_matrix(sites, demand, cs)
    for tier, weight in zip(("detect", "observe", "recognise"), (0.25, 0.5, 0.75), strict=True):
        credit = DemandCredit(criterion=[tier] * len(demand))
        got = coverage_matrix(sites, demand, cs, credit=credit).A.toarray()
        assert got.tolist() == (base.A.toarray() >= weight).astype(float).tolist()
    same = coverage_matrix(sites, demand, cs, credit=DemandCredit(["quality"] * len(demand)))
    assert (same.A != base.A).nnz == 0


# --------------------------------------------------------------------------- privacy rules
def test_rules_are_checked():
    cs = CameraSet(resolution_px=1920)
    with pytest.raises(ParameterError, match="max_tier 'watch' is not a tier"):
        normalize_privacy_rules([{"category": "school", "max_tier": "watch"}], cs)
    with pytest.raises(ParameterError, match="category 'school' more than once"):
        normalize_privacy_rules([("school", "detect"), ("school", "observe")], cs)
    with pytest.raises(ParameterError, match="need a camera set with 'resolution_px'"):
        normalize_privacy_rules([PrivacyRule("school", "detect")], CameraSet(range_m=40))
    with pytest.raises(ParameterError, match="must be a list of"):
        normalize_privacy_rules({"category": "school", "max_tier": "detect"}, cs)


def test_masking_caps_credit_inside_the_zone_brute_force():
    import shapely

    cs = CameraSet(cameras=3, hfov_deg=90, resolution_px=1920, rotations=3)
    sites = np.array([[0.0, 0.0], [25.0, -10.0], [-30.0, 20.0]])
    demand = _grid_demand()
    zone = shapely.box(-12.0, -8.0, 9.0, 30.0)  # covers one pole and points at every tier
    inside = shapely.contains_xy(zone, demand[:, 0], demand[:, 1]) | shapely.touches(
        zone, shapely.points(demand)
    )
    free = coverage_matrix(sites, demand, cs).A.toarray()
    old = coverage_matrix(sites, demand, cs, privacy_zones=[zone])
    assert old.meta["n_privacy_excluded"] > 0  # the default rule forbids cameras looking in
    for tier, cap in (("detect", 0.25), ("observe", 0.5), ("recognise", 0.75)):
        ruled = coverage_matrix(sites, demand, cs, privacy_zones=[zone], privacy_max_tier=[tier])
        A = ruled.A.toarray()
        assert A.shape == free.shape  # no configuration is refused: the view is masked
        assert A[:, inside].max() <= cap
        assert np.array_equal(A[:, inside], np.minimum(free[:, inside], cap))
        assert np.array_equal(A[:, ~inside], free[:, ~inside])
        assert ruled.meta["n_demand_masked"] == int(inside.sum())
        # a tier criterion above the rule earns nothing inside; at or below, as without zones
        for crit in ("observe", "identify"):
            credit = DemandCredit([crit] * len(demand))
            B = coverage_matrix(
                sites, demand, cs, privacy_zones=[zone], privacy_max_tier=[tier], credit=credit
            ).A.toarray()
            allowed = ["detect", "observe", "recognise", "identify"].index(crit) <= [
                "detect",
                "observe",
                "recognise",
            ].index(tier)
            free_c = coverage_matrix(sites, demand, cs, credit=credit).A.toarray()
            assert np.array_equal(B[:, inside], free_c[:, inside] if allowed else 0 * B[:, inside])


def test_face_is_masked_below_identify():
    import shapely

    demand = np.array([[0.0, 20.0]])
    credit = DemandCredit(["face"], bearing_deg=[0.0])
    zone = shapely.box(-5, 15, 5, 25)
    got = {
        t: coverage_matrix(
            [[0.0, 0.0]],
            demand,
            FACE_CAM,
            privacy_zones=[zone],
            privacy_max_tier=[t],
            credit=credit,
        ).A.toarray()[0, 0]
        for t in ("recognise", "identify")
    }
    assert got == {"recognise": 0.0, "identify": 1.0}
    with pytest.raises(InputError, match="privacy_max_tier names 'home'"):
        coverage_matrix(
            [[0.0, 0.0]], demand, FACE_CAM, privacy_zones=[zone], privacy_max_tier=["home"]
        )


def test_problem_refuses_a_selector_column_before_solving(tiny_scene):
    import coverage as cov

    cam = CameraSet(resolution_px=1920, mount_height_m=5.0)
    with pytest.raises(InputError, match="no column 'hotspot'. Its columns are 'weight'"):
        cov.Problem(tiny_scene, cam, objective={"hotspot": "identify", "default": "detect"})
    problem = cov.Problem(tiny_scene, cam, objective={"risk >= 0.5": "identify"})
    assert problem.objective[0].where == "risk >= 0.5"


@pytest.mark.parametrize("seed", range(6))
def test_masking_never_exceeds_the_rule_random_scenes(seed):
    import shapely

    rng = np.random.default_rng(seed)
    cs = CameraSet(cameras=2, hfov_deg=60, resolution_px=2560, rotations=3)
    sites = rng.uniform(-40, 40, (6, 2))
    demand = rng.uniform(-60, 60, (300, 2))
    zones = [
        shapely.box(*np.r_[np.minimum(a, b), np.maximum(a, b)])
        for a, b in (rng.uniform(-50, 50, (2, 2)) for _ in range(3))
    ]
    tiers = [rng.choice(["detect", "observe", "recognise"]) for _ in zones]
    caps = {"detect": 0.25, "observe": 0.5, "recognise": 0.75}
    A = coverage_matrix(sites, demand, cs, privacy_zones=zones, privacy_max_tier=tiers).A.toarray()
    free = coverage_matrix(sites, demand, cs).A.toarray()
    limit = np.ones(len(demand))
    for z, t in zip(zones, tiers, strict=True):
        inside = shapely.intersects(z, shapely.points(demand))
        limit[inside] = np.minimum(limit[inside], caps[t])
    assert np.array_equal(A, np.minimum(free, limit[None, :]))
