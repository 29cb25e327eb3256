"""The Hong Kong scene, built from the real open data beside the repository."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage._crs import HONG_KONG_CRS
from coverage.errors import ParameterError
from coverage.scene import Scene, read_layer

logger = logging.getLogger("coverage")

#: The repository (in a source checkout).
_REPO = Path(__file__).resolve().parents[2]
#: Where the real Hong Kong data sits beside the repository.
DEFAULT_HONG_KONG_PATH = _REPO.parent / "shared" / "data" / "hong-kong"

HONG_KONG_ATTRIBUTION = (
    "Administrative district boundaries © Home Affairs Department, HKSAR Government (DATA.GOV.HK)",
    "Streets and buildings © OpenStreetMap contributors (ODbL 1.0)",
    "MTR exit locations: hkbus/hk-bus-crawling, from MTR Corporation open data and "
    "Lands Department, HKSAR",
    "Police stations: Hong Kong Police Force / Lands Department GeoData Store",
    "Traffic collisions: Transport Department, HKSAR (TRADS), via Hong Kong Districts Info / "
    "Street Reset",
    "Population: Census and Statistics Department, HKSAR",
)

#: Attribution line of :func:`hong_kong_land` (see SOURCES.md).
HONG_KONG_LAND_ATTRIBUTION = (
    "District land boundaries (2001 Census): Census and Statistics Department, HKSAR, "
    "via hupili/geohk"
)
_LAND_FILE = "hk_districts_18_land_census2001.geojson"

#: Relative pedestrian footfall by OSM ``highway`` class. An assumption, stated
#: here because no pedestrian counts are published for these streets: busy
#: shopping streets (primary roads in Tsim Sha Tsui carry the widest, most
#: crowded pavements) and pedestrian streets rank highest, service lanes lowest.
HONG_KONG_FOOTFALL_BY_KIND = {
    "pedestrian": 3.0,
    "primary": 2.5,
    "footway": 2.0,
    "steps": 1.5,
    "secondary": 2.0,
    "tertiary": 1.5,
    "residential": 1.0,
    "service": 0.5,
}
#: Collision severity -> incident weight for the hotspot surface.
_SEVERITY_WEIGHT = {"Fatal": 5.0, "Serious": 3.0, "Slight": 1.0}
#: Footfall near a transit exit or police station is multiplied by
#: ``1 + _LANDMARK_BOOST * exp(-d² / (2 * _LANDMARK_REACH_M²))`` (d: distance from
#: the street's midpoint to the nearest one): up to ×3 at a landmark, ×1 far away.
_LANDMARK_BOOST = 2.0
_LANDMARK_REACH_M = 150.0
#: With ``incidents="tst"``, collisions within this distance of a Tsim Sha Tsui street.
_TST_INCIDENT_REACH_M = 300.0


def hong_kong(
    path: str | os.PathLike[str] = DEFAULT_HONG_KONG_PATH,
    *,
    incidents: str = "all",
) -> Scene:
    """Build a scene of Hong Kong from the real open data beside the repository.

    Layers: the 18 District Council districts (HAD boundaries, with the
    mid-2019 population in ``population``); the streets
    and buildings of Tsim Sha Tsui (OpenStreetMap, 2015); the police-recorded
    traffic collisions 2014–2019 as incident points (the only point-level
    incident data published; weight 5 fatal, 3 serious, 1 slight, category =
    type of collision); MTR exits and police stations as landmarks. There are
    no published positions of existing cameras, so the camera layer is empty.
    Everything is in EPSG:2326 (Hong Kong 1980 Grid).

    Parameters
    ----------
    path
        The folder holding the files listed in its ``SOURCES.md``.
    incidents
        ``"all"`` (89,828 collisions, territory-wide) or ``"tst"`` (only those
        within 300 m of the Tsim Sha Tsui streets, for fast street-level work).

    Returns
    -------
    Scene
        With ``scene.attribution`` holding the data attribution lines.

    Raises
    ------
    FileNotFoundError
        The folder or one of its files is missing.
    coverage.errors.ParameterError
        `incidents` is not ``"all"`` or ``"tst"``.

    Notes
    -----
    Street footfall is not published; it is modelled as
    :data:`HONG_KONG_FOOTFALL_BY_KIND` by OSM road class, raised near MTR exits
    and police stations by up to ×3 (Gaussian, 150 m).
    """
    root = Path(path)
    if not root.is_dir():
        msg = (
            f"The Hong Kong data folder {str(root)!r} does not exist. It should hold the files "
            "described in shared/data/hong-kong/SOURCES.md; pass its location as "
            "hong_kong(path=...)."
        )
        raise FileNotFoundError(msg)
    if incidents not in ("all", "tst"):
        msg = f"The 'incidents' parameter of hong_kong must be 'all' or 'tst'. Got {incidents!r}."
        raise ParameterError(msg)
    districts = _districts(root)
    streets = _read(root, "tst_streets_osm_2015.geojson")
    landmarks = _landmarks(root)
    corridors = _corridors(streets, landmarks)
    buildings = _buildings(root)
    hotspots = _collisions(root, near=corridors if incidents == "tst" else None)
    logger.info(
        "Hong Kong scene: %d districts, %d streets, %d buildings, %d incidents, %d landmarks.",
        len(districts),
        len(corridors),
        len(buildings),
        len(hotspots),
        len(landmarks),
    )
    return Scene(
        districts,
        corridors,
        hotspots=hotspots,
        buildings=buildings,
        landmarks=landmarks,
        crs=HONG_KONG_CRS,
        name="Hong Kong",
        attribution=HONG_KONG_ATTRIBUTION,
    )


def _read(root: Path, name: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one file of the data folder, in the Hong Kong 1980 Grid."""
    return read_layer(root / name, layer=layer, what=name).to_crs(HONG_KONG_CRS)


