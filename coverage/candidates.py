"""Candidate sites for new camera sets.

Sites are where a pole could stand: the corridor intersections (and dead
ends), points every ``candidate_spacing_m`` along the corridors, and any
poles the planner already has in mind. Generated sites inside a building or a
privacy zone are dropped; a user pole there is an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from coverage._arrays import offsets_within, repeat_index
from coverage._geometry import Polylines, azimuth_deg
from coverage._sizes import check_points_along
from coverage._validate import check_number, format_rows
from coverage.demand import require_finite_corridors
from coverage.errors import CRSError, InputError, ParameterError
from coverage.scene import district_of

if TYPE_CHECKING:
    from coverage.scene import Scene

__all__ = ["candidate_sites"]

logger = logging.getLogger("coverage")

#: Bearings are rounded to a micro-degree (under a micrometre of arc at 40 m): a street that
#: points due north then stays 0.0 after a reprojection round trip (1e-8 degrees of noise) instead
#: of becoming 359.99999999, which would reorder a pole's bearings and change its rotations.
BEARING_DECIMALS = 6

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _intersections(scene: Scene) -> tuple[FloatArray, list[tuple[float, ...]]]:
    """Graph nodes of degree != 2, and the azimuths of the edges leaving each."""
    g = scene.graph
    node_ids = np.fromiter(g.nodes, dtype=np.int64, count=g.number_of_nodes())
    if len(node_ids) == 0:
        return np.zeros((0, 2)), []
    order = np.argsort(node_ids, kind="stable")
    node_ids = node_ids[order]
    data = g.nodes(data=True)
    node_xy = np.array([(data[n]["x"], data[n]["y"]) for n in node_ids], dtype=float)
    degree = np.array([g.degree(n) for n in node_ids], dtype=np.int64)
    keep = degree != 2
    ne = g.number_of_edges()
    u = np.empty(ne, dtype=np.int64)
    v = np.empty(ne, dtype=np.int64)
    geoms = np.empty(ne, dtype=object)
    for k, (a, b, geom) in enumerate(g.edges(data="geometry")):
        u[k], v[k], geoms[k] = a, b, geom
    sel_xy = node_xy[keep]
    if ne == 0:
        return sel_xy, [() for _ in range(len(sel_xy))]
    ui = np.searchsorted(node_ids, u)
    vi = np.searchsorted(node_ids, v)
    poly = Polylines(geoms)
    # direction at the start (toward the 2nd vertex) and at the end (toward the one before last)
    first, last = poly.first, poly.last
    start_xy = poly.p0[first]
    start_az = azimuth_deg(poly.d[first, 0], poly.d[first, 1])
    end_az = azimuth_deg(-poly.d[last, 0], -poly.d[last, 1])
    # which end of the geometry sits on u
    du = np.hypot(*(start_xy - node_xy[ui]).T)
    dv = np.hypot(*(start_xy - node_xy[vi]).T)
    start_node = np.where(du <= dv, ui, vi)
    end_node = np.where(du <= dv, vi, ui)
    nodes = np.concatenate([start_node, end_node])
    az = np.round(np.concatenate([start_az, end_az]), BEARING_DECIMALS) % 360.0
    # keep the pairs of intersection nodes, grouped by node (position in sel_xy), sorted
    pos = np.cumsum(keep) - 1
    m = keep[nodes]
    nodes, az = pos[nodes[m]], az[m]
    o = np.lexsort((az, nodes))
    nodes, az = nodes[o], az[o]
    cuts = np.searchsorted(nodes, np.arange(1, len(sel_xy)))
    bearings = [tuple(a.tolist()) for a in np.split(az, cuts)]
    return sel_xy, bearings


def _tuples(items: list[tuple[float, ...]]) -> NDArray[np.object_]:
    """Pack tuples in a 1-D object array (numpy would otherwise try to make a 2-D array)."""
    out = np.empty(len(items), dtype=object)
    for i, t in enumerate(items):
        out[i] = t
    return out


def _both_ways(az: FloatArray) -> list[tuple[float, ...]]:
    """Give (a, a + 180) mod 360, sorted, per azimuth: the two directions along a corridor."""
    two = np.sort(np.round(np.column_stack([az, az + 180.0]), BEARING_DECIMALS) % 360.0, axis=1)
    return [(a, b) for a, b in two.tolist()]


def _check_poles(poles: Any, scene: Scene) -> gpd.GeoDataFrame:
    if not isinstance(poles, gpd.GeoDataFrame):
        msg = (
            "The 'poles' parameter of candidate_sites must be a GeoDataFrame of points; got "
            f"{type(poles).__name__}."
        )
        raise TypeError(msg)
    if poles.crs is None:
        msg = (
            "The poles given to candidate_sites have no CRS. Set it with .set_crs(...) and "
            f"project them with .to_crs(scene.crs) ({scene.crs.to_string()})."
        )
        raise CRSError(msg)
    if CRS.from_user_input(poles.crs) != scene.crs:
        msg = (
            f"The poles are in {CRS.from_user_input(poles.crs).to_string()} but the scene is in "
            f"{scene.crs.to_string()}. Project them first: poles.to_crs(scene.crs)."
        )
        raise CRSError(msg)
    geom = poles.geometry.values
    bad = (shapely.get_type_id(geom) != 0) | shapely.is_empty(geom) | shapely.is_missing(geom)
    if bad.any():
        rows = poles.index.to_numpy()[bad].tolist()
        msg = (
            f"The poles given to candidate_sites must be non-empty Points; {int(bad.sum())} "
            f"row(s) are not (rows {format_rows(rows)})."
        )
        raise InputError(msg)
    xy = shapely.get_coordinates(geom)
    nonfinite = ~np.isfinite(xy).all(axis=1)
    if nonfinite.any():
        rows = poles.index.to_numpy()[nonfinite].tolist()
        msg = (
            f"The poles given to candidate_sites have {int(nonfinite.sum())} point(s) with NaN or "
            f"infinite coordinates (rows {format_rows(rows)}). Fix or remove those rows."
        )
        raise InputError(msg)
    _, first, counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        seen = np.zeros(len(xy), dtype=bool)
        seen[first] = True
        rows = poles.index.to_numpy()[~seen].tolist()
        msg = (
            f"The poles given to candidate_sites repeat {len(rows)} position(s) (rows "
            f"{format_rows(rows)} stand exactly on an earlier pole): two sets could be planned on "
            "one pole. Remove the repeated rows (poles.drop_duplicates('geometry'))."
        )
        raise InputError(msg)
    return poles


def _blocked(
    tree: shapely.STRtree, n: int, scene: Scene
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Masks of the `n` points in `tree` inside (or on) a building, and a privacy zone."""
    in_building = np.zeros(n, dtype=bool)
    in_privacy = np.zeros(n, dtype=bool)
    if n == 0:
        return in_building, in_privacy
    if len(scene.buildings):
        in_building[tree.query(scene.buildings.geometry.values, predicate="intersects")[1]] = True
    if len(scene.privacy_zones):
        zones = scene.privacy_zones.geometry.values
        in_privacy[tree.query(zones, predicate="intersects")[1]] = True
    return in_building, in_privacy


