"""Labels and small helpers shared by the evaluation modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from coverage.camera import CameraSet
from coverage.plan import Plan
from coverage.scene import Scene

#: Label of demand outside every district.
OUTSIDE = "(outside districts)"
#: Label of incidents without a category.
NO_CATEGORY = "(no category)"


def xy(geoms: Any) -> NDArray[np.float64]:
    """Coordinates (n, 2) of point geometries (a GeoSeries, a geometry array or a list)."""
    out: NDArray[np.float64] = shapely.get_coordinates(
        np.asarray(getattr(geoms, "values", geoms))
    ).astype(np.float64)
    return out


def share(num: Any, den: Any) -> NDArray[np.float64]:
    """``num / den`` element-wise, 0 where ``den`` is not positive."""
    n = np.asarray(num, dtype=float)
    d = np.asarray(den, dtype=float)
    out: NDArray[np.float64] = np.divide(n, d, out=np.zeros_like(n), where=d > 0)
    return out


def is_new(plan: Plan) -> NDArray[np.bool_]:
    """Tell which sets of the plan are new (rows of ``plan.cameras``)."""
    out: NDArray[np.bool_] = plan.cameras["status"].astype(str).to_numpy() == "new"
    return out


def view_blockers(scene: Scene, plan: Plan) -> NDArray[np.object_] | None:
    """Return the buildings that block views (None: the plan was solved without occlusion)."""
    occlusion = bool((getattr(plan, "meta", {}) or {}).get("occlusion", True))
    if occlusion and len(scene.buildings):
        blockers: NDArray[np.object_] = scene.buildings.geometry.values
        return blockers
    return None


def plan_camera_set(plan: Plan, camera: CameraSet | None = None) -> CameraSet:
    """Return the camera set a plan was solved with.

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
    recorded = meta.get("camera_set")
    if isinstance(recorded, CameraSet):
        return recorded
    cams = plan.cameras
    heads = list(cams["headings_deg"]) if len(cams) else []
    new = is_new(plan) if len(cams) else np.zeros(0, bool)
    ref = heads[int(np.flatnonzero(new)[0])] if new.any() else (heads[0] if heads else (0.0,))
    ref = tuple(float(h) for h in ref) or (0.0,)
    rel = tuple((h - ref[0]) % 360.0 for h in ref)
    hfov = float(cams["hfov_deg"].iloc[0]) if len(cams) else 90.0
    range_m = float(cams["range_m"].iloc[0]) if len(cams) else 40.0
    return CameraSet(cameras=len(rel), hfov_deg=hfov, range_m=range_m, relative_headings_deg=rel)


def set_offsets(plan: Plan, cs: CameraSet) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
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
