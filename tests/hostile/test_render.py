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

import functools
import hashlib
import html
import json
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
from coverage.render import escape_text, plot_map, render_map, save_map
from coverage.report import report_html, write_report

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
        "districts": _gdf(
            {"name": ["West", "East"]}, [_box(0, 0, 100, 200), _box(100, 0, 200, 200)]
        ),
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
    budget = kw.pop("budget", 2)
    problem = cov.Problem(
        scene,
        camera,
        budget=budget,
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
        return sum(
            f["geometry"]["type"] == "Point" for b in self.set_layers() for f in b["features"]
        )

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
        shapely.box(
            X0 + x0 + 3 * k, Y0 + y0, X0 + x0 + 3 * k + size, Y0 + y0 + size
        ).exterior.coords
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


def _camera(
    x: float, y: float, heading: float = 90.0, cameras: int = 3
) -> Callable[[Layers], None]:
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


def _indoor_camera_left_out(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert scene.assumptions["cameras_indoor"] == 1
    assert (plan.cameras["status"] == "existing").sum() == 0
    assert d.views_of("Existing") == 0


def _west_area_kept(min_m2: float) -> Callable[[cov.Scene, cov.Plan, Drawn], None]:
    """The drawn West district has at least `min_m2` of area (measured back in EPSG:2326)."""

    def check(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
        west = next(
            b
            for b in d.blocks
            if any("West" in f["properties"].get("tip", "") for f in b["features"])
        )
        feat = next(f for f in west["features"] if "West" in f["properties"].get("tip", ""))
        g = gpd.GeoSeries([shapely.from_geojson(json.dumps(feat["geometry"]))], crs=4326)
        assert float(g.to_crs(CRS).area.iloc[0]) >= min_m2

    return check


def _no_demand_shown(scene: cov.Scene, plan: cov.Plan, d: Drawn) -> None:
    assert "no demand" in d.html
    assert "n/a" in d.html  # the district's tooltip: coverage not applicable


def _cadastral_union(layers: Layers) -> None:
    """West as a union of 10 m plots that leaves 5-45 cm gaps between them: 200 sliver holes."""
    rng = np.random.default_rng(7)
    gaps = []
    for i in range(10):
        for j in range(20):
            width, length = rng.uniform(0.05, 0.45), rng.uniform(3.0, 8.0)
            x, y = 10 * i + 9.0, 10 * j + 1.0
            gaps.append(_box(x, y, x + width, y + length))
    union = shapely.difference(_box(0, 0, 100, 200), shapely.union_all(gaps))
    assert isinstance(union, Polygon) and len(union.interiors) == 200
    _set_district(layers, 0, union)


def _speck_district(layers: Layers) -> None:
    d = layers["districts"]
    layers["districts"] = _gdf(
        {"name": [*d["name"], "Speck"]}, [*d.geometry, _box(-1.0, -1.0, -0.7, -0.7)]
    )


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
    Case(
        "district-dozens-of-submetre-holes", _district_hole(30, 0.4), check=_west_area_kept(19_990)
    ),
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
        _west(
            Polygon(
                _ring((0, 0), (100, 0), (100, 200), (50.0001, 200), (50, 260), (50, 200), (0, 200))
            )
        ),
        check=_west_area_kept(19_990),
    ),
    Case(
        "district-near-duplicate-vertices",
        _west(Polygon(_ring((0, 0), (100, 0), (100, 200), (1e-7, 200), (0, 200), (0, 1e-7)))),
        check=_west_area_kept(19_990),
    ),
    Case(
        "district-notch-thinner-than-a-metre",
        _west(
            Polygon(
                _ring(
                    (0, 0),
                    (100, 0),
                    (100, 200),
                    (60, 200),
                    (60, 40),
                    (59.6, 40),
                    (59.6, 200),
                    (0, 200),
                )
            )
        ),
        check=_west_area_kept(19_900),
    ),
    Case("district-without-demand", _west(_box(0, 150, 5, 200)), check=_no_demand_shown),
    Case("district-union-of-cadastral-plots", _cadastral_union, check=_west_area_kept(19_000)),
    Case("district-30cm-speck", _speck_district),
    Case(
        "district-zero-area",
        _west(Polygon(_ring((0, 0), (100, 0), (50, 0)))),
        refusal=r"Layer 'districts'.*rows \[0\]",
    ),
    Case(
        "district-geometry-collection",
        _west(shapely.GeometryCollection([_box(0, 0, 100, 100), _box(0, 100, 100, 200)])),
        refusal=r"Layer 'districts'.*GeometryCollection.*rows \[0\]",
    ),
    Case(
        "building-covers-whole-district",
        _buildings(_box(1, 1, 99, 199)),
        poles=((100, 100), (130, 100)),
        base_poles=False,
    ),
    Case(
        "building-with-submetre-courtyards",
        _buildings(Polygon(_box(120, 110, 160, 150).exterior.coords, _holes(8, 0.5, 122, 120))),
    ),
    Case(
        "buildings-smaller-than-a-metre",
        _buildings(*[_box(130 + k, 160, 130.3 + k, 160.3) for k in range(6)]),
    ),
    Case(
        "building-bow-tie-invalid",
        _buildings(Polygon(_ring((120, 110), (160, 150), (160, 110), (120, 150)))),
    ),
    Case("building-sliver", _buildings(Polygon(_ring((110, 105), (180, 105), (180, 105.001))))),
    Case(
        "building-multipolygon-with-slivers",
        _buildings(MultiPolygon([_box(120, 110, 160, 150), _box(170, 110, 170.2, 150)])),
    ),
    Case(
        "camera-0.4m-inside-west-wall",
        _both(_camera(120.4, 130, 180.0)),
        check=_existing_view_drawn,
    ),
    Case("camera-0.4m-inside-south-wall", _both(_camera(140, 110.4, 105.0))),
    Case("camera-0.1m-inside-south-wall", _both(_camera(140, 110.1, 225.0))),
    # an existing camera deep inside a footprint is an indoor camera: left out, and counted
    Case("camera-in-building-centre", _camera(140, 130, 0.0), check=_indoor_camera_left_out),
    Case("camera-on-building-edge", _camera(120, 130, 270.0), check=_existing_view_drawn),
    Case("camera-on-building-corner", _camera(120, 110, 225.0), check=_existing_view_drawn),
    Case("camera-1cm-outside-facing-wall", _camera(119.99, 130, 90.0)),
    Case(
        "views-of-no-area-not-drawn",
        lambda layers: None,
        check=_no_view_at_all,
        kw={"camera": cov.CameraSet(cameras=1, hfov_deg=0.001, range_m=0.5)},
    ),
    Case(
        "new-poles-1cm-from-building-walls",
        lambda layers: None,
        poles=((119.99, 130), (140, 109.99)),
    ),
    Case(
        "new-pole-on-building-corner",
        lambda layers: None,
        poles=((160, 110),),
        refusal=r"inside a building: rows \[2\]",
    ),
    Case(
        "privacy-zone-submetre-and-holed",
        _privacy(
            _box(160, 20, 160.5, 20.5),
            Polygon(_box(160, 30, 190, 60).exterior.coords, _holes(4, 0.3, 162, 40)),
        ),
    ),
    Case("privacy-zone-sliver", _privacy(Polygon(_ring((150, 20), (190, 20), (190, 20.0005))))),
    Case(
        "hotspot-areas-tiny-and-holed",
        _hotspot_areas(
            _box(90, 95, 90.4, 95.4),
            Polygon(_box(140, 90, 160, 110).exterior.coords, _holes(3, 0.2, 142, 95)),
        ),
    ),
    Case("corridor-half-a-metre", _extra_corridor(LineString([_at(50, 60), _at(50.5, 60)]))),
    Case(
        "corridor-sub-metre-zigzag",
        _extra_corridor(
            LineString(
                [
                    _at(50, 60),
                    *(_at(50 + 0.1 * k, 60 + 0.05 * (k % 2)) for k in range(1, 30)),
                    _at(80, 60),
                ]
            )
        ),
    ),
    Case(
        "views-one-degree-wide",
        lambda layers: None,
        kw={"camera": cov.CameraSet(cameras=3, hfov_deg=1, range_m=40)},
    ),
    Case(
        "views-half-a-metre-long",
        lambda layers: None,
        kw={"camera": cov.CameraSet(cameras=2, hfov_deg=90, range_m=0.5)},
    ),
    Case(
        "views-full-circle",
        lambda layers: None,
        kw={"camera": cov.CameraSet(cameras=1, hfov_deg=360, range_m=30)},
    ),
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
        refusal = str(exc)
    else:
        d = draw(scene, plan)
        check_drawn(scene, plan, d)
        if case.check is not None:
            case.check(scene, plan, d)
        return
    assert re.search(case.refusal, refusal, re.DOTALL), refusal


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c.id
        in {
            "corridor-half-a-metre",
            "corridor-sub-metre-zigzag",
            "district-union-of-cadastral-plots",
        }
    ],
    ids=lambda c: c.id,
)
def test_hostile_geometry_packed_corridors_and_comparison(case: Case) -> None:
    """City-size drawing (packed corridor lines) and two plans side by side."""
    from coverage.render import render_comparison

    scene, plan = _case_plan(case)
    m = render_map(scene, plan, max_corridor_features=0)
    text = m.get_root().render()
    blocks = map(json.loads, _BLOCK.findall(text))
    packed = [b for b in blocks if isinstance(b, list) and b and isinstance(b[0], dict)]
    assert len(packed) == 1 and packed[0]
    for tier in packed[0]:
        assert len(tier["d"]) == 2 * sum(tier["n"])
        assert all(n >= 2 for n in tier["n"])  # no part of a single point
    one = solve(scene, _poles(*case.poles), budget=1)
    fig = render_comparison(scene, one, plan, labels=("one set", "two sets"))
    both = fig.render()
    assert both.count(CRS_LINE) == 2  # each half's legend
    for half, p in zip(fig.coverage_maps, (one, plan), strict=True):
        assert half.coverage_counts["Districts (coverage)"] == len(scene.districts)
        assert sum(
            v for k, v in half.coverage_counts.items() if k.startswith(("New", "Exist"))
        ) >= len(p.cameras)


