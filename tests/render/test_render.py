"""The map entry points: render_map, render_comparison, save_map.

The scene and plan are real (``tests/render/conftest.py``: solved by the
pipeline). Browser checks live in ``test_browser.py``.
"""

from __future__ import annotations

import dataclasses

import pytest

from coverage.errors import InputError
from coverage.render import OfflineError, _offline, render_comparison, render_map, save_map

PAYLOADS = ("<img src=x onerror=alert(1)>", "${alert(1)}", "</script><script>alert(2)</script>")


def test_plan_crs_must_match(tiny):
    scene, plan = tiny
    other = dataclasses.replace(plan, demand=plan.demand.set_crs(32650, allow_override=True))
    with pytest.raises(InputError, match="differs from the scene"):
        render_map(scene, other)
    with pytest.raises(InputError, match="lacks the column"):
        render_map(scene, dataclasses.replace(plan, cameras=plan.cameras.drop(columns="phase")))


def test_online_map_keeps_tiles(tiny, tmp_path):
    scene, plan = tiny
    m = render_map(scene, plan, offline=False)
    out = save_map(m, tmp_path / "online.html")  # no offline check by default
    html = out.read_text()
    assert "tile.openstreetmap.org" in html and "<script src=" in html
    with pytest.raises(OfflineError, match="not self-contained"):
        save_map(m, tmp_path / "forced.html", offline=True)  # tiles need the network
    assert not (tmp_path / "forced.html").exists()


def test_save_map_is_atomic(tiny, tmp_path):
    scene, plan = tiny
    path = tmp_path / "maps" / "tiny.html"
    save_map(render_map(scene, plan), path)
    assert path.stat().st_size > 100_000
    assert [p.name for p in path.parent.iterdir()] == ["tiny.html"]
    # a failing save leaves the previous file intact and no temp file behind
    good = path.read_bytes()
    m = render_map(scene, plan, offline=False)
    with pytest.raises(OfflineError):
        save_map(m, path, offline=True)
    assert path.read_bytes() == good
    assert [p.name for p in path.parent.iterdir()] == ["tiny.html"]


def test_comparison_has_two_synced_maps(tiny):
    scene, plan = tiny
    fig = render_comparison(scene, plan, plan, labels=("Now", PAYLOADS[0]))
    html = fig.render()
    a, b = (mm.get_name() for mm in fig.coverage_maps)
    assert f"link({a},{b});link({b},{a})" in html
    assert PAYLOADS[0] not in html
    _offline.check_offline(html)


def test_comparison_online(tiny):
    scene, plan = tiny
    html = render_comparison(scene, plan, plan, offline=False).render()
    assert html.count("tile.openstreetmap.org") >= 2
