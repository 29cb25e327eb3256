"""Privacy-zone area inside the views of camera sets: by district, and per set for the audit.

* :func:`privacy_seen` — zone area seen by each district's sets (the report's
  districts table).
* :func:`privacy_table` — per set, zone category and DORI tier: the area seen and
  the area a privacy rule masks (``Problem(privacy_rules=...)``), for the
  privacy guidelines' audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage.camera import CameraSet
from coverage.criteria import PrivacyRule
from coverage.evaluation import _common
from coverage.evaluation._common import OUTSIDE
from coverage.plan import Plan
from coverage.scene import Scene

__all__ = ["privacy_seen", "privacy_table", "tier_bands_m"]


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


def tier_bands_m(cs: CameraSet) -> list[tuple[str, float, float]]:
    """Ground-distance band ``(tier, near_m, far_m]`` in which each tier is the best reached.

    Tiers below ``min_tier`` are left out; a set without ``resolution_px`` has one
    band, ``"seen"``, from ``min_range_m`` to ``range_m``. Bands are clipped to
    ``[min_range_m, range_m]`` and empty ones dropped.

    Examples
    --------
    >>> for tier, near, far in tier_bands_m(CameraSet(resolution_px=1920)):
    ...     print(tier, round(near, 2), round(far, 2))
    detect 15.36 38.4
    observe 7.68 15.36
    recognise 3.84 7.68
    identify 0.0 3.84
    """
    lo_all, hi_all = float(cs.min_range_m), float(cs.range_m)  # type: ignore[arg-type]
    if cs.resolution_px is None:
        return [("seen", lo_all, hi_all)]
    names = [n for n, _ in cs.tiers]
    start = 0 if cs.min_tier is None else names.index(cs.min_tier)
    far = [cs.camera.tier_distance_m(n) for n in names]
    out = []
    for i in range(start, len(names)):
        hi = min(far[i], hi_all)
        lo = max(far[i + 1] if i + 1 < len(names) else 0.0, lo_all)
        if hi > lo:
            out.append((names[i], lo, hi))
    return out


def privacy_table(
    scene: Scene,
    plan: Plan,
    *,
    camera: CameraSet | None = None,
    rules: Sequence[PrivacyRule] | Sequence[Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Privacy-zone area each set sees, per zone category and tier: the guidelines' audit.

    Parameters
    ----------
    scene, plan
        The plan and the scene it was solved on (its ``privacy_zones`` layer,
        with an optional ``category`` column; buildings clip the views when
        the plan was solved with occlusion).
    camera
        The camera set; the plan's own by default.
    rules
        Privacy rules by tier; ``plan.meta["privacy_rules"]`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per (set, category, tier) with area: ``set`` (position in
        ``plan.cameras``), ``status``, ``owner``, ``category`` (``""`` when
        the zone has none), ``rule`` (the category's ``max_tier``, ``""``
        without a rule), ``tier`` (the best tier reached in that band of
        ground distance, see :func:`tier_bands_m`), ``seen_m2`` (zone area in
        the set's building-clipped view at that tier, where the rule allows
        it) and ``masked_m2`` (the area at that tier the rule masks). Rows come
        by set, then category, then tier.

    Notes
    -----
    The view of a set is the union of its cameras' wedges, clipped by the
    isovist; the band of tier ``t`` is the ring ``near < d <= far`` around the
    pole (circles drawn with 256 segments, about 0.01 % short of the true
    area). Zones of one category are merged first, so overlapping zones are
    not counted twice.

    Examples
    --------
    One set 1 m north of a residential zone of the sample city, its first camera
    looking south into it, under a rule that allows views up to *observe*:

    >>> import coverage as cov, geopandas as gpd, shapely
    >>> scene = cov.datasets.sample_city()
    >>> scene.privacy_zones["category"] = "residential"
    >>> x, y = scene.privacy_zones.geometry.iloc[0].exterior.coords[2]  # its northern vertex
    >>> sets = gpd.GeoDataFrame({"headings_deg": [(180.0, 300.0, 60.0)]},
    ...                         geometry=[shapely.Point(x, y + 1)], crs=scene.crs)
    >>> rules = [{"category": "residential", "max_tier": "observe"}]
    >>> problem = cov.Problem(scene, cov.CameraSet(resolution_px=1920), privacy_rules=rules,
    ...                       occlusion=False)
    >>> table = privacy_table(scene, cov.plan.assess(problem, sets))
    >>> new = table[table["status"] == "new"]
    >>> print(new[["tier", "seen_m2", "masked_m2"]].round(0).to_string(index=False))
         tier  seen_m2  masked_m2
       detect    887.0        0.0
      observe    121.0        0.0
    recognise      0.0       28.0
     identify      0.0        8.0
    """
    from coverage.criteria import normalize_privacy_rules

    cs = _common.plan_camera_set(plan, camera)
    if rules is None:
        rules = (getattr(plan, "meta", {}) or {}).get("privacy_rules")
    checked = normalize_privacy_rules(rules, cs, "privacy_table") or ()
    allowed = {r.category: r.max_tier for r in checked}
    columns = ["set", "status", "owner", "category", "rule", "tier", "seen_m2", "masked_m2"]
    zones = scene.privacy_zones
    cams = plan.cameras
    if len(zones) == 0 or len(cams) == 0:
        return pd.DataFrame({c: [] for c in columns})
    cats = (
        zones["category"].fillna("").astype(str).to_numpy()
        if "category" in zones.columns
        else np.full(len(zones), "")
    )
    xy = _common.xy(cams.geometry)
    near = np.unique(
        shapely.STRtree(zones.geometry.values).query(
            shapely.points(xy),
            predicate="dwithin",
            distance=float(cs.range_m),  # type: ignore[arg-type]
        )[0]
    )
    if near.size == 0:
        return pd.DataFrame({c: [] for c in columns})
    views = _views(scene, plan, cs, near)
    names = [n for n, _ in cs.tiers]
    rows = []
    for cat in sorted(set(cats.tolist())):
        merged = shapely.union_all(zones.geometry.values[cats == cat])
        rule = allowed.get(cat, "")
        seen_cat = shapely.intersection(views, merged)  # None views stay None
        for tier, lo, hi in tier_bands_m(cs):
            ring = shapely.buffer(shapely.points(xy[near]), hi, quad_segs=64)
            if lo > 0:
                ring = shapely.difference(
                    ring, shapely.buffer(shapely.points(xy[near]), lo, quad_segs=64)
                )
            area = np.nan_to_num(shapely.area(shapely.intersection(seen_cat, ring)))
            masked = bool(rule) and tier in names and names.index(tier) > names.index(rule)
            for s, a in zip(near, area, strict=True):
                if a > 0:
                    rows.append(
                        (int(s), cat, rule, tier, 0.0 if masked else a, a if masked else 0.0)
                    )
    out = pd.DataFrame(rows, columns=["set", "category", "rule", "tier", "seen_m2", "masked_m2"])
    out.insert(1, "status", cams["status"].to_numpy()[out["set"].to_numpy(dtype=np.int64)])
    out.insert(2, "owner", cams["owner"].to_numpy()[out["set"].to_numpy(dtype=np.int64)])
    order = {t: i for i, (t, _, _) in enumerate(tier_bands_m(cs))}
    out["_t"] = out["tier"].map(order)
    out = out.sort_values(["set", "category", "_t"], kind="stable").drop(columns="_t")
    return out.reset_index(drop=True)[columns]
