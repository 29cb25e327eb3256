"""The input layers of a planning problem, validated and in one metric CRS.

A :class:`Scene` holds the city a planner hands to :mod:`coverage`: districts,
pedestrian corridors, crime hotspots, buildings, the camera sets that already
stand, and privacy zones. Every layer is checked once, projected once to the
scene's metric CRS, and given a ``RangeIndex`` (the user's own index is kept in
the ``source_row`` column), so everything downstream can work with arrays.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from coverage._crs import LonLatBounds, choose_crs, distortion, require_distance_true
from coverage._validate import (
    check_coordinates,
    check_number,
    check_offline,
    format_rows,
    remote_reference,
    row_labels,
)
from coverage.assumptions import DEFAULT_CAMERAS, MAX_CAMERA_MOVE_M, move_out_of_buildings
from coverage.errors import CRSError, InputError, ParameterError

__all__ = ["LAYERS", "Scene", "corridor_graph", "district_of", "read_layer"]

logger = logging.getLogger("coverage")

#: Layer name -> (allowed geometry kinds, required, {column: default}).
LAYERS: dict[str, tuple[tuple[str, ...], bool, dict[str, Any]]] = {
    "districts": (("Polygon", "MultiPolygon"), True, {"name": None}),
    "corridors": (
        ("LineString", "MultiLineString"),
        True,
        {"footfall": 1.0, "name": "", "kind": ""},
    ),
    "hotspots": (("Point", "MultiPoint", "Polygon", "MultiPolygon"), False, {}),
    "buildings": (("Polygon", "MultiPolygon"), False, {"height_m": np.nan}),
    "cameras": (("Point",), False, {"owner": "police", "heading_deg": np.nan, "cameras": 1}),
    "privacy_zones": (("Polygon", "MultiPolygon"), False, {"name": "", "category": ""}),
    "landmarks": (("Point",), False, {"kind": "", "name": "", "weight": 1.0}),
}
_POINT_HOTSPOT_COLUMNS = {"weight": 1.0, "category": ""}
_POLYGON_HOTSPOT_COLUMNS = {"intensity": None}
#: Node coordinates are snapped to this grid (metres) when the corridor graph is built.
_NODE_SNAP_M = 1e-3


class Scene:
    """The layers of a city, validated and projected to one metric CRS.

    Parameters
    ----------
    districts
        Polygons with a ``name`` column (text). Required.
    corridors
        Pedestrian corridors (streets, footpaths) as lines. Optional columns
        ``footfall`` (relative foot traffic, finite and >= 0, default 1),
        ``name`` and ``kind``. Multi-part lines are split into their parts.
        Required.
    hotspots
        Either incident points (optional ``weight`` >= 0, default 1, and
        ``category``) or hotspot polygons with an ``intensity`` >= 0.
    buildings
        Footprints that block views (optional ``height_m``).
    cameras
        Camera sets that already stand, as points; optional ``owner`` (e.g.
        ``"police"``, ``"MTR"``), ``heading_deg`` (clockwise from grid north;
        NaN when unknown: see ``Problem.unknown_heading``) and ``cameras``
        (cameras on the pole, 1–8; 1 when the column is missing). A camera
        inside a building footprint is moved to the nearest point outside
        when that is within ``max_camera_move_m``; one deeper inside stays
        and is left out of existing coverage (an indoor camera). What was
        assumed and moved is counted in :attr:`assumptions`.
    privacy_zones
        Polygons no camera may look into (optional ``name``), or, with a
        ``category`` (``"residential"``, ``"school"``...) that a
        ``Problem(privacy_rules=...)`` rule names, may look into only up to a
        tier (see :class:`coverage.criteria.PrivacyRule`).
    landmarks
        Places of heavy foot traffic (transit exits, police stations) as
        points with optional ``kind``, ``name`` and ``weight`` (>= 0). Used by
        the continuity metrics (routes from landmarks to hotspots).
    crs
        The metric CRS to work in; it must be conformal and distance-true
        over the scene (point scale factor within 0.1% of 1 at the scene's
        corners, edge midpoints and centre), else :class:`CRSError` says
        which CRS to pass. ``None`` picks EPSG:2326 for scenes inside Hong
        Kong, the districts' own CRS when it is metric and distance-true, and
        the local UTM zone otherwise. A metric layer CRS that is not
        distance-true (Web Mercator EPSG:3857, Plate Carrée, a UTM zone far
        from the scene) is refused with a WARNING naming both CRSs and the
        scale error. Coordinates within 100 km of a grid's (0, 0) are taken
        as local metres and kept as given (national grids and UTM never put
        real land there). The choice is logged.
    name
        A label for the scene (shown on maps and reports).
    attribution
        Data attribution lines, kept with the scene and printed on maps.
    max_camera_move_m
        How far (metres) an existing camera inside a footprint may be moved
        out of it (``None``: :data:`coverage.assumptions.MAX_CAMERA_MOVE_M`, 5 m).

    Attributes
    ----------
    assumptions
        What the scene assumed about its cameras layer, as plain counts:
        ``cameras_count_assumed`` (sets given 1 camera for want of a
        ``cameras`` column), ``cameras_moved`` and ``camera_max_move_m``
        (moved out of footprints), ``cameras_indoor`` (deeper inside: left out
        of existing coverage), with ``cameras_moved_rows`` and
        ``cameras_indoor_rows`` (the user's row labels) and
        ``cameras_indoor_index`` (positions in :attr:`cameras`).

    Raises
    ------
    TypeError
        A layer is not a GeoDataFrame.
    coverage.errors.CRSError
        A layer has no CRS, or `crs` is not projected in metres.
    coverage.errors.InputError
        A required layer is empty, a column is missing, geometries are of the
        wrong type, empty or invalid beyond lossless repair, or values are
        NaN/negative. Every problem is collected and reported at once.

    Notes
    -----
    Layers in a CRS other than the scene's are reprojected on entry and the
    fact is logged. Invalid polygons are repaired with ``shapely.make_valid``
    only when the result is purely polygonal (nothing dropped); other invalid
    rows are rejected with their row labels.

    Before any other work every layer's coordinates are checked in its own
    CRS: NaN/inf coordinates, latitudes outside ±90° in a lon/lat CRS
    (swapped lat/lon), points the CRS cannot place on Earth, empty required
    layers, and vertices far outside the rest of the scene (farther from the
    median of all vertices than 100 times the median vertex distance and
    than 50 km) are an InputError naming the layer and rows.

    Every stretch of corridor is counted once: where a row shares a stretch
    longer than 1 cm with an earlier row, within 1 mm (a duplicated row, a
    copy that went through a reprojection, a street digitised twice), the
    first-listed row keeps the stretch and the later
    row keeps the rest (split into one row per piece, same attributes and
    ``source_row``; a row left with nothing is dropped), with a WARNING.
    Districts must not overlap: an overlap under 1 m² or 0.1% of the smaller
    district is a sliver and is cut from the later district; any larger one
    is an InputError naming the pairs and the overlap in m². District names
    are compared as text (``"1"`` and ``1``, ``"A"`` and ``"A "`` collide).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 50), (100, 50)]),
    ...                                LineString([(50, 0), (50, 100)])], crs=2326)
    >>> scene = Scene(d, c)
    >>> scene.crs.to_epsg(), len(scene.corridors), scene.graph.number_of_edges()
    (2326, 2, 4)
    """

    def __init__(  # noqa: PLR0913 -- one keyword-only argument per layer
        self,
        districts: gpd.GeoDataFrame,
        corridors: gpd.GeoDataFrame,
        *,
        hotspots: gpd.GeoDataFrame | None = None,
        buildings: gpd.GeoDataFrame | None = None,
        cameras: gpd.GeoDataFrame | None = None,
        privacy_zones: gpd.GeoDataFrame | None = None,
        landmarks: gpd.GeoDataFrame | None = None,
        crs: Any = None,
        name: str = "",
        attribution: Iterable[str] = (),
        max_camera_move_m: float | None = None,
    ) -> None:
        move_m = MAX_CAMERA_MOVE_M if max_camera_move_m is None else max_camera_move_m
        move_m = float(check_number(move_m, "max_camera_move_m", "Scene", low=0.0))
        given = {
            "districts": districts,
            "corridors": corridors,
            "hotspots": hotspots,
            "buildings": buildings,
            "cameras": cameras,
            "privacy_zones": privacy_zones,
            "landmarks": landmarks,
        }
        _check_frames(given)
        required = [k for k, (_, req, _) in LAYERS.items() if req]
        coord_problems, bounds = check_coordinates(given, required)
        if coord_problems or bounds is None:
            if bounds is None and not coord_problems:
                coord_problems = [
                    "Layers 'districts' and 'corridors' have no usable coordinates (every "
                    "geometry is missing or empty). Give their features geometries."
                ]
            msg = "The scene's layers have problems:\n- " + "\n- ".join(coord_problems)
            raise InputError(msg)
        self.crs = _scene_crs(crs, districts, bounds)
        self.lonlat_bounds: LonLatBounds = bounds
        self.name = str(name)
        self.attribution: tuple[str, ...] = tuple(str(a) for a in attribution)

        layers: dict[str, gpd.GeoDataFrame] = {}
        problems: list[str] = []
        for layer, frame in given.items():
            layers[layer], layer_problems = self._prepare(layer, frame)
            problems.extend(layer_problems)
        if problems:
            msg = "The scene's layers have problems:\n- " + "\n- ".join(problems)
            raise InputError(msg)
        layers["districts"] = _disjoint_districts(layers["districts"])
        layers["cameras"], self.assumptions = _place_cameras(
            layers["cameras"], layers["buildings"], cameras, move_m
        )
        self.districts: gpd.GeoDataFrame = layers["districts"]
        self.corridors: gpd.GeoDataFrame = layers["corridors"]
        self.hotspots: gpd.GeoDataFrame = layers["hotspots"]
        self.buildings: gpd.GeoDataFrame = layers["buildings"]
        self.cameras: gpd.GeoDataFrame = layers["cameras"]
        self.privacy_zones: gpd.GeoDataFrame = layers["privacy_zones"]
        self.landmarks: gpd.GeoDataFrame = layers["landmarks"]

    # ------------------------------------------------------------------ layers
    def _prepare(
        self, layer: str, frame: gpd.GeoDataFrame | None
    ) -> tuple[gpd.GeoDataFrame, list[str]]:
        """Validate and normalize one layer: the layer in the scene CRS, and its problems.

        A layer whose geometries are missing or of the wrong kind comes back
        empty (its other checks would only repeat the problem).
        """
        kinds, required, _ = LAYERS[layer]
        if frame is None or len(frame) == 0:
            problems = []
            if required:
                what = "was not given" if frame is None else "is empty"
                problems.append(f"Layer {layer!r} {what}; it needs at least one feature.")
            return self._empty(layer), problems
        frame = self._reproject(layer, frame)
        problems, unusable = _geometry_problems(layer, frame, kinds)
        if unusable:
            return self._empty(layer), problems
        frame, repair_problems = _repair_invalid(layer, frame, kinds)
        problems += repair_problems
        columns, column_problems = _add_default_columns(layer, frame)
        problems += column_problems
        problems.extend(self._check_values(layer, frame))
        return _normalize(layer, frame, columns, checked=not problems), problems

    def _reproject(self, layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Copy `frame` into the scene CRS, with its labels kept in ``source_row``."""
        frame = frame.copy()
        if CRS.from_user_input(frame.crs) != self.crs:
            logger.info(
                "Layer %r reprojected from %s to the scene CRS %s.",
                layer,
                CRS.from_user_input(frame.crs).to_string(),
                self.crs.to_string(),
            )
            frame = frame.to_crs(self.crs)
        frame["source_row"] = frame.index.to_numpy()
        return frame.reset_index(drop=True)

    def _check_values(self, layer: str, frame: gpd.GeoDataFrame) -> list[str]:
        checks: dict[str, tuple[bool, float | None, float | None]] = {
            "footfall": (False, 0.0, None),
            "weight": (False, 0.0, None),
            "intensity": (False, 0.0, None),
            "height_m": (True, 0.0, None),
            "heading_deg": (True, None, None),
            "cameras": (False, 1.0, 8.0),
        }
        problems: list[str] = []
        for col, (nan_ok, low, high) in checks.items():
            if col not in frame.columns:
                continue
            try:
                v = pd.to_numeric(frame[col], errors="raise").to_numpy(dtype=float)
            except (ValueError, TypeError):
                problems.append(f"Layer {layer!r}, column {col!r}: values must be numbers.")
                continue
            bad = ~np.isfinite(v) if not nan_ok else np.isinf(v)
            if low is not None:
                bad |= v < low
            if high is not None:
                bad |= v > high
            if col == "cameras":
                bad |= np.isfinite(v) & (v != np.round(v))
            idx = np.flatnonzero(bad)
            if idx.size:
                rows = row_labels(frame, idx, frame["source_row"].to_numpy())
                if low is None:
                    allowed = "finite (NaN means unknown)"
                elif high is None:
                    allowed = f">= {low:g}"
                else:
                    allowed = f"whole numbers in [{low:g}, {high:g}]"
                problems.append(
                    f"Layer {layer!r}, column {col!r}: {idx.size} value(s) are NaN or out of range "
                    f"(rows {format_rows(rows)}; e.g. {v[idx[0]]!r}). "
                    f"Values must be {allowed}."
                )
            else:
                frame[col] = v if col != "cameras" else v.astype(np.int64)
        if layer == "districts" and "name" in frame.columns:
            names = frame["name"]
            blank = np.flatnonzero(names.isna().to_numpy() | (names.astype(str).str.strip() == ""))
            if blank.size:
                rows = frame["source_row"].to_numpy()[blank]
                problems.append(
                    f"Layer 'districts', column 'name': {blank.size} district(s) have no name "
                    f"(rows {format_rows(rows.tolist())}). Give every district a name."
                )
            problems.extend(_duplicate_names(frame))
            frame["name"] = names.astype(str)
        return problems

    def _empty(self, layer: str) -> gpd.GeoDataFrame:
        columns = dict(LAYERS[layer][2])
        if layer == "hotspots":
            columns = dict(_POINT_HOTSPOT_COLUMNS)
        data = {
            c: pd.Series(dtype=object if isinstance(d, str) or d is None else float)
            for c, d in columns.items()
        }
        data["source_row"] = pd.Series(dtype=object)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=self.crs), crs=self.crs)

    # --------------------------------------------------------------- properties
    @property
    def hotspot_kind(self) -> str:
        """``"points"``, ``"polygons"`` or ``"none"``."""
        if len(self.hotspots) == 0:
            return "none"
        first = shapely.get_type_id(self.hotspots.geometry.values[:1])[0]
        return "points" if first in (0, 4) else "polygons"

    @property
    def crs_meta(self) -> dict[str, Any]:
        """The working CRS for ``Plan.meta``, ``meta.json`` and reports.

        Keys: ``working_crs`` (``"EPSG:32632"``, or a PROJ string for a
        custom Transverse Mercator), ``working_crs_name``,
        ``max_scale_error`` (largest ``|scale factor - 1|`` over the scene) and
        ``lonlat_bounds`` (west, south, east, north in degrees).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString, box
        >>> d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(9.0, 50.0, 9.01, 50.01)], crs=4326)
        >>> c = gpd.GeoDataFrame(geometry=[LineString([(9.0, 50.005), (9.01, 50.005)])], crs=4326)
        >>> meta = Scene(d.to_crs(3857), c.to_crs(3857)).crs_meta
        >>> meta["working_crs"], meta["max_scale_error"] < 1e-3
        ('EPSG:32632', True)
        """
        epsg = self.crs.to_epsg()
        return {
            "working_crs": f"EPSG:{epsg}" if epsg else self.crs.srs,
            "working_crs_name": self.crs.name,
            "max_scale_error": distortion(self.crs, self.lonlat_bounds).scale_error,
            "lonlat_bounds": list(self.lonlat_bounds),
        }

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the districts and corridors, in metres."""
        b = np.vstack([self.districts.total_bounds, self.corridors.total_bounds])
        return (
            float(b[:, 0].min()),
            float(b[:, 1].min()),
            float(b[:, 2].max()),
            float(b[:, 3].max()),
        )

    @cached_property
    def graph(self) -> nx.Graph:
        """The noded corridor graph.

        Corridors are split wherever they cross or touch; nodes are the split
        points (attributes ``x``, ``y`` in metres), edges carry ``length_m``,
        ``corridor`` (row of :attr:`corridors`) and ``geometry``. Corridors
        that overlap along a stretch give one edge for the shared stretch.
        """
        return corridor_graph(self.corridors)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """All seven layers by name."""
        return {name: getattr(self, name) for name in LAYERS}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.layers().items())
        label = f"{self.name!r}, " if self.name else ""
        return f"Scene({label}{sizes}, crs={self.crs.to_string()!r})"

    # ------------------------------------------------------------------- files
    @classmethod
    def from_files(  # noqa: PLR0913 -- one keyword-only argument per layer
        cls,
        districts: str | os.PathLike[str],
        corridors: str | os.PathLike[str],
        *,
        hotspots: str | os.PathLike[str] | None = None,
        buildings: str | os.PathLike[str] | None = None,
        cameras: str | os.PathLike[str] | None = None,
        privacy_zones: str | os.PathLike[str] | None = None,
        landmarks: str | os.PathLike[str] | None = None,
        layers: Mapping[str, str] | None = None,
        rename: Mapping[str, Mapping[str, str]] | None = None,
        crs: Any = None,
        name: str = "",
        attribution: Iterable[str] = (),
        allow_network: object = False,  # object: callers may unpack a dict of paths
    ) -> Scene:
        """Build a Scene from GeoJSON, GeoPackage, Shapefile or GeoParquet files.

        Parameters
        ----------
        districts, corridors, hotspots, buildings, cameras, privacy_zones, landmarks
            Paths to the layers' files (``.geojson``, ``.gpkg``, ``.shp``,
            ``.parquet``/``.geoparquet``, or anything GDAL reads).
        layers
            For multi-layer files (GeoPackage): the layer to read, by scene
            layer name, e.g. ``{"corridors": "streets"}``.
        rename
            Column renames by scene layer, e.g. ``{"districts": {"District": "name"}}``.
        crs, name, attribution
            As for :class:`Scene`.
        allow_network
            Let GDAL read network sources (``/vsicurl/``, ``/vsis3/``,
            ``http(s)://``, ``ftp://`` and VRT files that reference them).
            ``False`` (the default) keeps coverage offline: such a source is
            an :class:`~coverage.errors.InputError`.

        Raises
        ------
        FileNotFoundError
            A path does not exist (the message names the layer).
        """
        paths = {
            "districts": districts,
            "corridors": corridors,
            "hotspots": hotspots,
            "buildings": buildings,
            "cameras": cameras,
            "privacy_zones": privacy_zones,
            "landmarks": landmarks,
        }
        if not isinstance(allow_network, bool | np.bool_):
            msg = (
                "The 'allow_network' parameter of Scene.from_files must be True or False. "
                f"Got {allow_network!r} instead."
            )
            raise ParameterError(msg)
        layers = dict(layers or {})
        rename = {k: dict(v) for k, v in (rename or {}).items()}
        unknown = (set(layers) | set(rename)) - set(LAYERS)
        if unknown:
            msg = f"Unknown scene layer name(s) {sorted(unknown)}; use {list(LAYERS)}."
            raise InputError(msg)
        frames: dict[str, gpd.GeoDataFrame | None] = {}
        for layer, path in paths.items():
            if path is None:
                frames[layer] = None
                continue
            frame = read_layer(
                path, layer=layers.get(layer), what=layer, allow_network=bool(allow_network)
            )
            frames[layer] = frame.rename(columns=rename[layer]) if layer in rename else frame
        return cls(
            frames.pop("districts"),
            frames.pop("corridors"),
            **frames,
            crs=crs,
            name=name,
            attribution=attribution,
        )

    @classmethod
    def from_osm(  # noqa: PLR0913 -- the options of coverage.osm.read_osm
        cls,
        path: str | os.PathLike[str],
        *,
        districts: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
        admin_level: int | str | None = None,
        footfall: Mapping[str, float] | None = None,
        hotspot_weights: Mapping[str, float] | bool | None = None,
        grid_m: float = 500.0,
        crs: Any = None,
        name: str = "",
        attribution: Iterable[str] = ("© OpenStreetMap contributors",),
    ) -> Scene:
        """Build a Scene from an OpenStreetMap extract (``.osm`` or ``.osm.pbf``).

        The tag rules, the default tables (footfall by ``highway`` kind,
        hotspot weights, heights) and the district fallback are in
        :mod:`coverage.osm`; :func:`coverage.osm.read_osm` takes the same
        options. `crs`, `name` (default: the file's name) and `attribution`
        are as for :class:`Scene`.

        Examples
        --------
        >>> scene = Scene.from_osm("city.osm", districts="grid")  # doctest: +SKIP
        """
        from coverage.osm import read_osm

        if hotspot_weights is True:
            hotspot_weights = None
        osm = read_osm(
            path,
            districts=districts,
            admin_level=admin_level,
            footfall=footfall,
            hotspot_weights=hotspot_weights,
            grid_m=grid_m,
        )
        return cls(**osm.layers(), crs=crs, name=name or osm.name, attribution=attribution)


def _place_cameras(
    cameras: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    given: gpd.GeoDataFrame | None,
    max_move_m: float,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Move existing cameras out of footprints (within `max_move_m`) and count the assumptions."""
    n = len(cameras)
    counted = given is not None and "cameras" in given.columns
    record: dict[str, Any] = {
        "cameras_default": DEFAULT_CAMERAS,
        "cameras_count_assumed": 0 if counted else n,
        "max_camera_move_m": max_move_m,
        "cameras_moved": 0,
        "camera_max_move_m": 0.0,
        "cameras_moved_rows": [],
        "cameras_indoor": 0,
        "cameras_indoor_rows": [],
        "cameras_indoor_index": [],
    }
    if n == 0 or len(buildings) == 0:
        return cameras, record
    xy = shapely.get_coordinates(cameras.geometry.values)
    moved = move_out_of_buildings(xy, buildings.geometry.values, max_move_m)
    rows = cameras["source_row"].to_numpy()
    record.update(
        cameras_moved=int(moved.moved.sum()),
        camera_max_move_m=float(moved.distance_m[moved.moved].max(initial=0.0)),
        cameras_moved_rows=rows[moved.moved].tolist(),
        cameras_indoor=int(moved.indoor.sum()),
        cameras_indoor_rows=rows[moved.indoor].tolist(),
        cameras_indoor_index=np.flatnonzero(moved.indoor).tolist(),
    )
    if moved.moved.any():
        logger.warning(
            "Layer 'cameras': %d camera set(s) inside building footprints moved out, by at most "
            "%.2f m (rows %s).",
            record["cameras_moved"],
            record["camera_max_move_m"],
            format_rows(record["cameras_moved_rows"]),
        )
        cameras = cameras.set_geometry(
            gpd.GeoSeries(shapely.points(moved.xy), crs=cameras.crs, index=cameras.index)
        )
    if moved.indoor.any():
        logger.warning(
            "Layer 'cameras': %d camera set(s) lie more than %g m inside building footprints "
            "(rows %s); taken as indoor cameras and left out of existing coverage.",
            record["cameras_indoor"],
            max_move_m,
            format_rows(record["cameras_indoor_rows"]),
        )
    return cameras, record


def _check_frames(given: Mapping[str, gpd.GeoDataFrame | None]) -> None:
    """Check that every given layer is a GeoDataFrame with a CRS (all missing CRSs at once)."""
    for layer, frame in given.items():
        if frame is not None and not isinstance(frame, gpd.GeoDataFrame):
            msg = (
                f"Layer {layer!r} must be a geopandas.GeoDataFrame; got "
                f"{type(frame).__name__}. Read files with Scene.from_files(...) or wrap "
                "your data with geopandas.GeoDataFrame(..., geometry=..., crs=...)."
            )
            raise TypeError(msg)
    problems = [
        f"Layer {layer!r} has no CRS. Set it with .set_crs('EPSG:4326') (lon/lat) or "
        "the CRS your coordinates are in; coverage never guesses one."
        for layer, frame in given.items()
        if frame is not None and frame.crs is None
    ]
    if problems:
        raise CRSError("\n".join(problems))


def _scene_crs(crs: Any, districts: gpd.GeoDataFrame, bounds: LonLatBounds) -> CRS:
    """Use the distance-true CRS the user gave, or choose one (logged).

    `bounds` is the scene's lon/lat box; the districts' CRS is kept when it
    is distance-true over it.
    """
    if crs is None:
        return choose_crs(CRS.from_user_input(districts.crs), bounds)
    try:
        user_crs = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises several kinds for input it cannot read
        msg = f"The 'crs' parameter of Scene is not a CRS pyproj understands: {crs!r}."
        raise CRSError(msg) from exc
    return require_distance_true(user_crs, bounds, where="The scene ('crs' parameter of Scene)")


_GEOMETRY_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ]
)


