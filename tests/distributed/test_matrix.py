"""The matrix by tiles equals the in-process matrix exactly (sample city, buildings, existing)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array

from coverage import plan as P
from coverage.camera import CameraSet
from coverage.matrix import coverage_matrix


def assert_same(ref, cm):
    A, B = ref.A, cm.A
    assert A.shape == B.shape
    assert (A != B).nnz == 0
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_array_equal(A.data, B.data)  # exact, not approximately
    for name in ("site", "existing", "rotation", "fixed", "groups"):
        np.testing.assert_array_equal(getattr(ref, name), getattr(cm, name), err_msg=name)
    np.testing.assert_array_equal(ref.headings_deg, cm.headings_deg)
    for key, value in ref.meta.items():
        assert cm.meta[key] == value, key


@pytest.fixture(scope="module")
def reference(sample_inputs):
    problem, demand, sites = sample_inputs
    return P.build_matrix(problem, demand, sites)


@pytest.mark.parametrize("n_tiles", [4, 9])
def test_tiles_give_the_single_machine_matrix(client, sample_inputs, reference, n_tiles):
    problem, demand, sites = sample_inputs
    # the sample city has buildings (occlusion), privacy zones and existing sets
    assert problem.scene.buildings.size and len(problem.scene.cameras)
    assert reference.fixed.size and reference.meta["n_privacy_excluded"] > 0
    cm = P.build_matrix(problem, demand, sites, client=client, n_tiles=n_tiles)
    assert cm.meta["n_tiles"] == n_tiles
    assert_same(reference, cm)


def test_corridor_rotations_and_points_on_tile_edges(client):
    # sites on a lattice, so many sit exactly on the grid lines between tiles; a building
    # between two tiles, an existing set with 2 cameras; corridor-aimed rotations
    rng = np.random.default_rng(3)
    sites = np.array([[x, y] for x in range(0, 201, 25) for y in range(0, 201, 25)], float)
    demand = rng.uniform(-30, 230, size=(1500, 2))
    bearings = [[0.0, 90.0, 180.0, 270.0][: 1 + i % 4] for i in range(len(sites))]
    import shapely

    bld = np.array([shapely.box(95, 60, 105, 140), shapely.box(20, 20, 40, 30)])
    cs = CameraSet(cameras=2, hfov_deg=70, range_m=45, rotations="corridors")
    kw = {
        "buildings": bld,
        "site_bearings_deg": bearings,
        "existing_xy": [[100.0, 100.0]],
        "existing_heading_deg": [np.nan],
        "existing_cameras": [3],
    }
    ref = coverage_matrix(sites, demand, cs, **kw)
    assert ref.A.nnz > 1000
    for n_tiles in (4, 9):
        assert_same(ref, coverage_matrix(sites, demand, cs, client=client, n_tiles=n_tiles, **kw))


def test_tiles_reject_what_the_in_process_matrix_rejects(client):
    from coverage.errors import InputError, ParameterError

    cs = CameraSet(rotations="corridors")
    with pytest.raises(InputError, match="site_bearings_deg"):
        coverage_matrix([[0.0, 0.0]], [[1.0, 1.0]], cs, client=client)
    with pytest.raises(ParameterError, match="n_tiles"):
        coverage_matrix([[0.0, 0.0]], [[1.0, 1.0]], CameraSet(), client=client, n_tiles=0)


def test_one_tile_and_empty_cells(client):
    # two clusters of sites far apart: most cells of a 3x3 grid own nothing
    sites = np.array([[0.0, 0.0], [5.0, 5.0], [1000.0, 1000.0]])
    demand = np.array([[10.0, 0.0], [0.0, 10.0], [1010.0, 1000.0], [500.0, 500.0]])
    cs = CameraSet(cameras=1, hfov_deg=360, range_m=20, rotations=1)
    ref = coverage_matrix(sites, demand, cs)
    assert isinstance(ref.A, csr_array)
    for n_tiles in (1, 9):
        cm = coverage_matrix(sites, demand, cs, client=client, n_tiles=n_tiles)
        assert_same(ref, cm)
    assert cm.meta["n_tiles"] == 2  # only cells owning a site become tiles


def test_tiles_carry_the_demand_criteria_and_privacy_tiers(client):
    # per-point criteria (face capture needs the corridor bearing) and a zone with a tier:
    # each tile gets its halo's slice of the credit and every zone with its tier
    import shapely

    from coverage.criteria import DemandCredit

    rng = np.random.default_rng(11)
    cs = CameraSet(cameras=2, hfov_deg=70, resolution_px=1920, mount_height_m=4, rotations=4)
    sites = np.array([[x, y] for x in range(0, 121, 15) for y in range(0, 121, 15)], float)
    demand = rng.uniform(-10, 130, size=(1200, 2))
    names = ["quality", "", "face", *(n for n, _ in cs.tiers)]
    credit = DemandCredit(
        criterion=rng.choice(names, size=len(demand)),
        bearing_deg=rng.uniform(0, 180, len(demand)),
    )
    zones = np.array([shapely.box(50, 50, 70, 70), shapely.box(10, 90, 30, 110)])
    tiers = [cs.tiers[-1][0], None]
    kw = {"privacy_zones": zones, "credit": credit, "privacy_max_tier": tiers}
    ref = coverage_matrix(sites, demand, cs, **kw)
    assert ref.A.nnz > 500 and ref.meta["n_demand_in_privacy"] > 0
    for n_tiles in (4, 9):
        assert_same(ref, coverage_matrix(sites, demand, cs, client=client, n_tiles=n_tiles, **kw))
