"""Hostile geodata: wrong CRSs, broken coordinates, double counting, network sources.

Every case asserts the clear error (type and message: layer, rows, fix) or the
correct result, checked against independent values (pyproj.Geod for ground
distances, hand-worked areas and lengths), and that no input file changed.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod
from shapely.geometry import LineString, Point, Polygon, box

import coverage as cov
from coverage._crs import distortion, local_crs
from coverage.errors import CRSError, InputError

GEOD = Geod(ellps="WGS84")
HK_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hong-kong"
#: Hong Kong 1980 Grid origin of the small HK scenes (near Tsim Sha Tsui).
X0, Y0 = 835_000.0, 818_000.0


# --------------------------------------------------------------------------- helpers
def lonlat_scene(lon: float, lat: float, size_deg: float = 0.01) -> dict[str, gpd.GeoDataFrame]:
    """A district box and an east-west plus a north-south street around (lon, lat), EPSG:4326."""
    h = size_deg / 2
    d = gpd.GeoDataFrame(
        {"name": ["D"]}, geometry=[box(lon - h, lat - h, lon + h, lat + h)], crs=4326
    )
    c = gpd.GeoDataFrame(
        {"name": ["EW", "NS"]},
        geometry=[
            LineString([(lon - 0.8 * h, lat), (lon + 0.8 * h, lat)]),
            LineString([(lon, lat - 0.8 * h), (lon, lat + 0.8 * h)]),
        ],
        crs=4326,
    )
    return {"districts": d, "corridors": c}


def hk_layers() -> dict[str, gpd.GeoDataFrame]:
    """A 200 m HK scene in EPSG:2326: two districts, a crossing, a camera, a landmark."""
    crs = 2326
    return {
        "districts": gpd.GeoDataFrame(
            {"name": ["West", "East"]},
            geometry=[box(X0, Y0, X0 + 100, Y0 + 200), box(X0 + 100, Y0, X0 + 200, Y0 + 200)],
            crs=crs,
        ),
        "corridors": gpd.GeoDataFrame(
            {"footfall": [2.0, 1.0]},
            geometry=[
                LineString([(X0, Y0 + 100), (X0 + 200, Y0 + 100)]),
                LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 200)]),
            ],
            crs=crs,
        ),
        "cameras": gpd.GeoDataFrame(geometry=[Point(X0 + 20, Y0 + 100)], crs=crs),
        "landmarks": gpd.GeoDataFrame(geometry=[Point(X0 + 150, Y0 + 150)], crs=crs),
    }


def scene_of(layers: dict[str, gpd.GeoDataFrame], **kw: object) -> cov.Scene:
    layers = dict(layers)
    return cov.Scene(layers.pop("districts"), layers.pop("corridors"), **layers, **kw)


def ground_length(line_4326: LineString) -> float:
    """Geodesic length (m) of a lon/lat line."""
    lon, lat = np.asarray(line_4326.coords).T
    return float(GEOD.line_length(lon, lat))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under `folder`."""
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


# --------------------------------------------------------------------------- 1. true distances
NOT_DISTANCE_TRUE = [
    (3857, 50.0),
    (3857, 55.0),
    (3857, 60.0),
    (3857, 35.0),
    (3857, -45.0),
    (32662, 50.0),  # Plate Carree (WGS 84)
    (4087, 60.0),  # World Equidistant Cylindrical
]


