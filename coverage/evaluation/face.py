"""Face-capable coverage of a plan: the share of foot traffic whose faces its sets capture.

:func:`face_coverage` tests every set of the plan (existing and new, as
installed) against the face criterion of :mod:`coverage.criteria`, whatever
objective the plan was solved for; :func:`face_privacy_html` is the report's
section (face capture by district, and the privacy audit by zone category and
tier from :func:`coverage.evaluation.privacy.privacy_table`).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from coverage.camera import CameraSet
from coverage.criteria import DemandCredit, FaceCriterion, normalize_privacy_rules, zone_max_tiers
from coverage.errors import ParameterError
from coverage.evaluation import _common
from coverage.evaluation._common import OUTSIDE
from coverage.plan import Plan
from coverage.scene import Scene

__all__ = ["face_capable", "face_coverage", "face_privacy_html"]


def _face_of(plan: Plan, face: FaceCriterion | None) -> FaceCriterion:
    if face is not None:
        return face
    recorded = (getattr(plan, "meta", {}) or {}).get("face")
    return FaceCriterion(**recorded) if isinstance(recorded, dict) else FaceCriterion()


def face_capable(
    scene: Scene,
    plan: Plan,
    *,
    face: FaceCriterion | None = None,
    camera: CameraSet | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which demand points of the plan have their faces captured, after and before it.

    Every set of ``plan.cameras`` is placed as installed (its recorded headings)
    and tested with :class:`coverage.criteria.FaceCriterion` (`face`, else the
    plan's ``meta["face"]``, else the default): sector, range, blind zone and
    occlusion as in the plan, privacy zones and their rules as in the plan
    (a zone whose rule is below the face's tier masks faces inside it).

    Returns
    -------
    (after, before)
        Boolean arrays aligned to ``plan.demand``: captured by any set, and by
        the existing sets only.

    Raises
    ------
    coverage.errors.ParameterError
        The camera set has no ``resolution_px`` or ``mount_height_m``.
    """
    from coverage.matrix import coverage_matrix

    cs = _common.plan_camera_set(plan, camera)
    crit = _face_of(plan, face)
    crit.check_camera(cs, "face_coverage")
    demand = plan.demand
    m = len(demand)
    cams = plan.cameras
    if m == 0 or len(cams) == 0:
        return np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    meta = getattr(plan, "meta", {}) or {}
    rules = normalize_privacy_rules(meta.get("privacy_rules"), cs, "face_coverage")
    zones = scene.privacy_zones
    offsets, counts = _common.set_offsets(plan, cs)
    bearing = (
        demand["bearing_deg"].to_numpy(dtype=float)
        if "bearing_deg" in demand.columns
        else np.full(m, np.nan)
    )
    cm = coverage_matrix(
        np.zeros((0, 2)),
        _common.xy(demand.geometry),
        cs,
        buildings=_common.view_blockers(scene, plan),
        privacy_zones=zones.geometry.values if len(zones) else None,
        existing_xy=_common.xy(cams.geometry),
        existing_heading_deg=offsets,
        existing_cameras=counts,
        credit=DemandCredit(criterion=["face"] * m, bearing_deg=bearing, face=crit),
        privacy_max_tier=zone_max_tiers(zones, rules),
    )
    A = cm.A.tocsr()
    after = np.asarray(A.max(axis=0).toarray()).ravel() > 0
    existing = np.flatnonzero(~_common.is_new(plan))
    before = (
        np.asarray(A[existing].max(axis=0).toarray()).ravel() > 0
        if existing.size
        else np.zeros(m, dtype=bool)
    )
    return after, before


def face_coverage(
    scene: Scene,
    plan: Plan,
    *,
    face: FaceCriterion | None = None,
    camera: CameraSet | None = None,
) -> pd.DataFrame:
    """Share of foot traffic under face-capable coverage, by district, before and after.

    Foot traffic is the demand's ``footfall`` (``base_weight`` or ``weight``
    for demand without it). See :func:`face_capable` for the test.

    Returns
    -------
    pandas.DataFrame
        One row per district (``(outside districts)`` last when it has demand)
        and a last row ``"All districts"``: ``district``, ``footfall``,
        ``footfall_face_before``, ``footfall_face``, ``face_share_before``,
        ``face_share``.

    Examples
    --------
    >>> import coverage as cov
    >>> scene = cov.datasets.sample_city()
    >>> cam = cov.CameraSet(cameras=2, hfov_deg=30, resolution_px=3840, mount_height_m=5.0,
    ...                     range_m=40, relative_headings_deg=(0, 180))
    >>> problem = cov.Problem(scene, cam, budget=20, method="greedy", objective={"default": "face"})
    >>> table = face_coverage(scene, cov.solve(problem))
    >>> bool(table["face_share"].iloc[-1] > table["face_share_before"].iloc[-1])
    True
    """
    after, before = face_capable(scene, plan, face=face, camera=camera)
    d = plan.demand
    col = next(c for c in ("footfall", "base_weight", "weight") if c in d.columns)
    f = d[col].to_numpy(dtype=float)
    district = d["district"].astype(str).replace("", OUTSIDE).to_numpy()
    frame = pd.DataFrame({"district": district, "f": f, "a": f * after, "b": f * before})
    g = frame.groupby("district", sort=False)[["f", "a", "b"]].sum()
    names = [n for n in scene.districts["name"].astype(str) if n in g.index]
    names += [n for n in g.index if n not in names]
    g = g.loc[names]
    g.loc["All districts"] = g.sum()
    return pd.DataFrame(
        {
            "district": g.index.astype(str),
            "footfall": g["f"].to_numpy(),
            "footfall_face_before": g["b"].to_numpy(),
            "footfall_face": g["a"].to_numpy(),
            "face_share_before": _common.share(g["b"], g["f"]),
            "face_share": _common.share(g["a"], g["f"]),
        }
    )


