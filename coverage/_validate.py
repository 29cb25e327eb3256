"""Shared parameter checks with one message shape everywhere.

numpy only at import time (``coverage.optimize`` uses it); the geometry check
imports shapely when called.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage.errors import InputError, ParameterError

__all__ = [
    "check_choice",
    "check_coordinates",
    "check_number",
    "check_offline",
    "check_polygons",
    "check_workers",
    "check_xy",
    "format_rows",
    "remote_reference",
    "row_labels",
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


def row_labels(frame: Any, positions: Any, labels: Any = None) -> list[Any]:
    """Row labels of `positions` for a message, with GDAL's feature id when the layer has one.

    A layer read from a file whose feature ids differ from its 0-based rows
    (a GeoPackage counts from 1) carries them in ``frame.attrs["fid"]``; each
    label is then ``"<row> (fid <fid>)"``, as QGIS and ogrinfo show the feature.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"a": [1, 2, 3]})
    >>> row_labels(f, [0, 2])
    [0, 2]
    >>> f.attrs["fid"] = [1, 2, 3]
    >>> row_labels(f, [0, 2])
    ['0 (fid 1)', '2 (fid 3)']
    """
    pos = np.asarray(positions, dtype=np.intp).reshape(-1)
    base = np.asarray(frame.index.to_numpy() if labels is None else labels)
    out: list[Any] = base[pos].tolist()
    fid = getattr(frame, "attrs", {}).get("fid")
    if fid is None or len(fid) != len(frame):
        return out
    fids = np.asarray(fid)[pos].tolist()
    return [f"{r} (fid {f})" for r, f in zip(out, fids, strict=True)]


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


#: A vertex farther than this many times the median vertex distance from the scene's
#: median centre is an outlier (but never within :data:`OUTLIER_FLOOR_M`).
OUTLIER_FACTOR = 100.0
#: Vertices within this ground distance (metres) of the scene's centre are never outliers.
OUTLIER_FLOOR_M = 50_000.0
_M_PER_DEG = 111_320.0


def _layer_lonlat(
    layer: str, frame: Any, problems: list[str]
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Return a layer's finite vertices in lon/lat and the position of each one's feature.

    Non-finite coordinates, latitudes outside ±90° in a geographic CRS and
    points its CRS cannot place on Earth are added to `problems` (with rows).
    """
    import shapely
    from pyproj import CRS, Transformer

    rows = frame.index.to_numpy()
    xy, pos = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    finite = np.isfinite(xy).all(axis=1)
    if not finite.all():
        bad = np.unique(pos[~finite])
        problems.append(
            f"Layer {layer!r}: {bad.size} feature(s) have NaN or infinite coordinates "
            f"(rows {format_rows(row_labels(frame, bad, rows))}). Fix or drop them (a failed "
            "geocode or an empty cell in a CSV often gives NaN)."
        )
    xy, pos = xy[finite], pos[finite]
    crs = CRS.from_user_input(frame.crs)
    if crs.is_geographic:
        out = np.abs(xy[:, 1]) > 90.0
        if out.any():
            bad = np.unique(pos[out])
            k = int(np.flatnonzero(out)[0])
            problems.append(
                f"Layer {layer!r}: {bad.size} feature(s) have a latitude outside ±90° (rows "
                f"{format_rows(row_labels(frame, bad, rows))}; e.g. x={xy[k, 0]:g}, "
                f"y={xy[k, 1]:g}) in the lon/lat CRS {crs.to_string()}. Are lat/lon swapped? "
                "x must be the longitude and y the latitude (geopandas.points_from_xy(lon, lat))."
            )
            xy, pos = xy[~out], pos[~out]
    try:
        lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    except Exception:  # pyproj raises ProjError and others for CRSs it cannot convert
        problems.append(
            f"Layer {layer!r}: its CRS {crs.name!r} cannot be converted to longitude/latitude "
            "(a local or engineering CRS?). coverage needs georeferenced layers: set the "
            "layer's real CRS with .set_crs('EPSG:...', allow_override=True)."
        )
        return np.empty((0, 2)), np.empty(0, dtype=np.intp)
    ll = np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])
    placed = np.isfinite(ll).all(axis=1) & (np.abs(ll[:, 1]) <= 90.0)
    if not placed.all():
        bad = np.unique(pos[~placed])
        problems.append(
            f"Layer {layer!r}: {bad.size} feature(s) have coordinates that the layer's CRS "
            f"{crs.to_string()} cannot place on Earth (rows "
            f"{format_rows(row_labels(frame, bad, rows))}). "
            "Check the layer's CRS and the coordinates' units."
        )
    return ll[placed], pos[placed]