def _districts(root: Path) -> gpd.GeoDataFrame:
    """Read the 18 districts, with the 2019 population when its table is there."""
    districts = _read(root, "hk_districts_18_had.geojson")
    districts = districts.rename(
        columns={"District": "name", "地區": "name_zh", "地區號碼": "had_code"}
    )[["name", "name_zh", "had_code", "geometry"]]
    pop_file = root / "population_by_district_2019_csd.csv"
    if pop_file.exists():
        pop = pd.read_csv(pop_file)
        pop = pop[pop["level"] == "district"].set_index("had_code")["total"]
        districts["population"] = districts["had_code"].map(pop).astype(float)
    return districts


def _landmarks(root: Path) -> gpd.GeoDataFrame:
    """Read the MTR exits and police stations as landmarks of weight 1."""
    exits = _read(root, "mtr_exits.geojson")
    stations = _read(root, "police_stations_geodata.geojson")
    return pd.concat(
        [
            gpd.GeoDataFrame(
                {
                    "kind": "mtr_exit",
                    "name": exits["station_en"].astype(str) + " exit " + exits["exit"].astype(str),
                    "weight": 1.0,
                },
                geometry=exits.geometry.values,
                crs=HONG_KONG_CRS,
            ),
            gpd.GeoDataFrame(
                {
                    "kind": "police_station",
                    "name": stations["Facility Name"].astype(str),
                    "weight": 1.0,
                },
                geometry=stations.geometry.values,
                crs=HONG_KONG_CRS,
            ),
        ],
        ignore_index=True,
    )