def _rows(frame: pd.DataFrame, cols: list[tuple[str, str, str]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in cols)
    body = []
    for rec in frame.to_dict("records"):
        cells = []
        for key, _, fmt in cols:
            v: Any = rec[key]
            text = f"{v:{fmt}}" if fmt and isinstance(v, int | float | np.number) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def face_privacy_html(scene: Scene, plan: Plan) -> str:
    """Build the report's section on face capture and the privacy audit ("": neither applies).

    Face capture is shown when the plan's camera set has ``resolution_px``
    and ``mount_height_m``; the audit when the scene has privacy zones and the
    camera set has ``resolution_px``.
    """
    from coverage.evaluation.privacy import privacy_table

    cs = _common.plan_camera_set(plan)
    meta = getattr(plan, "meta", {}) or {}
    parts: list[str] = []
    if cs.resolution_px is not None and cs.mount_height_m is not None:
        crit = _face_of(plan, None)
        try:
            table = face_coverage(scene, plan)
        except ParameterError as exc:  # e.g. a tier of the face the camera set lacks
            table = None
            parts.append(f"<p class='note'>Face capture not assessed: {html.escape(str(exc))}</p>")
        if table is not None:
            near, far = crit.distance_window_m(cs)
            window = (
                f"{near:.1f} to {far:.1f} m from the pole"
                if near <= far
                else f"nowhere (the down angle needs at least {near:.1f} m, the density "
                f"allows at most {far:.1f} m)"
            )
            parts.append(
                "<h2>Face-capable coverage</h2><p class='note'>A face counts as captured when a "
                f"set sees it at the {html.escape(crit.tier)} pixel density (taken at slant "
                f"distance to a face at {crit.face_height_m:g} m), from at most "
                f"{crit.max_down_deg:g}° above, within {crit.max_yaw_deg:g}° of the corridor's "
                f"direction (people walk toward the camera). With this camera set that is "
                f"{html.escape(window)} on axis. Shares are of foot traffic.</p>"
            )
            if meta.get("objective"):
                terms = "; ".join(
                    f"{t['where']}: {t['criterion']} × {t['weight']:g}" for t in meta["objective"]
                )
                parts.append(f"<p class='note'>Objective mix: {html.escape(terms)}.</p>")
            parts.append(
                _rows(
                    table,
                    [
                        ("district", "District", ""),
                        ("footfall", "Foot traffic", ",.1f"),
                        ("face_share_before", "Face-capable before", ".1%"),
                        ("face_share", "Face-capable after", ".1%"),
                    ],
                )
            )
    if len(scene.privacy_zones) and cs.resolution_px is not None:
        audit = privacy_table(scene, plan)
        parts.append(_audit_html(audit))
    return "\n".join(parts)


def _audit_html(audit: pd.DataFrame) -> str:
    """Privacy audit summary: zone area seen and masked by category and tier, all sets."""
    head = (
        "<h2>Privacy audit by zone category and tier</h2><p class='note'>Privacy-zone area "
        "inside the sets' building-clipped views, by the best tier reached there. A rule "
        "(category: highest tier allowed) masks the view above its tier; masked area is "
        "seen by the lens but hidden in the image. Per-set rows: "
        "coverage.evaluation.privacy.privacy_table.</p>"
    )
    if len(audit) == 0:
        return head + "<p>No set of the plan sees into a privacy zone.</p>"
    g = audit.assign(sets=1).groupby(["category", "rule", "tier"], sort=False)
    summary = g.agg(
        sets=("set", "nunique"), seen_m2=("seen_m2", "sum"), masked_m2=("masked_m2", "sum")
    ).reset_index()
    summary["category"] = summary["category"].replace("", "(no category)")
    summary["rule"] = summary["rule"].replace("", "(none: default rule)")
    cols = [
        ("category", "Category", ""),
        ("rule", "Highest tier allowed", ""),
        ("tier", "Tier", ""),
        ("sets", "Sets", ",d"),
        ("seen_m2", "Seen m²", ",.0f"),
        ("masked_m2", "Masked m²", ",.0f"),
    ]
    return head + _rows(summary, cols)