@pytest.mark.parametrize(("epsg", "lat"), NOT_DISTANCE_TRUE)
def test_layer_crs_not_distance_true_is_reprojected_with_a_warning(epsg, lat, caplog):
    lon = 10.3
    layers = {k: v.to_crs(epsg) for k, v in lonlat_scene(lon, lat).items()}
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = scene_of(layers)
    zone = int((lon + 180) // 6) + 1
    assert scene.crs.to_epsg() == (32600 if lat > 0 else 32700) + zone
    text = caplog.text
    assert f"EPSG:{epsg}" in text and f"EPSG:{scene.crs.to_epsg()}" in text
    assert "not distance-true" in text and "%" in text
    # the east-west street measures its true ground length in the working CRS
    truth = ground_length(lonlat_scene(lon, lat)["corridors"].geometry.iloc[0])
    assert scene.corridors.geometry.iloc[0].length == pytest.approx(truth, rel=1e-3)


@pytest.mark.parametrize(("epsg", "lat"), [(3857, 50.0), (3857, 60.0), (32662, 50.0), (4087, 55.0)])
def test_forced_crs_not_distance_true_is_a_crs_error(epsg, lat):
    layers = lonlat_scene(10.3, lat)
    with pytest.raises(CRSError) as err:
        scene_of(layers, crs=epsg)
    msg = str(err.value)
    assert f"EPSG:{epsg}" in msg and "not distance-true" in msg
    assert f"latitude {lat:.0f}" in msg.replace(f"{lat:.2f}", f"{lat:.0f}") or "latitude" in msg
    assert "crs='EPSG:32632'" in msg  # the fix: the local UTM zone


def test_web_mercator_scale_matches_one_over_cos_latitude():
    for lat in (30.0, 50.0, 60.0):
        d = distortion(CRS.from_epsg(3857), (10.0, lat, 10.0, lat))
        expect = 1.0 / math.cos(math.radians(lat))  # EPSG:3857 is spherical Mercator
        assert d.scale == pytest.approx(expect, rel=1e-6)
        assert not d.ok


def test_web_mercator_at_the_equator_is_kept():
    layers = {k: v.to_crs(3857) for k, v in lonlat_scene(20.0, 0.0).items()}
    assert scene_of(layers).crs.to_epsg() == 3857


def test_utm_zone_far_from_the_scene_is_replaced_by_the_local_zone(caplog):
    # data exported in zone 33N for a town at 27.5 E (zone 35)
    layers = {k: v.to_crs(32633) for k, v in lonlat_scene(27.5, 47.0).items()}
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = scene_of(layers)
    assert scene.crs.to_epsg() == 32635
    assert "EPSG:32633" in caplog.text and "EPSG:32635" in caplog.text


def test_good_metric_layer_crs_is_kept_without_warning(caplog):
    layers = {k: v.to_crs(32632) for k, v in lonlat_scene(9.2, 50.0).items()}
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = scene_of(layers)
    assert scene.crs.to_epsg() == 32632
    assert "not distance-true" not in caplog.text


@pytest.mark.parametrize("epsg", [4326, 3857, 32650])
def test_hong_kong_scene_in_any_crs_works_in_2326(epsg):
    layers = {k: v.to_crs(epsg) for k, v in hk_layers().items()}
    scene = scene_of(layers)
    assert scene.crs.to_epsg() == 2326
    assert scene.corridors.geometry.iloc[0].length == pytest.approx(200.0, abs=0.05)


def test_forcing_web_mercator_on_hong_kong_suggests_2326():
    with pytest.raises(CRSError, match=r"crs='EPSG:2326'"):
        scene_of(hk_layers(), crs=3857)


def test_wide_scene_gets_a_distance_true_transverse_mercator():
    bounds = (2.0, 45.0, 7.9, 46.0)  # straddles UTM zones 31 and 32
    crs = local_crs(bounds)
    assert distortion(crs, bounds).ok
    assert crs.coordinate_operation.method_name == "Transverse Mercator"
    assert distortion(CRS.from_epsg(32631), bounds).scale_error > 1e-3


def test_local_toy_coordinates_near_grid_origin_are_kept():
    d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=2326)
    c = gpd.GeoDataFrame(geometry=[LineString([(0, 50), (100, 50)])], crs=2326)
    scene = cov.Scene(d, c)
    assert scene.crs.to_epsg() == 2326
    assert scene.corridors.geometry.iloc[0].length == 100.0


