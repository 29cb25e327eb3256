"""roadmap: nested years, proven bounds against brute force, the reach year on hand-made numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from partners import EXISTING, partner_problem

from coverage.errors import ParameterError
from coverage.evaluation import reach_year, roadmap


def _best_given(cm, w, fixed_rows, budget):
    """Best covered weight of `budget` more rows (one per site, sites not used yet), brute force."""
    A = cm.A.toarray()
    base_rows = list(cm.fixed) + list(fixed_rows)
    base = A[base_rows].max(axis=0)
    used = {int(cm.site[r]) for r in fixed_rows}
    open_rows = [i for i in range(A.shape[0]) if cm.site[i] >= 0 and int(cm.site[i]) not in used]
    sites = sorted({int(cm.site[i]) for i in open_rows})
    rows_of = {s: [i for i in open_rows if cm.site[i] == s] for s in sites}
    best = float(w @ base)
    for chosen in itertools.combinations(sites, min(budget, len(sites))):
        for rows in itertools.product(*(rows_of[s] for s in chosen)):
            best = max(best, float(w @ np.maximum(base, A[list(rows)].max(axis=0))))
    return best


@pytest.fixture(scope="module")
def road():
    problem = partner_problem(EXISTING)
    return problem, roadmap(
        problem, [1, 1, 2], labels=[2025, 2026, 2027], target_share=0.8, total_sets=8
    )


def test_years_are_nested_and_add_up(road):
    _, r = road
    cams = r.plan.new_cameras
    assert r.years["year"].tolist() == [2025, 2026, 2027]
    assert r.years["new_sets"].tolist() == [1, 1, 2]
    assert r.years["sets_total"].tolist() == [5, 6, 8]
    # nested: the sets of year k are those of years <= k (phases), and objectives never fall
    sites = [set(cams.loc[cams["phase"] <= k, "site"]) for k in (1, 2, 3)]
    assert sites[0] < sites[1] < sites[2]
    assert r.years["objective"].is_monotonic_increasing
    total = float(r.plan.demand["weight"].sum())
    assert r.years["coverage"].to_numpy() == pytest.approx(r.years["objective"] / total)


def test_bounds_are_at_least_the_brute_force_optimum(road):
    _, r = road
    cm, w = r.plan.matrix, r.plan.demand["weight"].to_numpy()
    from coverage.evaluation.integration import _new_rows

    rows = _new_rows(r.plan)
    phase = r.plan.new_cameras["phase"].to_numpy()
    for k, row in r.years.iterrows():
        earlier = rows[phase <= k]  # years before k+1 (phases are 1-based)
        given = _best_given(cm, w, earlier, int(row["budget"]))
        anywhere = _best_given(cm, w, [], int(row["sets_total"]) - len(EXISTING))
        assert row["objective"] <= given + 1e-9
        assert row["upper_bound"] >= given - 1e-9
        assert row["upper_bound_any"] >= anywhere - 1e-9
        assert row["upper_bound"] <= row["upper_bound_any"] + 1e-9
        assert 0 <= row["gap"] <= 1


def test_reach_matches_the_table(road):
    _, r = road
    cov_, ub = r.years["coverage"].to_numpy(), r.years["upper_bound_coverage"].to_numpy()
    first = np.flatnonzero(cov_ >= 0.8)
    if first.size:
        assert r.reach.status == "reached"
        assert r.reach.year == r.years["year"].iloc[first[0]]
    else:
        assert r.reach.status == ("unknown" if (ub >= 0.8).any() else "not reached")


@pytest.mark.parametrize(
    ("coverage", "bound", "status", "year", "earliest"),
    [
        ([0.2, 0.4, 0.55], [0.3, 0.45, 0.6], "reached", 2027, 2027),
        ([0.2, 0.4, 0.55], [0.3, 0.52, 0.6], "reached", 2027, 2026),  # 2026 open
        ([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], "reached", 2025, 2025),  # on the target counts
        ([0.2, 0.3, 0.45], [0.3, 0.4, 0.49], "not reached", None, None),
        ([0.2, 0.3, 0.45], [0.3, 0.4, 0.51], "unknown", None, 2027),
    ],
)
def test_reach_year_on_hand_made_numbers(coverage, bound, status, year, earliest):
    r = reach_year([2025, 2026, 2027], coverage, bound, 0.5)
    assert (r.status, r.year, r.earliest_possible) == (status, year, earliest)
    assert "50.0%" in r.text
    if status == "unknown":
        assert "Unknown" in r.text
    if status == "reached" and earliest != year:
        assert "unknown" in r.text and "2026" in r.text


def test_parameters_are_checked(road):
    problem, r = road
    with pytest.raises(ParameterError, match="make the last year 3"):
        roadmap(problem, [1, 1, 2], total_sets=9)
    with pytest.raises(ParameterError, match="'labels' parameter of roadmap must give 3"):
        roadmap(problem, [1, 1, 2], labels=[2025, 2025, 2026])
    with pytest.raises(ParameterError, match=r"'years\[1\]' parameter of roadmap"):
        roadmap(problem, [1, 0])
    with pytest.raises(ParameterError, match="'target_share' parameter of roadmap"):
        roadmap(problem, [1], target_share=1.5)
    with pytest.raises(ParameterError, match=r"phase budgets \[1, 1, 2\], not the years' \[2, 2\]"):
        roadmap(problem, [2, 2], plan=r.plan)
