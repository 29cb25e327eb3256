"""The documentation cannot rot: its code runs, its generated pages cover the code.

- Every ```python block of docs/**/*.md is executed and every ```pycon block is doctested
  (outputs compared), in page order, sharing one namespace per page, in a fresh folder; a
  page that another test file names (e.g. docs/guide/own-city-osm.md, run from the
  repository root by tests/test_osm.py) is left to that test. Code meant only to be read
  goes in a ```{code-block} python directive.
  Pages that load the sample city are marked slow (CI runs them in its docs step).
- The API pages list every public name (checked against the modules' ``__all__``).
- The TOML key reference lists every key of the configuration schema.
- The errors catalogue's cases each raise the documented type.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

import coverage

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```(python|pycon)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def _own_tests() -> str:
    """The text of the other test files: a page one of them names is run there, not here."""
    here = Path(__file__).resolve()
    files = (p for p in (ROOT / "tests").rglob("*.py") if p.resolve() != here)
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _pages() -> list[Path]:
    skip = {"_build", "_generated", "api"}
    others = _own_tests()
    return sorted(
        p
        for p in DOCS.rglob("*.md")
        if not skip & set(p.relative_to(DOCS).parts) and _blocks(p) and p.name not in others
    )


def _blocks(page: Path) -> list[tuple[str, str, int]]:
    """(kind, code, line) of each executable block of a page, in order."""
    text = page.read_text(encoding="utf-8")
    return [(m[1], m[2], text.count("\n", 0, m.start()) + 1) for m in _FENCE.finditer(text)]


def _param(page: Path) -> object:
    text = page.read_text(encoding="utf-8")
    slow = "sample_city(" in text or "hong_kong(" in text
    marks = [pytest.mark.slow] if slow else []
    if "hong_kong(" in text and not (ROOT.parent / "shared" / "data" / "hong-kong").is_dir():
        marks.append(pytest.mark.skip(reason="the Hong Kong data folder is not beside the repo"))
    return pytest.param(page, id=str(page.relative_to(DOCS)), marks=marks)


@pytest.fixture
def docs_ext() -> object:
    # the docs extra (pip install -e '.[dev,docs]', as CI does) brings docutils and sphinx
    pytest.importorskip("docutils", reason="the docs extra is not installed")
    sys.path.insert(0, str(DOCS / "_ext"))
    yield
    sys.path.remove(str(DOCS / "_ext"))


@pytest.mark.parametrize("page", [_param(p) for p in _pages()])
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    parser = doctest.DocTestParser()
    for kind, code, line in _blocks(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if kind == "python":
            exec(compile(code, where, "exec"), namespace)
            continue
        test = parser.get_doctest(code, namespace, where, str(page), line)
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=False)
        assert result.failed == 0, "".join(out)
        namespace.update(test.globs)


def test_every_page_with_code_is_run() -> None:
    """The runner finds the tutorial's blocks (a fence typo would silently skip a page)."""
    pages = {str(p.relative_to(DOCS)) for p in _pages()}
    assert "tutorials/sample-city.md" in pages
    assert len(_blocks(DOCS / "tutorials" / "sample-city.md")) >= 8


def _public_names() -> set[str]:
    """Every public name, worked out here from the package (not from the docs extension)."""
    names = set()
    for name in coverage.__all__:
        obj = getattr(coverage, name)
        if not inspect.ismodule(obj):
            continue
        for member in getattr(obj, "__all__", []):
            if not inspect.ismodule(getattr(obj, member)):
                names.add(f"{obj.__name__}.{member}")
    return names


def test_api_pages_list_every_public_name(docs_ext: object) -> None:
    import coverage_docs

    pages = coverage_docs.api_pages()
    listed = set()
    for file, text in pages.items():
        if file == "index.rst":
            continue
        module = file.removesuffix(".rst")
        listed |= {f"{module}.{n.strip()}" for n in text.split(":toctree: generated\n")[-1].split()}
    assert _public_names() <= listed
    front = {n for n in coverage.__all__ if not inspect.ismodule(getattr(coverage, n))}
    assert all(f"``cov.{n}``" in pages["index.rst"] for n in front)


def test_built_site_has_a_page_per_public_name() -> None:
    """After a docs build (CI builds first), each public name has its own HTML page."""
    generated = DOCS / "_build" / "html" / "api" / "generated"
    if not generated.is_dir():
        pytest.skip("the docs are not built (python -m sphinx -W -b html docs docs/_build/html)")
    missing = [n for n in sorted(_public_names()) if not (generated / f"{n}.html").is_file()]
    assert not missing


def test_config_keys_page_lists_every_key(docs_ext: object) -> None:
    import coverage_docs

    from coverage import config

    text = coverage_docs.config_keys_markdown()
    for section, keys in config._SECTIONS.items():
        assert f"### `[{section}]`" in text
        for key in keys or {}:
            row = re.search(rf"^\| `{key}` \| ([^|]+) \|", text, re.M)
            assert row, f"[{section}] {key} missing from the key reference"
    # kinds come from the schema: budget is an integer or a list
    assert re.search(r"^\| `budget` \| an integer or a list \|", text, re.M)


def test_errors_catalogue_covers_every_error_type(docs_ext: object) -> None:
    import errors_catalogue

    from coverage import errors

    documented = {c.error for c in errors_catalogue.CASES}
    concrete = set(errors.__all__) - {"CoverageError"}
    assert concrete <= documented
    for case in errors_catalogue.CASES:
        kind, message = errors_catalogue.run(case)
        assert issubclass(kind, getattr(errors, case.error)), case.title
        assert message.strip()


def test_figures_are_small() -> None:
    figures = sorted((DOCS / "_static" / "figures").glob("*.png"))
    assert figures
    assert all(p.stat().st_size < 300_000 for p in figures), [p.name for p in figures]


def test_conf_imports_this_checkout() -> None:
    """docs/conf.py puts the repository first on sys.path, so autodoc reads this checkout."""
    text = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert "sys.path.insert(0, str(ROOT))" in text
    assert importlib.util.find_spec("coverage") is not None


def test_link_checker_finds_broken_links_anchors_and_remote_assets(tmp_path: Path) -> None:
    sys.path.insert(0, str(DOCS))
    try:
        check_links = importlib.import_module("check_links")
    finally:
        sys.path.remove(str(DOCS))
    (tmp_path / "index.html").write_text(
        '<html><body id="top"><a href="page.html#here">ok</a> <a href="#top">ok</a>'
        '<a href="https://example.org/">a link out is fine</a></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "page.html").write_text('<p id="here">here</p>', encoding="utf-8")
    assert check_links.check(tmp_path) == []
    (tmp_path / "bad.html").write_text(
        '<a href="missing.html">x</a><a href="page.html#nowhere">y</a>'
        '<script src="https://cdn.example.org/x.js"></script>',
        encoding="utf-8",
    )
    problems = check_links.check(tmp_path)
    assert len(problems) == 3
    assert "broken link 'missing.html'" in problems[0]
    assert "no anchor #nowhere" in problems[1]
    assert "loads https://cdn.example.org/x.js" in problems[2]
