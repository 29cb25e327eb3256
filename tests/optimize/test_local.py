"""Tests of the swap local search on a core problem (coverage.optimize.local)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from strategies import brute_force, coverage_instances, prop

from coverage.optimize._core import GroupIndex, build_core, core_value
from coverage.optimize._inputs import as_csr
from coverage.optimize.local import swap_search


@prop(60)
@given(
    inst=coverage_instances(max_sites=10, max_demand=16),
    budget=st.integers(1, 4),
    seed=st.integers(0, 99),
)
def test_swaps_never_worsen_and_keep_budget_and_groups(inst, budget, seed):
    A = as_csr(inst.A)
    groups = None if inst.groups is None else np.unique(inst.groups, return_inverse=True)[1]
    core = build_core(
        A, inst.weights, budget=budget, fixed=np.zeros(0, dtype=np.int64), group_ids=groups
    )
    n = core.V.shape[0]
    # a random feasible start: at most one row per group, at most `budget` rows
    rng = np.random.default_rng(seed)
    start: list[int] = []
    for i in rng.permutation(n).tolist():
        if len(start) < budget and core.groups.group_ids[i] not in core.groups.group_ids[start]:
            start.append(i)
    start_arr = np.asarray(start, dtype=np.int64)
    plan, swaps = swap_search(core.V, core.groups, budget, start_arr, deadline=np.inf)
    assert plan.size <= budget
    assert np.unique(plan).size == plan.size
    assert np.unique(core.groups.group_ids[plan]).size == plan.size
    assert core_value(core.V, plan) >= core_value(core.V, start_arr) - 1e-9
    assert core_value(core.V, plan) <= brute_force(inst.A, inst.weights, budget, inst.groups) + 1e-9
    assert swaps >= 0


def test_a_swap_reaches_the_optimum_a_greedy_start_misses():
    # greedy takes row 0 (gain 3) first; the optimum for budget 2 is rows 1 and 2 (value 4)
    V = as_csr(np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1.0]]))
    groups = GroupIndex(None, 3)
    plan, swaps = swap_search(V, groups, 2, np.array([0, 1]), deadline=np.inf)
    assert sorted(plan.tolist()) in ([0, 2], [1, 2])
    assert core_value(V, plan) == 4.0
    assert swaps >= 1