@pytest.mark.parametrize("lat", [50.0, 60.0])
def test_web_mercator_ranges_are_true_on_the_ground(lat):
    """A camera with range_m=40 reaches 40 m of real ground (pyproj.Geod), not 40/k."""
    from coverage.demand import sample_demand
    from coverage.matrix import coverage_matrix

    lon = 4.9
    dlon = 1000.0 / (111_320.0 * math.cos(math.radians(lat)))  # a ~1 km street
    street = LineString([(lon - dlon / 2, lat), (lon + dlon / 2, lat)])
    d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[street.buffer(0.003)], crs=4326)
    c = gpd.GeoDataFrame(geometry=[street], crs=4326)
    scene = cov.Scene(d.to_crs(3857), c.to_crs(3857))
    assert scene.crs.to_epsg() != 3857
    spacing = 1.0
    demand = sample_demand(scene, spacing_m=spacing)
    site = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(scene.crs)
    sites_xy = shapely.get_coordinates(site.values)
    demand_xy = shapely.get_coordinates(demand.geometry.values)
    m = coverage_matrix(sites_xy, demand_xy, cov.CameraSet(cameras=2, hfov_deg=90, range_m=40))
    covered = np.unique(m.A.tocoo().col)
    pts = gpd.GeoSeries(shapely.points(demand_xy[covered]), crs=scene.crs).to_crs(4326)
    _, _, dist = GEOD.inv(
        np.full(len(pts), lon), np.full(len(pts), lat), pts.x.to_numpy(), pts.y.to_numpy()
    )
    reach = float(np.max(dist))
    print(f"max_ground_reach_m_at_{lat:g}N", reach)  # shown with pytest -rP
    assert 40.0 - spacing <= reach <= 40.5


# --------------------------------------------------------------------------- 2. coordinates
def _with_row(frame: gpd.GeoDataFrame, geom: object, label: str = "bad7") -> gpd.GeoDataFrame:
    extra = gpd.GeoDataFrame(
        {c: [frame[c].iloc[0]] for c in frame.columns if c != "geometry"},
        geometry=[geom],
        index=[label],
        crs=frame.crs,
    )
    return gpd.GeoDataFrame(
        __import__("pandas").concat([frame, extra]), geometry="geometry", crs=frame.crs
    )


NAN = float("nan")
INF = float("inf")
BROKEN_COORDINATES = [
    ("corridors", lambda: LineString([(X0, Y0), (NAN, Y0 + 5), (X0 + 10, Y0)]), "NaN or infinite"),
    ("corridors", lambda: LineString([(X0, Y0), (INF, Y0)]), "NaN or infinite"),
    ("districts", lambda: Polygon([(X0, Y0), (X0 + 5, Y0), (X0 + 5, NAN)]), "NaN or infinite"),
    ("cameras", lambda: Point(NAN, Y0), "NaN or infinite"),
    ("landmarks", lambda: Point(X0, -INF), "NaN or infinite"),
    ("buildings", lambda: box(X0, Y0, X0 + 5, INF), "NaN or infinite"),
    ("cameras", lambda: Point(0, 0), "far outside"),
    ("landmarks", lambda: Point(0, 0), "far outside"),
    ("districts", lambda: Polygon([(X0, Y0), (X0 + 50, Y0), (0, 0)]), "far outside"),
    ("corridors", lambda: LineString([(X0, Y0), (X0 + 10, Y0), (0, 0)]), "far outside"),
    ("buildings", lambda: box(X0 + 1e12, Y0, X0 + 1e12 + 5, Y0 + 5), "cannot place on Earth"),
    ("cameras", lambda: Point(X0, Y0 + 1e12), "far outside"),
    ("corridors", lambda: LineString([(X0, Y0), (X0 + 3e6, Y0)]), "far outside"),
]


@pytest.mark.parametrize(("layer", "geom", "words"), BROKEN_COORDINATES)
def test_broken_coordinates_name_layer_and_row(layer, geom, words):
    with np.errstate(invalid="ignore"):
        geom = geom()
    layers = hk_layers()
    if layer == "buildings":
        layers["buildings"] = gpd.GeoDataFrame(
            geometry=[box(X0 + 5, Y0 + 5, X0 + 9, Y0 + 9)], crs=2326
        )
    layers[layer] = _with_row(layers[layer], geom)
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert f"Layer {layer!r}" in msg and words in msg and "bad7" in msg


@pytest.mark.parametrize("layer", ["districts", "corridors", "cameras"])
def test_swapped_lat_lon_is_named(layer):
    layers = {k: v.to_crs(4326) for k, v in hk_layers().items()}
    frame = layers[layer]
    swapped = shapely.transform(frame.geometry.values, lambda xy: xy[:, ::-1])
    layers[layer] = frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index, crs=4326))
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert f"Layer {layer!r}" in msg and "swapped" in msg and "latitude outside" in msg
    assert "[0" in msg  # the row labels


