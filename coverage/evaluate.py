"""What a plan buys: by district, along corridors, against budget, against another plan.

* :func:`evaluate` — a :class:`Report`: per district sets placed, weighted and
  point coverage before and after, incidents covered (by category), sets per
  km² and per 10,000 residents, privacy-zone area seen; corridor continuity.
* :func:`incident_coverage` — whether each incident location is watched.
* :func:`corridor_continuity` — the longest unobserved stretch of corridor and
  the share of walking routes (landmarks to hotspots) that are watched.
* :func:`coverage_curve` — objective and proven upper bound against budget.
* :func:`compare` — two plans side by side, district by district.

:mod:`coverage.report` turns these into one self-contained HTML page.
"""

from __future__ import annotations

import itertools
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from coverage._validate import check_number
from coverage.camera import CameraSet
from coverage.errors import InputError
from coverage.plan import Plan, best_cover
from coverage.scene import Scene, district_of

__all__ = [
    "Continuity",
    "Report",
    "compare",
    "corridor_continuity",
    "coverage_curve",
    "edge_watch",
    "evaluate",
    "incident_coverage",
    "plan_camera_set",
    "route_ends",
]

#: Label of demand outside every district.
OUTSIDE = "(outside districts)"
#: Label of incidents without a category.
NO_CATEGORY = "(no category)"


@dataclass(frozen=True)
class Continuity:
    """How continuously the corridors are watched.

    Attributes
    ----------
    longest_unwatched_m
        The longest unobserved stretch: over every pair of points joined by
        unwatched corridor only, the largest shortest-walk distance between
        them inside the unwatched corridor (the diameter of the unwatched
        corridor network). See :func:`corridor_continuity`.
    longest_unwatched_ends
        ``((x0, y0), (x1, y1))``: the two ends of that stretch (None if every
        metre is watched).
    largest_unwatched_network_m
        Total length of the largest connected piece of unwatched corridor.
    corridor_length_m, watched_length_m
        Length of the corridor graph and how much of it is watched.
    routes
        One row per landmark–hotspot route: ``origin``, ``target`` (names),
        ``length_m``, ``watched_m``, ``watched_share``, ``watched`` (share >=
        the threshold).
    share_routes_watched
        Share of the routes watched for at least ``threshold`` of their length
        (NaN without routes).
    threshold
        The share of its length a route needs watched to count.
    """

    longest_unwatched_m: float
    longest_unwatched_ends: tuple[tuple[float, float], tuple[float, float]] | None
    largest_unwatched_network_m: float
    corridor_length_m: float
    watched_length_m: float
    routes: pd.DataFrame = field(repr=False)
    share_routes_watched: float
    threshold: float

    def as_dict(self) -> dict[str, float]:
        """The headline figures as a flat dict."""
        return {
            "longest_unwatched_m": self.longest_unwatched_m,
            "largest_unwatched_network_m": self.largest_unwatched_network_m,
            "corridor_length_m": self.corridor_length_m,
            "watched_length_m": self.watched_length_m,
            "routes": float(len(self.routes)),
            "routes_watched": float(self.routes["watched"].sum()) if len(self.routes) else 0.0,
            "share_routes_watched": self.share_routes_watched,
            "route_threshold": self.threshold,
        }


@dataclass(frozen=True)
class Report:
    """Coverage of a plan.

    Attributes
    ----------
    districts
        One row per district (and one for demand outside every district, if
        any): ``district``, ``sets_new``, ``sets_existing``,
        ``demand_points``, ``weight_total``, ``weight_covered``,
        ``weighted_coverage`` (share of demand weight watched),
        ``point_coverage`` (share of demand points watched) and the same two
        shares ``*_before`` (existing sets only); ``incidents``,
        ``incidents_covered_before``, ``incidents_covered``,
        ``incident_coverage``; ``area_km2``, ``sets_per_km2`` (new and
        existing), ``sets_per_10k_residents`` (NaN without a ``population``
        column); ``privacy_seen_m2`` and ``privacy_seen_before_m2`` (area of
        privacy zones inside the view of the district's sets).
    total
        The same figures for the whole scene, plus ``objective``,
        ``upper_bound``, ``gap`` and the continuity figures.
    incidents
        Incidents per district and category: ``district``, ``category``,
        ``incidents``, ``covered_before``, ``covered``, ``coverage``.
    continuity
        :class:`Continuity`, or None when not computed.
    """

    districts: pd.DataFrame
    total: dict[str, Any] = field(default_factory=dict)
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    continuity: Continuity | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        t = self.total
        return (
            f"Report({len(self.districts)} districts; weighted coverage "
            f"{t['weighted_coverage_before']:.1%} -> {t['weighted_coverage']:.1%}, "
            f"points {t['point_coverage_before']:.1%} -> {t['point_coverage']:.1%}; "
            f"gap {t['gap']:.3%})"
        )


# ----------------------------------------------------------------------------- helpers


def _xy(geoms: Any) -> NDArray[np.float64]:
    return shapely.get_coordinates(np.asarray(getattr(geoms, "values", geoms))).astype(np.float64)


def _share(num: Any, den: Any) -> NDArray[np.float64]:
    n = np.asarray(num, dtype=float)
    d = np.asarray(den, dtype=float)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)


def plan_camera_set(plan: Plan, camera: CameraSet | None = None) -> CameraSet:
    """The camera set a plan was solved with.

    `camera` when given; else ``plan.meta["camera_set"]`` (every plan from
    :func:`coverage.plan.solve` records it); else a binary set built from the
    plan's ``hfov_deg``, ``range_m`` and the first new set's headings.
    """
    if camera is not None:
        if not isinstance(camera, CameraSet):
            msg = f"The 'camera' parameter must be a coverage.CameraSet. Got {type(camera)!r}."
            raise TypeError(msg)
        return camera
    meta = getattr(plan, "meta", {}) or {}
    if isinstance(meta.get("camera_set"), CameraSet):
        return meta["camera_set"]
    cams = plan.cameras
    heads = list(cams["headings_deg"]) if len(cams) else []
    new = cams["status"].astype(str).to_numpy() == "new" if len(cams) else np.zeros(0, bool)
    ref = heads[int(np.flatnonzero(new)[0])] if new.any() else (heads[0] if heads else (0.0,))
    ref = tuple(float(h) for h in ref) or (0.0,)
    rel = tuple((h - ref[0]) % 360.0 for h in ref)
    hfov = float(cams["hfov_deg"].iloc[0]) if len(cams) else 90.0
    rng_m = float(cams["range_m"].iloc[0]) if len(cams) else 40.0
    return CameraSet(cameras=len(rel), hfov_deg=hfov, range_m=rng_m, relative_headings_deg=rel)


