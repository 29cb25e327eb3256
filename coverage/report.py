"""One self-contained HTML report of a plan: headline numbers, tables, curve and map.

:func:`write_report` writes a single ``.html`` file that loads nothing from
the network: the interactive map from :func:`coverage.render.render_map` is
embedded in an ``<iframe srcdoc=...>`` (itself offline, checked), the
coverage-vs-budget curve is a PNG inlined as a ``data:`` URI, and every
table is plain HTML. Every string that comes from the user's data (scene
name, district names, owners, categories, notes, attribution) is escaped.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage.errors import InputError
from coverage.io import write_text

if TYPE_CHECKING:
    import geopandas as gpd

    from coverage.evaluation import Report, Roadmap
    from coverage.plan import Plan
    from coverage.scene import Scene

__all__ = [
    "REPORT_STEPS",
    "camera_words",
    "check_self_contained",
    "lonlat_text",
    "place_labels",
    "report_html",
    "write_report",
]

Fmt = Callable[[Any], str]

#: Height of the embedded map (CSS pixels).
MAP_HEIGHT_PX = 640

#: The steps :func:`report_html` reports to its ``progress`` callback, in order
#: ("evaluate" and "curve" only when it computes them, "figure" with a curve,
#: "map" with the map; "write" by :func:`write_report` only).
REPORT_STEPS = ("evaluate", "curve", "figure", "map", "tables", "check", "write")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1200px;padding:1.5rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
.sub{color:#666;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:10rem}
.card .v{font-size:1.3rem;font-weight:600}.card .k{color:#666;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .5rem;text-align:right}
th{background:#f6f6f6;position:sticky;top:0}
td.t,th.t{text-align:left}
tr.total td{font-weight:600;border-top:2px solid #999}
iframe{display:block;width:100%;height:640px;border:1px solid #ccc}
img.curve{max-width:100%;height:auto}
.note{color:#555;font-size:.85rem}
footer{margin-top:2rem;color:#666;font-size:.8rem}
"""


