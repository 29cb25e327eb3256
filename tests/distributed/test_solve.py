"""The solve across workers: proven bounds (brute force), the greedy of components, the plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import block_diag, csr_array

import coverage as cov
from coverage.distributed import max_coverage as dist_max_coverage
from coverage.errors import ParameterError
from coverage.optimize import is_feasible, max_coverage, objective


def random_instance(seed: int, n_groups: int = 7, per_group: int = 2, m: int = 25):
    rng = np.random.default_rng(seed)
    n = n_groups * per_group
    dense = rng.uniform(0.2, 1.0, size=(n, m)) * (rng.random((n, m)) < 0.25)
    A = csr_array(dense)
    w = rng.uniform(0.5, 3.0, size=m)
    groups = np.repeat(np.arange(n_groups), per_group)
    return A, w, groups


def brute_force(A, w, groups, budget, fixed):
    fixed_groups = set(groups[fixed].tolist())
    rows = [i for i in range(A.shape[0]) if i not in fixed and groups[i] not in fixed_groups]
    best = objective(A, w, np.zeros(0, dtype=np.int64), fixed)
    for k in range(1, budget + 1):
        for combo in itertools.combinations(rows, k):
            if len({groups[i] for i in combo}) < k:
                continue
            best = max(best, objective(A, w, np.array(combo), fixed))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_bound_is_proven_when_components_are_cut(client, seed):
    A, w, groups = random_instance(seed)
    fixed = np.array([0])
    opt = brute_force(A, w, groups, 3, fixed)
    # three pieces: the coverage graph is one component here, so it is cut
    sol = dist_max_coverage(A, w, budget=3, groups=groups, fixed=fixed, client=client, n_pieces=3)
    assert sol.info["pieces"] == 3
    assert is_feasible(sol, A, budget=3, groups=groups, fixed=fixed)
    assert sol.objective == pytest.approx(objective(A, w, sol.selected, fixed), abs=1e-12)
    assert sol.objective <= opt + 1e-9
    assert opt <= sol.upper_bound + 1e-9
    assert sol.method == "distributed" and 0 <= sol.gap < 1


def test_components_kept_whole_give_the_global_greedy(client):
    # six independent blocks: pieces hold whole components, so merging the pieces' greedy
    # curves is the greedy of the whole, and no column is shared
    rng = np.random.default_rng(7)
    blocks = [
        csr_array(rng.uniform(0.1, 1, (6, 10)) * (rng.random((6, 10)) < 0.4)) for _ in range(6)
    ]
    A = csr_array(block_diag(blocks, format="csr"))
    w = rng.uniform(1, 2, A.shape[1])
    ref = max_coverage(A, w, budget=9, method="greedy")
    sol = dist_max_coverage(A, w, budget=9, client=client, n_pieces=3, method="greedy")
    assert sol.info["colours"] == 1  # no shared column
    assert sol.objective == pytest.approx(ref.objective, rel=1e-12)
    assert sorted(sol.selected.tolist()) == sorted(ref.selected.tolist())
    assert sol.upper_bound >= sol.objective


def test_front_door_delegates(client):
    A, w, groups = random_instance(11)
    a = max_coverage(A, w, budget=2, groups=groups, client=client, n_pieces=2)
    b = dist_max_coverage(A, w, budget=2, groups=groups, client=client, n_pieces=2)
    assert a.method == "distributed"
    np.testing.assert_array_equal(a.selected, b.selected)
    assert a.upper_bound == b.upper_bound


def test_bad_parameters(client):
    A, w, _ = random_instance(1)
    with pytest.raises(ParameterError, match="'budget' parameter"):
        dist_max_coverage(A, w, budget=0, client=client)
    with pytest.raises(ParameterError, match="'n_pieces' parameter"):
        dist_max_coverage(A, w, budget=1, client=client, n_pieces=0)
    with pytest.raises(ParameterError, match="costs"):
        max_coverage(A, w, budget=1, client=client, costs=np.ones(A.shape[0]))


def test_tiny_scene_on_tiles(client, tiny_scene):
    # three tiles' worth of poles on two crossing streets, one existing set, one building
    problem = cov.Problem(tiny_scene, cov.CameraSet(range_m=40), budget=3, method="exact")
    ref = cov.solve(problem)
    dist = cov.solve(problem, client=client, n_tiles=4)
    assert dist.matrix.meta["n_tiles"] >= 2
    assert (dist.matrix.A != ref.matrix.A).nnz == 0
    assert dist.objective <= ref.upper_bound + 1e-9
    assert ref.objective <= dist.upper_bound + 1e-9


@pytest.fixture(scope="module")
def plans(client, sample_inputs):
    problem = sample_inputs[0]
    ref = cov.solve(problem)
    steps: list[tuple[str, float, float | None]] = []
    dist = cov.solve(problem, client=client, n_tiles=4, progress=lambda *a: steps.append(a))
    return ref, dist, steps


@pytest.mark.slow
def test_plan_on_tiles_is_within_both_proven_gaps(plans):
    ref, dist, _ = plans
    assert dist.solution.method == "distributed"
    assert dist.objective <= ref.upper_bound + 1e-6
    assert ref.objective <= dist.upper_bound + 1e-6
    # the plan's numbers are recomputed from the gathered matrix
    w = dist.demand["weight"].to_numpy()
    assert dist.objective == pytest.approx(
        objective(dist.matrix.A, w, dist.solution.selected, dist.matrix.fixed), rel=1e-12
    )
    assert len(dist.new_cameras) == 20
    assert dist.new_cameras["site"].is_unique


@pytest.mark.slow
def test_progress_follows_the_tasks(plans):
    *_, steps = plans
    tiles = [s for s in steps if s[0] == "matrix: tiles"]
    assert tiles[0][1:] == (0, 4) and tiles[-1][1:] == (4, 4)
    assert [s[1] for s in tiles] == list(range(5))
    names = {s[0] for s in steps}
    assert {"optimize: curves", "optimize: online bound", "matrix", "optimize"} <= names


@pytest.mark.slow
def test_same_inputs_same_plan(client, sample_inputs, plans):
    _, dist, _ = plans
    again = cov.solve(sample_inputs[0], client=client, n_tiles=4)
    np.testing.assert_array_equal(again.solution.selected, dist.solution.selected)
    assert again.upper_bound == dist.upper_bound


@pytest.mark.slow
def test_phases_on_tiles(client, sample_inputs):
    from dataclasses import replace

    problem = replace(sample_inputs[0], budget=[6, 6], method="greedy")
    plan = cov.solve(problem, client=client, n_tiles=4)
    cams = plan.new_cameras
    assert (cams["phase"].value_counts().sort_index() == [6, 6]).all()
    assert cams["site"].is_unique  # a site chosen in phase 1 is closed in phase 2
    assert plan.objective <= plan.upper_bound


def test_quotas_are_refused_on_a_cluster(client, sample_inputs):
    from dataclasses import replace

    problem = sample_inputs[0]
    district = str(problem.scene.districts["name"].iloc[0])
    with pytest.raises(ParameterError, match="quotas"):
        cov.solve(replace(problem, quotas={district: (1, None)}), client=client)


@pytest.mark.parametrize("seed", range(3))
def test_swap_values_on_the_driver_are_exact(seed):
    # the driver's swap evaluation (gain of a row, loss of each plan row once it is in)
    # against recomputing the objective of every swapped plan
    from coverage.distributed._solve import Entries, Levels, _Top2, value_of

    A, w, _ = random_instance(seed, n_groups=10, per_group=1, m=30)
    plan_rows = np.array([0, 3, 5, 8])
    c0 = Levels.of(np.array([1, 2, 4]), np.array([0.5, 0.9, 0.3]))

    def entries(rows):
        sub = A[rows].tocoo()
        return Entries(
            rows[sub.row], sub.col.astype(np.int64), sub.data, rows, np.zeros(rows.size), rows
        )

    plan = entries(plan_rows)
    top = _Top2(plan, c0, w)
    base = value_of(plan, c0, w)
    for a in (1, 2, 9):
        add, loss = top.swap_value(A[[a]].tocoo().col.astype(np.int64), A[[a]].tocoo().data)
        assert add == pytest.approx(value_of(plan + entries(np.array([a])), c0, w) - base)
        for i, d in enumerate(top.rows):
            swapped = entries(np.array(sorted({*plan_rows.tolist(), a} - {int(d)})))
            assert add - loss[i] == pytest.approx(value_of(swapped, c0, w) - base, abs=1e-12)
