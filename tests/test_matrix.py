"""coverage_matrix: hand-worked geometry, brute force, privacy, existing sets, invariance."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array

from coverage.camera import CameraSet
from coverage.errors import InputError
from coverage.matrix import CoverageMatrix, coverage_matrix, row_orientations


def polar(az_deg: float, r: float, origin=(0.0, 0.0)) -> list[float]:
    a = math.radians(az_deg)
    return [origin[0] + r * math.sin(a), origin[1] + r * math.cos(a)]


ONE_CAM_4ROT = CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=4)  # rows face N, E, S, W


def test_contract_call_and_types():
    cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    cm = coverage_matrix(np.array([[0.0, 0.0], [100.0, 0.0]]), np.array([[10.0, 0.0]]), cs)
    assert isinstance(cm, CoverageMatrix)
    assert isinstance(cm.A, csr_array)
    assert cm.A.dtype == np.float64
    assert cm.A.shape == (8, 1)
    for name in ("site", "existing", "rotation", "fixed", "groups"):
        assert getattr(cm, name).dtype == np.int64
    assert cm.headings_deg.shape == (8, 3)
    assert cm.site.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert cm.groups.tolist() == cm.site.tolist()
    assert (cm.existing == -1).all()
    assert cm.fixed.size == 0
    # rotations: 0, 30, 60, 90 then the cameras at +120, +240
    assert cm.headings_deg[1].tolist() == [30.0, 150.0, 270.0]
    # a point 10 m east is seen by the 3 cameras of site 0 except in one orientation?
    # offsets 0/30/60/90: cameras cover az within 45° of {o, o+120, o+240}; az = 90
    # o=0: |90-120|=30 yes; o=30: |90-150|=60, |90-30|=60 no; o=60: |90-60|=30 yes; o=90 yes
    assert cm.A.toarray()[:4, 0].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert cm.A.toarray()[4:, 0].tolist() == [0.0] * 4  # 90 m away


def test_sector_30_in_50_out():
    # camera facing east (row 1), 90° view: 30° off-axis seen, 50° off-axis not
    demand = [polar(90 - 30, 20), polar(90 + 30, 20), polar(90 - 50, 20), polar(90 + 50, 20)]
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT)
    assert cm.headings_deg[1, 0] == 90.0
    assert cm.A.toarray()[1].tolist() == [1.0, 1.0, 0.0, 0.0]
    # the 50° points (az 40 and 140) are seen by the N and S rows; az 60 and 120 are not
    assert cm.A.toarray()[0].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert cm.A.toarray()[2].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_range_is_inclusive():
    demand = [[39.999, 0.0], [40.0, 0.0], [40.001, 0.0]]
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT)
    assert cm.A.toarray()[1].tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("distance", [0.8, 4.0, 39.0])
def test_points_on_a_sector_edge_are_seen_whatever_the_rounding(distance):
    # the east camera's view (row 1) ends at azimuth 45; points on that edge, then moved
    # 1e-9 m either side (what a reprojection round trip does), then 1 mm outside
    edge = np.array(polar(45.0, distance))
    outward = np.array([-1.0, 1.0]) / math.sqrt(2)  # perpendicular to the edge, away from east
    demand = [edge, edge + 1e-9 * outward, edge - 1e-9 * outward, edge + 1e-3 * outward]
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT)
    assert cm.headings_deg[1, 0] == 90.0
    assert cm.A.toarray()[1].tolist() == [1.0, 1.0, 1.0, 0.0]


def test_a_point_a_micrometre_inside_the_range_tolerance_is_seen():
    demand = [[40.0 + 5e-7, 0.0], [40.0 + 5e-6, 0.0]]
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT)
    assert cm.A.toarray()[1].tolist() == [1.0, 0.0]


def test_building_between_pole_and_point_hides_it():
    # pole at origin facing east; building x in [10, 20], y in [-5, 5]
    building = shapely.box(10, -5, 20, 5)
    demand = [[30.0, 0.0], [30.0, 20.0], [5.0, 0.0]]
    # (30, 20): the sightline passes y = 6.67 at x = 10 and 13.3 at x = 20: above the building
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT, buildings=[building])
    assert cm.A.toarray()[1].tolist() == [0.0, 1.0, 1.0]
    no_b = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT)
    assert no_b.A.toarray()[1].tolist() == [1.0, 1.0, 1.0]


def test_pole_against_wall_sees_street_in_front():
    # pole 0.2 m south of a building's south wall; street runs east-west below the wall
    building = shapely.box(-50, 0, 50, 30)
    pole = [[0.0, -0.2]]
    demand = [[-30.0, -0.2], [30.0, -0.3], [0.0, -15.0], [20.0, -10.0], [0.0, 10.0]]
    cs = CameraSet(cameras=1, hfov_deg=360, range_m=40, rotations=1)
    cm = coverage_matrix(pole, demand, cs, buildings=[building])
    # along the wall and across the street: seen; inside the building: not
    assert cm.A.toarray()[0].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_pole_snapped_inside_building_is_not_blinded():
    # pole 1 m inside the footprint (snapping error): that building is ignored for the pole
    building = shapely.box(-50, 0, 50, 30)
    other = shapely.box(10, -20, 20, -10)
    demand = [[0.0, -15.0], [30.0, -15.0], [0.0, 5.0]]
    cs = CameraSet(cameras=1, hfov_deg=360, range_m=40, rotations=1)
    cm = coverage_matrix([[0.0, 1.0]], demand, cs, buildings=[building, other])
    # (30, -15) is behind the other building (line from (0,1) crosses x in [10,20] at y in
    # [-4.3, -9.7]... no: y = 1 - 16/30 x -> at x=15 y = -7; the box is y in [-20,-10] -> clear)
    assert cm.A.toarray()[0].tolist() == [1.0, 1.0, 1.0]
    hidden = [[25.0, -25.0]]  # line y = 1 - 26/25 x: at x = 15 y = -14.6, inside the other box
    cm2 = coverage_matrix([[0.0, 1.0]], hidden, cs, buildings=[building, other])
    assert cm2.A.nnz == 0


def test_dori_values_in_matrix():
    cs = CameraSet(cameras=1, hfov_deg=90, resolution_px=1920, rotations=1)  # faces north
    demand = [[0.0, 3.0], [0.0, 7.0], [0.0, 15.0], [0.0, 38.0], [0.0, 39.0]]
    cm = coverage_matrix([[0.0, 0.0]], demand, cs)
    assert cm.A.toarray()[0].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert cm.A.nnz == 4  # no explicit zeros


def test_privacy_zone_removes_exactly_the_configurations_looking_into_it():
    # zone 15..25 m east of the pole, 4 m wide: only the east-facing row looks into it
    zone = shapely.box(15, -2, 25, 2)
    demand = [[20.0, 0.0], [0.0, 20.0], [-20.0, 0.0], [0.0, -20.0], [20.0, 10.0]]
    cm = coverage_matrix([[0.0, 0.0]], demand, ONE_CAM_4ROT, privacy_zones=[zone])
    assert cm.headings_deg[:, 0].tolist() == [0.0, 180.0, 270.0]
    assert cm.rotation.tolist() == [0, 2, 3]
    assert cm.meta["n_privacy_excluded"] == 1
    # demand inside the zone: empty column
    assert cm.A.toarray()[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert cm.A.toarray().tolist() == [
        [0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
    ]
    # allowing some intrusion keeps the row: the zone is 10 x 4 = 40 m2, all in view
    lax = coverage_matrix(
        [[0.0, 0.0]],
        demand,
        ONE_CAM_4ROT.with_(max_privacy_intrusion_m2=40.5),
        privacy_zones=[zone],
    )
    assert lax.A.shape[0] == 4
    assert lax.A.toarray()[:, 0].tolist() == [0.0] * 4


def test_privacy_zone_behind_building_is_not_intruded():
    zone = shapely.box(15, -2, 25, 2)
    wall = shapely.box(8, -10, 10, 10)
    cm = coverage_matrix(
        [[0.0, 0.0]], [[0.0, 20.0]], ONE_CAM_4ROT, privacy_zones=[zone], buildings=[wall]
    )
    assert cm.A.shape[0] == 4  # the wall hides the zone: east row allowed


def test_existing_sets_are_fixed_rows():
    cs = CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=2)  # offsets 0, 180
    demand = [[20.0, 0.0], [0.0, 20.0], [120.0, 0.0]]
    cm = coverage_matrix(
        [[0.0, 0.0]],
        demand,
        cs,
        existing_xy=[[100.0, 0.0], [0.0, 0.0]],
        existing_heading_deg=[90.0, np.nan],
        existing_cameras=[1, 2],
    )
    assert cm.A.shape == (4, 3)
    assert cm.site.tolist() == [0, 0, -1, -1]
    assert cm.existing.tolist() == [-1, -1, 0, 1]
    assert cm.fixed.tolist() == [2, 3]
    assert cm.groups.tolist() == [0, 0, 1, 2]
    # existing 0 faces east from (100, 0): sees (120, 0). existing 1 has 2 cameras at the set
    # default orientation 0 and 180 -> north and south: sees (0, 20)
    np.testing.assert_array_equal(
        cm.headings_deg, [[0, np.nan], [180, np.nan], [90, np.nan], [0, 180]]
    )
    assert cm.A.toarray().tolist() == [
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0],
    ]


def test_corridor_rotations():
    cs = CameraSet(cameras=2, hfov_deg=60, range_m=40, rotations="corridors")  # period 180
    sites = [[0.0, 0.0], [100.0, 0.0]]
    bearings = [[90.0, 270.0, 0.0], []]
    cm = coverage_matrix(sites, [[20.0, 0.0], [0.0, -20.0]], cs, site_bearings_deg=bearings)
    assert cm.site.tolist() == [0, 0, 1]
    assert cm.headings_deg.tolist() == [[0.0, 180.0], [90.0, 270.0], [0.0, 180.0]]
    assert cm.A.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    with pytest.raises(InputError, match="site_bearings_deg"):
        coverage_matrix(sites, [[0.0, 1.0]], cs)


def test_point_at_the_pole_and_empty_inputs():
    cm = coverage_matrix([[0.0, 0.0]], [[0.0, 0.0]], ONE_CAM_4ROT)
    assert cm.A.toarray()[:, 0].tolist() == [1.0] * 4
    e = coverage_matrix(np.zeros((0, 2)), np.zeros((0, 2)), ONE_CAM_4ROT)
    assert e.A.shape == (0, 0)
    e2 = coverage_matrix([[0.0, 0.0]], np.zeros((0, 2)), ONE_CAM_4ROT)
    assert e2.A.shape == (4, 0)


def test_bad_inputs():
    with pytest.raises(InputError, match=r"'sites_xy' must be an \(n, 2\) array"):
        coverage_matrix([[0.0, 0.0, 0.0]], [[1.0, 1.0]], ONE_CAM_4ROT)
    with pytest.raises(InputError, match="'demand_xy' has 1 row"):
        coverage_matrix([[0.0, 0.0]], [[np.nan, 1.0]], ONE_CAM_4ROT)
    with pytest.raises(InputError, match="'buildings' must hold Polygon"):
        coverage_matrix([[0.0, 0.0]], [[1.0, 1.0]], ONE_CAM_4ROT, buildings=[shapely.Point(0, 0)])
    with pytest.raises(InputError, match="one value per existing set"):
        coverage_matrix(
            [[0.0, 0.0]], [[1.0, 1.0]], ONE_CAM_4ROT, existing_xy=[[0, 0]], existing_cameras=[]
        )


def test_row_orientations():
    s, r, o = row_orientations(3, CameraSet(cameras=3, rotations=3))
    assert s.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert r.tolist() == [0, 1, 2] * 3
    assert o.tolist() == [0.0, 40.0, 80.0] * 3


# ---------------------------------------------------------------- brute force
def random_scene(seed: int, n_sites: int = 12, n_demand: int = 300, n_buildings: int = 15):
    g = np.random.default_rng(seed)
    sites = g.uniform(0, 150, (n_sites, 2))
    demand = g.uniform(0, 150, (n_demand, 2))
    c = g.uniform(0, 150, (n_buildings, 2))
    wh = g.uniform(3, 20, (n_buildings, 2))
    buildings = shapely.box(c[:, 0], c[:, 1], c[:, 0] + wh[:, 0], c[:, 1] + wh[:, 1])
    bearings = [list(g.uniform(0, 360, g.integers(0, 3))) for _ in range(n_sites)]
    return sites, demand, buildings, bearings


def brute_force(sites, demand, cs, buildings, offsets, clearance_m=0.5):
    """One pair at a time with plain math and shapely scalar predicates."""
    shrunk = [b.buffer(-clearance_m, join_style="mitre") for b in buildings]
    shrunk = [b for b in shrunk if not b.is_empty]
    rows = []
    for s, (sx, sy) in enumerate(sites):
        pole = shapely.Point(sx, sy)
        own = [b for b in shrunk if b.intersects(pole)]
        for off in offsets[s]:
            row = []
            for dx, dy in demand:
                d = math.hypot(dx - sx, dy - sy)
                q = float(cs.quality([d])[0])
                if q == 0:
                    row.append(0.0)
                    continue
                az = math.degrees(math.atan2(dx - sx, dy - sy)) % 360
                seen = False
                for rel in cs.relative_headings_deg:
                    h = (off + rel) % 360
                    diff = abs((az - h + 180) % 360 - 180)
                    seen |= diff <= cs.hfov_deg / 2
                if d == 0:
                    seen = True
                if seen:
                    line = shapely.LineString([(sx, sy), (dx, dy)])
                    if any(line.intersects(b) for b in shrunk if not any(b is o for o in own)):
                        seen = False
                row.append(q if seen else 0.0)
            rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_brute_force_with_buildings(seed):
    sites, demand, buildings, _ = random_scene(seed)
    cs = CameraSet(cameras=3, hfov_deg=70, resolution_px=1920, rotations=3)
    cm = coverage_matrix(sites, demand, cs, buildings=buildings)
    offs = [cs.rotation_offsets_deg()] * len(sites)
    expected = brute_force(sites, demand, cs, buildings, offs)
    np.testing.assert_array_equal(cm.A.toarray(), expected)
    assert cm.A.nnz > 50  # the test exercises something
    assert cm.meta["n_pairs_visible"] < cm.meta["n_pairs_in_range"]  # buildings hide some


def test_matches_brute_force_corridor_rotations():
    sites, demand, buildings, bearings = random_scene(7)
    cs = CameraSet(cameras=2, hfov_deg=90, range_m=35, rotations="corridors")
    cm = coverage_matrix(sites, demand, cs, buildings=buildings, site_bearings_deg=bearings)
    offs = [cs.corridor_offsets_deg(b) for b in bearings]
    np.testing.assert_array_equal(cm.A.toarray(), brute_force(sites, demand, cs, buildings, offs))


def test_values_in_unit_interval_no_explicit_zeros():
    sites, demand, buildings, _ = random_scene(11, n_sites=30, n_demand=500)
    cs = CameraSet(resolution_px=1280, hfov_deg=100)
    A = coverage_matrix(sites, demand, cs, buildings=buildings).A
    assert A.nnz > 0
    assert (A.data > 0).all()
    assert (A.data <= 1).all()
    assert A.has_canonical_format


# ---------------------------------------------------------------- invariance
def _transform(xy, theta_deg, shift):
    t = math.radians(theta_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return np.asarray(xy) @ rot.T + np.asarray(shift)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    theta=st.floats(0, 360, allow_nan=False),
    dx=st.floats(-1e5, 1e5, allow_nan=False),
    dy=st.floats(-1e5, 1e5, allow_nan=False),
)
def test_rotating_and_translating_the_scene_leaves_the_matrix_unchanged(seed, theta, dx, dy):
    sites, demand, buildings, _ = random_scene(seed, n_sites=6, n_demand=120, n_buildings=8)
    g = np.random.default_rng(seed + 1)
    bearings = g.uniform(0, 360, len(sites))
    cs = CameraSet(cameras=3, hfov_deg=80, range_m=45, rotations="corridors")
    a = coverage_matrix(
        sites, demand, cs, buildings=buildings, site_bearings_deg=[[b] for b in bearings]
    )
    # rotating coordinates counter-clockwise by theta turns azimuths clockwise-from-north by -theta
    rb = shapely.transform(buildings, lambda c: _transform(c, theta, (dx, dy)))
    b = coverage_matrix(
        _transform(sites, theta, (dx, dy)),
        _transform(demand, theta, (dx, dy)),
        cs,
        buildings=rb,
        site_bearings_deg=[[(x - theta) % 360] for x in bearings],
    )
    assert a.A.shape == b.A.shape
    np.testing.assert_allclose(a.A.toarray(), b.A.toarray())


# ---------------------------------------------------------------- real data: Tsim Sha Tsui
HK_DATA = Path(__file__).resolve().parents[2] / "shared/data/hong-kong"


@pytest.fixture(scope="module")
def tst_arrays():
    if not (HK_DATA / "tst_buildings_osm_2015.geojson").exists():
        pytest.skip("Hong Kong data folder not found")
    gpd = pytest.importorskip("geopandas")
    b = gpd.read_file(HK_DATA / "tst_buildings_osm_2015.geojson").to_crs(2326)
    s = gpd.read_file(HK_DATA / "tst_streets_osm_2015.geojson").to_crs(2326)
    lines = s.geometry.to_numpy()
    buildings = b.geometry.to_numpy()

    def along(step_m):
        lengths = shapely.length(lines)
        n = np.maximum(np.ceil(lengths / step_m).astype(int), 1)
        li = np.repeat(np.arange(len(lines)), n)
        frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        return shapely.get_coordinates(
            shapely.line_interpolate_point(lines[li], frac, normalized=True)
        )

    demand = along(10.0)
    sites = along(25.0)
    inside = shapely.STRtree(buildings).query(shapely.points(sites), predicate="intersects")[0]
    sites = np.delete(sites, np.unique(inside), axis=0)  # candidates are never inside buildings
    return sites, demand, buildings


def test_tst_no_camera_sees_through_a_building(tst_arrays):
    sites, demand, buildings = tst_arrays
    cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    cm = coverage_matrix(sites, demand, cs, buildings=buildings)
    assert cm.A.nnz > 10_000
    assert cm.meta["n_pairs_visible"] < cm.meta["n_pairs_in_range"] - 500  # buildings matter
    g = np.random.default_rng(0)
    rows = g.choice(cm.A.shape[0], size=150, replace=False)
    try:  # the configurations an optimizer would choose, plus the random sample
        from coverage.optimize import max_coverage

        sol = max_coverage(
            cm.A, np.ones(cm.A.shape[1]), budget=40, groups=cm.groups, method="greedy"
        )
        rows = np.union1d(rows, np.asarray(sol.selected, dtype=np.int64))
    except ImportError:  # pragma: no cover - optimizer not there yet
        pass
    sub = cm.A[rows].tocoo()
    r, j = rows[sub.row], sub.col
    pole = sites[cm.site[r]]
    # independent check: every covered pair, one segment at a time against every shrunk footprint
    shrunk = shapely.buffer(buildings, -0.5, join_style="mitre")
    seg = shapely.linestrings(np.stack([pole, demand[j]], axis=1))
    blocked = shapely.intersects(seg[:, None], shrunk[None, :])
    assert blocked.shape == (len(seg), len(buildings))
    assert not blocked.any()
    # and the converse on the same rows: in range, in a sector and clear -> covered
    d = demand[None, :, :] - sites[cm.site[rows]][:, None, :]
    dist = np.hypot(d[..., 0], d[..., 1])
    az = np.degrees(np.arctan2(d[..., 0], d[..., 1])) % 360
    diff = np.abs((az[:, :, None] - cm.headings_deg[rows][:, None, :] + 180) % 360 - 180)
    cand = (dist <= 40) & (diff <= 45 - 1e-6).any(axis=2)
    ri, ji = np.nonzero(cand)
    seg2 = shapely.linestrings(np.stack([sites[cm.site[rows[ri]]], demand[ji]], axis=1))
    clear = ~shapely.intersects(seg2[:, None], shrunk[None, :]).any(axis=1)
    dense = cm.A[rows].toarray()
    assert (dense[ri[clear], ji[clear]] == 1.0).all()
    assert (dense[ri[~clear], ji[~clear]] == 0.0).all()


@pytest.mark.parametrize("rotations", [4, "corridors"])
def test_privacy_exclusion_agrees_with_privacy_intrusion(rotations):
    from coverage.visibility import privacy_intrusion

    sites, demand, buildings, bearings = random_scene(21, n_sites=15, n_demand=100)
    g = np.random.default_rng(3)
    zc = g.uniform(0, 150, (4, 2))
    zones = shapely.box(zc[:, 0], zc[:, 1], zc[:, 0] + 12, zc[:, 1] + 9)
    cs = CameraSet(cameras=2, hfov_deg=70, range_m=30, rotations=rotations)
    kw = {"buildings": buildings, "site_bearings_deg": bearings}
    ex = {"existing_xy": g.uniform(0, 150, (3, 2)), "existing_heading_deg": [10.0, np.nan, 200.0]}
    full = coverage_matrix(sites, demand, cs, **kw, **ex)
    cm = coverage_matrix(sites, demand, cs, privacy_zones=zones, **kw, **ex)
    in_zone = shapely.STRtree(zones).query(shapely.points(demand), predicate="intersects")[0]
    # existing sets are never excluded; their rows lose only the zone columns
    ref_fixed = full.A.toarray()[full.fixed]
    ref_fixed[:, in_zone] = 0.0
    np.testing.assert_array_equal(cm.A.toarray()[cm.fixed], ref_fixed)
    assert cm.existing[cm.fixed].tolist() == [0, 1, 2]
    full = coverage_matrix(sites, demand, cs, **kw)
    cm = coverage_matrix(sites, demand, cs, privacy_zones=zones, **kw)
    area = privacy_intrusion(
        sites[full.site], full.headings_deg, cs, zones, buildings, n_rays=360
    ).sum(axis=1)
    kept = set(zip(cm.site.tolist(), cm.rotation.tolist(), strict=True))
    expect = {
        (s, r)
        for s, r, a in zip(full.site.tolist(), full.rotation.tolist(), area, strict=True)
        if a <= 1e-6
    }
    assert kept == expect
    assert 0 < len(kept) < full.A.shape[0]  # some rows go, some stay
    # and the kept rows are the same rows as in the full matrix, minus the zone columns
    pos = {k: i for i, k in enumerate(zip(full.site.tolist(), full.rotation.tolist(), strict=True))}
    idx = [pos[k] for k in zip(cm.site.tolist(), cm.rotation.tolist(), strict=True)]
    ref = full.A.toarray()[idx]
    ref[:, in_zone] = 0.0
    np.testing.assert_array_equal(cm.A.toarray(), ref)
