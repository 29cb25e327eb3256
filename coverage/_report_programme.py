"""The report's programme sections: partners' cameras, the roadmap (with its chart), incidents.

Built by :func:`coverage.report.report_html` when it is given the tables of
:func:`coverage.evaluation.integration_value`, :func:`coverage.evaluation.roadmap`
and :func:`coverage.evaluation.incidents_by_phase`. Every string from the data is
escaped; the chart is inline SVG (nothing is loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage.report import Fmt, _esc, _int, _missing, _pct, _table, _text

if TYPE_CHECKING:
    from coverage.evaluation.roadmap import Roadmap
    from coverage.scene import Scene

#: What a watched incident is not (shown under the incidents-by-phase table).
INCIDENT_CAVEATS = (
    "Watched is not solved: an incident counts as watched when a camera set of the plan sees "
    "the place where it happened. Whether a future case there is recorded, noticed or solved "
    "depends on image quality, lighting, retention, operators and the investigation.",
    "These are past incidents at the places the plan watches, not a forecast: places, "
    "reporting and the incidents themselves change, and cameras may move them elsewhere.",
    "Categories and years are the incident layer's own ('category' and year columns); "
    "an incident type the data does not record is not counted.",
)


def _saved_text(low: Any, high: Any) -> str:
    if _missing(low):
        return "–"
    if _missing(high):
        return f"at least {round(float(low)):,}"
    lo, hi = round(float(low)), round(float(high))
    return f"{lo:,}" if lo == hi else f"{lo:,} – {hi:,}"


def _set_names(scene: Scene | None, labels: Any, lost: Any) -> str:
    """'name (lost 0.12%)' for each listed set; the layer's index label without a name."""
    cams = None if scene is None else scene.cameras
    names = []
    for label, share in zip(labels or (), lost or (), strict=False):
        name = str(label)
        if cams is not None and "name" in cams.columns and label in cams.index:
            given = cams.at[label, "name"]
            name = name if _missing(given) or str(given) == "" else f"{given} (#{label})"
        names.append(f"{name}: {'–' if _missing(share) else f'{100 * float(share):.2f}%'}")
    return "; ".join(names)


def partners_html(partners: pd.DataFrame | None, scene: Scene | None = None) -> str:
    """Build the "Partners' cameras" section from an :func:`integration_value` table."""
    if partners is None or len(partners) == 0:
        return ""
    frame = partners.copy()
    frame["saved"] = [
        _saved_text(lo, hi)
        for lo, hi in zip(frame["new_sets_saved_low"], frame["new_sets_saved_high"], strict=True)
    ]
    frame["top"] = [
        _set_names(scene, t, lo)
        for t, lo in zip(frame["top_sets"], frame["top_sets_lost"], strict=True)
    ]
    cols: list[tuple[str, str, Fmt]] = [
        ("owner", "Owner", _text),
        ("existing_sets", "Existing sets", _int),
        ("coverage_with", "Coverage, shared", _pct),
        ("coverage_without", "Coverage, not shared", _pct),
        ("coverage_lost", "Coverage lost", _pct),
        ("saved", "New sets saved (proven range)", _text),
        ("top", "Most valuable sets (coverage lost alone)", _text),
    ]
    note = (
        "<p class='note'>For each owner of existing sets: weighted coverage after the plan with "
        "every owner's sets shared, and with the same new sets but that owner's sets not shared. "
        "New sets saved: how many fewer new sets an optimal plan needs to reach the shared "
        "coverage when the owner's sets are shared, between two proven ends (plans found and "
        "proven upper bounds, with and without them); 'at least' when no plan on the "
        "candidate sites reaches it without them. A set's value is the coverage lost if that "
        "set alone were not shared (share of the total demand weight).</p>"
    )
    n = partners.attrs.get("new_sets")
    which = f"<p>Valued on a plan of {int(n):,} new sets.</p>" if n is not None else ""
    return "<h2>Partners' cameras</h2>" + which + note + _table(frame, cols)


