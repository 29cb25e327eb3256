"""Tests of the Lagrangian bound."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from strategies import (
    scipy_milp_optimum,
)

from coverage.optimize import (
    max_coverage,
)


def test_lagrangian_bound_valid_and_tighter_than_online():
    rng = np.random.default_rng(3)
    n, m = 40, 120
    D = (rng.random((n, m)) < 0.08) * rng.choice([0.25, 0.5, 1.0], size=(n, m))
    A = csr_array(D)
    w = rng.random(m)
    opt = scipy_milp_optimum(A, w, 6)
    g = max_coverage(A, w, budget=6, method="greedy")
    loc = max_coverage(A, w, budget=6, method="local", gap_tol=0.0)
    assert loc.upper_bound >= opt - 1e-9
    assert loc.upper_bound <= g.upper_bound + 1e-9
    assert loc.objective >= g.objective - 1e-12