def _set_offsets(plan: Plan, cs: CameraSet) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Orientation offset and camera count of every set of the plan.

    ``coverage_matrix`` turns an existing set with ``c`` cameras and heading
    ``h`` to ``h + rel`` when ``c`` equals the model's camera count (``rel``:
    the model's relative headings) and to ``h + k * 360 / c`` otherwise; so
    the offset that reproduces a set's recorded headings is its first heading
    minus ``rel[0]`` in the first case and the first heading in the second.
    """
    rel0 = float(cs.relative_headings_deg[0])  # type: ignore[index]
    k = cs.n_cameras
    heads = list(plan.cameras["headings_deg"])
    counts = np.array([max(len(h), 1) for h in heads], dtype=np.int64)
    first = np.array([float(h[0]) if len(h) else 0.0 for h in heads])
    off = np.where(counts == k, np.mod(first - rel0, 360.0), first)
    return off, counts


def _occlusion(plan: Plan) -> bool:
    return bool((getattr(plan, "meta", {}) or {}).get("occlusion", True))


def _status(plan: Plan) -> NDArray[np.bool_]:
    """True for the new sets of the plan."""
    return plan.cameras["status"].astype(str).to_numpy() == "new"


# ----------------------------------------------------------------------------- incidents


def incident_coverage(
    scene: Scene, plan: Plan, *, camera: CameraSet | None = None
) -> gpd.GeoDataFrame:
    """Whether each incident location is watched, before and after the plan.

    The incidents (``scene.hotspots`` points) are the demand of a fresh
    :func:`coverage.matrix.coverage_matrix` in which every set of the plan,
    existing and new, is an installed set at its position and orientation;
    buildings block views when the plan was solved with occlusion, and an
    incident inside a privacy zone is never watched (as for demand).

    Parameters
    ----------
    scene
        The scene the plan was made for.
    plan
        The plan.
    camera
        The camera set model; None: the plan's (see :func:`plan_camera_set`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per incident, aligned to ``scene.hotspots``: ``district``,
        ``category``, ``weight``, ``quality_before`` and ``quality`` (best view
        quality from existing / all sets), ``covered_before``, ``covered``.
        Empty when the scene's hotspots are not points.
    """
    from coverage.matrix import coverage_matrix

    hs = scene.hotspots
    cols = ["district", "category", "weight", "quality_before", "quality"]
    if scene.hotspot_kind != "points" or len(hs) == 0:
        empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=scene.crs)
        empty["covered_before"] = np.zeros(0, dtype=bool)
        empty["covered"] = np.zeros(0, dtype=bool)
        return empty
    cs = plan_camera_set(plan, camera)
    pts = _xy(hs.geometry)
    cams = plan.cameras
    quality = np.zeros(len(hs))
    before = np.zeros(len(hs))
    if len(cams):
        off, counts = _set_offsets(plan, cs)
        cm = coverage_matrix(
            np.zeros((0, 2)),
            pts,
            cs,
            buildings=scene.buildings.geometry.values
            if _occlusion(plan) and len(scene.buildings)
            else None,
            privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
            existing_xy=_xy(cams.geometry),
            existing_heading_deg=off,
            existing_cameras=counts,
        )
        rows = cm.fixed  # one per set, in plan.cameras order
        quality, _ = best_cover(cm, rows)
        before, _ = best_cover(cm, rows[~_status(plan)])
    category = (
        hs["category"].astype(str).replace("", NO_CATEGORY).to_numpy()
        if "category" in hs.columns
        else np.full(len(hs), NO_CATEGORY, dtype=object)
    )
    weight = hs["weight"].to_numpy(dtype=float) if "weight" in hs.columns else np.ones(len(hs))
    district = district_of(hs.geometry.values, scene.districts)
    out = gpd.GeoDataFrame(
        {
            "district": np.where(district == "", OUTSIDE, district),
            "category": category,
            "weight": weight,
            "quality_before": before,
            "quality": quality,
            "covered_before": before > 0,
            "covered": quality > 0,
        },
        geometry=hs.geometry.values,
        crs=scene.crs,
        index=hs.index,
    )
    return out


def _incident_tables(inc: gpd.GeoDataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per district counts aligned to names, per district × category table)."""
    frame = pd.DataFrame(
        {
            "district": inc["district"].to_numpy(),
            "category": inc["category"].to_numpy(),
            "incidents": 1,
            "covered_before": inc["covered_before"].to_numpy(dtype=np.int64),
            "covered": inc["covered"].to_numpy(dtype=np.int64),
        }
    )
    per = frame.groupby("district", sort=False)[["incidents", "covered_before", "covered"]].sum()
    per = per.reindex(names, fill_value=0)
    long = (
        frame.groupby(["district", "category"], sort=True)[
            ["incidents", "covered_before", "covered"]
        ]
        .sum()
        .reset_index()
    )
    order = {n: i for i, n in enumerate(names)}
    long["_o"] = long["district"].map(order).fillna(len(names))
    long = long.sort_values(["_o", "category"], kind="stable").drop(columns="_o")
    long = long.reset_index(drop=True)
    long["coverage"] = _share(long["covered"], long["incidents"])
    return per, long


# ----------------------------------------------------------------------------- privacy


