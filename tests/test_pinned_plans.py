"""Pinned plans: the same inputs and seed give the same sites and headings.

The values were recorded on the bundled sample city before the package was
reorganised (issue 9); a change here means the optimizer's behaviour changed,
which must be deliberate. Greedy is deterministic by construction; the auto run
is limited by counted work (swap passes, subgradient steps, MILP nodes; issue 12),
not by time, so its plan does not depend on timing or machine load.

Re-pinned once, deliberately (issue 10): demand points within a micrometre of a
sector edge now count as seen (``coverage.matrix.EDGE_TOLERANCE_M``), so the
sample city's grid streets, which put many points exactly on an edge, give the
same plan whatever CRS the layers come in; 0.4% more matrix entries, the same
sites in a slightly different order, and a higher objective.

Re-pinned, deliberately (issue 11): the sample city's 9 existing sets with no
heading are turned along the nearest corridor instead of looking due north, so the
existing coverage changed (greedy-12 keeps its sites, objective 8,559.90 ->
8,599.11; auto-30 changed 3 sites, 13,957.04 -> 13,948.51 with its new existing
coverage; filling the headings with 0 reproduces the earlier pins exactly).

Re-pinned again, deliberately (issue 12): the optimizer's stages are limited by
counted work. The auto-30 plan keeps its objective to the last digit
(13,948.513...) with one site swapped for a tied one (1929 -> 1927); the run now
stops on its work limit at a proven gap of 0.17% instead of running a MILP to
optimality (a MILP of the whole is started only below a size threshold, no
longer when there is time left, which made the plan depend on machine load).
"""

from __future__ import annotations

import pytest

import coverage as cov

GREEDY_12 = [
    (9204, (90, 210, 330)), (5950, (0, 120, 240)), (1169, (30, 150, 270)),
    (2187, (90, 210, 330)), (1406, (0, 120, 240)), (6643, (90, 210, 330)),
    (2058, (0, 120, 240)), (1156, (90, 210, 330)), (9161, (90, 210, 330)),
    (5445, (60, 180, 300)), (6119, (0, 120, 240)), (1995, (60, 180, 300)),
]  # fmt: skip

AUTO_30 = [
    (9204, (90, 210, 330)), (5950, (0, 120, 240)), (1169, (30, 150, 270)),
    (2187, (90, 210, 330)), (6112, (60, 180, 300)), (6643, (90, 210, 330)),
    (2063, (60, 180, 300)), (9161, (90, 210, 330)), (6118, (0, 120, 240)),
    (6110, (90, 210, 330)), (5445, (60, 180, 300)), (6101, (0, 120, 240)),
    (2010, (60, 180, 300)), (1995, (60, 180, 300)), (1131, (90, 210, 330)),
    (1793, (90, 210, 330)), (7536, (30, 150, 270)), (2280, (90, 210, 330)),
    (3811, (0, 120, 240)), (2300, (0, 120, 240)), (1927, (0, 120, 240)),
    (1689, (60, 180, 300)), (1444, (30, 150, 270)), (5100, (90, 210, 330)),
    (5251, (30, 150, 270)), (7843, (90, 210, 330)), (3944, (60, 180, 300)),
    (7191, (60, 180, 300)), (9020, (0, 120, 240)), (1261, (90, 210, 330)),
]  # fmt: skip


def _sites_and_headings(plan: cov.Plan) -> list[tuple[int, tuple[int, ...]]]:
    new = plan.new_cameras
    return [
        (int(site), tuple(round(float(h)) for h in headings))
        for site, headings in zip(new["site"], new["headings_deg"], strict=True)
    ]


@pytest.mark.parametrize(
    ("options", "expected", "objective"),
    [
        ({"budget": 12, "method": "greedy"}, GREEDY_12, 8599.10654575309),
        ({"budget": 30, "method": "auto", "gap_tol": 1e-5}, AUTO_30, 13948.51330694083),
    ],
    ids=["greedy-12", "auto-30"],
)
def test_sample_city_plan_is_pinned(sample_scene, options, expected, objective):
    plan = cov.solve(cov.Problem(sample_scene, cov.CameraSet(), **options))
    assert _sites_and_headings(plan) == expected
    assert plan.objective == pytest.approx(objective, rel=1e-9)
