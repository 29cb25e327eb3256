"""Hypothesis strategies for small coverage instances and brute-force oracles (optimizer tests)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array


@dataclass(frozen=True, eq=False)
class Instance:
    """A small max-coverage instance."""

    A: csr_array
    weights: np.ndarray
    groups: np.ndarray | None = None
    fixed: np.ndarray | None = None


@st.composite
def coverage_instances(
    draw: st.DrawFn,
    *,
    max_sites: int = 10,
    max_demand: int = 14,
    binary: bool | None = None,
    with_groups: bool = False,
    with_fixed: bool = False,
) -> Instance:
    """Random sparse instances; qualities in (0, 1], a few levels so ties happen."""
    n = draw(st.integers(1, max_sites))
    m = draw(st.integers(1, max_demand))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    density = draw(st.sampled_from([0.15, 0.3, 0.6]))
    mask = rng.random((n, m)) < density
    is_binary = draw(st.booleans()) if binary is None else binary
    vals = np.ones((n, m)) if is_binary else rng.choice([0.25, 0.5, 0.75, 1.0], size=(n, m))
    dense = np.where(mask, vals, 0.0)
    weights = rng.choice([0.0, 1.0, 2.0, 3.5], size=m, p=[0.1, 0.5, 0.3, 0.1])
    groups = None
    if with_groups and draw(st.booleans()):
        groups = rng.integers(0, max(1, n // 2 + 1), size=n)
    fixed = None
    if with_fixed and n > 1 and draw(st.booleans()):
        fixed = np.sort(rng.choice(n, size=int(rng.integers(1, max(2, n // 3 + 1))), replace=False))
    return Instance(csr_array(dense), weights, groups, fixed)


# --------------------------------------------------------------------------- oracles


def prop(max_examples):
    """Derandomized hypothesis settings for this module."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def dense_value(D, w, rows):
    if len(rows) == 0:
        return 0.0
    return float(D[list(rows)].max(axis=0) @ w)


def brute_force(A, w, budget, groups=None, fixed=None):
    """Optimum by enumeration of every feasible subset of size <= budget."""
    D = A.toarray() if hasattr(A, "toarray") else np.asarray(A, dtype=float)
    n = D.shape[0]
    fx = [] if fixed is None else sorted(int(i) for i in fixed)
    closed = set() if groups is None else {groups[i] for i in fx}
    cand = [i for i in range(n) if i not in fx and (groups is None or groups[i] not in closed)]
    best = dense_value(D, w, fx)
    for k in range(1, min(budget, len(cand)) + 1):
        for combo in itertools.combinations(cand, k):
            if groups is not None and len({groups[i] for i in combo}) < k:
                continue
            best = max(best, dense_value(D, w, fx + list(combo)))
    return best


def naive_greedy(A, w, budget, groups=None, fixed=None):
    """Plain (non-lazy) greedy, ties to the lowest index, stops at zero gain."""
    D = A.toarray()
    n = D.shape[0]
    fx = [] if fixed is None else [int(i) for i in fixed]
    used = set() if groups is None else {groups[i] for i in fx}
    sel: list[int] = []
    for _ in range(budget):
        base = dense_value(D, w, fx + sel)
        best_i, best_g = -1, 0.0
        for i in range(n):
            if i in sel or i in fx or (groups is not None and groups[i] in used):
                continue
            g = dense_value(D, w, [*fx, *sel, i]) - base
            if g > best_g + 1e-12:
                best_i, best_g = i, g
        if best_i < 0:
            break
        sel.append(best_i)
        if groups is not None:
            used.add(groups[best_i])
    return sel


