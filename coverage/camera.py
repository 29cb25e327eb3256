"""Camera and camera-set models: field of view, pixel density, DORI tiers, rotations.

A :class:`Camera` is one lens on a pole. A :class:`CameraSet` is what gets
installed at a site: two or more cameras on one pole, at fixed headings relative
to each other (0/120/240, 0/180, ...), turned as a whole to one of a few
orientations ("rotations").

Quality of view is graded by pixel density on the target, after EN 62676-4:2015
(DORI): *detect* 25 px/m, *observe* 62.5 px/m, *recognise* 125 px/m and
*identify* 250 px/m. A camera with ``resolution_px`` pixels across a horizontal
field of view ``hfov`` resolves, at ground distance ``d``,
``resolution_px / (2 d tan(hfov / 2))`` pixels per metre, so it reaches a tier
of density ``D`` out to ``resolution_px / (D * 2 tan(hfov / 2))`` metres.

Worked numbers for a 1920 px, 90° camera (``2 tan 45° = 2``):

===========  ========  ===================
tier         px/m      reached out to
===========  ========  ===================
detect       25        1920 / 50  = 38.40 m
observe      62.5      1920 / 125 = 15.36 m
recognise    125       1920 / 250 =  7.68 m
identify     250       1920 / 500 =  3.84 m
===========  ========  ===================

Everything here is parameters and closed-form formulas; the geometry lives in
:mod:`coverage.visibility` and :mod:`coverage.matrix`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage._validate import check_number
from coverage.errors import ParameterError

__all__ = [
    "DORI_EN62676_2015",
    "DORI_TIER_WEIGHTS",
    "PRESETS",
    "Camera",
    "CameraSet",
    "rotation_offsets_deg",
]

#: EN 62676-4:2015 DORI tiers as (name, minimum pixel density in px/m), increasing.
DORI_EN62676_2015: tuple[tuple[str, float], ...] = (
    ("detect", 25.0),
    ("observe", 62.5),
    ("recognise", 125.0),
    ("identify", 250.0),
)
#: Default quality credited for a point seen at each DORI tier (same order).
DORI_TIER_WEIGHTS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)


def _normalize_tiers(
    tiers: Sequence[tuple[str, float]] | Mapping[str, float], owner: str
) -> tuple[tuple[str, float], ...]:
    items = list(tiers.items()) if isinstance(tiers, Mapping) else list(tiers)
    if not items:
        msg = (
            f"The 'tiers' parameter of {owner} must name at least one tier. Got {tiers!r} instead."
        )
        raise ParameterError(msg)
    out = []
    for item in items:
        try:
            name, density = item
        except (TypeError, ValueError):
            msg = (
                f"The 'tiers' parameter of {owner} must be (name, px_per_m) pairs. "
                f"Got {item!r} instead."
            )
            raise ParameterError(msg) from None
        out.append((str(name), check_number(density, "tiers", owner, low=0.0, low_open=True)))
    densities = [d for _, d in out]
    if any(b <= a for a, b in itertools.pairwise(densities)):
        msg = (
            f"The 'tiers' parameter of {owner} must list pixel densities in strictly increasing "
            f"order. Got {densities} instead."
        )
        raise ParameterError(msg)
    return tuple(out)


def _lens_hfov_deg(
    hfov_deg: float | None, focal_length_mm: float | None, sensor_width_mm: float | None
) -> float:
    """Take the field of view as given, or derive it from the lens (both must agree)."""
    hfov, fl, sw = hfov_deg, focal_length_mm, sensor_width_mm
    if (fl is None) != (sw is None):
        msg = (
            "Camera needs both 'focal_length_mm' and 'sensor_width_mm' to derive the field "
            f"of view. Got focal_length_mm={fl!r}, sensor_width_mm={sw!r}."
        )
        raise ParameterError(msg)
    if fl is not None and sw is not None:
        fl = check_number(fl, "focal_length_mm", "Camera", low=0.0, low_open=True)
        sw = check_number(sw, "sensor_width_mm", "Camera", low=0.0, low_open=True)
        derived = math.degrees(2.0 * math.atan(sw / (2.0 * fl)))
        if hfov is not None and not math.isclose(float(hfov), derived, abs_tol=0.5):
            msg = (
                f"Camera got hfov_deg={hfov!r} but the lens gives {derived:.2f}° "
                f"(focal_length_mm={fl}, sensor_width_mm={sw}). Pass one or the other."
            )
            raise ParameterError(msg)
        hfov = derived if hfov is None else hfov
    if hfov is None:
        msg = "Camera needs 'hfov_deg' or both 'focal_length_mm' and 'sensor_width_mm'."
        raise ParameterError(msg)
    return hfov


def _tier_weights(
    tiers: tuple[tuple[str, float], ...], tier_weights: tuple[float, ...] | None, owner: str
) -> tuple[float, ...]:
    """Check the credit per tier, or give the default (DORI: 0.25 to 1; else evenly to 1)."""
    if tier_weights is None:
        if tiers == DORI_EN62676_2015:
            return DORI_TIER_WEIGHTS
        return tuple((i + 1) / len(tiers) for i in range(len(tiers)))
    weights = tuple(
        check_number(w, "tier_weights", owner, low=0.0, low_open=True, high=1.0)
        for w in tier_weights
    )
    if len(weights) != len(tiers) or any(b < a for a, b in itertools.pairwise(weights)):
        msg = (
            f"The 'tier_weights' parameter of {owner} must give one non-decreasing value "
            f"in (0, 1] per tier ({len(tiers)} tiers). Got {tier_weights!r} instead."
        )
        raise ParameterError(msg)
    return weights


@dataclass(frozen=True, kw_only=True)
class Camera:
    """One camera: horizontal field of view, sensor resolution, mounting.

    Parameters
    ----------
    hfov_deg
        Horizontal field of view in degrees, in (0, 360]. Leave None to derive it
        from ``focal_length_mm`` and ``sensor_width_mm``:
        ``hfov = 2 atan(sensor_width / (2 focal_length))``.
    resolution_px
        Horizontal resolution in pixels. None means "no pixel model": quality is
        binary (1 within range).
    focal_length_mm, sensor_width_mm
        Lens focal length and sensor width in millimetres (both or neither).
    mount_height_m
        Height of the lens above the ground, metres.
    tilt_deg
        Downward tilt of the optical axis below the horizontal, degrees. With
        ``mount_height_m`` it sets the blind zone under the pole.
    aspect_ratio
        Sensor width / height (16/9 by default); gives the vertical field of view.
    tiers
        Quality tiers as (name, minimum px/m) pairs, increasing. EN 62676-4:2015
        DORI by default; pass your own for the 2025 edition or a site standard.
    tier_weights
        Quality credited at each tier, in (0, 1], non-decreasing. Defaults to
        0.25/0.5/0.75/1 for the four DORI tiers, otherwise evenly spaced up to 1.
    min_tier
        Name of the lowest tier that counts; points seen below it earn nothing.

    Examples
    --------
    >>> cam = Camera(hfov_deg=90, resolution_px=1920)
    >>> round(cam.tier_distance_m("detect"), 2), round(cam.tier_distance_m("identify"), 2)
    (38.4, 3.84)
    >>> cam.quality([3.0, 10.0, 20.0, 38.0, 39.0]).tolist()
    [1.0, 0.5, 0.25, 0.25, 0.0]
    >>> round(Camera(focal_length_mm=2.8, sensor_width_mm=5.6).hfov_deg, 1)
    90.0
    """

    hfov_deg: float | None = None
    resolution_px: int | None = None
    focal_length_mm: float | None = None
    sensor_width_mm: float | None = None
    mount_height_m: float | None = None
    tilt_deg: float | None = None
    aspect_ratio: float = 16 / 9
    tiers: tuple[tuple[str, float], ...] = DORI_EN62676_2015
    tier_weights: tuple[float, ...] | None = None
    min_tier: str | None = None

    def __post_init__(self) -> None:
        owner = "Camera"
        hfov = _lens_hfov_deg(self.hfov_deg, self.focal_length_mm, self.sensor_width_mm)
        object.__setattr__(
            self,
            "hfov_deg",
            check_number(hfov, "hfov_deg", owner, low=0.0, low_open=True, high=360.0),
        )
        optional: dict[str, dict[str, Any]] = {
            "resolution_px": {"low": 1, "integer": True},
            "mount_height_m": {"low": 0.0},
            "tilt_deg": {"low": -90.0, "high": 90.0},
        }
        for name, bounds in optional.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_number(value, name, owner, **bounds))
        check_number(self.aspect_ratio, "aspect_ratio", owner, low=0.0, low_open=True)
        tiers = _normalize_tiers(self.tiers, owner)
        object.__setattr__(self, "tiers", tiers)
        object.__setattr__(self, "tier_weights", _tier_weights(tiers, self.tier_weights, owner))
        names = [n for n, _ in tiers]
        if self.min_tier is not None and self.min_tier not in names:
            msg = (
                f"The 'min_tier' parameter of {owner} must be one of "
                f"{', '.join(repr(n) for n in names)}. Got {self.min_tier!r} instead."
            )
            raise ParameterError(msg)

    # ------------------------------------------------------------------ geometry
    @property
    def vfov_deg(self) -> float:
        """Vertical field of view from ``hfov_deg`` and ``aspect_ratio``."""
        half = math.radians(min(float(self.hfov_deg), 179.0)) / 2.0  # type: ignore[arg-type]
        return math.degrees(2.0 * math.atan(math.tan(half) / self.aspect_ratio))

    @property
    def blind_distance_m(self) -> float:
        """Ground distance from the pole at which the lower edge of the image meets the ground.

        ``mount_height_m / tan(tilt + vfov / 2)``; 0 when height or tilt is
        unknown, or when the lower edge points at or behind the foot of the pole.

        Examples
        --------
        >>> cam = Camera(hfov_deg=90, mount_height_m=6.0, tilt_deg=15.0, aspect_ratio=1.0)
        >>> round(cam.blind_distance_m, 3)  # 6 / tan(15° + 45°)
        3.464
        """
        if self.mount_height_m is None or self.tilt_deg is None or self.mount_height_m == 0:
            return 0.0
        lower_rad = math.radians(self.tilt_deg + self.vfov_deg / 2.0)
        if lower_rad >= math.pi / 2:
            return 0.0
        if lower_rad <= 0:
            return math.inf
        return float(self.mount_height_m / math.tan(lower_rad))

    # ------------------------------------------------------------------ quality
    def tier_distance_m(self, tier: str) -> float:
        """Ground distance out to which the camera reaches ``tier``.

        ``resolution_px / (density * 2 tan(hfov / 2))``; inf without ``resolution_px``.
        """
        names = [n for n, _ in self.tiers]
        if tier not in names:
            msg = f"Unknown tier {tier!r}; this camera's tiers are {', '.join(map(repr, names))}."
            raise ParameterError(msg)
        if self.resolution_px is None:
            return math.inf
        density = dict(self.tiers)[tier]
        return float(self.resolution_px / (density * self._two_tan_half()))

    @property
    def tier_distances_m(self) -> dict[str, float]:
        """``{tier: distance_m}`` for every tier (see :meth:`tier_distance_m`)."""
        return {n: self.tier_distance_m(n) for n, _ in self.tiers}

    @property
    def max_useful_distance_m(self) -> float:
        """Distance of the lowest counted tier (``min_tier`` or the first); inf without pixels."""
        name = self.min_tier if self.min_tier is not None else self.tiers[0][0]
        return self.tier_distance_m(name)

    def _two_tan_half(self) -> float:
        hfov = float(self.hfov_deg)  # type: ignore[arg-type]
        # Past 180° a single flat sensor is not a model that makes sense; use the 180° limit
        # of a fisheye mapping (pixels spread over the arc): 2 tan(h/2) -> h in radians.
        if hfov >= 180.0:
            return math.radians(hfov)
        return 2.0 * math.tan(math.radians(hfov) / 2.0)

    def pixel_density(self, distance_m: ArrayLike) -> NDArray[np.float64]:
        """Pixels per metre across the image at ground distance ``distance_m``."""
        d = np.asarray(distance_m, dtype=np.float64)
        if self.resolution_px is None:
            return np.full(d.shape, np.inf)
        with np.errstate(divide="ignore"):
            return self.resolution_px / (d * self._two_tan_half())

    def quality(self, distance_m: ArrayLike) -> NDArray[np.float64]:
        """Quality credited at ground distance ``distance_m`` (0 = not counted).

        The value of the highest tier reached (a tier is reached when
        ``distance_m <= tier_distance_m``); 0 below ``min_tier`` or the lowest
        tier. Without ``resolution_px`` every distance gets 1. Range and blind
        zone are applied by :class:`CameraSet`, not here.
        """
        d = np.asarray(distance_m, dtype=np.float64)
        if self.resolution_px is None:
            return np.ones(d.shape)
        out = np.zeros(d.shape)
        start = 0 if self.min_tier is None else [n for n, _ in self.tiers].index(self.min_tier)
        for (name, _), w in zip(self.tiers[start:], self.tier_weights[start:], strict=True):  # type: ignore[index]
            out[d <= self.tier_distance_m(name)] = w
        return out


def rotation_offsets_deg(period_deg: float, count: int) -> NDArray[np.float64]:
    """Evenly spaced base orientations ``k * period / count`` for ``k < count``.

    Examples
    --------
    >>> rotation_offsets_deg(120.0, 4).tolist()
    [0.0, 30.0, 60.0, 90.0]
    """
    return np.arange(count, dtype=np.float64) * (period_deg / count)


@dataclass(frozen=True, kw_only=True)
class CameraSet:
    """Cameras on one pole, turned together; the unit placed at a site.

    Parameters
    ----------
    cameras
        Number of cameras on the pole (>= 1; 2 or 3 are usual).
    hfov_deg
        Horizontal field of view of each camera, degrees.
    range_m
        Maximum useful ground distance. None means 40 m without
        ``resolution_px`` and the distance of the lowest counted tier with it.
    relative_headings_deg
        Heading of each camera relative to the first; None spreads them evenly
        (0/120/240 for three, 0/180 for two).
    rotations
        Orientations of the whole set to consider at a site. An int ``r`` gives
        ``r`` orientations evenly spaced over the set's symmetry period
        (120° for an even 3-set, 180° for 0/180, 360° when uneven): offsets
        ``k * period / r``. ``"corridors"`` aims the first camera along each
        corridor bearing leaving the site (``site_bearings_deg`` in
        :func:`coverage.matrix.coverage_matrix`), de-duplicated modulo the period.
    resolution_px, mount_height_m, tilt_deg, aspect_ratio, tiers, tier_weights, min_tier
        Passed to the :class:`Camera` each lens is modelled by.
    min_range_m
        Ground distance under which nothing is seen. None uses the camera's
        blind zone (0 unless both height and tilt are given).
    max_privacy_intrusion_m2
        A configuration whose view reaches into a privacy zone by more than this
        many square metres is excluded from the coverage matrix.

    Examples
    --------
    >>> cs = CameraSet(cameras=3, hfov_deg=90, range_m=40)
    >>> cs.n_cameras, cs.relative_headings_deg, cs.period_deg
    (3, (0.0, 120.0, 240.0), 120.0)
    >>> cs.rotation_offsets_deg().tolist()
    [0.0, 30.0, 60.0, 90.0]
    >>> round(CameraSet(resolution_px=1920).range_m, 6)  # detect distance at 90°
    38.4
    """

    cameras: int = 3
    hfov_deg: float = 90.0
    range_m: float | None = None
    relative_headings_deg: tuple[float, ...] | None = None
    rotations: int | str = 4
    resolution_px: int | None = None
    mount_height_m: float | None = None
    tilt_deg: float | None = None
    aspect_ratio: float = 16 / 9
    tiers: tuple[tuple[str, float], ...] = DORI_EN62676_2015
    tier_weights: tuple[float, ...] | None = None
    min_tier: str | None = None
    min_range_m: float | None = None
    max_privacy_intrusion_m2: float = 0.0
    camera: Camera = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = "CameraSet"
        n = check_number(self.cameras, "cameras", owner, low=1, integer=True)
        object.__setattr__(self, "cameras", n)
        cam = Camera(
            hfov_deg=self.hfov_deg,
            resolution_px=self.resolution_px,
            mount_height_m=self.mount_height_m,
            tilt_deg=self.tilt_deg,
            aspect_ratio=self.aspect_ratio,
            tiers=self.tiers,
            tier_weights=self.tier_weights,
            min_tier=self.min_tier,
        )
        object.__setattr__(self, "camera", cam)
        object.__setattr__(self, "hfov_deg", cam.hfov_deg)
        object.__setattr__(self, "tiers", cam.tiers)
        object.__setattr__(self, "tier_weights", cam.tier_weights)
        if self.relative_headings_deg is None:
            rel = tuple(float(i * 360.0 / n) for i in range(n))
        else:
            try:
                rel = tuple(float(h) % 360.0 for h in self.relative_headings_deg)
            except (TypeError, ValueError):
                rel = ()
            if len(rel) != n or not all(math.isfinite(h) for h in rel):
                msg = (
                    f"The 'relative_headings_deg' parameter of {owner} must give one finite "
                    f"heading per camera ({n}). Got {self.relative_headings_deg!r} instead."
                )
                raise ParameterError(msg)
        object.__setattr__(self, "relative_headings_deg", rel)
        if isinstance(self.rotations, str):
            if self.rotations != "corridors":
                msg = (
                    f"The 'rotations' parameter of {owner} must be an int in [1, inf) or "
                    f"'corridors'. Got {self.rotations!r} instead."
                )
                raise ParameterError(msg)
        else:
            object.__setattr__(
                self,
                "rotations",
                check_number(self.rotations, "rotations", owner, low=1, integer=True),
            )
        if self.range_m is None:
            range_m = 40.0 if cam.resolution_px is None else cam.max_useful_distance_m
        else:
            range_m = check_number(self.range_m, "range_m", owner, low=0.0, low_open=True)
        object.__setattr__(self, "range_m", float(range_m))
        min_range_given = self.min_range_m
        if self.min_range_m is None:
            object.__setattr__(self, "min_range_m", float(cam.blind_distance_m))
        else:
            object.__setattr__(
                self, "min_range_m", check_number(self.min_range_m, "min_range_m", owner, low=0.0)
            )
        if self.min_range_m >= self.range_m:  # type: ignore[operator]
            msg = (
                f"The 'min_range_m' parameter of {owner} ({self.min_range_m:g} m"
                f"{', the blind zone of the mount' if min_range_given is None else ''}) must be "
                f"below range_m ({self.range_m:g} m): the set would see nothing. Lower "
                "min_range_m or the mount height, or raise range_m."
            )
            raise ParameterError(msg)
        object.__setattr__(
            self,
            "max_privacy_intrusion_m2",
            check_number(self.max_privacy_intrusion_m2, "max_privacy_intrusion_m2", owner, low=0.0),
        )

    # ------------------------------------------------------------------ derived
    @property
    def n_cameras(self) -> int:
        """Number of cameras on the pole."""
        return int(self.cameras)

    @property
    def period_deg(self) -> float:
        """Smallest turn (degrees, divides 360) that maps the set of camera headings onto itself."""
        rel = np.asarray(self.relative_headings_deg)
        n = len(rel)
        for k in range(n, 1, -1):
            if n % k:
                continue
            p = 360.0 / k
            shifted = np.sort((rel + p) % 360.0)
            diff = np.abs(shifted - np.sort(rel))
            if np.all(np.minimum(diff, 360.0 - diff) < 1e-9):
                return p
        return 360.0

    def rotation_offsets_deg(self) -> NDArray[np.float64]:
        """Give the base orientations of an int ``rotations`` (:func:`rotation_offsets_deg`)."""
        if isinstance(self.rotations, str):
            msg = (
                "rotation_offsets_deg() needs an int 'rotations'; corridor rotations "
                "depend on the site."
            )
            raise ParameterError(msg)
        return rotation_offsets_deg(self.period_deg, int(self.rotations))

    def corridor_offsets_deg(
        self, bearings_deg: ArrayLike, *, tol_deg: float = 1.0
    ) -> NDArray[np.float64]:
        """Orientations aiming the first camera along each bearing, unique modulo the period.

        Empty bearings give the default orientation ``[0.0]``.

        Examples
        --------
        >>> CameraSet(cameras=2).corridor_offsets_deg([10.0, 190.0, 100.0]).tolist()
        [10.0, 100.0]
        """
        b = np.asarray(bearings_deg, dtype=np.float64).ravel()
        b = b[np.isfinite(b)]
        if b.size == 0:
            return np.zeros(1)
        p = self.period_deg
        o = np.sort(b % p, kind="stable")
        keep = [o[0]]
        for v in o[1:]:
            if v - keep[-1] > tol_deg:
                keep.append(v)
        if len(keep) > 1 and (keep[0] + p) - keep[-1] <= tol_deg:
            keep.pop()
        return np.asarray(keep, dtype=np.float64)

    def headings_for(self, offset_deg: float) -> tuple[float, ...]:
        """Absolute azimuth of each camera when the set is turned by ``offset_deg``."""
        return tuple(float((offset_deg + r) % 360.0) for r in self.relative_headings_deg)  # type: ignore[union-attr]

    def quality(self, distance_m: ArrayLike) -> NDArray[np.float64]:
        """Quality at ground distance, with range and blind zone applied (0 outside).

        Examples
        --------
        >>> CameraSet(range_m=40).quality([0.0, 39.99, 40.0, 40.01]).tolist()
        [1.0, 1.0, 1.0, 0.0]
        """
        d = np.asarray(distance_m, dtype=np.float64)
        q = self.camera.quality(d)
        q[(d > self.range_m) | (d < self.min_range_m)] = 0.0  # type: ignore[operator]
        return q

    def with_(self, **changes: Any) -> CameraSet:
        """Copy with some parameters changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    @classmethod
    def from_camera(cls, camera: Camera, *, cameras: int = 3, **kwargs: Any) -> CameraSet:
        """Build a set of ``cameras`` copies of ``camera``."""
        return cls(
            cameras=cameras,
            hfov_deg=float(camera.hfov_deg),  # type: ignore[arg-type]
            resolution_px=camera.resolution_px,
            mount_height_m=camera.mount_height_m,
            tilt_deg=camera.tilt_deg,
            aspect_ratio=camera.aspect_ratio,
            tiers=camera.tiers,
            tier_weights=camera.tier_weights,
            min_tier=camera.min_tier,
            **kwargs,
        )

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> CameraSet:
        """Make a common set by name (see :data:`PRESETS`), optionally with changes.

        Examples
        --------
        >>> CameraSet.preset("pair-180").relative_headings_deg
        (0.0, 180.0)
        """
        if name not in PRESETS:
            msg = (
                f"The 'name' parameter of CameraSet.preset must be one of "
                f"{', '.join(repr(k) for k in PRESETS)}. Got {name!r} instead."
            )
            raise ParameterError(msg)
        return cls(**{**PRESETS[name], **overrides})


#: Common camera sets by name: keyword arguments for :class:`CameraSet`.
PRESETS: dict[str, dict[str, Any]] = {
    "tri-90": {"cameras": 3, "hfov_deg": 90.0, "range_m": 40.0},
    "pair-180": {
        "cameras": 2,
        "hfov_deg": 90.0,
        "range_m": 40.0,
        "relative_headings_deg": (0.0, 180.0),
    },
    "quad-90": {"cameras": 4, "hfov_deg": 90.0, "range_m": 40.0},
    "tri-90-1080p": {"cameras": 3, "hfov_deg": 90.0, "resolution_px": 1920},
    "pair-60-4k": {
        "cameras": 2,
        "hfov_deg": 60.0,
        "resolution_px": 3840,
        "relative_headings_deg": (0.0, 180.0),
    },
    "dome-360": {"cameras": 1, "hfov_deg": 360.0, "range_m": 25.0, "rotations": 1},
}
