"""hong_kong: the scene built from the real open data (read from ../shared/data/hong-kong)."""

from __future__ import annotations

import pytest

import coverage as cov


def test_hong_kong_scene(hk_path):
    scene = cov.datasets.hong_kong(hk_path, incidents="tst")
    assert scene.crs.to_epsg() == 2326
    assert len(scene.districts) == 18
    assert "Yau Tsim Mong" in set(scene.districts["name"])
    assert scene.districts["population"].sum() == 7_422_300  # SOURCES.md
    # 321 OSM ways; three service roads repeat 64.8 m of earlier rows and are split there
    assert len(scene.corridors) == 324
    assert scene.corridors.length.sum() == pytest.approx(31_100, rel=0.01)  # SOURCES.md: 31.1 km
    assert len(scene.buildings) == 280
    # footfall: the class's base, raised near MTR exits and police stations by up to x3
    base = scene.corridors["kind"].map(cov.datasets.HONG_KONG_FOOTFALL_BY_KIND).fillna(1.0)
    boost = scene.corridors["footfall"].to_numpy() / base.to_numpy()
    assert boost.min() >= 1.0
    assert 2.5 < boost.max() <= 3.0
    kinds = scene.landmarks["kind"].value_counts()
    assert kinds["mtr_exit"] == 582 and kinds["police_station"] == 42
    assert any("OpenStreetMap" in a for a in scene.attribution)
    assert any("DATA.GOV.HK" in a for a in scene.attribution)
    # every TST street lies in Yau Tsim Mong
    from coverage.scene import district_of

    mids = scene.corridors.geometry.interpolate(0.5, normalized=True)
    assert set(district_of(mids.values, scene.districts)) == {"Yau Tsim Mong"}


@pytest.mark.slow
def test_hong_kong_all_incidents(hk_path):
    scene = cov.datasets.hong_kong(hk_path)
    assert len(scene.hotspots) == 89_828
    assert scene.hotspots["weight"].sum() == pytest.approx(646 * 5 + 12_385 * 3 + 76_797)


def test_hong_kong_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="Hong Kong data folder.*does not exist"):
        cov.datasets.hong_kong(tmp_path / "nowhere")


def test_hong_kong_land(hk_path):
    """The 2001 coastline: 18 land-only districts, 1,096 km² (SOURCES.md), inside the HAD ones."""
    land = cov.datasets.hong_kong_land(hk_path)
    assert land.crs.to_epsg() == 2326 and len(land) == 18
    assert land.area.sum() / 1e6 == pytest.approx(1_096, rel=0.002)
    assert set(land["code"]) == set(
        cov.datasets.hong_kong(hk_path, incidents="tst").districts["had_code"]
    )
    assert "Census and Statistics Department" in land.attrs["attribution"]
    with pytest.raises(FileNotFoundError, match="land file"):
        cov.datasets.hong_kong_land(hk_path / "nowhere")
