"""Wall time of named pipeline stages, logged, with hooks for progress bars."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["StageTimer"]

logger = logging.getLogger("coverage")


class StageTimer:
    """Time named stages: ``with timer.stage("matrix"): ...``.

    Each finished stage is logged (``"matrix: 0.42 s"``) and its seconds are
    kept in :attr:`timings`, in the order the stages ran. A stage that raises
    is not recorded.

    Parameters
    ----------
    on_start, on_end
        Optional callables given the stage's name when it starts and when it
        ends (e.g. to drive a progress bar).

    Examples
    --------
    >>> timer = StageTimer()
    >>> with timer.stage("demand"):
    ...     pass
    >>> list(timer.timings), timer.timings["demand"] >= 0
    (['demand'], True)
    """

    def __init__(
        self,
        on_start: Callable[[str], None] | None = None,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        self.timings: dict[str, float] = {}
        self._on_start = on_start
        self._on_end = on_end

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body of the ``with`` block as stage `name`."""
        self.begin(name)
        t0 = time.perf_counter()
        yield
        self.record(name, time.perf_counter() - t0)

    def begin(self, name: str) -> None:
        """Announce that stage `name` starts (``on_start``), for a stage timed elsewhere."""
        if self._on_start is not None:
            self._on_start(name)

    def record(self, name: str, seconds: float) -> None:
        """Record a stage timed elsewhere (logged and passed to ``on_end`` like the others)."""
        self.timings[name] = seconds
        logger.info("%s: %.2f s", name, seconds)
        if self._on_end is not None:
            self._on_end(name)
