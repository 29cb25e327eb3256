"""Visibility: azimuths, sectors, line of sight, isovists, view sectors, privacy intrusion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
import shapely.affinity

from coverage.camera import CameraSet
from coverage.errors import InputError, ParameterError
from coverage.visibility import (
    angular_difference_deg,
    azimuth_deg,
    in_sector,
    isovists,
    line_of_sight,
    privacy_intrusion,
    view_sectors,
)


def test_azimuth_clockwise_from_north():
    assert azimuth_deg([0, 1, 0, -1, 1], [1, 0, -1, 0, 1]).tolist() == [0, 90, 180, 270, 45]
    assert azimuth_deg(-1e-300, 1.0)[()] == 0.0 or azimuth_deg(-1e-300, 1.0)[()] < 360.0


def test_angular_difference_wraps():
    assert angular_difference_deg([359, 0, 90], [1, 180, 271]).tolist() == [2, 180, 179]


def test_in_sector_30_in_50_out_facing_east():
    # east = 90°; 30° off-axis on both sides in, 50° out
    assert in_sector([60, 120, 40, 140], 90.0, 90.0).tolist() == [True, True, False, False]
    # exactly on the edge counts as inside
    assert in_sector([45.0, 135.0], 90.0, 90.0).tolist() == [True, True]
    assert in_sector([0.0, 200.0], np.nan, 90.0).tolist() == [False, False]
    assert in_sector([0.0, 200.0], 10.0, 360.0).tolist() == [True, True]


def test_line_of_sight_hand_worked():
    building = shapely.box(10, -5, 20, 5)
    origins = [[0, 0], [0, 0], [0, 0], [0, 0]]
    targets = [[30, 0], [30, 20], [0, 30], [9.6, 0]]
    # (30, 20): y = 2/3 x, at x = 10 -> 6.67 > 5: clear. (9.6, 0): stops before the wall
    assert line_of_sight(origins, targets, [building]).tolist() == [False, True, True, True]
    # grazing the corner: (30, 15) runs y = x / 2 -> (10, 5) exactly: the corner of the raw
    # footprint, outside the footprint shrunk by 0.5 m: not blocked
    assert line_of_sight([[0, 0]], [[30, 15]], [building]).tolist() == [True]
    # same with no clearance: touching counts as blocked
    assert line_of_sight([[0, 0]], [[30, 15]], [building], clearance_m=0.0).tolist() == [False]


def test_line_of_sight_pairs_and_no_buildings():
    o = [[0.0, 0.0], [100.0, 0.0]]
    t = [[30.0, 0.0], [50.0, 0.0]]
    b = [shapely.box(10, -5, 20, 5)]
    vis = line_of_sight(o, t, b, pairs=([0, 0, 1, 1], [0, 1, 0, 1]))
    # from (0,0) both targets lie behind the box; from (100,0) both are in the open
    assert vis.tolist() == [False, False, True, True]
    assert line_of_sight(o, t, None).tolist() == [True, True]
    with pytest.raises(InputError, match="differ in length"):
        line_of_sight(o, t[:1], b)


def test_thin_building_does_not_block():
    # a 0.8 m wide wall vanishes when shrunk by 0.5 m on each side
    assert line_of_sight([[0, 0]], [[10, 0]], [shapely.box(4.6, -5, 5.4, 5)]).tolist() == [True]


def test_multipolygon_buildings():
    mp = shapely.MultiPolygon([shapely.box(10, -5, 20, 5), shapely.box(-20, -5, -10, 5)])
    assert line_of_sight([[0, 0], [0, 0], [0, 0]], [[30, 0], [-30, 0], [0, 30]], [mp]).tolist() == [
        False,
        False,
        True,
    ]


def test_isovist_matches_hand_geometry():
    # pole at the origin; a long wall at x >= 5: the isovist stops at x = 5.5 (shrunk wall)
    v = isovists([[0.0, 0.0]], [shapely.box(5, -100, 50, 100)], range_m=10.0, n_rays=1440)
    assert shapely.bounds(v[0])[2] == pytest.approx(5.5)
    # area: disc minus the circular segment beyond x = 5.5 (r = 10)
    r, d = 10.0, 5.5
    segment = r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)
    assert shapely.area(v[0]) == pytest.approx(math.pi * r * r - segment, rel=2e-3)


def test_isovist_pole_inside_building_is_not_blinded():
    v = isovists([[0.0, 1.0]], [shapely.box(-50, 0, 50, 30)], range_m=10.0, n_rays=720)
    assert shapely.area(v[0]) == pytest.approx(math.pi * 100, rel=1e-3)


def test_view_sectors_shapes_and_clipping():
    cs = CameraSet(cameras=2, hfov_deg=90, range_m=10)
    w = view_sectors((0.0, 0.0), [90.0, 270.0], cs)
    assert w.shape == (2,)
    assert shapely.area(w) == pytest.approx([math.pi * 25] * 2, rel=2e-3)
    assert w[0].contains(shapely.Point(5, 1))
    assert not w[0].contains(shapely.Point(-5, 1))
    many = view_sectors([[0.0, 0.0], [100.0, 0.0]], [[0.0, np.nan], [90.0, 180.0]], cs)
    assert many.shape == (2, 2)
    assert many[0, 1].is_empty
    clipped = view_sectors((0.0, 0.0), [90.0], cs, buildings=[shapely.box(5, -20, 20, 20)])
    assert shapely.bounds(clipped[0])[2] == pytest.approx(5.5)
    with pytest.raises(InputError, match="headings_deg has 1 row"):
        view_sectors([[0.0, 0.0], [1.0, 1.0]], [90.0], cs)


def test_view_sectors_blind_zone_is_annulus():
    cs = CameraSet(cameras=1, hfov_deg=90, range_m=10, min_range_m=4)
    w = view_sectors((0.0, 0.0), [0.0], cs)[0]
    assert shapely.area(w) == pytest.approx(math.pi * (100 - 16) / 4, rel=2e-3)
    assert not w.contains(shapely.Point(0, 2))


def test_privacy_intrusion_hand_worked():
    cs = CameraSet(cameras=1, hfov_deg=90, range_m=10)
    # 2 x 2 box wholly inside the east wedge (|y| <= x, r <= 10), a box behind the pole
    zones = [shapely.box(2, -1, 4, 1), shapely.box(-4, -1, -2, 1), shapely.box(8, -20, 30, 20)]
    area = privacy_intrusion((0.0, 0.0), [90.0], cs, zones)
    assert area[0] == pytest.approx(4.0)
    assert area[1] == 0.0
    # third zone: the part of the wedge beyond x = 8: segment of the disc r=10 cut at 8, minus
    # the part outside the 90° wedge (none: at x >= 8 the disc has |y| <= 6 <= x)
    r, d = 10.0, 8.0
    segment = r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)
    assert area[2] == pytest.approx(segment, rel=2e-2)
    # a building in front hides the first zone (x 0.5..1.7 shrinks to 1.0..1.2, |y| <= 2.5)
    hidden = privacy_intrusion((0.0, 0.0), [90.0], cs, zones[:1], [shapely.box(0.5, -3, 1.7, 3)])
    assert hidden[0] == pytest.approx(0.0, abs=1e-9)


def test_isovist_ray_reach_matches_shapely_intersection():
    # independent: cut each ray by every shrunk footprint with shapely, nearest hit distance
    g = np.random.default_rng(5)
    c = g.uniform(-40, 40, (25, 2))
    wh = g.uniform(2, 15, (25, 2))
    bld = shapely.box(c[:, 0], c[:, 1], c[:, 0] + wh[:, 0], c[:, 1] + wh[:, 1])
    pts = g.uniform(-30, 30, (6, 2))
    n_rays, r = 90, 35.0
    v = isovists(pts, bld, range_m=r, n_rays=n_rays)
    shrunk = shapely.buffer(bld, -0.5, join_style="mitre")
    ang = np.radians(np.arange(n_rays) * 360.0 / n_rays)
    for p, poly in zip(pts, v, strict=True):
        own = shapely.intersects(shrunk, shapely.Point(p))
        ends = p + r * np.stack([np.sin(ang), np.cos(ang)], 1)
        for e in ends:
            ray = shapely.LineString([p, e])
            hits = [ray.intersection(b) for b, o in zip(shrunk, own, strict=True) if not o]
            d = min([shapely.Point(p).distance(h) for h in hits if not h.is_empty] + [r])
            tip = p + (e - p) / r * d
            # the isovist vertex on this ray sits at the nearest hit
            assert shapely.distance(poly.exterior, shapely.Point(tip)) < 1e-6


def test_line_of_sight_threads_give_same_answer(monkeypatch):
    import coverage.visibility as vis

    monkeypatch.setattr(vis, "_CHUNK", 37)
    g = np.random.default_rng(2)
    c = g.uniform(0, 100, (30, 2))
    bld = shapely.box(c[:, 0], c[:, 1], c[:, 0] + 8, c[:, 1] + 5)
    o = g.uniform(0, 100, (500, 2))
    t = g.uniform(0, 100, (500, 2))
    one = line_of_sight(o, t, bld)
    two = line_of_sight(o, t, bld, workers=2)
    np.testing.assert_array_equal(one, two)
    shrunk = shapely.buffer(bld, -0.5, join_style="mitre")[None, :]
    own = shapely.intersects(shapely.points(o)[:, None], shrunk)  # footprints holding the pole
    crossed = shapely.intersects(shapely.linestrings(np.stack([o, t], 1))[:, None], shrunk)
    expected = ~(crossed & ~own).any(axis=1)
    np.testing.assert_array_equal(one, expected)
    with pytest.raises(ParameterError, match="'workers' parameter"):
        line_of_sight(o, t, bld, workers=0)


def test_privacy_intrusion_many_sets_keeps_zone_order():
    cs = CameraSet(cameras=2, hfov_deg=90, range_m=10)
    zones = [shapely.box(2, -1, 4, 1), shapely.Polygon(), shapely.box(-4, -1, -2, 1)]
    xy = [[0.0, 0.0], [0.0, 0.0], [50.0, 50.0]]
    heads = [[90.0, 270.0], [0.0, 180.0], [90.0, 270.0]]
    many = privacy_intrusion(xy, heads, cs, zones)
    assert many.shape == (3, 3)
    for i in range(3):
        np.testing.assert_allclose(many[i], privacy_intrusion(xy[i], heads[i], cs, zones))
    np.testing.assert_allclose(many, [[4.0, 0.0, 4.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def _odd_buildings(seed: int, n: int = 40):
    """Rotated boxes, L- and U-shapes and multipolygons: hard cases for angular bins."""
    g = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        cx, cy = g.uniform(0, 120, 2)
        kind = g.integers(0, 4)
        if kind == 0:
            poly = shapely.box(cx, cy, cx + g.uniform(2, 25), cy + g.uniform(2, 25))
        elif kind == 1:  # L
            poly = shapely.union(
                shapely.box(cx, cy, cx + 20, cy + 4), shapely.box(cx, cy, cx + 4, cy + 20)
            )
        elif kind == 2:  # U around an open court
            poly = shapely.difference(
                shapely.box(cx, cy, cx + 24, cy + 20), shapely.box(cx + 4, cy + 4, cx + 20, cy + 21)
            )
        else:
            poly = shapely.MultiPolygon(
                [
                    shapely.box(cx, cy, cx + 3, cy + 3),
                    shapely.box(cx + 30, cy - 20, cx + 34, cy - 10),
                ]
            )
        ang = g.uniform(0, 360)
        out.append(shapely.affinity.rotate(poly, ang, origin="centroid"))
    return np.array(out, dtype=object)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_line_of_sight_matches_brute_force_on_odd_shapes(seed):
    bld = _odd_buildings(seed)
    g = np.random.default_rng(100 + seed)
    o = g.uniform(0, 120, (60, 2))
    t = g.uniform(0, 120, (400, 2))
    oi = np.repeat(np.arange(60), 400)
    ti = np.tile(np.arange(400), 60)
    d = np.hypot(*(t[ti] - o[oi]).T)
    oi, ti = oi[d < 45], ti[d < 45]
    vis = line_of_sight(o, t, bld, pairs=(oi, ti))
    shrunk = shapely.buffer(bld, -0.5, join_style="mitre")
    own = shapely.intersects(shapely.points(o)[:, None], shrunk[None, :])
    lines = shapely.linestrings(np.stack([o[oi], t[ti]], 1))
    crossed = shapely.intersects(lines[:, None], shrunk[None, :]) & ~own[oi]
    np.testing.assert_array_equal(vis, ~crossed.any(axis=1))
    assert 0.1 < vis.mean() < 0.95  # both outcomes occur
