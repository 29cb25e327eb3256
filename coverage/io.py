"""Atomic output files: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = ["atomic_path", "write_frame", "write_text"]


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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_frame(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, layer: str | None = None
) -> Path:
    """Write a (Geo)DataFrame to .geojson, .gpkg, .csv or .parquet atomically.

    Tuple/list cells (e.g. ``headings_deg``) become ``"a;b;c"`` text so every
    format can hold them. GeoJSON is written in EPSG:4326 as RFC 7946 asks.
    """
    p = Path(path)
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, tuple | list)).any():
            out[col] = out[col].map(
                lambda v: ";".join(f"{x:g}" for x in v) if isinstance(v, tuple | list) else v
            )
    suffix = p.suffix.lower()
    with atomic_path(p) as tmp:
        if suffix == ".csv":
            if isinstance(out, gpd.GeoDataFrame):
                xy = out.geometry
                out = pd.DataFrame(out.drop(columns=out.geometry.name))
                if len(xy) and (xy.geom_type == "Point").all():
                    out["x"], out["y"] = xy.x.to_numpy(), xy.y.to_numpy()
            out.to_csv(tmp, index=False)
        elif suffix in (".parquet", ".geoparquet"):
            out.to_parquet(tmp)
        elif suffix == ".geojson":
            out.to_crs(4326).to_file(tmp, driver="GeoJSON", engine="pyogrio")
        elif suffix == ".gpkg":
            out.to_file(tmp, driver="GPKG", layer=layer or p.stem, engine="pyogrio")
        else:
            msg = f"Cannot write {p.name!r}: use .geojson, .gpkg, .csv or .parquet."
            raise ValueError(msg)
    return p
