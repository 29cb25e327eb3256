"""Whether each incident location is watched, and incident counts by district and category."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage._validate import format_rows
from coverage.assumptions import snap_to_corridors
from coverage.camera import CameraSet
from coverage.errors import InputError, ParameterError
from coverage.evaluation import _common
from coverage.evaluation._common import NO_CATEGORY, OUTSIDE
from coverage.matrix import CoverageMatrix
from coverage.plan import Plan, best_cover
from coverage.scene import Scene, district_of

__all__ = ["incident_coverage", "incidents_by_phase"]


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
    n = len(scene.hotspots)
    if len(plan.cameras) == 0:
        return np.zeros(n), np.zeros(n)
    cm = _incident_matrix(scene, plan, cs)
    rows = cm.fixed  # one per set, in plan.cameras order
    quality, _ = best_cover(cm, rows)
    before, _ = best_cover(cm, rows[~_common.is_new(plan)])
    return before, quality


def _incident_matrix(scene: Scene, plan: Plan, cs: CameraSet) -> CoverageMatrix:
    """Coverage of the incidents by every set of the plan (one fixed row per set, in order)."""
    from coverage.matrix import coverage_matrix

    n = len(scene.hotspots)
    cams = plan.cameras
    off, counts = _common.set_offsets(plan, cs)
    where = _common.xy(scene.hotspots.geometry)
    snap_m = plan.meta.get("snap_m")
    if snap_m is not None and len(where) == n:
        footprints = scene.buildings.geometry.values if len(scene.buildings) else None
        lines = scene.corridors.geometry.values
        where = snap_to_corridors(where, lines, footprints, float(snap_m)).xy
    return coverage_matrix(
        np.zeros((0, 2)),
        where,
        cs,
        buildings=_common.view_blockers(scene, plan),
        privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
        existing_xy=_common.xy(cams.geometry),
        existing_heading_deg=off,
        existing_cameras=counts,
    )


def incidents_by_phase(
    scene: Scene,
    plan: Plan,
    *,
    camera: CameraSet | None = None,
    year_column: str | None = "year",
    phase_labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Incidents watched per category and year of data, before the plan and after each phase.

    An incident (a ``scene.hotspots`` point) is watched after phase ``p``
    when a set of the plan with ``phase <= p`` sees it (the existing sets are
    phase 0), with the geometry of :func:`incident_coverage`. These are past
    incidents at places the plan watches: a count of what the cameras would
    have seen, not of cases solved or prevented.

    Parameters
    ----------
    scene
        The scene the plan was made for (its hotspots are the incidents).
    plan
        The plan (one phase or several; a roadmap's years are its phases).
    camera
        The camera set model; None: the plan's (see :func:`plan_camera_set`).
    year_column
        The incidents' column holding the year (whole numbers), or a date
        column (its year is used). None, or a column the layer does not
        have: every incident is in year ``"all"``.
    phase_labels
        A label per phase (e.g. a roadmap's years): the stages are then
        ``"after 2025"``, ... instead of ``"phase 1"``, ...

    Returns
    -------
    pandas.DataFrame
        One row per category, year and stage, sorted that way: ``category``,
        ``year``, ``phase`` (0: existing sets only), ``stage``
        (``"existing"``, ``"phase 1"``, ...), ``incidents``, ``watched``,
        ``share`` (watched / incidents). Empty when the hotspots are not points.

    Raises
    ------
    coverage.errors.InputError
        `year_column` holds values that are neither whole numbers nor dates
        (the message names the rows).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> hs = gpd.GeoDataFrame({"category": ["theft", "theft"], "year": [2023, 2024]},
    ...                       geometry=[Point(5, 0), Point(150, 0)], crs=2326)
    >>> scene = cov.Scene(d, c, hotspots=hs)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=1, method="greedy"))
    >>> t = incidents_by_phase(scene, plan)
    >>> t[["year", "stage", "incidents"]].values.tolist()
    [[2023, 'existing', 1], [2023, 'phase 1', 1], [2024, 'existing', 1], [2024, 'phase 1', 1]]
    """
    hs = scene.hotspots
    cols = ["category", "year", "phase", "stage", "incidents", "watched", "share"]
    if scene.hotspot_kind != "points" or len(hs) == 0:
        return pd.DataFrame({c: [] for c in cols})
    years = _years(hs, year_column)
    category = (
        hs["category"].astype(str).replace("", NO_CATEGORY).to_numpy()
        if "category" in hs.columns
        else np.full(len(hs), NO_CATEGORY, dtype=object)
    )
    cams = plan.cameras
    phase = cams["phase"].to_numpy(dtype=np.int64) if len(cams) else np.zeros(0, np.int64)
    phase = np.where(_common.is_new(plan), np.maximum(phase, 1), 0) if len(cams) else phase
    n_phases = int(phase.max(initial=0))
    names = _stage_names(n_phases, phase_labels)
    quality = np.zeros((len(hs), 0))
    if len(cams):
        cm = _incident_matrix(scene, plan, _common.plan_camera_set(plan, camera))
        rows = np.asarray(cm.fixed, dtype=np.int64)
        quality = np.column_stack(
            [best_cover(cm, rows[phase <= p])[0] for p in range(n_phases + 1)]
        )
    frames = []
    for p in range(n_phases + 1):
        watched = quality[:, p] > 0 if len(cams) else np.zeros(len(hs), dtype=bool)
        frames.append(
            pd.DataFrame(
                {
                    "category": category,
                    "year": years,
                    "phase": p,
                    "stage": names[p],
                    "incidents": 1,
                    "watched": watched.astype(np.int64),
                }
            )
        )
    long = pd.concat(frames, ignore_index=True)
    out = (
        long.groupby(["category", "year", "phase", "stage"], sort=True)[["incidents", "watched"]]
        .sum()
        .reset_index()
    )
    out["share"] = _common.share(out["watched"], out["incidents"])
    return out[cols]


