"""A worker killed in the middle of a run does not change the result (dask reruns its tasks).

Runs last in this folder (file order): the nanny restarts the killed worker, and the test
waits for it, so the shared cluster is whole again afterwards.
"""

from __future__ import annotations

import os
import signal

import numpy as np
from scipy.sparse import csr_array

from coverage.camera import CameraSet
from coverage.distributed import _matrix
from coverage.distributed import max_coverage as dist_max_coverage
from coverage.matrix import _existing_sets, coverage_matrix


class KillOnce:
    """A progress callback that kills one worker process when `stage` first reports work done."""

    def __init__(self, client, stage: str) -> None:
        self.client, self.stage, self.killed = client, stage, 0

    def __call__(self, stage: str, done: float, total: float | None) -> None:
        if stage == self.stage and done >= 1 and not self.killed:
            pids = self.client.run(os.getpid)
            victim = sorted(pids)[0]
            os.kill(pids[victim], signal.SIGKILL)
            self.killed += 1


def lattice(seed: int = 5):
    rng = np.random.default_rng(seed)
    sites = np.array([[x, y] for x in range(0, 301, 20) for y in range(0, 301, 20)], float)
    demand = rng.uniform(-20, 320, size=(4000, 2))
    return sites, demand, CameraSet(cameras=2, hfov_deg=80, range_m=40, rotations=3)


def test_killed_worker_while_tiles_are_built(client):
    sites, demand, cs = lattice()
    ref = coverage_matrix(sites, demand, cs)
    kill = KillOnce(client, "matrix: tiles")
    none = np.zeros((0, 2))
    tiled = _matrix.tiled_matrix(
        sites,
        demand,
        cs,
        client=client,
        n_tiles=9,
        buildings=np.zeros(0, dtype=object),
        zones=np.zeros(0, dtype=object),
        bearings=None,
        existing=_existing_sets(none, None, None, cs),
        clearance_m=0.5,
        privacy_n_rays=360,
        progress=kill,
    )
    cm = tiled.gather()  # some tiles were held by the dead worker: rebuilt from the graph
    assert kill.killed == 1
    assert (cm.A != ref.A).nnz == 0
    np.testing.assert_array_equal(cm.A.data, ref.A.data)
    client.wait_for_workers(2, timeout=60)


def test_killed_worker_while_pieces_are_solved(client):
    sites, demand, cs = lattice(6)
    cm = coverage_matrix(sites, demand, cs)
    w = np.random.default_rng(1).uniform(0.5, 2.0, cm.A.shape[1])
    A = csr_array(cm.A)
    kw = {"budget": 25, "groups": cm.groups, "client": client, "n_pieces": 6, "method": "local"}
    ref = dist_max_coverage(A, w, **kw)
    kill = KillOnce(client, "optimize: curves")
    sol = dist_max_coverage(A, w, progress=kill, **kw)
    assert kill.killed == 1
    np.testing.assert_array_equal(sol.selected, ref.selected)
    assert sol.objective == ref.objective
    assert sol.upper_bound == ref.upper_bound
    client.wait_for_workers(2, timeout=60)


def test_released_tiles_and_a_killed_worker(client):
    # the tiles dropped once the pieces are built: a lost piece is rebuilt from the graph
    from coverage.distributed import solve_tiles

    sites, demand, cs = lattice(8)
    none = np.zeros((0, 2))
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(demand))

    def tiles(progress=None):
        return _matrix.tiled_matrix(
            sites,
            demand,
            cs,
            client=client,
            n_tiles=4,
            buildings=np.zeros(0, dtype=object),
            zones=np.zeros(0, dtype=object),
            bearings=None,
            existing=_existing_sets(none, None, None, cs),
            clearance_m=0.5,
            privacy_n_rays=360,
            progress=progress,
        )

    (ref,) = solve_tiles(tiles(), w, budgets=[15], method="local")
    tiled = tiles()
    kill = KillOnce(client, "optimize: plans, colour 1")
    (sol,) = solve_tiles(tiled, w, budgets=[15], method="local", release_tiles=True, progress=kill)
    assert kill.killed == 1 and tiled.tiles == []
    np.testing.assert_array_equal(sol.selected, ref.selected)
    assert sol.upper_bound == ref.upper_bound
    client.wait_for_workers(2, timeout=60)
