"""coverage — plan where the next CCTV camera sets go.

A planner hands it a city (a :class:`Scene`), a camera model (:class:`CameraSet`)
and a budget, and gets back a ranked placement :class:`Plan` with the coverage it
buys, the proven optimality gap, and an HTML map.

>>> import coverage as cov
>>> scene = cov.datasets.sample_city()                                # doctest: +SKIP
>>> plan = cov.solve(cov.Problem(scene, cov.CameraSet(), budget=200))  # doctest: +SKIP

Names are imported lazily, so ``import coverage`` stays light and
``coverage.optimize`` can be used without geopandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_NAMES = {
    "Scene": "coverage.scene",
    "Camera": "coverage.camera",
    "CameraSet": "coverage.camera",
    "Problem": "coverage.plan",
    "Plan": "coverage.plan",
    "solve": "coverage.plan",
    "evaluate": "coverage.evaluation",
    "Report": "coverage.evaluation",
    "integration_value": "coverage.evaluation",
    "roadmap": "coverage.evaluation",
    "Roadmap": "coverage.evaluation",
    "render_map": "coverage.render",
    "write_report": "coverage.report",
    "max_coverage": "coverage.optimize",
}
#: Public modules and packages, in the order of the data flow.
_MODULES = {
    "datasets": "coverage.datasets",
    "errors": "coverage.errors",
    "scene": "coverage.scene",
    "demand": "coverage.demand",
    "candidates": "coverage.candidates",
    "camera": "coverage.camera",
    "criteria": "coverage.criteria",
    "visibility": "coverage.visibility",
    "matrix": "coverage.matrix",
    "optimize": "coverage.optimize",
    "plan": "coverage.plan",
    "evaluation": "coverage.evaluation",
    "render": "coverage.render",
    "export": "coverage.export",
    "report": "coverage.report",
    "config": "coverage.config",
    "cli": "coverage.cli",
    "io": "coverage.io",
    # The generator moved into the datasets package; the short name stays.
    "synthetic": "coverage.datasets.synthetic",
    "osm": "coverage.osm",
    "assumptions": "coverage.assumptions",
    # beyond one machine (the 'distributed' extra: dask is imported only when it runs)
    "distributed": "coverage.distributed",
}

__all__ = sorted([*_NAMES, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    msg = f"module 'coverage' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
