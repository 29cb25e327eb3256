"""Regenerate the documentation's pictures into docs/_static/figures/ (PNGs, committed).

Run from the repository root::

    python docs/make_figures.py            # all figures (about a minute)
    python docs/make_figures.py --no-browser   # skip the headless-Chromium screenshots

It plans the bundled sample city (the tutorial's settings), then draws:

- ``sample_city_plan.png``: :func:`coverage.render.plot_map` of the plan;
- ``coverage_curve.png``: :func:`coverage.render.plot_curve` of the coverage curve;
- ``concepts_close_up.png``: one neighbourhood: buildings, corridors, demand points by
  weight, candidate poles, and the chosen sets' views clipped by the buildings;
- ``dori_tiers.png``: how far one 1920 px camera reaches each DORI tier;
- ``map_screenshot.png`` and ``report_screenshot.png``: the HTML map and report in headless
  Chromium (``/usr/bin/chromium`` through playwright), so the pictures show what a planner
  sees. Every file is kept under 300 KB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "_static" / "figures"
#: The tutorial's settings (docs/tutorials/sample-city.md): small enough to run in the tests.
TUTORIAL = {"budget": 40, "spacing_m": 20, "candidate_spacing_m": 50}
MAX_BYTES = 300_000


def _plan() -> tuple[object, object]:
    import coverage as cov

    scene = cov.datasets.sample_city()
    plan = cov.solve(cov.Problem(scene, cov.CameraSet(), **TUTORIAL))
    return scene, plan


def _shrink(path: Path) -> Path:
    """Make a PNG small: an adaptive 256-colour palette, then narrower until under MAX_BYTES."""
    from PIL import Image  # matplotlib's own dependency

    img = Image.open(path).convert("RGB")
    for width in (img.width, 1000, 800, 640):
        small = img if width >= img.width else img.resize((width, img.height * width // img.width))
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            return path
    msg = f"{path} is {path.stat().st_size} bytes, over {MAX_BYTES}"
    raise SystemExit(msg)


def _trim(path: Path, *, margin: int = 8) -> Path:
    """Crop the white margins of a plot_map PNG around the map, its title and CRS note.

    The attribution line plot_map writes in the figure's bottom-left corner is left out with
    the margin (the sample city is our own CC0 data).
    """
    import numpy as np
    from PIL import Image

    img = Image.open(path).convert("RGB")
    a = np.asarray(img)
    body = a[: int(a.shape[0] * 0.96)]  # above the attribution strip
    ink = np.argwhere((body < 245).any(axis=2))
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0)
    box = (max(left - margin, 0), max(top - margin, 0), right + margin, bottom + margin)
    img.crop(box).save(path)
    return path


def static_figures(scene: object, plan: object) -> list[Path]:
    """Draw the plot_map and plot_curve pictures."""
    import coverage as cov
    from coverage.render import plot_curve, plot_map

    x0, y0, x1, y1 = scene.bounds  # type: ignore[attr-defined]
    size = (10.0, 10.0 * (y1 - y0) / (x1 - x0) + 1.2)  # the city's own aspect, room for the notes
    out = [_trim(plot_map(scene, plan, OUT / "sample_city_plan.png", dpi=80, figsize=size))]
    curve = cov.evaluation.coverage_curve(plan, [0, 10, 20, 40, 60, 80])
    out.append(plot_curve(curve, OUT / "coverage_curve.png", dpi=90))
    return [_shrink(p) for p in out]


def close_up(scene: object, plan: object) -> Path:
    """One neighbourhood, drawn from the plan's own layers (demand, sites, chosen views)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import shapely

    from coverage.visibility import view_sectors

    cams = plan.cameras[plan.cameras["status"] == "new"]  # type: ignore[attr-defined]
    centre = cams.geometry.iloc[0]
    window = shapely.box(centre.x - 120, centre.y - 90, centre.x + 120, centre.y + 90)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=80)
    b = scene.buildings  # type: ignore[attr-defined]
    b[b.intersects(window)].clip(window).plot(ax=ax, color="#b9b9b9", edgecolor="#8a8a8a")
    c = scene.corridors  # type: ignore[attr-defined]
    c[c.intersects(window)].clip(window).plot(ax=ax, color="#555555", linewidth=0.8)
    sites = plan.sites  # type: ignore[attr-defined]
    s = sites[sites.within(window)]
    ax.scatter(
        s.geometry.x, s.geometry.y, marker="+", color="#2c7fb8", s=30, label="candidate poles"
    )
    d = plan.demand  # type: ignore[attr-defined]
    d = d[d.within(window)]
    sc = ax.scatter(d.geometry.x, d.geometry.y, c=d["weight"], cmap="YlOrRd", s=9, zorder=3)
    fig.colorbar(sc, ax=ax, shrink=0.7, label="demand weight")
    chosen = cams[cams.within(window)]
    for _, row in chosen.iterrows():
        xy = np.array([row.geometry.x, row.geometry.y])
        wedges = view_sectors(xy, list(row["headings_deg"]), plan.meta["camera_set"], buildings=b)  # type: ignore[attr-defined]
        for poly in np.ravel(wedges):
            if poly is not None and not poly.is_empty:
                x, y = poly.exterior.xy if poly.geom_type == "Polygon" else (None, None)
                if x is not None:
                    ax.fill(x, y, color="#31a354", alpha=0.35, zorder=2)
    ax.scatter(
        chosen.geometry.x, chosen.geometry.y, color="#d7301f", s=50, zorder=4, label="chosen sets"
    )
    ax.set_xlim(window.bounds[0], window.bounds[2])
    ax.set_ylim(window.bounds[1], window.bounds[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_title("Views (green) are cut by buildings (grey); demand points by weight", fontsize=10)
    path = OUT / "concepts_close_up.png"
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return _shrink(path)


def dori_figure() -> Path:
    """How far a 1920 px, 90° camera reaches each DORI tier (from Camera.tier_distances_m)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import coverage as cov

    cam = cov.Camera(hfov_deg=90, resolution_px=1920)
    dist = cam.tier_distances_m
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=80)
    colors = ["#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"]
    theta = np.radians(np.linspace(45, 135, 60))
    for (tier, r), col in zip(sorted(dist.items(), key=lambda t: -t[1]), colors, strict=True):
        x = np.concatenate([[0], r * np.cos(theta), [0]])
        y = np.concatenate([[0], r * np.sin(theta), [0]])
        ax.fill(x, y, color=col, edgecolor="white")
        ax.annotate(f"{tier}: {r:.1f} m", (0, r), xytext=(4, -12), textcoords="offset points")
    ax.set_aspect("equal")
    ax.set_xlabel("metres")
    ax.set_title("One 1920 px camera, 90° field of view: DORI tiers by distance", fontsize=10)
    path = OUT / "dori_tiers.png"
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return _shrink(path)


def screenshots(scene: object, plan: object) -> list[Path]:
    """Screenshot the HTML map and report in headless Chromium."""
    from playwright.sync_api import sync_playwright

    import coverage as cov

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        cov.render_map(scene, plan).save(str(t / "map.html"))
        report = cov.write_report(t / "report.html", scene, plan)
        shots = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            pages = ((t / "map.html", "map_screenshot.png"), (report, "report_screenshot.png"))
            for src, name in pages:
                page.goto(Path(src).resolve().as_uri())
                page.wait_for_timeout(1500)
                path = OUT / name
                page.screenshot(path=str(path))
                shots.append(_shrink(path))
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    """Regenerate the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium screenshots")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    scene, plan = _plan()
    made = [*static_figures(scene, plan), close_up(scene, plan), dori_figure()]
    if not args.no_browser:
        made += screenshots(scene, plan)
    for p in made:
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
