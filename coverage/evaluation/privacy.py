"""Privacy-zone area inside the views of each district's camera sets."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from coverage.camera import CameraSet
from coverage.evaluation import _common
from coverage.evaluation._common import OUTSIDE
from coverage.plan import Plan
from coverage.scene import Scene


def privacy_seen(
    scene: Scene, plan: Plan, cs: CameraSet, names: list[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Privacy-zone area (m²) inside the union of views of each district's sets.

    Returns ``(all sets, existing sets only)``, aligned to `names`; sets whose
    district is not in `names` are left out.
    """
    after = np.zeros(len(names))
    before = np.zeros(len(names))
    zones = scene.privacy_zones.geometry.values
    cams = plan.cameras
    if len(zones) == 0 or len(cams) == 0:
        return after, before
    xy = _common.xy(cams.geometry)
    near = np.unique(
        shapely.STRtree(zones).query(
            shapely.points(xy),
            predicate="dwithin",
            distance=float(cs.range_m),  # type: ignore[arg-type]
        )[0]
    )
    if near.size == 0:
        return after, before
    views = _views(scene, plan, cs, near)
    zone_union = shapely.union_all(zones)
    district = cams["district"].astype(str).replace("", OUTSIDE).to_numpy()[near]
    new = _common.is_new(plan)[near]
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


def _views(scene: Scene, plan: Plan, cs: CameraSet, sets: NDArray[np.int64]) -> NDArray[np.object_]:
    """Union the view sectors of each of the plan's sets in `sets` (None: no camera)."""
    from coverage.visibility import view_sectors

    xy = _common.xy(plan.cameras.geometry)
    heads = list(plan.cameras["headings_deg"])
    blockers = _common.view_blockers(scene, plan)
    counts = np.array([len(heads[i]) for i in sets], dtype=np.int64)
    views = np.full(sets.size, None, dtype=object)
    for c in np.unique(counts[counts > 0]):  # sets with the same number of cameras together
        sel = np.flatnonzero(counts == c)
        H = np.array([heads[i] for i in sets[sel]], dtype=np.float64).reshape(sel.size, int(c))
        wedges = np.asarray(view_sectors(xy[sets[sel]], H, cs, buildings=blockers))
        views[sel] = shapely.union_all(wedges.reshape(sel.size, -1), axis=1)
    return views