@pytest.mark.parametrize(
    ("layer", "epsg"),
    [("districts", 4326), ("districts", 3857), ("corridors", 4326), ("corridors", 2326)],
)
def test_empty_required_layer_in_any_crs(layer, epsg):
    layers = {k: v.to_crs(epsg) for k, v in hk_layers().items()}
    layers[layer] = layers[layer].iloc[:0]
    with pytest.raises(InputError, match=f"Layer '{layer}' is empty"):
        scene_of(layers)


def test_all_problems_of_several_layers_are_reported_at_once():
    layers = hk_layers()
    with np.errstate(invalid="ignore"):
        layers["cameras"] = _with_row(layers["cameras"], Point(NAN, NAN), "cam9")
    layers["landmarks"] = _with_row(layers["landmarks"], Point(0, 0), "lm3")
    with pytest.raises(InputError) as err:
        scene_of(layers)
    assert "cam9" in str(err.value) and "lm3" in str(err.value)


def test_sparse_real_layer_is_not_flagged_as_outliers():
    # a 200 m scene with landmarks spread 30 km over Hong Kong: sparse, not stray
    layers = hk_layers()
    pts = [Point(X0 + dx, Y0 + dy) for dx, dy in [(0, 0), (30_000, 5_000), (-20_000, 12_000)]]
    layers["landmarks"] = gpd.GeoDataFrame(geometry=pts, crs=2326)
    assert len(scene_of(layers).landmarks) == 3


@pytest.mark.skipif(not HK_DATA.is_dir(), reason="Hong Kong data folder not found")
def test_real_hong_kong_police_stations_and_exits_are_not_outliers():
    before = snapshot(HK_DATA)
    scene = cov.datasets.hong_kong(HK_DATA, incidents="tst")
    kinds = scene.landmarks["kind"].value_counts()
    assert kinds["police_station"] == 42 and kinds["mtr_exit"] == 582
    assert snapshot(HK_DATA) == before


# --------------------------------------------------------------------------- 4. double counting
def _demand(scene: cov.Scene, spacing: float = 5.0) -> gpd.GeoDataFrame:
    from coverage.demand import sample_demand

    return sample_demand(scene, spacing_m=spacing)


@pytest.mark.parametrize("reverse", [False, True])
def test_duplicated_corridor_is_counted_once(reverse, caplog):
    layers = hk_layers()
    base = _demand(scene_of(layers))
    dup = layers["corridors"].iloc[[0]].copy()
    if reverse:
        dup = dup.set_geometry(dup.geometry.reverse())
    dup.index = ["copy"]
    layers["corridors"] = gpd.GeoDataFrame(
        __import__("pandas").concat([layers["corridors"], dup]), crs=2326
    )
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = scene_of(layers)
    assert len(scene.corridors) == 2
    assert "counted once" in caplog.text and "copy" in caplog.text
    demand = _demand(scene)
    assert len(demand) == len(base)
    assert demand["weight"].sum() == pytest.approx(base["weight"].sum())


def test_partly_overlapping_corridors_count_the_shared_stretch_once():
    layers = hk_layers()
    # a third street along y = 100 from x = 150 to 300: 50 m shared with the H street
    extra = gpd.GeoDataFrame(
        {"footfall": [5.0]},
        geometry=[LineString([(X0 + 150, Y0 + 100), (X0 + 300, Y0 + 100)])],
        index=["later"],
        crs=2326,
    )
    layers["corridors"] = gpd.GeoDataFrame(
        __import__("pandas").concat([layers["corridors"], extra]), crs=2326
    )
    scene = scene_of(layers)
    assert scene.corridors.length.sum() == pytest.approx(200 + 200 + 100)
    later = scene.corridors[scene.corridors["source_row"] == "later"]
    assert later.length.sum() == pytest.approx(100.0)
    assert later.geometry.iloc[0].bounds[0] == pytest.approx(X0 + 200)
    # the shared 50 m keep the first row's footfall (2): demand weight = footfall * metres / spacing
    demand = _demand(scene, spacing=5.0)
    assert demand["weight"].sum() == pytest.approx((2.0 * 200 + 1.0 * 200 + 5.0 * 100) / 5.0)


