"""_crs: the distance-true test, the local CRS, and the choice with its log lines."""

from __future__ import annotations

import logging
import math

import pytest
from pyproj import CRS

from coverage._crs import (
    HONG_KONG_CRS,
    MAX_SCALE_ERROR,
    choose_crs,
    distortion,
    local_crs,
    near_grid_origin,
    require_distance_true,
)
from coverage.errors import CRSError

TST = (114.16, 22.29, 114.18, 22.31)  # Tsim Sha Tsui, lon/lat box


def test_utm_scale_on_the_central_meridian_is_k0():
    # zone 32N: central meridian 9 E, k0 = 0.9996 exactly there
    d = distortion(CRS.from_epsg(32632), (9.0, 50.0, 9.0, 50.0))
    assert d.scale == pytest.approx(0.9996, abs=1e-7)
    assert d.scale_error == pytest.approx(4e-4, abs=1e-7)
    assert d.ok


def test_transverse_mercator_scale_grows_with_the_square_of_the_offset():
    # k ~ k0 (1 + (dlon cos lat)^2 / 2) a few degrees off the central meridian
    lat, dlon = 50.0, 4.0
    d = distortion(CRS.from_epsg(32632), (9.0 + dlon, lat, 9.0 + dlon, lat))
    expect = 0.9996 * (1 + (math.radians(dlon) * math.cos(math.radians(lat))) ** 2 / 2)
    assert d.scale == pytest.approx(expect, rel=2e-5)


def test_plate_carree_is_not_conformal():
    d = distortion(CRS.from_epsg(32662), (10.0, 50.0, 10.1, 50.1))
    assert d.angular_deg > 1.0
    assert "not conformal" in d.describe()


def test_unprojectable_point_is_an_infinite_error():
    d = distortion(CRS.from_epsg(3857), (10.0, 89.99999, 10.0, 90.0))
    assert not d.ok


def test_hong_kong_is_2326_whatever_the_layer_crs(caplog):
    with caplog.at_level(logging.INFO, logger="coverage"):
        assert choose_crs(CRS.from_epsg(3857), TST) == HONG_KONG_CRS
    assert "Hong Kong" in caplog.text
    assert distortion(HONG_KONG_CRS, TST).scale_error < 1e-4


@pytest.mark.parametrize(
    ("bounds", "epsg"),
    [
        ((10.0, 50.0, 10.1, 50.1), 32632),
        ((-58.5, -34.7, -58.3, -34.5), 32721),
        ((179.5, 1, 179.6, 1.1), 32660),
    ],
)
def test_local_crs_is_the_utm_zone_of_the_centre(bounds, epsg):
    crs = local_crs(bounds)
    assert crs.to_epsg() == epsg
    assert distortion(crs, bounds).scale_error <= MAX_SCALE_ERROR


def test_require_distance_true_message_names_the_scale_and_the_fix():
    with pytest.raises(CRSError) as err:
        require_distance_true(CRS.from_epsg(3857), (10.0, 60.0, 10.0, 60.0), where="X")
    msg = str(err.value)
    assert "scale factor at latitude 60.00°" in msg and "2.0000" in msg
    assert "100.00% distance error" in msg and "crs='EPSG:32632'" in msg


def test_require_distance_true_refuses_a_geographic_crs():
    with pytest.raises(CRSError, match="projected CRS in metres"):
        require_distance_true(CRS.from_epsg(4326), TST, where="X")


def test_near_grid_origin_only_for_coordinates_near_zero():
    # (0, 0) of the HK grid lies near 106.4 E 14.8 N
    assert near_grid_origin(HONG_KONG_CRS, (106.42, 14.77, 106.43, 14.78))
    assert not near_grid_origin(HONG_KONG_CRS, TST)
    assert not near_grid_origin(CRS.from_epsg(4326), TST)


def test_scene_crs_meta_names_the_working_crs_and_its_error():
    import geopandas as gpd
    from shapely.geometry import LineString, box

    import coverage as cov

    # a scene 8 degrees wide: no UTM zone is distance-true, a centred TM is
    d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(2.0, 45.0, 9.9, 45.5)], crs=4326)
    c = gpd.GeoDataFrame(geometry=[LineString([(2.5, 45.2), (9.5, 45.2)])], crs=4326)
    meta = cov.Scene(d, c).crs_meta
    assert "+proj=tmerc" in meta["working_crs"]
    assert meta["max_scale_error"] <= MAX_SCALE_ERROR
    assert meta["lonlat_bounds"] == pytest.approx([2.0, 45.0, 9.9, 45.5])


def test_a_scene_too_wide_for_any_conformal_crs_is_a_crs_error():
    import geopandas as gpd
    from shapely.geometry import LineString, box

    import coverage as cov

    d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0.0, 40.0, 20.0, 41.0)], crs=4326)
    c = gpd.GeoDataFrame(geometry=[LineString([(1.0, 40.5), (19.0, 40.5)])], crs=4326)
    with pytest.raises(CRSError, match=r"spans 20.00° of longitude.*Plan one city at a time"):
        cov.Scene(d, c)