def scipy_milp_optimum(A, w, budget, groups=None, fixed=None):
    """Independent model: assignment formulation solved by scipy.optimize.milp."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    D = A.toarray()
    n, m = D.shape
    pairs = np.argwhere(D > 0)  # (i, j)
    p = len(pairs)
    nv = n + p
    c = np.zeros(nv)
    c[n:] = -(D[pairs[:, 0], pairs[:, 1]] * w[pairs[:, 1]])
    rows, lo, hi = [], [], []
    # sum_i u_ij <= 1
    for j in range(m):
        r = np.zeros(nv)
        r[n + np.flatnonzero(pairs[:, 1] == j)] = 1
        rows.append(r)
        lo.append(-np.inf)
        hi.append(1)
    # u_ij <= x_i
    for t, (i, _) in enumerate(pairs):
        r = np.zeros(nv)
        r[n + t] = 1
        r[i] = -1
        rows.append(r)
        lo.append(-np.inf)
        hi.append(0)
    fx = np.zeros(n, dtype=bool)
    if fixed is not None:
        fx[np.asarray(fixed)] = True
    r = np.zeros(nv)
    r[:n] = ~fx
    rows.append(r)
    lo.append(-np.inf)
    hi.append(budget)
    if groups is not None:
        for g in np.unique(groups):
            r = np.zeros(nv)
            r[:n] = groups == g
            rows.append(r)
            lo.append(-np.inf)
            hi.append(1)
    lb = np.zeros(nv)
    lb[:n] = fx
    integrality = np.r_[np.ones(n), np.zeros(p)]
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        bounds=Bounds(lb, np.ones(nv)),
        integrality=integrality,
        options={"mip_rel_gap": 1e-9},
    )
    assert res.success
    return -res.fun


def brute_force_general(A, w, feasible, fixed=None, value=None):
    """Optimum over every subset that `feasible(rows)` accepts."""
    D = A.toarray()
    n = D.shape[0]
    fx = [] if fixed is None else [int(i) for i in fixed]
    cand = [i for i in range(n) if i not in fx]
    value = value or (lambda rows: dense_value(D, w, rows))
    best = -np.inf
    for k in range(len(cand) + 1):
        for combo in itertools.combinations(cand, k):
            if feasible(list(combo)):
                best = max(best, value(fx + list(combo)))
    return best


@st.composite
def constrained_instances(draw):
    inst = draw(coverage_instances(max_sites=8, max_demand=10, with_groups=True, with_fixed=True))
    n = inst.A.shape[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["costs", "quotas", "separation", "all"]))
    kw = {}
    if kind in ("costs", "all"):
        kw["costs"] = rng.choice([1.0, 1.5, 2.0, 3.0], size=n)
    if kind in ("quotas", "all"):
        kw["labels"] = rng.choice(["a", "b", "c"], size=n)
        kw["quotas"] = {"a": (draw(st.integers(0, 1)), draw(st.integers(1, 2))), "b": (0, 1)}
    if kind in ("separation", "all"):
        kw["xy"] = rng.integers(0, 4, size=(n, 2)).astype(float) * 10.0
        kw["min_separation_m"] = float(draw(st.sampled_from([5.0, 10.0, 15.0])))
    return inst, kw


def check_constraints(rows, inst, budget, kw):
    """Independent feasibility check used by the brute force."""
    rows = list(rows)
    if inst.fixed is not None and set(rows) & set(inst.fixed.tolist()):
        return False
    if inst.groups is not None:
        gs = [inst.groups[i] for i in rows]
        fixed_g = set() if inst.fixed is None else {inst.groups[i] for i in inst.fixed}
        if len(set(gs)) < len(gs) or set(gs) & fixed_g:
            return False
    if "costs" in kw:
        if sum(kw["costs"][i] for i in rows) > budget + 1e-12:
            return False
    elif len(rows) > budget:
        return False
    if "quotas" in kw:
        for lab, (lo, hi) in kw["quotas"].items():
            c = sum(1 for i in rows if kw["labels"][i] == lab)
            if c < lo or c > hi:
                return False
    if "min_separation_m" in kw:
        for a, b in itertools.combinations(rows, 2):
            if np.hypot(*(kw["xy"][a] - kw["xy"][b])) < kw["min_separation_m"]:
                return False
    return True