def test_corridor_overlapping_in_the_middle_is_split_in_two():
    layers = hk_layers()
    extra = gpd.GeoDataFrame(
        geometry=[LineString([(X0 - 50, Y0 + 100), (X0 + 250, Y0 + 100)])], crs=2326, index=[9]
    )
    extra["footfall"] = 1.0
    layers["corridors"] = gpd.GeoDataFrame(
        __import__("pandas").concat([layers["corridors"], extra]), crs=2326
    )
    scene = scene_of(layers)
    pieces = scene.corridors[scene.corridors["source_row"] == 9]
    assert len(pieces) == 2 and pieces.length.tolist() == pytest.approx([50.0, 50.0])


def test_nested_districts_are_an_error_naming_the_pair_and_area():
    layers = hk_layers()
    layers["districts"] = gpd.GeoDataFrame(
        {"name": ["Outer", "Inner"]},
        geometry=[box(X0, Y0, X0 + 200, Y0 + 200), box(X0 + 50, Y0 + 50, X0 + 80, Y0 + 90)],
        crs=2326,
    )
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert "'Outer' (row 0) and 'Inner' (row 1)" in msg
    assert "1,200.0 m²" in msg and "100.0% of the smaller" in msg and "overlay" in msg


def test_overlapping_districts_report_every_pair():
    layers = hk_layers()
    layers["districts"] = gpd.GeoDataFrame(
        {"name": ["A", "B", "C"]},
        geometry=[
            box(X0, Y0, X0 + 120, Y0 + 200),
            box(X0 + 100, Y0, X0 + 200, Y0 + 200),
            box(X0 + 190, Y0, X0 + 300, Y0 + 200),
        ],
        crs=2326,
    )
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert "2 pair(s)" in msg and "4,000.0 m²" in msg and "2,000.0 m²" in msg


def test_sliver_overlap_goes_to_the_first_listed_district():
    layers = hk_layers()
    # East starts 0.004 m west of West's edge: 0.8 m2 of overlap, a sliver
    layers["districts"] = gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 200), box(X0 + 99.996, Y0, X0 + 200, Y0 + 200)],
        crs=2326,
    )
    scene = scene_of(layers)
    west, east = scene.districts.geometry.values
    assert west.area == pytest.approx(20_000.0)
    assert east.area == pytest.approx(20_000.0, abs=1e-6)
    assert shapely.intersection(west, east).area == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("a", "b"), [("1", 1), ("A", "A "), (2.5, "2.5")])
def test_district_names_are_compared_as_text(a, b):
    layers = hk_layers()
    layers["districts"]["name"] = [a, b]
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert "unique as text" in msg and "rows [0, 1]" in msg and "dissolve" in msg


# --------------------------------------------------------------------------- 8. offline inputs
@pytest.fixture
def files(tmp_path):
    layers = hk_layers()
    layers["districts"].to_file(tmp_path / "districts.geojson")
    layers["corridors"].to_file(tmp_path / "corridors.geojson")
    return tmp_path


REMOTE = [
    "/vsicurl/http://example.com/d.geojson",
    "/vsicurl_streaming/https://example.com/d.geojson",
    "/vsis3/bucket/d.gpkg",
    "/vsigs/bucket/d.gpkg",
    "/vsiaz/container/d.gpkg",
    "/vsizip//vsicurl/https://example.com/d.zip/d.shp",
    "http://example.com/d.geojson",
    "https://example.com/d.geojson",
    "ftp://example.com/d.geojson",
    "HTTPS://EXAMPLE.COM/D.GEOJSON",
]


@pytest.mark.parametrize("source", REMOTE)
def test_network_source_is_refused_offline(files, source):
    before = snapshot(files)
    with pytest.raises(InputError) as err:
        cov.Scene.from_files(files / "districts.geojson", source)
    msg = str(err.value)
    assert "'corridors'" in msg and "network" in msg and "allow_network=True" in msg
    assert snapshot(files) == before


