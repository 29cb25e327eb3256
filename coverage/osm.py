r"""Scene layers from an OpenStreetMap extract (``.osm`` XML or ``.osm.pbf``).

:func:`read_osm` reads a file with GDAL's OSM driver (through pyogrio; no
other dependency) and turns OSM tags into the scene's layers, in EPSG:4326.
:meth:`coverage.Scene.from_osm` hands them to :class:`~coverage.Scene`, so
the working CRS and every check of the scene apply as for any other files.
Every layer's index (kept by the scene as ``source_row``) and its ``osm_id``
column name the OSM element, e.g. ``"way 123456"``, so a message about a bad
feature names the element to fix in the OSM editor.

GDAL's ``osmconf.ini`` decides which tags become columns; the rest arrive in
the hstore-like ``other_tags`` text (``"key"=>"value",...`` with ``\"`` and
``\\`` escaped), which :func:`parse_hstore` reads. Both are merged, so the
rules below see every tag GDAL keeps (GDAL drops a few, e.g. ``note``,
``source``, ``fixme``). Nodes are indexed with ``USE_CUSTOM_INDEXING=NO``:
API exports do not sort node ids, and GDAL's faster index then builds broken
rings instead of failing. GDAL builds no feature from a relation cut at the
extract's edge (a member way missing), and reads a closed way that is the
outer ring of a multipolygon relation with the same tags once, as the
relation. GDAL's messages go to the ``coverage`` logger at DEBUG.

The tag rules
-------------
corridors
    Ways of the ``lines`` layer whose ``highway`` is a key of
    :data:`FOOTFALL` (the walkable kinds; ``kind`` is the ``highway`` value,
    ``footfall`` the table's value, ``name`` the ``name`` tag). Not read:
    ``motorway``/``motorway_link`` always; ``trunk``/``trunk_link`` unless
    ``foot`` is ``yes``, ``designated`` or ``permissive``; any way with
    ``foot`` = ``no``, ``private`` or ``use_sidepath`` (the sidewalk is
    mapped separately); ``access`` = ``no`` or ``private`` unless ``foot``
    allows walking; ``indoor=yes`` and ``highway=corridor`` (indoors, out of
    a street camera's view); kinds not in the table (``construction``,
    ``proposed``, ``raceway``, ...). Pedestrian areas (``area=yes``) are
    polygons, not corridors, and are counted in the log. The excluded ways
    are counted by reason in :attr:`OsmLayers.counts`.
buildings
    Polygons of the ``multipolygons`` layer with ``building`` other than
    ``no``. ``height_m`` is the ``height`` tag (``"12"``, ``"12 m"``,
    ``"12.5m"``, ``"12,5"``, ``"40'"``, ``"40 ft"``, ``"40'6\""``; feet are
    0.3048 m), else ``building:levels`` x :data:`LEVEL_HEIGHT_M`, else
    :data:`DEFAULT_BUILDING_HEIGHT_M`; the column ``height_source`` says
    which (``"height"``, ``"levels"``, ``"default"``). A tag that does not
    parse falls through to the next rule and is counted.
cameras
    Nodes with ``man_made=surveillance`` whose ``surveillance:type`` is
    ``camera`` or absent (``guard``, ``ALPR`` ... are counted and skipped).
    ``heading_deg`` comes from ``camera:direction``, else ``direction``: a
    number of degrees clockwise from north (``"90"``, ``"-45"``,
    ``"22.5°"``), a compass point (``N``, ``NE``, ``ENE`` ... 16 points, or
    words like ``north-east``), a range ``"45-135"`` (its middle,
    clockwise) or several values ``"45;225"`` (one camera per value, the
    first value is the heading; the scene keeps one heading per set and
    spreads the others evenly). Anything else is unknown: NaN, counted and
    logged. ``camera:type`` ``dome`` or ``panning`` sees all around: the
    set gets :data:`DOME_CAMERAS` cameras (45° apart: a full circle for any
    camera set with ``hfov_deg`` >= 45) and heading 0. Other cameras are one
    camera each. ``owner`` is the ``operator`` tag as given, or
    ``"unknown (OSM)"`` (:data:`UNKNOWN_OWNER`). Extra columns:
    ``camera_type``, ``heading_source``, ``osm_id``.
hotspots
    Nodes, and polygons (by ``representative_point``, a point inside), whose
    tags match :data:`HOTSPOT_WEIGHTS`: ``"key=value"`` or ``"key=*"`` (any
    value). A specific ``key=value`` entry beats the key's ``*`` entry; a
    feature matching several keys takes the largest weight, and counts once.
    ``category`` is the matched entry, e.g. ``"amenity=bar"``.
landmarks
    Nodes and polygons (representative points) tagged as in
    :data:`LANDMARK_KINDS` (stations, halts, subway and train-station
    entrances), with ``kind``, ``name`` (``name``, else ``ref``, else empty)
    and ``weight`` 1.
districts
    Polygons with ``boundary=administrative`` at ``admin_level`` (default:
    the finest level in the file; every level found is logged), named by
    ``name`` (repeated names get the element added). When the file has no
    boundary there, a fallback, logged as a WARNING: one district over the
    extent of the other layers, named after the file (``districts=None``), or
    a grid of square cells of ``grid_m`` metres named like map squares
    (``"A1"`` top left, letters west to east, numbers north to south) keeping
    the cells that touch a corridor (``districts="grid"``). A GeoDataFrame or
    a file path given as `districts` is used instead.

Using osmnx instead
-------------------
A user of an osmnx graph has the corridors already; osmnx is not needed by
coverage, and this recipe is text, not code coverage runs::

    import osmnx as ox
    G = ox.graph_from_place("Tsim Sha Tsui, Hong Kong", network_type="walk")
    edges = ox.graph_to_gdfs(G, nodes=False).reset_index()
    # 'highway' may be a list for merged edges: keep the first kind
    kind = edges["highway"].map(lambda h: h[0] if isinstance(h, list) else h)
    corridors = edges.assign(kind=kind, footfall=kind.map(cov.osm.FOOTFALL).fillna(1.0))
    # an undirected walk graph still has both directions of a street: keep one
    corridors = corridors[corridors["u"] < corridors["v"]][["kind", "footfall", "geometry"]]
    scene = cov.Scene(districts, corridors, buildings=buildings)

(The scene counts a stretch digitised twice once anyway, with a WARNING.)
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage._validate import check_offline, format_rows
from coverage.errors import InputError, ParameterError

__all__ = [
    "DEFAULT_BUILDING_HEIGHT_M",
    "DOME_CAMERAS",
    "FOOTFALL",
    "HOTSPOT_WEIGHTS",
    "LANDMARK_KINDS",
    "LEVEL_HEIGHT_M",
    "PRIVACY_CATEGORIES",
    "UNKNOWN_OWNER",
    "OsmLayers",
    "parse_direction",
    "parse_height",
    "parse_hstore",
    "read_osm",
    "read_privacy_zones",
]

logger = logging.getLogger("coverage")

#: Privacy-zone category by OSM tag (``"key=value"``), for :func:`read_privacy_zones`: the
#: places privacy guidelines name (homes, schools and children, worship, health). The first
#: rule in this order that a polygon's tags match gives its category.
PRIVACY_CATEGORIES: dict[str, str] = {
    "landuse=residential": "residential",
    "amenity=school": "children",
    "amenity=kindergarten": "children",
    "amenity=childcare": "children",
    "leisure=playground": "children",
    "amenity=place_of_worship": "worship",
    "amenity=clinic": "health",
    "amenity=hospital": "health",
    "amenity=doctors": "health",
}

#: Walkable ``highway`` kinds and their default relative footfall (1 = a residential street).
#: Busy city-centre roads have busy sidewalks, hence ``primary`` 2.
FOOTFALL: dict[str, float] = {
    "pedestrian": 3.0,
    "footway": 2.0,
    "living_street": 2.0,
    "platform": 2.0,
    "primary": 2.0,
    "steps": 1.5,
    "secondary": 1.5,
    "tertiary": 1.2,
    "primary_link": 1.0,
    "secondary_link": 1.0,
    "tertiary_link": 1.0,
    "residential": 1.0,
    "unclassified": 0.8,
    "road": 0.8,
    "service": 0.5,
    "path": 0.5,
    "trunk": 0.5,
    "trunk_link": 0.3,
    "cycleway": 0.3,
    "track": 0.2,
    "bridleway": 0.2,
}
#: Kinds read only where ``foot`` says walking is allowed.
_FOOT_ONLY = frozenset({"trunk", "trunk_link"})
_FOOT_YES = frozenset({"yes", "designated", "permissive", "destination"})
_FOOT_NO = frozenset({"no", "private", "use_sidepath"})
_ACCESS_NO = frozenset({"no", "private"})

#: Storey height (m) for ``building:levels``.
LEVEL_HEIGHT_M = 3.0
#: Height (m) of a building with neither ``height`` nor ``building:levels``.
DEFAULT_BUILDING_HEIGHT_M = 9.0
_FOOT_M = 0.3048

#: Cameras given to a ``dome`` or ``panning`` camera: 45° apart, a full circle.
DOME_CAMERAS = 8
_ALL_AROUND = frozenset({"dome", "panning"})
#: The owner of a camera without an ``operator`` tag.
UNKNOWN_OWNER = "unknown (OSM)"

#: Hotspot categories (``"key=value"``, or ``"key=*"`` for any value) and their default weights.
HOTSPOT_WEIGHTS: dict[str, float] = {
    "amenity=nightclub": 4.0,
    "amenity=bar": 3.0,
    "amenity=pub": 3.0,
    "amenity=casino": 3.0,
    "amenity=marketplace": 3.0,
    "railway=station": 3.0,
    "public_transport=station": 3.0,
    "amenity=atm": 2.0,
    "amenity=bank": 2.0,
    "amenity=bureau_de_change": 2.0,
    "amenity=money_transfer": 2.0,
    "railway=subway_entrance": 2.0,
    "amenity=bus_station": 2.0,
    "amenity=ferry_terminal": 2.0,
    "shop=mall": 2.0,
    "shop=jewelry": 2.0,
    "amenity=fast_food": 1.0,
    "amenity=pharmacy": 1.0,
    "shop=*": 1.0,
    "amenity=restaurant": 0.5,
    "amenity=cafe": 0.5,
}
#: Landmark tags (``"key=value"``) and the landmark ``kind`` they give.
LANDMARK_KINDS: dict[str, str] = {
    "railway=station": "station",
    "railway=halt": "station",
    "public_transport=station": "station",
    "railway=subway_entrance": "subway_entrance",
    "railway=train_station_entrance": "station_entrance",
}

_COMPASS = {
    name: 22.5 * i
    for i, name in enumerate(
        "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()  # noqa: SIM905
    )
}
_WORDS = {"NORTH": "N", "EAST": "E", "SOUTH": "S", "WEST": "W"}
_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_DEGREES = re.compile(rf"^({_NUMBER})\s*(?:°|deg|degrees?)?$")
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)$")
_METRES = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?)?$")
_FEET = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:'|ft|feet|foot)$")
_FEET_INCHES = re.compile(r"^(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*(?:\"|'')$")
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|NULL)')
_UNESCAPE = re.compile(r"\\(.)")
#: Columns of GDAL's OSM layers that are not tags.
_NOT_TAGS = frozenset({"osm_id", "osm_way_id", "other_tags", "all_tags", "z_order", "geometry"})
_SUFFIXES = (".osm.pbf", ".osm.bz2", ".osm", ".pbf")


# ------------------------------------------------------------------ tag values
def parse_hstore(text: Any) -> dict[str, str]:
    r"""Parse GDAL's ``other_tags`` text (``"k"=>"v","k2"=>"v2"``) into a dict.

    Quotes and backslashes inside keys and values arrive escaped (``\"``,
    ``\\``); ``=>`` and commas inside quotes are text. Missing values
    (``None``, NaN) give an empty dict; a ``NULL`` value gives ``""``.

    Examples
    --------
    >>> parse_hstore('"name"=>"Joe\\"s, \\"=>\\" bar","amenity"=>"bar"')
    {'name': 'Joe"s, "=>" bar', 'amenity': 'bar'}
    >>> parse_hstore(None)
    {}
    """
    if not isinstance(text, str) or not text:
        return {}
    pairs = _HSTORE.findall(text)
    if "\\" not in text:  # nothing escaped (the usual case)
        return dict(pairs)
    return {_UNESCAPE.sub(r"\1", k): _UNESCAPE.sub(r"\1", v) for k, v in pairs}


def parse_height(text: Any) -> float:
    r"""Metres from an OSM ``height`` value; NaN when it does not parse.

    Examples
    --------
    >>> [parse_height(v) for v in ["12", "12 m", "12.5m", "12,5", "40'", "10 ft"]]
    [12.0, 12.0, 12.5, 12.5, 12.192, 3.048]
    >>> parse_height("40'6\""), parse_height("tall"), parse_height(None)
    (12.3444, nan, nan)
    """
    if not isinstance(text, str):
        return math.nan
    t = text.strip().lower()
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    if m := _METRES.match(t):
        return float(m.group(1))
    if m := _FEET.match(t):
        return round(float(m.group(1)) * _FOOT_M, 6)
    if m := _FEET_INCHES.match(t):
        return round((float(m.group(1)) + float(m.group(2)) / 12.0) * _FOOT_M, 6)
    return math.nan


def parse_direction(text: Any) -> tuple[float, int]:
    """Heading (degrees clockwise from north) and camera count from a ``direction`` value.

    Returns ``(nan, 1)`` when the value is missing or does not parse.

    Examples
    --------
    >>> [parse_direction(v)[0] for v in ["90", "-45", "NE", "ene", "north-west", "350-10"]]
    [90.0, 315.0, 45.0, 67.5, 315.0, 0.0]
    >>> parse_direction("45;225"), parse_direction("sideways")
    ((45.0, 2), (nan, 1))
    """
    if not isinstance(text, str) or not text.strip():
        return math.nan, 1
    parts = [p.strip() for p in text.split(";") if p.strip()]
    values = [_one_direction(p) for p in parts]
    if not values or any(math.isnan(v) for v in values):
        return math.nan, 1
    return values[0], len(values)


def _one_direction(text: str) -> float:
    if m := _DEGREES.match(text):
        return float(np.mod(float(m.group(1)), 360.0))
    if m := _RANGE.match(text):
        a, b = float(m.group(1)), float(m.group(2))
        b = b + 360.0 if b < a else b
        return float(np.mod((a + b) / 2.0, 360.0))
    key = re.sub(r"[\s_-]", "", text.upper())
    for word, letter in _WORDS.items():
        key = key.replace(word, letter)
    return _COMPASS.get(key, math.nan)


# ------------------------------------------------------------------ result
@dataclass
class OsmLayers:
    """The scene layers read from an OSM file (EPSG:4326), and what was counted on the way.

    ``counts`` holds, e.g., ``corridors``, ``excluded_highway:motorway``,
    ``excluded_foot_no``, ``height_from_tag``, ``height_from_levels``,
    ``height_default``, ``height_unparsable``, ``camera_heading_unknown``,
    ``camera_heading_unparsable``, ``camera_all_around``,
    ``camera_owner_unknown``, ``hotspots``, ``landmarks``, ``districts``.
    """

    name: str
    districts: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame | None
    cameras: gpd.GeoDataFrame | None
    hotspots: gpd.GeoDataFrame | None
    landmarks: gpd.GeoDataFrame | None
    counts: dict[str, int] = field(default_factory=dict)
    district_source: str = ""

    def layers(self) -> dict[str, gpd.GeoDataFrame | None]:
        """Return the six layers by name (the keyword arguments of :class:`~coverage.Scene`)."""
        return {
            "districts": self.districts,
            "corridors": self.corridors,
            "hotspots": self.hotspots,
            "buildings": self.buildings,
            "cameras": self.cameras,
            "landmarks": self.landmarks,
        }


# ------------------------------------------------------------------ reading
def read_osm(
    path: str | os.PathLike[str],
    *,
    districts: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    admin_level: int | str | None = None,
    footfall: Mapping[str, float] | None = None,
    hotspot_weights: Mapping[str, float] | Literal[False] | None = None,
    grid_m: float = 500.0,
) -> OsmLayers:
    """Read an OSM extract into scene layers (see the module docstring for the rules).

    Parameters
    ----------
    path
        An ``.osm`` (XML) or ``.osm.pbf`` file.
    districts
        ``None``: administrative boundaries from the file at `admin_level`,
        else one district over the data (a WARNING). ``"grid"``: square cells
        of `grid_m` metres. A GeoDataFrame or a file path: those districts.
    admin_level
        The ``admin_level`` of the boundaries to use (``None``: the finest
        level in the file). A level the file does not have is an error.
    footfall
        Footfall by ``highway`` kind, over :data:`FOOTFALL`; a kind not in
        the table becomes walkable.
    hotspot_weights
        Weights by category, over :data:`HOTSPOT_WEIGHTS` (a weight of 0
        removes a category); ``False`` reads no hotspots.
    grid_m
        Cell size of ``districts="grid"``, in metres.

    Raises
    ------
    FileNotFoundError
        `path` does not exist.
    coverage.errors.InputError
        The file is empty, not OSM, broken (e.g. cut off), or has no walkable
        street; `admin_level` is not in the file.
    coverage.errors.ParameterError
        An option is of the wrong kind or out of range.
    """
    p = _check_path(path)
    kinds = _footfall_table(footfall)
    weights = _weight_table(hotspot_weights)
    if not (_nonnegative(grid_m) and grid_m > 0):
        msg = f"The 'grid_m' parameter of read_osm must be a number of metres > 0. Got {grid_m!r}."
        raise ParameterError(msg)
    if not isinstance(districts, gpd.GeoDataFrame | str | os.PathLike | None):
        msg = (
            "The 'districts' parameter of read_osm must be None (boundaries from the file), "
            f"'grid', a GeoDataFrame or a file path. Got {type(districts).__name__}."
        )
        raise ParameterError(msg)
    if isinstance(admin_level, bool) or not isinstance(admin_level, int | str | None):
        msg = (
            "The 'admin_level' parameter of read_osm must be an OSM admin_level such as 8 or "
            f"'10', or None (the finest level in the file). Got {admin_level!r}."
        )
        raise ParameterError(msg)
    raw = {layer: _read_layer(p, layer) for layer in ("points", "lines", "multipolygons")}
    if not any(len(f) for f in raw.values()):
        msg = (
            f"{p}: the OSM file has no features GDAL can read (no tagged nodes, ways or "
            "relations). Export the area again with its data."
        )
        raise InputError(msg)
    counts: Counter[str] = Counter()
    corridors = _corridors(raw["lines"], raw["multipolygons"], kinds, counts, p)
    buildings = _buildings(raw["multipolygons"], counts)
    cameras = _cameras(raw["points"], counts)
    hotspots = None if weights is None else _hotspots(raw, weights, counts)
    landmarks = _landmarks(raw, counts)
    name = _file_stem(p)
    others = [f for f in (corridors, buildings, cameras, hotspots, landmarks) if f is not None]
    dist, source = _districts(
        districts, raw["multipolygons"], admin_level, others, name, grid_m, corridors
    )
    counts["districts"] = len(dist)
    layers = OsmLayers(
        name=name,
        districts=dist,
        corridors=corridors,
        buildings=buildings,
        cameras=cameras,
        hotspots=hotspots,
        landmarks=landmarks,
        counts=dict(counts),
        district_source=source,
    )
    logger.info(
        "OSM %s: %d corridors, %d buildings, %d cameras, %d hotspots, %d landmarks, "
        "%d districts (%s).",
        p.name,
        len(corridors),
        *(0 if f is None else len(f) for f in (buildings, cameras, hotspots, landmarks)),
        len(dist),
        source,
    )
    return layers


def read_privacy_zones(
    path: str | os.PathLike[str], *, categories: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Privacy zones with a ``category`` from the polygons of an OSM extract.

    A polygon (a closed way or a multipolygon relation) whose tags match a
    ``"key=value"`` of `categories` (default :data:`PRIVACY_CATEGORIES`; the
    first match in order wins) becomes a zone, with columns ``category``,
    ``name`` and ``osm_id``, in EPSG:4326. Hand it to
    :class:`~coverage.Scene` as ``privacy_zones=`` and give
    :class:`~coverage.Problem` ``privacy_rules`` by category (see the
    face-and-privacy guide). OSM maps these places unevenly: a zone that is
    not mapped is not masked, so say which data the zones come from.

    Raises
    ------
    FileNotFoundError
        `path` does not exist.
    coverage.errors.InputError
        The file is empty, not OSM or broken.
    coverage.errors.ParameterError
        A key of `categories` is not ``"key=value"``.

    Examples
    --------
    >>> zones = read_privacy_zones("city.osm")  # doctest: +SKIP
    >>> zones["category"].value_counts()  # doctest: +SKIP
    """
    table = dict(PRIVACY_CATEGORIES if categories is None else categories)
    rules = []
    for rule, category in table.items():
        key, eq, value = str(rule).partition("=")
        if not (eq and key.strip() and value.strip()):
            msg = (
                f"The 'categories' parameter of read_privacy_zones must map 'key=value' tags to "
                f"categories, e.g. {{'landuse=residential': 'residential'}}. Got {rule!r}."
            )
            raise ParameterError(msg)
        rules.append((key.strip(), value.strip(), str(category)))
    p = _check_path(path)
    polygons = _read_layer(p, "multipolygons")
    rows, geoms, index = [], [], []
    for label, tags, geom in zip(polygons.index, polygons["tags"], _geoms(polygons), strict=True):
        hit = next((c for k, v, c in rules if tags.get(k) == v), None)
        if hit is None or geom is None or geom.is_empty:
            continue
        rows.append({"category": hit, "name": tags.get("name", ""), "osm_id": label})
        geoms.append(geom)
        index.append(label)
    zones = gpd.GeoDataFrame(
        rows or {"category": [], "name": [], "osm_id": []},
        geometry=geoms,
        crs=4326,
        index=pd.Index(index, dtype=object),
    )
    logger.info(
        "OSM %s: %d privacy zone(s) %s.",
        p.name,
        len(zones),
        zones["category"].value_counts().to_dict() if len(zones) else "",
    )
    return zones


