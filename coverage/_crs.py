"""Choosing and checking the scene's metric CRS."""

from __future__ import annotations

import logging

import geopandas as gpd
from pyproj import CRS

from coverage.errors import CRSError

__all__ = ["HONG_KONG_BOUNDS_LONLAT", "HONG_KONG_CRS", "choose_crs", "require_metric"]

logger = logging.getLogger("coverage")

#: Hong Kong 1980 Grid, metres. Used for any scene that lies inside Hong Kong.
HONG_KONG_CRS = CRS.from_epsg(2326)
#: Rough bounds of the Hong Kong SAR in lon/lat (west, south, east, north).
HONG_KONG_BOUNDS_LONLAT = (113.8, 22.1, 114.55, 22.6)


def require_metric(crs: CRS, *, where: str) -> CRS:
    """Return `crs` if it is projected with metre axes, else raise CRSError."""
    unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown"
    if not crs.is_projected or unit != "metre":
        msg = (
            f"{where} must use a projected CRS in metres; got {crs.to_string()!r} ({unit}). "
            "Pass crs='EPSG:2326' (Hong Kong) or leave crs=None to use the estimated UTM zone."
        )
        raise CRSError(msg)
    return crs


def choose_crs(frame: gpd.GeoDataFrame) -> CRS:
    """Pick the metric CRS for a scene from one of its layers.

    EPSG:2326 when the layer lies inside Hong Kong, otherwise the layer's own
    CRS when that is already metric, otherwise the estimated UTM zone.
    The choice is logged.
    """
    lonlat = (
        frame.to_crs(4326).total_bounds if frame.crs != CRS.from_epsg(4326) else frame.total_bounds
    )
    w, s, e, n = HONG_KONG_BOUNDS_LONLAT
    if lonlat[0] >= w and lonlat[1] >= s and lonlat[2] <= e and lonlat[3] <= n:
        logger.info("Scene lies inside Hong Kong: using EPSG:2326 (Hong Kong 1980 Grid).")
        return HONG_KONG_CRS
    crs = CRS.from_user_input(frame.crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if crs.is_projected and unit == "metre":
        logger.info("Scene uses its layers' metric CRS %s.", crs.to_string())
        return crs
    utm = frame.estimate_utm_crs()
    logger.info("Scene CRS estimated as UTM zone %s.", utm.to_string())
    return CRS.from_user_input(utm)
