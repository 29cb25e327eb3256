"""Sphinx extension for the coverage docs: pages generated from the code, and offline math.

At ``config-inited`` it writes (all git-ignored, rebuilt on every build):

- ``api/*.rst``: one page per public module, listing every name of its ``__all__``
  (autosummary then gives each name its own page), from ``coverage.__all__``;
- ``_generated/config_keys.md``: every TOML key of :mod:`coverage.config`'s schema with
  its kind and the description from the template and the docstring it feeds;
- ``_generated/errors.md``: every exception type of :mod:`coverage.errors`, with real
  messages produced by running small wrong calls (see ``errors_catalogue.py``).

Math is drawn at build time as SVG by matplotlib's mathtext (no MathJax download).
"""

from __future__ import annotations

import html
import importlib
import inspect
import io
import re
from pathlib import Path
from typing import Any

from docutils import nodes

DOCS = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ API pages
def public_modules() -> dict[str, str]:
    """Return public module name -> import path, from ``coverage.__all__`` (data-flow order)."""
    import coverage

    mods = dict(coverage._MODULES)
    out: dict[str, str] = {}
    for name, path in mods.items():
        if name in coverage.__all__ and path not in out.values():
            out[name] = path
    return out


def public_names(module: str) -> list[str]:
    """Return the names of a public module's ``__all__`` (submodules excluded)."""
    mod = importlib.import_module(module)
    names = list(getattr(mod, "__all__", []))
    return [n for n in names if not inspect.ismodule(getattr(mod, n))]


def front_door() -> dict[str, str]:
    """Return the top-level names of ``coverage`` that are not modules -> their module."""
    import coverage

    return {n: m for n, m in coverage._NAMES.items() if n in coverage.__all__}


def api_pages() -> dict[str, str]:
    """Return file name (under ``api/``) -> reST text, for the whole API reference."""
    pages: dict[str, str] = {}
    mods = public_modules()
    for path in mods.values():
        title = f"``{path}``"
        body = [
            title,
            "=" * len(title),
            "",
            f".. automodule:: {path}",
            "   :no-members:",
            "",
            f".. currentmodule:: {path}",
            "",
        ]
        names = public_names(path)
        if names:
            body += [".. autosummary::", "   :toctree: generated", "", *(f"   {n}" for n in names)]
        pages[f"{path}.rst"] = "\n".join(body) + "\n"
    door = front_door()
    index = [
        "API reference",
        "=============",
        "",
        ".. automodule:: coverage",
        "   :no-members:",
        "",
        "The names at the top of the package (``import coverage as cov; cov.solve(...)``)",
        "are the same objects as in their modules:",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - name",
        "     - documented in",
    ]
    for name, module in door.items():
        index += [f"   * - ``cov.{name}``", f"     - :obj:`{module}.{name}`"]
    index += [
        "",
        "Every public module, in the order data flows through them:",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *(f"   {p}" for p in mods.values()),
    ]
    pages["index.rst"] = "\n".join(index) + "\n"
    return pages


# ------------------------------------------------------------------------------ TOML keys
_TEMPLATE_LINE = re.compile(r"^#?\s*([A-Za-z_][\w]*)\s*=\s*(.+?)(?:\s+#\s*(.*))?$")


def _template_notes() -> dict[tuple[str, str], tuple[str, str]]:
    """(section, key) -> (example value, comment) read from ``config.TEMPLATE``."""
    from coverage import config

    notes: dict[tuple[str, str], tuple[str, str]] = {}
    section = ""
    for raw in config.TEMPLATE.splitlines():
        line = raw.strip()
        head = re.match(r"^#?\s*\[\[?([\w.]+)\]\]?", line)
        if head:
            section = head.group(1)
            continue
        m = _TEMPLATE_LINE.match(line)
        if m and section and (section, m.group(1)) not in notes:
            notes[(section, m.group(1))] = (m.group(2).strip(), (m.group(3) or "").strip())
    return notes


