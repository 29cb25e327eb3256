"""sample_city: the bundled sample city (package data)."""

from __future__ import annotations

import pytest

import coverage as cov


def test_sample_city_is_a_dense_city(sample_scene):
    s = sample_scene
    assert len(s.districts) >= 6
    assert s.corridors.length.sum() >= 80_000
    assert len(s.buildings) >= 1_000
    assert len(s.hotspots) >= 2_000 and s.hotspot_kind == "points"
    assert len(s.cameras) >= 5
    assert s.corridors["footfall"].nunique() > 10
    assert s.crs.is_projected
    assert s.attribution


def test_sample_city_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m coverage.datasets.synthetic --write"):
        cov.datasets.sample_city(tmp_path / "nope.gpkg")


def test_sample_city_ships_as_package_data():
    from importlib.resources import files

    resource = files("coverage.datasets") / "data" / "sample_city.gpkg"
    assert resource.is_file()
    assert str(resource) == str(cov.datasets.SAMPLE_CITY_PATH)