def roadmap_svg(road: Roadmap, *, width: int = 640, height: int = 280) -> str:
    """Inline SVG: coverage after each year (bars) and its proven bound (ticks), the target line."""
    t = road.years
    n = len(t)
    if n == 0:
        return ""
    left, right, top, bottom = 56, 84, 16, 40  # the target's label goes in the right margin
    pw, ph = width - left - right, height - top - bottom
    ymax = 1.0
    slot = pw / n
    bar = slot * 0.5

    def y(v: float) -> float:
        return top + ph * (1 - min(max(v, 0.0), ymax) / ymax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="roadmap" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Coverage after each year and its proven upper bound">'
    ]
    for k in range(0, 11, 2):  # grid and axis labels every 20%
        v = k / 10
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{100 * v:.0f}%</text>'
        )
    for i, row in enumerate(t.itertuples(index=False)):
        x0 = left + slot * i + (slot - bar) / 2
        cov, ub = float(row.coverage), float(row.upper_bound_coverage)
        parts.append(
            f'<rect x="{x0:.1f}" y="{y(cov):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(cov):.1f}" fill="#3b75af"><title>{_esc(row.year)}: coverage '
            f"{_pct(cov)}, proven bound {_pct(ub)}</title></rect>"
            f'<line x1="{x0 - 4:.1f}" x2="{x0 + bar + 4:.1f}" y1="{y(ub):.1f}" y2="{y(ub):.1f}" '
            'stroke="#c0392b" stroke-width="2"/>'
            f'<text x="{x0 + bar / 2:.1f}" y="{y(cov) - 4:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#222">{_pct(cov)}</text>'
            f'<text x="{x0 + bar / 2:.1f}" y="{top + ph + 16:.1f}" font-size="12" '
            f'text-anchor="middle" fill="#222">{_esc(row.year)}</text>'
            f'<text x="{x0 + bar / 2:.1f}" y="{top + ph + 30:.1f}" font-size="10" '
            f'text-anchor="middle" fill="#666">{int(row.sets_total):,} sets</text>'
        )
    if road.reach is not None:
        ty = y(road.reach.target_share)
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#27ae60" '
            'stroke-dasharray="6 4" stroke-width="1.5"/>'
            f'<text x="{left + pw + 4}" y="{ty + 4:.1f}" font-size="11" text-anchor="start" '
            f'fill="#27ae60">target {_pct(road.reach.target_share)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#999"/>'
        f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#999"/>'
        "</svg>"
    )
    return "".join(parts)


def roadmap_html(road: Roadmap | None) -> str:
    """Build the "Roadmap" section: the reach sentence, the chart and the per-year table."""
    if road is None or len(road.years) == 0:
        return ""
    reach = f"<p><strong>{_esc(road.reach.text)}</strong></p>" if road.reach is not None else ""
    note = (
        "<p class='note'>Each year keeps the sets of the years before it. Bars: weighted coverage "
        "after the year; red ticks: a proven upper bound on what that year could reach given "
        "the earlier years' sets (the truth for the best choice lies between the two). 'Bound, "
        "any placement' bounds every placement of as many new sets.</p>"
    )
    cols: list[tuple[str, str, Fmt]] = [
        ("year", "Year", _text),
        ("new_sets", "New sets", _int),
        ("sets_total", "Sets in place", _int),
        ("coverage", "Weighted coverage", _pct),
        ("upper_bound_coverage", "Proven bound", _pct),
        ("gap", "Gap", _pct),
        ("upper_bound_any", "Bound, any placement (weight)", lambda x: f"{float(x):,.1f}"),
        ("method", "Method", _text),
    ]
    return "<h2>Roadmap</h2>" + reach + note + roadmap_svg(road) + _table(road.years, cols)


def incident_phases_html(table: pd.DataFrame | None, caveats: Any = ()) -> str:
    """Build the "Incidents watched, by phase" section from :func:`incidents_by_phase`."""
    if table is None or len(table) == 0:
        return ""
    stages = (
        table[["phase", "stage"]].drop_duplicates().sort_values("phase", kind="stable")["stage"]
    ).tolist()
    by_cat = table.groupby(["category", "stage"], sort=True)[["incidents", "watched"]].sum()
    wide = by_cat["watched"].unstack("stage").reindex(columns=stages, fill_value=0)
    counts = by_cat["incidents"].groupby("category").max()
    frame = wide.reset_index()
    frame.insert(1, "incidents", counts.reindex(frame["category"]).to_numpy())
    cols: list[tuple[str, str, Fmt]] = [
        ("category", "Category", _text),
        ("incidents", "Incidents", _int),
    ]
    cols += [(s, f"Watched, {s}", _int) for s in stages]
    last = stages[-1]
    frame["share"] = np.divide(
        frame[last].to_numpy(dtype=float),
        frame["incidents"].to_numpy(dtype=float),
        out=np.zeros(len(frame)),
        where=frame["incidents"].to_numpy(dtype=float) > 0,
    )
    cols.append(("share", f"Share watched, {last}", _pct))
    parts = ["<h2>Incidents watched, by phase</h2>", _table(frame, cols)]
    years = sorted({str(v) for v in table["year"]})
    if len(years) > 1:
        per_year = table.groupby(["year", "stage"], sort=True)[["incidents", "watched"]].sum()
        wy = per_year["watched"].unstack("stage").reindex(columns=stages, fill_value=0)
        fy = wy.reset_index()
        fy.insert(1, "incidents", per_year["incidents"].groupby("year").max().to_numpy())
        fy["year"] = fy["year"].astype(str)
        parts.append("<h3>By year of data</h3>")
        parts.append(
            _table(fy, [("year", "Year", _text), ("incidents", "Incidents", _int), *cols[2:-1]])
        )
    notes = [*INCIDENT_CAVEATS, *(caveats or ())]
    parts.append("<ul class='note'>" + "".join(f"<li>{_esc(c)}</li>" for c in notes) + "</ul>")
    return "".join(parts)
