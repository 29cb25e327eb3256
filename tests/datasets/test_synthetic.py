"""The synthetic city generator, and the bundled sample city it made (package data)."""

from __future__ import annotations

import time

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from coverage.datasets import SAMPLE_CITY_PATH
from coverage.datasets.synthetic import (
    INCIDENT_CATEGORIES,
    LAYERS,
    main,
    synthetic_city,
    write_city,
)
from coverage.errors import CRSError, ParameterError

GPKG = SAMPLE_CITY_PATH
DATA = GPKG.parent

COLUMNS = {
    "districts": ["name"],
    "corridors": ["footfall", "name", "kind"],
    "hotspots": ["weight", "category"],
    "buildings": ["height_m"],
    "cameras": ["owner", "heading_deg", "cameras"],
    "privacy_zones": ["name"],
    "landmarks": ["kind", "name", "weight"],
}
GEOM_TYPES = {
    "districts": {"Polygon", "MultiPolygon"},
    "corridors": {"LineString"},
    "hotspots": {"Point"},
    "buildings": {"Polygon"},
    "cameras": {"Point"},
    "privacy_zones": {"Polygon"},
    "landmarks": {"Point"},
}


@pytest.fixture(scope="module")
def bundled() -> dict[str, gpd.GeoDataFrame]:
    return {layer: gpd.read_file(GPKG, layer=layer) for layer in LAYERS}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> dict[str, gpd.GeoDataFrame]:
    """The sample city written afresh by the command, read back."""
    path = tmp_path_factory.mktemp("city") / "sample_city.gpkg"
    assert main(["--write", str(path)]) == 0
    return {layer: gpd.read_file(path, layer=layer) for layer in LAYERS}


def _assert_city_equal(a: dict[str, gpd.GeoDataFrame], b: dict[str, gpd.GeoDataFrame]) -> None:
    assert list(a) == list(b)
    for layer in a:
        fa, fb = a[layer], b[layer]
        assert CRS.from_user_input(fa.crs) == CRS.from_user_input(fb.crs), layer
        assert len(fa) == len(fb), layer
        assert bool(np.all(shapely.equals_exact(fa.geometry.values, fb.geometry.values, 1e-6))), (
            layer
        )
        pd.testing.assert_frame_equal(
            pd.DataFrame(fa.drop(columns="geometry")).astype(object),
            pd.DataFrame(fb.drop(columns="geometry")).astype(object),
            obj=layer,
        )


# ------------------------------------------------------------------ the bundled file
def test_bundled_file_layers_and_size():
    layers = pyogrio.list_layers(GPKG)
    assert [str(name) for name in layers[:, 0]] == list(LAYERS)
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert total <= 5_000_000


def test_bundled_schema(bundled):
    for layer, frame in bundled.items():
        assert list(frame.columns) == [*COLUMNS[layer], "geometry"], layer
        assert set(frame.geom_type.unique()) <= GEOM_TYPES[layer], layer
        assert frame.crs is not None and CRS.from_user_input(frame.crs).to_epsg() == 32650
        assert isinstance(frame.index, pd.RangeIndex)
        assert len(frame) > 0, layer


def test_bundled_meets_the_issue_numbers(bundled):
    assert len(bundled["districts"]) >= 6
    assert bundled["corridors"].length.sum() >= 80_000.0
    assert len(bundled["buildings"]) >= 1000
    assert len(bundled["hotspots"]) >= 2000
    assert len(bundled["cameras"]) >= 5
    assert len(bundled["privacy_zones"]) >= 3
    kinds = set(bundled["corridors"]["kind"])
    assert {"primary", "secondary", "residential", "footway", "pedestrian", "steps"} <= kinds


def test_bundled_footfall_varies_by_street(bundled):
    cor = bundled["corridors"]
    ff = cor["footfall"].to_numpy()
    assert np.all(np.isfinite(ff)) and np.all(ff > 0)
    assert ff.std() / ff.mean() > 0.5
    assert np.unique(ff).size > len(ff) // 2
    med = cor.groupby("kind")["footfall"].median()
    assert med["primary"] > med["residential"] > med["service"]
    assert med["pedestrian"] > med["residential"]


def test_busy_streets_are_near_incidents(bundled):
    # Footfall rises near markets, stations and nightlife, where incidents cluster:
    # within each kind, streets with many incidents nearby are busier.
    cor = bundled["corridors"]
    tree = shapely.STRtree(bundled["hotspots"].geometry.values)
    near = np.bincount(
        tree.query(cor.geometry.values, predicate="dwithin", distance=100.0)[0],
        minlength=len(cor),
    )
    for kind in ("residential", "footway"):
        sel = (cor["kind"] == kind).to_numpy()
        ff, n = cor["footfall"].to_numpy()[sel], near[sel]
        assert np.median(ff[n >= 10]) > 1.5 * np.median(ff[n == 0]), kind