def _privacy_seen(
    scene: Scene, plan: Plan, cs: CameraSet, names: list[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Privacy-zone area (m²) inside the union of views of each district's sets (all, existing)."""
    from coverage.visibility import view_sectors

    after = np.zeros(len(names))
    before = np.zeros(len(names))
    zones = scene.privacy_zones.geometry.values
    cams = plan.cameras
    if len(zones) == 0 or len(cams) == 0:
        return after, before
    xy = _xy(cams.geometry)
    near = np.unique(
        shapely.STRtree(zones).query(
            shapely.points(xy),
            predicate="dwithin",
            distance=float(cs.range_m),  # type: ignore[arg-type]
        )[0]
    )
    if near.size == 0:
        return after, before
    heads = list(cams["headings_deg"])
    bld = scene.buildings.geometry.values if _occlusion(plan) and len(scene.buildings) else None
    counts = np.array([len(heads[i]) for i in near], dtype=np.int64)
    views = np.full(near.size, None, dtype=object)
    for c in np.unique(counts[counts > 0]):  # sets with the same number of cameras together
        sel = np.flatnonzero(counts == c)
        H = np.array([heads[i] for i in near[sel]], dtype=np.float64).reshape(sel.size, int(c))
        wedges = np.asarray(view_sectors(xy[near[sel]], H, cs, buildings=bld)).reshape(sel.size, -1)
        views[sel] = shapely.union_all(wedges, axis=1)
    zone_union = shapely.union_all(zones)
    district = cams["district"].astype(str).replace("", OUTSIDE).to_numpy()[near]
    new = _status(plan)[near]
    pos = {n: i for i, n in enumerate(names)}
    for d in np.unique(district):
        i = pos.get(str(d))
        if i is None:
            continue
        sel = district == d
        after[i] = shapely.area(shapely.intersection(shapely.union_all(views[sel]), zone_union))
        if (sel & ~new).any():
            before[i] = shapely.area(
                shapely.intersection(shapely.union_all(views[sel & ~new]), zone_union)
            )
    return after, before


# ----------------------------------------------------------------------------- evaluate


def evaluate(
    scene: Scene,
    plan: Plan,
    *,
    camera: CameraSet | None = None,
    continuity: bool = True,
    route_threshold: float = 0.8,
    n_landmarks: int = 10,
    n_hotspots: int = 10,
) -> Report:
    """Coverage by district, before (existing sets) and after the plan.

    Parameters
    ----------
    scene
        The scene the plan was made for.
    plan
        The plan.
    camera
        The camera set model (for incidents and privacy); None: the plan's.
    continuity
        Also compute :func:`corridor_continuity` (``Report.continuity``).
    route_threshold, n_landmarks, n_hotspots
        Passed to :func:`corridor_continuity`.

    Returns
    -------
    Report

    Notes
    -----
    ``area_km2`` is the area of the district polygon; administrative
    districts that include sea (Hong Kong's do) have low densities per km².
    An incident counts as covered when a set of the plan sees its location
    (:func:`incident_coverage`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> report = cov.evaluate(scene, plan)
    >>> report.districts[["district", "sets_new", "weighted_coverage"]].round(3).values.tolist()
    [['D', 2, 0.6]]
    >>> report.total["longest_unwatched_m"]  # sets at x = 125 and 225 leave x = 0..80 unwatched
    80.0
    """
    demand = plan.demand
    w = demand["weight"].to_numpy(dtype=float)
    after = demand["quality"].to_numpy(dtype=float)
    before, _ = best_cover(plan.matrix, plan.matrix.fixed)
    district = demand["district"].replace("", OUTSIDE).to_numpy()
    frame = pd.DataFrame(
        {
            "district": district,
            "w": w,
            "wq": w * after,
            "wq0": w * before,
            "pt": after > 0,
            "pt0": before > 0,
        }
    )
    g = frame.groupby("district", sort=False)
    names = [str(n) for n in scene.districts["name"]]
    cams = plan.cameras
    cam_district = cams["district"].astype(str).replace("", OUTSIDE)
    inc = incident_coverage(scene, plan, camera=camera)
    if (
        (district == OUTSIDE).any()
        or (cam_district == OUTSIDE).any()
        or (inc["district"] == OUTSIDE).any()
    ):
        names.append(OUTSIDE)
    agg = pd.DataFrame(
        {
            "demand_points": g.size(),
            "weight_total": g["w"].sum(),
            "weight_covered": g["wq"].sum(),
            "weight_covered_before": g["wq0"].sum(),
            "points_covered": g["pt"].sum(),
            "points_covered_before": g["pt0"].sum(),
        }
    ).reindex(names, fill_value=0)
    new = cam_district[_status(plan)].value_counts()
    old = cam_district[cams["status"].astype(str) == "existing"].value_counts()
    table = pd.DataFrame({"district": names})
    table["sets_new"] = new.reindex(names, fill_value=0).to_numpy().astype(np.int64)
    table["sets_existing"] = old.reindex(names, fill_value=0).to_numpy().astype(np.int64)
    for col in agg.columns:
        table[col] = agg[col].to_numpy()
    table["demand_points"] = table["demand_points"].astype(np.int64)
    table["weighted_coverage"] = _share(table["weight_covered"], table["weight_total"])
    table["weighted_coverage_before"] = _share(
        table["weight_covered_before"], table["weight_total"]
    )
    table["point_coverage"] = _share(table["points_covered"], table["demand_points"])
    table["point_coverage_before"] = _share(table["points_covered_before"], table["demand_points"])
    per_inc, inc_long = _incident_tables(inc, names)
    table["incidents"] = per_inc["incidents"].to_numpy(dtype=np.int64)
    table["incidents_covered_before"] = per_inc["covered_before"].to_numpy(dtype=np.int64)
    table["incidents_covered"] = per_inc["covered"].to_numpy(dtype=np.int64)
    table["incident_coverage"] = _share(table["incidents_covered"], table["incidents"])
    area = shapely.area(scene.districts.geometry.values) / 1e6
    area_km2 = np.append(area, np.nan) if len(names) > len(area) else area
    table["area_km2"] = area_km2
    sets = (table["sets_new"] + table["sets_existing"]).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["sets_per_km2"] = np.where(area_km2 > 0, sets / area_km2, np.nan)
        if "population" in scene.districts.columns:
            pop = scene.districts["population"].to_numpy(dtype=float)
            pop = np.append(pop, np.nan) if len(names) > len(pop) else pop
            table["sets_per_10k_residents"] = np.where(pop > 0, sets / pop * 1e4, np.nan)
        else:
            table["sets_per_10k_residents"] = np.nan
    cs = plan_camera_set(plan, camera)
    seen, seen0 = _privacy_seen(scene, plan, cs, names)
    table["privacy_seen_before_m2"] = seen0
    table["privacy_seen_m2"] = seen
    tw = float(w.sum())
    n_inc = len(inc)
    total: dict[str, Any] = {
        "sets_new": int(table["sets_new"].sum()),
        "sets_existing": int(table["sets_existing"].sum()),
        "demand_points": len(demand),
        "weight_total": tw,
        "weight_covered": float((w * after).sum()),
        "weighted_coverage": float((w * after).sum() / tw) if tw > 0 else 0.0,
        "weighted_coverage_before": float((w * before).sum() / tw) if tw > 0 else 0.0,
        "point_coverage": float((after > 0).mean()) if len(demand) else 0.0,
        "point_coverage_before": float((before > 0).mean()) if len(demand) else 0.0,
        "incidents": n_inc,
        "incidents_covered_before": int(inc["covered_before"].sum()),
        "incidents_covered": int(inc["covered"].sum()),
        "incident_coverage": float(inc["covered"].mean()) if n_inc else 0.0,
        "privacy_seen_m2": float(table["privacy_seen_m2"].sum()),
        "objective": plan.objective,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
    }
    cont = None
    if continuity:
        cont = corridor_continuity(
            scene,
            plan,
            threshold=route_threshold,
            n_landmarks=n_landmarks,
            n_hotspots=n_hotspots,
        )
        total.update(cont.as_dict())
    return Report(districts=table, total=total, incidents=inc_long, continuity=cont)


# ----------------------------------------------------------------------------- continuity


@dataclass(frozen=True)
class _Runs:
    """Maximal runs of one watch status along each graph edge."""

    edge: NDArray[np.int64]  # edge position in the edge list
    lo: NDArray[np.float64]  # metres from the edge's start node
    hi: NDArray[np.float64]
    watched: NDArray[np.bool_]
    edges: pd.DataFrame  # u, v, corridor, length_m, start (node at 0 m), end (node at length_m)
    geoms: NDArray[np.object_]
    node_xy: dict[int, tuple[float, float]]


def _edge_runs(scene: Scene, plan: Any, min_quality: float) -> _Runs:
    G = scene.graph
    rows = list(G.edges(data=True))
    u = np.array([r[0] for r in rows], dtype=np.int64)
    v = np.array([r[1] for r in rows], dtype=np.int64)
    geoms = np.array([r[2]["geometry"] for r in rows], dtype=object)
    length = np.array([float(r[2]["length_m"]) for r in rows], dtype=np.float64)
    corridor = np.array([r[2].get("corridor", -1) for r in rows], dtype=np.int64)
    node_xy = {int(n): (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
    n_e = len(rows)
    # which end node sits at the start of each edge's geometry
    start = np.zeros(n_e, dtype=np.int64)
    end = np.zeros(n_e, dtype=np.int64)
    if n_e:
        s_xy = shapely.get_coordinates(shapely.get_point(geoms, 0))
        uxy = np.array([node_xy[int(n)] for n in u])
        vxy = np.array([node_xy[int(n)] for n in v])
        flip = np.hypot(*(s_xy - uxy).T) > np.hypot(*(s_xy - vxy).T)
        start, end = np.where(flip, v, u), np.where(flip, u, v)
    edges = pd.DataFrame(
        {"u": u, "v": v, "corridor": corridor, "length_m": length, "start": start, "end": end}
    )
    d = plan.demand
    pts = np.asarray(d.geometry.values, dtype=object)
    watched = d["quality"].to_numpy(dtype=float) > min_quality
    glen = shapely.length(geoms) if n_e else np.zeros(0)
    scale = np.divide(length, glen, out=np.ones_like(length), where=glen > 0)
    if n_e and len(pts):
        pi, ei = shapely.STRtree(geoms).query_nearest(pts, all_matches=True)
        dc = d["corridor"].to_numpy() if "corridor" in d.columns else np.full(len(pts), -2)
        mismatch = (corridor[ei] != dc[pi]).astype(np.int64)
        order = np.lexsort((ei, mismatch, pi))  # per point: same corridor first, then lowest edge
        pi, ei = pi[order], ei[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        pe = np.full(len(pts), -1, dtype=np.int64)
        pe[pi[first]] = ei[first]
        ok = pe >= 0
        pidx = np.flatnonzero(ok)
        pe = pe[ok]
        t = shapely.line_locate_point(geoms[pe], pts[pidx]) * scale[pe]
        o = np.lexsort((pidx, t, pe))
        pe, t, pw = pe[o], t[o], watched[pidx[o]]
        same_prev = np.r_[False, pe[1:] == pe[:-1]]
        same_next = np.r_[pe[1:] == pe[:-1], False]
        lo = np.where(same_prev, (np.r_[0.0, t[:-1]] + t) / 2.0, 0.0)
        hi = np.where(same_next, (t + np.r_[t[1:], 0.0]) / 2.0, length[pe])
    else:
        pe = np.zeros(0, dtype=np.int64)
        lo = hi = np.zeros(0)
        pw = np.zeros(0, dtype=bool)
    # edges with no demand point take the status of the demand point nearest their midpoint
    bare = np.setdiff1d(np.arange(n_e), pe)
    if bare.size:
        if len(pts):
            mids = shapely.line_interpolate_point(geoms[bare], 0.5, normalized=True)
            bi, di = shapely.STRtree(pts).query_nearest(mids, all_matches=True)
            o = np.lexsort((di, bi))
            bi, di = bi[o], di[o]
            f = np.r_[True, bi[1:] != bi[:-1]]
            bw = np.zeros(bare.size, dtype=bool)
            bw[bi[f]] = watched[di[f]]
        else:
            bw = np.zeros(bare.size, dtype=bool)
        pe = np.r_[pe, bare]
        lo = np.r_[lo, np.zeros(bare.size)]
        hi = np.r_[hi, length[bare]]
        pw = np.r_[pw, bw]
    o = np.lexsort((lo, pe))
    pe, lo, hi, pw = pe[o], lo[o], hi[o], pw[o]
    if pe.size:
        new_run = np.r_[True, (pe[1:] != pe[:-1]) | (pw[1:] != pw[:-1])]
        s = np.flatnonzero(new_run)
        pe, pw = pe[s], pw[s]
        lo, hi = np.minimum.reduceat(lo, s), np.maximum.reduceat(hi, s)
    return _Runs(pe, lo, hi, pw, edges, geoms, node_xy)


def edge_watch(scene: Scene, plan: Any, *, min_quality: float = 0.0) -> pd.DataFrame:
    """Watched length of every edge of the corridor graph.

    Each demand point stands for the part of its graph edge closer to it
    than to any other demand point on that edge (its edge: the nearest, on
    the same corridor when there is a tie); that part is watched when the
    point's ``quality`` exceeds `min_quality`. An edge with no demand point
    (shorter than the demand spacing) takes the status of the demand point
    nearest its midpoint.

    Returns
    -------
    pandas.DataFrame
        One row per edge of ``scene.graph`` (in ``graph.edges`` order):
        ``u``, ``v``, ``corridor``, ``length_m``, ``watched_m``.

    Examples
    --------
    >>> import geopandas as gpd, types
    >>> from shapely.geometry import LineString, Point
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]},
    ...     geometry=[LineString([(0, 0), (0, 1)]).buffer(500)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (40, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> demand = gpd.GeoDataFrame({"quality": [1.0, 0, 0, 1.0], "corridor": 0},
    ...     geometry=[Point(x, 0) for x in (5, 15, 25, 35)], crs=2326)
    >>> edge_watch(scene, types.SimpleNamespace(demand=demand))["watched_m"].tolist()
    [20.0]
    """
    r = _edge_runs(scene, plan, min_quality)
    out = r.edges[["u", "v", "corridor", "length_m"]].copy()
    w = np.bincount(r.edge[r.watched], weights=(r.hi - r.lo)[r.watched], minlength=len(out)).astype(
        np.float64
    )
    out["watched_m"] = np.minimum(w, out["length_m"].to_numpy())
    return out


def _unwatched_network(
    r: _Runs,
) -> tuple[float, tuple[tuple[float, float], tuple[float, float]] | None, float]:
    """(diameter, its end points, largest component length) of the unwatched runs."""
    sel = ~r.watched
    if not sel.any():
        return 0.0, None, 0.0
    e, lo, hi = r.edge[sel], r.lo[sel], r.hi[sel]
    L = r.edges["length_m"].to_numpy()[e]
    n_nodes = max(r.node_xy, default=-1) + 1
    eps = 1e-6
    at_start = lo <= eps
    at_end = hi >= L - eps
    a = np.where(at_start, r.edges["start"].to_numpy()[e], -1)
    b = np.where(at_end, r.edges["end"].to_numpy()[e], -1)
    # virtual nodes where a run ends inside an edge
    xy: dict[int, tuple[float, float]] = dict(r.node_xy)
    nxt = n_nodes
    geoms = r.geoms[e]
    glen = shapely.length(geoms)
    for arr, pos, mask in ((a, lo, ~at_start), (b, hi, ~at_end)):
        idx = np.flatnonzero(mask)
        if idx.size:
            ids = nxt + np.arange(idx.size)
            nxt += idx.size
            arr[idx] = ids
            frac = np.divide(pos[idx], L[idx], out=np.zeros(idx.size), where=L[idx] > 0)
            p = shapely.get_coordinates(
                shapely.line_interpolate_point(geoms[idx], frac * glen[idx])
            )
            xy.update({int(i): (float(x), float(y)) for i, (x, y) in zip(ids, p, strict=True)})
    length = np.maximum(hi - lo, 0.0)
    used = np.unique(np.r_[a, b])
    loc = np.searchsorted(used, a), np.searchsorted(used, b)
    n = used.size
    ia, ib = loc
    # symmetric graph, shortest parallel run kept
    lo_i, hi_i = np.minimum(ia, ib), np.maximum(ia, ib)
    o = np.lexsort((length, hi_i, lo_i))
    lo_i, hi_i, ln = lo_i[o], hi_i[o], length[o]
    keep = np.r_[True, (lo_i[1:] != lo_i[:-1]) | (hi_i[1:] != hi_i[:-1])] & (lo_i != hi_i)
    lo_i, hi_i, ln = lo_i[keep], hi_i[keep], np.maximum(ln[keep], 1e-9)
    M = coo_array((np.r_[ln, ln], (np.r_[lo_i, hi_i], np.r_[hi_i, lo_i])), shape=(n, n)).tocsr()
    n_comp, label = connected_components(M, directed=False)
    comp_len = np.bincount(label[ia], weights=length, minlength=n_comp)
    comp_edges = np.bincount(label[lo_i], minlength=n_comp)
    comp_nodes = np.bincount(label, minlength=n_comp)
    best, ends = 0.0, (int(ia[0]), int(ia[0]))
    for c in np.argsort(-comp_len, kind="stable"):
        if comp_len[c] <= best:
            break
        nodes = np.flatnonzero(label == c)
        sub = M[nodes][:, nodes]
        if comp_edges[c] == comp_nodes[c] - 1:  # a tree: two sweeps find the diameter
            d0 = dijkstra(sub, directed=False, indices=0)
            x = int(np.argmax(d0))
            d1 = dijkstra(sub, directed=False, indices=x)
            y = int(np.argmax(d1))
            if d1[y] > best:
                best, ends = float(d1[y]), (int(nodes[x]), int(nodes[y]))
            continue
        d, i, j = _diameter(sub)
        if d > best:
            best, ends = d, (int(nodes[i]), int(nodes[j]))
    pair = (xy[int(used[ends[0]])], xy[int(used[ends[1]])])
    return best, pair, float(comp_len.max(initial=0.0))


def _diameter(sub: Any) -> tuple[float, int, int]:
    """Exact weighted diameter of a connected graph and its two ends (bounding diameters).

    Eccentricity bounds from each Dijkstra run (Takes & Kosters 2011):
    ``ecc(w) >= max(ecc(v) - d(v, w), d(v, w))`` and ``ecc(w) <= ecc(v) + d(v, w)``.
    Nodes whose upper bound cannot beat the best eccentricity found are
    dropped (every lower bound is at most that best); the search alternates
    between the largest upper and the smallest lower bound.
    """
    n = sub.shape[0]
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    alive = np.ones(n, dtype=bool)
    best, ends = 0.0, (0, 0)
    high = True
    while alive.any():
        cand = np.flatnonzero(alive)
        v = int(cand[np.argmax(hi[cand])] if high else cand[np.argmin(lo[cand])])
        high = not high
        d = dijkstra(sub, directed=False, indices=v)
        far = int(np.argmax(d))
        ecc = float(d[far])
        if ecc > best:
            best, ends = ecc, (v, far)
        lo = np.maximum(lo, np.maximum(ecc - d, d))
        hi = np.minimum(hi, ecc + d)
        alive[v] = False
        alive &= hi > best + 1e-9
    return best, ends[0], ends[1]


def _top_separated(
    xy: NDArray[np.float64], score: NDArray[np.float64], n: int, separation_m: float
) -> NDArray[np.int64]:
    """Up to `n` indices by descending score (ties by index), each separation_m apart."""
    order = np.lexsort((np.arange(len(score)), -score))
    picked: list[int] = []
    for i in order:
        if score[i] <= 0 and picked:
            break
        if all(np.hypot(*(xy[i] - xy[j])) >= separation_m for j in picked):
            picked.append(int(i))
            if len(picked) == n:
                break
    return np.asarray(picked, dtype=np.int64)


def _main_nodes(G: nx.Graph) -> tuple[NDArray[np.int64], cKDTree | None]:
    """Node ids of the largest connected piece of `G` (ties: lowest node id) and their k-d tree."""
    if G.number_of_nodes() == 0:
        return np.zeros(0, dtype=np.int64), None
    main = max(nx.connected_components(G), key=lambda c: (len(c), -min(c)))
    ids = np.array(sorted(main), dtype=np.int64)
    xy = np.array([(G.nodes[int(i)]["x"], G.nodes[int(i)]["y"]) for i in ids], dtype=float)
    return ids, cKDTree(xy)


def route_ends(
    scene: Scene,
    plan: Any,
    *,
    n_landmarks: int = 10,
    n_hotspots: int = 10,
    separation_m: float = 300.0,
    max_snap_m: float = 250.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The landmarks and hotspots that walking routes join.

    Only places within `max_snap_m` of a node of the corridor graph's largest
    connected piece count. Landmarks: up to `n_landmarks` of
    ``scene.landmarks`` by ``weight``; hotspots: up to `n_hotspots` locations
    of highest incident density (``hotspot_risk`` at the incidents), of
    highest polygon intensity (polygon hotspots, centroids) or, with no
    hotspots, of highest demand weight. Both are picked greedily by score
    (ties by row), each at least `separation_m` from those already picked.

    Returns
    -------
    (landmarks, hotspots)
        Frames with ``name``, ``x``, ``y``, ``score``.
    """
    _, tree = _main_nodes(scene.graph)

    def near(xy: NDArray[np.float64]) -> NDArray[np.bool_]:
        if tree is None or len(xy) == 0:
            return np.zeros(len(xy), dtype=bool)
        d, _ = tree.query(xy)
        return np.asarray(d <= max_snap_m)

    def pick(xy: NDArray[np.float64], score: NDArray[np.float64], n: int) -> NDArray[np.int64]:
        ok = np.flatnonzero(near(xy))
        if ok.size == 0 or n == 0:
            return np.zeros(0, dtype=np.int64)
        return ok[_top_separated(xy[ok], score[ok], n, separation_m)]

    lm = scene.landmarks
    lmk = pd.DataFrame({"name": [], "x": [], "y": [], "score": []})
    if len(lm):
        p = _xy(lm.geometry)
        score = lm["weight"].to_numpy(dtype=float) if "weight" in lm.columns else np.ones(len(lm))
        o = pick(p, score, n_landmarks)
        raw = lm["name"].astype(str).to_numpy() if "name" in lm.columns else np.full(len(lm), "")
        names = [raw[i] if raw[i] else f"landmark {i + 1}" for i in o]
        if o.size:
            lmk = pd.DataFrame({"name": names, "x": p[o, 0], "y": p[o, 1], "score": score[o]})
    kind = scene.hotspot_kind
    if kind == "points":
        from coverage.demand import hotspot_risk

        p = _xy(scene.hotspots.geometry)
        bw = float((getattr(plan, "meta", {}) or {}).get("bandwidth_m", 150.0))
        score = np.asarray(hotspot_risk(p, scene, bandwidth_m=bw), dtype=float)
    elif kind == "polygons":
        p = _xy(shapely.centroid(scene.hotspots.geometry.values))
        score = scene.hotspots["intensity"].to_numpy(dtype=float)
    else:
        p = _xy(plan.demand.geometry)
        score = plan.demand["weight"].to_numpy(dtype=float)
    h = pick(p, score, n_hotspots)
    hot = pd.DataFrame(
        {
            "name": [f"hotspot {k + 1}" for k in range(h.size)],
            "x": p[h, 0] if h.size else [],
            "y": p[h, 1] if h.size else [],
            "score": score[h] if h.size else [],
        }
    )
    return lmk, hot


def corridor_continuity(
    scene: Scene,
    plan: Any,
    *,
    threshold: float = 0.8,
    n_landmarks: int = 10,
    n_hotspots: int = 10,
    separation_m: float = 300.0,
    max_snap_m: float = 250.0,
    min_quality: float = 0.0,
) -> Continuity:
    """How continuously the corridors are watched.

    Parameters
    ----------
    scene
        The scene (its corridor graph, landmarks, hotspots).
    plan
        A plan, or anything with a ``demand`` frame of points with
        ``quality`` (and ``corridor``, ``weight`` where used).
    threshold
        Share of its length a route needs watched to count as watched.
    n_landmarks, n_hotspots, separation_m, max_snap_m
        Route ends (see :func:`route_ends`).
    min_quality
        A demand point is watched when its quality exceeds this.

    Returns
    -------
    Continuity

    Notes
    -----
    *Watched corridor.* Every edge of ``scene.graph`` is cut into pieces,
    one per demand point on it (the part closer to that point than to any
    other on the edge); a piece is watched when its point is (see
    :func:`edge_watch`).

    *Longest unobserved stretch.* The unwatched pieces form a network (they
    join at graph nodes and run on along an edge). Between two points of it,
    the stretch is the shortest walk that stays inside unwatched corridor;
    the longest such stretch is the network's diameter, over the ends of its
    pieces (exact: two sweeps on a tree, Dijkstra from every end otherwise).
    It is how far someone can walk, by the shortest unobserved way, without
    being seen. ``largest_unwatched_network_m`` is the total length of the
    largest connected unwatched network.

    *Routes.* Each landmark is joined to each hotspot (without landmarks:
    each pair of hotspots) by the shortest walk on the graph (networkx
    Dijkstra on ``length_m``), ends snapped to the nearest node of the
    largest connected piece of the graph; its watched share is the watched
    length of its edges over its length. Routes whose ends snap to one node
    are left out.

    Examples
    --------
    >>> import geopandas as gpd, types
    >>> from shapely.geometry import LineString, Point
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]},
    ...     geometry=[LineString([(0, 0), (0, 1)]).buffer(500)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (40, 0)])], crs=2326)
    >>> demand = gpd.GeoDataFrame({"quality": [1.0, 0, 0, 1.0], "corridor": 0, "weight": 1.0},
    ...     geometry=[Point(x, 0) for x in (5, 15, 25, 35)], crs=2326)
    >>> cont = corridor_continuity(cov.Scene(d, c), types.SimpleNamespace(demand=demand))
    >>> cont.longest_unwatched_m, cont.watched_length_m
    (20.0, 20.0)
    """
    owner = "corridor_continuity"
    threshold = check_number(threshold, "threshold", owner, low=0, high=1)
    check_number(n_landmarks, "n_landmarks", owner, low=0, integer=True)
    check_number(n_hotspots, "n_hotspots", owner, low=0, integer=True)
    check_number(separation_m, "separation_m", owner, low=0)
    check_number(max_snap_m, "max_snap_m", owner, low=0)
    if "quality" not in plan.demand.columns:
        msg = f"{owner}: plan.demand needs a 'quality' column (best view quality, 0 if none)."
        raise InputError(msg)
    r = _edge_runs(scene, plan, min_quality)
    length = r.edges["length_m"].to_numpy()
    watched_m = np.minimum(
        np.bincount(r.edge[r.watched], weights=(r.hi - r.lo)[r.watched], minlength=len(length)),
        length,
    )
    longest, ends, largest = _unwatched_network(r)
    routes = _routes(
        scene,
        plan,
        r,
        watched_m,
        threshold,
        route_ends(
            scene,
            plan,
            n_landmarks=n_landmarks,
            n_hotspots=n_hotspots,
            separation_m=separation_m,
            max_snap_m=max_snap_m,
        ),
    )
    share = float(routes["watched"].mean()) if len(routes) else float("nan")
    return Continuity(
        longest_unwatched_m=longest,
        longest_unwatched_ends=ends,
        largest_unwatched_network_m=largest,
        corridor_length_m=float(length.sum()),
        watched_length_m=float(watched_m.sum()),
        routes=routes,
        share_routes_watched=share,
        threshold=float(threshold),
    )


def _routes(
    scene: Scene,
    plan: Any,
    r: _Runs,
    watched_m: NDArray[np.float64],
    threshold: float,
    ends: tuple[pd.DataFrame, pd.DataFrame],
) -> pd.DataFrame:
    cols = ["origin", "target", "length_m", "watched_m", "watched_share", "watched"]
    G = scene.graph
    lmk, hot = ends
    if G.number_of_nodes() == 0 or len(hot) == 0:
        return pd.DataFrame({c: [] for c in cols})
    node_ids, tree = _main_nodes(G)  # snap to the largest connected piece of the graph
    assert tree is not None

    def snap(frame: pd.DataFrame) -> list[int]:
        _, k = tree.query(frame[["x", "y"]].to_numpy(dtype=float))
        return [int(node_ids[i]) for i in np.atleast_1d(k)]

    hot_nodes = snap(hot)
    if len(lmk):
        origins = list(zip(lmk["name"], snap(lmk), strict=True))
        pairs = [
            (o, (t, tn)) for o in origins for t, tn in zip(hot["name"], hot_nodes, strict=True)
        ]
    else:
        hs = list(zip(hot["name"], hot_nodes, strict=True))
        pairs = [(hs[i], hs[j]) for i in range(len(hs)) for j in range(i + 1, len(hs))]
    key = {}
    for k, (a, b) in enumerate(zip(r.edges["u"], r.edges["v"], strict=True)):
        key[(int(a), int(b))] = key[(int(b), int(a))] = k
    out: list[tuple[str, str, float, float, float, bool]] = []
    cache: dict[int, dict[int, list[int]]] = {}
    for (oname, onode), (tname, tnode) in pairs:
        if onode == tnode:
            continue
        if onode not in cache:
            _, paths = nx.single_source_dijkstra(G, onode, weight="length_m")
            cache[onode] = paths
        path = cache[onode].get(tnode)
        if path is None:
            continue
        ks = np.array([key[(a, b)] for a, b in itertools.pairwise(path)])
        total = float(r.edges["length_m"].to_numpy()[ks].sum())
        seen = float(watched_m[ks].sum())
        share = seen / total if total > 0 else 0.0
        out.append((str(oname), str(tname), total, seen, share, share >= threshold - 1e-12))
    frame = pd.DataFrame(out, columns=cols)
    frame["watched"] = frame["watched"].astype(bool)
    return frame


# ----------------------------------------------------------------------------- curve


def coverage_curve(
    plan: Plan,
    budgets: Sequence[int] | None = None,
    *,
    method: str = "greedy",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: int | None = 0,
) -> pd.DataFrame:
    """Coverage reached and its proven upper bound against the budget.

    The plan-level door to :func:`coverage.optimize.coverage_curve`: re-solves
    the plan's coverage matrix (same weights, existing sets fixed, one
    configuration per site) for each budget. Greedy (the default) is nested:
    the plan for a budget extends the plan for any smaller budget, so the
    curve is also a placement order. The plan's own objective is used at its
    budget where better, and its bound too when it was solved in one phase
    without quotas (the same problem); each bound is tightened by the bound that any
    known plan S gives at every budget b, ``f(S) + the b largest marginal
    gains w.r.t. S`` (one per site), and by the smallest bound at any larger
    budget (the optimum never falls as the budget rises).

    Parameters
    ----------
    plan
        A solved plan (its ``matrix`` and ``demand["weight"]`` are used).
    budgets
        Budgets to solve (ints >= 0; 0 is the existing sets alone). None:
        eleven budgets from 0 to twice the plan's, capped at the number of
        candidate sites.
    method, time_limit_s, gap_tol, rng
        Passed to ``max_coverage`` for each budget.

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``objective``, ``upper_bound``, ``gap``,
        ``weighted_coverage`` and ``upper_bound_coverage`` (the two as shares
        of the total demand weight), ``method``; sorted by budget.

    Raises
    ------
    coverage.errors.ParameterError
        A budget is negative or above the number of candidate sites.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> c = coverage_curve(plan, [0, 1, 2, 4])
    >>> c[["budget", "objective", "upper_bound"]].values.tolist()
    [[0.0, 0.0, 0.0], [1.0, 9.0, 9.0], [2.0, 18.0, 18.0], [4.0, 28.0, 30.0]]
    """
    from coverage import optimize

    cm = plan.matrix
    w = plan.demand["weight"].to_numpy(dtype=np.float64)
    cap = int(np.unique(cm.groups[cm.site >= 0]).size)
    if budgets is None:
        top = min(cap, max(2 * len(plan.new_cameras), 1))
        budgets = sorted({round(b) for b in np.linspace(0, top, 11)})
    wanted = sorted(
        {
            int(check_number(b, "budgets", "coverage_curve", low=0, high=cap, integer=True))
            for b in budgets
        }
    )
    base = optimize.objective(cm.A, w, np.zeros(0, dtype=np.int64), cm.fixed)
    total = float(w.sum())
    out: list[tuple[int, float, float, float, str]] = []
    if 0 in wanted:
        out.append((0, base, base, 0.0, "existing"))
    positive = [b for b in wanted if b > 0]
    if positive:
        curve = optimize.coverage_curve(
            cm.A,
            w,
            budgets=positive,
            groups=cm.groups,
            fixed=cm.fixed,
            method=method,
            time_limit_s=time_limit_s,
            gap_tol=gap_tol,
            rng=rng,
        )
        for b, sol in zip(positive, curve.solutions, strict=True):
            out.append((b, sol.objective, sol.upper_bound, sol.gap, sol.method))
    frame = pd.DataFrame(out, columns=["budget", "objective", "upper_bound", "gap", "method"])
    # Every known plan S bounds every budget b: OPT(b) <= f(S) + the b largest gains w.r.t. S.
    qualities = [plan.demand["quality"].to_numpy(dtype=np.float64)]
    if positive:
        for sol in curve.solutions:
            rows = np.concatenate([np.asarray(sol.selected, dtype=np.int64), cm.fixed])
            qualities.append(best_cover(cm, rows)[0])
    budgets_arr = frame["budget"].to_numpy(dtype=np.int64)
    ub_now = np.array(frame["upper_bound"], dtype=float)
    for q in qualities:
        ub_now = np.minimum(ub_now, _gain_bounds(cm, w, q, budgets_arr))
    frame["upper_bound"] = ub_now
    # The plan itself is a point of the curve: keep it where it is better.
    nb = len(plan.new_cameras)
    at = np.flatnonzero(frame["budget"].to_numpy() == nb)
    if at.size and float(plan.objective) > float(frame.at[at[0], "objective"]):
        frame.loc[at[0], ["objective", "method"]] = [float(plan.objective), plan.solution.method]
    # The optimum never falls as the budget rises: a bound for a larger budget bounds a smaller.
    ub = np.array(frame["upper_bound"], dtype=float)
    meta = getattr(plan, "meta", {}) or {}
    same_problem = len(meta.get("phases") or [None]) <= 1 and not meta.get("quotas")
    if at.size and same_problem:  # a phased or quota plan's bound is for another problem
        ub[at[0]] = min(ub[at[0]], float(plan.upper_bound))
    ub = np.minimum.accumulate(ub[::-1])[::-1]
    frame["upper_bound"] = np.maximum(ub, frame["objective"].to_numpy(dtype=float))
    frame["gap"] = [
        (u - o) / u if u > 0 else 0.0
        for o, u in zip(frame["objective"], frame["upper_bound"], strict=True)
    ]
    frame["weighted_coverage"] = frame["objective"] / total if total > 0 else 0.0
    frame["upper_bound_coverage"] = frame["upper_bound"] / total if total > 0 else 0.0
    return frame[
        [
            "budget",
            "objective",
            "upper_bound",
            "gap",
            "weighted_coverage",
            "upper_bound_coverage",
            "method",
        ]
    ]


def _gain_bounds(
    cm: Any, w: NDArray[np.float64], q: NDArray[np.float64], budgets: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``f(S) + sum of the b largest marginal gains w.r.t. S`` (one per group) for each b.

    `q` is the best quality each demand point gets from a plan S (existing
    sets included). A proven bound on the optimum at budget b for any S
    (submodularity): the optimal b rows add at most their gains w.r.t. S,
    one row per group.
    """
    A = cm.A.tocsr()
    f_s = float(w @ q)
    col = A.indices
    gain_nz = np.maximum(A.data - q[col], 0.0) * w[col]
    row_of = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    gains = np.bincount(row_of, weights=gain_nz, minlength=A.shape[0])
    gains[cm.fixed] = 0.0
    _, gid = np.unique(cm.groups, return_inverse=True)
    best = np.zeros(int(gid.max()) + 1 if gid.size else 0)
    np.maximum.at(best, gid.ravel(), gains)
    best[gid.ravel()[cm.fixed]] = 0.0  # a group with an installed set is closed
    top = np.r_[0.0, np.cumsum(np.sort(best)[::-1])]
    b = np.clip(budgets, 0, top.size - 1)
    return f_s + top[b]


