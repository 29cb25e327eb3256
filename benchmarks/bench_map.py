"""Benchmark the coverage map: HTML size, build time, browser load time.

Cases:

- ``sample``: the bundled sample city, a 200-set greedy plan;
- ``hk-size``: a synthetic Hong Kong-size grid city (4,000 new sets in four
  phases, 1,000 existing, 100,000 corridor segments, 20,000 incidents) from
  ``benchmarks/_grid_city.py``, solved by greedy from 8,000 candidate poles
  (the solve is timed apart as "prep": this measures the map, not the optimizer);
- ``hk``: the real Hong Kong data beside the repository (``--hk``), a 300-set plan.

For each: HTML size (MB), build seconds (``render_map`` + ``save_map``), and
the load seconds in headless Chromium (``/usr/bin/chromium``, offline: every
non-file request aborted), from navigation to the first frame after the load
event, plus the renderer's CPU seconds (``Performance.getMetrics``
ProcessTime), which is less sensitive to other processes sharing the machine.
Targets: the Hong Kong-size map under 15 MB and loading in under 3 s.

Run::

    .venv/bin/python benchmarks/bench_map.py            # sample + hk-size
    .venv/bin/python benchmarks/bench_map.py --hk       # + real Hong Kong
    .venv/bin/python benchmarks/bench_map.py --cases hk-size --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from coverage.render import render_map, save_map  # noqa: E402

CHROMIUM = Path(os.environ.get("COVERAGE_CHROMIUM", "/usr/bin/chromium"))
HK_DATA = ROOT.parent / "shared" / "data" / "hong-kong"


def case_sample():
    import coverage as cov

    scene = cov.datasets.sample_city()
    plan = cov.solve(
        cov.Problem(
            scene, cov.CameraSet(cameras=3, hfov_deg=90, range_m=40), budget=200, method="greedy"
        )
    )
    return scene, plan


def case_hk_size():
    from _grid_city import grid_city_plan

    return grid_city_plan(n_sets=4000, n_segments=100_000, n_existing=1000, rng=0)


def case_hk():
    import coverage as cov

    if not HK_DATA.is_dir():
        msg = f"Hong Kong data folder not found: {HK_DATA}"
        raise SystemExit(msg)
    scene = cov.datasets.hong_kong(HK_DATA)
    plan = cov.solve(
        cov.Problem(
            scene, cov.CameraSet(cameras=3, hfov_deg=90, range_m=40), budget=300, method="greedy"
        )
    )
    return scene, plan


CASES = {"sample": case_sample, "hk-size": case_hk_size, "hk": case_hk}


def browser_load(path: Path, *, repeat: int) -> tuple[float, float, int]:
    """Median wall and renderer-CPU seconds to load `path`, and the drawn path count."""
    from playwright.sync_api import sync_playwright

    walls, cpus, n_paths = [], [], -1
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as pw:
        home = Path(scratch) / "home"
        home.mkdir()
        ctx = pw.chromium.launch_persistent_context(
            str(Path(scratch) / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            env={**os.environ, "HOME": str(home)},
            viewport={"width": 1280, "height": 900},
        )
        try:
            for _ in range(repeat):
                page = ctx.new_page()
                failed, errors = [], []
                page.on("requestfailed", lambda r, f=failed: f.append(r.url))
                page.on("pageerror", lambda e, f=errors: f.append(str(e)))
                page.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
                )
                cdp = ctx.new_cdp_session(page)
                cdp.send("Performance.enable")
                cpu0 = _metric(cdp, "ProcessTime")
                t0 = time.perf_counter()
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(0)))")
                walls.append(time.perf_counter() - t0)
                cpus.append(_metric(cdp, "ProcessTime") - cpu0)
                n_paths = page.evaluate(
                    """() => { let n = 0; document.querySelectorAll('.folium-map').forEach(e => {
                        window[e.id].eachLayer(l => { if (l instanceof L.Path) n++; }); });
                        return n; }"""
                )
                if failed or errors:
                    msg = f"{path}: failed requests {failed[:3]}, errors {errors[:3]}"
                    raise SystemExit(msg)
                page.close()
        finally:
            ctx.close()
    return statistics.median(walls), statistics.median(cpus), n_paths


def _metric(cdp, name: str) -> float:
    for m in cdp.send("Performance.getMetrics")["metrics"]:
        if m["name"] == name:
            return float(m["value"])
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["sample", "hk-size"], choices=list(CASES))
    parser.add_argument("--hk", action="store_true", help="also the real Hong Kong data")
    parser.add_argument("--repeat", type=int, default=3, help="browser loads per case")
    parser.add_argument("--out", type=Path, default=None, help="keep the HTML files here")
    args = parser.parse_args(argv)
    cases = list(dict.fromkeys([*args.cases, *(["hk"] if args.hk else [])]))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_map_"))
    rows = []
    for name in cases:
        t = time.perf_counter()
        scene, plan = CASES[name]()
        prep = time.perf_counter() - t
        t = time.perf_counter()
        m = render_map(scene, plan)
        path = save_map(m, out / f"{name}.html")
        build = time.perf_counter() - t
        size_mb = path.stat().st_size / 1e6
        if CHROMIUM.exists():
            wall, cpu, n_paths = browser_load(path, repeat=args.repeat)
        else:
            wall = cpu = float("nan")
            n_paths = -1
        n_new = int((plan.cameras["status"] == "new").sum())
        rows.append((name, n_new, len(scene.corridors), size_mb, prep, build, wall, cpu, n_paths))
        print(
            f"{name}: {size_mb:.2f} MB, build {build:.1f} s, load {wall:.2f} s "
            f"(renderer CPU {cpu:.2f} s), {n_paths} paths -> {path}",
            flush=True,
        )
    print()
    print("| case | new sets | corridors | HTML MB | build s | browser load s | renderer CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, n_new, n_corr, size_mb, _prep, build, wall, cpu, _ in rows:
        print(
            f"| {name} | {n_new:,} | {n_corr:,} | {size_mb:.2f} | {build:.1f} | "
            f"{wall:.2f} | {cpu:.2f} |"
        )
    print(f"\n(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
