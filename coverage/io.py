"""Atomic output files: write to a temporary file beside the target, then rename.

Every CSV written here is safe to open in a spreadsheet: a text cell (or
column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe (the OWASP rule against formula injection);
numbers are left as numbers. Rows end in CRLF (RFC 4180), so that a cell
holding a line break is quoted and cannot start a row of its own.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from coverage.errors import ParameterError

__all__ = [
    "MIN_FREE_BYTES",
    "PLAN_FOLDER_FORMAT",
    "TABLE_SUFFIXES",
    "atomic_path",
    "check_location",
    "check_output_file",
    "check_plan_folder",
    "crs_name",
    "gis_table",
    "headings_text",
    "neutralise_cell",
    "plan_folder",
    "umask_mode",
    "write_frame",
    "write_text",
]

logger = logging.getLogger("coverage")

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


def crs_name(crs: Any) -> str:
    """Name `crs` shortly: ``EPSG:2326`` when it has one, its WKT otherwise.

    Examples
    --------
    >>> from pyproj import CRS
    >>> crs_name(CRS.from_epsg(2326))
    'EPSG:2326'
    """
    crs = CRS.from_user_input(crs)
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else str(crs.to_wkt())


def headings_text(headings: Any) -> Any:
    """Write the headings of one set as file text: ``"30;150;270"``; other values as given.

    The one heading format of every file the package writes (CSV, GeoJSON,
    GeoPackage): degrees clockwise from north, one per camera, separated by
    ``;``, with up to 10 significant digits (so a plan read back assesses the
    same headings). In memory, ``plan.cameras["headings_deg"]`` holds tuples.

    Examples
    --------
    >>> headings_text((30.0, 150.0, 270.0)), headings_text([12.345678901234]), headings_text("5")
    ('30;150;270', '12.3456789', '5')
    """
    if isinstance(headings, tuple | list | np.ndarray):
        return ";".join(f"{float(h):.10g}" for h in headings)
    return headings


def _cell_text(value: Any) -> Any:
    """Write a list-like cell as ``;``-separated text (numbers as headings), a mapping as JSON."""
    if isinstance(value, tuple | list | np.ndarray | set | frozenset):
        items = list(value)
        numeric = all(
            isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in items
        )
        return headings_text(items) if numeric else ";".join(str(v) for v in items)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


#: Column names a GeoPackage keeps for itself (compared case-insensitively).
_RESERVED = ("fid", "geom")


def gis_table(frame: pd.DataFrame, *, gpkg: bool = True) -> pd.DataFrame:
    """Return `frame` with cells and names every GIS format holds.

    Tuple, list and set cells become ``"a;b;c"`` text (headings as
    :func:`headings_text`), mapping cells JSON text, categorical columns
    text. Column names become text; with `gpkg`, also unique without regard
    to case (SQLite's rule) and never ``fid`` or ``geom`` (a GeoPackage's own
    columns): a clash gets ``_2``, ``_3``, ... Numbers, booleans and geometry
    are kept.

    Examples
    --------
    >>> t = gis_table(pd.DataFrame({"headings_deg": [(0.0, 120.0)], "FID": [1], "fid": [2]}))
    >>> t.columns.tolist(), t["headings_deg"].tolist()
    (['headings_deg', 'FID_2', 'fid_3'], ['0;120'])
    """
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out = frame.copy()
    names: list[Any] = []
    seen = {str(n).lower() for n in _RESERVED} if gpkg else set()
    for col in out.columns:
        if col == geometry:
            names.append(col)
            continue
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.astype(object).where(series.notna(), None)
        elif series.dtype == object:
            out[col] = series.map(_cell_text)
        name, k = str(col), 1
        while gpkg and name.lower() in seen:
            k += 1
            name = f"{col}_{k}"
        seen.add(name.lower())
        names.append(name)
    out.columns = pd.Index(names)
    return out


def _csv_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table a CSV holds: points as lon, lat, x, y and their CRS; text made safe."""
    out = frame
    if isinstance(frame, gpd.GeoDataFrame):
        xy = frame.geometry
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if len(xy) and (xy.geom_type == "Point").all():
            if frame.crs is not None and not {"lon", "lat"} & set(out.columns):
                lonlat = xy.to_crs(4326)
                out["lon"], out["lat"] = lonlat.x.to_numpy(), lonlat.y.to_numpy()
            out["x"], out["y"] = xy.x.to_numpy(), xy.y.to_numpy()
            if frame.crs is not None and "crs" not in out.columns:
                out["crs"] = crs_name(frame.crs)
    return _csv_safe(out)


#: The file name suffixes :func:`write_frame` writes (a check before any work can use them).
TABLE_SUFFIXES = (".csv", ".geojson", ".gpkg", ".parquet", ".geoparquet")


