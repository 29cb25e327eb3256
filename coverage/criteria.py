"""What a view must give a demand point to earn credit: tiers, face capture, privacy rules.

Three small, explicit models, used by :func:`coverage.matrix.coverage_matrix`
per (configuration, demand point) pair and by :class:`coverage.plan.Problem`:

* :class:`FaceCriterion` — a face is captured when the camera resolves it at the
  *identify* pixel density (EN 62676-4: 250 px/m), looks at it from no steeper
  than ``max_down_deg`` above, sees it in its vertical field of view, and looks
  along the corridor (people walk toward the camera): the bearing from the pole
  to the point is within ``max_yaw_deg`` of the corridor's axis, either way.
* :class:`ObjectiveTerm` — one part of an objective mix: the demand points a
  selector picks (``"risk >= 0.5"``, ``"district == Harbour"``, ``"default"``)
  earn the credit of one criterion (``"quality"``: today's graded DORI credit; a
  tier name: 1 at that tier or better; ``"face"``: 1 when face-capable), times a
  weight.
* :class:`PrivacyRule` — privacy zones of a ``category`` may be seen up to
  ``max_tier``: above it the camera is masked inside the zone (as real cameras
  mask privacy areas), so a point there earns at most the credit of that tier.

Defaults of the face criterion and where they come from
---------------------------------------------------------
``max_down_deg = 15``: the vertical tilt of the camera's view of a face at
1.6 m should not exceed 15° (NtechLab, *FindFace Security: Requirements for CCTV
cameras*; AxxonSoft's face detection requirements give ±15° too).
``max_yaw_deg = 30``: the same NtechLab page limits the horizontal deflection
from the motion vector of the main flow of people to 30°.
``face_height_m = 1.6``: the face centre of a person of average height (the
same source). The identify tier (250 px/m) is EN 62676-4:2015's; vendors ask
for more for automatic matching (NtechLab 500 px/m, Avigilon 286-457 px/m):
pass ``tier`` naming a tier of your own for that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage._geometry import angular_difference_deg, azimuth_deg
from coverage._validate import check_number
from coverage.camera import CameraSet
from coverage.errors import InputError, ParameterError

__all__ = [
    "CRITERIA",
    "DemandCredit",
    "FaceCriterion",
    "ObjectiveTerm",
    "PrivacyRule",
    "check_selector_column",
    "demand_criteria",
    "face_down_angle_deg",
    "normalize_objective",
    "normalize_privacy_rules",
    "pair_credit",
    "select_demand",
    "tier_index",
    "zone_max_tiers",
]

#: Criteria that are not tier names: the graded DORI credit, and face capture.
CRITERIA = ("quality", "face")
#: A demand point with no cap on the tier it may be seen at.
NO_CAP = np.iinfo(np.int64).max


def face_down_angle_deg(
    mount_height_m: float, distance_m: ArrayLike, *, face_height_m: float = 1.6
) -> NDArray[np.float64]:
    """Angle below the horizontal from the lens to a face at ground distance `distance_m`.

    ``atan((mount_height_m - face_height_m) / distance_m)``, degrees (90 at the
    foot of the pole; negative when the lens is below the face).

    Examples
    --------
    >>> face_down_angle_deg(5.0, [3.4, 12.69]).round(2).tolist()  # atan(3.4 / d)
    [45.0, 15.0]
    """
    d = np.asarray(distance_m, dtype=np.float64)
    return np.degrees(np.arctan2(float(mount_height_m) - float(face_height_m), d))


@dataclass(frozen=True, kw_only=True)
class FaceCriterion:
    """When a view captures a face well enough to identify it.

    Parameters
    ----------
    max_down_deg
        Largest angle between the horizontal and the line from the lens to the
        face, degrees (either way: a lens below the face counts by the absolute
        angle). 15° by default (see the module notes for the source).
    max_yaw_deg
        Largest angle between the bearing from the pole to the point and the
        corridor's axis there, degrees, in [0, 90]. 30° by default.
    face_height_m
        Height of the face above the ground, metres.
    tier
        The camera tier whose pixel density the face needs (``"identify"``:
        250 px/m). The density is taken at the slant distance from the lens to
        the face, ``hypot(d, mount_height_m - face_height_m)``.

    Notes
    -----
    A point at ground distance ``d`` from a pole whose lens is at height ``h``
    is face-capable from a camera of the set when all of these hold:

    * it is in the camera's sector, within ``range_m`` and beyond the blind zone
      (the set's own tests);
    * ``resolution_px / (hypot(d, h - f) * 2 tan(hfov / 2)) >= density(tier)``;
    * ``|atan((h - f) / d)| <= max_down_deg``;
    * with ``tilt_deg`` given, the face is in the vertical field of view:
      ``tilt - vfov / 2 <= atan((h - f) / d) <= tilt + vfov / 2``;
    * ``min(delta, 180 - delta) <= max_yaw_deg`` where ``delta`` is the angle
      between the pole-to-point bearing and the corridor bearing at the point
      (people walk both ways). A point without a corridor bearing (NaN) is
      never face-capable.

    So a 5 m pole sees faces no nearer than ``3.4 / tan(15°) = 12.69`` m, and
    a 1920 px, 90° lens resolves 250 px/m only out to 3.84 m: face capture from
    a street pole needs a narrow lens (a 3840 px, 30° lens reaches 28.66 m slant,
    28.46 m on the ground).

    Examples
    --------
    >>> face = FaceCriterion()
    >>> cs = CameraSet(cameras=1, hfov_deg=30, resolution_px=3840, mount_height_m=5.0)
    >>> [round(v, 2) for v in face.distance_window_m(cs)]
    [12.69, 28.46]
    >>> face.capable(cs, [10.0, 20.0, 20.0, 20.0], [0.0, 0.0, 180.0, 90.0],
    ...              [0.0, 0.0, 0.0, 0.0]).tolist()
    [False, True, True, False]
    """

    max_down_deg: float = 15.0
    max_yaw_deg: float = 30.0
    face_height_m: float = 1.6
    tier: str = "identify"

    def __post_init__(self) -> None:
        owner = "FaceCriterion"
        for name, high in (("max_down_deg", 90.0), ("max_yaw_deg", 90.0)):
            value = check_number(getattr(self, name), name, owner, low=0.0, high=high)
            object.__setattr__(self, name, float(value))
        h = check_number(self.face_height_m, "face_height_m", owner, low=0.0)
        object.__setattr__(self, "face_height_m", float(h))

    def check_camera(self, camera_set: CameraSet, owner: str = "FaceCriterion") -> None:
        """Refuse a camera set that cannot be tested for faces (no pixels, height or tier)."""
        names = [n for n, _ in camera_set.tiers]
        if camera_set.resolution_px is None or camera_set.mount_height_m is None:
            msg = (
                f"{owner}: the face criterion needs a camera set with 'resolution_px' and "
                f"'mount_height_m' (got resolution_px={camera_set.resolution_px!r}, "
                f"mount_height_m={camera_set.mount_height_m!r}). Give both, e.g. "
                "CameraSet(resolution_px=3840, hfov_deg=30, mount_height_m=5)."
            )
            raise ParameterError(msg)
        if self.tier not in names:
            msg = (
                f"{owner}: the face criterion's tier {self.tier!r} is not a tier of the camera "
                f"set; its tiers are {', '.join(map(repr, names))}."
            )
            raise ParameterError(msg)

    def distance_window_m(self, camera_set: CameraSet) -> tuple[float, float]:
        """Ground distances ``(near, far)`` between which a face on axis is capturable.

        ``near`` from the down angle (and the set's blind zone), ``far`` from the
        tier's density at slant distance (and ``range_m``); ``near > far`` means
        never. The vertical field of view and the yaw are not included.
        """
        self.check_camera(camera_set)
        h = float(camera_set.mount_height_m) - self.face_height_m  # type: ignore[arg-type]
        tan_down = math.tan(math.radians(self.max_down_deg))
        near = abs(h) / tan_down if tan_down > 0 else math.inf
        slant = camera_set.camera.tier_distance_m(self.tier)
        far = math.sqrt(max(slant * slant - h * h, 0.0))
        near = max(near, float(camera_set.min_range_m))  # type: ignore[arg-type]
        return near, min(far, float(camera_set.range_m))  # type: ignore[arg-type]

    def capable(
        self,
        camera_set: CameraSet,
        distance_m: ArrayLike,
        bearing_deg: ArrayLike,
        corridor_bearing_deg: ArrayLike,
    ) -> NDArray[np.bool_]:
        """Tell which (camera, point) pairs capture a face, sector aside.

        `distance_m` is the ground distance from the pole, `bearing_deg` the
        bearing from the pole to the point and `corridor_bearing_deg` the
        corridor's axis at the point (NaN: unknown, never capable). Range and
        blind zone of the set apply; the sector test is the caller's.
        """
        self.check_camera(camera_set)
        d = np.asarray(distance_m, dtype=np.float64)
        h = float(camera_set.mount_height_m) - self.face_height_m  # type: ignore[arg-type]
        down = np.degrees(np.arctan2(h, d))
        density = dict(camera_set.tiers)[self.tier]
        cam = camera_set.camera
        ok = cam.pixel_density(np.hypot(d, h)) >= density * (1 - 1e-12)
        ok &= np.abs(down) <= self.max_down_deg + 1e-9
        ok &= (d <= float(camera_set.range_m) + 1e-9) & (d >= float(camera_set.min_range_m))  # type: ignore[arg-type]
        if camera_set.tilt_deg is not None:
            half = cam.vfov_deg / 2.0
            ok &= (down >= camera_set.tilt_deg - half - 1e-9) & (
                down <= camera_set.tilt_deg + half + 1e-9
            )
        with np.errstate(invalid="ignore"):
            yaw = angular_difference_deg(bearing_deg, corridor_bearing_deg)
            yaw = np.minimum(yaw, 180.0 - yaw)
            ok &= yaw <= self.max_yaw_deg + 1e-9
        return np.asarray(ok, dtype=bool)


# --------------------------------------------------------------------------- objective mix
_SELECTOR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(.*?)\s*$")
_DEFAULT = ("default", "*")


@dataclass(frozen=True)
class ObjectiveTerm:
    """One part of an objective mix: which demand points, which criterion, what weight.

    Parameters
    ----------
    where
        Which demand points: ``"default"`` (every point no other term picks),
        a column of the demand table (its truthy rows), or a comparison of a
        column with a value: ``"risk >= 0.5"``, ``"district == Harbour"``
        (``==``/``!=`` compare text, ``<``, ``<=``, ``>``, ``>=`` numbers).
    criterion
        ``"quality"`` (the camera's graded credit per DORI tier, today's
        objective), a tier name (credit 1 when seen at that tier or better) or
        ``"face"`` (credit 1 when face-capable, see :class:`FaceCriterion`).
    weight
        Multiplies the demand weight of the points this term picks (>= 0).
    """

    where: str
    criterion: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        owner = "ObjectiveTerm"
        if not isinstance(self.where, str) or not self.where.strip():
            msg = (
                f"The 'where' parameter of {owner} must be a non-empty string. Got {self.where!r}."
            )
            raise ParameterError(msg)
        if not isinstance(self.criterion, str):
            msg = f"The 'criterion' parameter of {owner} must be a string. Got {self.criterion!r}."
            raise ParameterError(msg)
        object.__setattr__(self, "weight", float(check_number(self.weight, "weight", owner, low=0)))

    @property
    def is_default(self) -> bool:
        """Whether this term picks the points no other term picks."""
        return self.where.strip().lower() in _DEFAULT


def normalize_objective(
    objective: Any,
    camera_set: CameraSet,
    owner: str = "Problem",
    *,
    face: FaceCriterion | None = None,
) -> tuple[ObjectiveTerm, ...] | None:
    """Check an objective mix and return it as terms (None stays None: today's objective).

    Accepts a mapping ``{where: criterion}`` or ``{where: (criterion, weight)}``,
    or a sequence of :class:`ObjectiveTerm`, ``(where, criterion[, weight])``
    tuples or ``{"where", "criterion", "weight"}`` tables.

    Examples
    --------
    >>> cs = CameraSet(resolution_px=1920, mount_height_m=5.0)
    >>> [t.criterion for t in normalize_objective({"risk > 0.5": "identify",
    ...                                            "default": "detect"}, cs)]
    ['identify', 'detect']
    """
    if objective is None:
        return None
    if isinstance(objective, Mapping):
        items: list[Any] = [
            (k, *v) if isinstance(v, tuple | list) else (k, v) for k, v in objective.items()
        ]
    elif isinstance(objective, Sequence) and not isinstance(objective, str):
        items = list(objective)
    else:
        msg = (
            f"The 'objective' parameter of {owner} must be a mapping {{where: criterion}} or a "
            f"list of (where, criterion, weight). Got {objective!r} instead."
        )
        raise ParameterError(msg)
    terms = [_term(item, owner) for item in items]
    if not terms:
        msg = (
            f"The 'objective' parameter of {owner} must have at least one term. Got {objective!r}."
        )
        raise ParameterError(msg)
    if sum(t.is_default for t in terms) > 1:
        msg = f"The 'objective' parameter of {owner} has more than one 'default' term."
        raise ParameterError(msg)
    names = [n for n, _ in camera_set.tiers]
    for t in terms:
        _check_criterion(t.criterion, names, camera_set, owner, face or FaceCriterion())
    return tuple(terms)


def _term(item: Any, owner: str) -> ObjectiveTerm:
    if isinstance(item, ObjectiveTerm):
        return item
    if isinstance(item, Mapping):
        extra = set(item) - {"where", "criterion", "weight"}
        if extra or "where" not in item or "criterion" not in item:
            msg = (
                f"Each table of the 'objective' parameter of {owner} needs 'where' and "
                f"'criterion' (and optionally 'weight'). Got {dict(item)!r}."
            )
            raise ParameterError(msg)
        return ObjectiveTerm(**item)
    if isinstance(item, tuple | list) and len(item) in (2, 3):
        return ObjectiveTerm(*item)
    msg = (
        f"Each term of the 'objective' parameter of {owner} must be (where, criterion) or "
        f"(where, criterion, weight). Got {item!r} instead."
    )
    raise ParameterError(msg)


def _check_criterion(
    criterion: str, names: list[str], cs: CameraSet, owner: str, face: FaceCriterion
) -> None:
    if criterion not in names and criterion not in CRITERIA:
        valid = ", ".join(repr(n) for n in (*CRITERIA, *names))
        msg = (
            f"The objective of {owner} names the criterion {criterion!r}; the criteria are "
            f"{valid} (the camera set's tiers, 'quality' for its graded credit, 'face')."
        )
        raise ParameterError(msg)
    if criterion != "quality" and cs.resolution_px is None:
        msg = (
            f"The objective of {owner} asks for {criterion!r}, which needs a camera set with "
            "'resolution_px' (tiers are pixel densities). Give resolution_px, or use 'quality'."
        )
        raise ParameterError(msg)
    if criterion == "face":
        face.check_camera(cs, owner)


def demand_criteria(
    demand: Any, terms: Sequence[ObjectiveTerm]
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """Criterion and weight factor of each demand point under an objective mix.

    The first non-default term that picks a point decides; the ``"default"``
    term takes the points no other term picks; a point no term picks gets
    criterion ``""`` and factor 0 (it earns nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"risk": [0.1, 0.7, 0.5]})
    >>> crit, w = demand_criteria(d, [ObjectiveTerm("risk > 0.6", "face", 3.0),
    ...                               ObjectiveTerm("default", "detect")])
    >>> crit.tolist(), w.tolist()
    (['detect', 'face', 'detect'], [1.0, 3.0, 1.0])
    """
    n = len(demand)
    crit = np.full(n, "", dtype=object)
    factor = np.zeros(n)
    free = np.ones(n, dtype=bool)
    for t in [t for t in terms if not t.is_default] + [t for t in terms if t.is_default]:
        pick = free & select_demand(demand, t.where)
        crit[pick] = t.criterion
        factor[pick] = t.weight
        free &= ~pick
    return crit, factor


def check_selector_column(where: str, columns: Sequence[str]) -> None:
    """Refuse a selector whose column is not among `columns` (the demand table's).

    Raises
    ------
    coverage.errors.InputError
        Naming the selector, the column and the columns there are.
    """
    if where.strip().lower() in _DEFAULT:
        return
    m = _SELECTOR.match(where)
    column = m.group(1) if m else where.strip()
    if column not in columns:
        cols = [c for c in columns if c != "geometry"]
        msg = (
            f"Objective selector {where!r}: the demand table has no column {column!r}. Its "
            f"columns are {', '.join(map(repr, cols))}; write e.g. 'risk >= 0.5' or 'default'."
        )
        raise InputError(msg)


def select_demand(demand: Any, where: str) -> NDArray[np.bool_]:
    """Rows of the demand table a selector picks (see :class:`ObjectiveTerm`).

    Raises
    ------
    coverage.errors.InputError
        The selector names a column the demand table does not have, or
        compares a column that is not numeric with ``<``/``>``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"risk": [0.1, 0.7, 0.5], "district": ["A", "B", "A"]})
    >>> select_demand(d, "risk >= 0.5").tolist(), select_demand(d, "district == A").tolist()
    ([False, True, True], [True, False, True])
    """
    n = len(demand)
    if where.strip().lower() in _DEFAULT:
        return np.ones(n, dtype=bool)
    m = _SELECTOR.match(where)
    column, op, value = (m.group(1), m.group(2), m.group(3)) if m else (where.strip(), "", "")
    check_selector_column(where, [str(c) for c in demand.columns])
    col = demand[column]
    if not op:
        return np.asarray(col.fillna(False).astype(bool).to_numpy(), dtype=bool)
    value = value.strip("'\"")
    if op in ("==", "!="):
        eq = col.astype(str).to_numpy() == value
        return np.asarray(eq if op == "==" else ~eq, dtype=bool)
    try:
        x = col.to_numpy(dtype=np.float64)
        v = float(value)
    except (TypeError, ValueError):
        msg = (
            f"Objective selector {where!r}: {op} needs a numeric column and value; column "
            f"{column!r} or value {value!r} is not numeric. Use == or != for text."
        )
        raise InputError(msg) from None
    with np.errstate(invalid="ignore"):
        out = {"<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[op]
    return np.asarray(out, dtype=bool)


# --------------------------------------------------------------------------- privacy rules
@dataclass(frozen=True)
class PrivacyRule:
    """Privacy zones of `category` may be seen up to `max_tier`; the view is masked above it.

    Parameters
    ----------
    category
        The value of the privacy-zone layer's ``category`` column it applies to.
    max_tier
        The highest tier a camera may reach inside such a zone. A demand point
        there earns at most the credit of this tier (graded credit is capped at
        the tier's weight; a tier criterion above it and face capture earn
        nothing), and views into the zone no longer exclude the camera.
    """

    category: str
    max_tier: str

    def __post_init__(self) -> None:
        for name in ("category", "max_tier"):
            if not isinstance(getattr(self, name), str):
                msg = f"The {name!r} of PrivacyRule must be a string. Got {getattr(self, name)!r}."
                raise ParameterError(msg)


def normalize_privacy_rules(
    rules: Any, camera_set: CameraSet, owner: str = "Problem"
) -> tuple[PrivacyRule, ...] | None:
    """Check privacy rules (``PrivacyRule``, ``{"category", "max_tier"}`` tables or pairs).

    Examples
    --------
    >>> cs = CameraSet(resolution_px=1920)
    >>> normalize_privacy_rules([{"category": "residential", "max_tier": "observe"}], cs)
    (PrivacyRule(category='residential', max_tier='observe'),)
    """
    if rules is None:
        return None
    if isinstance(rules, Mapping | str) or not isinstance(rules, Sequence):
        msg = (
            f"The 'privacy_rules' parameter of {owner} must be a list of "
            f"{{'category': ..., 'max_tier': ...}} tables. Got {rules!r} instead."
        )
        raise ParameterError(msg)
    out: list[PrivacyRule] = []
    for r in rules:
        if isinstance(r, PrivacyRule):
            out.append(r)
        elif isinstance(r, Mapping) and set(r) == {"category", "max_tier"}:
            out.append(PrivacyRule(str(r["category"]), r["max_tier"]))
        elif isinstance(r, tuple | list) and len(r) == 2:
            out.append(PrivacyRule(*r))
        else:
            msg = (
                f"Each privacy rule of {owner} must be {{'category': ..., 'max_tier': ...}}. "
                f"Got {r!r} instead."
            )
            raise ParameterError(msg)
    names = [n for n, _ in camera_set.tiers]
    cats = [r.category for r in out]
    dup = sorted({c for c in cats if cats.count(c) > 1})
    if dup:
        msg = f"Privacy rules of {owner} give category {dup[0]!r} more than once; give one rule."
        raise ParameterError(msg)
    for r in out:
        if r.max_tier not in names:
            msg = (
                f"Privacy rule for {r.category!r} of {owner}: max_tier {r.max_tier!r} is not a "
                f"tier of the camera set; its tiers are {', '.join(map(repr, names))}."
            )
            raise ParameterError(msg)
    if out and camera_set.resolution_px is None:
        msg = (
            f"Privacy rules by tier of {owner} need a camera set with 'resolution_px' (tiers are "
            "pixel densities); without it, every view counts and no tier can be masked."
        )
        raise ParameterError(msg)
    return tuple(out)


def zone_max_tiers(zones: Any, rules: Sequence[PrivacyRule] | None) -> list[str | None] | None:
    """Per privacy zone (a frame with an optional ``category`` column): its rule's tier or None.

    None overall when there are no rules or no zones (the default rule everywhere).

    Examples
    --------
    >>> import pandas as pd
    >>> zones = pd.DataFrame({"category": ["residential", "", "school"]})
    >>> zone_max_tiers(zones, [PrivacyRule("residential", "observe")])
    ['observe', None, None]
    """
    if not rules or len(zones) == 0:
        return None
    rule = {r.category: r.max_tier for r in rules}
    if "category" not in zones.columns:
        return [None] * len(zones)
    cats = zones["category"].fillna("").astype(str).tolist()
    return [rule.get(c) for c in cats]


# --------------------------------------------------------------------------- per-pair credit
@dataclass(frozen=True)
class DemandCredit:
    """What each demand point needs to earn credit, for :func:`coverage.matrix.coverage_matrix`.

    Parameters
    ----------
    criterion
        Per demand point: ``"quality"``, a tier name, ``"face"``, or ``""``
        (earns nothing).
    bearing_deg
        Per demand point: the corridor's axis there, degrees (NaN: unknown);
        needed for ``"face"``.
    face
        The face criterion.
    """

    criterion: Sequence[str] | NDArray[np.str_]
    bearing_deg: ArrayLike | None = None
    face: FaceCriterion = FaceCriterion()

    def codes(self, camera_set: CameraSet) -> NDArray[np.int64]:
        """Per point: -1 nothing, 0 quality, 1 + tier index, or ``1 + n_tiers`` for face."""
        names = [n for n, _ in camera_set.tiers]
        lookup = {"": -1, "quality": 0, "face": 1 + len(names)}
        lookup.update({n: 1 + i for i, n in enumerate(names)})
        crit = np.asarray(self.criterion, dtype=object).reshape(-1).astype(str)
        uniq, inv = np.unique(crit, return_inverse=True)  # a handful of distinct criteria
        bad = [str(c) for c in uniq if c not in lookup]
        if bad:
            msg = f"DemandCredit: unknown criterion {bad[0]!r}; expected one of {list(lookup)}."
            raise ParameterError(msg)
        out: NDArray[np.int64] = np.array([lookup[c] for c in uniq], dtype=np.int64)[inv]
        return out


def tier_index(camera_set: CameraSet, distance_m: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the highest tier reached at each ground distance (-1: none)."""
    out = np.full(distance_m.shape, -1, dtype=np.int64)
    if camera_set.resolution_px is None:
        out[:] = len(camera_set.tiers) - 1
        return out
    for i, (name, _) in enumerate(camera_set.tiers):
        out[distance_m <= camera_set.camera.tier_distance_m(name)] = i
    return out


def pair_credit(  # noqa: PLR0913 -- the pair arrays of coverage_matrix
    camera_set: CameraSet,
    quality: NDArray[np.float64],
    dist: NDArray[np.float64],
    delta_xy: NDArray[np.float64],
    code: NDArray[np.int64] | None,
    cap: NDArray[np.int64] | None,
    bearing: NDArray[np.float64] | None,
    face: FaceCriterion,
) -> NDArray[np.float64]:
    """Credit of each (pole, point) pair for its point's criterion, capped by privacy rules.

    `quality` is the set's graded credit (range and blind zone applied),
    `delta_xy` the vector pole -> point, `code` the point's criterion
    (:meth:`DemandCredit.codes`; None: all quality), `cap` the highest tier
    allowed at the point (None or ``NO_CAP``: no cap), `bearing` the corridor
    axis at the point.
    """
    n_tiers = len(camera_set.tiers)
    reached = tier_index(camera_set, dist)
    reached[quality <= 0] = -1
    if cap is not None:
        reached = np.minimum(reached, cap)
    weights = np.asarray(camera_set.tier_weights, dtype=np.float64)
    capped_q = np.where(reached >= 0, weights[np.clip(reached, 0, None)], 0.0)
    graded = np.minimum(quality, capped_q) if cap is not None else quality
    if code is None:
        return np.asarray(graded, dtype=np.float64)
    out = np.zeros(len(dist))
    out[code == 0] = graded[code == 0]
    tier = (code >= 1) & (code <= n_tiers)
    out[tier] = (reached[tier] >= code[tier] - 1).astype(np.float64)
    is_face = np.flatnonzero(code == 1 + n_tiers)
    if is_face.size:
        names = [n for n, _ in camera_set.tiers]
        need = names.index(face.tier)
        b = np.full(is_face.size, np.nan) if bearing is None else bearing[is_face]
        az = azimuth_deg(delta_xy[is_face, 0], delta_xy[is_face, 1])
        ok = face.capable(camera_set, dist[is_face], az, b) & (quality[is_face] > 0)
        if cap is not None:
            ok &= cap[is_face] >= need
        out[is_face] = ok.astype(np.float64)
    return out
