"""Size guards: estimate what a problem will allocate, and refuse it before allocating.

:func:`solve` and :func:`assess` call :func:`check_problem_size` first. It
estimates, from the scene and the parameters only (in float, so nothing can
overflow), the demand points (corridor length / ``spacing_m``), the candidate
sites and rows (sites × rotations), the (site, demand) pairs within
``range_m`` (a k-d tree count on a sample of points along the corridors) and
the matrix entries (pairs × rotations × the share of the circle the cameras
see). Each is turned into bytes with per-item costs measured on the sample
city; a total above ``max_memory_gb`` is a
:class:`~coverage.errors.ParameterError` naming the parameter behind the
largest part, the estimates and the limit. It takes well under a second.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage._arrays import offsets_within, repeat_index
from coverage._geometry import Polylines
from coverage.errors import ParameterError

if TYPE_CHECKING:
    from coverage.plan import Problem

__all__ = ["SizeEstimate", "check_problem_size", "estimate_problem_size", "memory_limit_gb"]

logger = logging.getLogger("coverage")

GIB = float(2**30)
#: Bytes per demand point (GeoDataFrame row, shapely point, risk, trees), measured.
BYTES_PER_DEMAND = 600.0
#: Bytes per candidate row (index arrays, headings, CSR row pointer).
BYTES_PER_ROW = 200.0
#: Bytes per (site, demand) pair within range: with occlusion a sightline each, measured.
BYTES_PER_PAIR = {True: 700.0, False: 100.0}
#: Bytes per stored matrix entry (COO build, CSR, the optimizer's copies).
BYTES_PER_ENTRY = 96.0
#: Fallback when the machine's memory cannot be read (os.sysconf missing).
FALLBACK_LIMIT_GB = 8.0
#: Points along the corridors used to count pairs, and sites queried.
_SAMPLE_POINTS = 100_000
_SAMPLE_SITES = 2_000
#: Candidate rows per site assumed for ``rotations="corridors"`` (distinct bearings).
_CORRIDOR_ROTATIONS = 4


def memory_limit_gb(max_memory_gb: float | None = None) -> float:
    """Return the memory limit in GiB: `max_memory_gb`, or half the machine's physical memory.

    The machine's memory is ``os.sysconf("SC_PHYS_PAGES") *
    os.sysconf("SC_PAGE_SIZE")``; where that is not available the limit is
    :data:`FALLBACK_LIMIT_GB`.
    """
    if max_memory_gb is not None:
        return float(max_memory_gb)
    try:
        total = float(os.sysconf("SC_PHYS_PAGES")) * float(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return FALLBACK_LIMIT_GB
    return total / 2.0 / GIB if total > 0 else FALLBACK_LIMIT_GB


@dataclass(frozen=True)
class SizeEstimate:
    """Estimated counts of one problem (floats: they may exceed any integer type)."""

    demand_points: float
    sites: float
    rows: float
    pairs: float
    entries: float
    occlusion: bool = True
    corridor_length_m: float = 0.0

    def parts_gib(self) -> dict[str, float]:
        """Memory of each part, GiB: demand points, candidate rows, pairs, entries."""
        return {
            "demand": self.demand_points * BYTES_PER_DEMAND / GIB,
            "rows": self.rows * BYTES_PER_ROW / GIB,
            "pairs": self.pairs * BYTES_PER_PAIR[self.occlusion] / GIB,
            "entries": self.entries * BYTES_PER_ENTRY / GIB,
        }

    @property
    def gib(self) -> float:
        """Total estimated memory, GiB."""
        return float(sum(self.parts_gib().values()))


def check_points_along(
    lengths: NDArray[np.float64], spacing_m: float, name: str, owner: str
) -> float:
    """Refuse points every `spacing_m` along lines of `lengths` that would not fit in memory.

    Returns the estimated count (float). Used by :func:`~coverage.demand.sample_demand`
    and :func:`~coverage.candidates.candidate_sites` when called directly.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.nansum(lengths))
        count = float(np.nansum(np.floor(lengths / spacing_m))) + float(len(lengths))
    need = count * BYTES_PER_DEMAND / GIB
    limit = memory_limit_gb()
    if not need <= limit:
        msg = (
            f"The {name!r} parameter of {owner} ({spacing_m:g}) gives about {_fmt(count)} points "
            f"on {_fmt(total / 1000)} km of corridors, {need:,.3g} GiB, above the limit of "
            f"{limit:,.1f} GiB (half of this machine's memory). Nothing was computed. Raise "
            f"{name} (or check the corridors for stray vertices)."
        )
        raise ParameterError(msg)
    return count


