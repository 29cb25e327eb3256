"""One LocalCluster for the distributed tests (starting one costs seconds)."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="the 'distributed' extra (dask) is not installed")


@pytest.fixture(scope="package")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="package")
def sample_inputs():
    """The sample city's problem, demand points and candidate sites (in-process)."""
    import coverage as cov
    from coverage import plan as P

    scene = cov.datasets.sample_city()
    problem = cov.Problem(scene, cov.CameraSet(), budget=20, method="local")
    return problem, P._make_demand(problem), P._make_sites(problem)
