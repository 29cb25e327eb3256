"""What coverage assumes about the user's data, done in one place and counted.

Every assumption the planner makes about data it was not told is made here and
counted, so the report can list it (:func:`coverage.evaluation.assumptions_html`):

- **Camera count.** A ``cameras`` layer without a ``cameras`` column holds one
  camera per set (:data:`DEFAULT_CAMERAS`); ``Scene.assumptions`` counts them.
- **Cameras inside a footprint.** An existing camera inside a building footprint
  is moved to the nearest point outside every footprint when that is at most
  :data:`MAX_CAMERA_MOVE_M` away (a pole mapped on the building's outline); one
  deeper inside is an indoor camera: it stays where it is and is left out of
  existing coverage (it cannot watch the street). Both are counted in
  ``Scene.assumptions``.
- **Unknown heading.** An existing set whose ``heading_deg`` is NaN follows the
  policy ``Problem.unknown_heading`` (:data:`UNKNOWN_HEADING_POLICIES`):

  ``"along_corridor"`` (default)
      The first camera looks along the nearest corridor, at the point of that
      corridor nearest the set: its bearing there, taken in [0°, 180°) (an
      east-west street gives 90°, east); the set's other cameras are spread as
      the model spreads them (the camera set's relative headings when the set
      has as many cameras, else evenly, 360°/n apart).
  ``"best_rotation"``
      Each such set is turned, on its own, to the one of
      :data:`BEST_ROTATION_STEPS` turns over its symmetry period that covers
      the most demand weight. Optimistic: the real camera may look elsewhere.
  ``"ignore"``
      The set is left out of existing coverage.

- **Points off the corridors.** Incidents (point hotspots) and demand points
  of your own that lie inside a building footprint or farther than
  :data:`ON_CORRIDOR_M` from every corridor are snapped to the nearest point of
  the nearest corridor when it is within ``snap_m`` (``Problem.snap_m``,
  default :data:`SNAP_M`, as incidents are reported at an address); those
  farther away are unreachable and stay where they are (still counted in the
  demand, so coverage shares are not flattered). Hotspot polygons that contain
  no demand point give their intensity to the nearest demand point within
  ``snap_m`` instead of vanishing. Weight is conserved: the weight before
  equals the weight on corridors plus the snapped weight plus the unreachable
  weight, and each is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage._validate import check_choice, check_number

__all__ = [
    "BEST_ROTATION_STEPS",
    "DEFAULT_CAMERAS",
    "MAX_CAMERA_MOVE_M",
    "ON_CORRIDOR_M",
    "SNAP_M",
    "UNKNOWN_HEADING_POLICIES",
    "Snapped",
    "corridor_bearings",
    "move_out_of_buildings",
    "snap_to_corridors",
]

#: Policies for existing sets whose heading is unknown (NaN).
UNKNOWN_HEADING_POLICIES = ("along_corridor", "best_rotation", "ignore")
#: Cameras per existing set when the ``cameras`` column is missing.
DEFAULT_CAMERAS = 1
#: An existing camera this close to the outside of its footprint (metres) is moved out.
MAX_CAMERA_MOVE_M = 5.0
#: Default snapping distance (metres) of incidents and own demand points to the corridors.
SNAP_M = 25.0
#: A point within this distance of a corridor (metres), outside buildings, is on it (a pavement).
ON_CORRIDOR_M = 5.0
#: Turns tried per set by ``unknown_heading="best_rotation"`` (over the set's symmetry period).
BEST_ROTATION_STEPS = 36
#: A moved camera ends this far (metres) outside the footprint, so it is not on the wall.
_OUTSIDE_M = 0.01
#: Half the arc (metres) over which a corridor's bearing is measured.
_BEARING_ARC_M = 0.5


def check_unknown_heading(value: Any, owner: str = "Problem") -> str:
    """Check an ``unknown_heading`` policy.

    Examples
    --------
    >>> check_unknown_heading("ignore")
    'ignore'
    """
    return check_choice(value, "unknown_heading", owner, UNKNOWN_HEADING_POLICIES)


def check_snap_m(value: Any, owner: str = "Problem") -> float:
    """Check a snapping distance (metres, >= 0; 0 snaps nothing)."""
    return float(check_number(value, "snap_m", owner, low=0.0))


def corridor_bearings(
    xy: ArrayLike, lines: NDArray[np.object_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bearing in [0, 180) of the nearest corridor at its point nearest each of `xy`, and distance.

    The bearing is the azimuth (degrees clockwise from grid north) of the chord
    of the corridor 0.5 m either side of that point (clipped to the line).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lines = np.array([LineString([(0, 0), (100, 0)]), LineString([(200, -50), (200, 50)])])
    >>> b, d = corridor_bearings([[50.0, 3.0], [196.0, 10.0]], lines)
    >>> b.tolist(), d.tolist()
    ([90.0, 0.0], [3.0, 4.0])
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = len(pts)
    if n == 0 or len(lines) == 0:
        return np.full(n, np.nan), np.full(n, np.inf)
    geoms = shapely.points(pts)
    _, li = shapely.STRtree(lines).query_nearest(geoms, all_matches=False)
    line = lines[li]
    s = shapely.line_locate_point(line, geoms)
    length = shapely.length(line)
    a = shapely.get_coordinates(
        shapely.line_interpolate_point(line, np.maximum(s - _BEARING_ARC_M, 0.0))
    )
    b = shapely.get_coordinates(
        shapely.line_interpolate_point(line, np.minimum(s + _BEARING_ARC_M, length))
    )
    az = np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]))
    bearing = np.round(np.mod(az, 180.0), 6) % 180.0
    return bearing, shapely.distance(geoms, line)


@dataclass(frozen=True)
class Moved:
    """Cameras moved out of footprints: new positions and what happened to each.

    ``moved``: moved out (within the limit); ``indoor``: deeper inside, kept in
    place and left out of existing coverage; ``distance_m``: distance to the
    outside (0 for cameras already outside).
    """

    xy: NDArray[np.float64]
    moved: NDArray[np.bool_]
    indoor: NDArray[np.bool_]
    distance_m: NDArray[np.float64]


def move_out_of_buildings(
    xy: ArrayLike, footprints: NDArray[np.object_], max_move_m: float = MAX_CAMERA_MOVE_M
) -> Moved:
    """Move points inside footprints to the nearest point outside all of them (within a limit).

    A point inside (not on the outline) is moved to the nearest point of the
    outline of the union of the footprints around it, plus 1 cm outward;
    a courtyard counts as outside. Points deeper than `max_move_m` stay.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> m = move_out_of_buildings([[1.0, 5.0], [5.0, 5.0], [20.0, 5.0]],
    ...                           np.array([box(0, 0, 10, 10)]), max_move_m=3.0)
    >>> m.moved.tolist(), m.indoor.tolist(), m.distance_m.tolist()
    ([True, False, False], [False, True, False], [1.0, 5.0, 0.0])
    >>> m.xy[0].round(2).tolist()
    [-0.01, 5.0]
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2).copy()
    n = len(pts)
    moved = np.zeros(n, dtype=bool)
    indoor = np.zeros(n, dtype=bool)
    dist = np.zeros(n)
    if n == 0 or len(footprints) == 0:
        return Moved(pts, moved, indoor, dist)
    geoms = shapely.points(pts)
    tree = shapely.STRtree(footprints)
    pi, _ = tree.query(geoms, predicate="within")
    for i in np.unique(pi):
        near = tree.query(geoms[i], predicate="dwithin", distance=max_move_m + 1.0)
        block = shapely.union_all(footprints[near])
        edge = shapely.boundary(block)
        d = float(shapely.distance(geoms[i], edge))
        dist[i] = d
        if d > max_move_m:
            indoor[i] = True
            continue
        on_edge = shapely.get_coordinates(shapely.shortest_line(geoms[i], edge))[1]
        step = on_edge - pts[i]
        norm = math.hypot(float(step[0]), float(step[1]))
        out = on_edge + (step / norm) * _OUTSIDE_M if norm > 0 else on_edge
        pts[i] = out
        moved[i] = True
    return Moved(pts, moved, indoor, dist)


