"""The best plan and bound found so far, shared by the stages of both orchestrators.

Private.  Values are in the orchestrator's units (core units for the max
objective: the fixed rows' value ``core.base`` is added at the end).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coverage._arrays import relative_gap
from coverage.errors import SolverError

ProgressFn = Callable[[str, int, int, float, float], None]


@dataclass
class RunState:
    """Best plan and bound so far, with their history."""

    t0: float
    deadline: float
    progress: ProgressFn | None
    plan: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    value: float = 0.0
    bound: float = np.inf
    bound_method: str = ""
    method: str = ""  # the stage that found ``plan``; "" while there is none
    trace: list[tuple[float, float, float, str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    cut_by_time: bool = False  # the deadline (a safety cap) cut a stage short

    def stopped_by(self, gap_tol: float, method: str) -> str:
        """Why the run ended (see ``Solution.stopped_by``)."""
        if self.gap() <= 1e-9:
            return "optimal"
        if method != "greedy" and self.gap() <= gap_tol:
            return "gap"
        if self.cut_by_time or time.perf_counter() >= self.deadline:
            return "time_limit"
        return "done" if method == "greedy" else "work_limit"

    def offer_plan(self, plan: NDArray[np.int64], value: float, stage: str) -> None:
        """Keep ``plan`` if it is the first one or strictly better (relative 1e-12)."""
        if not self.method or value > self.value + 1e-12 * max(1.0, abs(self.value)):
            self.plan = np.asarray(plan, dtype=np.int64)
            self.value = value
            self.method = stage
        self._log(stage)

    def offer_bound(self, bound: float, stage: str) -> None:
        """Keep ``bound`` if it is lower than the current one."""
        if bound < self.bound:
            self.bound = bound
            self.bound_method = stage
        self._log(stage)

    def _log(self, stage: str) -> None:
        self.trace.append((time.perf_counter() - self.t0, self.value, self.bound, stage))

    def gap(self) -> float:
        """Relative gap of the best plan (1 while there is no finite bound)."""
        if not np.isfinite(self.bound):
            return 0.0 if self.bound < 0 else 1.0
        return relative_gap(self.value, self.bound)

    def left(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline - time.perf_counter()


def no_plan_error(*, owner: str) -> SolverError:
    """Return the error raised when no stage found a plan meeting the side constraints."""
    msg = (
        f"{owner} found no plan that meets every constraint (quota minima, money, "
        "separation) within the time limit. Check that the quotas can be met together, "
        "or raise time_limit_s."
    )
    return SolverError(msg)
