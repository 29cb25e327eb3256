"""compare: the tiny plans with budget 1 and 2 side by side, worked on paper."""

from __future__ import annotations

import pytest

import coverage as cov
from coverage.errors import InputError
from coverage.evaluation import compare


def test_compare_on_paper(tiny_plan, tiny_problem):
    scene, one = tiny_plan
    two = cov.solve(tiny_problem(scene, 2))
    t = compare(scene, one, two, labels=("one", "two")).set_index("district")
    assert list(t.index) == ["West", "East", "(all)"]
    assert t.loc["East", "weighted_coverage_one"] == pytest.approx(18 / 40)
    assert t.loc["East", "weighted_coverage_two"] == pytest.approx(26 / 40)
    assert t.loc["East", "difference"] == pytest.approx(8 / 40)
    assert t.loc["West", "difference"] == pytest.approx(0.0)
    assert t.loc["(all)", "difference"] == pytest.approx(8 / 60)
    assert t.loc["East", ["sets_new_one", "sets_new_two", "sets_difference"]].tolist() == [1, 2, 1]
    assert t.loc["West", "weighted_coverage_before"] == pytest.approx(12 / 20)
    with pytest.raises(InputError, match="two distinct labels"):
        compare(scene, one, two, labels=("x", "x"))
