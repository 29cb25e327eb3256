"""The results of the optimizer: :class:`Solution`, its trace and progress records, curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["CoverageCurve", "Progress", "Solution", "TracePoint"]


class TracePoint(NamedTuple):
    """One point of a solver's history: the best plan and bound at a time."""

    time_s: float
    objective: float
    upper_bound: float
    stage: str


class Progress(NamedTuple):
    """What a ``progress`` callback receives (for progress bars).

    ``objective`` and ``upper_bound`` are the best plan's value and the best
    proven bound so far (fixed rows included); ``time_limit_s`` is the call's
    safety cap (``inf`` when there is none), so a bar can show the time left.
    The callback is called at least every few hundred milliseconds of work in
    every stage but the HiGHS MILP (which reports when it ends).
    """

    stage: str
    done: int
    total: int
    objective: float
    upper_bound: float
    elapsed_s: float
    time_limit_s: float = float("inf")


@dataclass(frozen=True, eq=False)
class Solution:
    """The result of :func:`max_coverage`.

    Attributes
    ----------
    selected
        int64 row indices chosen, in the order chosen (fixed rows excluded).
    gains
        float64 marginal gain of each selected row, in that order, on top of
        the fixed rows and the rows chosen before it.
    objective
        Covered weight of ``selected`` ∪ ``fixed``, recomputed from ``selected``.
    upper_bound
        A proven upper bound on the optimum (never an estimate).
    gap
        ``(upper_bound - objective) / upper_bound`` (0 when the bound is 0).
    method
        The method that produced ``selected`` (e.g. ``"greedy"``).
    trace
        Tuple of :class:`TracePoint`: objective and bound over time.
    bound_method
        Which computation gave ``upper_bound``.
    elapsed_s
        Wall time of the call.
    info
        Solver details (counts, timings), for logs and benchmarks.
    stopped_by
        Why the run ended: ``"optimal"`` (proven, gap 0), ``"gap"`` (the gap
        target ``gap_tol`` proven), ``"work_limit"`` (every stage ran its
        work budget, counted in iterations, rounds, pieces and MILP nodes,
        without proving the target), ``"time_limit"`` (the ``time_limit_s``
        safety cap cut a stage: only then may the plan depend on the
        machine's speed or load) or ``"done"`` (``"greedy"``, which has no
        gap target).
    """

    selected: NDArray[np.int64]
    gains: NDArray[np.float64]
    objective: float
    upper_bound: float
    gap: float
    method: str
    trace: tuple[TracePoint, ...]
    bound_method: str = ""
    elapsed_s: float = 0.0
    info: dict[str, Any] | None = None
    stopped_by: str = ""

    def __repr__(self) -> str:
        return (
            f"Solution(n_selected={self.selected.size}, objective={self.objective:.6g}, "
            f"upper_bound={self.upper_bound:.6g}, gap={self.gap:.3%}, method={self.method!r})"
        )


@dataclass(frozen=True, eq=False)
class CoverageCurve:
    """Coverage against budget, with the proven bound at each point."""

    budgets: NDArray[np.float64]
    objective: NDArray[np.float64]
    upper_bound: NDArray[np.float64]
    gap: NDArray[np.float64]
    solutions: tuple[Solution, ...]
