"""Whether each incident location is watched, and incident counts by district and category."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage.assumptions import snap_to_corridors
from coverage.camera import CameraSet
from coverage.evaluation import _common
from coverage.evaluation._common import NO_CATEGORY, OUTSIDE
from coverage.plan import Plan, best_cover
from coverage.scene import Scene, district_of

__all__ = ["incident_coverage"]


def incident_coverage(
    scene: Scene, plan: Plan, *, camera: CameraSet | None = None
) -> gpd.GeoDataFrame:
    """Whether each incident location is watched, before and after the plan.

    The incidents (``scene.hotspots`` points) are the demand of a fresh
    :func:`coverage.matrix.coverage_matrix` in which every set of the plan,
    existing and new, is an installed set at its position and orientation;
    buildings block views when the plan was solved with occlusion, and an
    incident inside a privacy zone is never watched (as for demand). As in
    the plan's demand, an incident inside a building footprint or off the
    corridors is looked for at its snapped position, the nearest point of the
    nearest corridor within the plan's ``snap_m`` (see
    :mod:`coverage.assumptions`); farther ones are looked for where they are.

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
    hs = scene.hotspots
    if scene.hotspot_kind != "points" or len(hs) == 0:
        cols = ["district", "category", "weight", "quality_before", "quality"]
        empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=scene.crs)
        empty["covered_before"] = np.zeros(0, dtype=bool)
        empty["covered"] = np.zeros(0, dtype=bool)
        return empty
    before, quality = _incident_quality(scene, plan, _common.plan_camera_set(plan, camera))
    category = (
        hs["category"].astype(str).replace("", NO_CATEGORY).to_numpy()
        if "category" in hs.columns
        else np.full(len(hs), NO_CATEGORY, dtype=object)
    )
    weight = hs["weight"].to_numpy(dtype=float) if "weight" in hs.columns else np.ones(len(hs))
    district = district_of(hs.geometry.values, scene.districts)
    return gpd.GeoDataFrame(
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


def _incident_quality(
    scene: Scene, plan: Plan, cs: CameraSet
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Best view quality at each incident from the existing sets and from all sets."""
    from coverage.matrix import coverage_matrix

    n = len(scene.hotspots)
    cams = plan.cameras
    if len(cams) == 0:
        return np.zeros(n), np.zeros(n)
    off, counts = _common.set_offsets(plan, cs)
    where = _common.xy(scene.hotspots.geometry)
    snap_m = plan.meta.get("snap_m")
    if snap_m is not None and len(where) == n:
        footprints = scene.buildings.geometry.values if len(scene.buildings) else None
        lines = scene.corridors.geometry.values
        where = snap_to_corridors(where, lines, footprints, float(snap_m)).xy
    cm = coverage_matrix(
        np.zeros((0, 2)),
        where,
        cs,
        buildings=_common.view_blockers(scene, plan),
        privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
        existing_xy=_common.xy(cams.geometry),
        existing_heading_deg=off,
        existing_cameras=counts,
    )
    rows = cm.fixed  # one per set, in plan.cameras order
    quality, _ = best_cover(cm, rows)
    before, _ = best_cover(cm, rows[~_common.is_new(plan)])
    return before, quality


def incident_tables(inc: gpd.GeoDataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Incident counts per district (aligned to `names`) and per district and category.

    Both count ``incidents``, ``covered_before`` and ``covered``; the second,
    sorted by district (in the order of `names`) then category, also has
    ``coverage`` (share covered).
    """
    frame = pd.DataFrame(
        {
            "district": inc["district"].to_numpy(),
            "category": inc["category"].to_numpy(),
            "incidents": 1,
            "covered_before": inc["covered_before"].to_numpy(dtype=np.int64),
            "covered": inc["covered"].to_numpy(dtype=np.int64),
        }
    )
    counts = ["incidents", "covered_before", "covered"]
    per = frame.groupby("district", sort=False)[counts].sum().reindex(names, fill_value=0)
    long = frame.groupby(["district", "category"], sort=True)[counts].sum().reset_index()
    order = {n: i for i, n in enumerate(names)}
    long["_o"] = long["district"].map(order).fillna(len(names))
    long = long.sort_values(["_o", "category"], kind="stable").drop(columns="_o")
    long = long.reset_index(drop=True)
    long["coverage"] = _common.share(long["covered"], long["incidents"])
    return per, long