# ----------------------------------------------------------------------------- PNG and report

#: Cases drawn again as the PNG figure and inside the report.
FIGURE_CASES = [
    c
    for c in CASES
    if c.id
    in {
        "district-dozens-of-submetre-holes",
        "district-multipolygon-tiny-parts",
        "building-with-submetre-courtyards",
        "camera-0.4m-inside-south-wall",
        "camera-0.1m-inside-south-wall",
        "views-of-no-area-not-drawn",
        "views-full-circle",
        "district-without-demand",
    }
]


def _case_plan(case: Case) -> tuple[cov.Scene, cov.Plan]:
    layers = base_layers()
    case.mutate(layers)
    scene = make_scene(layers)
    poles = _poles(*case.poles) if case.base_poles else _only_poles(*case.poles)
    return scene, solve(scene, poles, **case.kw)


@pytest.fixture
def figure_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text artist of each figure saved while the test runs."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    texts: list[str] = []
    savefig = Figure.savefig

    def spy(self: Figure, *args: Any, **kwargs: Any) -> Any:
        texts.extend(t.get_text() for t in self.findobj(Text))
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return texts


@pytest.mark.parametrize("case", FIGURE_CASES, ids=[c.id for c in FIGURE_CASES])
def test_hostile_geometry_png(case: Case, tmp_path: Path, figure_texts: list[str]) -> None:
    scene, plan = _case_plan(case)
    out = plot_map(scene, plan, tmp_path / "map.png", dpi=30, figsize=(4.0, 4.0))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 50 and height > 50
    assert CRS_LINE in figure_texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary left