def _geometry_problems(
    layer: str, frame: gpd.GeoDataFrame, kinds: tuple[str, ...]
) -> tuple[list[str], bool]:
    """Find missing or empty geometries and geometries of a kind the layer does not take.

    For ``hotspots``, points mixed with polygons are a problem too. The flag
    says whether the layer is unusable (then its other checks are skipped).
    """
    geom = frame.geometry.values
    rows = frame["source_row"].to_numpy()
    missing = np.flatnonzero(shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing.size:
        msg = (
            f"Layer {layer!r}: {missing.size} feature(s) have no geometry (rows "
            f"{format_rows(row_labels(frame, missing, rows))}). Drop them or give them a "
            "geometry."
        )
        return [msg], True
    names = _GEOMETRY_NAMES[shapely.get_type_id(geom)]
    problems = []
    if layer == "hotspots":
        pointy = np.isin(names, ("Point", "MultiPoint"))
        if pointy.any() and not pointy.all():
            problems.append(
                "Layer 'hotspots' mixes points and polygons. Give incident points (with an "
                "optional 'weight') or hotspot polygons (with an 'intensity'), not both."
            )
    wrong = np.flatnonzero(~np.isin(names, kinds))
    if wrong.size:
        found = sorted(set(names[wrong].tolist()))
        problems.append(
            f"Layer {layer!r}: {wrong.size} feature(s) are {found} but the "
            f"layer takes {' / '.join(kinds)} (rows {format_rows(row_labels(frame, wrong, rows))})."
        )
    return problems, bool(wrong.size)


def _repair_invalid(
    layer: str, frame: gpd.GeoDataFrame, kinds: tuple[str, ...]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid`` when nothing is lost, else report them."""
    geom = frame.geometry.values
    invalid = np.flatnonzero(~shapely.is_valid(geom))
    if not invalid.size:
        return frame, []
    repaired = shapely.make_valid(geom[invalid])
    rtypes = shapely.get_type_id(repaired)
    # lossless: a polygon stays (multi)polygonal, a line stays (multi)linear
    ok = np.isin(rtypes, (3, 6)) if kinds[0] == "Polygon" else np.isin(rtypes, (1, 5))
    if not ok.all():
        rows = row_labels(frame, invalid[~ok], frame["source_row"].to_numpy())
        msg = (
            f"Layer {layer!r}: {len(rows)} invalid geometries cannot be repaired without "
            f"losing part of them (rows {format_rows(rows)}). Fix them in your GIS "
            "(e.g. QGIS 'Fix geometries') and load the layer again."
        )
        return frame, [msg]
    logger.info(
        "Layer %r: %d invalid geometries repaired losslessly (rows %s).",
        layer,
        invalid.size,
        format_rows(frame["source_row"].to_numpy()[invalid]),
    )
    geom = geom.copy()
    geom[invalid] = repaired
    frame = frame.set_geometry(gpd.GeoSeries(geom, crs=frame.crs, index=frame.index))
    return frame, []


def _add_default_columns(layer: str, frame: gpd.GeoDataFrame) -> tuple[dict[str, Any], list[str]]:
    """Add the layer's optional columns with their defaults, in place.

    Returns the layer's column table (for ``hotspots`` it depends on whether
    they are points or polygons) and the problems: a missing column without a
    default (``None``) is one.
    """
    columns = LAYERS[layer][2]
    if layer == "hotspots":
        pointy = shapely.get_type_id(frame.geometry.values[:1])[0] in (0, 4)
        columns = _POINT_HOTSPOT_COLUMNS if pointy else _POLYGON_HOTSPOT_COLUMNS
    problems = []
    for col, default in columns.items():
        if col in frame.columns:
            continue
        if default is None:
            problems.append(
                f"Layer {layer!r} needs a column {col!r}; it has "
                f"{[c for c in frame.columns if c not in ('geometry', 'source_row')]}. "
                f"Rename the right column to {col!r}."
            )
            continue
        frame[col] = default
    return columns, problems


def _normalize(
    layer: str, frame: gpd.GeoDataFrame, columns: dict[str, Any], *, checked: bool
) -> gpd.GeoDataFrame:
    """Split multi-part corridors, give columns their types (cameras only when `checked`)."""
    frame.attrs.pop("fid", None)  # rows may split from here on; the messages are written
    if layer == "corridors" and (shapely.get_type_id(frame.geometry.values) == 5).any():
        frame = frame.explode(index_parts=False).reset_index(drop=True)
    if layer == "corridors" and checked:
        frame = _dedupe_corridors(frame)
    if layer == "cameras" and checked:
        frame["heading_deg"] = np.mod(frame["heading_deg"].astype(float), 360.0)
        frame["cameras"] = frame["cameras"].astype(np.int64)
        frame["owner"] = frame["owner"].fillna("").astype(str)
    for col in ("name", "kind", "category"):
        if col in frame.columns and col in columns:
            frame[col] = frame[col].fillna("").astype(str)
    return frame


#: Corridor stretches shorter than this (metres) left after removing overlaps are dropped.
_MIN_PIECE_M = 1e-2
#: An overlap of two districts below this area (m²) is a sliver...
SLIVER_AREA_M2 = 1.0
#: ...and so is one below this fraction of the smaller district's area.
SLIVER_FRACTION = 1e-3


def _duplicate_names(frame: gpd.GeoDataFrame) -> list[str]:
    """District names compared as text (``"1"`` and ``1``, ``"A"`` and ``"A "`` are one name)."""
    text = frame["name"].astype(str).str.strip()
    dup = text[text.duplicated(keep=False) & frame["name"].notna().to_numpy()]
    if dup.empty:
        return []
    rows = frame["source_row"].to_numpy()
    groups = [
        f"{name!r} (rows {format_rows(rows[idx].tolist())}: "
        f"{', '.join(repr(v) for v in frame['name'].to_numpy()[idx][:3])})"
        for name, idx in dup.groupby(dup, sort=False).indices.items()
    ]
    return [
        "Layer 'districts', column 'name': names must be unique as text; repeated: "
        f"{'; '.join(groups[:5])}{' …' if len(groups) > 5 else ''}. Rename them, or dissolve "
        "the parts into one feature per district (GeoDataFrame.dissolve(by='name'))."
    ]


def _dedupe_corridors(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Count every stretch of corridor once: the first-listed row keeps a shared stretch.

    Two rows overlap when their lines share a stretch longer than 1 cm once
    the later line is snapped to the earlier one within 1 mm (a duplicated
    row, a copy that went through a reprojection round trip, a street
    digitised twice along the same vertices).
    Each later row loses the stretches it shares with earlier rows; a row
    left with nothing is dropped, a row split in pieces gives one row per
    piece (same attributes and ``source_row``). Logged as a WARNING.
    """
    geoms = frame.geometry.values
    if len(geoms) < 2:
        return frame
    later, earlier = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_NODE_SNAP_M)
    keep = later > earlier
    later, earlier = later[keep], earlier[keep]
    snapped = shapely.snap(geoms[later], geoms[earlier], _NODE_SNAP_M)
    shared = shapely.length(shapely.intersection(snapped, geoms[earlier]))
    over = shared > _MIN_PIECE_M
    if not over.any():
        return frame
    later, earlier = later[over], earlier[over]
    new = geoms.copy()
    for j in np.unique(later):
        ref = shapely.union_all(geoms[earlier[later == j]])
        rest = shapely.difference(shapely.snap(geoms[j], ref, _NODE_SNAP_M), ref)
        parts = shapely.get_parts(shapely.line_merge(rest)) if not rest.is_empty else []
        parts = [p for p in parts if p.length > _MIN_PIECE_M]
        new[j] = shapely.multilinestrings(parts) if parts else shapely.LineString()
    rows = frame["source_row"].to_numpy()
    touched = np.unique(later)
    gone = touched[shapely.is_empty(new[touched])]
    logger.warning(
        "Layer 'corridors': %d row(s) overlap earlier rows along %.1f m (rows %s); "
        "each shared stretch is counted once, by the first-listed row. %d row(s) lie wholly "
        "on earlier ones (duplicates) and are dropped (rows %s).",
        touched.size,
        float(shapely.union_all(shapely.intersection(snapped[over], geoms[earlier])).length),
        format_rows(rows[touched].tolist()),
        gone.size,
        format_rows(rows[gone].tolist()),
    )
    out = frame.set_geometry(gpd.GeoSeries(new, crs=frame.crs, index=frame.index))
    out = out[~shapely.is_empty(new)]
    return out.explode(index_parts=False).reset_index(drop=True)


