"""Choosing and checking the scene's metric, distance-true CRS.

A working CRS must be projected in metres, conformal and distance-true over
the scene: at the scene's corners, edge midpoints and centre the point scale
factor is within :data:`MAX_SCALE_ERROR` of 1 and the angular distortion is
below :data:`MAX_ANGULAR_DISTORTION_DEG` (pyproj ``Proj.get_factors`` gives
both). Web Mercator (EPSG:3857) fails this away from the equator (its scale is
1/cos(latitude): 1.556 at 50°N), so does Plate Carrée, and so does any
Transverse Mercator far from its central meridian.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Proj

from coverage.errors import CRSError

__all__ = [
    "HONG_KONG_BOUNDS_LONLAT",
    "HONG_KONG_CRS",
    "LOCAL_ORIGIN_M",
    "MAX_ANGULAR_DISTORTION_DEG",
    "MAX_SCALE_ERROR",
    "Distortion",
    "choose_crs",
    "distortion",
    "local_crs",
    "near_grid_origin",
    "require_distance_true",
    "require_metric",
]

logger = logging.getLogger("coverage")

#: Hong Kong 1980 Grid, metres. Used for any scene that lies inside Hong Kong.
HONG_KONG_CRS = CRS.from_epsg(2326)
#: Rough bounds of the Hong Kong SAR in lon/lat (west, south, east, north).
HONG_KONG_BOUNDS_LONLAT = (113.8, 22.1, 114.55, 22.6)
#: Largest accepted |scale factor - 1| over the scene (0.1 %).
MAX_SCALE_ERROR = 1e-3
#: Largest accepted angular distortion over the scene, in degrees (conformal CRSs give ~0).
MAX_ANGULAR_DISTORTION_DEG = 0.01

#: A scene whose coordinates all lie within this many metres of a projected CRS's (0, 0)
#: is taken as local engineering coordinates (a toy or a site plan) and used as given.
LOCAL_ORIGIN_M = 100_000.0

LonLatBounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class Distortion:
    """How far a CRS is from distance-true over a scene.

    Attributes
    ----------
    scale_error
        Largest |point scale factor - 1| over the test points (inf when the
        CRS cannot project one of them).
    scale
        The scale factor at the worst point.
    lon, lat
        The worst point, in degrees.
    angular_deg
        Largest angular distortion over the test points, in degrees.
    """

    scale_error: float
    scale: float
    lon: float
    lat: float
    angular_deg: float

    @property
    def ok(self) -> bool:
        """Whether the CRS is conformal and distance-true within the limits."""
        return self.scale_error <= MAX_SCALE_ERROR and self.angular_deg <= (
            MAX_ANGULAR_DISTORTION_DEG
        )

    def describe(self) -> str:
        """One sentence: the scale factor (and angular distortion) at the worst point."""
        if not math.isfinite(self.scale_error):
            return f"it cannot project the point ({self.lon:.4f}°E, {self.lat:.4f}°N)"
        text = (
            f"its scale factor at latitude {self.lat:.2f}° (longitude {self.lon:.2f}°) is "
            f"{self.scale:.4f}, a {100 * self.scale_error:.2f}% distance error "
            f"(the limit is {100 * MAX_SCALE_ERROR:.1f}%)"
        )
        if self.angular_deg > MAX_ANGULAR_DISTORTION_DEG:
            text += f", and it is not conformal (angles distorted by {self.angular_deg:.2f}°)"
        return text


def _test_points(bounds: LonLatBounds) -> tuple[list[float], list[float]]:
    """Corners, edge midpoints and centre of a lon/lat box."""
    w, s, e, n = bounds
    xs = [w, (w + e) / 2, e]
    ys = [s, (s + n) / 2, n]
    lons = [x for x in xs for _ in ys]
    lats = [y for _ in xs for y in ys]
    return lons, lats


def distortion(crs: CRS, bounds: LonLatBounds) -> Distortion:
    """Measure the scale error and angular distortion of `crs` over a lon/lat box."""
    lons, lats = _test_points(bounds)
    try:
        f = Proj(crs).get_factors(lons, lats)
        semi = np.array([f.tissot_semimajor, f.tissot_semiminor], dtype=float)
        angular = np.asarray(f.angular_distortion, dtype=float)
    except Exception:  # pyproj raises several kinds for points it cannot project
        return Distortion(math.inf, math.inf, lons[4], lats[4], math.inf)
    err = np.abs(semi - 1.0)
    err[~np.isfinite(err)] = np.inf
    per_point = err.max(axis=0)
    k = int(np.argmax(per_point))
    worst = int(np.argmax(err[:, k]))
    ang = np.where(np.isfinite(angular), angular, np.inf)
    return Distortion(
        scale_error=float(per_point[k]),
        scale=float(semi[worst, k]),
        lon=float(lons[k]),
        lat=float(lats[k]),
        angular_deg=float(ang.max()),
    )


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


def _is_metric(crs: CRS) -> bool:
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    return bool(crs.is_projected and unit == "metre")


def _inside_hong_kong(bounds: LonLatBounds) -> bool:
    w, s, e, n = HONG_KONG_BOUNDS_LONLAT
    return bounds[0] >= w and bounds[1] >= s and bounds[2] <= e and bounds[3] <= n


def _utm(bounds: LonLatBounds) -> CRS:
    """Return the WGS 84 UTM zone of the box's centre."""
    lon = (bounds[0] + bounds[2]) / 2
    lat = (bounds[1] + bounds[3]) / 2
    lon = (lon + 180.0) % 360.0 - 180.0
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def local_crs(bounds: LonLatBounds) -> CRS:
    """Return the distance-true CRS coverage works in for a lon/lat box.

    EPSG:2326 inside Hong Kong, else the WGS 84 UTM zone of the box's centre,
    else (a scene too wide for its UTM zone) a Transverse Mercator centred on
    the scene whose central scale is lowered to balance the error between
    the centre and the edges. The result may still fail :func:`distortion`
    for a scene hundreds of kilometres wide; callers check.
    """
    if _inside_hong_kong(bounds):
        return HONG_KONG_CRS
    utm = _utm(bounds)
    if distortion(utm, bounds).ok:
        return utm
    lon0 = (bounds[0] + bounds[2]) / 2
    lat0 = (bounds[1] + bounds[3]) / 2

    def tmerc(k0: float) -> CRS:
        return CRS.from_proj4(
            f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k={k0:.8f} +x_0=0 +y_0=0 "
            "+datum=WGS84 +units=m +no_defs"
        )

    # scale 1 on the central meridian, then lowered to split the error between centre and edges
    err = distortion(tmerc(1.0), bounds).scale_error
    return tmerc(1.0 - err / 2) if math.isfinite(err) else tmerc(1.0)


