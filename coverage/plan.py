"""The whole pipeline as one call: :class:`Problem` in, :class:`Plan` out.

``solve`` turns the scene into demand points and candidate sites, builds the
coverage matrix, runs the geometry-free optimizer and maps the chosen rows
back to GeoDataFrames.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from coverage._arrays import relative_gap, row_of_entries
from coverage._sizes import check_problem_size
from coverage._timing import StageTimer
from coverage._validate import check_choice, check_number, format_rows
from coverage.assumptions import (
    SNAP_M,
    ExistingSets,
    assumption_counts,
    best_rotation_offsets,
    check_snap_m,
    check_unknown_heading,
    resolve_existing,
    snap_to_corridors,
)
from coverage.camera import CameraSet
from coverage.criteria import (
    DemandCredit,
    FaceCriterion,
    check_selector_column,
    demand_criteria,
    normalize_objective,
    normalize_privacy_rules,
    zone_max_tiers,
)
from coverage.errors import InputError, ParameterError
from coverage.matrix import CoverageMatrix, coverage_matrix
from coverage.optimize import METHODS, Progress, Solution, max_coverage, objective, plan_phases
from coverage.scene import Scene, district_of

__all__ = [
    "METHODS",
    "Plan",
    "Problem",
    "ProgressCallback",
    "SolverCallback",
    "assess",
    "best_cover",
    "build_matrix",
    "demand_credit",
    "privacy_max_tier",
    "solve",
]

logger = logging.getLogger("coverage")

#: What :func:`solve` calls as stages run: ``progress(stage, done, total)``, with
#: ``(stage, 0, None)`` when a stage starts and ``(stage, 1, 1)`` when it ends.
ProgressCallback = Callable[[str, float, float | None], None]

#: What :func:`solve` and :func:`assess` pass on from the optimizer during the optimize
#: stage: ``solver_progress(record)`` with a :class:`coverage.optimize.Progress`
#: (``stage``, ``done``, ``total``, ``objective``, ``upper_bound``, ``elapsed_s``).
SolverCallback = Callable[[Progress], None]


@dataclass(frozen=True, eq=False)  # holds GeoDataFrames: compare by identity
class Problem:
    """A planning question: where to put the next `budget` camera sets.

    Parameters
    ----------
    scene
        The city.
    camera
        The camera set installed on each new pole.
    budget
        How many new sets to place (an int >= 1), or a list of budgets, one
        per phase (``[2000, 2000]``): each phase builds on the sets chosen
        before it (nested plans).
    spacing_m
        Distance between demand points along corridors.
    candidate_spacing_m
        Distance between candidate poles along corridors (intersections are
        always candidates).
    bandwidth_m
        Bandwidth of the incident density that weights demand.
    occlusion
        Whether buildings block views.
    method
        One of :data:`METHODS`: ``"auto"``, ``"greedy"``, ``"local"`` or
        ``"exact"`` (see :func:`coverage.optimize.max_coverage`).
    time_limit_s
        Limit on the optimizer's time; ``None`` for its default.
    gap_tol
        Stop once the proven gap is below this (0.001 = 0.1 %).
    rng
        Seed for anything random (recorded in ``Plan.meta``).
    poles
        Candidate poles of your own (points). They are added to the generated
        candidates, or used alone with ``candidates="poles"``. A pole inside a
        building or privacy zone is an error (nothing you give is dropped).
    candidates
        Where the new sets may stand (a mode, not a layer): ``"generated"``
        (the default: corridor intersections and points every
        `candidate_spacing_m` along the corridors, plus `poles` if given) or
        ``"poles"`` (only the given `poles`, which are then required).
    demand
        Demand points of your own (points with a ``weight`` >= 0 and optional
        ``district``), instead of points sampled along the corridors, e.g.
        incident locations for a territory-wide plan. Same CRS as the scene.
    quotas
        ``{district: (min, max)}`` sets per district in each phase (``None``
        for no bound on that side). Passed to the optimizer with each
        candidate's district as its label. District names are compared as
        text (``1`` and ``"1"`` are the same district). Minima that add up to
        more than a phase's budget are refused here.
    max_memory_gb
        Memory the run may use, in GiB (a number > 0). ``None`` (the default)
        means half of this machine's physical memory (``os.sysconf``:
        ``SC_PHYS_PAGES * SC_PAGE_SIZE``). Before any heavy work, :func:`solve`
        and :func:`assess` estimate the demand points, candidate rows (sites ×
        rotations), (site, demand) pairs within range and matrix entries from
        the scene, and refuse a problem whose estimate is above this limit
        with a :class:`~coverage.errors.ParameterError` naming the parameter
        to change, within a second. The estimate is logged (INFO) and kept
        in ``Plan.meta["memory_estimate_gib"]``.
    unknown_heading
        What an existing set with an unknown (NaN) heading looks at:
        ``"along_corridor"`` (the default: its first camera along the nearest
        corridor, the others spread as the model spreads them),
        ``"best_rotation"`` (turned to cover the most weight: optimistic) or
        ``"ignore"`` (left out of existing coverage). See
        :mod:`coverage.assumptions`; the counts are in
        ``Plan.meta["assumptions"]``.
    snap_m
        Incidents and demand points of your own inside a footprint or off
        the corridors are snapped to the nearest corridor within this many
        metres (>= 0; 0 snaps nothing); farther ones are counted as
        unreachable. Hotspot polygons containing no demand point give their
        intensity to the nearest demand point within it.
    objective
        None (the default): every demand point earns the camera set's graded
        quality (today's objective). Or a mix of criteria by demand class:
        ``{"risk >= 0.5": "face", "default": "detect"}``, ``{where: (criterion,
        weight)}`` or a list of :class:`coverage.criteria.ObjectiveTerm`; each
        point earns the credit of the first term that picks it (``"default"``
        picks the rest; a point no term picks earns nothing), and its weight
        is multiplied by the term's weight. Then ``Plan.demand["weight"]`` is
        that product (``base_weight`` keeps the demand weight, ``criterion``
        says which criterion the point has), so ``Plan.objective`` is still
        ``sum(weight * quality)``. See :mod:`coverage.criteria`.
    face
        The :class:`coverage.criteria.FaceCriterion` of the ``"face"``
        criterion (identify tier, down angle at most 15°, yaw at most 30°).
    privacy_rules
        Tier rules for privacy zones by ``category``, e.g. ``[{"category":
        "residential", "max_tier": "observe"}]``: a view may reach into such
        a zone up to that tier (the camera is masked above it) instead of
        being refused. Zones whose category has no rule keep the default
        (no view into them beyond ``max_privacy_intrusion_m2``, no demand
        inside). Needs a camera set with ``resolution_px``.

    Raises
    ------
    coverage.errors.ParameterError
        A parameter is out of range (the message names it and the range).
    """

    scene: Scene
    camera: CameraSet
    _: KW_ONLY
    budget: int | Sequence[int] = 200
    spacing_m: float = 10.0
    candidate_spacing_m: float = 25.0
    bandwidth_m: float = 150.0
    occlusion: bool = True
    method: str = "auto"
    time_limit_s: float | None = None
    gap_tol: float = 1e-3
    rng: int | None = 0
    poles: gpd.GeoDataFrame | None = field(default=None, repr=False)
    candidates: str = "generated"
    demand: gpd.GeoDataFrame | None = field(default=None, repr=False)
    quotas: Mapping[Any, tuple[int | None, int | None]] | None = None
    max_memory_gb: float | None = None
    unknown_heading: str = "along_corridor"
    snap_m: float = SNAP_M
    objective: Any = None
    face: FaceCriterion = field(default_factory=FaceCriterion)
    privacy_rules: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.scene, Scene):
            msg = f"Problem needs a coverage.Scene as 'scene'; got {type(self.scene).__name__}."
            raise TypeError(msg)
        if not isinstance(self.camera, CameraSet):
            msg = (
                "Problem needs a coverage.CameraSet as 'camera'; got "
                f"{type(self.camera).__name__}. Build one with "
                "cov.CameraSet(cameras=3, hfov_deg=90, range_m=40)."
            )
            raise TypeError(msg)
        if isinstance(self.budget, Sequence) and not isinstance(self.budget, str):
            if len(self.budget) == 0:
                msg = (
                    "The 'budget' parameter of Problem must be an int or a non-empty list of ints."
                )
                raise ParameterError(msg)
            for i, b in enumerate(self.budget):
                check_number(b, f"budget[{i}]", "Problem", low=1, integer=True)
            object.__setattr__(self, "budget", tuple(int(b) for b in self.budget))
        else:
            check_number(self.budget, "budget", "Problem", low=1, integer=True)
        if self.demand is not None:
            _check_demand(self.demand, self.scene)
        if self.quotas is not None:
            quotas = _check_quotas(self.quotas, self.scene, _problem_budgets(self))
            object.__setattr__(self, "quotas", quotas)
        if self.rng is not None:  # stored as a plain int (it goes into meta.json)
            object.__setattr__(
                self, "rng", check_number(self.rng, "rng", "Problem", low=0, integer=True)
            )
        if self.max_memory_gb is not None:
            gb = check_number(self.max_memory_gb, "max_memory_gb", "Problem", low=0, low_open=True)
            object.__setattr__(self, "max_memory_gb", gb)
        check_number(self.spacing_m, "spacing_m", "Problem", low=0, low_open=True)
        check_number(
            self.candidate_spacing_m, "candidate_spacing_m", "Problem", low=0, low_open=True
        )
        check_number(self.bandwidth_m, "bandwidth_m", "Problem", low=0, low_open=True)
        check_number(self.gap_tol, "gap_tol", "Problem", low=0, high=1)
        if self.time_limit_s is not None:
            check_number(self.time_limit_s, "time_limit_s", "Problem", low=0, low_open=True)
        check_choice(self.method, "method", "Problem", METHODS)
        check_unknown_heading(self.unknown_heading)
        object.__setattr__(self, "snap_m", check_snap_m(self.snap_m))
        check_choice(self.candidates, "candidates", "Problem", ("generated", "poles"))
        if not isinstance(self.face, FaceCriterion):
            msg = f"Problem needs a coverage.criteria.FaceCriterion as 'face'; got {self.face!r}."
            raise TypeError(msg)
        terms = normalize_objective(self.objective, self.camera, "Problem", face=self.face)
        object.__setattr__(self, "objective", terms)
        for t in terms or ():
            check_selector_column(t.where, _demand_columns(self.demand))
        rules = normalize_privacy_rules(self.privacy_rules, self.camera, "Problem")
        object.__setattr__(self, "privacy_rules", rules)
        if self.candidates == "poles" and (self.poles is None or len(self.poles) == 0):
            msg = "Problem(candidates='poles') needs a non-empty 'poles' layer of candidate points."
            raise ParameterError(msg)


#: Columns of the demand :func:`coverage.demand.sample_demand` draws (selectors read them).
_SAMPLED_DEMAND_COLUMNS = ("weight", "footfall", "risk", "district", "corridor", "bearing_deg")


def _demand_columns(demand: gpd.GeoDataFrame | None) -> list[str]:
    """Columns the demand of a problem will have: sampled, or the user's plus those added."""
    if demand is None:
        return list(_SAMPLED_DEMAND_COLUMNS)
    own = [str(c) for c in demand.columns]
    return [*own, *(c for c in ("weight", "district", "corridor", "bearing_deg") if c not in own)]


def _problem_budgets(problem: Problem) -> tuple[int, ...]:
    b = problem.budget  # an int, or a tuple of ints once Problem has checked it
    return tuple(int(x) for x in b) if isinstance(b, Sequence) else (int(b),)


def _check_demand(demand: Any, scene: Scene) -> None:
    if not isinstance(demand, gpd.GeoDataFrame):
        msg = (
            "The 'demand' parameter of Problem must be a GeoDataFrame; got "
            f"{type(demand).__name__}."
        )
        raise TypeError(msg)
    problems = []
    if demand.crs is None or CRS.from_user_input(demand.crs) != scene.crs:
        got = "no CRS" if demand.crs is None else CRS.from_user_input(demand.crs).to_string()
        problems.append(
            f"demand points are in {got} but the scene is in {scene.crs.to_string()}; "
            "reproject them with demand.to_crs(scene.crs)"
        )
    if len(demand) == 0:
        problems.append("the demand layer is empty")
    else:
        problems.extend(_point_problems(demand, "demand points"))
    if "weight" not in demand.columns:
        problems.append("demand needs a 'weight' column")
    else:
        w = pd.to_numeric(demand["weight"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            rows = demand.index.to_numpy()[bad][:5].tolist()
            problems.append(
                f"{bad.size} demand weight(s) are NaN or negative (rows {rows}); "
                "weights must be >= 0"
            )
    if problems:
        msg = "The 'demand' parameter of Problem: " + "; ".join(problems) + "."
        raise InputError(msg)


def _point_problems(frame: gpd.GeoDataFrame, what: str) -> list[str]:
    """Rows of `frame` that are not single non-empty points with finite coordinates."""
    geom = frame.geometry.values
    rows = frame.index.to_numpy()
    not_point = (shapely.get_type_id(geom) != 0) | shapely.is_empty(geom)
    if not_point.any():
        return [
            f"{int(not_point.sum())} of the {what} are not non-empty Points "
            f"(rows {format_rows(rows[not_point].tolist())})"
        ]
    xy = shapely.get_coordinates(geom)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        return [
            f"{int(bad.sum())} of the {what} have NaN or infinite coordinates "
            f"(rows {format_rows(rows[bad].tolist())})"
        ]
    return []


def _check_quotas(
    quotas: Any, scene: Scene, budgets: tuple[int, ...]
) -> dict[str, tuple[int | None, int | None]]:
    """Check the quotas; return them keyed by district name as text ("1" and 1 are one name)."""
    names = {str(n) for n in scene.districts["name"]}
    if not isinstance(quotas, Mapping):
        msg = "The 'quotas' parameter of Problem must be a dict {district: (min, max)}."
        raise ParameterError(msg)
    keys = [str(k) for k in quotas]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        msg = (
            f"The 'quotas' parameter of Problem gives district(s) {twice[:5]} more than once "
            "(names are compared as text, so 1 and '1' are the same district). Keep one entry."
        )
        raise ParameterError(msg)
    checked: dict[str, tuple[int | None, int | None]] = {str(k): v for k, v in quotas.items()}
    quotas = checked
    unknown = sorted(set(quotas) - names)
    if unknown:
        msg = (
            f"The 'quotas' parameter of Problem names unknown district(s) {unknown[:5]}; "
            f"the scene's districts are {sorted(names)[:20]}."
        )
        raise ParameterError(msg)
    for k, v in quotas.items():
        ok = isinstance(v, tuple | list) and len(v) == 2
        ok = ok and all(x is None or (isinstance(x, int) and x >= 0) for x in v)
        if ok and v[0] is not None and v[1] is not None:
            ok = v[0] <= v[1]
        if not ok:
            msg = (
                f"The 'quotas' parameter of Problem: the quota of {k!r} must be (min, max) with "
                f"ints >= 0 or None and min <= max. Got {v!r} instead."
            )
            raise ParameterError(msg)
    minima = {k: int(v[0]) for k, v in quotas.items() if v[0]}
    total = sum(minima.values())
    if total > min(budgets):
        listed = ", ".join(f"{k!r}: {v}" for k, v in minima.items())
        which = "the budget" if len(budgets) == 1 else "the smallest phase budget"
        msg = (
            f"The 'quotas' parameter of Problem cannot be met: the minima add up to {total} "
            f"set(s) ({listed}) but {which} is {min(budgets)} (quotas apply to each phase). "
            "Lower the minima or raise the budget."
        )
        raise ParameterError(msg)
    return checked


@dataclass(frozen=True, eq=False)  # holds GeoDataFrames: compare by identity
class Plan:
    """A placement plan and the coverage it buys.

    Attributes
    ----------
    cameras
        One row per camera set: the existing sets first (``status ==
        "existing"``, ``rank`` 0), then the new ones in the order chosen
        (``rank`` 1, 2, …). Columns ``rank``, ``site``, ``district``,
        ``gain`` (marginal covered weight when added), ``headings_deg`` (one
        azimuth per camera, degrees clockwise from north: a tuple in memory,
        ``"30;150;270"`` text in every file the package writes, see
        :func:`coverage.io.headings_text`), ``hfov_deg``, ``range_m``,
        ``phase`` (0 for existing), ``status``, ``owner``.
    demand
        The demand points with ``weight``, ``district``, ``corridor``,
        ``quality`` (best value reached, 0 if none) and ``covered_by``
        (position in :attr:`cameras` of the set giving it, -1 if none).
    objective
        Covered demand weight, recomputed from the chosen rows.
    upper_bound
        A proven upper bound on the best possible objective. For a phased
        plan it bounds the last phase given the sets of the earlier ones
        (each phase's own bound and gap are in :attr:`phases`).
    gap
        ``(upper_bound - objective) / upper_bound``.
    solution
        The optimizer's :class:`coverage.optimize.Solution`.
    sites
        All candidate sites considered.
    matrix
        The coverage matrix (configurations × demand points).
    meta
        Parameters, seed, solver options and stage timings.
    scene
        The scene the plan was solved on (kept by :func:`solve` and
        :func:`assess`, so that :meth:`to_gpkg` needs no other argument);
        ``None`` for a Plan built by hand.
    """

    cameras: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    objective: float
    upper_bound: float
    gap: float
    solution: Solution = field(repr=False)
    sites: gpd.GeoDataFrame = field(repr=False)
    matrix: CoverageMatrix = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict, repr=False)
    scene: Scene | None = field(default=None, repr=False)

    @property
    def phases(self) -> pd.DataFrame:
        """One row per phase: budget, objective, upper_bound, gap, method, seconds."""
        return pd.DataFrame(self.meta.get("phases", []))

    @property
    def crs(self) -> CRS:
        """The plan's metric CRS (the scene's)."""
        return CRS.from_user_input(self.demand.crs)

    @property
    def new_cameras(self) -> gpd.GeoDataFrame:
        """The new sets only, in the order chosen."""
        return self.cameras[self.cameras["status"] == "new"]

    def summary(self) -> str:
        """One paragraph a planner can read."""
        total = float(self.demand["weight"].sum())
        share = self.objective / total if total > 0 else 0.0
        n_existing = int((self.cameras["status"] == "existing").sum())
        bound = (
            f"proven upper bound {self.upper_bound:,.1f}, gap {self.gap:.3%}"
            if np.isfinite(self.upper_bound)
            else "upper bound not computed"
        )
        return (
            f"{len(self.new_cameras)} new camera sets ({n_existing} existing) cover {share:.1%} "
            f"of the weighted demand ({self.objective:,.1f} of {total:,.1f}); {bound} "
            f"({self.solution.method})"
            + (
                f"; the bound is on phase {len(self.phases)} given the earlier phases."
                if len(self.meta.get("phases", [])) > 1
                else "."
            )
            + self._unproven_note()
        )

    def _unproven_note(self) -> str:
        """Why the gap target was not proven and what tightens it ("" when it was)."""
        target = self.meta.get("gap_tol")
        stopped = self.solution.stopped_by
        if target is None or not np.isfinite(self.gap) or self.gap <= float(target):
            return ""
        if stopped == "work_limit":
            return (
                f" The gap target ({float(target):.2%}) was not proven within the work budget "
                '(the same plan on any machine); method="exact" with a longer time_limit_s '
                "keeps tightening the bound."
            )
        if stopped == "time_limit":
            return (
                f" The time limit cut the run before the gap target ({float(target):.2%}) was "
                "proven: a rerun may differ; raise time_limit_s until the run ends on its own "
                "to make it reproducible."
            )
        return ""

    def to_gpkg(
        self, path: str | os.PathLike[str], *, scene: Scene | None = None, report: Any = None
    ) -> Path:
        """Write the plan's GIS layers into one GeoPackage (see :func:`coverage.export.to_gpkg`).

        Layers ``cameras``, ``views``, ``demand``, ``streets`` and
        ``districts``, in the working CRS; headings as ``"30;150;270"`` text.

        Parameters
        ----------
        path
            The ``.gpkg`` file to write (replaced atomically).
        scene
            The scene the plan was solved on; ``None``: :attr:`scene`.
        report
            The plan's :func:`coverage.evaluate` report, if you have it (else
            computed for the ``districts`` layer).

        Raises
        ------
        coverage.errors.InputError
            The plan keeps no scene and none is given, or the scene is not
            the plan's (another CRS).
        """
        from coverage.export import to_gpkg

        used = scene if scene is not None else self.scene
        if used is None:
            msg = (
                "This plan keeps no scene (it was not made by coverage.solve or assess); "
                "pass the scene it was solved on: plan.to_gpkg(path, scene=scene)."
            )
            raise InputError(msg)
        return to_gpkg(used, self, path, report=report)


def _xy(frame: gpd.GeoDataFrame) -> NDArray[np.float64]:
    return np.asarray(shapely.get_coordinates(frame.geometry.values), dtype=np.float64)


def build_matrix(
    problem: Problem,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    client: Any = None,
    n_tiles: int | None = None,
) -> CoverageMatrix:
    """Build the coverage matrix of `problem` for given demand points and sites.

    Rows are the candidate configurations, then one row per existing set used
    (``existing`` gives its position in ``scene.cameras``): sets with an
    unknown heading follow ``problem.unknown_heading``, indoor cameras are
    left out; what was assumed is in ``meta["assumptions"]``.

    With a dask `client` the matrix is built by about `n_tiles` spatial tiles
    on its workers and assembled here, identical to the in-process one (see
    :mod:`coverage.distributed`).
    """
    if client is not None:
        from coverage.distributed import build_tiles

        tiled, ex = build_tiles(problem, demand, sites, client=client, n_tiles=n_tiles)
        return _with_scene_existing(tiled.gather(), ex)
    scene = problem.scene
    ex = _existing_sets(problem, demand)
    cm = coverage_matrix(
        _xy(sites),
        _xy(demand),
        problem.camera,
        buildings=scene.buildings.geometry.values if problem.occlusion else None,
        privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
        site_bearings_deg=list(sites["bearings_deg"]),
        existing_xy=ex.xy if len(ex.xy) else None,
        existing_heading_deg=ex.heading_deg if len(ex.xy) else None,
        existing_cameras=ex.cameras if len(ex.xy) else None,
        credit=demand_credit(problem, demand),
        privacy_max_tier=privacy_max_tier(problem),
    )
    return _with_scene_existing(cm, ex)


def _with_scene_existing(cm: CoverageMatrix, ex: ExistingSets) -> CoverageMatrix:
    """Renumber the existing rows by their position in ``scene.cameras``; add the assumptions."""
    existing = cm.existing.copy()
    used = existing >= 0
    existing[used] = ex.index[existing[used]]
    counts = {**ex.counts, "demand_in_privacy": int(cm.meta["n_demand_in_privacy"])}
    meta = {**cm.meta, "assumptions": counts}
    return replace(cm, existing=existing.astype(np.int64), meta=meta)


def demand_credit(problem: Problem, demand: gpd.GeoDataFrame) -> DemandCredit | None:
    """Tell what each demand point needs under ``problem.objective`` (None: graded quality).

    Reads the ``criterion`` column :func:`solve` adds to the demand (computed
    here when it is missing) and the corridor axis ``bearing_deg`` (NaN when
    the demand has none: such points are never face-capable).
    """
    if problem.objective is None:
        return None
    if "criterion" in demand.columns:
        crit = demand["criterion"].astype(str).to_numpy()
    else:
        crit = demand_criteria(demand, problem.objective)[0]
    bearing = (
        demand["bearing_deg"].to_numpy(dtype=float)
        if "bearing_deg" in demand.columns
        else np.full(len(demand), np.nan)
    )
    return DemandCredit(criterion=crit, bearing_deg=bearing, face=problem.face)


def privacy_max_tier(problem: Problem) -> list[str | None] | None:
    """Per privacy zone of the scene: the tier its category's rule allows (None: no rule)."""
    return zone_max_tiers(problem.scene.privacy_zones, problem.privacy_rules)


def _apply_objective(problem: Problem, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``criterion`` and ``base_weight`` and scale ``weight`` by the objective's terms."""
    if problem.objective is None:
        return demand
    crit, factor = demand_criteria(demand, problem.objective)
    out = demand.copy()
    out.attrs = dict(demand.attrs)
    out["base_weight"] = demand["weight"].to_numpy(dtype=float)
    out["criterion"] = crit.astype(str)
    out["weight"] = out["base_weight"].to_numpy() * factor
    return out


def _existing_sets(problem: Problem, demand: gpd.GeoDataFrame) -> ExistingSets:
    """Resolve the scene's existing sets' headings by ``problem.unknown_heading``."""
    scene = problem.scene
    cams = scene.cameras

    def best(xy: NDArray[np.float64], n_cams: NDArray[np.int64]) -> NDArray[np.float64]:
        cam = problem.camera
        period = np.where(n_cams == cam.n_cameras, float(cam.period_deg), 360.0 / n_cams)
        offsets = best_rotation_offsets(period)
        steps = offsets.shape[1]
        trial = coverage_matrix(
            np.zeros((0, 2)),
            _xy(demand),
            cam,
            buildings=scene.buildings.geometry.values if problem.occlusion else None,
            privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
            site_bearings_deg=[],
            existing_xy=np.repeat(xy, steps, axis=0),
            existing_heading_deg=offsets.ravel(),
            existing_cameras=np.repeat(n_cams, steps),
        )
        score = (trial.A @ demand["weight"].to_numpy(dtype=np.float64)).reshape(-1, steps)
        return np.asarray(offsets[np.arange(len(xy)), np.argmax(score, axis=1)], dtype=np.float64)

    return resolve_existing(
        _xy(cams) if len(cams) else np.zeros((0, 2)),
        cams["heading_deg"].to_numpy(dtype=float),
        cams["cameras"].to_numpy(dtype=np.int64),
        policy=problem.unknown_heading,
        corridors=scene.corridors.geometry.values,
        indoor=getattr(scene, "assumptions", {}).get("cameras_indoor_index", []),
        best=best,
    )


def solve(
    problem: Problem,
    *,
    progress: ProgressCallback | None = None,
    solver_progress: SolverCallback | None = None,
    client: Any = None,
    n_tiles: int | None = None,
) -> Plan:
    """Solve a planning problem end to end.

    Parameters
    ----------
    problem
        The question.
    progress
        Optional callback ``progress(stage, done, total)`` for progress bars
        (see :data:`ProgressCallback`). The stages are ``"demand"``,
        ``"candidates"``, ``"matrix"`` and ``"optimize"`` (``"optimize phase
        1"``, ``"optimize phase 2"``, ... for a phased plan: the optimizer runs
        the phases in one call, so phase 1 reports its start before it and
        everything else once the last phase is solved).
    solver_progress
        Optional callback given the optimizer's :class:`coverage.optimize.Progress`
        records while it runs (objective, proven bound, seconds elapsed in the
        phase), to show the gap as it closes (see :data:`SolverCallback`).
    client
        A ``dask.distributed.Client``: the matrix is built by about `n_tiles`
        tiles on its workers and the optimizer runs there, tile by tile (see
        :mod:`coverage.distributed`; plain problems only, no `quotas`). The
        matrix is then gathered once, for the plan. `progress` also gets the
        task counts (``"matrix: tiles"``, ``"optimize: curves"``, ...).
    n_tiles
        With `client`: about how many tiles; None picks four per worker.

    Returns
    -------
    Plan

    Raises
    ------
    coverage.errors.ParameterError
        The budget is larger than the number of candidate sites, or the
        problem's estimated memory is above ``Problem.max_memory_gb``
        (checked first, before anything is allocated).
    coverage.errors.InputError
        No candidate site can be used (e.g. every one is in a privacy zone or
        building), or no demand point lies on the corridors.

    Examples
    --------
    >>> import coverage as cov
    >>> scene = cov.datasets.sample_city()
    >>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=20, method="greedy"))
    >>> len(plan.new_cameras), plan.objective <= plan.upper_bound
    (20, True)
    """
    size = check_problem_size(problem, "solve")
    timer = _stage_timer(progress)
    budgets = _problem_budgets(problem)
    with timer.stage("demand"):
        demand = _make_demand(problem)
    _require_demand(demand)
    with timer.stage("candidates"):
        sites = _make_sites(problem)
    _require_sites(sites, budgets)
    with timer.stage("matrix"):
        if client is None:
            cm = build_matrix(problem, demand, sites)
        else:
            from coverage import distributed

            _refuse_quotas_on_cluster(problem)
            tiled, ex = distributed.build_tiles(
                problem, demand, sites, client=client, n_tiles=n_tiles, progress=progress
            )
            cm = _with_scene_existing(tiled.gather(progress), ex)
    _require_usable_rows(cm)
    weights = demand["weight"].to_numpy(dtype=np.float64)
    if client is None:
        solutions = _optimize_phases(problem, cm, sites, weights, timer, solver_progress)
    else:
        solutions = _optimize_tiles(problem, tiled, weights, timer, progress)
    phase_of = np.concatenate(
        [np.full(len(sol.selected), p, dtype=np.int64) for p, sol in enumerate(solutions, 1)]
    )
    cameras = _camera_table(
        problem,
        sites,
        cm,
        np.concatenate([sol.selected for sol in solutions]).astype(np.int64),
        np.concatenate([sol.gains for sol in solutions]).astype(np.float64),
        phase_of,
    )
    plan_demand = _demand_table(demand, cm, cameras["_row"].to_numpy())
    last = solutions[-1]
    phases = [
        _phase_row(p, b, sol) for (p, b), sol in zip(enumerate(budgets, 1), solutions, strict=True)
    ]
    return Plan(
        cameras=cameras.drop(columns="_row"),
        demand=plan_demand,
        objective=float(last.objective),
        upper_bound=float(last.upper_bound),
        gap=float(last.gap),
        solution=last,
        sites=sites,
        matrix=cm,
        meta={
            **_plan_meta(problem, last, cm, len(sites), phases, timer.timings),
            "memory_estimate_gib": round(size.gib, 4),
            "assumptions": assumption_counts(problem.scene, cm, demand),
        },
        scene=problem.scene,
    )


# --------------------------------------------------------------------------- solve, by stage
def _stage_timer(progress: ProgressCallback | None) -> StageTimer:
    if progress is None:
        return StageTimer()
    return StageTimer(
        on_start=lambda name: progress(name, 0, None), on_end=lambda name: progress(name, 1, 1)
    )


def _make_demand(problem: Problem) -> gpd.GeoDataFrame:
    from coverage.demand import sample_demand

    if problem.demand is not None:
        return _apply_objective(problem, _own_demand(problem.demand, problem.scene, problem.snap_m))
    demand = sample_demand(
        problem.scene,
        spacing_m=problem.spacing_m,
        bandwidth_m=problem.bandwidth_m,
        snap_m=problem.snap_m,
    )
    return _apply_objective(problem, demand)


def _make_sites(problem: Problem) -> gpd.GeoDataFrame:
    from coverage.candidates import candidate_sites

    sites = candidate_sites(
        problem.scene, candidate_spacing_m=problem.candidate_spacing_m, poles=problem.poles
    )
    if problem.candidates == "poles":
        sites = sites[sites["kind"] == "pole"].reset_index(drop=True)
    return sites


def _require_demand(demand: gpd.GeoDataFrame) -> None:
    if len(demand) == 0 or float(demand["weight"].sum()) <= 0:
        msg = "No demand: the corridors yield no demand points with positive weight."
        raise InputError(msg)


def _require_sites(sites: gpd.GeoDataFrame, budgets: tuple[int, ...]) -> None:
    if len(sites) == 0:
        msg = (
            "No candidate site is left: every candidate lies inside a building or a privacy "
            "zone. Check the privacy_zones layer, or give poles explicitly."
        )
        raise InputError(msg)
    if sum(budgets) > len(sites):
        what = "budget" if len(budgets) == 1 else "sum of the phase budgets"
        msg = (
            f"The 'budget' parameter of Problem must be an int in [1, {len(sites)}] (the number "
            f"of candidate sites). Got {sum(budgets)} ({what}) instead. Lower the budget or add "
            "candidates (smaller candidate_spacing_m)."
        )
        raise ParameterError(msg)


def _require_usable_rows(cm: CoverageMatrix) -> None:
    if not (cm.site >= 0).any():
        msg = (
            "No camera configuration is allowed: every candidate's view reaches into a privacy "
            "zone. Shrink the privacy zones or raise max_privacy_intrusion_m2 on the camera set."
        )
        raise InputError(msg)


def _optimize_phases(
    problem: Problem,
    cm: CoverageMatrix,
    sites: gpd.GeoDataFrame,
    weights: NDArray[np.float64],
    timer: StageTimer,
    solver_progress: SolverCallback | None = None,
) -> tuple[Solution, ...]:
    """Solve every phase (nested: each phase's sets are fixed for the next).

    Each phase is a stage of `timer`, begun when the phase starts and recorded
    with its solver's wall time (``Solution.elapsed_s``) as soon as it ends.
    The optimizer's progress records go to `solver_progress` (each phase's
    ``elapsed_s`` counts from that phase's start).
    """
    budgets, phase_done = _phase_stages(problem, timer)
    return plan_phases(
        cm.A,
        weights,
        budgets=list(budgets),
        fixed=cm.fixed,
        method=problem.method,
        time_limit_s=problem.time_limit_s,
        on_phase=phase_done,
        groups=cm.groups,
        gap_tol=problem.gap_tol,
        rng=problem.rng,
        progress=solver_progress,
        **_quota_options(problem, cm, sites),
    )


def _phase_stages(
    problem: Problem, timer: StageTimer
) -> tuple[tuple[int, ...], Callable[[int, Solution], None]]:
    """Return the phases' budgets and an ``on_phase`` callback timing each as a stage.

    The first phase's stage is begun here; each callback records the phase's
    solver wall time and begins the next phase's stage.
    """
    budgets = _problem_budgets(problem)
    names = ["optimize"]
    if len(budgets) > 1:
        names = [f"optimize phase {p}" for p in range(1, len(budgets) + 1)]

    def phase_done(p: int, sol: Solution) -> None:
        timer.record(names[p], sol.elapsed_s)
        if p + 1 < len(names):
            timer.begin(names[p + 1])

    timer.begin(names[0])
    return budgets, phase_done


def _optimize_tiles(
    problem: Problem,
    tiled: Any,
    weights: NDArray[np.float64],
    timer: StageTimer,
    progress: ProgressCallback | None,
) -> tuple[Solution, ...]:
    """Solve every phase on the tiles where they were built (see :func:`_optimize_phases`)."""
    from coverage.distributed import solve_tiles

    budgets, phase_done = _phase_stages(problem, timer)
    return solve_tiles(
        tiled,
        weights,
        budgets=list(budgets),
        method=problem.method,
        time_limit_s=problem.time_limit_s,
        gap_tol=problem.gap_tol,
        rng=problem.rng,
        progress=progress,
        on_phase=phase_done,
    )


def _refuse_quotas_on_cluster(problem: Problem) -> None:
    if problem.quotas is not None:
        msg = (
            "Problem(quotas=...) cannot be solved on a dask cluster: quotas couple the tiles "
            "beyond the budget. Solve it in process (client=None) or drop the quotas."
        )
        raise ParameterError(msg)


def _quota_options(problem: Problem, cm: CoverageMatrix, sites: gpd.GeoDataFrame) -> dict[str, Any]:
    """``labels`` (each candidate row's district) and ``quotas`` for the optimizer, if any."""
    if problem.quotas is None:
        return {}
    labels = np.full(cm.A.shape[0], "", dtype=object)
    cand = cm.site >= 0
    labels[cand] = sites["district"].astype(str).to_numpy()[cm.site[cand]]
    return {"labels": labels, "quotas": dict(problem.quotas)}


def _phase_row(phase: int, budget: int, sol: Solution) -> dict[str, Any]:
    return {
        "phase": phase,
        "budget": budget,
        "sets": len(sol.selected),
        "objective": float(sol.objective),
        "upper_bound": float(sol.upper_bound),
        "gap": float(sol.gap),
        "method": sol.method,
        "seconds": sol.elapsed_s,
        "stopped_by": sol.stopped_by,
    }


def _plan_meta(
    problem: Problem,
    sol: Solution,
    cm: CoverageMatrix,
    n_sites: int,
    phases: list[dict[str, Any]],
    timings: dict[str, float],
) -> dict[str, Any]:
    """Parameters, seed, solver options, sizes, phases and stage timings of a plan."""
    budgets = _problem_budgets(problem)
    return {
        "crs": _crs_name(problem.scene.crs),
        "budget": list(budgets) if len(budgets) > 1 else budgets[0],
        "method": problem.method,
        "solver_method": sol.method,
        "time_limit_s": problem.time_limit_s,
        "gap_tol": problem.gap_tol,
        "rng": problem.rng,
        "max_memory_gb": problem.max_memory_gb,
        "spacing_m": problem.spacing_m,
        "candidate_spacing_m": problem.candidate_spacing_m,
        "bandwidth_m": problem.bandwidth_m,
        "occlusion": problem.occlusion,
        "unknown_heading": problem.unknown_heading,
        "snap_m": problem.snap_m,
        **_criteria_meta(problem),
        "candidates": problem.candidates,
        "own_demand": problem.demand is not None,
        "quotas": dict(problem.quotas) if problem.quotas is not None else None,
        "camera": repr(problem.camera),
        "camera_set": problem.camera,
        "tier_weights": _tier_weights(problem.camera),
        "n_demand": int(cm.A.shape[1]),
        "n_sites": n_sites,
        "n_configurations": int(cm.A.shape[0]),
        "nnz": int(cm.A.nnz),
        "phases": phases,
        "timings_s": timings,
    }


def _criteria_meta(problem: Problem) -> dict[str, Any]:
    """Give the objective mix, face criterion and privacy rules as plain tables (meta.json)."""
    terms, rules = problem.objective, problem.privacy_rules
    return {
        "objective": None if terms is None else [asdict(t) for t in terms],
        "face": asdict(problem.face),
        "privacy_rules": None if rules is None else [asdict(r) for r in rules],
    }


def _crs_name(crs: CRS) -> str:
    """Name a CRS for ``Plan.meta``: ``"EPSG:2326"`` when it has a code, else its WKT."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth is not None else crs.to_wkt()


def _tier_weights(cam: CameraSet) -> dict[str, float] | None:
    """Credit per DORI tier of a resolution-based set; None for a range-only set."""
    if cam.resolution_px is None or cam.tier_weights is None:
        return None
    return dict(zip((name for name, _ in cam.tiers), cam.tier_weights, strict=True))


# --------------------------------------------------------------------------- result tables
def _own_demand(demand: gpd.GeoDataFrame, scene: Scene, snap_m: float) -> gpd.GeoDataFrame:
    """Take the user's demand points, snapped to the corridors within `snap_m` (counted)."""
    from coverage.demand import corridor_bearing_deg

    w = pd.to_numeric(demand["weight"]).to_numpy(dtype=float)
    footprints = scene.buildings.geometry.values if len(scene.buildings) else None
    snap = snap_to_corridors(
        shapely.get_coordinates(demand.geometry.values),
        scene.corridors.geometry.values,
        footprints,
        snap_m,
    )
    on = ~snap.snapped & ~snap.unreachable
    out = gpd.GeoDataFrame(
        {"weight": w},
        geometry=shapely.points(snap.xy) if len(snap.xy) else demand.geometry.values,
        crs=scene.crs,
    )
    out.attrs["assumptions"] = {
        "snap_m": snap_m,
        "own_demand": len(w),
        "own_demand_weight": float(w.sum()),
        "own_demand_on_corridor": int(on.sum()),
        "own_demand_on_corridor_weight": float(w[on].sum()),
        "own_demand_snapped": int(snap.snapped.sum()),
        "own_demand_snapped_weight": float(w[snap.snapped].sum()),
        "own_demand_max_snap_m": float(snap.distance_m[snap.snapped].max(initial=0.0)),
        "own_demand_unreachable": int(snap.unreachable.sum()),
        "own_demand_unreachable_weight": float(w[snap.unreachable].sum()),
    }
    out["district"] = (
        demand["district"].fillna("").astype(str).to_numpy()
        if "district" in demand.columns
        else district_of(out.geometry.values, scene.districts)
    )
    out["corridor"] = (
        demand["corridor"].to_numpy() if "corridor" in demand.columns else np.int64(-1)
    )
    out["bearing_deg"] = (
        pd.to_numeric(demand["bearing_deg"]).to_numpy(dtype=float)
        if "bearing_deg" in demand.columns
        else corridor_bearing_deg(snap.xy, scene.corridors.geometry.values)
    )
    for col in demand.columns:
        if col not in out.columns and col != demand.geometry.name:
            out[col] = demand[col].to_numpy()
    return out


def _set_columns(cam: CameraSet) -> dict[str, float]:
    """Build the ``hfov_deg`` and ``range_m`` columns of the camera table."""
    if cam.range_m is None:  # CameraSet resolves it on construction
        msg = "The camera set has no range_m."
        raise ParameterError(msg)
    return {"hfov_deg": float(cam.hfov_deg), "range_m": float(cam.range_m)}


def _headings(rows: NDArray[np.float64]) -> list[tuple[float, ...]]:
    """One tuple of camera headings per row of a NaN-padded heading matrix."""
    return [tuple(float(h) for h in r[np.isfinite(r)]) for r in rows]


def _camera_table(
    problem: Problem,
    sites: gpd.GeoDataFrame,
    cm: CoverageMatrix,
    sel: NDArray[np.int64],
    gains: NDArray[np.float64],
    phase: NDArray[np.int64],
) -> gpd.GeoDataFrame:
    scene = problem.scene
    ex = scene.cameras
    ex_rows = np.asarray(cm.fixed, dtype=np.int64)
    ex_idx = cm.existing[ex_rows]
    existing = gpd.GeoDataFrame(
        {
            "rank": np.zeros(len(ex_rows), dtype=np.int64),
            "site": np.full(len(ex_rows), -1, dtype=np.int64),
            "district": district_of(ex.geometry.values[ex_idx], scene.districts),
            "gain": np.zeros(len(ex_rows)),
            "headings_deg": _headings(cm.headings_deg[ex_rows]),
            **_set_columns(problem.camera),
            "phase": np.zeros(len(ex_rows), dtype=np.int64),
            "status": "existing",
            "owner": ex["owner"].to_numpy()[ex_idx],
            "_row": ex_rows,
        },
        geometry=ex.geometry.values[ex_idx],
        crs=scene.crs,
    )
    site_idx = cm.site[sel]
    new = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(sel) + 1, dtype=np.int64),
            "site": site_idx,
            "district": sites["district"].to_numpy()[site_idx],
            "gain": gains,
            "headings_deg": _headings(cm.headings_deg[sel]),
            **_set_columns(problem.camera),
            "phase": phase,
            "status": "new",
            "owner": "police",
            "_row": sel,
        },
        geometry=sites.geometry.values[site_idx],
        crs=scene.crs,
    )
    frames = [f for f in (existing, new) if len(f)]
    if not frames:
        return new
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=scene.crs)


