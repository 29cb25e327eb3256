"""Scene.from_osm and coverage.osm: one small hand-written .osm file per tag rule, and the real
Tsim Sha Tsui extract (../shared/data/hong-kong, skipped when absent) against counts taken
straight from its XML."""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

import coverage as cov
from coverage.errors import InputError, ParameterError
from coverage.osm import (
    DEFAULT_BUILDING_HEIGHT_M,
    DOME_CAMERAS,
    FOOTFALL,
    HOTSPOT_WEIGHTS,
    LEVEL_HEIGHT_M,
    UNKNOWN_OWNER,
    parse_direction,
    parse_height,
    parse_hstore,
    read_osm,
    read_privacy_zones,
)

DATA = Path(__file__).parent / "data" / "osm"
GEOD = Geod(ellps="WGS84")


def osm_nodes(path: Path) -> dict[str, tuple[float, float]]:
    """Node id -> (lon, lat), read from the XML without GDAL."""
    root = ET.parse(path).getroot()
    return {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}


def osm_tags(element: ET.Element) -> dict[str, str]:
    return {t.get("k"): t.get("v") for t in element.iter("tag")}


# ----------------------------------------------------------------- tag values
def test_parse_hstore_quotes_escapes_and_separators():
    text = r'"a"=>"x","b\"q"=>"say \"hi\", k=>v","c"=>"back\\slash","d"=>"","e"=>NULL'
    assert parse_hstore(text) == {
        "a": "x",
        'b"q': 'say "hi", k=>v',
        "c": "back\\slash",
        "d": "",
        "e": "",
    }
    assert parse_hstore(None) == {} and parse_hstore(float("nan")) == {} and parse_hstore("") == {}


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("12", 12.0),
        ("12 m", 12.0),
        ("12.5m", 12.5),
        (" 12.5 metres ", 12.5),
        ("7,5", 7.5),
        ("40'", 40 * 0.3048),
        ("40 ft", 40 * 0.3048),
        ("40'6\"", 40.5 * 0.3048),
        ("0", 0.0),
    ],
)
def test_parse_height_units(text, metres):
    assert parse_height(text) == pytest.approx(metres, abs=1e-6)


@pytest.mark.parametrize("text", ["tall", "", "-3", "12;15", "~12", None, "12 storeys"])
def test_parse_height_garbage_is_nan(text):
    assert math.isnan(parse_height(text))


@pytest.mark.parametrize(
    ("text", "heading", "n"),
    [
        ("N", 0.0, 1),
        ("NE", 45.0, 1),
        ("ENE", 67.5, 1),
        ("sw", 225.0, 1),
        ("NNW", 337.5, 1),
        ("north-east", 45.0, 1),
        ("North West", 315.0, 1),
        ("90", 90.0, 1),
        ("-90", 270.0, 1),
        ("370", 10.0, 1),
        ("22.5°", 22.5, 1),
        ("45-135", 90.0, 1),
        ("350-10", 0.0, 1),
        ("45;225", 45.0, 2),
        ("0;120;240", 0.0, 3),
    ],
)
def test_parse_direction(text, heading, n):
    assert parse_direction(text) == (pytest.approx(heading), n)


@pytest.mark.parametrize("text", ["sideways", "forward", "", "NE;up", None, "N-E-S"])
def test_parse_direction_garbage_is_unknown(text):
    h, n = parse_direction(text)
    assert math.isnan(h) and n == 1


# ----------------------------------------------------------------- corridors
def test_corridors_follow_the_walkable_rules(caplog):
    with caplog.at_level(logging.INFO, logger="coverage"):
        osm = read_osm(DATA / "corridors.osm")
    # hand-worked from the rules in coverage.osm: footway, residential, trunk with foot=yes,
    # private service with foot=yes, steps, primary; not motorway(_link), plain trunk, foot=no,
    # access=private, highway=corridor, indoor=yes, construction, use_sidepath, the river,
    # nor the pedestrian area (a polygon)
    assert list(osm.corridors.index) == [
        "way 101",
        "way 102",
        "way 105",
        "way 108",
        "way 112",
        "way 113",
    ]
    assert list(osm.corridors["kind"]) == [
        "footway",
        "residential",
        "trunk",
        "service",
        "steps",
        "primary",
    ]
    assert list(osm.corridors["footfall"]) == [FOOTFALL[k] for k in osm.corridors["kind"]]
    assert osm.corridors.loc["way 101", "name"] == "Market Walk"
    assert osm.corridors.loc["way 113", "name"] == "High Street"
    c = osm.counts
    assert c["excluded_highway:motorway"] == 1 and c["excluded_highway:motorway_link"] == 1
    assert c["excluded_highway:trunk"] == 1 and c["excluded_highway:construction"] == 1
    assert c["excluded_highway:corridor"] == 1 and c["excluded_indoor"] == 1
    assert c["excluded_foot_no"] == 2 and c["excluded_access_private"] == 1
    assert "1 highway area(s)" in caplog.text
    # the geometry is the way's nodes, in lon/lat
    nodes = osm_nodes(DATA / "corridors.osm")
    assert shapely.get_coordinates(osm.corridors.geometry.loc["way 112"]).tolist() == [
        list(nodes["1224"]),
        list(nodes["1225"]),
    ]