# ----------------------------------------------------------------------------- compare


def compare(
    scene: Scene,
    plan_a: Plan,
    plan_b: Plan,
    labels: tuple[str, str] = ("A", "B"),
    *,
    camera: CameraSet | None = None,
) -> pd.DataFrame:
    """Two plans of one scene side by side, district by district.

    Parameters
    ----------
    scene
        The scene both plans were made for.
    plan_a, plan_b
        The plans.
    labels
        Two distinct labels, used as column suffixes.
    camera
        The camera set model (for incidents); None: each plan's.

    Returns
    -------
    pandas.DataFrame
        One row per district and a last row ``"(all)"``: ``district``,
        ``weighted_coverage_before`` (existing sets, from `plan_a`), then for
        each label ``sets_new_<label>``, ``weighted_coverage_<label>``,
        ``point_coverage_<label>``, ``incidents_covered_<label>``, and
        ``difference`` (weighted coverage of B minus A) and
        ``sets_difference``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> a = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=1, method="greedy"))
    >>> b = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> t = compare(scene, a, b, labels=("one", "two"))
    >>> t[["district", "sets_new_one", "sets_new_two", "difference"]].round(3).values.tolist()
    [['D', 1, 2, 0.3], ['(all)', 1, 2, 0.3]]
    """
    la, lb = (str(x) for x in labels)
    if len(labels) != 2 or la == lb:
        msg = f"The 'labels' parameter of compare must be two distinct labels. Got {labels!r}."
        raise InputError(msg)
    reports = [evaluate(scene, p, camera=camera, continuity=False) for p in (plan_a, plan_b)]
    cols = ["sets_new", "weighted_coverage", "point_coverage", "incidents_covered"]
    tables = []
    for rep in reports:
        t = rep.districts.set_index("district")
        tot = pd.DataFrame(
            {c: [rep.total[c]] for c in [*cols, "weighted_coverage_before"]}, index=["(all)"]
        )
        tables.append(pd.concat([t[[*cols, "weighted_coverage_before"]], tot]))
    names = list(dict.fromkeys([*tables[0].index, *tables[1].index]))
    out = pd.DataFrame({"district": names})
    out["weighted_coverage_before"] = (
        tables[0]["weighted_coverage_before"].reindex(names).to_numpy()
    )
    for t, lab in zip(tables, (la, lb), strict=True):
        t = t.reindex(names, fill_value=0)
        for c in cols:
            out[f"{c}_{lab}"] = t[c].to_numpy()
    out["difference"] = out[f"weighted_coverage_{lb}"] - out[f"weighted_coverage_{la}"]
    out["sets_difference"] = (out[f"sets_new_{lb}"] - out[f"sets_new_{la}"]).astype(np.int64)
    return out


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`evaluate`.

    ``coverage.evaluate`` names both this module and its main function. Once
    the module is imported (``from coverage.evaluate import ...``), Python
    binds the package attribute ``coverage.evaluate`` to the module, and
    ``cov.evaluate(scene, plan)`` would then fail; calling the module calls
    the function, so both spellings keep working.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Report:
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
