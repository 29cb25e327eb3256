"""The report's programme sections: partners' cameras, roadmap chart, incidents by phase."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from conftest import X0, Y0
from partners import EXISTING, partner_problem
from shapely.geometry import Point

import coverage as cov
from coverage.evaluation import incidents_by_phase, integration_value, roadmap
from coverage.report import check_self_contained, report_html


@pytest.fixture(scope="module")
def programme():
    rows = [("<script>MTR</script>", *r[1:]) if r[0] == "MTR" else r for r in EXISTING]
    problem = partner_problem(rows)
    hs = gpd.GeoDataFrame(
        {"category": ["theft", "=HYPERLINK(1)", "theft"], "year": [2019, 2020, 2020]},
        geometry=[Point(X0 + 150, Y0 + 100), Point(X0 + 100, Y0 + 70), Point(X0 + 30, Y0 + 100)],
        crs="EPSG:2326",
    )
    s = problem.scene
    scene = cov.Scene(
        s.districts, s.corridors, buildings=s.buildings, cameras=s.cameras, hotspots=hs
    )
    from dataclasses import replace

    problem = replace(problem, scene=scene)
    road = roadmap(problem, [1, 2], labels=["Y<1>", "Y2"], target_share=0.6)
    partners = integration_value(problem, plan=road.plan)
    phases = incidents_by_phase(scene, road.plan)
    text = report_html(
        scene,
        road.plan,
        curve=False,
        include_map=False,
        partners=partners,
        roadmap=road,
        incident_phases=phases,
    )
    return road, partners, phases, text


def test_sections_present_escaped_and_self_contained(programme):
    road, _, _, text = programme
    check_self_contained(text)
    assert "<h2>Partners' cameras</h2>" in text
    assert "<h2>Roadmap</h2>" in text
    assert "<h2>Incidents watched, by phase</h2>" in text
    assert "<script>MTR" not in text and "&lt;script&gt;MTR&lt;/script&gt;" in text
    assert "Y&lt;1&gt;" in text and "Y<1>" not in text
    assert "Watched is not solved" in text
    # the reach sentence is the Roadmap's own
    import html

    assert html.escape(road.reach.text, quote=True) in text


def test_roadmap_chart_draws_each_year(programme):
    road, _, _, text = programme
    svg = re.search(r'<svg[^>]*class="roadmap".*?</svg>', text, re.S).group(0)
    assert svg.count("<rect") == len(road.years)
    for share in road.years["coverage"]:
        assert f"{100 * share:.1f}%" in svg
    assert "target 60.0%" in svg


def test_partners_table_shows_the_interval(programme):
    _, partners, _, text = programme
    for lo, hi in zip(partners["new_sets_saved_low"], partners["new_sets_saved_high"], strict=True):
        shown = f"{round(lo):,}" if lo == hi else f"{round(lo):,} – {round(hi):,}"
        assert f">{shown}</td>" in text


def test_incident_phase_table_counts(programme):
    _, _, phases, text = programme
    last = phases["phase"].max()
    watched = int(phases.loc[phases["phase"] == last, "watched"].sum())
    assert watched >= 1
    assert "By year of data" in text
