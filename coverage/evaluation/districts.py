"""The district table: what a plan buys in each district, before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage.camera import CameraSet
from coverage.evaluation import _common
from coverage.evaluation._common import OUTSIDE
from coverage.evaluation.continuity import Continuity, corridor_continuity
from coverage.evaluation.incidents import incident_coverage, incident_tables
from coverage.evaluation.privacy import privacy_seen
from coverage.plan import Plan, best_cover
from coverage.scene import Scene

__all__ = ["Report", "evaluate"]


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


@dataclass(frozen=True)
class _Watch:
    """Demand weight and best view quality per demand point, after and before the plan."""

    district: NDArray[np.object_]
    weight: NDArray[np.float64]
    after: NDArray[np.float64]
    before: NDArray[np.float64]


def evaluate(  # noqa: PLR0913 (public entry point: data, then keyword-only options)
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
    >>> report = evaluate(scene, plan)
    >>> report.districts[["district", "sets_new", "weighted_coverage"]].round(3).values.tolist()
    [['D', 2, 0.6]]
    >>> report.total["longest_unwatched_m"]  # sets at x = 125 and 225 leave x = 0..80 unwatched
    80.0
    """
    demand = plan.demand
    watch = _Watch(
        district=demand["district"].replace("", OUTSIDE).to_numpy(),
        weight=demand["weight"].to_numpy(dtype=float),
        after=demand["quality"].to_numpy(dtype=float),
        before=best_cover(plan.matrix, plan.matrix.fixed)[0],
    )
    inc = incident_coverage(scene, plan, camera=camera)
    names = _district_names(scene, plan, watch, inc)
    per_incident, incident_long = incident_tables(inc, names)
    sets = _set_columns(plan, names)
    seen, seen_before = privacy_seen(scene, plan, _common.plan_camera_set(plan, camera), names)
    table = pd.DataFrame(
        {
            "district": names,
            **sets,
            **_demand_columns(watch, names),
            **_incident_columns(per_incident),
            **_density_columns(scene, names, sets["sets_new"] + sets["sets_existing"]),
            "privacy_seen_before_m2": seen_before,
            "privacy_seen_m2": seen,
        }
    )
    total = _totals(table, plan, watch, inc)
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
    return Report(districts=table, total=total, incidents=incident_long, continuity=cont)


def _district_names(scene: Scene, plan: Plan, watch: _Watch, inc: gpd.GeoDataFrame) -> list[str]:
    """List the district names, and the outside label if demand, a set or an incident is."""
    names = [str(n) for n in scene.districts["name"]]
    cam_district = plan.cameras["district"].astype(str).replace("", OUTSIDE)
    if (
        (watch.district == OUTSIDE).any()
        or (cam_district == OUTSIDE).any()
        or (inc["district"] == OUTSIDE).any()
    ):
        names.append(OUTSIDE)
    return names


def _set_columns(plan: Plan, names: list[str]) -> dict[str, NDArray[np.int64]]:
    """Count the new and existing sets per district."""
    cams = plan.cameras
    cam_district = cams["district"].astype(str).replace("", OUTSIDE)
    new = cam_district[_common.is_new(plan)].value_counts()
    old = cam_district[cams["status"].astype(str) == "existing"].value_counts()
    return {
        "sets_new": new.reindex(names, fill_value=0).to_numpy().astype(np.int64),
        "sets_existing": old.reindex(names, fill_value=0).to_numpy().astype(np.int64),
    }


def _demand_columns(watch: _Watch, names: list[str]) -> dict[str, NDArray[Any]]:
    """Demand points and weight per district, covered after and before, and their shares."""
    w = watch.weight
    frame = pd.DataFrame(
        {
            "district": watch.district,
            "w": w,
            "wq": w * watch.after,
            "wq0": w * watch.before,
            "pt": watch.after > 0,
            "pt0": watch.before > 0,
        }
    )
    g = frame.groupby("district", sort=False)
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
    out: dict[str, NDArray[Any]] = {col: agg[col].to_numpy() for col in agg.columns}
    out["demand_points"] = out["demand_points"].astype(np.int64)
    out["weighted_coverage"] = _common.share(out["weight_covered"], out["weight_total"])
    out["weighted_coverage_before"] = _common.share(
        out["weight_covered_before"], out["weight_total"]
    )
    out["point_coverage"] = _common.share(out["points_covered"], out["demand_points"])
    out["point_coverage_before"] = _common.share(out["points_covered_before"], out["demand_points"])
    return out


def _incident_columns(per_incident: pd.DataFrame) -> dict[str, NDArray[Any]]:
    """Incidents per district, covered before and after, and the share covered."""
    incidents = per_incident["incidents"].to_numpy(dtype=np.int64)
    covered = per_incident["covered"].to_numpy(dtype=np.int64)
    return {
        "incidents": incidents,
        "incidents_covered_before": per_incident["covered_before"].to_numpy(dtype=np.int64),
        "incidents_covered": covered,
        "incident_coverage": _common.share(covered, incidents),
    }


def _density_columns(
    scene: Scene, names: list[str], sets: NDArray[np.int64]
) -> dict[str, NDArray[np.float64]]:
    """District area and sets per km² and per 10,000 residents (NaN where unknown)."""
    area = shapely.area(scene.districts.geometry.values) / 1e6
    area_km2 = np.append(area, np.nan) if len(names) > len(area) else area
    n_sets = sets.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_km2 = np.where(area_km2 > 0, n_sets / area_km2, np.nan)
        if "population" in scene.districts.columns:
            pop = scene.districts["population"].to_numpy(dtype=float)
            pop = np.append(pop, np.nan) if len(names) > len(pop) else pop
            per_10k = np.where(pop > 0, n_sets / pop * 1e4, np.nan)
        else:
            per_10k = np.full(len(names), np.nan)
    return {"area_km2": area_km2, "sets_per_km2": per_km2, "sets_per_10k_residents": per_10k}


def _totals(
    table: pd.DataFrame, plan: Plan, watch: _Watch, inc: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Sum the district figures over the scene; add the plan's objective and bound."""
    w, after, before = watch.weight, watch.after, watch.before
    tw = float(w.sum())
    n_demand = len(w)
    n_inc = len(inc)
    return {
        "sets_new": int(table["sets_new"].sum()),
        "sets_existing": int(table["sets_existing"].sum()),
        "demand_points": n_demand,
        "weight_total": tw,
        "weight_covered": float((w * after).sum()),
        "weighted_coverage": float((w * after).sum() / tw) if tw > 0 else 0.0,
        "weighted_coverage_before": float((w * before).sum() / tw) if tw > 0 else 0.0,
        "point_coverage": float((after > 0).mean()) if n_demand else 0.0,
        "point_coverage_before": float((before > 0).mean()) if n_demand else 0.0,
        "incidents": n_inc,
        "incidents_covered_before": int(inc["covered_before"].sum()),
        "incidents_covered": int(inc["covered"].sum()),
        "incident_coverage": float(inc["covered"].mean()) if n_inc else 0.0,
        "privacy_seen_m2": float(table["privacy_seen_m2"].sum()),
        "objective": plan.objective,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
    }