def _demand_table(
    demand: gpd.GeoDataFrame, cm: CoverageMatrix, rows: NDArray[np.int64]
) -> gpd.GeoDataFrame:
    out = demand.copy()
    quality, covered_by = best_cover(cm, rows)
    out["quality"] = quality
    out["covered_by"] = covered_by
    return out


def best_cover(
    cm: CoverageMatrix, rows: Sequence[int] | NDArray[np.integer[Any]]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Find the best quality each demand point gets from `rows`, and which row gives it.

    Returns ``(quality, position)`` where position indexes into `rows`
    (-1 when uncovered); ties go to the earliest row.
    """
    rows = np.asarray(rows, dtype=np.int64)
    m = cm.A.shape[1]
    if rows.size == 0:
        return np.zeros(m), np.full(m, -1, dtype=np.int64)
    sub = cm.A[rows].tocsc()
    quality = np.zeros(m)
    pos = np.full(m, -1, dtype=np.int64)
    if sub.nnz:
        col = row_of_entries(sub.indptr)  # column of each entry (CSC)
        data, r = sub.data, sub.indices
        # Sort by column, then value descending, then row ascending: the first of each column wins.
        order = np.lexsort((r, -data, col))
        first = np.r_[True, col[order][1:] != col[order][:-1]]
        win = order[first]
        quality[col[win]] = data[win]
        pos[col[win]] = r[win]
    return quality, pos


# --------------------------------------------------------------------------- assess
def assess(
    problem: Problem,
    sets: gpd.GeoDataFrame,
    *,
    bound: bool = False,
    solver_progress: SolverCallback | None = None,
) -> Plan:
    """Coverage of camera sets you give (a saved plan, a layout of your own).

    The sets are placed as they are (points, with ``headings_deg``: the first
    camera's heading is used and the others follow the camera set's relative
    headings; a set without headings gets the default orientation). The
    scene's existing cameras count too. Nothing is optimized unless `bound`
    is True: then the upper bound is the optimizer's proven bound on the best
    plan with as many new sets on the problem's candidate sites (the
    problem's method and time limit), so the gap says how far the given
    layout is from what is possible.

    Parameters
    ----------
    problem
        The scene, camera model and settings (its budget is ignored).
    sets
        Points in any CRS; rows with ``status == "existing"`` are skipped
        (the scene's own cameras are used instead).
    bound
        Also compute the proven bound (builds the candidates' coverage matrix
        and runs the optimizer: as slow as planning). False: ``upper_bound``
        and ``gap`` are NaN and ``meta["bound"]`` says it was not computed.
    solver_progress
        With `bound`, the optimizer's progress records (see :data:`SolverCallback`).

    Returns
    -------
    Plan
        With ``meta["assessed"] = True``; ``rank`` follows the given order.

    Raises
    ------
    coverage.errors.InputError
        The sets have no CRS, none is new, or a ``headings_deg`` or ``phase``
        cell cannot be read (the message names the rows).
    coverage.errors.ParameterError
        The problem's estimated memory is above ``Problem.max_memory_gb``.
    """
    sets = _sets_to_assess(sets, problem.scene)
    check_problem_size(problem, "assess", given_sets=len(sets))
    demand = _make_demand(problem)
    sites = _make_sites(problem)
    # without the bound only the existing sets' rows are needed, not every candidate's
    cm = build_matrix(problem, demand, sites if bound else sites.iloc[:0])
    given = _given_matrix(problem, demand, sets)
    w = demand["weight"].to_numpy(dtype=np.float64)
    stacked = _stack_existing_and_given(cm, given)
    rows = np.arange(stacked.A.shape[0], dtype=np.int64)
    value = float(objective(stacked.A, w, rows))
    if bound:
        sol = max_coverage(
            cm.A,
            w,
            budget=min(len(sets), len(sites)),
            groups=cm.groups,
            fixed=cm.fixed,
            method=problem.method,
            time_limit_s=problem.time_limit_s,
            gap_tol=problem.gap_tol,
            rng=problem.rng,
            progress=solver_progress,
        )
        ub = max(float(sol.upper_bound), value)
        found, how = float(sol.objective), sol.bound_method or sol.method
    else:
        ub, found, how = float("nan"), float("nan"), "not computed"
        sol = Solution(
            selected=np.zeros(0, dtype=np.int64),
            gains=np.zeros(0),
            objective=value,
            upper_bound=ub,
            gap=ub,
            method="given",
            trace=(),
            bound_method=how,
        )
    existing = _camera_table(
        problem, sites, cm, np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    ).drop(columns="_row")
    new = _given_camera_table(problem, sets, given)
    cameras = gpd.GeoDataFrame(
        pd.concat([f for f in (existing, new) if len(f)], ignore_index=True),
        crs=problem.scene.crs,
    )
    return Plan(
        cameras=cameras,
        demand=_demand_table(demand, stacked, rows),
        objective=value,
        upper_bound=ub,
        gap=relative_gap(value, ub) if bound else ub,
        solution=sol,
        sites=sites,
        matrix=stacked,
        meta={
            "assessed": True,
            "bound": how,
            "crs": _crs_name(problem.scene.crs),
            "camera": repr(problem.camera),
            "camera_set": problem.camera,
            "best_possible_objective_found": found,
            "occlusion": problem.occlusion,
            **_criteria_meta(problem),
            "n_demand": len(demand),
            "n_sites": len(sites),
            "timings_s": {},
            "assumptions": assumption_counts(problem.scene, cm, demand),
        },
        scene=problem.scene,
    )


def _sets_to_assess(sets: gpd.GeoDataFrame, scene: Scene) -> gpd.GeoDataFrame:
    """Keep the new sets of `sets`, in the scene's CRS, with a RangeIndex."""
    if sets.crs is None:
        msg = "The camera sets to assess have no CRS; set it (plan files are EPSG:4326)."
        raise InputError(msg)
    if "status" in sets.columns:
        sets = sets[sets["status"].fillna("new") != "existing"]
    problems = _point_problems(sets, "camera sets")
    if not problems:
        given = CRS.from_user_input(sets.crs)
        sets = sets.to_crs(scene.crs)
        problems = _point_problems(sets, f"camera sets projected from {given.to_string()}")
        if problems and given.is_geographic:
            problems[-1] += " (are longitude and latitude swapped?)"
    if problems:
        msg = (
            "The camera sets to assess: " + "; ".join(problems) + ". Give one point per set "
            "(x, y; longitude, latitude in EPSG:4326), or remove those rows."
        )
        raise InputError(msg)
    _first_headings(sets)  # unreadable headings or phases: an error naming the rows as given
    _phases_of(sets)
    sets = sets.reset_index(drop=True)
    if len(sets) == 0:
        msg = "There are no new camera sets to assess."
        raise InputError(msg)
    return sets


def _heading_values(v: Any) -> tuple[float, ...] | None:
    """Headings of one ``headings_deg`` cell; None when the cell is empty; ValueError if unreadable.

    A cell is a tuple or list of numbers (a plan in memory), ``"a;b;c"`` text
    (a plan read back from a file) or a single number.
    """
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, str):
        text = v.strip()
        bracketed = text[:1] in "([" and text[-1:] in ")]" and len(text) >= 2
        text = text[1:-1].strip() if bracketed else text
        if not text:
            return None
        parts: Sequence[Any] = text.split("," if bracketed else ";")
    elif isinstance(v, tuple | list | np.ndarray):
        parts = list(v)
        if not parts:
            return None
    else:
        parts = [v]
    vals = []
    for p in parts:
        if isinstance(p, bool):
            raise ValueError(p)
        x = float(p.strip()) if isinstance(p, str) else float(p)
        if not np.isfinite(x):
            raise ValueError(p)
        vals.append(x)
    return tuple(vals)


def _first_headings(sets: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Heading of each set's first camera (NaN when the cell is empty).

    ``headings_deg`` holds tuples (a plan in memory) or ``"a;b;c"`` strings (a
    plan read back from a file). A cell that is not empty and cannot be read
    is an :class:`~coverage.errors.InputError` naming the rows: using the
    default orientation instead would assess another layout.
    """
    heads = np.full(len(sets), np.nan)
    if "headings_deg" not in sets.columns:
        return heads
    bad: list[tuple[Any, Any]] = []
    for i, (label, v) in enumerate(zip(sets.index, sets["headings_deg"], strict=True)):
        try:
            vals = _heading_values(v)
        except (TypeError, ValueError):
            bad.append((label, v))
            continue
        if vals is not None:
            heads[i] = vals[0]
    if bad:
        shown = ", ".join(f"row {r}: {v!r}" for r, v in bad[:5])
        msg = (
            f"The camera sets to assess: column 'headings_deg' has {len(bad)} unreadable "
            f"value(s) ({shown}{', …' if len(bad) > 5 else ''}). Give the azimuth of each camera "
            "in degrees clockwise from north, separated by ';' (e.g. '30;150;270'), or leave the "
            "cell empty for the camera set's default orientation."
        )
        raise InputError(msg)
    return heads


def _phases_of(sets: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Read the ``phase`` of each set (1 when the column is absent): whole numbers >= 1."""
    if "phase" not in sets.columns:
        return np.ones(len(sets), dtype=np.int64)
    raw = sets["phase"]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    is_bool = raw.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    ok = np.isfinite(num) & (num >= 1) & (np.mod(num, 1) == 0) & ~is_bool
    if not ok.all():
        bad = np.flatnonzero(~ok)
        shown = ", ".join(f"row {sets.index[i]}: {raw.iloc[i]!r}" for i in bad[:5])
        msg = (
            f"The camera sets to assess: column 'phase' has {bad.size} value(s) that are not "
            f"whole numbers >= 1 ({shown}{', …' if bad.size > 5 else ''}). Number the phases "
            "1, 2, ... (existing sets have status 'existing'), or drop the column for phase 1."
        )
        raise InputError(msg)
    out: NDArray[np.int64] = num.astype(np.int64)
    return out


def _given_matrix(
    problem: Problem, demand: gpd.GeoDataFrame, sets: gpd.GeoDataFrame
) -> CoverageMatrix:
    """Coverage of the given sets, each as an existing set (one fixed row, as installed)."""
    scene = problem.scene
    return coverage_matrix(
        np.empty((0, 2)),
        _xy(demand),
        problem.camera,
        buildings=scene.buildings.geometry.values if problem.occlusion else None,
        privacy_zones=scene.privacy_zones.geometry.values if len(scene.privacy_zones) else None,
        existing_xy=_xy(sets),
        existing_heading_deg=_first_headings(sets),
        credit=demand_credit(problem, demand),
        privacy_max_tier=privacy_max_tier(problem),
    )


def _stack_existing_and_given(cm: CoverageMatrix, given: CoverageMatrix) -> CoverageMatrix:
    """One matrix: the scene's existing sets (fixed), then the given sets."""
    from scipy.sparse import csr_array, vstack

    n_ex = len(cm.fixed)
    n_all = n_ex + given.A.shape[0]
    k = max(cm.headings_deg.shape[1], given.headings_deg.shape[1])

    def pad(h: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.pad(h, ((0, 0), (0, k - h.shape[1])), constant_values=np.nan)

    return CoverageMatrix(
        A=csr_array(vstack([cm.A[cm.fixed], given.A]).tocsr()),
        site=np.full(n_all, -1, dtype=np.int64),
        existing=np.arange(n_all, dtype=np.int64),
        rotation=np.zeros(n_all, dtype=np.int64),
        headings_deg=np.vstack([pad(cm.headings_deg[cm.fixed]), pad(given.headings_deg)]),
        fixed=np.arange(n_ex, dtype=np.int64),
        groups=np.arange(n_all, dtype=np.int64),
    )


def _given_camera_table(
    problem: Problem, sets: gpd.GeoDataFrame, given: CoverageMatrix
) -> gpd.GeoDataFrame:
    """Camera table rows of the given sets (rank in the given order, phase 1 by default)."""
    scene = problem.scene
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(sets) + 1, dtype=np.int64),
            "site": np.full(len(sets), -1, dtype=np.int64),
            "district": district_of(sets.geometry.values, scene.districts),
            "gain": np.zeros(len(sets)),
            "headings_deg": _headings(given.headings_deg),
            **_set_columns(problem.camera),
            "phase": _phases_of(sets),
            "status": "new",
            "owner": sets["owner"].fillna("").astype(str).to_numpy()
            if "owner" in sets.columns
            else "police",
        },
        geometry=sets.geometry.values,
        crs=scene.crs,
    )
