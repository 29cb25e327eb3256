"""Camera and CameraSet: hand-worked DORI numbers, blind zone, rotations, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coverage.camera import (
    DORI_EN62676_2015,
    PRESETS,
    Camera,
    CameraSet,
    rotation_offsets_deg,
)
from coverage.errors import ParameterError

# 1920 px across 90°: 2 tan 45° = 2, so distance = 1920 / (2 * density)
WORKED_1920_90 = {"detect": 38.4, "observe": 15.36, "recognise": 7.68, "identify": 3.84}


def test_dori_distances_1920px_90deg():
    cam = Camera(hfov_deg=90, resolution_px=1920)
    for tier, d in WORKED_1920_90.items():
        assert cam.tier_distance_m(tier) == pytest.approx(d, abs=1e-9)
    assert cam.tier_distances_m == pytest.approx(WORKED_1920_90)


def test_dori_distance_formula_other_lens():
    # 3840 px over 60°: 2 tan 30° = 1.154700538; detect = 3840 / (25 * 1.1547) = 133.0215 m
    cam = Camera(hfov_deg=60, resolution_px=3840)
    assert cam.tier_distance_m("detect") == pytest.approx(133.0215, abs=1e-4)
    assert cam.tier_distance_m("identify") == pytest.approx(13.30215, abs=1e-5)


@pytest.mark.parametrize(("tier_i", "tier"), list(enumerate(WORKED_1920_90)))
def test_tier_boundaries_plus_minus_1cm(tier_i, tier):
    cam = Camera(hfov_deg=90, resolution_px=1920)
    d = WORKED_1920_90[tier]
    weights = (0.25, 0.5, 0.75, 1.0)
    inside, outside = cam.quality([d - 0.01, d + 0.01])
    assert inside == weights[tier_i]
    assert outside == (weights[tier_i - 1] if tier_i > 0 else 0.0)


def test_pixel_density_matches_tier_at_boundary():
    cam = Camera(hfov_deg=90, resolution_px=1920)
    assert cam.pixel_density(38.4) == pytest.approx(25.0)
    assert cam.pixel_density(3.84) == pytest.approx(250.0)


def test_hfov_from_lens():
    # atan(5.6 / (2 * 2.8)) = atan(1) = 45°, so hfov = 90°
    assert Camera(focal_length_mm=2.8, sensor_width_mm=5.6).hfov_deg == pytest.approx(90.0)
    # 4 mm lens on a 6.4 mm sensor: 2 atan(0.8) = 77.3196°
    assert Camera(focal_length_mm=4.0, sensor_width_mm=6.4).hfov_deg == pytest.approx(
        2 * math.degrees(math.atan(0.8))
    )
    with pytest.raises(ParameterError, match="both 'focal_length_mm' and 'sensor_width_mm'"):
        Camera(focal_length_mm=4.0)
    with pytest.raises(ParameterError, match="lens gives"):
        Camera(hfov_deg=60, focal_length_mm=2.8, sensor_width_mm=5.6)


def test_blind_zone_from_height_and_tilt():
    # square sensor, 90° hfov -> vfov 90°; lower edge at tilt + 45°
    cam = Camera(hfov_deg=90, mount_height_m=6.0, tilt_deg=15.0, aspect_ratio=1.0)
    assert cam.blind_distance_m == pytest.approx(6.0 / math.tan(math.radians(60.0)))
    assert Camera(hfov_deg=90, mount_height_m=6.0).blind_distance_m == 0.0
    # lower edge past vertical: nothing hidden
    assert (
        Camera(hfov_deg=90, mount_height_m=6, tilt_deg=50, aspect_ratio=1.0).blind_distance_m == 0
    )
    cs = CameraSet(hfov_deg=90, mount_height_m=6.0, tilt_deg=15.0, aspect_ratio=1.0)
    assert cs.min_range_m == pytest.approx(3.4641016)
    assert cs.quality([3.4, 3.5]).tolist() == [0.0, 1.0]


def test_default_set_is_binary_within_range():
    cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    assert cs.n_cameras == 3
    assert cs.relative_headings_deg == (0.0, 120.0, 240.0)
    assert cs.hfov_deg == 90.0
    assert cs.range_m == 40.0
    assert cs.rotations == 4
    assert cs.quality([0.0, 20.0, 40.0, 40.001]).tolist() == [1.0, 1.0, 1.0, 0.0]
    assert CameraSet().range_m == 40.0


def test_resolution_defaults_range_to_detect_distance():
    cs = CameraSet(resolution_px=1920)
    assert cs.range_m == pytest.approx(38.4)
    assert cs.quality([3.0, 7.0, 15.0, 38.0, 38.5]).tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_min_tier_drops_lower_tiers_and_range():
    cs = CameraSet(resolution_px=1920, min_tier="recognise")
    assert cs.range_m == pytest.approx(7.68)
    assert cs.quality([3.0, 7.0, 10.0]).tolist() == [1.0, 0.75, 0.0]


def test_custom_tiers_and_weights():
    tiers = (("observe", 50.0), ("identify", 200.0))
    cam = Camera(hfov_deg=90, resolution_px=1000, tiers=tiers, tier_weights=(0.4, 1.0))
    # observe at 1000 / (50 * 2) = 10 m, identify at 1000 / 400 = 2.5 m
    assert cam.quality([2.0, 5.0, 10.5]).tolist() == [1.0, 0.4, 0.0]
    # without weights: evenly spaced up to 1
    assert Camera(hfov_deg=90, resolution_px=1000, tiers=tiers).tier_weights == (0.5, 1.0)
    assert Camera(hfov_deg=90, resolution_px=1000, tiers=dict(tiers)).tiers == tiers


def test_rotation_offsets():
    assert rotation_offsets_deg(120.0, 4).tolist() == [0.0, 30.0, 60.0, 90.0]
    assert CameraSet(cameras=2).period_deg == 180.0
    assert CameraSet(cameras=3, relative_headings_deg=(0, 90, 180)).period_deg == 360.0
    assert CameraSet(cameras=4).period_deg == 90.0
    assert CameraSet(cameras=1).period_deg == 360.0
    assert CameraSet(cameras=2, rotations=3).rotation_offsets_deg().tolist() == [0.0, 60.0, 120.0]


def test_corridor_offsets_dedupe_modulo_period():
    cs = CameraSet(cameras=3, rotations="corridors")  # period 120
    assert cs.corridor_offsets_deg([0.0, 90.0, 180.0, 270.0]).tolist() == [0.0, 30.0, 60.0, 90.0]
    assert cs.corridor_offsets_deg([5.0, 125.0, 245.5]).tolist() == [5.0]
    assert cs.corridor_offsets_deg([119.6, 0.2]).tolist() == [0.2]  # wraps around the period
    assert cs.corridor_offsets_deg([]).tolist() == [0.0]
    assert cs.headings_for(10.0) == (10.0, 130.0, 250.0)


def test_presets():
    for name in PRESETS:
        assert isinstance(CameraSet.preset(name), CameraSet)
    assert CameraSet.preset("tri-90", range_m=30).range_m == 30.0
    with pytest.raises(ParameterError, match=r"'name' parameter of CameraSet\.preset"):
        CameraSet.preset("nope")


def test_from_camera_and_with():
    cam = Camera(focal_length_mm=2.8, sensor_width_mm=5.6, resolution_px=1920)
    cs = CameraSet.from_camera(cam, cameras=2)
    assert cs.hfov_deg == pytest.approx(90.0)
    assert cs.range_m == pytest.approx(38.4)
    assert cs.with_(range_m=20).range_m == 20.0


def test_frozen_and_hashable():
    cs = CameraSet()
    with pytest.raises(AttributeError):
        cs.range_m = 3  # type: ignore[misc]
    assert CameraSet() == cs
    assert hash(CameraSet()) == hash(cs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cameras": 0}, r"The 'cameras' parameter of CameraSet must be an int in \[1, inf\)"),
        ({"hfov_deg": 0}, r"The 'hfov_deg' parameter of Camera must be a number in \(0, 360\]"),
        ({"hfov_deg": 400}, "'hfov_deg' parameter of Camera"),
        ({"range_m": -1}, "'range_m' parameter of CameraSet"),
        ({"rotations": "streets"}, "'rotations' parameter of CameraSet"),
        ({"rotations": 0}, "'rotations' parameter of CameraSet"),
        ({"relative_headings_deg": (0, 90)}, "one finite heading per camera"),
        ({"resolution_px": 0}, "'resolution_px' parameter of Camera"),
        ({"tiers": (("a", 10.0), ("b", 5.0))}, "strictly increasing"),
        ({"tier_weights": (1.0, 0.5, 0.5, 0.5)}, "non-decreasing"),
        ({"min_tier": "glimpse"}, "'min_tier' parameter of Camera"),
    ],
)
def test_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        CameraSet(**kwargs)


def test_tiers_default_is_en62676_2015():
    assert dict(DORI_EN62676_2015) == {
        "detect": 25.0,
        "observe": 62.5,
        "recognise": 125.0,
        "identify": 250.0,
    }
    assert np.isinf(Camera(hfov_deg=90).tier_distance_m("detect"))