def test_footfall_override_and_new_kind():
    osm = read_osm(DATA / "corridors.osm", footfall={"footway": 5, "construction": 0.25})
    assert osm.corridors.loc["way 101", "footfall"] == 5.0
    assert osm.corridors.loc["way 111", "kind"] == "construction"
    assert osm.corridors.loc["way 111", "footfall"] == 0.25
    assert osm.corridors.loc["way 113", "footfall"] == FOOTFALL["primary"]
    with pytest.raises(ParameterError, match="'footway' must be a number >= 0"):
        read_osm(DATA / "corridors.osm", footfall={"footway": -1})


def test_scene_from_osm_corridor_lengths_are_ground_metres():
    scene = cov.Scene.from_osm(DATA / "corridors.osm")
    assert scene.crs.to_epsg() == 32632
    lons, lats = (9.0, 9.001), (50.0, 50.0)
    metres = GEOD.line_length(lons, lats)
    assert scene.corridors.length.to_numpy() == pytest.approx(np.full(6, metres), rel=1e-3)
    assert list(scene.corridors["source_row"]) == list(
        read_osm(DATA / "corridors.osm").corridors.index
    )
    assert scene.attribution == ("© OpenStreetMap contributors",)
    assert scene.name == "corridors"


def test_no_walkable_street_is_a_clear_error():
    with pytest.raises(InputError, match=r"no walkable street.*motorway 1"):
        cov.Scene.from_osm(DATA / "no_walkable.osm")


# ----------------------------------------------------------------- buildings
def test_building_heights_from_height_levels_or_default(caplog):
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = cov.Scene.from_osm(DATA / "buildings.osm")
    b = scene.buildings.set_index("source_row")
    want = {
        "way 201": (12.0, "height"),
        "way 202": (12.0, "height"),
        "way 203": (12.5, "height"),
        "way 204": (40 * 0.3048, "height"),
        "way 205": (4 * LEVEL_HEIGHT_M, "levels"),  # height "tall" does not parse
        "way 206": (3 * LEVEL_HEIGHT_M, "levels"),
        "way 207": (DEFAULT_BUILDING_HEIGHT_M, "default"),  # levels "several"
        "way 208": (DEFAULT_BUILDING_HEIGHT_M, "default"),
        "way 209": (7.5, "height"),  # height wins over levels
        "way 210": (40 * 0.3048, "height"),
    }
    assert set(b.index) == set(want)  # building=no (way 211) is not a building
    for way, (h, source) in want.items():
        assert b.loc[way, "height_m"] == pytest.approx(h), way
        assert b.loc[way, "height_source"] == source, way
    assert "1 'height' and 1 'building:levels' value(s) do not parse" in caplog.text
    assert "way 205 {'height': 'tall', 'building:levels': '4'}" in caplog.text
    assert "way 207 {'building:levels': 'several'}" in caplog.text
    # footprints are the ways' squares: 0.0001° x 0.0001° at 50°N, about 7.2 m x 11.1 m
    lon0, lat0 = 9.0, 50.0002
    area = abs(
        GEOD.polygon_area_perimeter(
            [lon0, lon0 + 1e-4, lon0 + 1e-4, lon0], [lat0, lat0, lat0 + 1e-4, lat0 + 1e-4]
        )[0]
    )
    assert b.loc["way 201"].geometry.area == pytest.approx(area, rel=1e-3)


