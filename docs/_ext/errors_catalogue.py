"""The errors catalogue: every type in :mod:`coverage.errors`, with messages from real calls.

Each case below is a small wrong call. ``markdown()`` runs them all and writes what the
library really said, so the page cannot drift from the code: a case that stops raising, or
raises another type, fails the docs build.
"""

from __future__ import annotations

import inspect
import os
import re
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    """One wrong call, the error type it must raise, and how to fix it."""

    error: str  # name in coverage.errors (or coverage.render for OfflineError)
    title: str
    call: Callable[[], object]
    fix: str


def _camera_fov() -> object:
    import coverage as cov

    return cov.CameraSet(hfov_deg=0)


def _face_without_height() -> object:
    import coverage as cov

    scene = cov.datasets.sample_city()
    return cov.Problem(scene, cov.CameraSet(resolution_px=1920), objective={"default": "face"})


def _budget_zero() -> object:
    import numpy as np
    from scipy import sparse

    from coverage.optimize import max_coverage

    return max_coverage(sparse.csr_array(np.eye(3)), [1, 1, 1], budget=0)


def _negative_weights() -> object:
    import numpy as np
    from scipy import sparse

    from coverage.optimize import max_coverage

    return max_coverage(sparse.csr_array(np.eye(3)), [1, -1, np.nan], budget=1)


def _quality_above_one() -> object:
    import numpy as np
    from scipy import sparse

    from coverage.optimize import max_coverage

    return max_coverage(sparse.csr_array(2 * np.eye(3)), [1, 1, 1], budget=1)


def _quota_minima() -> object:
    import numpy as np
    from scipy import sparse

    from coverage.optimize import max_coverage

    A = sparse.csr_array(np.eye(3))
    return max_coverage(A, [1, 1, 1], budget=1, labels=[0, 0, 1], quotas={0: (2, None)})


def _infeasible_separation() -> object:
    import numpy as np
    from scipy import sparse

    from coverage.optimize import max_coverage

    A = sparse.csr_array(np.eye(3))
    xy = [[0, 0], [1, 0], [50, 0]]
    return max_coverage(
        A, [1, 1, 1], budget=2, labels=[0, 0, 1], quotas={0: (2, None)}, xy=xy, min_separation_m=10
    )


def _layers() -> tuple[object, object]:
    import geopandas as gpd
    import shapely

    districts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 100, 100)])
    corridors = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 100)])])
    return districts, corridors


def _no_crs() -> object:
    import coverage as cov

    districts, corridors = _layers()
    return cov.Scene(districts, corridors)


def _swapped_lat_lon() -> object:
    import coverage as cov

    districts, corridors = _layers()
    return cov.Scene(districts.set_crs(2326), corridors.set_crs(4326))


def _missing_column() -> object:
    import coverage as cov

    districts, corridors = _layers()
    districts = districts.rename(columns={"name": "DISTRICT"}).set_crs(2326)
    return cov.Scene(districts, corridors.set_crs(2326))


def _config(text: str) -> object:
    from coverage.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "my_plan.toml"
        path.write_text(text, encoding="utf-8")
        old = Path.cwd()
        os.chdir(tmp)
        try:
            return load_config("my_plan.toml")
        finally:
            os.chdir(old)


#: The configuration files of the ConfigError cases (shown on the page as they are).
TOML = {
    "unknown_key": '[scene]\ndataset = "sample_city"\n\n[camera]\nrange = 40\n',
    "both_sources": (
        '[scene]\ndataset = "sample_city"\ndistricts = "d.gpkg"\ncorridors = "c.gpkg"\n'
    ),
    "wrong_kind": '[scene]\ndataset = "sample_city"\n\n[plan]\nbudget = "lots"\n',
}


def _config_unknown_key() -> object:
    return _config(TOML["unknown_key"])


def _config_both_sources() -> object:
    return _config(TOML["both_sources"])


def _config_wrong_kind() -> object:
    return _config(TOML["wrong_kind"])


def _roadmap_total() -> object:
    from coverage.evaluation import check_total_sets

    return check_total_sets(7000, 624, [2000, 2000, 2388])