def _finite_or_inf(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def _rotations(problem: Problem) -> float:
    rot = problem.camera.rotations
    return float(_CORRIDOR_ROTATIONS if isinstance(rot, str) else rot)


def _corridor_sample(
    lengths: NDArray[np.float64], lines: NDArray[np.object_]
) -> tuple[NDArray[np.float64], float]:
    """Points every `t` metres along the corridors (at most about _SAMPLE_POINTS), and `t`."""
    total = float(lengths.sum())
    if not math.isfinite(total) or total <= 0:
        return np.zeros((0, 2)), 0.0
    t = total / _SAMPLE_POINTS
    n = np.floor(lengths / t).astype(np.int64) + 1
    poly = Polylines(lines)
    line = repeat_index(n)
    offset = np.minimum((offsets_within(n) + 0.5) * t, lengths[line])
    xy, _ = poly.at(line, offset)
    return np.asarray(xy, dtype=np.float64), t


def _mean_within(points: NDArray[np.float64], centres: NDArray[np.float64], r: float) -> float:
    """Mean number of `points` within `r` of each of `centres` (k-d tree count)."""
    points = points[np.isfinite(points).all(axis=1)]  # bad rows are reported by the stages
    centres = centres[np.isfinite(centres).all(axis=1)]
    if len(points) == 0 or len(centres) == 0 or not math.isfinite(r):
        return 0.0
    counts = cKDTree(points).query_ball_point(centres, r, return_length=True)
    return float(np.mean(counts))


def _subsample(xy: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    if len(xy) <= k:
        return xy
    idx = np.random.default_rng(0).choice(len(xy), size=k, replace=False)
    return xy[np.sort(idx)]


def estimate_problem_size(problem: Problem, given_sets: int = 0) -> SizeEstimate:
    """Estimate demand points, candidate sites and rows, pairs in range and matrix entries.

    From the scene's corridor lengths and the parameters only (nothing is
    sampled at `spacing_m`), in float. `given_sets` are the sets
    :func:`~coverage.plan.assess` adds (one row each, like existing sets).
    """
    scene = problem.scene
    lines = scene.corridors.geometry.values
    with np.errstate(invalid="ignore"):
        lengths = np.asarray(shapely.length(lines), dtype=np.float64)
    # NaN lengths (bad coordinates, reported by the scene) count 0 here; infinite ones stay
    lengths = np.where(np.isnan(lengths), 0.0, lengths)
    sample, t = _corridor_sample(lengths, lines)
    n_poles = 0 if problem.poles is None else len(problem.poles)
    if problem.demand is not None:
        demand_xy = np.asarray(shapely.get_coordinates(problem.demand.geometry.values))
        n_demand = float(len(demand_xy))
        tree_pts = _subsample(demand_xy, _SAMPLE_POINTS)
        scale = n_demand / max(len(tree_pts), 1)
    else:
        s = float(problem.spacing_m)
        n_demand = _finite_or_inf(float(np.maximum(np.ceil(lengths / s - 0.5), 1).sum()))
        tree_pts, scale = sample, (t / s if t > 0 else 0.0)
    if problem.candidates == "poles":
        n_sites = float(n_poles)
        centres = (
            _subsample(
                np.asarray(shapely.get_coordinates(problem.poles.geometry.values)), _SAMPLE_SITES
            )
            if problem.poles is not None
            else np.zeros((0, 2))
        )
    else:
        cs = float(problem.candidate_spacing_m)
        n_sites = _finite_or_inf(float(np.floor(lengths / cs).sum()) + float(len(lines)) + n_poles)
        centres = _subsample(sample, _SAMPLE_SITES)
    rot = _rotations(problem)
    n_existing = float(len(scene.cameras)) + float(given_sets)
    range_m = float(problem.camera.range_m or 0.0)
    per_site = _mean_within(tree_pts, centres, range_m) * scale
    if not math.isfinite(n_demand):
        per_site = math.inf
    pairs = (n_sites + n_existing) * per_site
    cam = problem.camera
    share = min(1.0, cam.n_cameras * float(cam.hfov_deg) / 360.0)
    entries = n_sites * per_site * rot * share + n_existing * per_site
    return SizeEstimate(
        demand_points=n_demand,
        sites=n_sites,
        rows=n_sites * rot + n_existing,
        pairs=pairs,
        entries=entries,
        occlusion=bool(problem.occlusion) and len(scene.buildings) > 0,
        corridor_length_m=_finite_or_inf(float(lengths.sum())),
    )


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "an unbounded number (check the layers' coordinates)"
    return f"{x:,.0f}" if x < 1e12 else f"{x:.2e}"


#: The parameters each part of the estimate grows with.
_DRIVERS = {
    "demand": ("spacing_m",),
    "rows": ("rotations", "candidate_spacing_m"),
    "pairs": ("spacing_m", "range_m", "candidate_spacing_m"),
    "entries": ("spacing_m", "range_m", "candidate_spacing_m", "rotations"),
}


def _advice(problem: Problem, part: str) -> tuple[str, str]:
    """Name the parameter behind a part of the estimate (the furthest from its default) and the fix.

    The factors compare each parameter with its default, in the direction
    that makes the problem larger (10 / spacing_m, range_m / 40, rotations /
    4, 25 / candidate_spacing_m).
    """
    if part == "demand" and problem.demand is not None:
        return "demand", "give fewer demand points"
    cam = problem.camera
    factor = {
        "spacing_m": 10.0 / float(problem.spacing_m),
        "range_m": float(cam.range_m or 0.0) / 40.0,
        "rotations": _rotations(problem) / 4.0,
        "candidate_spacing_m": 25.0 / float(problem.candidate_spacing_m),
    }
    if problem.demand is not None:
        factor["spacing_m"] = 0.0
    name = max(_DRIVERS[part], key=lambda k: factor[k])
    fixes = {
        "spacing_m": f"raise spacing_m (now {problem.spacing_m:g})",
        "range_m": f"lower the camera set's range_m (now {float(cam.range_m or 0.0):g})",
        "rotations": f"lower the camera set's rotations (now {cam.rotations!r})",
        "candidate_spacing_m": f"raise candidate_spacing_m (now {problem.candidate_spacing_m:g})",
    }
    others = [fixes[k] for k in _DRIVERS[part] if k != name and factor[k] > 0]
    fix = fixes[name] + (f" (or {', '.join(others)})" if others else "")
    return name, fix


def check_problem_size(problem: Problem, owner: str = "solve", given_sets: int = 0) -> SizeEstimate:
    """Refuse a problem whose estimated memory is above the limit (``Problem.max_memory_gb``).

    Raises
    ------
    coverage.errors.ParameterError
        Naming the parameter behind the largest part of the estimate, the
        estimated counts and GiB, and the limit.
    """
    est = estimate_problem_size(problem, given_sets)
    limit = memory_limit_gb(problem.max_memory_gb)
    total = est.gib
    logger.info(
        "%s: size estimate %.0f demand points, %.0f candidate rows, %.0f pairs in range, "
        "%.0f entries: %.2f GiB (limit %.1f GiB).",
        owner,
        est.demand_points,
        est.rows,
        est.pairs,
        est.entries,
        total,
        limit,
    )
    if total <= limit:
        return est
    parts = est.parts_gib()
    worst = max(parts, key=lambda k: parts[k])
    name, fix = _advice(problem, worst)
    where = (
        f"max_memory_gb={problem.max_memory_gb:g}"
        if problem.max_memory_gb is not None
        else "max_memory_gb, by default half of this machine's memory"
    )
    size = f"{total:,.1f} GiB" if math.isfinite(total) else "more memory than any machine has"
    msg = (
        f"{owner}: the {name!r} parameter makes this problem too large: about "
        f"{_fmt(est.demand_points)} demand points (on {_fmt(est.corridor_length_m / 1000)} km "
        f"of corridors), {_fmt(est.rows)} candidate rows "
        f"({_fmt(est.sites)} sites x their rotations), {_fmt(est.pairs)} (site, demand) "
        f"pairs within range_m and {_fmt(est.entries)} matrix entries, {size} in all "
        f"(the largest part: {worst}), above the limit of {limit:,.1f} GiB ({where}). "
        f"Nothing was computed. To fix it, {fix}, or raise max_memory_gb "
        "(Problem(max_memory_gb=...), or [plan] max_memory_gb in a configuration) if the "
        "machine has the memory."
    )
    raise ParameterError(msg)