def _corridors(streets: gpd.GeoDataFrame, landmarks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn the OSM streets into corridors with modelled footfall (see :func:`hong_kong`)."""
    kind = streets["highway"].fillna("").astype(str)
    base = kind.map(HONG_KONG_FOOTFALL_BY_KIND).fillna(1.0).to_numpy()
    mids = streets.geometry.interpolate(0.5, normalized=True)
    mid_xy = np.column_stack([mids.x.to_numpy(), mids.y.to_numpy()])
    lm_xy = np.column_stack([landmarks.geometry.x.to_numpy(), landmarks.geometry.y.to_numpy()])
    dist, _ = cKDTree(lm_xy).query(mid_xy)
    boost = 1.0 + _LANDMARK_BOOST * np.exp(-(dist**2) / (2 * _LANDMARK_REACH_M**2))
    return gpd.GeoDataFrame(
        {
            "footfall": base * boost,
            "name": streets["name"].fillna("").astype(str),
            "kind": kind,
            "osm_id": streets["osm_id"],
        },
        geometry=streets.geometry.values,
        crs=HONG_KONG_CRS,
    )


def _buildings(root: Path) -> gpd.GeoDataFrame:
    """Read the OSM buildings; ``height_m`` is 3 m per ``building:levels`` (NaN if unknown)."""
    buildings = _read(root, "tst_buildings_osm_2015.geojson")
    levels = buildings["other_tags"].fillna("").str.extract(r'"building:levels"=>"(\d+)"')[0]
    return gpd.GeoDataFrame(
        {
            "height_m": pd.to_numeric(levels, errors="coerce").to_numpy() * 3.0,
            "name": buildings["name"].fillna("").astype(str),
            "osm_id": buildings["osm_id"],
        },
        geometry=buildings.geometry.values,
        crs=HONG_KONG_CRS,
    )


def _collisions(root: Path, *, near: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Read the traffic collisions as incidents; only those near `near`'s lines if given."""
    coll = _read(root, "traffic_collisions_2014_2019.gpkg", layer="collisions")
    if near is not None:
        close = coll.geometry.values.dwithin(near.geometry.union_all(), _TST_INCIDENT_REACH_M)
        coll = coll[close]
    return gpd.GeoDataFrame(
        {
            "weight": coll["Severity"].map(_SEVERITY_WEIGHT).fillna(1.0).to_numpy(),
            "category": coll["Type_of_Collision"].fillna("").astype(str).to_numpy(),
            "severity": coll["Severity"].astype(str).to_numpy(),
            "year": coll["Year"].to_numpy(),
        },
        geometry=coll.geometry.values,
        crs=HONG_KONG_CRS,
    )


def hong_kong_land(path: str | os.PathLike[str] = DEFAULT_HONG_KONG_PATH) -> gpd.GeoDataFrame:
    """Read Hong Kong's land: the 18 districts clipped to the coastline, for maps only.

    From ``hk_districts_18_land_census2001.geojson`` in the data folder (2001
    Census map files, land only). Pass it to
    :func:`coverage.render.render_map` as ``land=``: a map without tiles then
    shows the coastline, and the districts are clipped to it for display.

    The coastline is that of 2001: later reclamation (Kai Tak, West Kowloon)
    is sea here, and 1.4% of the collisions fall outside it. So it is for
    display only: incidents and demand keep being assigned to the HAD
    districts of :func:`hong_kong`, and nothing is dropped with it.

    Parameters
    ----------
    path
        The folder holding the files listed in its ``SOURCES.md``.

    Returns
    -------
    geopandas.GeoDataFrame
        18 (Multi)Polygons in EPSG:2326 with ``code`` (the HAD letters A–T),
        ``name`` and ``name_zh``; ``attrs["attribution"]`` holds its
        attribution line (the map shows it).

    Raises
    ------
    FileNotFoundError
        The folder or the file is missing.
    """
    root = Path(path)
    if not (root / _LAND_FILE).is_file():
        msg = (
            f"The Hong Kong land file {str(root / _LAND_FILE)!r} does not exist. It is described "
            "in shared/data/hong-kong/SOURCES.md; pass its folder as hong_kong_land(path=...)."
        )
        raise FileNotFoundError(msg)
    raw = _read(root, _LAND_FILE)
    land = gpd.GeoDataFrame(
        {
            "code": raw["DC_CODE"].astype(str).to_numpy(),
            "name": raw["DC_ENG"].astype(str).to_numpy(),
            "name_zh": raw["DC_CHIN"].astype(str).to_numpy(),
        },
        geometry=raw.geometry.values,
        crs=HONG_KONG_CRS,
    )
    land.attrs["attribution"] = HONG_KONG_LAND_ATTRIBUTION
    return land