def write_frame(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, layer: str | None = None
) -> Path:
    """Write a (Geo)DataFrame to .geojson, .gpkg, .csv or .parquet atomically.

    Tuple/list cells (e.g. ``headings_deg``) become ``"a;b;c"`` text so every
    format can hold them (:func:`gis_table`, :func:`headings_text`). GeoJSON is
    written in EPSG:4326 as RFC 7946 asks. A CSV of points gets ``lon`` and
    ``lat`` (EPSG:4326), ``x`` and ``y`` (the frame's CRS) and ``crs`` (that
    CRS named, e.g. ``EPSG:2326``) columns, and its text cells are
    neutralised against spreadsheet formula injection (:func:`neutralise_cell`).
    The layer of a GeoPackage or GeoJSON is named `layer`, or after the final
    file name (never after the temporary one).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    out = gis_table(frame, gpkg=suffix == ".gpkg")
    name = layer or p.stem
    with atomic_path(p) as tmp:
        if suffix == ".csv":
            # CRLF rows (RFC 4180): the csv writer then quotes a cell holding a CR or LF,
            # so no cell can start a row of its own
            _csv_table(out).to_csv(tmp, index=False, lineterminator="\r\n")
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


# ------------------------------------------------------------- output folders
#: The marker ``coverage plan`` writes into its folder's meta.json; --force replaces only those.
PLAN_FOLDER_FORMAT = "coverage-plan-folder/1"
#: Free space an output location needs before any work starts.
MIN_FREE_BYTES = 64 * 2**20


def _location_error(message: str) -> ParameterError:
    return ParameterError(message)


def _absolute(path: str | os.PathLike[str]) -> Path:
    """`path` made absolute without following a symbolic link at its end."""
    p = Path(os.path.abspath(path))
    return p.parent.resolve() / p.name if p.name else p


def check_location(folder: str | os.PathLike[str]) -> None:
    """Check that `folder` exists or can be created, is writable and has free space.

    Raises
    ------
    coverage.errors.ParameterError
        The nearest existing folder above is a file, not writable, or its
        disk has less than :data:`MIN_FREE_BYTES` free.
    """
    want = _absolute(folder)
    here = want
    while not here.exists():
        here = here.parent
    if not here.is_dir():
        msg = (
            f"{str(here)!r} is a file, so nothing can be made in {str(want)!r}; "
            "choose another output."
        )
        raise _location_error(msg)
    if not os.access(here, os.W_OK | os.X_OK):
        msg = (
            f"cannot write in {str(here)!r} (no permission, or a read-only disk); "
            "choose an output location you can write to."
        )
        raise _location_error(msg)
    free = shutil.disk_usage(here).free
    if free < MIN_FREE_BYTES:
        msg = (
            f"only {free / 2**20:.1f} MiB free on the disk of {str(here)!r}; at least "
            f"{MIN_FREE_BYTES / 2**20:.0f} MiB are needed. Free some space or choose another place."
        )
        raise _location_error(msg)


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _protected(target: Path, inputs: Iterable[str | os.PathLike[str]]) -> str | None:
    """Why replacing `target` (resolved) would lose the user's things, or None."""
    if target == Path(target.anchor) or target == Path.home().resolve():
        return "is the root or home folder"
    cwd = Path.cwd().resolve()
    if _is_within(cwd, target):
        return "is the current folder, or holds it"
    for item in inputs:
        path = Path(item).resolve()
        if path == target:
            return "is one of the inputs"
        if _is_within(path, target):
            return f"holds the input {str(path)!r}"
    return None


def _is_plan_folder(folder: Path) -> bool:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == PLAN_FOLDER_FORMAT