def _param_docs(obj: Any) -> dict[str, str]:
    """Parameter name -> its description, from a numpydoc docstring."""
    from numpydoc.docscrape import FunctionDoc

    doc = FunctionDoc(obj, config={})
    out: dict[str, str] = {}
    for p in doc["Parameters"]:
        text = " ".join(" ".join(p.desc).split())
        for name in p.name.split(","):
            out.setdefault(name.strip(), text)
    return out


def _kind(kinds: Any) -> str:
    from coverage import config

    if kinds is None:
        return "tables"
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(config._KIND[k] for k in kinds)


#: Keys neither the template's comments nor a docstring describe.
_EXTRA = {
    ("scene", "dataset"): 'a bundled dataset, "sample_city" or "hong_kong"; leave it out to read '
    "your own layer files (both at once is an error)",
    ("output", "map"): "write map.html (the offline HTML map)",
    ("output", "report"): "write report.html (the self-contained report)",
}
_ROLE = re.compile(r":(?:py:)?\w+:`~?([^`]+)`")


def _markdown_text(text: str) -> str:
    """Docstring reST to table-cell Markdown: roles become code, pipes are escaped."""
    text = _ROLE.sub(lambda m: f"`{m.group(1)}`", text).replace("``", "`")
    return text.replace("|", "\\|")


#: What the free keys of a section without a fixed schema are.
_FREE_SECTIONS = {
    "quotas": "Free keys: one per district name, each a table `{ min = N, max = M }` (either "
    "may be left out) of new sets in that district per phase. Example: "
    '`"Harbour & Market" = { min = 5, max = 40 }`.',
    "objective": "Free keys: one per demand class, in order, each a selector of demand points "
    '(`default`, a column, or `"column >= value"`, `"column == text"`) set to a criterion '
    '(`"quality"`, a tier name or `"face"`) or a table `{ criterion = "face", weight = 2 }`; '
    "the first line that picks a point gives its criterion, `default` takes the rest. Passed "
    "to {obj}`~coverage.plan.Problem` as `objective` (see {mod}`coverage.criteria`). Example: "
    '`"risk >= 0.5" = { criterion = "face", weight = 2 }`.',
}


def config_keys_markdown() -> str:
    """Every key of the configuration schema as Markdown tables, one per section."""
    from coverage import config
    from coverage.camera import CameraSet
    from coverage.criteria import FaceCriterion
    from coverage.plan import Problem
    from coverage.scene import Scene

    notes = _template_notes()
    files = _param_docs(Scene.from_files)
    scene = _param_docs(Scene)
    files.update({k: scene[k] for k, v in files.items() if v.startswith("As for") and k in scene})
    from coverage.evaluation import integration_value, roadmap

    plan = _param_docs(Problem)
    sources = {
        "scene": (files, "Scene.from_files"),
        "camera": (_param_docs(CameraSet), "CameraSet"),
        "plan": ({**plan, "seed": plan.get("rng", "")}, "Problem"),
        "roadmap": (_param_docs(roadmap), "roadmap"),
        "partners": (_param_docs(integration_value), "integration_value"),
        "face": (_param_docs(FaceCriterion), "criteria.FaceCriterion"),
        "privacy": ({"rules": plan.get("privacy_rules", "")}, "Problem"),
        "output": ({}, ""),
    }
    out: list[str] = []
    for section, keys in config._SECTIONS.items():
        out.append(f"### `[{section}]`\n")
        if keys is None:
            out.append(_FREE_SECTIONS[section] + "\n")
            continue
        docs, target = sources.get(section, ({}, ""))
        out.append("| key | kind | example | meaning |\n| --- | --- | --- | --- |")
        for key, kinds in keys.items():
            example, comment = notes.get((section, key), ("", ""))
            desc = docs.get(key, "")
            if not desc and key in config._SCENE_FILES:
                desc = docs.get("districts", "")
            parts = (comment, _EXTRA.get((section, key), ""), desc)
            meaning = _markdown_text("; ".join(x for x in parts if x))
            ex = f"`{example}`" if example else ""
            out.append(f"| `{key}` | {_kind(kinds)} | {ex} | {meaning} |")
        if target:
            out.append(f"\nThese keys are passed to {{obj}}`~coverage.{_target_path(target)}`.\n")
        else:
            out.append("")
    return "\n".join(out) + "\n"


