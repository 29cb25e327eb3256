"""One LocalCluster for the distributed tests (starting one costs seconds)."""

from __future__ import annotations

from importlib import metadata

import pytest


def _missing() -> str:
    """The first distribution of the 'distributed' extra that is not installed ("" if none).

    Installed distributions, not import names: with the tests on sys.path, ``import
    distributed`` would also find this very folder.
    """
    for name in ("dask", "distributed", "dask-geopandas"):
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            return name
    return ""


@pytest.fixture(scope="package", autouse=True)
def _the_extra_is_installed():
    """Skip every test here without the 'distributed' extra (before the cluster starts)."""
    if missing := _missing():
        pytest.skip(f"the 'distributed' extra is not installed ({missing} missing)")


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
