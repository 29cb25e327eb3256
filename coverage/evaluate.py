"""What a plan buys, district by district.

:func:`evaluate` turns a :class:`~coverage.plan.Plan` into plain tables a
planner can read: per district, how many sets are placed and how much of the
demand is watched before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coverage.plan import Plan, best_cover
from coverage.scene import Scene

__all__ = ["Report", "evaluate"]

#: Label of demand outside every district.
OUTSIDE = "(outside districts)"


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
        shares ``*_before`` (existing sets only).
    total
        The same figures for the whole scene, plus ``objective``,
        ``upper_bound`` and ``gap``.
    """

    districts: pd.DataFrame
    total: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        t = self.total
        return (
            f"Report({len(self.districts)} districts; weighted coverage "
            f"{t['weighted_coverage_before']:.1%} -> {t['weighted_coverage']:.1%}, "
            f"points {t['point_coverage_before']:.1%} -> {t['point_coverage']:.1%}; "
            f"gap {t['gap']:.3%})"
        )


def evaluate(scene: Scene, plan: Plan) -> Report:
    """Coverage by district, before (existing sets) and after the plan.

    Parameters
    ----------
    scene
        The scene the plan was made for.
    plan
        The plan.

    Returns
    -------
    Report

    Examples
    --------
    >>> import coverage as cov
    >>> scene = cov.datasets.sample_city()
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=20, method="greedy"))
    >>> report = cov.evaluate(scene, plan)
    >>> bool(report.total["weighted_coverage"] >= report.total["weighted_coverage_before"])
    True
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
    names = list(scene.districts["name"])
    if (district == OUTSIDE).any():
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
    cams = plan.cameras
    new = cams[cams["status"] == "new"]["district"].replace("", OUTSIDE).value_counts()
    old = cams[cams["status"] == "existing"]["district"].replace("", OUTSIDE).value_counts()
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
    tw = float(w.sum())
    total = {
        "sets_new": int(len(new) and new.sum()),
        "sets_existing": int(len(old) and old.sum()),
        "demand_points": len(demand),
        "weight_total": tw,
        "weight_covered": float((w * after).sum()),
        "weighted_coverage": float((w * after).sum() / tw) if tw > 0 else 0.0,
        "weighted_coverage_before": float((w * before).sum() / tw) if tw > 0 else 0.0,
        "point_coverage": float((after > 0).mean()) if len(demand) else 0.0,
        "point_coverage_before": float((before > 0).mean()) if len(demand) else 0.0,
        "objective": plan.objective,
        "upper_bound": plan.upper_bound,
        "gap": plan.gap,
    }
    return Report(districts=table, total=total)


def _share(num: pd.Series, den: pd.Series) -> np.ndarray:
    n = num.to_numpy(dtype=float)
    d = den.to_numpy(dtype=float)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)