# ----------------------------------------------------------------- cameras
def test_cameras_headings_dome_and_owner(caplog):
    with caplog.at_level(logging.WARNING, logger="coverage"):
        osm = read_osm(DATA / "cameras.osm")
    cams = osm.cameras
    assert "node 207" not in cams.index  # surveillance:type=guard
    assert osm.counts["surveillance_skipped:guard"] == 1
    heading = cams["heading_deg"].to_dict()
    assert heading["node 201"] == 0.0  # N
    assert heading["node 202"] == 45.0  # NE
    assert heading["node 203"] == 135.0
    assert math.isnan(heading["node 204"])  # "sideways"
    assert heading["node 205"] == 67.5  # direction=ENE, no camera:direction
    assert math.isnan(heading["node 208"])  # no direction at all
    assert heading["node 210"] == 270.0  # -90
    assert heading["node 211"] == 315.0  # north-west
    assert heading["node 213"] == 90.0  # camera:direction beats direction
    assert heading["node 214"] == 22.5
    assert cams.loc["node 205", "heading_source"] == "direction"
    assert cams.loc["node 213", "heading_source"] == "camera:direction"
    # two directions: two cameras, the first heading
    assert (cams.loc["node 209", "heading_deg"], cams.loc["node 209", "cameras"]) == (45.0, 2)
    # dome and panning: all around
    for node in ("node 206", "node 212"):
        assert cams.loc[node, "cameras"] == DOME_CAMERAS
        assert cams.loc[node, "heading_deg"] == 0.0
    assert (cams.drop(index=["node 206", "node 209", "node 212"])["cameras"] == 1).all()
    # owners as given; absent or blank operator -> "unknown (OSM)"
    assert cams.loc["node 201", "owner"] == "City Police"
    assert cams.loc["node 212", "owner"] == "MTR"
    assert (cams.drop(index=["node 201", "node 212"])["owner"] == UNKNOWN_OWNER).all()
    assert osm.counts["camera_heading_unknown"] == 2
    assert osm.counts["camera_heading_unparsable"] == 1
    assert osm.counts["camera_owner_unknown"] == 11
    assert osm.counts["camera_all_around"] == 2
    assert "2 of 13 have no usable heading" in caplog.text
    assert "node 204 (camera:direction='sideways')" in caplog.text


def test_cameras_reach_the_scene_unchanged():
    scene = cov.Scene.from_osm(DATA / "cameras.osm")
    cams = scene.cameras.set_index("source_row")
    assert len(cams) == 13
    assert cams.loc["node 201", "owner"] == "City Police"
    assert cams.loc["node 206", "cameras"] == DOME_CAMERAS
    assert np.isnan(cams.loc["node 204", "heading_deg"])
    nodes = osm_nodes(DATA / "cameras.osm")
    back = gpd.GeoSeries(cams.geometry, crs=scene.crs).to_crs(4326)
    assert (back.loc["node 203"].x, back.loc["node 203"].y) == pytest.approx(nodes["203"])


def test_a_dome_sees_all_around_a_fixed_camera_one_way():
    """The street runs east-west 5.5 m south of the cameras: a dome watches it both ways, the
    camera facing north (node 201) none of it, the camera facing 135° (node 203) the east side."""
    from coverage.matrix import coverage_matrix

    scene = cov.Scene.from_osm(DATA / "cameras.osm")
    street = scene.corridors.geometry.iloc[0]
    demand = shapely.get_coordinates(
        shapely.line_interpolate_point(street, np.arange(0.0, street.length, 1.0))
    )
    cams = scene.cameras.set_index("source_row")
    camera = cov.CameraSet(cameras=1, hfov_deg=90, range_m=30)

    def watched_dx(node: str) -> np.ndarray:
        xy = shapely.get_coordinates(cams.geometry.loc[[node]].values)
        cm = coverage_matrix(
            [[0.0, 0.0]],  # a candidate far away; the existing set is the last row
            demand,
            camera,
            existing_xy=xy,
            existing_heading_deg=cams.loc[[node], "heading_deg"].to_numpy(),
            existing_cameras=cams.loc[[node], "cameras"].to_numpy(),
        )
        seen = np.flatnonzero(cm.A.toarray()[-1] > 0)
        return demand[seen, 0] - xy[0, 0]

    dome, north, south_east = watched_dx("node 206"), watched_dx("node 201"), watched_dx("node 203")
    assert north.size == 0
    assert south_east.size > 0 and (south_east > -0.5).all()
    # the dome sees the street on both sides, out to its range (30 m, the street 5.5 m away)
    reach = math.sqrt(30**2 - 5.5**2)
    x = cams.geometry.loc["node 206"].x
    assert dome.min() == pytest.approx(max(-reach, demand[0, 0] - x), abs=1.0)
    assert dome.max() == pytest.approx(min(reach, demand[-1, 0] - x), abs=1.0)
    assert dome.size == pytest.approx(dome.max() - dome.min() + 1, abs=1)  # no gap