def check_plan_folder(
    target: str | os.PathLike[str], *, force: bool, inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Check, before any work, that a plan can be written to folder `target`.

    A new folder, or an empty one, is fine. An existing folder is replaced only
    with `force`, and only when ``coverage plan`` wrote it (the
    :data:`PLAN_FOLDER_FORMAT` marker in its meta.json). A file, a symbolic
    link, the current folder, the root or home folder and any folder that holds
    one of `inputs` are never replaced.

    Raises
    ------
    coverage.errors.ParameterError
        Why not, and what to do instead; nothing has been changed.
    """
    t = _absolute(target)
    show = str(target)
    if t.is_symlink():
        msg = (
            f"the output folder {show!r} is a symbolic link; a plan never replaces a link or "
            "what it points to. Choose another --out (or give the real folder's path)."
        )
        raise _location_error(msg)
    why = _protected(t.resolve(), inputs)
    if why is not None:
        msg = f"the output folder {show!r} {why}; it is never replaced. Choose another --out."
        raise _location_error(msg)
    if t.exists() and not t.is_dir():
        msg = (
            f"the output {show!r} is a file, not a folder; it is never replaced. "
            "Choose another --out (a folder name)."
        )
        raise _location_error(msg)
    if t.is_dir() and any(t.iterdir()):
        if not force:
            msg = (
                f"the output folder {show!r} already exists. Pass --force to replace it "
                "(atomically: it is swapped only once the new one is complete), or choose --out."
            )
            raise _location_error(msg)
        if not _is_plan_folder(t):
            msg = (
                f"the output folder {show!r} was not written by 'coverage plan' (its meta.json "
                f'has no "format": "{PLAN_FOLDER_FORMAT}"), so --force does not replace it. '
                "Choose another --out, or move that folder away yourself."
            )
            raise _location_error(msg)
    check_location(t.parent)


def check_output_file(
    path: str | os.PathLike[str], *, force: bool, inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Check, before any work, that a file can be written to `path`.

    Raises
    ------
    coverage.errors.ParameterError
        `path` is a folder or one of `inputs`, exists and `force` is not set,
        or its folder cannot be written (see :func:`check_location`).
    """
    p = _absolute(path)
    show = str(path)
    if p.is_dir():
        msg = f"the output {show!r} is a folder; give a file name (such as {show}/map.html)."
        raise _location_error(msg)
    resolved = p.resolve()
    if any(Path(item).resolve() == resolved for item in inputs):
        msg = f"the output {show!r} is one of the inputs; it is never overwritten. Choose another."
        raise _location_error(msg)
    if (p.exists() or p.is_symlink()) and not force:
        msg = f"the output {show!r} already exists. Pass --force to replace it, or choose another."
        raise _location_error(msg)
    check_location(p.parent)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextlib.contextmanager
def _locked(lock: Path, target: str) -> Iterator[None]:
    """Hold an exclusive lock on file `lock` (not waiting): one run per output folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover -- Windows: no advisory locks; run one at a time
        yield
        return
    for _ in range(10):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, umask_mode(0o666))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            msg = (
                f"another 'coverage plan' (process {holder}) is writing {target!r} right now; "
                "wait for it to finish, or choose another --out."
            )
            raise _location_error(msg) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file its last holder had just removed
            break
        os.close(fd)
    else:  # pragma: no cover -- ten races in a row
        msg = f"could not lock {str(lock)!r}; try again."
        raise _location_error(msg)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # before unlocking, so a waiting run sees it is gone
        os.close(fd)


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporary folders of killed runs into `name`; restore a half-swapped folder."""
    target = parent / name
    for kind in ("old", "tmp"):  # a lost target comes back from .old first
        for entry in sorted(parent.glob(f".{glob.escape(name)}.{kind}-*")):
            pid = entry.name[len(name) + len(kind) + 3 :].split("-", 1)[0]
            if pid.isdigit() and _pid_alive(int(pid)) and int(pid) != os.getpid():
                continue
            if kind == "old" and not target.exists() and _is_plan_folder(entry):
                logger.warning("Restoring %s, left aside by a run that was killed.", target)
                entry.rename(target)
                continue
            logger.info("Removing %s, left by a run that was killed.", entry)
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def plan_folder(
    target: str | os.PathLike[str], *, force: bool, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Yield a fresh folder that replaces folder `target` whole when the block succeeds.

    The checks of :func:`check_plan_folder` are made (again) under a lock
    beside the target (``.NAME.lock``), so two runs into one folder cannot both
    write it: the second one fails at once. Temporary folders of killed runs
    are removed first. The new folder follows the umask. On any exception the
    temporary folder, the lock and the parents this created are removed, and
    `target` is as it was.
    """
    t = _absolute(target)
    inputs = list(inputs)
    check_plan_folder(target, force=force, inputs=inputs)
    created = [p for p in (t.parent, *t.parent.parents) if not p.exists()]
    t.parent.mkdir(parents=True, exist_ok=True)
    ok = False
    try:
        with _locked(t.parent / f".{t.name}.lock", str(target)):
            _clean_stale(t.parent, t.name)
            check_plan_folder(target, force=force, inputs=inputs)  # under the lock this time
            tag = f"{os.getpid()}-{secrets.token_hex(4)}"
            tmp = t.parent / f".{t.name}.tmp-{tag}"
            tmp.mkdir()  # mode 0777 minus the umask
            try:
                yield tmp
                _swap(tmp, t, tag)
                ok = True
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if not ok:
            for folder in created:  # innermost first
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _swap(tmp: Path, target: Path, tag: str) -> None:
    """Put folder `tmp` in place of `target`, which is set aside and removed only after."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        tmp.rename(target)
        return
    old = target.parent / f".{target.name}.old-{tag}"
    target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
