"""Hypothesis strategies for small coverage instances (shared by optimizer tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