# ----------------------------------------------------------------- hotspots, landmarks
def test_hotspot_categories_and_polygon_pois():
    osm = read_osm(DATA / "hotspots.osm")
    h = osm.hotspots
    want = {
        "node 201": ("amenity=bar", 3.0),
        "node 202": ("amenity=nightclub", 4.0),
        "node 203": ("amenity=atm", 2.0),
        "node 204": ("shop=*", 1.0),  # bakery: any shop
        "node 205": ("shop=jewelry", 2.0),  # the specific entry beats shop=*
        "node 206": ("shop=*", 1.0),  # restaurant 0.5 and a shop 1: the larger, once
        "node 208": ("railway=station", 3.0),
        "node 209": ("railway=subway_entrance", 2.0),
        "way 301": ("amenity=marketplace", 3.0),  # a polygon
        "way 302": ("shop=mall", 2.0),  # a building that is a mall
    }
    assert set(h.index) == set(want)  # the bench (node 207) is no hotspot
    for k, (cat, w) in want.items():
        assert (h.loc[k, "category"], h.loc[k, "weight"]) == (cat, w), k
        assert h.loc[k, "weight"] == HOTSPOT_WEIGHTS[cat]
    # polygon POIs become a point inside their polygon (the squares of ways 301 and 302)
    for way, lon in (("way 301", 9.0), ("way 302", 9.0005)):
        square = box(lon, 50.0003, lon + 0.0002, 50.0005)
        assert square.contains(h.geometry.loc[way])
    assert set(shapely.get_type_id(h.geometry.values)) == {0}


def test_hotspot_weights_override_and_none():
    osm = read_osm(DATA / "hotspots.osm", hotspot_weights={"amenity=bar": 5, "shop=*": 0})
    h = osm.hotspots
    assert h.loc["node 201", "weight"] == 5.0
    assert "node 204" not in h.index  # shop=* removed
    assert h.loc["node 205", "category"] == "shop=jewelry"
    assert h.loc["node 206", "category"] == "amenity=restaurant"
    assert read_osm(DATA / "hotspots.osm", hotspot_weights=False).hotspots is None
    scene = cov.Scene.from_osm(DATA / "hotspots.osm", hotspot_weights=False)
    assert len(scene.hotspots) == 0
    with pytest.raises(ParameterError, match="'bar' must be 'key=value'"):
        read_osm(DATA / "hotspots.osm", hotspot_weights={"bar": 2})


def test_escaped_tags_come_through_gdal():
    """other_tags text with quotes, '=>' and a backslash parses back to the XML value."""
    from coverage.osm import _read_layer

    points = _read_layer(DATA / "hotspots.osm", "points")
    root = ET.parse(DATA / "hotspots.osm").getroot()
    node = next(n for n in root.iter("node") if n.get("id") == "201")
    assert points.loc["node 201", "tags"] == osm_tags(node)
    assert points.loc["node 201", "tags"]["description"] == 'says "hi", a=>b \\ c'


def test_landmarks_are_stations_and_entrances():
    scene = cov.Scene.from_osm(DATA / "hotspots.osm")
    lm = scene.landmarks.set_index("source_row")
    assert sorted(lm.index) == ["node 208", "node 209"]
    assert (lm.loc["node 208", "kind"], lm.loc["node 208", "name"]) == ("station", "Central")
    # no name: the entrance's ref
    assert (lm.loc["node 209", "kind"], lm.loc["node 209", "name"]) == ("subway_entrance", "A1")
    assert (lm["weight"] == 1.0).all()


# ----------------------------------------------------------------- districts
def test_districts_from_admin_boundaries(caplog):
    with caplog.at_level(logging.INFO, logger="coverage"):
        scene = cov.Scene.from_osm(DATA / "districts.osm")
    d = scene.districts.set_index("source_row")
    # the finest level (10); the repeated name gets the element added
    assert d["name"].to_dict() == {
        "way 501": "Nord (way 501)",
        "way 502": "Süd",
        "way 503": "Nord (way 503)",
    }
    assert "levels in the file: 8 (1), 9 (1), 10 (3)" in caplog.text
    lon, lat = [9.0, 9.001, 9.001, 9.0], [50.0, 50.0, 50.001, 50.001]
    area = abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    assert d.loc["way 502"].geometry.area == pytest.approx(area, rel=1e-3)
    # the footway crosses from Süd into Nord
    assert scene.corridors.length.sum() == pytest.approx(
        GEOD.line_length([9.0005, 9.0005], [49.9995, 50.0005]), rel=1e-3
    )


