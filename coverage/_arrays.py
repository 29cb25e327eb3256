"""Small array helpers shared across the package (numpy only).

>>> repeat_index([2, 0, 1]).tolist()
[0, 0, 2]
>>> relative_gap(99.0, 100.0)
0.01
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["offsets_within", "relative_gap", "repeat_index", "row_of_entries"]


def repeat_index(counts: ArrayLike) -> NDArray[np.int64]:
    """Owner of each element when item ``i`` owns ``counts[i]`` consecutive elements.

    Examples
    --------
    >>> repeat_index([1, 3]).tolist()
    [0, 1, 1, 1]
    >>> repeat_index([]).tolist()
    []
    """
    c = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.arange(c.size, dtype=np.int64), c)


def offsets_within(counts: ArrayLike) -> NDArray[np.int64]:
    """Position of each element within its owner's run (see :func:`repeat_index`).

    Examples
    --------
    >>> offsets_within([2, 0, 3]).tolist()
    [0, 1, 0, 1, 2]
    """
    c = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(c) - c
    return np.arange(int(c.sum()), dtype=np.int64) - np.repeat(starts, c)


def row_of_entries(indptr: NDArray[Any]) -> NDArray[np.int64]:
    """Row index of every stored entry of a CSR matrix with this ``indptr``.

    Examples
    --------
    >>> row_of_entries(np.array([0, 2, 2, 3])).tolist()
    [0, 0, 2]
    """
    return repeat_index(np.diff(np.asarray(indptr, dtype=np.int64)))


def relative_gap(objective: float, upper_bound: float) -> float:
    """``(upper_bound - objective) / upper_bound``, clipped at 0; 0 when the bound is 0.

    Examples
    --------
    >>> relative_gap(5.0, 0.0)
    0.0
    >>> relative_gap(10.0, 9.0)  # a bound below the objective (rounding) is no gap
    0.0
    """
    if upper_bound <= 0:
        return 0.0
    return max(0.0, (upper_bound - objective) / upper_bound)