def _outliers(
    layer_ll: dict[str, tuple[NDArray[np.float64], NDArray[np.intp]]],
    frames: dict[str, Any],
    problems: list[str],
) -> dict[str, NDArray[np.bool_]]:
    """Flag vertices far from the scene's median centre; return the inlier mask per layer."""
    pooled = np.vstack([ll for ll, _ in layer_ll.values()])
    lon0, lat0 = np.median(pooled[:, 0]), np.median(pooled[:, 1])
    coslat = max(math.cos(math.radians(float(lat0))), 1e-6)

    def dist(ll: NDArray[np.float64]) -> NDArray[np.float64]:
        dlon = (ll[:, 0] - lon0 + 180.0) % 360.0 - 180.0
        out: NDArray[np.float64] = _M_PER_DEG * np.hypot(dlon * coslat, ll[:, 1] - lat0)
        return out

    # the spread of the scene: of all vertices, and of each required layer alone (a few
    # large districts around a dense downtown of buildings are not outliers)
    typical = max(
        float(np.median(dist(pooled))),
        *(
            float(np.median(dist(layer_ll[k][0])))
            for k in ("districts", "corridors")
            if k in layer_ll
        ),
    )
    limit = max(OUTLIER_FACTOR * typical, OUTLIER_FLOOR_M)
    inliers: dict[str, NDArray[np.bool_]] = {}
    for layer, (ll, pos) in layer_ll.items():
        d = dist(ll)
        far = d > limit
        inliers[layer] = ~far
        if not far.any():
            continue
        rows = frames[layer].index.to_numpy()
        bad = np.unique(pos[far])
        k = int(np.argmax(d))
        problems.append(
            f"Layer {layer!r}: {bad.size} feature(s) have vertices far outside the rest of the "
            f"scene (rows {format_rows(row_labels(frames[layer], bad, rows))}; e.g. a vertex at "
            f"{ll[k, 0]:.4f}°E {ll[k, 1]:.4f}°N lies {d[k] / 1000:,.0f} km from the scene's "
            f"centre, where half the vertices lie within {typical / 1000:,.1f} km). A stray "
            "vertex (at 0, 0 or with a typing error) is the usual cause: fix or drop those "
            "features."
        )
    return inliers


def check_coordinates(
    frames: dict[str, Any], required: Sequence[str]
) -> tuple[list[str], tuple[float, float, float, float] | None]:
    """Check every layer's coordinates before any heavy work.

    Parameters
    ----------
    frames
        GeoDataFrames (with a CRS) or None, by layer name.
    required
        Layers that must have at least one feature.

    Returns
    -------
    problems : list of str
        Empty required layers, NaN/inf coordinates, latitudes outside ±90°
        (swapped lat/lon?), coordinates the CRS cannot place and vertices far
        outside the rest of the scene: farther from the median of all
        vertices than :data:`OUTLIER_FACTOR` times the median vertex distance
        (of all vertices, or of the districts' or corridors' alone, whichever
        is largest) and than :data:`OUTLIER_FLOOR_M`. Each names the layer and rows.
    bounds : tuple or None
        (west, south, east, north) in degrees of the districts' and
        corridors' good vertices, or None when there are none.
    """
    problems: list[str] = []
    layer_ll: dict[str, tuple[NDArray[np.float64], NDArray[np.intp]]] = {}
    for layer, frame in frames.items():
        if frame is None or len(frame) == 0:
            if layer in required:
                what = "was not given" if frame is None else "is empty (it has no rows)"
                problems.append(f"Layer {layer!r} {what}; it needs at least one feature.")
            continue
        ll, pos = _layer_lonlat(layer, frame, problems)
        if len(ll):
            layer_ll[layer] = (ll, pos)
    if not layer_ll:
        return problems, None
    inliers = _outliers(layer_ll, frames, problems)
    core = [layer_ll[k][0][inliers[k]] for k in ("districts", "corridors") if k in layer_ll]
    core = [c for c in core if len(c)]
    if not core:
        return problems, None
    ll = np.vstack(core)
    w, s = ll.min(axis=0)
    e, n = ll.max(axis=0)
    return problems, (float(w), float(s), float(e), float(n))