def test_districts_at_a_chosen_admin_level():
    scene = cov.Scene.from_osm(DATA / "districts.osm", admin_level=8)
    assert list(scene.districts["name"]) == ["Stadt"]
    scene = cov.Scene.from_osm(DATA / "districts.osm", admin_level="9")
    assert list(scene.districts["name"]) == ["admin_level 9 way 505"]
    with pytest.raises(
        InputError, match=r"admin_level=6.*levels found.*8 \(1\), 9 \(1\), 10 \(3\)"
    ):
        cov.Scene.from_osm(DATA / "districts.osm", admin_level=6)


def test_no_boundaries_gives_one_district_over_the_data(caplog):
    with caplog.at_level(logging.WARNING, logger="coverage"):
        scene = cov.Scene.from_osm(DATA / "corridors.osm")
    assert "has no administrative boundaries" in caplog.text
    assert list(scene.districts["name"]) == ["corridors"]
    district = scene.districts.geometry.iloc[0]
    assert district.contains(scene.corridors.union_all())
    # 50 m wider than the corridors on each side
    minx, _, _, maxy = scene.corridors.total_bounds
    dx0, _, _, dy1 = district.bounds
    assert minx - dx0 == pytest.approx(50, abs=1.0) and dy1 - maxy == pytest.approx(50, abs=1.0)


def test_grid_districts_are_named_squares_over_the_corridors():
    scene = cov.Scene.from_osm(DATA / "corridors.osm", districts="grid", grid_m=100)
    d = scene.districts
    assert d["name"].is_unique
    assert np.allclose(d.area, 100 * 100, rtol=1e-3)
    assert d.union_all().buffer(1e-6).contains(scene.corridors.union_all())
    # corridors 56 m apart going north, 72 m long: one column; row 1 is the northmost cell
    assert all(n.startswith("A") for n in d["name"])
    north = d.geometry.bounds["maxy"].idxmax()
    assert d.loc[north, "name"] == "A1"
    # cells that touch no corridor are left out
    assert all(d.geometry.intersects(scene.corridors.union_all()))
    with pytest.raises(ParameterError, match="grid_m"):
        read_osm(DATA / "corridors.osm", districts="grid", grid_m=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"districts": 3}, "'districts' parameter"),
        ({"admin_level": True}, "'admin_level' parameter"),
        ({"admin_level": 8.5}, "'admin_level' parameter"),
        ({"grid_m": True}, "'grid_m' parameter"),
        ({"grid_m": float("inf")}, "'grid_m' parameter"),
        ({"footfall": ["footway"]}, "'footfall' parameter"),
        ({"hotspot_weights": "bars"}, "'hotspot_weights' parameter"),
    ],
)
def test_bad_options_are_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        read_osm(DATA / "corridors.osm", **kwargs)


def test_districts_given_as_frame_or_file(tmp_path):
    own = gpd.GeoDataFrame({"name": ["Mine"]}, geometry=[box(8.99, 49.99, 9.01, 50.01)], crs=4326)
    scene = cov.Scene.from_osm(DATA / "corridors.osm", districts=own)
    assert list(scene.districts["name"]) == ["Mine"]
    own.to_file(tmp_path / "d.gpkg")
    scene = cov.Scene.from_osm(DATA / "corridors.osm", districts=tmp_path / "d.gpkg")
    assert list(scene.districts["name"]) == ["Mine"]


def test_overlapping_boundaries_name_the_elements():
    with pytest.raises(InputError, match=r"'West' \(row way 701\) and 'East' \(row way 702\)"):
        cov.Scene.from_osm(DATA / "overlapping_districts.osm")


