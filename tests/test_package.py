"""Package-level promises: light imports, the curated namespace, no coverage.py clash."""

from __future__ import annotations

import subprocess
import sys

import pytest

import coverage as cov


def _modules_after(stmt: str) -> set[str]:
    code = f"import sys; {stmt}; print('\\n'.join(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(res.stdout.split())


def test_optimize_needs_no_geometry_stack():
    mods = _modules_after("import coverage.optimize")
    assert "numpy" in mods and "scipy.sparse" in mods
    for heavy in ("geopandas", "shapely", "folium", "pandas", "networkx"):
        assert heavy not in mods, heavy


def test_single_machine_path_never_imports_dask():
    mods = _modules_after(
        "import coverage, coverage.plan, coverage.matrix, coverage.optimize, coverage.cli"
    )
    assert not {"dask", "distributed", "dask_geopandas"} & mods


def test_import_coverage_is_light():
    mods = _modules_after("import coverage")
    assert not {"geopandas", "folium", "scipy", "shapely"} & mods


@pytest.mark.parametrize("name", cov.__all__)
def test_every_public_name_resolves(name):
    assert getattr(cov, name) is not None


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = cov.nope


def test_it_is_our_coverage_not_coverage_py():
    assert hasattr(cov, "Scene")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "show", "coverage"], capture_output=True, text=True
    )
    assert res.returncode != 0, "coverage.py is installed: it shares our import name"


def _run(code: str) -> str:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.parametrize(
    "first",
    ["cov.evaluate", "cov.evaluation", "cov.evaluation.compare", "cov.Report"],
)
def test_evaluate_is_the_function_in_any_order(first):
    # `cov.evaluate` is the function and `cov.evaluation` the package, whatever is touched first.
    out = _run(
        "import coverage as cov, inspect\n"
        f"{first}\n"
        "print(inspect.isfunction(cov.evaluate), inspect.ismodule(cov.evaluation))\n"
        "print(callable(cov.evaluation.compare), callable(cov.evaluation.incident_coverage))\n"
        "print(cov.evaluation.evaluate is cov.evaluate, cov.evaluation.Report is cov.Report)\n"
    )
    assert out.split() == ["True"] * 6


def test_no_test_scaffolding_in_the_package():
    import pkgutil

    names = {m.name for m in pkgutil.walk_packages(cov.__path__, "coverage.")}
    assert "coverage.optimize" in names and "coverage.render" in names
    assert not {n for n in names if "synth" in n and "datasets" not in n}, names
    assert "coverage.evaluate" not in names  # a function, not a module


def _function_lengths(*, with_docstring: bool = False) -> list[tuple[int, str]]:
    """(lines, "module:line name") of every function in the package, docstring excluded or not."""
    import ast
    from pathlib import Path

    root = Path(cov.__file__).parent
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            n = node.end_lineno - node.lineno + 1
            first = node.body[0]
            doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if doc and isinstance(first.value.value, str) and not with_docstring:
                n -= first.end_lineno - first.lineno + 1
            out.append((n, f"{path.relative_to(root)}:{node.lineno} {node.name}"))
    return sorted(out, reverse=True)


def test_functions_stay_short():
    # The layout rule of docs/architecture.md: none over 150 lines (docstring included), at
    # most five over 80 lines of code.
    whole = _function_lengths(with_docstring=True)
    assert [f for n, f in whole if n > 150] == []
    lengths = _function_lengths()
    assert len(lengths) > 300  # the walk found the package
    assert len([f for n, f in lengths if n > 80]) <= 5, [(n, f) for n, f in lengths if n > 80]