@pytest.mark.parametrize("nested", [False, True])
def test_vrt_pointing_at_the_network_is_refused(files, nested):
    (files / "remote.vrt").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="d">'
        "<SrcDataSource>/vsicurl/http://example.com/d.geojson</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    (files / "outer.vrt").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="d">'
        '<SrcDataSource relativeToVRT="1">remote.vrt</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    before = snapshot(files)
    source = files / ("outer.vrt" if nested else "remote.vrt")
    with pytest.raises(InputError, match=r"'districts' source .*/vsicurl/http://example.com"):
        cov.Scene.from_files(source, files / "corridors.geojson")
    assert snapshot(files) == before


def test_inline_vrt_with_a_url_is_refused(files):
    xml = (
        '<OGRVRTDataSource><OGRVRTLayer name="d"><SrcDataSource>https://example.com/x.gpkg'
        "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"
    )
    with pytest.raises(InputError, match="https://example.com/x.gpkg"):
        cov.Scene.from_files(xml, files / "corridors.geojson")


def test_local_vrt_is_read_offline(files):
    (files / "local.vrt").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="districts">'
        '<SrcDataSource relativeToVRT="1">districts.geojson</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    before = snapshot(files)
    scene = cov.Scene.from_files(files / "local.vrt", files / "corridors.geojson")
    assert list(scene.districts["name"]) == ["West", "East"]
    assert snapshot(files) == before


def test_broken_coordinates_in_files_leave_the_files_unchanged(tmp_path):
    layers = hk_layers()
    layers["cameras"] = _with_row(layers["cameras"], Point(0, 0), "stray")
    for name, frame in layers.items():
        frame.to_file(tmp_path / f"{name}.gpkg")
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="far outside"):
        cov.Scene.from_files(
            tmp_path / "districts.gpkg",
            tmp_path / "corridors.gpkg",
            cameras=tmp_path / "cameras.gpkg",
        )
    assert snapshot(tmp_path) == before