@pytest.mark.parametrize("case", FIGURE_CASES, ids=[c.id for c in FIGURE_CASES])
def test_hostile_geometry_report(case: Case, tmp_path: Path) -> None:
    scene, plan = _case_plan(case)
    out = write_report(tmp_path / "report.html", scene, plan, curve=False)
    text = out.read_bytes().decode("utf-8")
    assert '<iframe title="Coverage map"' in text  # the map is there, not dropped
    assert f"{CRS_LINE}." in text
    page = _outer(text)
    for name in scene.districts["name"].astype(str):
        assert f'<td class="t">{html.escape(name)}</td>' in page
    inner = _srcdoc(text)
    assert CRS_LINE in inner
    assert inner.count('"type":"Point"') == len(plan.cameras)  # one pole per set in the map


def _outer(text: str) -> str:
    """The report without the embedded map document and the inlined PNG."""
    text = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', text)
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", text)


def _srcdoc(text: str) -> str:
    m = re.search(r'srcdoc="([^"]*)"', text)
    assert m is not None
    return html.unescape(m.group(1))


# ----------------------------------------------------------------------------- layers from files


def _digest(paths: list[Path]) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths
    }


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c.id
        in {"district-dozens-of-submetre-holes", "camera-0.4m-inside-west-wall", "building-sliver"}
    ],
    ids=lambda c: c.id,
)
def test_hostile_layers_from_files_are_left_unchanged(case: Case, tmp_path: Path) -> None:
    layers = base_layers()
    case.mutate(layers)
    data = tmp_path / "in"
    data.mkdir()
    paths = {}
    for name, frame in layers.items():
        paths[name] = data / f"{name}.gpkg"
        frame.to_file(paths[name], driver="GPKG")
    before = _digest(list(paths.values()))
    scene = cov.Scene.from_files(
        paths["districts"],
        paths["corridors"],
        hotspots=paths["hotspots"],
        buildings=paths["buildings"],
        cameras=paths["cameras"],
        privacy_zones=paths["privacy_zones"],
        name="From files",
    )
    plan = solve(scene, _poles(*case.poles), **case.kw)
    out = tmp_path / "out"
    out.mkdir()
    save_map(render_map(scene, plan), out / "map.html")
    write_report(out / "report.html", scene, plan, curve=False)
    check_drawn(scene, plan, draw(scene, plan))
    assert _digest(list(paths.values())) == before
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in paths.values())
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "report.html"]


