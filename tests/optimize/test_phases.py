"""Tests of plan_phases and coverage_curve."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csr_array
from strategies import (
    brute_force,
)

from coverage.optimize import (
    coverage_curve,
    objective,
    plan_phases,
)


def test_plan_phases_nested_and_bounded():
    rng = np.random.default_rng(11)
    D = (rng.random((12, 20)) < 0.25) * rng.choice([0.5, 1.0], size=(12, 20))
    A = csr_array(D)
    w = rng.random(20)
    phases = plan_phases(A, w, budgets=[2, 2], method="exact", fixed=[0])
    p1, p2 = phases
    assert 0 not in p1.selected and not set(p1.selected) & set(p2.selected)
    # phase 2 is optimal given phase 1 installed
    opt2 = brute_force(A, w, 2, fixed=[0, *p1.selected.tolist()])
    assert p2.objective == pytest.approx(opt2)
    assert p2.objective == pytest.approx(
        objective(A, w, [*p1.selected.tolist(), *p2.selected.tolist()], fixed=[0])
    )
    assert p1.objective == pytest.approx(brute_force(A, w, 2, fixed=[0]))


def test_coverage_curve_bounds_and_monotone():
    rng = np.random.default_rng(12)
    D = (rng.random((10, 25)) < 0.2) * 1.0
    A = csr_array(D)
    w = np.ones(25)
    curve = coverage_curve(A, w, budgets=[1, 2, 3, 4])
    opts = [brute_force(A, w, b) for b in (1, 2, 3, 4)]
    assert np.all(np.diff(curve.objective) >= -1e-12)
    assert np.all(curve.upper_bound >= np.array(opts) - 1e-9)
    assert np.all(curve.objective <= np.array(opts) + 1e-9)
    # greedy plans are nested
    sels = [s.selected.tolist() for s in curve.solutions]
    assert all(a == b[: len(a)] for a, b in itertools.pairwise(sels))


def test_on_phase_reports_each_phase_before_the_next_starts():
    rng = np.random.default_rng(3)
    A = (rng.random((12, 40)) < 0.3).astype(float)
    w = rng.uniform(0.5, 2.0, 40)
    events: list[object] = []
    sols = plan_phases(
        A,
        w,
        budgets=[2, 3, 1],
        method="greedy",
        on_phase=lambda p, sol: events.append(("phase", p, sol)),
        progress=lambda pr: events.append("progress"),
    )
    phases = [e for e in events if e != "progress"]
    assert [(p, s) for _, p, s in phases] == list(enumerate(sols))
    # every phase's progress comes before its report, and the next phase's after it
    marks = [i for i, e in enumerate(events) if e != "progress"]
    assert events[0] == "progress" and all(events[i - 1] == "progress" for i in marks)
    assert all(events[i + 1] == "progress" for i in marks[:-1])
