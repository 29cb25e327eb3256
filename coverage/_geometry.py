"""Planar geometry helpers on coordinate arrays: azimuths, angles and polylines.

Azimuths are in degrees clockwise from grid north, in [0, 360). The angle
helpers need numpy only; :class:`Polylines` reads its lines with shapely.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = ["Polylines", "angular_difference_deg", "azimuth_deg"]


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


class Polylines:
    """Segment arrays of many LineStrings, to place points along them without a loop.

    Parameters
    ----------
    lines
        Array of LineStrings (empty or single-vertex lines are allowed: they
        have length 0 and place every point on their vertex).

    Attributes
    ----------
    p0, d, seg_len, seg_line
        Start, direction vector, length and line of every segment (repeated
        vertices are dropped, so every segment has a direction).
    first, last
        First and last segment of each line (``last < first`` for a line
        without extent).
    length
        Length of each line, metres.

    Examples
    --------
    >>> poly = Polylines(np.array([shapely.LineString([(0, 0), (0, 10), (10, 10)])]))
    >>> xy, az = poly.at(np.array([0, 0]), np.array([5.0, 15.0]))
    >>> xy.tolist(), az.tolist()
    ([[0.0, 5.0], [5.0, 10.0]], [0.0, 90.0])
    """

    def __init__(self, lines: NDArray[Any]) -> None:
        coords, cidx = shapely.get_coordinates(lines, return_index=True)
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = ~((cidx[1:] == cidx[:-1]) & np.all(coords[1:] == coords[:-1], axis=1))
        coords, cidx = coords[keep], cidx[keep]
        self.start = np.zeros((len(lines), 2))  # first vertex of each line
        at = np.searchsorted(cidx, np.arange(len(lines)))
        ok = at < len(cidx)
        ok[ok] = cidx[at[ok]] == np.flatnonzero(ok)
        self.start[ok] = coords[at[ok]]
        seg = np.flatnonzero(cidx[:-1] == cidx[1:])
        self.p0 = coords[seg]
        self.d = coords[seg + 1] - coords[seg]
        self.seg_len = np.hypot(self.d[:, 0], self.d[:, 1])
        self.seg_line = cidx[seg]
        self.cum_end = np.cumsum(self.seg_len)
        self.cum_start = self.cum_end - self.seg_len
        ids = np.arange(len(lines))
        self.first = np.searchsorted(self.seg_line, ids, side="left")
        self.last = np.searchsorted(self.seg_line, ids, side="right") - 1
        has = self.last >= self.first
        self.base = np.zeros(len(lines))
        self.base[has] = self.cum_start[self.first[has]]
        self.length = np.zeros(len(lines))
        self.length[has] = self.cum_end[self.last[has]] - self.base[has]

    def at(
        self, line: NDArray[np.int64], offset_m: NDArray[np.floating[Any]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Place points at arc length `offset_m` along ``lines[line]``.

        Returns the points (n, 2) and the azimuth of the segment each lies on
        (0 on a line without extent).
        """
        if len(self.seg_len) == 0 or len(line) == 0:
            return np.zeros((len(line), 2)), np.zeros(len(line))
        g = self.base[line] + offset_m
        s = np.searchsorted(self.cum_end, g, side="right")
        s = np.clip(s, self.first[line], np.maximum(self.last[line], self.first[line]))
        s = np.minimum(s, len(self.seg_len) - 1)
        seg_len = self.seg_len[s]
        safe = np.where(seg_len > 0, seg_len, 1.0)
        frac = np.clip(np.where(seg_len > 0, (g - self.cum_start[s]) / safe, 0.0), 0.0, 1.0)
        xy = self.p0[s] + frac[:, None] * self.d[s]
        az = azimuth_deg(self.d[s, 0], self.d[s, 1])
        flat = self.last[line] < self.first[line]  # a line with no extent: its vertex
        xy[flat] = self.start[line[flat]]
        az[flat] = 0.0
        return xy, az