# ----------------------------------------------------------------- bad files
@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("broken.osm", "not a readable OpenStreetMap file"),
        ("empty.osm", r"empty \(0 bytes\)"),
        ("nothing.osm", "no features"),
        ("not_osm.osm", "reads this file as GeoJSON"),
    ],
)
def test_bad_files_are_clear_errors(name, match):
    with pytest.raises(InputError, match=match):
        cov.Scene.from_osm(DATA / name)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cov.Scene.from_osm(tmp_path / "nowhere.osm")
    with pytest.raises(InputError, match="is a folder"):
        cov.Scene.from_osm(tmp_path)
    (tmp_path / "city.osm.bz2").write_bytes(b"BZh91AY&SY")
    with pytest.raises(InputError, match="decompress it first"):
        cov.Scene.from_osm(tmp_path / "city.osm.bz2")
    with pytest.raises(InputError, match="network"):
        cov.Scene.from_osm("https://example.org/city.osm")


def test_pbf_is_read_when_one_is_available():
    """ogr2ogr cannot write .pbf: read the small one pyogrio ships, if it is installed."""
    import pyogrio

    pbf = Path(pyogrio.__file__).parent / "tests" / "fixtures" / "sample.osm.pbf"
    if not pbf.exists():
        pytest.skip("no .osm.pbf file on this machine")
    raw = pyogrio.read_dataframe(pbf, layer="lines", USE_CUSTOM_INDEXING="NO")
    walkable = raw["highway"].isin(list(FOOTFALL)) & ~raw["highway"].str.startswith("trunk")
    osm = read_osm(pbf)
    assert len(osm.corridors) == int(walkable.sum())
    assert sorted(osm.corridors.index) == sorted(f"way {i}" for i in raw["osm_id"][walkable])
    scene = cov.Scene.from_osm(pbf)  # a cycleway mapped on top of a road is counted once
    assert set(scene.corridors["source_row"]) <= set(osm.corridors.index)
    assert scene.crs.to_epsg() == 32630


# ----------------------------------------------------------------- the real Tsim Sha Tsui file
@pytest.fixture(scope="module")
def tst(hk_path):
    return hk_path / "osm_tsim_sha_tsui_2015.osm"


def _xml_counts(path: Path) -> dict[str, int]:
    """Count from the XML itself, without GDAL: walkable ways, buildings, cameras, stations."""
    root = ET.parse(path).getroot()
    walkable = buildings = cameras = landmarks = 0
    way_ids = {w.get("id") for w in root.iter("way")}
    # a building relation is one building (its outer way is not another); GDAL cannot build a
    # relation cut at the extract's edge (a member way missing)
    outer_of_building: set[str] = set()
    for rel in root.iter("relation"):
        tags = osm_tags(rel)
        if tags.get("type") == "multipolygon" and tags.get("building", "no") != "no":
            members = [m for m in rel.iter("member") if m.get("type") == "way"]
            outer_of_building |= {m.get("ref") for m in members if m.get("role") == "outer"}
            buildings += all(m.get("ref") in way_ids for m in members)
    for way in root.iter("way"):
        tags = osm_tags(way)
        refs = [nd.get("ref") for nd in way.iter("nd")]
        hw, foot = tags.get("highway"), tags.get("foot", "")
        road = hw in FOOTFALL and not hw.startswith("trunk") and foot not in ("no", "use_sidepath")
        open_to_walk = tags.get("access") not in ("no", "private") or foot in ("yes", "designated")
        walkable += road and open_to_walk
        closed = len(refs) > 3 and refs[0] == refs[-1]
        if tags.get("building", "no") != "no" and closed and way.get("id") not in outer_of_building:
            buildings += 1
    for node in root.iter("node"):
        tags = osm_tags(node)
        if tags.get("man_made") == "surveillance":
            cameras += tags.get("surveillance:type", "camera") == "camera"
        if tags.get("railway") in ("station", "subway_entrance") or (
            tags.get("public_transport") == "station"
        ):
            landmarks += 1
    return {
        "walkable": walkable,
        "buildings": buildings,
        "cameras": cameras,
        "landmarks": landmarks,
    }


def test_tsim_sha_tsui_counts_match_the_xml(tst):
    want = _xml_counts(tst)
    osm = read_osm(tst)
    assert osm.counts["corridors"] == want["walkable"] == 313  # 321 highway ways, 8 closed to us
    assert len(osm.buildings) == want["buildings"] == 280  # SOURCES.md: 280 with building
    assert len(osm.cameras) == want["cameras"] == 4
    assert len(osm.landmarks) == want["landmarks"]
    assert osm.counts["camera_all_around"] == 1  # one dome
    assert osm.counts["camera_owner_unknown"] == 4  # no operator tags in 2015
    assert osm.district_source.startswith("one district")
    scene = cov.Scene.from_osm(tst)
    assert scene.crs.to_epsg() == 2326
    assert len(scene.corridors) >= 313  # overlapping stretches split, never dropped
    # total length against pyproj.Geod over the lon/lat ways
    geo = sum(GEOD.geometry_length(g) for g in osm.corridors.geometry)
    assert scene.corridors.length.sum() == pytest.approx(geo, rel=2e-3)