def _stage_names(n_phases: int, labels: Sequence[Any] | None) -> list[str]:
    """``["existing", "phase 1", ...]``, or ``"after <label>"`` with one label per phase."""
    if labels is None:
        return ["existing", *(f"phase {p}" for p in range(1, n_phases + 1))]
    names = [str(x) for x in labels]
    if len(names) != n_phases or len(set(names)) != n_phases:
        msg = (
            f"The 'phase_labels' parameter of incidents_by_phase must give {n_phases} distinct "
            f"labels, one per phase of the plan. Got {list(labels)!r} instead."
        )
        raise ParameterError(msg)
    return ["existing", *(f"after {n}" for n in names)]


def _years(hs: gpd.GeoDataFrame, column: str | None) -> NDArray[Any]:
    """Year of each incident from `column` (whole numbers or dates); ``"all"`` without one."""
    if column is None or column not in hs.columns:
        return np.full(len(hs), "all", dtype=object)
    raw = hs[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        year = raw.dt.year.to_numpy(dtype=float)
    else:
        year = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if np.isnan(year).any() and not pd.api.types.is_numeric_dtype(raw):
            dates = pd.to_datetime(raw, errors="coerce", format="mixed")
            year = np.where(np.isnan(year), dates.dt.year.to_numpy(dtype=float), year)
    bad = np.flatnonzero(~np.isfinite(year) | (np.mod(year, 1) != 0))
    if bad.size:
        msg = (
            f"Layer 'hotspots', column {column!r}: {bad.size} value(s) are neither a whole "
            f"year nor a date (rows {format_rows(hs.index.to_numpy()[bad].tolist())}). Fill "
            "them, or pass year_column=None to count every incident in one period."
        )
        raise InputError(msg)
    out: NDArray[np.int64] = year.astype(np.int64)
    return out


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
