"""Static PNG figures for reports: the plan map and the coverage-vs-budget curve.

matplotlib is imported inside each function (with the non-interactive Agg
backend), so drawing an HTML map never loads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage._validate import check_number
from coverage.errors import InputError
from coverage.io import atomic_path
from coverage.render._prepare import (
    TIER_COLOURS,
    check_plan,
    choropleth_colour,
    corridor_runs,
    crs_sentence,
    district_stats,
    plan_tier_weights,
    polygonal,
    quality_codes,
    set_wedges,
    tier_names,
)

if TYPE_CHECKING:
    from coverage.plan import Plan
    from coverage.scene import Scene

__all__ = ["plot_curve", "plot_map"]


def plot_map(
    scene: Scene,
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    tier_weights: Mapping[str, float] | None = None,
    dpi: int = 150,
    figsize: tuple[float, float] = (10.0, 10.0),
) -> Path:
    """Draw a static PNG of the plan map (districts, corridors by tier, sets, hotspots).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c)
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_map(scene, plan, pathlib.Path(d) / "map.png", dpi=40)
    ...     p.stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    check_number(dpi, "dpi", "plot_map", low=1, integer=True)
    check_plan(scene, plan)
    if tier_weights is None:
        tier_weights = plan_tier_weights(plan)
    names = tier_names(tier_weights)
    stats = district_stats(scene, plan)
    fig, ax = plt.subplots(figsize=figsize)
    try:
        _draw_basemap(ax, scene, stats)
        codes = quality_codes(plan.demand["quality"].to_numpy(float), tier_weights)
        _draw_corridors(ax, scene, plan, codes, names)
        _draw_hotspots_and_privacy(ax, scene)
        _draw_sets(ax, scene, plan)
        _draw_legend(ax, names)
        ax.set_aspect("equal")
        ax.set_axis_off()
        # user text is shown as written: "$...$" is not read as mathtext (which can raise)
        ax.set_title(f"{scene.name} coverage".strip(), parse_math=False)
        ax.text(
            0.5,
            -0.01,
            crs_sentence(scene, plan),
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=8,
            color="#555555",
            parse_math=False,
        )
        attribution = " | ".join(str(a) for a in scene.attribution)
        if attribution:
            fig.text(0.01, 0.01, attribution, fontsize=7, color="#555555", parse_math=False)
        return _save_fig(fig, path, dpi=dpi)
    finally:
        plt.close(fig)


def _draw_basemap(ax: Any, scene: Scene, stats: pd.DataFrame) -> None:
    """Districts filled by weighted coverage, buildings in grey (valid polygonal parts only)."""
    districts = gpd.GeoSeries(polygonal(scene.districts.geometry.to_numpy()), crs=scene.crs)
    districts.plot(
        ax=ax,
        color=choropleth_colour(stats["weighted_coverage"].to_numpy(float)),
        edgecolor="#444444",
        linewidth=0.8,
    )
    buildings = polygonal(scene.buildings.geometry.to_numpy())
    if (~shapely.is_empty(buildings)).any():
        gpd.GeoSeries(buildings, crs=scene.crs).plot(
            ax=ax, color="#d9d9d9", edgecolor="#8c8c8c", linewidth=0.3
        )


def _draw_corridors(
    ax: Any, scene: Scene, plan: Plan, codes: NDArray[np.int64], names: Sequence[str]
) -> None:
    """Corridor runs coloured by quality tier."""
    from matplotlib.collections import LineCollection

    lines, code, _ = corridor_runs(scene.corridors, plan.demand, codes, len(names) - 1)
    segs = [np.asarray(g.coords) for g in lines]
    colours = [TIER_COLOURS.get(names[c], "#1a9850") for c in code]
    ax.add_collection(LineCollection(segs, colors=colours, linewidths=1.2))


def _draw_hotspots_and_privacy(ax: Any, scene: Scene) -> None:
    """Incident points in red, privacy zones outlined."""
    hs = scene.hotspots
    if len(hs) and hs.geom_type.iloc[0] == "Point":
        xy = shapely.get_coordinates(hs.geometry.to_numpy())
        ax.scatter(xy[:, 0], xy[:, 1], s=4, c="#e31a1c", alpha=0.4, linewidths=0)
    if len(scene.privacy_zones):
        scene.privacy_zones.boundary.plot(ax=ax, color="#7b3294", linestyle="--", linewidth=1)


def _draw_sets(ax: Any, scene: Scene, plan: Plan) -> None:
    """View wedges and poles: new sets in red, existing ones in blue."""
    cams = plan.cameras
    wedges, wrow = set_wedges(cams)
    new = (cams["status"].astype(str) == "new").to_numpy()
    gpd_wedges = gpd.GeoSeries(wedges, crs=scene.crs)
    for mask, colour, alpha in ((new[wrow], "#d7301f", 0.35), (~new[wrow], "#08306b", 0.25)):
        if mask.any():  # geopandas warns on an empty plot (a plan without existing sets)
            gpd_wedges[mask].plot(ax=ax, color=colour, alpha=alpha, linewidth=0)
    cxy = shapely.get_coordinates(cams.geometry.to_numpy())
    ax.scatter(cxy[new, 0], cxy[new, 1], s=6, c="#d7301f", zorder=3)
    ax.scatter(cxy[~new, 0], cxy[~new, 1], s=6, c="#08306b", zorder=3)


def _draw_legend(ax: Any, names: Sequence[str]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Line2D([], [], color=TIER_COLOURS.get(t, "#1a9850"), label=t) for t in names
    ]
    handles += [
        Patch(color="#d7301f", alpha=0.5, label="new sets"),
        Patch(color="#08306b", alpha=0.4, label="existing sets"),
    ]
    legend = ax.legend(handles=handles, loc="lower right", fontsize=8)
    for text in legend.get_texts():  # tier names may be the user's: no mathtext
        text.set_parse_math(False)


def plot_curve(curve: pd.DataFrame, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Plot coverage against budget (objective and proven upper bound) to a PNG.

    Parameters
    ----------
    curve
        DataFrame with columns ``budget``, ``objective``, ``upper_bound``.
    path
        Output PNG file (written atomically).

    Raises
    ------
    InputError
        If a column is missing or the frame is empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> curve = pd.DataFrame({"budget": [1, 2, 3], "objective": [1.0, 1.8, 2.4],
    ...                       "upper_bound": [1.0, 1.9, 2.5]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_curve(curve, pathlib.Path(d) / "curve.png", dpi=40).suffix
    '.png'
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    missing = [c for c in ("budget", "objective", "upper_bound") if c not in curve.columns]
    if missing or len(curve) == 0:
        msg = (
            f"plot_curve needs a non-empty frame with columns budget, objective, upper_bound; "
            f"missing {missing}, {len(curve)} row(s)."
        )
        raise InputError(msg)
    c = curve.sort_values("budget", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        ax.plot(c["budget"], c["objective"], marker="o", ms=3, label="coverage reached")
        ax.plot(c["budget"], c["upper_bound"], linestyle="--", label="proven upper bound")
        ax.fill_between(c["budget"], c["objective"], c["upper_bound"], alpha=0.15)
        ax.set_xlabel("budget (camera sets)")
        ax.set_ylabel("covered demand weight")
        ax.grid(alpha=0.3)
        ax.legend()
        return _save_fig(fig, path, dpi=dpi)
    finally:
        plt.close(fig)


def _save_fig(fig: Any, path: str | os.PathLike[str], *, dpi: int) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path
