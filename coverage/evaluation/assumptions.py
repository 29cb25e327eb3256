"""The report's "Assumptions" section: every assumption made about the data, counted.

The counts come from ``Plan.meta["assumptions"]`` (see
:func:`coverage.assumptions.assumption_counts`); :func:`assumption_rows`
words them, one row per assumption (zero stated as zero), and
:func:`assumptions_html` makes the section.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["assumption_rows", "assumptions_html"]

_POLICY = {
    "along_corridor": "turned along the nearest corridor (first camera on its bearing)",
    "best_rotation": (
        "each turned to cover the most demand weight on its own (optimistic: the real "
        "cameras may look elsewhere)"
    ),
    "ignore": "left out of existing coverage",
}


def _n(x: Any) -> str:
    return f"{int(x or 0):,}"


def _w(x: Any) -> str:
    return f"{float(x or 0.0):,.1f}"


def _of(counts: Mapping[str, Any], part: str, total: str, unit: str) -> str:
    return f"{_n(counts.get(part))} of {_n(counts.get(total))} {unit}"


def _snap_rows(counts: Mapping[str, Any], key: str, what: str, snap: str) -> list[tuple[str, str]]:
    """Rows for snapped and unreachable points of one kind (incidents, own demand)."""
    return [
        (
            f"{what} inside a building or off the corridors, snapped to a corridor",
            f"{_of(counts, f'{key}_snapped', key, what.lower())} (weight "
            f"{_w(counts.get(f'{key}_snapped_weight'))} of {_w(counts.get(f'{key}_weight'))}); "
            f"moved at most {float(counts.get(f'{key}_max_snap_m') or 0.0):.1f} m, limit {snap} m",
        ),
        (
            f"{what} farther than {snap} m from every corridor (unreachable)",
            f"{_of(counts, f'{key}_unreachable', key, what.lower())} (weight "
            f"{_w(counts.get(f'{key}_unreachable_weight'))}); left where given, still counted",
        ),
    ]


def assumption_rows(counts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One (assumption, what was done) row per assumption, zero counts stated as zero.

    Examples
    --------
    >>> rows = assumption_rows({"existing_sets": 221, "unknown_heading": 41,
    ...                         "unknown_heading_policy": "along_corridor",
    ...                         "cameras_count_assumed": 221, "cameras_default": 1})
    >>> rows[0][1]
    '41 of 221 existing sets: turned along the nearest corridor (first camera on its bearing)'
    >>> rows[1][1]
    '221 of 221 existing sets: 1 camera each assumed'
    """
    n_sets = counts.get("existing_sets", 0)
    policy = str(counts.get("unknown_heading_policy", "along_corridor"))
    snap = f"{float(counts.get('snap_m') or 0.0):g}"
    move = f"{float(counts.get('max_camera_move_m') or 0.0):g}"
    rows = [
        (
            "Existing sets without a heading",
            f"{_n(counts.get('unknown_heading'))} of {_n(n_sets)} existing sets: "
            f"{_POLICY.get(policy, policy)}",
        ),
        (
            "Existing sets without a camera count",
            f"{_n(counts.get('cameras_count_assumed'))} of {_n(n_sets)} existing sets: "
            f"{_n(counts.get('cameras_default', 1))} camera each assumed",
        ),
        (
            "Existing cameras inside a building footprint, moved outside",
            f"{_n(counts.get('cameras_moved'))} moved, at most "
            f"{float(counts.get('camera_max_move_m') or 0.0):.2f} m (limit {move} m)",
        ),
        (
            f"Existing cameras more than {move} m inside a footprint (indoor)",
            f"{_n(counts.get('cameras_indoor'))} left out of existing coverage"
            + (
                f" (rows {', '.join(str(r) for r in counts['cameras_indoor_rows'][:10])})"
                if counts.get("cameras_indoor_rows")
                else ""
            ),
        ),
        (
            "Existing sets left out for want of a heading",
            f"{_n(counts.get('unknown_heading_left_out'))} (policy {policy!r})",
        ),
    ]
    if "own_demand" in counts:
        rows += _snap_rows(counts, "own_demand", "Demand points", snap)
    else:
        rows += _snap_rows(counts, "incidents", "Incidents", snap)
    if counts.get("hotspot_kind") == "polygons":
        rows += [
            (
                "Hotspot polygons with no demand point inside, given to the nearest one",
                f"{_of(counts, 'hotspot_polygons_snapped', 'hotspot_polygons', 'polygons')} "
                f"(within {snap} m)",
            ),
            (
                f"Hotspot polygons with no demand point within {snap} m (unreachable)",
                f"{_of(counts, 'hotspot_polygons_unreachable', 'hotspot_polygons', 'polygons')}"
                f" (intensity {_w(counts.get('hotspot_polygons_unreachable_intensity'))} of "
                f"{_w(counts.get('hotspot_polygons_intensity'))}); they raise no risk",
            ),
        ]
    rows.append(
        (
            "Demand points inside privacy zones",
            f"{_n(counts.get('demand_in_privacy'))}: they earn nothing",
        )
    )
    return rows


def assumptions_html(plan: Any) -> str:
    """Build the report's "Assumptions" section from ``plan.meta["assumptions"]``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> page = assumptions_html(SimpleNamespace(meta={"assumptions": {"existing_sets": 2}}))
    >>> page.startswith("<h2>Assumptions</h2>"), "0 of 2 existing sets" in page
    (True, True)
    """
    counts = getattr(plan, "meta", {}).get("assumptions")
    head = (
        "<h2>Assumptions</h2><p class='note'>What the planner assumed about the data it was "
        "given, and how often.</p>"
    )
    if not isinstance(counts, Mapping):
        return head + "<p class='note'>Not recorded for this plan.</p>"
    body = "".join(
        f'<tr><td class="t">{html.escape(a)}</td><td class="t">{html.escape(b)}</td></tr>'
        for a, b in assumption_rows(counts)
    )
    return (
        f'{head}<table class="assumptions"><thead><tr><th class="t">Assumption</th>'
        f'<th class="t">Count and handling</th></tr></thead><tbody>{body}</tbody></table>'
    )
