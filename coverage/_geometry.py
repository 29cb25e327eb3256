"""Planar geometry helpers on coordinate arrays (numpy only): azimuths and angles.

Azimuths are in degrees clockwise from grid north, in [0, 360).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["angular_difference_deg", "azimuth_deg"]


def azimuth_deg(dx: ArrayLike, dy: ArrayLike) -> NDArray[np.float64]:
    """Azimuth in [0, 360) degrees clockwise from north of the vector (dx, dy).

    Examples
    --------
    >>> azimuth_deg([0, 1, 0, -1], [1, 0, -1, 0]).tolist()
    [0.0, 90.0, 180.0, 270.0]
    """
    az = np.degrees(np.arctan2(np.asarray(dx, dtype=float), np.asarray(dy, dtype=float)))
    az = np.mod(az, 360.0)
    return np.where(az >= 360.0, 0.0, az)


def angular_difference_deg(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Smallest absolute angle between azimuths ``a`` and ``b``, in [0, 180].

    Examples
    --------
    >>> angular_difference_deg([350.0, 10.0], [10.0, 200.0]).tolist()
    [20.0, 170.0]
    """
    d = np.mod(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), 360.0)
    out: NDArray[np.float64] = np.minimum(d, 360.0 - d)
    return out