def test_allow_network_lets_a_vrt_mentioning_a_url_through(files):
    # the URL is only in a comment: refused offline (strict), read with allow_network=True
    (files / "commented.vrt").write_text(
        "<!-- mirrored from https://example.com/districts.geojson -->"
        '<OGRVRTDataSource><OGRVRTLayer name="districts">'
        '<SrcDataSource relativeToVRT="1">districts.geojson</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    before = snapshot(files)
    with pytest.raises(InputError, match="allow_network=True"):
        cov.Scene.from_files(files / "commented.vrt", files / "corridors.geojson")
    scene = cov.Scene.from_files(
        files / "commented.vrt", files / "corridors.geojson", allow_network=True
    )
    assert len(scene.districts) == 2
    assert snapshot(files) == before


@pytest.mark.parametrize(
    ("layer", "xy"),
    [("cameras", (0.0, 0.0)), ("landmarks", (200.0, 50.0)), ("cameras", (10.3, -50.0))],
)
def test_stray_point_in_lon_lat_far_from_a_50n_scene(layer, xy):
    layers = lonlat_scene(10.3, 50.0)
    layers[layer] = gpd.GeoDataFrame(
        geometry=[Point(10.3, 50.0), Point(*xy)], index=["ok", "stray"], crs=4326
    )
    with pytest.raises(InputError) as err:
        scene_of(layers)
    msg = str(err.value)
    assert f"Layer {layer!r}" in msg and "far outside" in msg and "['stray']" not in msg
    assert "[stray]" in msg


def test_mixed_layer_crss_all_land_in_the_local_utm_zone():
    layers = lonlat_scene(10.3, 55.0)
    layers["corridors"] = layers["corridors"].to_crs(3857)
    layers["landmarks"] = gpd.GeoDataFrame(geometry=[Point(10.3, 55.0)], crs=4326).to_crs(32662)
    scene = scene_of(layers)
    assert scene.crs.to_epsg() == 32632
    assert all(frame.crs == scene.crs for frame in scene.layers().values())
    truth = ground_length(lonlat_scene(10.3, 55.0)["corridors"].geometry.iloc[1])
    assert scene.corridors.geometry.iloc[1].length == pytest.approx(truth, rel=1e-3)


def test_local_engineering_crs_is_a_clear_error():
    wkt = 'LOCAL_CS["site grid",LOCAL_DATUM["x",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=wkt)
    c = gpd.GeoDataFrame(geometry=[LineString([(0, 50), (100, 50)])], crs=wkt)
    with pytest.raises(InputError) as err:
        cov.Scene(d, c)
    msg = str(err.value)
    assert "Layer 'districts'" in msg and "site grid" in msg and "set_crs" in msg


@pytest.mark.skipif(not HK_DATA.is_dir(), reason="Hong Kong data folder not found")
@pytest.mark.parametrize("lat", [50.0, 60.0])
def test_real_streets_moved_north_in_web_mercator_keep_true_ranges(lat):
    """Tsim Sha Tsui's OSM streets moved to 50/60 N and saved in EPSG:3857, as a web export."""
    from coverage.demand import sample_demand
    from coverage.matrix import coverage_matrix

    before = snapshot(HK_DATA)
    streets = gpd.read_file(HK_DATA / "tst_streets_osm_2015.geojson").to_crs(4326)
    streets = streets[["geometry"]].iloc[:120]
    shift = lat - float(streets.geometry.union_all().centroid.y)
    streets = streets.set_geometry(streets.translate(xoff=-110.0, yoff=shift))
    area = gpd.GeoDataFrame({"name": ["TST"]}, geometry=[streets.union_all().envelope], crs=4326)
    scene = cov.Scene(area.to_crs(3857), streets.to_crs(3857))
    assert scene.crs.to_epsg() == 32631  # TST moved to ~4.2 E
    demand = sample_demand(scene, spacing_m=2.0)
    demand_xy = shapely.get_coordinates(demand.geometry.values)
    sites_xy = demand_xy[:: max(1, len(demand_xy) // 12)][:12]
    m = coverage_matrix(sites_xy, demand_xy, cov.CameraSet(cameras=3, hfov_deg=120, range_m=40))
    coo = m.A.tocoo()
    site_ll = gpd.GeoSeries(shapely.points(sites_xy), crs=scene.crs).to_crs(4326)
    dem_ll = gpd.GeoSeries(shapely.points(demand_xy), crs=scene.crs).to_crs(4326)
    s = m.site[coo.row]
    _, _, dist = GEOD.inv(
        site_ll.x.to_numpy()[s],
        site_ll.y.to_numpy()[s],
        dem_ll.x.to_numpy()[coo.col],
        dem_ll.y.to_numpy()[coo.col],
    )
    print(
        f"real_streets_max_ground_reach_m_at_{lat:g}N", float(dist.max())
    )  # shown with pytest -rP
    assert 38.0 <= float(dist.max()) <= 40.5
    assert snapshot(HK_DATA) == before


def test_large_districts_around_a_dense_downtown_are_not_outliers():
    # a 300 km wide district with few vertices, 2,000 buildings in a 1 km downtown
    layers = hk_layers()
    layers["districts"] = gpd.GeoDataFrame(
        {"name": ["Metro"]},
        geometry=[box(X0 - 150_000, Y0 - 150_000, X0 + 150_000, Y0 + 150_000)],
        crs=2326,
    )
    xy = np.random.default_rng(0).uniform(0, 1000, size=(2000, 2))
    layers["buildings"] = gpd.GeoDataFrame(
        geometry=shapely.box(X0 + xy[:, 0], Y0 + xy[:, 1], X0 + xy[:, 0] + 3, Y0 + xy[:, 1] + 3),
        crs=2326,
    )
    assert len(scene_of(layers).buildings) == 2000


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        ("not a crs", "not a CRS pyproj understands"),
        (4326, "projected CRS in metres"),
        ("EPSG:2263", "projected CRS in metres"),  # NY State Plane, US feet
        (32618 + 10, "not distance-true"),  # zone 28N for New York
    ],
)
def test_forced_bad_crs_for_new_york(crs, words):
    layers = lonlat_scene(-73.98, 40.75)
    with pytest.raises(CRSError, match=words):
        scene_of(layers, crs=crs)


def test_layers_in_us_feet_are_worked_in_metres():
    layers = {k: v.to_crs(2263) for k, v in lonlat_scene(-73.98, 40.75).items()}
    scene = scene_of(layers)
    assert scene.crs.to_epsg() == 32618
    truth = ground_length(lonlat_scene(-73.98, 40.75)["corridors"].geometry.iloc[0])
    assert scene.corridors.geometry.iloc[0].length == pytest.approx(truth, rel=1e-3)


@pytest.mark.parametrize("copy", ["round trip through EPSG:4326", "offset 0.5 mm", "reversed"])
def test_near_exact_copy_of_a_corridor_is_counted_once(copy):
    layers = hk_layers()
    base = _demand(scene_of(layers))
    row = layers["corridors"].iloc[[0]].copy()
    if copy == "round trip through EPSG:4326":
        row = row.to_crs(4326).to_crs(2326)
        assert (
            shapely.intersection(row.geometry.iloc[0], layers["corridors"].geometry.iloc[0]).length
            == 0
        )
    elif copy == "offset 0.5 mm":
        row = row.set_geometry(row.translate(yoff=0.0005))
    else:
        row = row.set_geometry(row.geometry.reverse())
    row.index = ["copy"]
    layers["corridors"] = gpd.GeoDataFrame(
        __import__("pandas").concat([layers["corridors"], row]), crs=2326
    )
    scene = scene_of(layers)
    assert len(scene.corridors) == 2
    assert scene.corridors.length.sum() == pytest.approx(400.0)
    assert len(_demand(scene)) == len(base)


def test_parallel_streets_a_metre_apart_are_both_kept():
    layers = hk_layers()
    row = layers["corridors"].iloc[[0]].copy()
    row = row.set_geometry(row.translate(yoff=1.0))
    row.index = ["kerb"]
    layers["corridors"] = gpd.GeoDataFrame(
        __import__("pandas").concat([layers["corridors"], row]), crs=2326
    )
    scene = scene_of(layers)
    assert scene.corridors.length.sum() == pytest.approx(600.0)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_allow_network_must_be_a_bool(files, value):
    from coverage.errors import ParameterError

    with pytest.raises(ParameterError, match="'allow_network' parameter .* True or False"):
        cov.Scene.from_files(
            files / "districts.geojson", files / "corridors.geojson", allow_network=value
        )


def test_districts_and_corridors_without_any_geometry():
    d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[None], crs=4326)
    c = gpd.GeoDataFrame(geometry=[None, LineString()], crs=4326)
    with pytest.raises(InputError, match="no usable coordinates .* Give their features geometries"):
        cov.Scene(d, c)


