"""evaluate: the district table and the totals of the tiny plan, worked on paper.

The tiny plan (see conftest): B E-W at (130, 100) beside the existing set at (20, 100).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import tiny_layers

import coverage as cov
from coverage.evaluation import evaluate


def test_existing_columns_kept(tiny_plan):
    scene, plan = tiny_plan
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    assert d.loc["West", "weighted_coverage"] == pytest.approx(14 / 20)
    assert d.loc["East", "weighted_coverage"] == pytest.approx(18 / 40)
    assert d.loc["East", "point_coverage_before"] == 0
    assert list(d.index) == ["West", "East"]


def test_density_per_km2_and_residents(tiny_plan, scene_with):
    _, plan = tiny_plan
    layers = tiny_layers()
    layers["districts"]["population"] = [1000.0, 2000.0]
    scene = scene_with(layers)
    d = evaluate(scene, plan, continuity=False).districts.set_index("district")
    # West 98 m x 200 m, East 102 m x 200 m; one set in each (existing West, new East)
    assert d.loc["West", "area_km2"] == pytest.approx(98 * 200 / 1e6)
    assert d.loc["West", "sets_per_km2"] == pytest.approx(1 / (98 * 200 / 1e6))
    assert d.loc["East", "sets_per_km2"] == pytest.approx(1 / (102 * 200 / 1e6))
    assert d.loc["West", "sets_per_10k_residents"] == pytest.approx(10.0)
    assert d.loc["East", "sets_per_10k_residents"] == pytest.approx(5.0)
    no_pop = evaluate(scene_with(tiny_layers()), plan, continuity=False).districts
    assert no_pop["sets_per_10k_residents"].isna().all()


def test_evaluate_is_the_function_and_the_package_keeps_its_names(tiny_plan):
    scene, plan = tiny_plan
    assert isinstance(cov.evaluate(scene, plan, continuity=False), cov.Report)
    assert isinstance(evaluate(scene, plan, continuity=False), cov.Report)
    # in a fresh interpreter, the package's names are there whatever is imported first
    code = (
        "import coverage.evaluation as ev; "
        "assert callable(ev.evaluate) and callable(ev.compare) and callable(ev.coverage_curve); "
        "from coverage.evaluation import evaluate; "
        "assert evaluate is ev.evaluate and not isinstance(evaluate, type(ev))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_continuity_in_the_report(tiny_plan):
    scene, plan = tiny_plan
    report = evaluate(scene, plan)
    # H: watched x = 0..60 (existing) and 90..170 (B); V: y = 70..110 (B)
    # unwatched: H 60..90 joins V 110..200 only through the watched crossing -> separate
    assert report.continuity is not None
    assert report.total["watched_length_m"] == pytest.approx(60 + 80 + 40)
    assert report.total["longest_unwatched_m"] == pytest.approx(90.0)  # V 110..200
    assert report.total["corridor_length_m"] == pytest.approx(400.0)
