"""coverage_curve: objective and bound against budget for the tiny plan, worked on paper."""

from __future__ import annotations

import numpy as np
import pytest

import coverage as cov
from coverage.errors import ParameterError
from coverage.evaluation import coverage_curve


def test_curve_on_paper(tiny_plan):
    _, plan = tiny_plan
    c = coverage_curve(plan, [3, 0, 1, 2], method="exact")
    assert c["budget"].tolist() == [0, 1, 2, 3]
    assert c["objective"].tolist() == pytest.approx([12.0, 32.0, 40.0, 46.0])
    assert (c["upper_bound"] >= c["objective"] - 1e-9).all()
    assert c["upper_bound"].is_monotonic_increasing
    assert c["weighted_coverage"].tolist() == pytest.approx([12 / 60, 32 / 60, 40 / 60, 46 / 60])
    greedy = coverage_curve(plan)  # default budgets: 0 .. 2 x the plan's, capped at 3 sites
    assert greedy["budget"].tolist() == [0, 1, 2]
    assert greedy["objective"].is_monotonic_increasing
    # proven bounds: never below the optimum worked on paper
    assert (greedy["upper_bound"].to_numpy() >= np.array([12.0, 32.0, 40.0]) - 1e-9).all()


def test_curve_budget_out_of_range(tiny_plan):
    _, plan = tiny_plan
    with pytest.raises(ParameterError, match="'budgets' parameter of coverage_curve"):
        coverage_curve(plan, [4])


def test_curve_of_a_phased_plan_keeps_valid_bounds(tiny_plan, tiny_problem):
    scene, _ = tiny_plan
    phased = cov.solve(tiny_problem(scene, (1, 1)))
    assert len(phased.new_cameras) == 2
    c = coverage_curve(phased, [1, 2, 3])
    assert c["objective"].tolist()[1] == pytest.approx(40.0)
    assert (c["upper_bound"].to_numpy() >= np.array([32.0, 40.0, 46.0]) - 1e-9).all()