# ----------------------------------------------------------------------------- hostile names

PAYLOADS = [
    "<script>alert(1)</script>",
    "</script><script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onclick='alert(1)",
    "Tom & Jerry &amp; &lt;co&gt;",
    "${alert(1)}`{{ config }}`",
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "javascript:alert(1)//http://evil.example/x.js",
    "x" * 5000 + "<b>long</b>",
    "line\nbreak\r\ttab\u2028sep\u2029",
    '=HYPERLINK("http://evil.example")',
]


def _in_map(text: str, name: str) -> str:
    """How `name` appears inside a map's JSON block (escaped, then JSON-encoded)."""
    encoded = json.dumps(escape_text(name), ensure_ascii=False)[1:-1]
    return encoded.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _named_scene(district: str, other: str = "East", *, corridor: str = "Nathan Road") -> cov.Scene:
    layers = base_layers()
    layers["districts"]["name"] = [district, other]
    layers["corridors"]["name"] = [corridor, "Peking Road", "Lane"]
    layers["cameras"]["owner"] = [f"police {district}"]
    layers["privacy_zones"]["name"] = [district]
    return cov.Scene(
        layers["districts"],
        layers["corridors"],
        hotspots=layers["hotspots"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
        privacy_zones=layers["privacy_zones"],
        name=district,
        attribution=(district,),
    )


def check_names_escaped(text: str, names: list[str]) -> None:
    """`text` (a report) shows each name escaped, and no raw markup of them, page or map."""
    page, inner = _outer(text), _srcdoc(text)
    for name in names:
        assert html.escape(name) in page
        assert _in_map(inner, name) in inner
        if "<" in name or '"' in name:
            assert name not in page
            assert name not in inner
    # no payload adds a tag: as many script and image tags as with harmless names
    assert _tag_counts(inner) == _tag_counts(_harmless_map())
    assert _tag_counts(page) == _tag_counts(_outer(_harmless_report()))


_HANDLER = re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.IGNORECASE)


def _tag_counts(text: str) -> tuple[int, ...]:
    """Raw tags that could run code: script, img, iframe, and tags with an ``on...=`` handler."""
    low = text.lower()
    return (*(low.count(t) for t in ("<script", "<img", "<iframe")), len(_HANDLER.findall(text)))


