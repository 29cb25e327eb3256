"""Shared parameter checks with one message shape everywhere.

numpy only at import time (``coverage.optimize`` uses it); the geometry check
imports shapely when called.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage.errors import InputError, ParameterError

__all__ = [
    "check_choice",
    "check_number",
    "check_polygons",
    "check_workers",
    "check_xy",
    "format_rows",
]


def format_rows(rows: Sequence[Any], limit: int = 5) -> str:
    """Format row labels for a message: the first `limit`, then an ellipsis.

    Examples
    --------
    >>> format_rows([3, 8, 9], limit=2)
    '[3, 8, …]'
    """
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"[{shown}{', …' if len(rows) > limit else ''}]"


def check_number(  # noqa: PLR0913 -- one keyword per side of the interval and the kind
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


def check_xy(xy: ArrayLike, name: str, owner: str) -> NDArray[np.float64]:
    """Check coordinates: an (n, 2) float array of finite x, y metres (one pair is one row)."""
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"{owner}: {name!r} must be an (n, 2) array of x, y metres. Got shape {arr.shape}."
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if bad.size:
        msg = (
            f"{owner}: {name!r} has {bad.size} row(s) with NaN or infinite coordinates "
            f"(rows {bad[:5].tolist()}{'…' if bad.size > 5 else ''})."
        )
        raise InputError(msg)
    return arr


def check_polygons(
    geoms: object, name: str, owner: str, *, keep_empty: bool = False
) -> NDArray[np.object_]:
    """Check polygons: an object array from None, geometries, a GeoSeries or a GeoDataFrame.

    Empty polygons are dropped unless `keep_empty` (then positions are kept).
    """
    import shapely

    if geoms is None:
        return np.empty(0, dtype=object)
    if hasattr(geoms, "geometry"):
        geoms = geoms.geometry  # GeoDataFrame -> GeoSeries
    if hasattr(geoms, "to_numpy"):
        geoms = geoms.to_numpy()
    arr = np.asarray(geoms, dtype=object).ravel()
    if arr.size == 0:
        return arr
    ok = shapely.is_geometry(arr)
    types = shapely.get_type_id(np.where(ok, arr, np.array(None, dtype=object)))
    bad = np.flatnonzero(~ok | ~np.isin(types, [3, 6]))  # Polygon, MultiPolygon
    if bad.size:
        msg = (
            f"{owner}: {name!r} must hold Polygon/MultiPolygon geometries; "
            f"{bad.size} are not (positions {bad[:5].tolist()}{'…' if bad.size > 5 else ''})."
        )
        raise InputError(msg)
    out: NDArray[np.object_] = arr if keep_empty else arr[~shapely.is_empty(arr)]
    return out


def check_workers(workers: int) -> int:
    """Check a scipy-style ``workers`` (-1 = all cores) and return the thread count."""
    if workers == -1:
        return os.cpu_count() or 1
    if not isinstance(workers, int) or workers < 1:
        msg = f"The 'workers' parameter must be an int >= 1 or -1. Got {workers!r} instead."
        raise ParameterError(msg)
    return workers