def near_grid_origin(crs: CRS, bounds: LonLatBounds) -> bool:
    """Whether the scene lies within :data:`LOCAL_ORIGIN_M` of the projected CRS's (0, 0).

    National grids and UTM zones put their false origin outside the land they
    serve, so real data never lies there: coordinates near (0, 0) are local
    (engineering) metres typed by hand, and their distances are meant as given.
    """
    if not _is_metric(crs):
        return False
    from pyproj import Transformer

    lons, lats = _test_points(bounds)
    try:
        x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lons, lats)
    except Exception:  # pyproj raises several kinds for points it cannot project
        return False
    xy = np.abs(np.column_stack([x, y]))
    return bool(np.isfinite(xy).all() and (xy <= LOCAL_ORIGIN_M).all())


def _name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    label = f"EPSG:{epsg}" if epsg else crs.to_string()
    return f"{label} ({crs.name})"


def _suggestion(bounds: LonLatBounds) -> str:
    good = local_crs(bounds)
    epsg = good.to_epsg()
    return f"crs='EPSG:{epsg}'" if epsg else f"crs={good.to_proj4()!r}"


def require_distance_true(crs: CRS, bounds: LonLatBounds, *, where: str) -> CRS:
    """Return `crs` if it is metric and distance-true over `bounds`, else raise CRSError."""
    require_metric(crs, where=where)
    d = distortion(crs, bounds)
    if not d.ok and not near_grid_origin(crs, bounds):
        msg = (
            f"{where}: {_name(crs)} is not distance-true over the scene: {d.describe()}. "
            f"Ranges and spacings in metres would be wrong on the ground. Pass "
            f"{_suggestion(bounds)} (the local distance-true CRS) or crs=None to let "
            "coverage choose."
        )
        raise CRSError(msg)
    return crs


def choose_crs(layer_crs: CRS, bounds: LonLatBounds) -> CRS:
    """Pick the working CRS for a scene in lon/lat box `bounds` whose layers use `layer_crs`.

    EPSG:2326 when the scene lies inside Hong Kong; otherwise `layer_crs`
    when it is metric and distance-true over the scene; otherwise the local
    UTM zone (see :func:`local_crs`). Refusing a metric layer CRS is a
    WARNING that names both CRSs and the scale error; every choice is logged.
    """
    if _inside_hong_kong(bounds):
        logger.info("Scene lies inside Hong Kong: using EPSG:2326 (Hong Kong 1980 Grid).")
        return HONG_KONG_CRS
    if _is_metric(layer_crs):
        d = distortion(layer_crs, bounds)
        if d.ok:
            logger.info("Scene uses its layers' metric CRS %s.", _name(layer_crs))
            return layer_crs
        if near_grid_origin(layer_crs, bounds):
            logger.info(
                "Scene coordinates lie within %.0f km of the origin of %s: taken as local "
                "metres and used as given (%s).",
                LOCAL_ORIGIN_M / 1000,
                _name(layer_crs),
                d.describe(),
            )
            return layer_crs
        work = _check_local(local_crs(bounds), bounds)
        logger.warning(
            "The layers' CRS %s is not distance-true over the scene: %s. "
            "The scene is projected to %s to measure true ground distances.",
            _name(layer_crs),
            d.describe(),
            _name(work),
        )
        return work
    work = local_crs(bounds)
    logger.info("Scene CRS estimated as %s.", _name(work))
    return _check_local(work, bounds)


def _check_local(work: CRS, bounds: LonLatBounds) -> CRS:
    """Return the local CRS, or raise CRSError when even it is not distance-true."""
    d = distortion(work, bounds)
    if not d.ok:
        msg = (
            f"The scene spans {bounds[2] - bounds[0]:.2f}° of longitude and "
            f"{bounds[3] - bounds[1]:.2f}° of latitude ({bounds}): no conformal CRS keeps "
            f"distances within {100 * MAX_SCALE_ERROR:.1f}% over it (the best, {_name(work)}: "
            f"{d.describe()}). Plan one city at a time: split the layers, or check for "
            "features far from the others."
        )
        raise CRSError(msg)
    return work