CASES = [
    Case(
        "ParameterError",
        "A camera parameter out of range",
        _camera_fov,
        "Give a value in the range the message states.",
    ),
    Case(
        "ParameterError",
        "A budget below 1 (or above the number of configurations)",
        _budget_zero,
        "Use a budget between 1 and the number of rows of `A`.",
    ),
    Case(
        "ParameterError",
        "Quota minima the budget cannot meet",
        _quota_minima,
        "Lower the minima in `[quotas]` or raise the budget.",
    ),
    Case(
        "ParameterError",
        "A roadmap whose years do not make the programme's total",
        _roadmap_total,
        "Make the last year the number the message gives, or change the total.",
    ),
    Case(
        "ParameterError",
        "Face capture asked of a camera set without pixels or mount height",
        _face_without_height,
        "Give the camera set `resolution_px` and `mount_height_m` (the face criterion needs "
        'the pixel density and the down angle), or use a tier such as `"detect"`.',
    ),
    Case(
        "InputError",
        "Negative or missing demand weights",
        _negative_weights,
        "Fill or drop the missing weights; weights are finite and >= 0.",
    ),
    Case(
        "InputError",
        "A coverage matrix with values outside [0, 1]",
        _quality_above_one,
        "Scale the qualities into [0, 1] (1 = full credit).",
    ),
    Case(
        "InputError",
        "A layer without the column it needs",
        _missing_column,
        "Rename the column (`rename=` in Python, `[scene.rename.LAYER]` in TOML).",
    ),
    Case(
        "InputError",
        "Longitude and latitude swapped, or the wrong CRS",
        _swapped_lat_lon,
        "Set the CRS the coordinates are really in, with x = longitude.",
    ),
    Case(
        "CRSError",
        "A layer without a CRS",
        _no_crs,
        "`layer.set_crs(...)` with the CRS your coordinates are in; coverage never guesses.",
    ),
    Case(
        "ConfigError",
        "An unknown key in a configuration file",
        _config_unknown_key,
        "Use one of the keys listed in the message (see {doc}`/guide/cli`).",
    ),
    Case(
        "ConfigError",
        "A bundled dataset and your own files at once",
        _config_both_sources,
        "Keep one source in `[scene]`: delete the `dataset` line or the file lines.",
    ),
    Case(
        "ConfigError",
        "A value of the wrong kind",
        _config_wrong_kind,
        "Write the value as the kind the message asks for (here an integer, or a list).",
    ),
    Case(
        "SolverError",
        "Side constraints no plan can meet together",
        _infeasible_separation,
        "Check that quotas, costs and separation can hold together, or raise `time_limit_s`.",
    ),
]


def run(case: Case) -> tuple[type[BaseException], str]:
    """Run one case; return the exception type and message it raised."""
    try:
        case.call()
    except Exception as exc:  # the point: record what the library says
        return type(exc), str(exc)
    msg = f"errors catalogue: {case.title!r} raised nothing; update docs/_ext/errors_catalogue.py"
    raise AssertionError(msg)


def _hierarchy() -> list[str]:
    from coverage import errors, render

    rows = ["| type | subclass of | raised when |", "| --- | --- | --- |"]
    types = [getattr(errors, n) for n in errors.__all__] + [render.OfflineError]
    for t in types:
        bases = ", ".join(f"`{b.__name__}`" for b in t.__bases__)
        doc = (inspect.getdoc(t) or "").split("\n\n")[0].replace("\n", " ")
        doc = _ROLE.sub(lambda m: f"`{m.group(1)}`", doc)
        rows.append(f"| {{class}}`~{t.__module__}.{t.__name__}` | {bases} | {doc} |")
    rows[-1] = rows[-1].replace("coverage.render._offline.", "coverage.render.")
    return rows


def _body(func: Callable[[], object]) -> str:
    """Return the statements of a case function, without its ``def`` line and ``return``."""
    source = textwrap.dedent(inspect.getsource(func))
    body = textwrap.dedent(source.split(":\n", 1)[1])
    return body.replace("return ", "").rstrip()


def _shown(case: Case) -> str:
    """Return the Markdown that shows what a case runs (the TOML file, or the Python)."""
    name = case.call.__name__.removeprefix("_config_")
    if name in TOML:
        return "\n".join(
            [
                "`my_plan.toml`:\n",
                "```toml",
                TOML[name].rstrip(),
                "```\n",
                "```python",
                "from coverage.config import load_config",
                "",
                'load_config("my_plan.toml")   # or: coverage plan my_plan.toml',
                "```\n",
            ]
        )
    body = _body(case.call)
    if "_layers()" in body:
        setup = _body(_layers).replace("districts, corridors\n", "").rstrip()
        setup = setup.rsplit("\n", 1)[0] if setup.endswith("districts, corridors") else setup
        body = body.replace("districts, corridors = _layers()\n", setup + "\n")
    return "```python\n" + body + "\n```\n"


_ROLE = re.compile(r":(?:py:)?\w+:`~?([^`]+)`")


def markdown() -> str:
    """Return the catalogue as Markdown (runs every case)."""
    import coverage.errors as errors_module

    out = ["## The types\n", *_hierarchy(), ""]
    out.append("## Messages, from real calls\n")
    out.append(
        "Each message below was produced by running the call shown when these pages were "
        "built (the cases live in `docs/_ext/errors_catalogue.py`).\n"
    )
    for case in CASES:
        kind, message = run(case)
        expected = getattr(errors_module, case.error)
        if not issubclass(kind, expected):
            msg = f"errors catalogue: {case.title!r} raised {kind.__name__}, not {case.error}"
            raise AssertionError(msg)
        code = _shown(case)
        out += [
            f"### {case.title}\n",
            f"{{class}}`~coverage.errors.{case.error}` (raised: `{kind.__name__}`)\n",
            code,
            "```text",
            message,
            "```\n",
            f"**Fix:** {case.fix}\n",
        ]
    return "\n".join(out) + "\n"