@dataclass(frozen=True)
class Snapped:
    """Points snapped to the corridors.

    ``xy``: new positions; ``snapped``: moved onto a corridor; ``unreachable``:
    off the corridors and farther than ``snap_m`` (left where they were);
    ``distance_m``: distance to the nearest corridor before snapping.
    """

    xy: NDArray[np.float64]
    snapped: NDArray[np.bool_]
    unreachable: NDArray[np.bool_]
    distance_m: NDArray[np.float64]


def snap_to_corridors(
    xy: ArrayLike,
    lines: NDArray[np.object_],
    footprints: NDArray[np.object_] | None,
    snap_m: float,
) -> Snapped:
    """Snap points inside footprints or off the corridors to the nearest corridor within `snap_m`.

    A point is on a corridor when it lies within :data:`ON_CORRIDOR_M` of one
    and inside no footprint; it is left as it is. Others move to the nearest
    point of the nearest corridor when that is within `snap_m`, else they stay
    and are unreachable.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> lines = np.array([LineString([(0, 0), (100, 0)])])
    >>> s = snap_to_corridors([[10, 2], [20, 12], [30, 3], [40, 80]], lines,
    ...                       np.array([box(25, 1, 35, 10)]), snap_m=25)
    >>> s.snapped.tolist(), s.unreachable.tolist()
    ([False, True, True, False], [False, False, False, True])
    >>> s.xy.tolist()
    [[10.0, 2.0], [20.0, 0.0], [30.0, 0.0], [40.0, 80.0]]
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2).copy()
    n = len(pts)
    if n == 0 or len(lines) == 0:
        off = np.ones(n, dtype=bool)
        return Snapped(pts, np.zeros(n, dtype=bool), off, np.full(n, np.inf))
    geoms = shapely.points(pts)
    _, li = shapely.STRtree(lines).query_nearest(geoms, all_matches=False)
    dist = np.asarray(shapely.distance(geoms, lines[li]), dtype=np.float64)
    inside = np.zeros(n, dtype=bool)
    if footprints is not None and len(footprints):
        pi, _ = shapely.STRtree(footprints).query(geoms, predicate="within")
        inside[pi] = True
    off = inside | (dist > ON_CORRIDOR_M)
    snapped = off & (dist <= snap_m)
    if snapped.any():
        line = lines[li[snapped]]
        s = shapely.line_locate_point(line, geoms[snapped])
        pts[snapped] = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    return Snapped(pts, snapped, off & ~snapped, dist)


@dataclass(frozen=True)
class ExistingSets:
    """The existing sets that enter the coverage matrix, with their headings resolved.

    ``index``: positions in ``scene.cameras`` of the sets kept; ``xy``,
    ``heading_deg`` (first camera, never NaN) and ``cameras`` of those sets;
    ``counts``: what was assumed, for ``Plan.meta["assumptions"]``.
    """

    index: NDArray[np.int64]
    xy: NDArray[np.float64]
    heading_deg: NDArray[np.float64]
    cameras: NDArray[np.int64]
    counts: dict[str, Any]


def resolve_existing(  # noqa: PLR0913 -- the scene's pieces the policy needs
    xy: ArrayLike,
    heading_deg: ArrayLike,
    cameras: ArrayLike,
    *,
    policy: str,
    corridors: NDArray[np.object_],
    indoor: ArrayLike = (),
    best: Any = None,
) -> ExistingSets:
    """Give every existing set a heading by `policy` and leave out those it (or indoors) excludes.

    `best` is called as ``best(xy, cameras)`` for ``"best_rotation"`` and
    returns the best first-camera heading of each of those sets.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lines = np.array([LineString([(0, 0), (100, 0)])])
    >>> ex = resolve_existing([[10, 5], [20, 5], [30, 5]], [45.0, np.nan, np.nan], [1, 1, 2],
    ...                       policy="along_corridor", corridors=lines, indoor=[2])
    >>> ex.index.tolist(), ex.heading_deg.tolist(), ex.counts["unknown_heading"]
    ([0, 1], [45.0, 90.0], 1)
    """
    policy = check_unknown_heading(policy)
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    head = np.asarray(heading_deg, dtype=np.float64).reshape(-1).copy()
    cams = np.asarray(cameras, dtype=np.int64).reshape(-1)
    keep = np.ones(len(pts), dtype=bool)
    keep[np.asarray(indoor, dtype=np.int64)] = False
    unknown = keep & ~np.isfinite(head)
    if policy == "along_corridor" and unknown.any():
        head[unknown], _ = corridor_bearings(pts[unknown], corridors)
        head[unknown & ~np.isfinite(head)] = 0.0  # no corridors at all: the default orientation
    elif policy == "best_rotation" and unknown.any():
        head[unknown] = best(pts[unknown], cams[unknown])
    elif policy == "ignore":
        keep &= ~unknown
    index = np.flatnonzero(keep).astype(np.int64)
    counts = {
        "existing_sets": len(pts),
        "unknown_heading": int(unknown.sum()),
        "unknown_heading_policy": policy,
        "unknown_heading_left_out": int(unknown.sum()) if policy == "ignore" else 0,
        "indoor_left_out": int(
            len(pts) - keep.sum() - (unknown.sum() if policy == "ignore" else 0)
        ),
        "existing_sets_used": int(keep.sum()),
    }
    return ExistingSets(index, pts[index], head[index], cams[index], counts)


def best_rotation_offsets(period_deg: ArrayLike, steps: int = BEST_ROTATION_STEPS) -> Any:
    """Give the turns tried for each set: ``steps`` evenly spaced over its symmetry period.

    Examples
    --------
    >>> best_rotation_offsets([120.0], steps=4).tolist()
    [[0.0, 30.0, 60.0, 90.0]]
    """
    p = np.asarray(period_deg, dtype=np.float64).reshape(-1, 1)
    return p * (np.arange(steps, dtype=np.float64)[None, :] / steps)


def assumption_counts(scene: Any, cm: Any, demand: Any) -> dict[str, Any]:
    """Every count of what was assumed, as a plain dict (``Plan.meta["assumptions"]``).

    Keys from the scene (``cameras_count_assumed``, ``cameras_moved``, ...),
    the matrix (``unknown_heading``, ``unknown_heading_policy``, ...) and the
    demand (``snap_m``, ``incidents_snapped``, ``demand_unreachable_weight``, ...).
    """
    out: dict[str, Any] = {}
    scene_counts = dict(getattr(scene, "assumptions", {}))
    scene_counts.pop("cameras_indoor_index", None)
    out.update(scene_counts)
    out.update(cm.meta.get("assumptions", {}))
    out.update(demand.attrs.get("assumptions", {}))
    return out