def test_bundled_geometries_valid(bundled):
    for layer, frame in bundled.items():
        geoms = frame.geometry.values
        assert bool(np.all(shapely.is_valid(geoms))), layer
        assert not bool(np.any(shapely.is_empty(geoms))), layer


def test_buildings_do_not_cross_streets_or_each_other(bundled):
    # The generator sets every building back from every street and footpath and
    # gives each frontage its own wedge of the block: expected share is 0, exactly.
    bld = bundled["buildings"].geometry.values
    cor = bundled["corridors"].geometry.values
    hits = shapely.STRtree(cor).query(bld, predicate="intersects")
    assert hits.shape[1] == 0
    i, j = shapely.STRtree(bld).query(bld, predicate="intersects")
    assert np.array_equal(i, j)  # each building meets only itself
    assert bool(np.all(bundled["buildings"]["height_m"] > 0))


def test_points_are_outside_buildings(bundled):
    tree = shapely.STRtree(bundled["buildings"].geometry.values)
    for layer in ("hotspots", "cameras", "landmarks"):
        hits = tree.query(bundled[layer].geometry.values, predicate="intersects")
        assert hits.shape[1] == 0, layer


def test_districts_partition_the_land(bundled):
    d = bundled["districts"]
    union = shapely.union_all(d.geometry.values)
    assert d.area.sum() == pytest.approx(union.area, rel=1e-6)  # no overlaps
    names = d["name"].tolist()
    assert len(set(names)) == len(names)
    assert any("&" in n for n in names) and any("'" in n for n in names)
    inside = shapely.covers(shapely.buffer(union, 1.0), bundled["hotspots"].geometry.values)
    assert inside.mean() > 0.99
    # the city is not in Hong Kong
    lon, lat = d.to_crs(4326).geometry.union_all().centroid.coords[0]
    assert not (113.8 <= lon <= 114.55 and 22.1 <= lat <= 22.6)


def test_incidents_are_clustered_on_streets(bundled):
    inc = bundled["hotspots"]
    assert set(inc["category"]) == set(INCIDENT_CATEGORIES)
    expected = inc["category"].map(INCIDENT_CATEGORIES).to_numpy()
    np.testing.assert_array_equal(inc["weight"].to_numpy(), expected)
    # Index of dispersion of counts in 200 m squares (variance / mean; 1 for a
    # Poisson pattern): compare with as many points spread uniformly along the streets.
    cor = bundled["corridors"]
    rng = np.random.default_rng(0)
    length = cor.length.to_numpy()
    pick = rng.choice(len(cor), len(inc), p=length / length.sum())
    uniform = shapely.line_interpolate_point(
        cor.geometry.values[pick], rng.uniform(size=len(inc)), normalized=True
    )

    def dispersion(points):
        xy = shapely.get_coordinates(points)
        x0, y0, x1, y1 = cor.total_bounds
        counts, _, _ = np.histogram2d(
            xy[:, 0], xy[:, 1], bins=[np.arange(x0, x1 + 200, 200), np.arange(y0, y1 + 200, 200)]
        )
        counts = counts[counts > 0]
        return counts.var() / counts.mean()

    assert dispersion(inc.geometry.values) > 5 * dispersion(uniform)
    # every incident lies on or beside a corridor (snapped, within a sidewalk)
    tree = shapely.STRtree(cor.geometry.values)
    near = tree.query_nearest(inc.geometry.values, return_distance=True)[1]
    assert near.max() <= 3.0


def test_existing_cameras(bundled):
    cams = bundled["cameras"]
    assert {"police", "MTR", "Transport Department"} <= set(cams["owner"])
    head = cams["heading_deg"].to_numpy()
    assert np.isnan(head).any() and (~np.isnan(head)).any()
    known = head[~np.isnan(head)]
    assert np.all((known >= 0) & (known < 360))
    assert set(cams["cameras"]) <= {2, 3}
    assert cams["cameras"].dtype == np.int64


def test_street_network_is_connected(bundled):
    # Streets and footpaths meet at shared vertices (the promenade crosses them).
    cor = bundled["corridors"]
    lines = cor.geometry.values[cor["name"].to_numpy() != "Harbourfront Promenade"]
    ends = np.stack(
        [
            shapely.get_coordinates(shapely.get_point(lines, 0)),
            shapely.get_coordinates(shapely.get_point(lines, -1)),
        ],
        axis=1,
    )
    graph = nx.Graph()
    graph.add_edges_from(
        ((a, b), (c, d)) for a, b, c, d in np.round(ends, 2).reshape(-1, 4).tolist()
    )
    assert nx.number_connected_components(graph) == 1
    prom = cor.geometry.values[cor["name"].to_numpy() == "Harbourfront Promenade"]
    assert len(prom) >= 1
    assert bool(np.any(shapely.intersects(prom[0], lines)))