def test_tsim_sha_tsui_plan_solves(tst):
    scene = cov.Scene.from_osm(tst)
    camera = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
    plan = cov.solve(cov.Problem(scene, camera, budget=5, method="greedy", time_limit_s=10))
    new = plan.cameras[plan.cameras["status"] != "existing"]
    assert len(new) == 5
    assert plan.objective > 0 and 0 <= plan.gap < 1
    existing = plan.cameras[plan.cameras["status"] == "existing"]
    assert set(existing["owner"]) == {UNKNOWN_OWNER}


# ----------------------------------------------------------------- TOML
def _toml(tmp_path: Path, scene: str) -> Path:
    p = tmp_path / "osm.toml"
    p.write_text(
        f"[scene]\n{scene}\n[camera]\ncameras = 1\nhfov_deg = 90\nrange_m = 30\n"
        '[plan]\nbudget = 2\nmethod = "greedy"\n',
        encoding="utf-8",
    )
    return p


def test_toml_osm_scene_and_its_options(tmp_path):
    from coverage.config import load_config

    osm = (DATA / "hotspots.osm").as_posix()
    cfg = load_config(
        _toml(
            tmp_path,
            f'osm = "{osm}"\ndistricts = "grid"\ngrid_m = 200\nname = "Hot"\n'
            'hotspot_weights = { "amenity=bar" = 5, "shop=*" = 0 }\nfootfall = { footway = 4 }',
        )
    )
    scene = cfg.build_scene()
    assert scene.name == "Hot"
    assert list(scene.districts["name"]) == ["A1"]
    hot = scene.hotspots.set_index("source_row")
    assert hot.loc["node 201", "weight"] == 5.0 and "node 204" not in hot.index
    assert list(scene.corridors["footfall"]) == [4.0]
    assert Path(osm).resolve() in [p.resolve() for p in cfg.input_paths()]
    plan = cov.solve(cfg.build_problem(scene))
    assert (plan.cameras["status"] != "existing").sum() == 2


def test_toml_osm_relative_path_and_no_hotspots(tmp_path):
    from coverage.config import load_config

    (tmp_path / "city.osm").write_bytes((DATA / "districts.osm").read_bytes())
    cfg = load_config(_toml(tmp_path, 'osm = "city.osm"\nadmin_level = 8\nhotspot_weights = false'))
    scene = cfg.build_scene()
    assert list(scene.districts["name"]) == ["Stadt"]
    assert len(scene.hotspots) == 0
    bad = load_config(_toml(tmp_path, 'osm = "city.osm"\nadmin_level = 3'))
    with pytest.raises(cov.errors.ConfigError, match=r"\[scene\] osm: admin_level=3"):
        bad.build_scene()


@pytest.mark.parametrize(
    ("scene", "match"),
    [
        ('osm = "a.osm"\ncorridors = "c.gpkg"', "osm = 'a.osm' and corridors are both given"),
        ('osm = "a.osm"\ndataset = "sample_city"', "and dataset are both given"),
        ('osm = "a.osm"\nfootfall = { footway = -1 }', "footfall values must be numbers >= 0"),
        ('osm = "a.osm"\ngrid_m = 0', "grid_m must be a number of metres > 0"),
        ('dataset = "sample_city"\nadmin_level = 8', "admin_level is an option of osm"),
        ('osm = "a.osm"\nhotspot_weights = "none"', "hotspot_weights must be a table or true"),
    ],
)
def test_toml_osm_problems(tmp_path, scene, match):
    from coverage.config import load_config

    with pytest.raises(cov.errors.ConfigError, match=match):
        load_config(_toml(tmp_path, scene))


def test_toml_missing_osm_file(tmp_path):
    from coverage.config import load_config

    cfg = load_config(_toml(tmp_path, 'osm = "nowhere.osm"'))
    with pytest.raises(cov.errors.ConfigError, match="nowhere.osm.*does not exist"):
        cfg.build_scene()


