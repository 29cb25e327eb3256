"""Shared parameter checks with one message shape everywhere."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from coverage.errors import ParameterError


def _fmt_rows(rows: Sequence[Any], limit: int = 5) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"[{shown}{', …' if len(rows) > limit else ''}]"


def check_number(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> Any:
    """Check that a scalar parameter is a finite number in a range.

    The message reads "The 'budget' parameter of Problem must be an int in
    [1, inf). Got 0 instead."
    """
    kind = "an int" if integer else "a number"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    interval = (
        f"{'(' if low_open or low is None else '['}{lo}, {hi}{']' if high is not None else ')'}"
    )
    msg = f"The {name!r} parameter of {owner} must be {kind} in {interval}. Got {value!r} instead."
    if isinstance(value, bool):
        raise ParameterError(msg)
    if integer:
        if not isinstance(value, int | np.integer):
            raise ParameterError(msg)
    elif not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(msg)
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(msg)
    if low is not None and (v < low or (low_open and v == low)):
        raise ParameterError(msg)
    if high is not None and v > high:
        raise ParameterError(msg)
    return int(value) if integer else float(value)


def check_choice(value: Any, name: str, owner: str, choices: Sequence[str]) -> str:
    """Check that a string parameter is one of `choices`."""
    if value not in choices:
        msg = (
            f"The {name!r} parameter of {owner} must be one of "
            f"{', '.join(repr(c) for c in choices)}. Got {value!r} instead."
        )
        raise ParameterError(msg)
    return str(value)
