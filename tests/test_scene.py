"""Scene: the validation catalogue, CRS handling, the corridor graph, files."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import X0, Y0, tiny_layers
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import coverage as cov
from coverage.errors import CRSError, InputError


def make(**over):
    layers = tiny_layers()
    layers.update(over)
    return cov.Scene(
        layers.pop("districts"),
        layers.pop("corridors"),
        **dict(layers.items()),
    )


def test_tiny_scene_layers(tiny_scene):
    assert tiny_scene.crs.to_epsg() == 2326
    assert list(tiny_scene.districts["name"]) == ["West", "East"]
    assert list(tiny_scene.corridors["footfall"]) == [2.0, 1.0]
    assert len(tiny_scene.hotspots) == 0
    assert tiny_scene.hotspot_kind == "none"
    assert len(tiny_scene.privacy_zones) == 0
    assert tiny_scene.cameras.loc[0, "owner"] == "police"
    assert tiny_scene.bounds == (X0, Y0, X0 + 200, Y0 + 200)


def test_corridor_graph_is_noded_at_the_crossing(tiny_scene):
    g = tiny_scene.graph
    assert g.number_of_nodes() == 5
    assert g.number_of_edges() == 4
    lengths = sorted(d["length_m"] for _, _, d in g.edges(data=True))
    assert lengths == pytest.approx([100, 100, 100, 100])
    centre = [n for n, deg in g.degree() if deg == 4]
    assert len(centre) == 1
    assert (g.nodes[centre[0]]["x"], g.nodes[centre[0]]["y"]) == (X0 + 100, Y0 + 100)
    assert sorted(d["corridor"] for _, _, d in g.edges(data=True)) == [0, 0, 1, 1]


def test_empty_required_layer():
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=2326)
    with pytest.raises(InputError, match="Layer 'districts' is empty"):
        make(districts=empty)


def test_missing_crs_names_the_layer():
    layers = tiny_layers()
    bad = layers["corridors"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="Layer 'corridors' has no CRS"):
        make(corridors=bad)


def test_mixed_crs_layers_are_reprojected_and_logged(caplog):
    layers = tiny_layers()
    corridors_ll = layers["corridors"].to_crs(4326)
    with caplog.at_level(logging.INFO, logger="coverage"):
        scene = make(corridors=corridors_ll)
    assert "reprojected from EPSG:4326" in caplog.text
    assert scene.corridors.crs == scene.crs
    got = np.asarray(scene.corridors.geometry.iloc[0].coords)
    assert got == pytest.approx(np.asarray(layers["corridors"].geometry.iloc[0].coords), abs=1e-3)


def test_degree_crs_is_refused():
    layers = tiny_layers()
    with pytest.raises(CRSError, match="projected CRS in metres.*EPSG:4326"):
        cov.Scene(layers["districts"], layers["corridors"], crs="EPSG:4326")


def test_crs_choice_hong_kong_and_utm(caplog):
    layers = tiny_layers()
    d_ll, c_ll = layers["districts"].to_crs(4326), layers["corridors"].to_crs(4326)
    assert cov.Scene(d_ll, c_ll).crs.to_epsg() == 2326  # inside Hong Kong
    moved_d = d_ll.set_geometry(d_ll.geometry.translate(-114.17 + 2.35, -22.3 + 48.85))
    moved_c = c_ll.set_geometry(c_ll.geometry.translate(-114.17 + 2.35, -22.3 + 48.85))
    with caplog.at_level(logging.INFO, logger="coverage"):
        scene = cov.Scene(moved_d, moved_c)  # Paris
    assert scene.crs.to_epsg() == 32631
    assert "UTM" in caplog.text


def test_nan_and_negative_values_are_reported_with_rows():
    layers = tiny_layers()
    c = layers["corridors"].copy()
    c["footfall"] = [np.nan, -1.0]
    hs = gpd.GeoDataFrame(
        {"weight": [1.0, -2.0, 3.0]},
        geometry=[Point(X0, Y0), Point(X0 + 1, Y0), Point(X0 + 2, Y0)],
        crs=2326,
    )
    with pytest.raises(InputError) as err:
        make(corridors=c, hotspots=hs)
    text = str(err.value)
    # every problem is reported at once
    assert "Layer 'corridors', column 'footfall': 2 value(s)" in text
    assert "rows [0, 1]" in text
    assert "Layer 'hotspots', column 'weight': 1 value(s)" in text
    assert "rows [1]" in text


def test_wrong_geometry_type():
    pts = gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=2326)
    with pytest.raises(InputError, match="Layer 'corridors'.*'Point'.*LineString"):
        make(corridors=pts)


def test_missing_geometry_rows():
    tiny_layers()
    b = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1, Y0 + 1), None], crs=2326)
    with pytest.raises(
        InputError, match=r"Layer 'buildings': 1 feature\(s\) have no geometry \(rows \[1\]"
    ):
        make(buildings=b)


def test_invalid_polygons_repaired_only_when_lossless(caplog):
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    with caplog.at_level(logging.INFO, logger="coverage"):
        scene = make(buildings=gpd.GeoDataFrame(geometry=[bowtie], crs=2326))
    assert scene.buildings.geometry.iloc[0].is_valid
    assert scene.buildings.geometry.iloc[0].area == pytest.approx(50.0)
    assert "repaired losslessly" in caplog.text
    spike = Polygon(
        [
            (X0, Y0),
            (X0 + 10, Y0),
            (X0 + 10, Y0 + 10),
            (X0 + 5, Y0 + 10),
            (X0 + 5, Y0 + 20),
            (X0 + 5, Y0 + 10),
            (X0, Y0 + 10),
        ]
    )
    good = box(X0 + 50, Y0 + 50, X0 + 60, Y0 + 60)
    frame = gpd.GeoDataFrame(geometry=[good, spike], index=[7, 8], crs=2326)
    with pytest.raises(InputError, match=r"cannot be repaired without losing part.*rows \[8\]"):
        make(buildings=frame)


def test_missing_and_duplicate_district_names():
    layers = tiny_layers()
    d = layers["districts"].rename(columns={"name": "District"})
    with pytest.raises(InputError, match="needs a column 'name'.*'District'.*Rename"):
        make(districts=d)
    d2 = layers["districts"].assign(name=["Same", "Same"])
    with pytest.raises(InputError, match="names must be unique.*Same"):
        make(districts=d2)


def test_not_a_geodataframe():
    with pytest.raises(TypeError, match="Layer 'buildings' must be a geopandas.GeoDataFrame"):
        make(buildings=[box(0, 0, 1, 1)])


def test_hotspots_cannot_mix_points_and_polygons():
    hs = gpd.GeoDataFrame(
        {"intensity": [1.0, 1.0]},
        geometry=[Point(X0, Y0), box(X0, Y0, X0 + 5, Y0 + 5)],
        crs=2326,
    )
    with pytest.raises(InputError, match="mixes points and polygons"):
        make(hotspots=hs)


def test_cameras_heading_and_count_checked():
    cams = gpd.GeoDataFrame(
        {"heading_deg": [450.0, np.nan], "cameras": [2, 9]},
        geometry=[Point(X0, Y0), Point(X0 + 1, Y0)],
        crs=2326,
    )
    with pytest.raises(InputError, match=r"column 'cameras'.*rows \[1\]"):
        make(cameras=cams)
    scene = make(cameras=cams.assign(cameras=[2, 3]))
    assert scene.cameras["heading_deg"].iloc[0] == 90.0
    assert np.isnan(scene.cameras["heading_deg"].iloc[1])
    assert list(scene.cameras["owner"]) == ["police", "police"]


def test_multilinestrings_are_split_and_source_rows_kept():
    from shapely.geometry import MultiLineString

    tiny_layers()
    ml = MultiLineString(
        [[(X0, Y0 + 10), (X0 + 50, Y0 + 10)], [(X0 + 60, Y0 + 10), (X0 + 90, Y0 + 10)]]
    )
    c = gpd.GeoDataFrame(
        {"footfall": [1.0, 3.0]},
        geometry=[ml, LineString([(X0, Y0), (X0, Y0 + 5)])],
        index=["a", "b"],
        crs=2326,
    )
    scene = make(corridors=c)
    assert len(scene.corridors) == 3
    assert list(scene.corridors["source_row"]) == ["a", "a", "b"]
    assert scene.corridors.length.sum() == pytest.approx(85.0)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
def test_from_files(tmp_path, suffix):
    layers = tiny_layers()
    paths = {}
    for name, frame in layers.items():
        p = tmp_path / f"{name}{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(p)
        else:
            frame.to_file(p)
        paths[name] = p
    scene = cov.Scene.from_files(
        paths["districts"],
        paths["corridors"],
        buildings=paths["buildings"],
        cameras=paths["cameras"],
        attribution=["© test"],
    )
    assert scene.crs.to_epsg() == 2326
    assert len(scene.corridors) == 2 and len(scene.buildings) == 1 and len(scene.cameras) == 1
    assert scene.attribution == ("© test",)


def test_from_files_missing_file_names_the_layer(tmp_path):
    tiny_layers()["districts"].to_file(tmp_path / "d.gpkg")
    with pytest.raises(FileNotFoundError, match="'corridors' file .*nope.gpkg"):
        cov.Scene.from_files(tmp_path / "d.gpkg", tmp_path / "nope.gpkg")


# --------------------------------------------------------------------------- counted once
_grid_segments = st.lists(
    st.tuples(
        st.integers(0, 10), st.integers(0, 10), st.booleans(), st.integers(1, 6), st.booleans()
    ),
    min_size=1,
    max_size=8,
)


def _segments(draw_list):
    """Axis-aligned segments on a 10 m grid (x, y, horizontal, length in cells, reversed)."""
    lines = []
    for x, y, horizontal, n, rev in draw_list:
        a = (X0 + 10 * x, Y0 + 10 * y)
        b = (a[0] + 10 * n, a[1]) if horizontal else (a[0], a[1] + 10 * n)
        lines.append(LineString([b, a] if rev else [a, b]))
    return lines


@given(_grid_segments)
@settings(max_examples=40, deadline=None)
def test_corridors_cover_their_union_exactly_once(segs):
    lines = _segments(segs)
    d = gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[box(X0 - 10, Y0 - 10, X0 + 200, Y0 + 200)], crs=2326
    )
    c = gpd.GeoDataFrame({"footfall": np.arange(1.0, len(lines) + 1)}, geometry=lines, crs=2326)
    scene = cov.Scene(d, c)
    union = shapely.union_all(np.array(lines, dtype=object))
    # the pieces add up to the union's length: nothing counted twice, nothing lost
    assert scene.corridors.length.sum() == pytest.approx(union.length, abs=1e-6)
    # each piece lies on its own source row, and no earlier row covers it
    for piece, src in zip(scene.corridors.geometry, scene.corridors["source_row"], strict=True):
        assert lines[src].buffer(1e-6).covers(piece)
        for earlier in lines[:src]:
            assert shapely.intersection(earlier, piece).length == pytest.approx(0.0, abs=1e-6)


_boxes = st.lists(
    st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(1, 4), st.integers(1, 4)),
    min_size=2,
    max_size=5,
)


@given(_boxes)
@settings(max_examples=40, deadline=None)
def test_districts_overlap_error_iff_boxes_overlap(spec):
    polys = [
        box(X0 + 10 * x, Y0 + 10 * y, X0 + 10 * (x + w), Y0 + 10 * (y + h)) for x, y, w, h in spec
    ]
    d = gpd.GeoDataFrame({"name": [f"D{i}" for i in range(len(polys))]}, geometry=polys, crs=2326)
    c = gpd.GeoDataFrame(geometry=[LineString([(X0, Y0), (X0 + 120, Y0)])], crs=2326)
    pairs = [
        (i, j, polys[i].intersection(polys[j]).area)
        for i in range(len(polys))
        for j in range(i + 1, len(polys))
        if polys[i].intersection(polys[j]).area > 0
    ]
    if pairs:  # grid boxes overlap by whole 100 m2 cells: never a sliver
        with pytest.raises(InputError, match=f"{len(pairs)} pair\\(s\\) of districts overlap"):
            cov.Scene(d, c)
    else:
        scene = cov.Scene(d, c)
        assert scene.districts.area.tolist() == pytest.approx([p.area for p in polys])