@functools.cache
def _harmless_report() -> str:
    scene = _named_scene("Harmless", "East", corridor="East")
    return report_html(scene, solve(scene), curve=False)


def _harmless_map() -> str:
    return _srcdoc(_harmless_report())


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload-{k}" for k in range(len(PAYLOADS))])
def test_hostile_names_are_escaped_in_report_and_map(payload: str, tmp_path: Path) -> None:
    scene = _named_scene(payload, corridor=payload)
    plan = solve(scene)
    text = write_report(tmp_path / "r.html", scene, plan, curve=False).read_bytes().decode("utf-8")
    check_names_escaped(text, [payload, "East"])
    assert f'<td class="t">{html.escape(payload)}</td>' in _outer(text)  # the district row


# ----------------------------------------------------------------------------- property-based

_PROP = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def holey_district(draw: st.DrawFn) -> Polygon:
    """West with up to 25 holes of 5 mm to 95 cm, in distinct 3 m cells (a cadastral union)."""
    cells = draw(
        st.lists(st.tuples(st.integers(0, 29), st.integers(0, 60)), max_size=25, unique=True)
    )
    holes = []
    for cx, cy in cells:
        size = draw(st.floats(0.005, 0.95))
        dx, dy = draw(st.floats(0.0, 2.0)), draw(st.floats(0.0, 2.0))
        x, y = 5 + 3 * cx + dx, 5 + 3 * cy + dy
        holes.append(_box(x, y, x + size, y + size).exterior.coords)
    return Polygon(_box(0, 0, 100, 200).exterior.coords, holes)


@st.composite
def camera_near_walls(draw: st.DrawFn) -> tuple[float, float, float, int]:
    """An existing set inside, on or just outside the building (120, 110)-(160, 150)."""
    side = draw(st.sampled_from(["w", "e", "s", "n", "corner", "centre"]))
    d = draw(st.floats(-0.05, 1.5))  # metres inside the wall (negative: outside)
    t = draw(st.floats(0.0, 40.0))
    x, y = {
        "w": (120 + d, 110 + t),
        "e": (160 - d, 110 + t),
        "s": (120 + t, 110 + d),
        "n": (120 + t, 150 - d),
        "corner": (120 + d, 110 + d),
        "centre": (140.0, 130.0),
    }[side]
    return x, y, draw(st.floats(0.0, 359.9)), draw(st.integers(1, 3))


@st.composite
def small_polygon(draw: st.DrawFn) -> Polygon:
    """A valid polygon of 3-6 vertices within a metre or two (slivers, needles, specks)."""
    n = draw(st.integers(3, 6))
    scale = draw(st.sampled_from([0.01, 0.3, 1.5]))
    x0, y0 = draw(st.floats(165.0, 185.0)), draw(st.floats(160.0, 185.0))
    pts = [
        (x0 + scale * draw(st.floats(0, 1)), y0 + scale * draw(st.floats(0, 1))) for _ in range(n)
    ]
    poly = shapely.convex_hull(shapely.MultiPoint(_ring(*pts)))
    return poly if isinstance(poly, Polygon) and poly.area > 0 else _box(170, 170, 170.2, 170.0001)


@_PROP
@given(district=holey_district(), camera=camera_near_walls(), speck=small_polygon())
def test_render_map_survives_holes_specks_and_cameras_in_buildings(
    district: Polygon, camera: tuple[float, float, float, int], speck: Polygon
) -> None:
    x, y, heading, n = camera
    layers = base_layers()
    _set_district(layers, 0, district)
    _camera(x, y, heading, n)(layers)
    _buildings(_box(120, 110, 160, 150), speck)(layers)
    scene = make_scene(layers)
    plan = solve(scene)
    d = draw(scene, plan)
    check_drawn(scene, plan, d)
    assert d.counts["Districts (coverage)"] == 2
    _west_area_kept(19_990)(scene, plan, d)


