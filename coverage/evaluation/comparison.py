"""Two plans of one scene side by side, district by district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.camera import CameraSet
from coverage.errors import InputError
from coverage.evaluation.districts import evaluate
from coverage.plan import Plan
from coverage.scene import Scene

__all__ = ["compare"]

#: Label of the row for the whole scene.
ALL = "(all)"


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

    Raises
    ------
    coverage.errors.InputError
        `labels` are not two distinct labels.

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
    cols = ["sets_new", "weighted_coverage", "point_coverage", "incidents_covered"]
    shown = [*cols, "weighted_coverage_before"]
    tables = []
    for plan in (plan_a, plan_b):
        rep = evaluate(scene, plan, camera=camera, continuity=False)
        total = pd.DataFrame({c: [rep.total[c]] for c in shown}, index=[ALL])
        tables.append(pd.concat([rep.districts.set_index("district")[shown], total]))
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