def _check_path(path: str | os.PathLike[str]) -> Path:
    check_offline(path, "osm")
    p = Path(path)
    if not p.exists():
        msg = f"The OSM file {str(p)!r} does not exist. Check the path."
        raise FileNotFoundError(msg)
    if p.is_dir():
        msg = f"{str(p)!r} is a folder; give the .osm or .osm.pbf file in it."
        raise InputError(msg)
    if p.suffix.lower() in (".bz2", ".gz", ".xz", ".zip", ".7z"):
        msg = (
            f"{p}: GDAL's OSM driver reads .osm and .osm.pbf files, not compressed ones; "
            f"decompress it first (e.g. 'bunzip2 -k {p.name}'), or download the .osm.pbf."
        )
        raise InputError(msg)
    if p.stat().st_size == 0:
        msg = f"{p}: the OSM file is empty (0 bytes). Download or export it again."
        raise InputError(msg)
    return p


def _read_layer(p: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer of GDAL's OSM driver, with a ``tags`` column and element labels as index."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FeatureError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if layer == "points":  # the first layer read: check the file is OSM data
                driver = pyogrio.read_info(p, layer=0)["driver"]
                if driver != "OSM":
                    msg = (
                        f"{p}: GDAL reads this file as {driver}, not as OpenStreetMap data. "
                        "Give an .osm (XML) or .osm.pbf file, or read it with Scene.from_files."
                    )
                    raise InputError(msg)
            # GDAL's custom node index needs node ids sorted; API exports are not, and with
            # it GDAL can build broken rings instead of failing: use its SQLite index always
            frame = pyogrio.read_dataframe(p, layer=layer, USE_CUSTOM_INDEXING="NO")
        except (DataSourceError, DataLayerError, FeatureError) as exc:
            msg = (
                f"{p}: not a readable OpenStreetMap file ({exc}). A download that stopped "
                "early leaves XML cut off; export or download the file again."
            )
            raise InputError(msg) from exc
    for w in caught:
        logger.debug("GDAL (%s, layer %s): %s", p.name, layer, w.message)
    frame = frame.set_crs(4326, allow_override=True) if len(frame) else frame
    frame.index = pd.Index(_element_labels(frame, layer), dtype=object)
    frame["tags"] = _tags(frame)
    return frame


def _element_labels(frame: pd.DataFrame, layer: str) -> list[str]:
    """``node 1`` / ``way 2`` / ``relation 3`` for every feature of a GDAL OSM layer."""
    n = len(frame)
    if layer == "multipolygons":
        rel = frame["osm_id"] if "osm_id" in frame.columns else pd.Series([None] * n)
        way = frame["osm_way_id"] if "osm_way_id" in frame.columns else pd.Series([None] * n)
        return [
            f"relation {r}" if _present(r) else f"way {w}"
            for r, w in zip(rel.tolist(), way.tolist(), strict=True)
        ]
    kind = "node" if layer == "points" else "way"
    ids = frame["osm_id"].tolist() if "osm_id" in frame.columns else [None] * n
    return [f"{kind} {i}" for i in ids]


def _present(value: Any) -> bool:
    return (
        value is not None
        and value is not pd.NA
        and not (isinstance(value, float) and math.isnan(value))
    )


def _tags(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Every feature's tags: GDAL's tag columns merged with ``other_tags``/``all_tags``."""
    cols = [
        c for c in frame.columns if c not in _NOT_TAGS and c != "tags" and frame[c].notna().any()
    ]
    out = []
    values = frame[cols].to_numpy(dtype=object) if cols else np.empty((len(frame), 0), object)
    other = frame["other_tags"].tolist() if "other_tags" in frame.columns else [None] * len(frame)
    every = frame["all_tags"].tolist() if "all_tags" in frame.columns else [None] * len(frame)
    for row, o, a in zip(values, other, every, strict=True):
        tags = parse_hstore(a)
        tags.update(parse_hstore(o))
        tags.update({c: str(v) for c, v in zip(cols, row, strict=True) if _present(v)})
        out.append(tags)
    return out


def _geoms(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return the shapely geometries of `frame` as an object array (fast to iterate)."""
    return np.asarray(frame.geometry.values, dtype=object)


def _file_stem(p: Path) -> str:
    low = p.name.lower()
    for suffix in _SUFFIXES:
        if low.endswith(suffix):
            return p.name[: -len(suffix)]
    return p.stem


def _frame(
    rows: list[dict[str, Any]], geoms: list[Any], index: list[str]
) -> gpd.GeoDataFrame | None:
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry=geoms, index=pd.Index(index, dtype=object), crs=4326)


# ------------------------------------------------------------------ options
def _footfall_table(footfall: Mapping[str, float] | None) -> dict[str, float]:
    table = dict(FOOTFALL)
    if footfall is None:
        return table
    if not isinstance(footfall, Mapping):
        msg = (
            "The 'footfall' parameter of read_osm must be a mapping of highway kind to "
            f"footfall, e.g. {{'footway': 3}}. Got {type(footfall).__name__}."
        )
        raise ParameterError(msg)
    for kind, value in footfall.items():
        if not _nonnegative(value):
            msg = (
                f"The 'footfall' parameter of read_osm: {kind!r} must be a number >= 0. "
                f"Got {value!r}."
            )
            raise ParameterError(msg)
        table[str(kind)] = float(value)
    return table


def _weight_table(weights: Mapping[str, float] | Literal[False] | None) -> dict[str, float] | None:
    if weights is False:
        return None
    table = dict(HOTSPOT_WEIGHTS)
    if weights is None:
        return table
    if not isinstance(weights, Mapping):
        msg = (
            "The 'hotspot_weights' parameter of read_osm must be a mapping such as "
            f"{{'amenity=bar': 5}}, or False for no hotspots. Got {weights!r}."
        )
        raise ParameterError(msg)
    for key, value in weights.items():
        k = str(key)
        if "=" not in k or not k.split("=", 1)[0] or not k.split("=", 1)[1]:
            msg = (
                f"The 'hotspot_weights' parameter of read_osm: {key!r} must be 'key=value' "
                "(e.g. 'amenity=bar') or 'key=*' (any value of the key)."
            )
            raise ParameterError(msg)
        if not _nonnegative(value):
            msg = (
                f"The 'hotspot_weights' parameter of read_osm: {key!r} must be a number >= 0 "
                f"(0 removes the category). Got {value!r}."
            )
            raise ParameterError(msg)
        table[k] = float(value)
    return {k: v for k, v in table.items() if v > 0}


def _nonnegative(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


# ------------------------------------------------------------------ corridors
def _walk_rule(tags: Mapping[str, str], kinds: Mapping[str, float]) -> str:
    """``""`` when the way is a walkable corridor, else the reason it is not."""
    hw = tags.get("highway", "")
    foot = tags.get("foot", "")
    if hw not in kinds:
        return f"excluded_highway:{hw}"
    if hw in _FOOT_ONLY and foot not in _FOOT_YES:
        return f"excluded_highway:{hw}"
    if foot in _FOOT_NO:
        return "excluded_foot_no"
    if tags.get("access", "") in _ACCESS_NO and foot not in _FOOT_YES:
        return "excluded_access_private"
    if tags.get("indoor", "") == "yes" or hw == "corridor":
        return "excluded_indoor"
    return ""


def _corridors(
    lines: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    kinds: Mapping[str, float],
    counts: Counter[str],
    p: Path,
) -> gpd.GeoDataFrame:
    rows, geoms, index = [], [], []
    for label, tags, geom in zip(lines.index, lines["tags"], _geoms(lines), strict=True):
        if "highway" not in tags:
            continue
        reason = _walk_rule(tags, kinds)
        if reason:
            counts[reason] += 1
            continue
        kind = tags["highway"]
        rows.append(
            {"kind": kind, "footfall": kinds[kind], "name": tags.get("name", ""), "osm_id": label}
        )
        geoms.append(geom)
        index.append(label)
    areas = sum(1 for t in polygons["tags"] if "highway" in t)
    if areas:
        logger.info(
            "OSM %s: %d highway area(s) (e.g. pedestrian squares, area=yes) are polygons, "
            "not corridors; they are not read.",
            p.name,
            areas,
        )
    excluded = {k: v for k, v in counts.items() if k.startswith("excluded_")}
    if excluded:
        logger.info(
            "OSM %s: highway ways not read as corridors: %s.",
            p.name,
            ", ".join(f"{k.removeprefix('excluded_')} {v}" for k, v in sorted(excluded.items())),
        )
    frame = _frame(rows, geoms, index)
    if frame is None:
        found = Counter(t["highway"] for t in lines["tags"] if "highway" in t)
        msg = (
            f"{p}: no walkable street: the file has {sum(found.values())} highway way(s) "
            f"({', '.join(f'{k} {v}' for k, v in found.most_common(8)) or 'none'}) and none "
            f"is walkable. Walkable kinds are {', '.join(sorted(kinds))}; pass "
            "footfall={'kind': value} to walk others, or export a larger area."
        )
        raise InputError(msg)
    counts["corridors"] = len(frame)
    return frame


# ------------------------------------------------------------------ buildings
def _building_height(tags: Mapping[str, str], counts: Counter[str]) -> tuple[float, str]:
    if "height" in tags:
        h = parse_height(tags["height"])
        if not math.isnan(h):
            return h, "height"
        counts["height_unparsable"] += 1
    if "building:levels" in tags:
        try:
            levels = float(tags["building:levels"].strip())
        except ValueError:
            levels = math.nan
        if math.isfinite(levels) and levels >= 0:
            return levels * LEVEL_HEIGHT_M, "levels"
        counts["levels_unparsable"] += 1
    return DEFAULT_BUILDING_HEIGHT_M, "default"


def _buildings(polygons: gpd.GeoDataFrame, counts: Counter[str]) -> gpd.GeoDataFrame | None:
    rows, geoms, index = [], [], []
    bad: list[str] = []
    for label, tags, geom in zip(polygons.index, polygons["tags"], _geoms(polygons), strict=True):
        if tags.get("building", "no") == "no":
            continue
        before = counts["height_unparsable"] + counts["levels_unparsable"]
        height, source = _building_height(tags, counts)
        if counts["height_unparsable"] + counts["levels_unparsable"] > before:
            given = {k: tags[k] for k in ("height", "building:levels") if k in tags}
            bad.append(f"{label} {given}")
        counts[f"height_from_{source}" if source != "default" else "height_default"] += 1
        rows.append(
            {
                "height_m": height,
                "height_source": source,
                "building": tags["building"],
                "name": tags.get("name", ""),
                "osm_id": label,
            }
        )
        geoms.append(geom)
        index.append(label)
    if counts["height_unparsable"] or counts["levels_unparsable"]:
        logger.warning(
            "OSM buildings: %d 'height' and %d 'building:levels' value(s) do not parse %s; "
            "those buildings use the next rule (levels x %g m, else %g m).",
            counts["height_unparsable"],
            counts["levels_unparsable"],
            format_rows(bad, limit=3),
            LEVEL_HEIGHT_M,
            DEFAULT_BUILDING_HEIGHT_M,
        )
    return _frame(rows, geoms, index)


# ------------------------------------------------------------------ cameras
def _cameras(points: gpd.GeoDataFrame, counts: Counter[str]) -> gpd.GeoDataFrame | None:
    rows, geoms, index = [], [], []
    unparsable: list[str] = []
    for label, tags, geom in zip(points.index, points["tags"], _geoms(points), strict=True):
        if tags.get("man_made") != "surveillance":
            continue
        kind = tags.get("surveillance:type", "camera")
        if kind != "camera":
            counts[f"surveillance_skipped:{kind}"] += 1
            continue
        key = next((k for k in ("camera:direction", "direction") if k in tags), "")
        heading, n = parse_direction(tags.get(key))
        camera_type = tags.get("camera:type", "")
        if camera_type in _ALL_AROUND:
            heading, n = 0.0, DOME_CAMERAS
            counts["camera_all_around"] += 1
        elif math.isnan(heading):
            counts["camera_heading_unknown"] += 1
            if key:
                unparsable.append(f"{label} ({key}={tags[key]!r})")
        owner = tags.get("operator", "").strip() or UNKNOWN_OWNER
        counts["camera_owner_unknown"] += owner == UNKNOWN_OWNER
        rows.append(
            {
                "owner": owner,
                "heading_deg": heading,
                "cameras": n,
                "camera_type": camera_type,
                "heading_source": key if not math.isnan(heading) else "",
                "osm_id": label,
            }
        )
        geoms.append(geom)
        index.append(label)
    counts["camera_heading_unparsable"] = len(unparsable)
    if counts["camera_heading_unknown"]:
        logger.warning(
            "OSM cameras: %d of %d have no usable heading (NaN, unknown): %d without "
            "camera:direction/direction%s.",
            counts["camera_heading_unknown"],
            len(rows),
            counts["camera_heading_unknown"] - len(unparsable),
            f", {len(unparsable)} that do not parse {format_rows(unparsable, limit=3)}"
            if unparsable
            else "",
        )
    counts["cameras"] = len(rows)
    return _frame(rows, geoms, index)


# ------------------------------------------------------------------ points of interest
def _match(tags: Mapping[str, str], table: Mapping[str, Any]) -> str:
    """Return the table key a feature matches: ``key=value`` before ``key=*``; the best by value."""
    best, best_value = "", None
    for k, v in tags.items():
        hit = f"{k}={v}" if f"{k}={v}" in table else (f"{k}=*" if f"{k}=*" in table else "")
        if hit and (best_value is None or table[hit] > best_value):
            best, best_value = hit, table[hit]
    return best


def _points_of(raw: Mapping[str, gpd.GeoDataFrame]) -> tuple[list[str], list[Any], list[Any]]:
    """Labels, tags and points of the nodes and of the polygons (points inside them)."""
    pts, polys = raw["points"], raw["multipolygons"]
    poly_points = list(shapely.point_on_surface(polys.geometry.values)) if len(polys) else []
    labels = [*pts.index, *polys.index]
    tags = [*pts["tags"], *polys["tags"]]
    return labels, tags, [*_geoms(pts), *poly_points]


def _hotspots(
    raw: Mapping[str, gpd.GeoDataFrame], weights: Mapping[str, float], counts: Counter[str]
) -> gpd.GeoDataFrame | None:
    rows, geoms, index = [], [], []
    for label, tags, point in zip(*_points_of(raw), strict=True):
        hit = _match(tags, weights)
        if hit:
            rows.append({"weight": weights[hit], "category": hit, "osm_id": label})
            geoms.append(point)
            index.append(label)
    counts["hotspots"] = len(rows)
    return _frame(rows, geoms, index)


def _landmarks(
    raw: Mapping[str, gpd.GeoDataFrame], counts: Counter[str]
) -> gpd.GeoDataFrame | None:
    rows, geoms, index = [], [], []
    for label, tags, point in zip(*_points_of(raw), strict=True):
        hit = next((f"{k}={v}" for k, v in tags.items() if f"{k}={v}" in LANDMARK_KINDS), "")
        if hit:
            name = tags.get("name", "") or tags.get("ref", "")
            rows.append({"kind": LANDMARK_KINDS[hit], "name": name, "weight": 1.0, "osm_id": label})
            geoms.append(point)
            index.append(label)
    counts["landmarks"] = len(rows)
    return _frame(rows, geoms, index)


# ------------------------------------------------------------------ districts
def _districts(  # noqa: PLR0913 -- the district options and what the fallback needs
    districts: gpd.GeoDataFrame | str | os.PathLike[str] | None,
    polygons: gpd.GeoDataFrame,
    admin_level: int | str | None,
    others: list[gpd.GeoDataFrame],
    name: str,
    grid_m: float,
    corridors: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the districts and where they came from (for the log and :class:`OsmLayers`)."""
    if isinstance(districts, gpd.GeoDataFrame):
        return districts, "given"
    if isinstance(districts, str) and districts == "grid":
        return _grid(corridors, grid_m), f"grid of {grid_m:g} m cells"
    if districts is not None:
        from coverage.scene import read_layer

        return read_layer(districts, what="districts"), f"file {os.fspath(districts)}"
    admin = _admin_boundaries(polygons, admin_level)
    if admin is not None:
        return admin, f"admin_level {admin.attrs['admin_level']}"
    extent = _one_district(others, name)
    logger.warning(
        "OSM %s has no administrative boundaries: the scene has one district %r over the "
        "data's extent. Pass districts='grid' for named grid cells, or districts= your own "
        "polygons, to see coverage by area.",
        name,
        name,
    )
    return extent, "one district (no boundaries in the file)"


def _admin_boundaries(
    polygons: gpd.GeoDataFrame, admin_level: int | str | None
) -> gpd.GeoDataFrame | None:
    levels: dict[str, list[str]] = {}
    for label, tags in zip(polygons.index, polygons["tags"], strict=True):
        if tags.get("boundary") == "administrative" and tags.get("admin_level", "").strip():
            levels.setdefault(tags["admin_level"].strip(), []).append(label)
    if admin_level is None:
        if not levels:
            return None
        level = max(levels, key=_level_key)
    else:
        level = str(admin_level).strip()
        if level not in levels:
            found = _levels_text(levels)
            msg = (
                f"admin_level={admin_level!r}: the OSM file has no administrative boundary at "
                f"that level; levels found (boundaries): {found}. Pass one of them, leave "
                "admin_level out, or pass districts= your own polygons or 'grid'."
            )
            raise InputError(msg)
    logger.info(
        "OSM districts: boundary=administrative at admin_level %s (%d); levels in the file: %s.",
        level,
        len(levels[level]),
        _levels_text(levels),
    )
    sel = polygons.loc[levels[level]]
    names = [
        t.get("name", "").strip() or f"admin_level {level} {i}" for i, t in sel["tags"].items()
    ]
    seen = Counter(names)
    names = [f"{n} ({i})" if seen[n] > 1 else n for n, i in zip(names, sel.index, strict=True)]
    out = gpd.GeoDataFrame(
        {"name": names, "osm_id": list(sel.index)}, geometry=sel.geometry.values, crs=4326
    )
    out.index = sel.index
    out.attrs["admin_level"] = level
    return out


def _level_key(level: str) -> tuple[bool, int, str]:
    return (level.isdigit(), int(level) if level.isdigit() else 0, level)


def _levels_text(levels: Mapping[str, list[str]]) -> str:
    """``"8 (1), 9 (1), 10 (3)"``: each admin_level and its count of boundaries."""
    return ", ".join(f"{k} ({len(levels[k])})" for k in sorted(levels, key=_level_key)) or "none"


def _one_district(others: list[gpd.GeoDataFrame], name: str) -> gpd.GeoDataFrame:
    """Return a box over every other layer, 50 m wider on each side."""
    b = np.array([f.total_bounds for f in others if len(f)])
    west, south, east, north = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad_lat = 50.0 / 111_320.0
    pad_lon = pad_lat / max(math.cos(math.radians((south + north) / 2)), 1e-6)
    box = shapely.box(west - pad_lon, south - pad_lat, east + pad_lon, north + pad_lat)
    return gpd.GeoDataFrame({"name": [name]}, geometry=[box], crs=4326)


def _cell_name(col: int, row: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row + 1}"


def _grid(corridors: gpd.GeoDataFrame, grid_m: float) -> gpd.GeoDataFrame:
    """Square cells of `grid_m` over the corridors, in their local metric CRS, named like A1."""
    from coverage._crs import local_crs

    w, s, e, n = (float(v) for v in corridors.total_bounds)
    work = local_crs((w, s, e, n))
    lines = corridors.to_crs(work)
    x0, y0, x1, y1 = lines.total_bounds
    ncol = max(1, math.ceil((x1 - x0) / grid_m))
    nrow = max(1, math.ceil((y1 - y0) / grid_m))
    if ncol * nrow > 10_000:
        msg = (
            f"districts='grid' with grid_m={grid_m:g} gives {ncol * nrow:,} cells over the "
            "corridors; pass a larger grid_m (the cells are districts in every report)."
        )
        raise ParameterError(msg)
    cells, names = [], []
    tree = shapely.STRtree(lines.geometry.values)
    for r in range(nrow):
        top = y1 - r * grid_m  # row 1 at the north edge
        for c in range(ncol):
            cell = shapely.box(x0 + c * grid_m, top - grid_m, x0 + (c + 1) * grid_m, top)
            if tree.query(cell, predicate="intersects").size:
                cells.append(cell)
                names.append(_cell_name(c, r))
    logger.info("OSM districts: %d grid cells of %g m that touch a corridor.", len(cells), grid_m)
    return gpd.GeoDataFrame({"name": names}, geometry=cells, crs=work).to_crs(4326)