def test_wrong_geometry_kind_is_named_plainly():
    layers = hk_layers()
    layers["corridors"] = _with_row(
        layers["corridors"], shapely.GeometryCollection([LineString([(X0, Y0), (X0 + 5, Y0)])])
    )
    with pytest.raises(InputError) as err:
        scene_of(layers)
    assert "['GeometryCollection']" in str(err.value) and "bad7" in str(err.value)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_camera_heading_is_named_not_a_type_error(value):
    layers = hk_layers()
    cams = layers["cameras"].copy()
    cams["heading_deg"] = value
    cams.index = ["pole-9"]
    layers["cameras"] = cams
    with pytest.raises(InputError) as err:
        scene_of(layers)
    message = str(err.value)
    assert "'cameras'" in message and "'heading_deg'" in message
    assert "pole-9" in message and "finite (NaN means unknown)" in message


@pytest.fixture(scope="module")
def sample_streets_plan() -> tuple[cov.Scene, cov.Plan]:
    s = cov.datasets.sample_city()
    scene = cov.Scene(s.districts, s.corridors)
    return s, cov.solve(cov.Problem(scene, cov.CameraSet(), budget=6, method="greedy"))


@pytest.mark.parametrize("epsg", [3857, 4326])
def test_the_same_plan_whatever_crs_the_layers_come_in(epsg, sample_streets_plan):
    s, native = sample_streets_plan
    scene = cov.Scene(s.districts.to_crs(epsg), s.corridors.to_crs(epsg))
    plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=6, method="greedy"))
    assert plan.meta["crs"] == native.meta["crs"] == "EPSG:32650"
    assert plan.meta["nnz"] == native.meta["nnz"]  # points on sector edges stay put
    assert list(plan.new_cameras["site"]) == list(native.new_cameras["site"])
    assert plan.objective == pytest.approx(native.objective, rel=1e-12)