def _polygonal(geom: Any) -> Any:
    """Return the polygonal part of a geometry (an overlay can leave lines and points)."""
    parts = shapely.get_parts(shapely.make_valid(geom))
    polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _disjoint_districts(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check that districts do not overlap; give slivers to the first-listed district.

    An overlap smaller than :data:`SLIVER_AREA_M2` or than
    :data:`SLIVER_FRACTION` of the smaller district's area is a sliver (two
    sources that disagree on a border): it is cut from the later district.
    Any larger overlap (nested or overlapping districts, which would count
    demand in one district only) is an InputError naming the pairs and areas.
    """
    geoms = districts.geometry.values
    if len(geoms) < 2:
        return districts
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    area = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    smaller = np.minimum(shapely.area(geoms[a]), shapely.area(geoms[b]))
    sliver = (area < SLIVER_AREA_M2) | (area < SLIVER_FRACTION * smaller)
    names = districts["name"].to_numpy()
    rows = districts["source_row"].to_numpy()
    big = np.flatnonzero((area > 0) & ~sliver)
    if big.size:
        pairs = [
            f"{names[a[k]]!r} (row {rows[a[k]]}) and {names[b[k]]!r} (row {rows[b[k]]}) share "
            f"{area[k]:,.1f} m² ({100 * area[k] / smaller[k]:.1f}% of the smaller)"
            for k in big[np.argsort(-area[big])]
        ]
        msg = (
            f"Layer 'districts': {big.size} pair(s) of districts overlap, so demand in the "
            f"overlap would count in one of them only: {'; '.join(pairs[:5])}"
            f"{' …' if len(pairs) > 5 else ''}. Make the districts disjoint (e.g. cut the "
            "inner one out of the outer: geopandas.overlay(outer, inner, how='difference')), "
            f"or merge them. Overlaps under {SLIVER_AREA_M2:g} m² or "
            f"{100 * SLIVER_FRACTION:g}% of the smaller district are accepted as slivers."
        )
        raise InputError(msg)
    cut = np.flatnonzero((area > 0) & sliver)
    if not cut.size:
        return districts
    new = geoms.copy()
    for j in np.unique(b[cut]):
        new[j] = _polygonal(
            shapely.difference(new[j], shapely.union_all(geoms[a[cut][b[cut] == j]]))
        )
    logger.info(
        "Layer 'districts': %d sliver overlap(s) (%.3f m² in all) given to the first-listed "
        "district.",
        cut.size,
        float(area[cut].sum()),
    )
    return districts.set_geometry(gpd.GeoSeries(new, crs=districts.crs, index=districts.index))


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    what: str = "layer",
    allow_network: bool = False,
) -> gpd.GeoDataFrame:
    """Read one vector layer from a file, with an error that names the scene layer.

    The frame has a 0-based RangeIndex; when GDAL's feature ids differ from it
    (a GeoPackage counts from 1) they are kept in ``frame.attrs["fid"]`` and
    error messages give them beside the row (``rows [0 (fid 1)]``).

    Network sources (``/vsicurl/``, ``http(s)://``, VRTs that point at them)
    are refused with an InputError unless `allow_network`.
    """
    if allow_network:
        if remote_reference(os.fspath(path)) is not None:
            kwargs0: dict[str, Any] = {"engine": "pyogrio"}
            if layer is not None:
                kwargs0["layer"] = layer
            return gpd.read_file(os.fspath(path), **kwargs0)
    else:
        check_offline(path, what)
    p = Path(path)
    if not p.exists():
        msg = f"The {what!r} file {str(p)!r} does not exist. Check the path."
        raise FileNotFoundError(msg)
    if p.suffix.lower() in (".parquet", ".geoparquet"):
        return gpd.read_parquet(p)
    kwargs: dict[str, Any] = {"engine": "pyogrio", "fid_as_index": True}
    if layer is not None:
        kwargs["layer"] = layer
    frame = gpd.read_file(p, **kwargs)
    fids = frame.index.to_numpy()
    frame = frame.reset_index(drop=True)
    if not np.array_equal(fids, np.arange(len(frame))):
        frame.attrs["fid"] = tuple(fids.tolist())  # GDAL feature ids for messages (GPKG: from 1)
    return frame


def corridor_graph(corridors: gpd.GeoDataFrame) -> nx.Graph:
    """Node the corridor lines at every crossing and return the graph.

    Parameters
    ----------
    corridors
        LineStrings in a metric CRS with a ``RangeIndex``.

    Returns
    -------
    networkx.Graph
        Nodes are ints with ``x`` and ``y``; edges have ``length_m``,
        ``corridor`` (the corridor row the edge lies on) and ``geometry``.
        Parallel pieces between the same two nodes keep the shortest.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (10, 0)]),
    ...                                LineString([(5, -5), (5, 5)])], crs=2326)
    >>> g = corridor_graph(c)
    >>> g.number_of_nodes(), g.number_of_edges(), sorted(dict(g.degree()).values())
    (5, 4, [1, 1, 1, 1, 4])
    """
    geoms = corridors.geometry.values
    noded = shapely.node(shapely.multilinestrings(geoms))
    parts = shapely.get_parts(noded)
    parts = parts[shapely.length(parts) > 0]
    # Which corridor each noded piece lies on: the nearest corridor to its midpoint.
    mids = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    tree = shapely.STRtree(geoms)
    piece_idx, corridor_idx = tree.query_nearest(mids, all_matches=False)
    corridor_of = np.empty(len(parts), dtype=np.int64)
    corridor_of[piece_idx] = corridor_idx
    starts = shapely.get_coordinates(shapely.get_point(parts, 0))
    ends = shapely.get_coordinates(shapely.get_point(parts, -1))
    ends_xy = np.vstack([starts, ends])
    snapped = np.round(ends_xy / _NODE_SNAP_M).astype(np.int64)
    uniq, inverse = np.unique(snapped, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    node_xy = uniq * _NODE_SNAP_M
    n = len(parts)
    u, v = inverse[:n], inverse[n:]
    lengths = shapely.length(parts)
    g = nx.Graph()
    g.add_nodes_from(
        (i, {"x": float(node_xy[i, 0]), "y": float(node_xy[i, 1])}) for i in range(len(uniq))
    )
    order = np.argsort(-lengths, kind="stable")  # shortest added last wins
    for k in order:
        if u[k] == v[k]:
            continue  # a closed loop piece adds no connection
        g.add_edge(
            int(u[k]),
            int(v[k]),
            length_m=float(lengths[k]),
            corridor=int(corridors.index[corridor_of[k]]),
            geometry=parts[k],
        )
    return g


def district_of(points: Any, districts: gpd.GeoDataFrame) -> np.ndarray:
    """Name of the district containing each point ("" outside every district).

    Parameters
    ----------
    points
        An array of shapely Points (or a GeoSeries), or an (n, 2) array of
        coordinates, in the districts' CRS.
    districts
        Polygons with a ``name`` column.

    Returns
    -------
    numpy.ndarray
        Object array of names, aligned with `points`. A point on a shared
        border goes to the district listed first.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> d = gpd.GeoDataFrame({"name": ["W", "E"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> district_of(np.array([Point(0.5, 0.5), Point(1.5, 0.5), Point(5, 5)]), d).tolist()
    ['W', 'E', '']
    """
    arr = np.asarray(getattr(points, "values", points))
    out = np.full(len(arr), "", dtype=object)
    if len(arr) == 0 or len(districts) == 0:
        return out
    if arr.dtype == object:
        xy = shapely.get_coordinates(arr)
        if len(xy) != len(arr):
            msg = "district_of takes single points (one coordinate pair each)."
            raise InputError(msg)
    else:
        xy = arr.astype(np.float64).reshape(-1, 2)
    names = districts["name"].to_numpy()
    polys = districts.geometry.values
    # the first-listed district wins on shared borders: assign in reverse order
    for name, poly in zip(names[::-1], polys[::-1], strict=True):
        lo = shapely.bounds(poly)
        near = np.flatnonzero(
            (xy[:, 0] >= lo[0]) & (xy[:, 0] <= lo[2]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= lo[3])
        )
        if near.size:
            shapely.prepare(poly)
            hit = near[shapely.intersects_xy(poly, xy[near, 0], xy[near, 1])]
            out[hit] = name
    return out