#: GDAL virtual file systems that reach the network.
_REMOTE_VSI = (
    "/vsicurl",
    "/vsis3",
    "/vsigs",
    "/vsiaz",
    "/vsiadls",
    "/vsioss",
    "/vsiswift",
    "/vsihdfs",
    "/vsiwebhdfs",
)
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_VRT_SOURCE = re.compile(
    r"<(SrcDataSource|SourceFilename)\b([^>]*)>(.*?)</\1>", re.IGNORECASE | re.DOTALL
)
#: Largest VRT file read for remote references, and how deep VRTs may nest.
_VRT_MAX_BYTES = 10_000_000
_VRT_MAX_DEPTH = 8


def remote_reference(text: str) -> str | None:
    """Return the first network reference in `text` (a path, URL or VRT XML), or None."""
    low = text.lower()
    for prefix in _REMOTE_VSI:
        k = low.find(prefix)
        if k >= 0:
            return re.split(r"[\s<>\"']", text[k : k + 120])[0]
    m = _URL.search(text)
    if m and m.group(1).lower() != "file":
        return re.split(r"[\s<>\"']", text[m.start() : m.start() + 120])[0]
    return None


def _vrt_remote(text: str, base: Path, depth: int = 0) -> str | None:
    """Return a network reference in VRT XML `text` (following nested VRT files), or None."""
    found = remote_reference(text)
    if found:
        return found
    if depth >= _VRT_MAX_DEPTH:
        return f"VRTs nested more than {_VRT_MAX_DEPTH} deep"
    for m in _VRT_SOURCE.finditer(text):
        src = m.group(3).strip()
        if not src.lower().endswith(".vrt"):
            continue
        nested = Path(src) if Path(src).is_absolute() else base / src
        try:
            with nested.open("rb") as fh:
                inner = fh.read(_VRT_MAX_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        found = _vrt_remote(inner, nested.parent, depth + 1)
        if found:
            return found
    return None


def check_offline(path: str | os.PathLike[str], what: str) -> None:
    """Refuse a data source that would make GDAL reach the network.

    Remote sources are GDAL's network file systems (``/vsicurl/``,
    ``/vsis3/``, ``/vsigs/``, ``/vsiaz/``, ...), URLs (``http://``,
    ``https://``, ``ftp://``, ...), inline VRT XML and local ``.vrt`` files
    (nested ones too) that reference any of them.

    Raises
    ------
    coverage.errors.InputError
        The source is remote; the message names the layer, the reference and the fix.
    """
    text = os.fspath(path)
    found = remote_reference(text)
    if found is None and text.lstrip().startswith("<"):
        found = _vrt_remote(text, Path.cwd())
    elif found is None and text.lower().endswith(".vrt") and Path(text).is_file():
        with Path(text).open("rb") as fh:
            xml = fh.read(_VRT_MAX_BYTES).decode("utf-8", errors="replace")
        found = _vrt_remote(xml, Path(text).parent, 1)
    if found is not None:
        msg = (
            f"The {what!r} source {text[:200]!r} reads data over the network ({found}); "
            "coverage works offline by default. Download the data and pass the local file, "
            "or pass allow_network=True to Scene.from_files (config: allow_network = true "
            "in [scene]) if you trust the source."
        )
        raise InputError(msg)