def candidate_sites(
    scene: Scene,
    *,
    candidate_spacing_m: float = 25.0,
    intersections: bool = True,
    poles: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites: intersections, points along corridors, and user poles.

    Parameters
    ----------
    scene
        The scene; its corridors, graph, districts, buildings and privacy
        zones are read.
    candidate_spacing_m
        Distance between candidate sites along a corridor, in metres.
    intersections
        Whether to add a site at every node of the corridor graph whose degree
        is not 2 (junctions and dead ends).
    poles
        Extra sites given by the user (Points in ``scene.crs``), e.g. existing
        lamp posts. They are kept as given, after the generated sites.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in ``scene.crs`` with a RangeIndex: first the intersections,
        then the corridor points (corridor by corridor, in order along each),
        then the poles (in the user's order). Columns: ``kind``
        (``"intersection"``, ``"corridor"`` or ``"pole"``), ``district``
        (``""`` outside all districts), ``corridor`` (row label of
        ``scene.corridors``; -1 for intersections and poles) and
        ``bearings_deg`` (sorted tuple of azimuths, degrees clockwise from
        grid north, of the corridors leaving the site).

    Raises
    ------
    coverage.errors.ParameterError
        `candidate_spacing_m` is not a positive number or `intersections` is
        not a bool.
    coverage.errors.CRSError
        `poles` has no CRS or one other than the scene's.
    coverage.errors.InputError
        A pole is not a Point, or stands inside a building or a privacy zone
        (the message names the rows).

    Notes
    -----
    A corridor of length L gets sites at arc lengths ``s, 2s, ...`` (< L),
    ``s = candidate_spacing_m``; a corridor shorter than ``s`` gets one at its
    middle. A corridor site closer than ``s/2`` to an intersection site is
    dropped (the intersection stands for it). Generated sites inside or on
    the boundary of a building or a privacy zone are dropped and the number
    is logged. Intersection bearings point from the node toward the next
    vertex of each edge; a corridor site has the two directions of its
    corridor; a pole has the two directions of the nearest corridor.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> from coverage.scene import Scene
    >>> d = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(-100, -100, 100, 100)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(-50, 0), (50, 0)]),
    ...                                LineString([(0, -50), (0, 50)])], crs=2326)
    >>> sites = candidate_sites(Scene(d, c), candidate_spacing_m=25)
    >>> sorted(sites["kind"].value_counts().items())
    [('corridor', 4), ('intersection', 5)]
    >>> sites.loc[sites.geometry.x.abs() + sites.geometry.y.abs() == 0, "bearings_deg"].item()
    (0.0, 90.0, 180.0, 270.0)
    """
    s = _check_spacing(candidate_spacing_m, intersections)
    if poles is not None:
        poles = _check_poles(poles, scene)
    require_finite_corridors(scene.corridors, "candidate_sites")
    check_points_along(
        np.asarray(shapely.length(scene.corridors.geometry.values), dtype=float),
        s,
        "candidate_spacing_m",
        "candidate_sites",
    )
    ixy, ibear = _intersections(scene) if intersections else (np.zeros((0, 2)), [])
    corridors = scene.corridors
    poly = Polylines(corridors.geometry.values)
    cxy, caz, line = _corridor_points(poly, s, ixy)
    pts, keep = _outside_buildings_and_zones(np.vstack([ixy, cxy]), scene)
    ni = len(ixy)
    kind = np.array(["intersection"] * ni + ["corridor"] * len(cxy), dtype=object)[keep]
    corridor = np.concatenate([np.full(ni, -1, dtype=object), corridors.index.to_numpy()[line]])
    corridor = corridor[keep]
    bearings = _tuples([*ibear, *_both_ways(caz)])[keep]
    if poles is not None and len(poles):
        ppts, pbear = _pole_sites(poles, poly, scene)
        pts = np.concatenate([pts, ppts])
        kind = np.concatenate([kind, np.full(len(ppts), "pole", dtype=object)])
        corridor = np.concatenate([corridor, np.full(len(ppts), -1, dtype=object)])
        bearings = np.concatenate([bearings, pbear])
    if corridors.index.dtype.kind in "iu":
        corridor = corridor.astype(np.int64)
    return gpd.GeoDataFrame(
        {
            "kind": kind,
            "district": district_of(pts, scene.districts),
            "corridor": corridor,
            "bearings_deg": bearings,
        },
        geometry=gpd.GeoSeries(pts, crs=scene.crs).values,
        crs=scene.crs,
    )


def _check_spacing(candidate_spacing_m: Any, intersections: Any) -> float:
    owner = "candidate_sites"
    s = float(
        check_number(candidate_spacing_m, "candidate_spacing_m", owner, low=0.0, low_open=True)
    )
    if not isinstance(intersections, bool | np.bool_):
        msg = (
            f"The 'intersections' parameter of {owner} must be True or False. "
            f"Got {intersections!r} instead."
        )
        raise ParameterError(msg)
    return s


def _corridor_points(
    poly: Polylines, s: float, ixy: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points every `s` along each corridor (its middle when shorter), not near an intersection.

    Returns the points, the azimuth of the corridor at each and the corridor's position.
    """
    length = poly.length
    n = np.maximum(np.ceil(length / s - 1e-9) - 1, 0).astype(np.int64)
    short = n == 0
    n[short] = 1
    line = repeat_index(n)
    offset = (offsets_within(n) + 1.0) * s
    offset[short[line]] = length[line][short[line]] / 2
    cxy, caz = poly.at(line, offset)
    if len(ixy) and len(cxy):
        dist, _ = cKDTree(ixy).query(cxy, distance_upper_bound=s / 2)
        far = dist >= s / 2 - 1e-9
        cxy, caz, line = cxy[far], caz[far], line[far]
    return cxy, caz, line


