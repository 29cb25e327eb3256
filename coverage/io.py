"""Atomic output files: write to a temporary file beside the target, then rename.

Every CSV written here is safe to open in a spreadsheet: a text cell (or
column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe (the OWASP rule against formula injection);
numbers are left as numbers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["atomic_path", "neutralise_cell", "umask_mode", "write_frame", "write_text"]

#: First characters that make a spreadsheet read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def umask_mode(mode: int = 0o666) -> int:
    """`mode` with the process's umask applied (what ``open`` or ``mkdir`` would give)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` on success.

    On any exception the temporary file is removed and `path` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, umask_mode(0o666))  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def neutralise_cell(value: Any) -> Any:
    """Prefix a text `value` that a spreadsheet would run as a formula with ``'``.

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("-x"), neutralise_cell(-3)
    ("'=HYPERLINK(1)", "'-x", -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise the text cells and column names of `frame` (numeric columns are untouched)."""
    out = frame.rename(columns=lambda c: neutralise_cell(c) if isinstance(c, str) else c)
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(neutralise_cell)
    return out


def _crs_name(crs: Any) -> str:
    """Name `crs` shortly: ``EPSG:2326`` when it has one, its WKT otherwise."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else str(crs.to_wkt())


def _csv_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table a CSV holds: points as x, y and their CRS; text made safe."""
    out = frame
    if isinstance(frame, gpd.GeoDataFrame):
        xy = frame.geometry
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if len(xy) and (xy.geom_type == "Point").all():
            out["x"], out["y"] = xy.x.to_numpy(), xy.y.to_numpy()
            if frame.crs is not None and "crs" not in out.columns:
                out["crs"] = _crs_name(frame.crs)
    return _csv_safe(out)


def write_frame(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, layer: str | None = None
) -> Path:
    """Write a (Geo)DataFrame to .geojson, .gpkg, .csv or .parquet atomically.

    Tuple/list cells (e.g. ``headings_deg``) become ``"a;b;c"`` text so every
    format can hold them. GeoJSON is written in EPSG:4326 as RFC 7946 asks. A
    CSV of points gets ``x``, ``y`` and ``crs`` columns, and its text cells are
    neutralised against spreadsheet formula injection (:func:`neutralise_cell`).
    The layer of a GeoPackage or GeoJSON is named `layer`, or after the final
    file name (never after the temporary one).
    """
    p = Path(path)
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, tuple | list)).any():
            out[col] = out[col].map(
                lambda v: ";".join(f"{x:g}" for x in v) if isinstance(v, tuple | list) else v
            )
    suffix = p.suffix.lower()
    name = layer or p.stem
    with atomic_path(p) as tmp:
        if suffix == ".csv":
            _csv_table(out).to_csv(tmp, index=False)
        elif suffix in (".parquet", ".geoparquet"):
            out.to_parquet(tmp)
        elif suffix == ".geojson":
            out.to_crs(4326).to_file(tmp, driver="GeoJSON", layer=name, engine="pyogrio")
        elif suffix == ".gpkg":
            out.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
        else:
            msg = f"Cannot write {p.name!r}: use .geojson, .gpkg, .csv or .parquet."
            raise ValueError(msg)
    return p