def _target_path(target: str) -> str:
    return {
        "Scene.from_files": "scene.Scene.from_files",
        "CameraSet": "camera.CameraSet",
        "Problem": "plan.Problem",
        "roadmap": "evaluation.roadmap",
        "integration_value": "evaluation.integration_value",
        "criteria.FaceCriterion": "criteria.FaceCriterion",
    }[target]


# ------------------------------------------------------------------------------ CLI help
def cli_help_markdown() -> str:
    """Return the ``--help`` of ``coverage`` and of each command, from its own parser."""
    import argparse
    import os

    from coverage import cli

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "96"  # argparse wraps to the terminal: fix the width
    try:
        parser = cli._parser()
        out = ["```text", "$ coverage --help", parser.format_help().rstrip(), "```", ""]
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, sub in subs.choices.items():
            out += [f"### `coverage {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ writing
def _write_if_changed(path: Path, text: str) -> None:
    """Write a generated file only when its text changed (keeps incremental builds fast)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(app: Any = None) -> None:
    """Write every generated page (run at ``config-inited``, or by hand)."""
    import errors_catalogue

    api = DOCS / "api"
    wanted = api_pages()
    if api.exists():
        for old in api.glob("*.rst"):
            if old.name not in wanted:
                old.unlink()
    for name, text in wanted.items():
        _write_if_changed(api / name, text)
    gen = DOCS / "_generated"
    _write_if_changed(gen / "config_keys.md", config_keys_markdown())
    _write_if_changed(gen / "template.toml", _template())
    _write_if_changed(gen / "cli_help.md", cli_help_markdown())
    _write_if_changed(gen / "benchmarks.md", benchmarks_markdown())
    _write_if_changed(gen / "errors.md", errors_catalogue.markdown())


def benchmarks_markdown() -> str:
    """Return the benchmark tables: benchmarks/README.md when present, else the runs kept here."""
    readme = DOCS.parent / "benchmarks" / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        # its headings sit under this page's "Benchmarks" section
        return re.sub(
            r"^(#+) ", lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", text, flags=re.M
        )
    runs = sorted((DOCS / "benchmarks").glob("*.txt"))
    out = []
    for run in runs:
        out += [
            f"`docs/benchmarks/{run.name}`:",
            "",
            "```text",
            run.read_text().rstrip(),
            "```",
            "",
        ]
    return "\n".join(out) + "\n"


def _template() -> str:
    from coverage import config

    return config.TEMPLATE


# ------------------------------------------------------------------------------ math
def _svg(latex: str, *, display: bool) -> str:
    """Render TeX with matplotlib's mathtext as inline SVG (falls back to the source)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext

    try:
        buf = io.BytesIO()
        size = 15 if display else 12
        prop = matplotlib.font_manager.FontProperties(size=size)
        mathtext.math_to_image(f"${latex}$", buf, prop=prop, format="svg")
        svg = buf.getvalue().decode("utf-8")
        svg = svg[svg.index("<svg") :]
        svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
        return f'<span class="math-svg" role="img" aria-label="{html.escape(latex)}">{svg}</span>'
    except Exception:  # mathtext does not know every TeX command: show the source
        return f'<code class="math">{html.escape(latex)}</code>'


def _visit_inline(self: Any, node: nodes.Element) -> None:
    self.body.append(_svg(node.astext(), display=False))
    raise nodes.SkipNode


def _visit_block(self: Any, node: nodes.Element) -> None:
    lines = [x for x in node.astext().split("\n\n") if x.strip()]
    parts = "<br/>".join(_svg(" ".join(x.split()), display=True) for x in lines)
    self.body.append(f'<div class="math-svg">{parts}</div>')
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Register the generators and the offline math renderer."""
    # At config-inited, before Sphinx lists the source files: autosummary (at builder-inited)
    # then sees the API pages even in a fresh checkout.
    app.connect("config-inited", lambda app, config: generate(app))
    app.add_html_math_renderer(
        "svgmath", inline_renderers=(_visit_inline, None), block_renderers=(_visit_block, None)
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}


__all__ = ["api_pages", "config_keys_markdown", "generate", "public_modules", "public_names"]