def test_landmarks(bundled):
    lm = bundled["landmarks"]
    assert {"mtr_exit", "market", "police_station"} <= set(lm["kind"])
    assert bool(np.all(lm["weight"] > 0))
    cor = shapely.STRtree(bundled["corridors"].geometry.values)
    dist = cor.query_nearest(lm.geometry.values, return_distance=True)[1]
    assert dist.max() < 0.1  # on the street network


def test_privacy_zones_are_named_kinds(bundled):
    names = " ".join(bundled["privacy_zones"]["name"])
    for word in ("School", "Clinic", "courtyard"):
        assert word in names


def test_command_regenerates_the_committed_file(bundled, regenerated):
    _assert_city_equal(bundled, regenerated)


def test_command_and_writer_never_overwrite_unless_told(tmp_path, capsys):
    path = tmp_path / "mine.gpkg"
    path.write_text("not written by us")
    with pytest.raises(SystemExit) as exc:
        main(["--write", str(path)])
    assert exc.value.code == 2
    assert "exists; add --overwrite" in capsys.readouterr().err
    small = synthetic_city(width_m=600.0, height_m=500.0, n_districts=3, seed=1)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_city(small, path)
    assert path.read_text() == "not written by us"
    write_city(small, path, overwrite=True)
    assert [str(n) for n in pyogrio.list_layers(path)[:, 0]] == list(LAYERS)


# ------------------------------------------------------------------ the generator
def test_same_seed_same_city_other_seed_other_city():
    a = synthetic_city(width_m=900.0, height_m=700.0, n_districts=4, seed=7)
    b = synthetic_city(width_m=900.0, height_m=700.0, n_districts=4, seed=7)
    _assert_city_equal(a, b)
    c = synthetic_city(width_m=900.0, height_m=700.0, n_districts=4, seed=8)
    assert len(c["buildings"]) != len(a["buildings"]) or not bool(
        np.all(
            shapely.equals_exact(
                c["hotspots"].geometry.values[:10], a["hotspots"].geometry.values[:10], 1e-6
            )
        )
    )


def test_small_city_schema_origin_and_crs():
    city = synthetic_city(
        width_m=800.0,
        height_m=600.0,
        n_districts=3,
        seed=1,
        crs="EPSG:32633",
        origin=(500000.0, 5000000.0),
        precision_m=0.0,
    )
    assert list(city) == list(LAYERS)
    for layer, frame in city.items():
        assert list(frame.columns) == [*COLUMNS[layer], "geometry"], layer
        assert CRS.from_user_input(frame.crs).to_epsg() == 32633
        assert bool(np.all(shapely.is_valid(frame.geometry.values))), layer
    x0, y0, x1, y1 = city["districts"].total_bounds
    assert 500000.0 <= x0 < x1 <= 500800.0 + 1e-6
    assert 5000000.0 <= y0 < y1 <= 5000600.0 + 1e-6
    assert len(city["districts"]) == 3


def test_district_names_beyond_the_list_stay_unique():
    city = synthetic_city(width_m=1500.0, height_m=1200.0, n_districts=20, seed=2)
    names = city["districts"]["name"].tolist()
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width_m": 0.0}, r"The 'width_m' parameter of synthetic_city must be a number in \[200"),
        ({"n_districts": 0}, r"'n_districts' parameter of synthetic_city must be an int"),
        ({"seed": -1}, r"'seed' parameter"),
        ({"block_spacing_m": 5.0}, r"'block_spacing_m' parameter"),
        ({"origin": (1.0,)}, r"'origin' parameter of synthetic_city"),
        ({"crs": "not a crs"}, r"'crs' parameter of synthetic_city must be a CRS"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        synthetic_city(**kwargs)


def test_degree_crs_is_rejected():
    with pytest.raises(CRSError, match="projected CRS in metres"):
        synthetic_city(crs="EPSG:4326")


@pytest.mark.slow
def test_hong_kong_sized_city_is_fast_and_big():
    t0 = time.perf_counter()
    city = synthetic_city(width_m=12000.0, height_m=8000.0, n_districts=18, seed=1)
    elapsed = time.perf_counter() - t0
    assert city["corridors"].length.sum() >= 1_000_000.0
    assert len(city["buildings"]) >= 50_000
    assert len(city["hotspots"]) >= 20_000
    assert elapsed < 180.0