@_PROP
@given(
    names=st.lists(
        st.one_of(
            st.sampled_from(PAYLOADS),
            st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
        ),
        min_size=2,
        max_size=2,
        unique=True,
    ),
    district=holey_district(),
)
def test_write_report_escapes_any_name_on_any_district(
    names: list[str], district: Polygon, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from hypothesis import assume

    assume(all(n.strip() for n in names))
    scene = _named_scene(names[0], names[1], corridor=names[1])
    _set_district_geometry(scene, district)
    plan = solve(scene)
    path = tmp_path_factory.mktemp("report") / "r.html"
    text = write_report(path, scene, plan, curve=False).read_bytes().decode("utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert f"{CRS_LINE}." in text
    check_names_escaped(text, names)


def _set_district_geometry(scene: cov.Scene, geom: Polygon) -> None:
    """Give the scene's West district `geom` (a scene is immutable: rebuild its frame)."""
    geoms = scene.districts.geometry.to_list()
    geoms[0] = geom
    object.__setattr__(
        scene, "districts", scene.districts.set_geometry(gpd.GeoSeries(geoms, crs=scene.crs))
    )


# ----------------------------------------------------------------------------- real data

HK_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hong-kong"


@pytest.fixture(scope="module")
def hk_files() -> tuple[Path, Path]:
    districts = HK_DATA / "hk_districts_18_land_census2001.geojson"
    streets = HK_DATA / "collision_hotzone_streets.geojson"
    if not (districts.is_file() and streets.is_file()):
        pytest.skip("Hong Kong data folder not found")
    return districts, streets


@pytest.mark.parametrize("web_mercator", [False, True], ids=["as-published", "web-mercator"])
def test_real_hong_kong_districts_draw(
    hk_files: tuple[Path, Path], web_mercator: bool, tmp_path: Path
) -> None:
    """18 districts with 381 parts (islands) and 53 holes, collision hot-zone streets."""
    districts, streets = hk_files
    if web_mercator:  # what web and OpenStreetMap exports come in
        for src in (districts, streets):
            gpd.read_file(src).to_crs(3857).to_file(tmp_path / f"{src.stem}.gpkg", driver="GPKG")
        districts, streets = (tmp_path / f"{p.stem}.gpkg" for p in (districts, streets))
    before = _digest([districts, streets])
    scene = cov.Scene.from_files(
        districts,
        streets,
        rename={"districts": {"DC_ENG": "name"}, "corridors": {"Name": "name"}},
        name="Hong Kong",
    )
    plan = cov.solve(cov.Problem(scene, CAMERA, budget=5, method="greedy"))
    d = draw(scene, plan)
    geoms = np.asarray(d.geometries(), dtype=object)
    assert shapely.is_valid(geoms).all()
    assert d.poles() == len(plan.cameras) == 5
    assert d.counts["Districts (coverage)"] == 18
    label = f"Distances in metres, working CRS EPSG:{scene.crs.to_epsg()} ({scene.crs.name})"
    assert label in d.html
    for name in scene.districts["name"]:
        assert json.dumps(html.escape(name))[1:-1] in d.html
    assert _digest([districts, streets]) == before


MATHTEXT = ["$\\frac$ bad", "a $x^$ b", "cost $5 and $6", "$$", "back\\slash $\\alpha"]


@pytest.mark.parametrize(
    "name", MATHTEXT + PAYLOADS[:3], ids=[f"png-name-{k}" for k in range(len(MATHTEXT) + 3)]
)
def test_png_shows_hostile_names_as_written(
    name: str, tmp_path: Path, figure_texts: list[str]
) -> None:
    """matplotlib reads "$...$" as mathtext, which raised ValueError for the scene name."""
    layers = base_layers()
    scene = cov.Scene(
        layers["districts"],
        layers["corridors"],
        buildings=layers["buildings"],
        cameras=layers["cameras"],
        name=name,
        attribution=(name,),
    )
    plan = solve(scene)
    tiers = {f"{name} top": 1.0, "low": 0.5}
    out = plot_map(scene, plan, tmp_path / "m.png", dpi=30, figsize=(3.0, 3.0), tier_weights=tiers)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"{name} coverage".strip() in figure_texts  # the title, verbatim
    assert name in figure_texts  # the attribution line
    assert f"{name} top" in figure_texts  # a tier name in the legend