# ----------------------------------------------------------------------------- formatting


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _missing(x: Any) -> bool:
    try:
        return x is None or (isinstance(x, float | np.floating) and math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _int(x: Any) -> str:
    return "–" if _missing(x) else f"{round(float(x)):,}"


def _num(digits: int) -> Fmt:
    def f(x: Any) -> str:
        return "–" if _missing(x) else f"{float(x):,.{digits}f}"

    return f


def _pct(x: Any) -> str:
    return "–" if _missing(x) else f"{100 * float(x):.1f}%"


def _signed_pct(x: Any) -> str:
    return "–" if _missing(x) else f"{100 * float(x):+.1f} pts"


def _text(x: Any) -> str:
    return "" if _missing(x) else str(x)


def _table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Fmt]],
    *,
    total: dict[str, Any] | None = None,
    max_rows: int | None = None,
) -> str:
    """Build an HTML table of the given (column, header, formatter), skipping absent columns."""
    cols = [c for c in columns if c[0] in frame.columns]
    left = [' class="t"' if fmt is _text else "" for _, _, fmt in cols]
    head = "".join(f"<th{a}>{_esc(h)}</th>" for (_, h, _), a in zip(cols, left, strict=True))
    rows = []
    shown = frame if max_rows is None else frame.head(max_rows)
    for rec in shown.to_dict("records"):
        cells = "".join(
            f"<td{a}>{_esc(fmt(rec.get(c)))}</td>"
            for (c, _, fmt), a in zip(cols, left, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    if total is not None:
        cells = "".join(
            f"<td{a}>{_esc(fmt(total[c]) if c in total else '')}</td>"
            for (c, _, fmt), a in zip(cols, left, strict=True)
        )
        rows.append(f'<tr class="total">{cells}</tr>')
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f'<p class="note">First {max_rows:,} of {len(frame):,} rows.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _cards(items: Iterable[tuple[str, str]]) -> str:
    cards = "".join(
        f'<div class="card"><div class="v">{_esc(v)}</div><div class="k">{_esc(k)}</div></div>'
        for k, v in items
    )
    return f'<div class="cards">{cards}</div>'


_CAMERA_FIELD = re.compile(r"\b(cameras|hfov_deg|range_m|resolution_px|mount_height_m)=([^,)]+)")


def camera_words(camera: Any, cameras: pd.DataFrame | None = None) -> str:
    """Describe a camera set in words: ``"3 cameras, 90° field of view, 40 m range"``.

    `camera` is a :class:`coverage.CameraSet` or its repr (as ``plan.meta``
    keeps it); a range left to the resolution is read from `cameras`
    (``plan.cameras``: ``range_m`` of the new sets).

    Examples
    --------
    >>> import coverage as cov
    >>> camera_words(cov.CameraSet(cameras=3, hfov_deg=90, range_m=40))
    '3 cameras, 90° field of view, 40 m range'
    >>> camera_words("CameraSet(cameras=1, hfov_deg=360.0, range_m=None, resolution_px=1920, "
    ...              "mount_height_m=6.0)")
    '1 camera, 360° field of view, range set by resolution, 1,920 px wide, mounted at 6 m'
    """
    if isinstance(camera, str):
        raw = dict(_CAMERA_FIELD.findall(camera))
        fields: dict[str, float | None] = {
            k: (None if v.strip() == "None" else float(v)) for k, v in raw.items()
        }
    else:
        names = ("cameras", "hfov_deg", "range_m", "resolution_px", "mount_height_m")
        fields = {k: getattr(camera, k, None) for k in names}
    rng = fields.get("range_m")
    if rng is None and cameras is not None and len(cameras) and "range_m" in cameras:
        new = cameras[cameras["status"].astype(str) == "new"] if "status" in cameras else cameras
        vals = np.unique(new["range_m"].to_numpy(dtype=float))
        if len(vals) == 1:
            rng = float(vals[0])
    n = int(fields.get("cameras") or 1)
    parts = [f"{n} camera{'s' if n != 1 else ''}"]
    if fields.get("hfov_deg") is not None:
        parts.append(f"{float(fields['hfov_deg'] or 0):g}° field of view")
    parts.append(f"{rng:g} m range" if rng is not None else "range set by resolution")
    if fields.get("resolution_px") is not None:
        parts.append(f"{int(fields['resolution_px'] or 0):,} px wide")
    if fields.get("mount_height_m") is not None:
        parts.append(f"mounted at {float(fields['mount_height_m'] or 0):g} m")
    return ", ".join(parts)


#: A place is named after the nearest named corridor within this distance (metres).
PLACE_NAME_REACH_M = 60.0


def lonlat_text(lon: float, lat: float) -> str:
    """Write a position as ``"22.29750° N, 114.17220° E"``.

    Examples
    --------
    >>> lonlat_text(-0.5, -33.25)
    '33.25000° S, 0.50000° W'
    """
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"{abs(lat):.5f}° {ns}, {abs(lon):.5f}° {ew}"


def place_labels(scene: Scene, xy: Any) -> list[tuple[str, str]]:
    """(street name, lon/lat text) of each point of `xy` (scene CRS).

    The street is the nearest corridor with a ``name`` within
    `PLACE_NAME_REACH_M` ("" when none); lon/lat come from the scene's CRS.
    """
    import shapely
    from pyproj import Transformer

    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return []
    streets = [""] * len(pts)
    corr = scene.corridors
    if "name" in corr.columns:
        names = corr["name"].fillna("").astype(str).str.strip().to_numpy()
        named = np.flatnonzero(names != "")
        if named.size:
            tree = shapely.STRtree(corr.geometry.to_numpy()[named])
            q, hit = tree.query_nearest(shapely.points(pts), max_distance=PLACE_NAME_REACH_M)
            for i, j in zip(q.tolist(), hit.tolist(), strict=True):
                if not streets[i]:
                    streets[i] = str(names[named[j]])
    if scene.crs is None:
        return [(st, "") for st in streets]
    lon, lat = Transformer.from_crs(scene.crs, 4326, always_xy=True).transform(pts[:, 0], pts[:, 1])
    return [
        (st, lonlat_text(float(a), float(b)))
        for st, a, b in zip(streets, np.atleast_1d(lon), np.atleast_1d(lat), strict=True)
    ]


def _place(name: str, street: str, where: str) -> str:
    """``"hotspot 2 on Nathan Road (22.29750° N, 114.17220° E)"``."""
    on = f" on {street}" if street and street not in name else ""
    return f"{name}{on} ({where})" if where else f"{name}{on}"


# ----------------------------------------------------------------------------- sections

_DISTRICT_COLUMNS: list[tuple[str, str, Fmt]] = [
    ("district", "District", _text),
    ("sets_new", "New sets", _int),
    ("sets_existing", "Existing sets", _int),
    ("demand_points", "Demand points", _int),
    ("weight_total", "Demand weight", _num(1)),
    ("weighted_coverage_before", "Weighted coverage before", _pct),
    ("weighted_coverage", "Weighted coverage after", _pct),
    ("point_coverage_before", "Points watched before", _pct),
    ("point_coverage", "Points watched after", _pct),
    ("incidents", "Incidents", _int),
    ("incidents_covered_before", "Incidents watched before", _int),
    ("incidents_covered", "Incidents watched after", _int),
    ("area_km2", "Area km²", _num(2)),
    ("sets_per_km2", "Sets per km²", _num(1)),
    ("sets_per_10k_residents", "Sets per 10,000 residents", _num(2)),
    ("privacy_seen_m2", "Privacy-zone area seen m²", _num(0)),
]

_CURVE_COLUMNS: list[tuple[str, str, Fmt]] = [
    ("budget", "Budget (sets)", _int),
    ("objective", "Covered weight", _num(1)),
    ("upper_bound", "Proven upper bound", _num(1)),
    ("gap", "Gap", _pct),
    ("weighted_coverage", "Weighted coverage", _pct),
    ("upper_bound_coverage", "Bound on coverage", _pct),
    ("method", "Method", _text),
]


def _district_columns(scene: Scene, report: Report) -> list[tuple[str, str, Fmt]]:
    """District columns to show: incident, resident and privacy columns only with data."""
    d = report.districts
    hide = set()
    if not report.total.get("incidents"):
        hide |= {"incidents", "incidents_covered_before", "incidents_covered"}
    if "sets_per_10k_residents" not in d or d["sets_per_10k_residents"].isna().all():
        hide.add("sets_per_10k_residents")
    if len(scene.privacy_zones) == 0:
        hide.add("privacy_seen_m2")
    return [c for c in _DISTRICT_COLUMNS if c[0] not in hide]


def _headline(plan: Plan, report: Report) -> str:
    t = report.total
    items = [
        ("new sets (existing)", f"{t['sets_new']:,} ({t['sets_existing']:,})"),
        (
            "weighted coverage before → after",
            f"{_pct(t['weighted_coverage_before'])} → {_pct(t['weighted_coverage'])}",
        ),
        (
            "demand points watched before → after",
            f"{_pct(t['point_coverage_before'])} → {_pct(t['point_coverage'])}",
        ),
        ("objective (covered weight)", _num(1)(plan.objective)),
        ("proven upper bound", _num(1)(plan.upper_bound)),
        ("optimality gap", f"{100 * float(plan.gap):.2f}%"),
    ]
    phases = plan.meta.get("phases") or []
    if len(phases) > 1:
        # a nested plan's bound is on the last phase, given the sets of the phases before
        n = len(phases)
        items[-2] = (f"proven upper bound (phase {n}, given phases 1–{n - 1})", items[-2][1])
        items[-1] = (f"gap of phase {n} (each phase: see Phases)", items[-1][1])
    if t.get("incidents"):
        items.append(
            (
                "incidents watched before → after",
                f"{t['incidents_covered_before']:,} → {t['incidents_covered']:,} "
                f"of {t['incidents']:,}",
            )
        )
    if "longest_unwatched_m" in t:
        items.append(("longest unobserved stretch", f"{_num(0)(t['longest_unwatched_m'])} m"))
        items.append(
            (
                f"routes watched ≥ {t['route_threshold']:.0%} of their length",
                f"{_pct(t['share_routes_watched'])} of {int(t['routes'])}",
            )
        )
    return _cards(items)


def _timings(plan: Plan) -> str:
    meta = plan.meta
    timings = meta.get("timings_s") or {}
    if not timings:
        return ""
    frame = pd.DataFrame({"stage": list(timings), "seconds": [float(v) for v in timings.values()]})
    total = {"stage": "total", "seconds": float(frame["seconds"].sum())}
    table = _table(frame, [("stage", "Stage", _text), ("seconds", "Seconds", _num(2))], total=total)
    settings = [
        (k, meta[k])
        for k in (
            "solver_method",
            "budget",
            "spacing_m",
            "candidate_spacing_m",
            "bandwidth_m",
            "occlusion",
            "rng",
            "n_demand",
            "n_sites",
            "n_configurations",
            "camera",
        )
        if k in meta
    ]
    settings = [
        (k, camera_words(v, plan.cameras)) if k == "camera" else (k, v) for k, v in settings
    ]
    kv = pd.DataFrame({"setting": [k for k, _ in settings], "value": [v for _, v in settings]})
    return (
        "<h2>Run</h2>"
        + table
        + _table(kv, [("setting", "Setting", _text), ("value", "Value", _text)])
    )


def _phases(plan: Plan) -> str:
    phases = plan.meta.get("phases") or []
    if len(phases) < 2:
        return ""
    frame = pd.DataFrame(phases)
    return (
        "<h2>Phases</h2><p class='note'>Each phase adds to the sets of the phases before it; "
        "its bound is on the best that phase could add given them.</p>"
        + _table(
            frame,
            [
                ("phase", "Phase", _int),
                ("budget", "Budget", _int),
                ("sets", "Sets", _int),
                ("objective", "Covered weight after", _num(1)),
                ("upper_bound", "Proven upper bound", _num(1)),
                ("gap", "Gap", _pct),
                ("method", "Method", _text),
                ("seconds", "Seconds", _num(1)),
            ],
        )
    )


def _route_names(scene: Scene, plan: Plan, routes: pd.DataFrame) -> dict[str, str]:
    """Route-end name -> the name with its street and lon/lat (names not found: as they are).

    The ends are those :func:`coverage.evaluation.routes.route_ends` picks with
    its defaults (what :func:`coverage.evaluate` uses).
    """
    from coverage.evaluation.routes import route_ends

    try:
        ends = pd.concat(route_ends(scene, plan), ignore_index=True)
    except (ValueError, KeyError):  # a plan-like object without what route_ends reads
        return {}
    wanted = set(routes["origin"].astype(str)) | set(routes["target"].astype(str))
    ends = ends[ends["name"].astype(str).isin(wanted)].drop_duplicates("name")
    labels = place_labels(scene, ends[["x", "y"]].to_numpy(dtype=float))
    return {
        str(n): _place(str(n), street, where)
        for n, (street, where) in zip(ends["name"], labels, strict=True)
    }


def _continuity(scene: Scene, plan: Plan, report: Report, crs_line: str) -> str:
    c = getattr(report, "continuity", None)
    if c is None:
        return ""
    ends = ""
    if c.longest_unwatched_ends is not None:
        (x0, y0), (x1, y1) = c.longest_unwatched_ends
        crs = crs_line.removeprefix("Distances in metres, working CRS ")
        (s0, w0), (s1, w1) = place_labels(scene, [[x0, y0], [x1, y1]])
        a = _place("", s0, w0).strip() or f"({x0:.0f}, {y0:.0f})"
        b = _place("", s1, w1).strip() or f"({x1:.0f}, {y1:.0f})"
        a, b = a.removeprefix("on "), b.removeprefix("on ")
        ends = (
            f" It runs from {a} to {b}; in the working CRS {crs}: ({x0:.0f}, {y0:.0f}) to "
            f"({x1:.0f}, {y1:.0f}) m."
        )
    text = (
        f"<p>Longest unobserved stretch: <b>{c.longest_unwatched_m:,.0f} m</b> (the longest "
        "shortest walk that stays on unwatched corridor)."
        f"{_esc(ends)} Largest connected unwatched network: "
        f"{c.largest_unwatched_network_m:,.0f} m. Watched corridor: "
        f"{c.watched_length_m:,.0f} m of {c.corridor_length_m:,.0f} m.</p>"
    )
    if len(c.routes):
        text += (
            f"<p>{int(c.routes['watched'].sum())} of {len(c.routes)} shortest walking routes "
            f"between landmarks and hotspots are watched for at least {c.threshold:.0%} of "
            f"their length ({_pct(c.share_routes_watched)}). Each end is named with the "
            f"nearest named street within {PLACE_NAME_REACH_M:.0f} m and its longitude and "
            "latitude.</p>"
        )
        routes = c.routes.sort_values("watched_share", ascending=True, kind="stable").copy()
        names = _route_names(scene, plan, routes)
        for col in ("origin", "target"):
            routes[col] = [names.get(str(v), str(v)) for v in routes[col]]
        text += "<h3>Least watched routes</h3>" + _table(
            routes,
            [
                ("origin", "From", _text),
                ("target", "To", _text),
                ("length_m", "Length m", _num(0)),
                ("watched_m", "Watched m", _num(0)),
                ("watched_share", "Watched share", _pct),
            ],
            max_rows=25,
        )
    return "<h2>Corridor continuity</h2>" + text


def _incidents(report: Report) -> str:
    inc = getattr(report, "incidents", None)
    if inc is None or len(inc) == 0:
        return ""
    by_cat = (
        inc.groupby("category", sort=True)[["incidents", "covered_before", "covered"]]
        .sum()
        .reset_index()
    )
    by_cat["coverage"] = by_cat["covered"] / by_cat["incidents"].where(by_cat["incidents"] > 0)
    cols: list[tuple[str, str, Fmt]] = [
        ("category", "Category", _text),
        ("incidents", "Incidents", _int),
        ("covered_before", "Watched before", _int),
        ("covered", "Watched after", _int),
        ("coverage", "Share watched", _pct),
    ]
    return (
        "<h2>Incidents by category</h2><p class='note'>An incident counts as watched when a set "
        "of the plan sees its location.</p>"
        + _table(by_cat, cols)
        + "<h3>By district and category</h3>"
        + _table(inc, [("district", "District", _text), *cols], max_rows=500)
    )


def _comparison(comparison: pd.DataFrame | None) -> str:
    if comparison is None or len(comparison) == 0:
        return ""
    cols: list[tuple[str, str, Fmt]] = []
    for c in comparison.columns:
        if c == "district":
            cols.append((c, "District", _text))
        elif c == "difference":
            cols.append((c, "Difference (weighted coverage)", _signed_pct))
        elif "coverage" in c:
            cols.append((c, c.replace("_", " "), _pct))
        elif c.startswith(("sets", "incidents")):
            cols.append((c, c.replace("_", " "), _int))
        else:
            cols.append((c, c.replace("_", " "), _text))
    return "<h2>Plan comparison</h2>" + _table(comparison, cols)


def _new_sets(scene: Scene, plan: Plan, crs_line: str, max_rows: int = 50) -> str:
    cams = plan.cameras
    new = cams[cams["status"].astype(str) == "new"].sort_values("rank", kind="stable")
    if len(new) == 0:
        return ""
    shown = new.head(max_rows)
    labels = place_labels(scene, np.column_stack([shown.geometry.x, shown.geometry.y]))
    frame = pd.DataFrame(
        {
            "rank": new["rank"].to_numpy(),
            "street": [st for st, _ in labels] + [""] * (len(new) - len(shown)),
            "where": [w for _, w in labels] + [""] * (len(new) - len(shown)),
            "district": new["district"].astype(str).to_numpy(),
            "gain": new["gain"].to_numpy(dtype=float),
            "headings": [", ".join(f"{float(h):.0f}°" for h in hd) for hd in new["headings_deg"]],
            "x": new.geometry.x.to_numpy(),
            "y": new.geometry.y.to_numpy(),
            "owner": new["owner"].astype(str).to_numpy() if "owner" in new else "",
        }
    )
    note = (
        f"<p class='note'>x and y: {_esc(crs_line.removeprefix('Distances in '))}; latitude "
        "and longitude: WGS 84 (EPSG:4326). Street: the nearest named corridor within "
        f"{PLACE_NAME_REACH_M:.0f} m.</p>"
    )
    return (
        "<h2>New sets in the order chosen</h2>"
        + note
        + _table(
            frame,
            [
                ("rank", "Rank", _int),
                ("street", "Street", _text),
                ("where", "Latitude, longitude", _text),
                ("district", "District", _text),
                ("gain", "Marginal gain (covered weight)", _num(2)),
                ("headings", "Camera headings", _text),
                ("x", "x (m)", _num(1)),
                ("y", "y (m)", _num(1)),
                ("owner", "Owner", _text),
            ],
            max_rows=max_rows,
        )
    )


def _curve_section(curve: pd.DataFrame, png: bytes | None) -> str:
    img = ""
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        img = (
            f'<img class="curve" alt="Covered weight and proven upper bound against budget" '
            f'src="data:image/png;base64,{data}">'
        )
    return (
        "<h2>Coverage against budget</h2><p class='note'>Covered demand weight for each budget "
        "and the proven upper bound on the best possible: the truth lies between the two "
        "lines.</p>" + img + _table(curve, _CURVE_COLUMNS)
    )


def _programme_sections(
    scene: Scene,
    plan: Plan,
    report: Report,
    partners: pd.DataFrame | None,
    roadmap: Roadmap | None,
    incident_phases: pd.DataFrame | None,
) -> list[str]:
    """Phases, roadmap, partners' cameras, incidents and incidents by phase, in that order."""
    from coverage import _report_programme as programme

    return [
        _phases(plan),
        programme.roadmap_html(roadmap),
        programme.partners_html(partners, scene),
        _incidents(report),
        programme.incident_phases_html(incident_phases),
    ]


# ----------------------------------------------------------------------------- checks

_REF = re.compile(
    r"""<[a-zA-Z][^>]*?\s(?:src|href|srcset|poster|background|action|data)\s*=\s*["']?"""
    r"""(?!data:|\#|["'\s>])""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*["']?(?!data:|\#)|@import""", re.IGNORECASE)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_SRCDOC = re.compile(r'\ssrcdoc="[^"]*"', re.IGNORECASE)


def check_self_contained(text: str) -> None:
    """Raise InputError if the report's own markup would load anything.

    Checks every tag's ``src``/``href``/... attribute (only ``data:`` URIs and
    ``#`` anchors pass) and CSS ``url()``/``@import``. The embedded map (an
    escaped ``srcdoc``) is left out here: it is checked on its own (see
    :func:`coverage.render.save_map`).

    Examples
    --------
    >>> check_self_contained('<img src="data:image/png;base64,AAAA">')
    >>> check_self_contained('<script src="https://cdn.example/x.js"></script>')
    Traceback (most recent call last):
    ...
    coverage.errors.InputError: The report is not self-contained: ...
    """
    own = _SRCDOC.sub(' srcdoc=""', text)
    bad = [m.group(0)[:80] for m in _REF.finditer(own)]
    bad += [m.group(0) for style in _STYLE.findall(own) for m in _CSS_URL.finditer(style)]
    if bad:
        msg = f"The report is not self-contained: {bad[:5]!r} would load from outside the file."
        raise InputError(msg)


# ----------------------------------------------------------------------------- public API


def report_html(  # noqa: PLR0913 - public entry point: the data, then keyword-only options
    scene: Scene,
    plan: Plan,
    *,
    report: Report | None = None,
    curve: pd.DataFrame | bool | None = None,
    comparison: pd.DataFrame | None = None,
    title: str | None = None,
    notes: str | Sequence[str] = (),
    include_map: bool = True,
    curve_time_limit_s: float = 5.0,
    land: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    progress: Callable[[str], object] | None = None,
    partners: pd.DataFrame | None = None,
    roadmap: Roadmap | None = None,
    incident_phases: pd.DataFrame | None = None,
) -> str:
    """Build the report of :func:`write_report` as a string (same parameters, no path)."""
    from coverage.evaluation import coverage_curve, evaluate

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    if report is None:
        step("evaluate")
        report = evaluate(scene, plan)
    if curve is None or curve is True:
        step("curve")
        curve = coverage_curve(plan)
    name = scene.name
    if title is None:
        title = f"Camera plan — {name}" if name else "Camera plan"
    if isinstance(notes, str):
        notes = [notes] if notes else []
    from coverage.render import crs_sentence

    crs_line = crs_sentence(scene, plan)
    png: bytes | None = None
    map_html: str | None = None
    with tempfile.TemporaryDirectory(prefix="coverage-report-") as tmp:
        if isinstance(curve, pd.DataFrame) and len(curve):
            from coverage.render import plot_curve

            step("figure")
            png = plot_curve(curve, Path(tmp) / "curve.png", dpi=110).read_bytes()
        if include_map:
            from coverage.render import render_map, save_map

            step("map")
            m = render_map(scene, plan, land=land)
            path = save_map(m, Path(tmp) / "map.html", offline=True)
            map_html = path.read_text(encoding="utf-8")
    step("tables")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="sub">{_esc(name)}{" — " if name else ""}'
        f"{len(plan.new_cameras):,} new camera sets, solver "
        f"{_esc(plan.solution.method)}.</p>",
    ]
    parts.append(f'<p class="note crs">{_esc(crs_line)}.</p>')
    parts += [f'<p class="note">{_esc(n)}</p>' for n in notes]
    parts.append(_headline(plan, report))
    if map_html is not None:
        # an explicit size: the map inside never starts in a frame of zero size
        parts.append(
            '<h2>Map</h2><iframe title="Coverage map" sandbox="allow-scripts" loading="eager" '
            f'width="100%" height="{MAP_HEIGHT_PX}" '
            f'srcdoc="{html.escape(map_html, quote=True)}"></iframe>'
        )
    total = {"district": "All districts", **report.total}
    parts.append(
        "<h2>Districts</h2><p class='note'>Area is the district polygon's; administrative "
        "districts that include sea (Hong Kong's do) show low densities per km².</p>"
    )
    parts.append(_table(report.districts, _district_columns(scene, report), total=total))
    parts += _programme_sections(scene, plan, report, partners, roadmap, incident_phases)
    from coverage.evaluation.face import face_privacy_html

    parts.append(face_privacy_html(scene, plan))
    parts.append(_continuity(scene, plan, report, crs_line))
    if isinstance(curve, pd.DataFrame) and len(curve):
        parts.append(_curve_section(curve, png))
    parts.append(_comparison(comparison))
    parts.append(_new_sets(scene, plan, crs_line))
    from coverage.evaluation.assumptions import assumptions_html

    parts.append(assumptions_html(plan))
    parts.append(_timings(plan))
    attribution = list(scene.attribution)
    foot = "".join(f"<div>{_esc(a)}</div>" for a in attribution)
    parts.append(f"<footer><div>Data:</div>{foot}</footer>" if foot else "<footer></footer>")
    parts.append("</body></html>")
    text = "\n".join(p for p in parts if p)
    step("check")
    check_self_contained(text)
    return text


def write_report(  # noqa: PLR0913 - public entry point: the data, then keyword-only options
    path: str | os.PathLike[str],
    scene: Scene,
    plan: Plan,
    *,
    report: Report | None = None,
    curve: pd.DataFrame | bool | None = None,
    comparison: pd.DataFrame | None = None,
    title: str | None = None,
    notes: str | Sequence[str] = (),
    include_map: bool = True,
    curve_time_limit_s: float = 5.0,
    land: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    progress: Callable[[str], object] | None = None,
    partners: pd.DataFrame | None = None,
    roadmap: Roadmap | None = None,
    incident_phases: pd.DataFrame | None = None,
) -> Path:
    """Write one self-contained HTML report of a plan, atomically.

    Parameters
    ----------
    path
        Output ``.html`` file.
    scene
        The scene the plan was made for.
    plan
        The plan.
    report
        A :class:`coverage.evaluation.Report`; None: ``evaluate(scene, plan)``.
    curve
        A frame from :func:`coverage.evaluation.coverage_curve` (``budget``,
        ``objective``, ``upper_bound``); None or True: computed with the
        default budgets from one ordered solve (``method="ordered"``, seconds);
        False: no curve section.
    comparison
        A frame from :func:`coverage.evaluation.compare`, shown as a table.
    title
        Page title; None: "Camera plan — <scene name>".
    notes
        Paragraphs of your own, shown under the title.
    include_map
        Embed the interactive map (:func:`coverage.render.render_map`).
    curve_time_limit_s
        Kept for callers of earlier versions; the ordered curve does not use it.
    land
        Land polygons for the map (see :func:`coverage.render.render_map`),
        e.g. :func:`coverage.datasets.hong_kong_land`.
    progress
        Called with the name of each step as it starts (:data:`REPORT_STEPS`:
        ``"evaluate"``, ``"curve"``, ``"figure"``, ``"map"``, ``"tables"``,
        ``"check"``, ``"write"``), e.g. to show them on a progress bar.
    partners
        A table from :func:`coverage.evaluation.integration_value`: the
        "Partners' cameras" section (coverage with and without each owner's
        sets, new sets saved, the most valuable sets).
    roadmap
        A :class:`coverage.evaluation.Roadmap`: the "Roadmap" section (the year
        a target is reached, an inline SVG chart of coverage and proven bound
        per year, the table).
    incident_phases
        A table from :func:`coverage.evaluation.incidents_by_phase`: incidents
        watched per category (and year of data) before the plan and after each
        phase, with the caveats (watched is not solved).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    coverage.errors.InputError
        If the page would load anything from the network (never expected).

    Notes
    -----
    The page holds: headline numbers (objective, proven upper bound, gap,
    coverage before and after, incidents, continuity), the map in an
    ``<iframe srcdoc>``, the district table, incidents by category, corridor
    continuity and routes, the coverage-vs-budget curve (PNG as a ``data:``
    URI) with its table, the comparison, the first new sets, stage timings
    and settings, and the scene's attribution lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> import coverage as cov
    >>> d = gpd.GeoDataFrame({"name": ["D"]}, geometry=[box(0, -50, 300, 50)], crs=2326)
    >>> c = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (300, 0)])], crs=2326)
    >>> scene = cov.Scene(d, c, name="Line <street>")
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=2, method="greedy"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_report(pathlib.Path(tmp) / "r.html", scene, plan, include_map=False)
    ...     text = p.read_text(encoding="utf-8")
    >>> "Line &lt;street&gt;" in text and "<street>" not in text
    True
    """
    text = report_html(
        scene,
        plan,
        report=report,
        curve=curve,
        comparison=comparison,
        title=title,
        notes=notes,
        include_map=include_map,
        curve_time_limit_s=curve_time_limit_s,
        land=land,
        progress=progress,
        partners=partners,
        roadmap=roadmap,
        incident_phases=incident_phases,
    )
    if progress is not None:
        progress("write")
    return write_text(path, text)