def _outside_buildings_and_zones(
    gen_xy: FloatArray, scene: Scene
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Points of the generated sites outside buildings and privacy zones, and the kept mask."""
    gen_pts = shapely.points(gen_xy) if len(gen_xy) else np.empty(0, dtype=object)
    in_b, in_p = _blocked(shapely.STRtree(gen_pts), len(gen_xy), scene)
    drop = in_b | in_p
    if drop.any():
        logger.info(
            "candidate_sites: dropped %d generated site(s) inside buildings and %d inside "
            "privacy zones (of %d).",
            int(in_b.sum()),
            int((in_p & ~in_b).sum()),
            len(gen_xy),
        )
    keep = ~drop
    return gen_pts[keep], keep


def _pole_sites(
    poles: gpd.GeoDataFrame, poly: Polylines, scene: Scene
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Check the user's poles and give their bearings (both ways along the nearest corridor).

    A pole inside a building or a privacy zone is an error: nothing given is dropped.
    """
    ppts = np.asarray(poles.geometry.values, dtype=object)
    pb, pp = _blocked(shapely.STRtree(ppts), len(ppts), scene)
    if pb.any() or pp.any():
        rows = poles.index.to_numpy()
        parts = []
        if pb.any():
            parts.append(f"inside a building: rows {format_rows(rows[pb].tolist())}")
        if pp.any():
            parts.append(f"inside a privacy zone: rows {format_rows(rows[pp].tolist())}")
        msg = (
            f"{int((pb | pp).sum())} pole(s) given to candidate_sites stand where no camera "
            f"may go ({'; '.join(parts)}). Move or remove them."
        )
        raise InputError(msg)
    lines = scene.corridors.geometry.values
    p_idx, l_idx = shapely.STRtree(lines).query_nearest(poles.geometry.values, all_matches=False)
    near = np.empty(len(ppts), dtype=np.int64)
    near[p_idx] = l_idx
    t = shapely.line_locate_point(lines[near], poles.geometry.values)
    _, paz = poly.at(near, t)
    return ppts, _tuples(_both_ways(paz))