@pytest.mark.slow
def test_example_plan_from_osm_writes_every_output(tst, tmp_path, capsys):
    import importlib.util

    path = Path(__file__).parents[1] / "examples" / "plan_from_osm.py"
    spec = importlib.util.spec_from_file_location("plan_from_osm", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "out"
    args = ["--osm", str(tst), "--budget", "3", "--method", "greedy", "--out", str(out)]
    assert example.main(args) == 0
    for name in (
        "plan.geojson",
        "plan.csv",
        "districts.csv",
        "plan.gpkg",
        "map.html",
        "report.html",
    ):
        assert (out / name).stat().st_size > 0, name
    printed = capsys.readouterr().out
    assert "313 corridors" in printed and "4 existing cameras (1 all-around" in printed
    assert "Existing sets without a heading: 3 of 4 existing sets: turned along" in printed
    plan = gpd.read_file(out / "plan.geojson")
    assert (plan["status"] != "existing").sum() == 3


@pytest.mark.slow
def test_the_guide_page_runs(tst, monkeypatch, capsys):
    """docs/guide/own-city-osm.md: every ```python block runs, in order, from the repo root."""
    root = Path(__file__).parents[1]
    text = (root / "docs" / "guide" / "own-city-osm.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert len(blocks) >= 5
    monkeypatch.chdir(root)
    if not (root / "../shared/data/hong-kong/osm_tsim_sha_tsui_2015.osm").exists():
        pytest.skip("the guide reads ../shared/data/hong-kong beside the repository")
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "own-city-osm.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "corridors=313" in printed and "A1" in printed
    assert "{'residential': 30, 'worship': 2, 'children': 1}" in printed  # privacy zones


def test_example_toml_builds_the_tsim_sha_tsui_scene(tst):
    from coverage.config import load_config

    path = Path(__file__).parents[1] / "examples" / "configs" / "tsim_sha_tsui_osm.toml"
    cfg = load_config(path)
    assert cfg.resolve(cfg.scene["osm"]).resolve() == tst.resolve()
    scene = cfg.build_scene()
    assert len(scene.corridors) >= 313 and len(scene.cameras) == 4
    assert "A1" in set(scene.districts["name"])


# ----------------------------------------------------------------- privacy zones


def test_privacy_zones_one_polygon_per_category_rule():
    zones = read_privacy_zones(DATA / "privacy.osm")
    assert zones["category"].to_dict() == {
        "way 801": "residential",
        "way 802": "children",  # amenity=school
        "way 803": "children",  # leisure=playground
        "way 804": "worship",
        "way 805": "health",
        "way 808": "health",  # a hospital building is a zone too
    }  # 806 (a plain building) and 807 (landuse=commercial) are not zones
    assert zones.loc["way 802", "name"] == "Primary School"
    assert zones.crs.to_epsg() == 4326
    # the estate's area on the ground: a 0.0005 deg square at 50 deg N, by pyproj.Geod
    lon, lat, d = 9.0, 50.0, 0.0005
    ring = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)]
    geod_area = abs(Geod(ellps="WGS84").polygon_area_perimeter(*zip(*ring, strict=True))[0])
    scene_area = zones.to_crs(32632).area.loc["way 801"]
    assert scene_area == pytest.approx(geod_area, rel=1e-3)


def test_privacy_zones_custom_categories_and_a_bad_rule():
    zones = read_privacy_zones(DATA / "privacy.osm", categories={"landuse=commercial": "business"})
    assert zones["category"].to_dict() == {"way 807": "business"}
    assert len(read_privacy_zones(DATA / "privacy.osm", categories={})) == 0
    with pytest.raises(ParameterError, match="'key=value'.*Got 'residential'"):
        read_privacy_zones(DATA / "privacy.osm", categories={"residential": "homes"})


def test_privacy_zones_of_tsim_sha_tsui_match_the_xml(tst):
    root = ET.parse(tst).getroot()

    def tags(e):
        return {t.get("k"): t.get("v") for t in e.findall("tag")}

    ways = root.findall("way")
    closed = [w for w in ways if w.findall("nd")[0].get("ref") == w.findall("nd")[-1].get("ref")]
    residential = sum(tags(w).get("landuse") == "residential" for w in closed)
    worship = sum(tags(w).get("amenity") == "place_of_worship" for w in closed)
    zones = read_privacy_zones(tst)
    counts = zones["category"].value_counts().to_dict()
    assert counts["residential"] == residential == 30
    assert counts["worship"] == worship
    # every category comes from the default table
    assert set(zones["category"]) <= {"residential", "children", "worship", "health"}
