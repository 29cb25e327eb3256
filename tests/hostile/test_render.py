"""Hostile geometry for the map, the PNG and the report: real data never crashes them.

Every case builds a small scene (200 m x 200 m, EPSG:2326) with one kind of
geometry real data brings (sub-metre holes of a cadastral union, slivers,
invalid polygons, cameras inside or on building footprints, tiny parts,
districts without demand...), solves a plan from two candidate poles, draws
the map and checks what it drew: every geometry valid with rings of at least
four points, one pole per set of the plan, no view drawn where there is none
to see, the districts' names present and the working CRS named. The last
tests read the layers from a GeoPackage (the file must not change), throw
random holes, cameras and names at ``render_map`` and ``write_report``
(hypothesis), and check the escaping of hostile names.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import coverage as cov
from coverage.errors import InputError
from coverage.render import crs_sentence, plot_map, render_map, save_map
from coverage.report import write_report

X0, Y0 = 836_000.0, 818_000.0
CRS = "EPSG:2326"
CAMERA = cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)
CRS_LINE = "Distances in metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System)"
#: The scene's extent in lon/lat (with a 50 m margin): every drawn vertex lies inside.
_TO_LL = Transformer.from_crs(CRS, 4326, always_xy=True)
_LON0, _LAT0 = _TO_LL.transform(X0 - 50, Y0 - 50)
_LON1, _LAT1 = _TO_LL.transform(X0 + 250, Y0 + 250)

Layers = dict[str, gpd.GeoDataFrame]


def _at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def _box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _ring(*pts: tuple[float, float]) -> list[tuple[float, float]]:
    return [_at(x, y) for x, y in pts]


def _gdf(data: dict[str, Any], geometry: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=CRS)


def base_layers() -> Layers:
    """Two districts split at x = 100, three streets, a building, a police set, a privacy zone."""
    return {
        "districts": _gdf({"name": ["West", "East"]}, [_box(0, 0, 100, 200), _box(100, 0, 200, 200)]),
        "corridors": _gdf(
            {"footfall": [2.0, 1.0, 1.0], "name": ["Nathan Road", "Peking Road", "Lane"]},
            [
                LineString([_at(10, 100), _at(190, 100)]),
                LineString([_at(100, 10), _at(100, 190)]),
                LineString([_at(20, 20), _at(60, 20)]),
            ],
        ),
        "buildings": _gdf({"height_m": [30.0]}, [_box(120, 110, 160, 150)]),
        "cameras": _gdf(
            {"owner": ["police"], "heading_deg": [90.0], "cameras": [3]}, [Point(_at(30, 100))]
        ),
        "privacy_zones": _gdf({"name": ["School"]}, [_box(160, 20, 190, 60)]),
        "hotspots": _gdf({"weight": [1.0, 2.0]}, [Point(_at(95, 105)), Point(_at(150, 100))]),
    }


def _poles(*extra: tuple[float, float]) -> gpd.GeoDataFrame:
    pts = [_at(100, 100), _at(40, 20), *(_at(x, y) for x, y in extra)]
    return _gdf({"name": [f"p{i}" for i in range(len(pts))]}, [Point(p) for p in pts])


def _only_poles(*pts: tuple[float, float]) -> gpd.GeoDataFrame:
    return _gdf({"name": [f"p{i}" for i in range(len(pts))]}, [Point(_at(x, y)) for x, y in pts])


def make_scene(layers: Layers) -> cov.Scene:
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        hotspots=layers.get("hotspots"),
        buildings=layers.get("buildings"),
        cameras=layers.get("cameras"),
        privacy_zones=layers.get("privacy_zones"),
        name="Hostile",
    )


def solve(scene: cov.Scene, poles: gpd.GeoDataFrame | None = None, **kw: Any) -> cov.Plan:
    camera = kw.pop("camera", CAMERA)
    problem = cov.Problem(
        scene,
        camera,
        budget=2,
        candidates="poles",
        poles=_poles() if poles is None else poles,
        method="greedy",
        **kw,
    )
    return cov.solve(problem)


# ----------------------------------------------------------------------------- reading the map

_BLOCK = re.compile(r'<script type="application/json" id="[^"]+_data">(.*?)</script>', re.DOTALL)


@dataclass
class Drawn:
    """What a rendered map holds: its HTML and the GeoJSON features of each layer."""

    html: str
    blocks: list[dict[str, Any]]
    counts: dict[str, int]

    @property
    def features(self) -> list[dict[str, Any]]:
        return [f for b in self.blocks for f in b["features"]]

    def set_layers(self) -> list[dict[str, Any]]:
        """Camera set layers: the blocks with popups (one per owner group or phase)."""
        return [b for b in self.blocks if "popups" in b]

    def poles(self) -> int:
        return sum(f["geometry"]["type"] == "Point" for b in self.set_layers() for f in b["features"])

    def views_of(self, popup_start: str) -> int:
        """Number of view features drawn for the sets whose popup starts with `popup_start`."""
        n = 0
        for b in self.set_layers():
            rows = {i for i, p in enumerate(b["popups"]) if p[0].startswith(popup_start)}
            n += sum(
                f["geometry"]["type"] != "Point" and f["properties"]["i"] in rows
                for f in b["features"]
            )
        return n

    def geometries(self) -> list[Any]:
        return [shapely.from_geojson(json.dumps(f["geometry"])) for f in self.features]


def draw(scene: cov.Scene, plan: cov.Plan, **kw: Any) -> Drawn:
    m = render_map(scene, plan, **kw)
    text = m.get_root().render()
    blocks = [json.loads(b) for b in _BLOCK.findall(text)]
    geojson = [b for b in blocks if isinstance(b, dict) and "features" in b]
    return Drawn(text, geojson, dict(m.coverage_counts))


def check_drawn(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    """What every map must satisfy, whatever the geometry."""
    assert d.html.startswith("<!DOCTYPE html>") and d.html.rstrip().endswith("</html>")
    geoms = np.asarray(d.geometries(), dtype=object)
    assert len(geoms), "the map drew nothing"
    assert shapely.is_valid(geoms).all(), [shapely.is_valid_reason(g) for g in geoms]
    assert not shapely.is_empty(geoms).any()
    rings = shapely.get_rings(shapely.get_parts(geoms[geoms_types(geoms, 3, 6)]))
    if len(rings):
        assert shapely.get_num_coordinates(rings).min() >= 4
    xy = shapely.get_coordinates(geoms)
    assert np.isfinite(xy).all()
    assert (xy[:, 0] >= _LON0).all() and (xy[:, 0] <= _LON1).all()
    assert (xy[:, 1] >= _LAT0).all() and (xy[:, 1] <= _LAT1).all()
    # one pole per set, existing and new, whatever happened to the views
    assert d.poles() == len(plan.cameras)
    assert CRS_LINE in d.html
    for name in scene.districts["name"].astype(str):
        assert json.dumps(html.escape(name))[1:-1] in d.html


def geoms_types(geoms: np.ndarray, *types: int) -> np.ndarray:
    return np.isin(shapely.get_type_id(geoms), types)


# ----------------------------------------------------------------------------- the cases


def _holes(n: int, size: float, x0: float = 10.0, y0: float = 150.0) -> list[Any]:
    """`n` square holes of side `size` metres in a row (a cadastral union's gaps)."""
    return [
        shapely.box(X0 + x0 + 3 * k, Y0 + y0, X0 + x0 + 3 * k + size, Y0 + y0 + size).exterior.coords
        for k in range(n)
    ]


def _set_district(layers: Layers, k: int, geom: Any) -> None:
    geoms = layers["districts"].geometry.to_list()
    geoms[k] = geom
    layers["districts"] = _gdf({"name": layers["districts"]["name"].to_list()}, geoms)


def _set(layer: str, data: dict[str, Any], geoms: list[Any]) -> Callable[[Layers], None]:
    def mutate(layers: Layers) -> None:
        layers[layer] = _gdf(data, geoms)

    return mutate


def _camera(x: float, y: float, heading: float = 90.0, cameras: int = 3) -> Callable[[Layers], None]:
    return _set(
        "cameras",
        {"owner": ["police"], "heading_deg": [heading], "cameras": [cameras]},
        [Point(_at(x, y))],
    )


def _district_hole(n: int, size: float) -> Callable[[Layers], None]:
    def mutate(layers: Layers) -> None:
        outer = _box(0, 0, 100, 200)
        _set_district(layers, 0, Polygon(outer.exterior.coords, _holes(n, size)))

    return mutate


def _district_multi_tiny(n: int, size: float) -> Callable[[Layers], None]:
    """West is its box plus `n` tiny islands off its west edge (outside East)."""

    def mutate(layers: Layers) -> None:
        islands = [_box(-5 - 2 * k, 50, -5 - 2 * k + size, 50 + size) for k in range(n)]
        _set_district(layers, 0, MultiPolygon([_box(0, 0, 100, 200), *islands]))

    return mutate


def _west(geom: Polygon) -> Callable[[Layers], None]:
    return lambda layers: _set_district(layers, 0, geom)


def _buildings(*geoms: Any) -> Callable[[Layers], None]:
    return _set("buildings", {"height_m": [10.0] * len(geoms)}, list(geoms))


def _privacy(*geoms: Any) -> Callable[[Layers], None]:
    return _set("privacy_zones", {"name": [f"zone {k}" for k in range(len(geoms))]}, list(geoms))


def _extra_corridor(line: LineString) -> Callable[[Layers], None]:
    def mutate(layers: Layers) -> None:
        c = layers["corridors"]
        layers["corridors"] = _gdf(
            {"footfall": [*c["footfall"], 1.0], "name": [*c["name"], "odd"]},
            [*c.geometry, line],
        )

    return mutate


def _hotspot_areas(*geoms: Any) -> Callable[[Layers], None]:
    return _set("hotspots", {"intensity": [1.0] * len(geoms)}, list(geoms))


def _both(*fs: Callable[[Layers], None]) -> Callable[[Layers], None]:
    def mutate(layers: Layers) -> None:
        for f in fs:
            f(layers)

    return mutate


def _no_existing_view(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert d.views_of("Existing") == 0
    assert (plan.cameras["status"] == "existing").sum() == 1


def _no_view_at_all(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert d.views_of("Existing") == 0
    assert d.views_of("New set") == 0
    assert (plan.cameras["status"] == "existing").sum() == 1  # drawn as its pole alone


def _existing_view_drawn(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert d.views_of("Existing") >= 1


def _west_area_kept(min_m2: float) -> Callable[[cov.Scene, cov.Plan, Drawn], None]:
    """The drawn West district has at least `min_m2` of area (measured back in EPSG:2326)."""

    def check(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
        west = next(
            b for b in d.blocks if any("West" in f["properties"].get("tip", "") for f in b["features"])
        )
        feat = next(f for f in west["features"] if "West" in f["properties"].get("tip", ""))
        g = gpd.GeoSeries([shapely.from_geojson(json.dumps(feat["geometry"]))], crs=4326)
        assert float(g.to_crs(CRS).area.iloc[0]) >= min_m2

    return check


def _no_demand_shown(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert "no demand" in d.html
    assert "n/a" in d.html  # the district's tooltip: coverage not applicable


@dataclass(frozen=True)
class Case:
    """One hostile geometry: how to change the layers, extra poles, what must hold after."""

    id: str
    mutate: Callable[[Layers], None]
    poles: tuple[tuple[float, float], ...] = ()
    check: Callable[[cov.Scene, cov.Plan, Drawn], None] | None = None
    kw: dict[str, Any] = field(default_factory=dict)
    base_poles: bool = True
    #: The scene or the solve may refuse the input instead, with an InputError matching this.
    refusal: str | None = None


CASES = [
    Case("district-one-submetre-hole", _district_hole(1, 0.6), check=_west_area_kept(19_990)),
    Case("district-dozens-of-submetre-holes", _district_hole(30, 0.4), check=_west_area_kept(19_990)),
    Case("district-centimetre-holes", _district_hole(12, 0.01), check=_west_area_kept(19_990)),
    Case("district-holes-0.9m", _district_hole(20, 0.9), check=_west_area_kept(19_900)),
    Case("district-multipolygon-tiny-parts", _district_multi_tiny(8, 0.3)),
    Case("district-multipolygon-cm-parts", _district_multi_tiny(5, 0.02)),
    Case(
        "district-bow-tie-invalid",
        _west(Polygon(_ring((0, 0), (100, 200), (100, 0), (0, 200)))),
        check=_west_area_kept(9_000),
        refusal=r"Layer 'districts'.*rows \[0\]",
    ),
    Case(
        "district-sliver-spike",
        _west(Polygon(_ring((0, 0), (100, 0), (100, 200), (50.0001, 200), (50, 260), (50, 200), (0, 200)))),
        check=_west_area_kept(19_990),
    ),
    Case(
        "district-near-duplicate-vertices",
        _west(Polygon(_ring((0, 0), (100, 0), (100, 200), (1e-7, 200), (0, 200), (0, 1e-7)))),
        check=_west_area_kept(19_990),
    ),
    Case(
        "district-notch-thinner-than-a-metre",
        _west(Polygon(_ring((0, 0), (100, 0), (100, 200), (60, 200), (60, 40), (59.6, 40), (59.6, 200), (0, 200)))),
        check=_west_area_kept(19_900),
    ),
    Case("district-without-demand", _west(_box(0, 150, 5, 200)), check=_no_demand_shown),
    Case(
        "building-covers-whole-district",
        _buildings(_box(1, 1, 99, 199)),
        poles=((100, 100), (130, 100)),
        base_poles=False,
    ),
    Case("building-with-submetre-courtyards", _buildings(Polygon(_box(120, 110, 160, 150).exterior.coords, _holes(8, 0.5, 122, 120)))),
    Case("buildings-smaller-than-a-metre", _buildings(*[_box(130 + k, 160, 130.3 + k, 160.3) for k in range(6)])),
    Case("building-bow-tie-invalid", _buildings(Polygon(_ring((120, 110), (160, 150), (160, 110), (120, 150))))),
    Case("building-sliver", _buildings(Polygon(_ring((110, 105), (180, 105), (180, 105.001))))),
    Case("building-multipolygon-with-slivers", _buildings(MultiPolygon([_box(120, 110, 160, 150), _box(170, 110, 170.2, 150)]))),
    Case("camera-0.4m-inside-west-wall", _both(_camera(120.4, 130, 180.0)), check=_existing_view_drawn),
    Case("camera-0.4m-inside-south-wall", _both(_camera(140, 110.4, 105.0))),
    Case("camera-0.1m-inside-south-wall", _both(_camera(140, 110.1, 225.0))),
    # the footprint holding a pole is ignored for that pole (visibility.py): it sees out
    Case("camera-in-building-centre", _camera(140, 130, 0.0), check=_existing_view_drawn),
    Case("camera-on-building-edge", _camera(120, 130, 270.0), check=_existing_view_drawn),
    Case("camera-on-building-corner", _camera(120, 110, 225.0), check=_existing_view_drawn),
    Case("camera-1cm-outside-facing-wall", _camera(119.99, 130, 90.0)),
    Case(
        "views-of-no-area-not-drawn",
        lambda layers: None,
        check=_no_view_at_all,
        kw={"camera": cov.CameraSet(cameras=1, hfov_deg=0.001, range_m=0.5)},
    ),
    Case("new-poles-1cm-from-building-walls", lambda layers: None, poles=((119.99, 130), (140, 109.99))),
    Case("new-pole-on-building-corner", lambda layers: None, poles=((160, 110),), refusal=r"inside a building: rows \[2\]"),
    Case("privacy-zone-submetre-and-holed", _privacy(_box(160, 20, 160.5, 20.5), Polygon(_box(160, 30, 190, 60).exterior.coords, _holes(4, 0.3, 162, 40)))),
    Case("privacy-zone-sliver", _privacy(Polygon(_ring((150, 20), (190, 20), (190, 20.0005))))),
    Case("hotspot-areas-tiny-and-holed", _hotspot_areas(_box(90, 95, 90.4, 95.4), Polygon(_box(140, 90, 160, 110).exterior.coords, _holes(3, 0.2, 142, 95)))),
    Case("corridor-half-a-metre", _extra_corridor(LineString([_at(50, 60), _at(50.5, 60)]))),
    Case("corridor-sub-metre-zigzag", _extra_corridor(LineString([_at(50, 60), *(_at(50 + 0.1 * k, 60 + 0.05 * (k % 2)) for k in range(1, 30)), _at(80, 60)]))),
    Case("views-one-degree-wide", lambda layers: None, kw={"camera": cov.CameraSet(cameras=3, hfov_deg=1, range_m=40)}),
    Case("views-half-a-metre-long", lambda layers: None, kw={"camera": cov.CameraSet(cameras=2, hfov_deg=90, range_m=0.5)}),
    Case("views-full-circle", lambda layers: None, kw={"camera": cov.CameraSet(cameras=1, hfov_deg=360, range_m=30)}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_geometry_draws(case: Case) -> None:
    layers = base_layers()
    case.mutate(layers)
    try:
        scene = make_scene(layers)
        poles = _poles(*case.poles) if case.base_poles else _only_poles(*case.poles)
        plan = solve(scene, poles, **case.kw)
    except InputError as exc:  # a clear refusal naming the layer and rows is a right answer
        if case.refusal is None:
            raise
        assert re.search(case.refusal, str(exc), re.DOTALL), str(exc)
        return
    d = draw(scene, plan)
    check_drawn(scene, plan, d)
    if case.check is not None:
        case.check(scene, plan, d)
