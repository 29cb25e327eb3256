"""Sphinx configuration of the coverage documentation (offline build, warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# autodoc imports the package of THIS checkout, never an installed copy.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import coverage  # noqa: E402

project = "coverage"
author = "the coverage developers"
copyright = "the coverage developers, MIT licence"
release = version = coverage.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_copybutton",
    "coverage_docs",  # generated pages: API stubs, TOML keys, errors catalogue; offline math
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "README.md"]
templates_path = ["_templates"]

# --- API reference -----------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc sections carry the meaning; signatures show the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()
add_module_names = False

# --- Markdown ------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# --- HTML: the PyData theme, nothing fetched from the network --------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"coverage {release}"
html_static_path = ["_static"]
html_css_files = ["coverage.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    "icon_links": [],
}
html_sidebars = {"index": []}
html_show_sourcelink = False
html_copy_source = False

# Warnings that are not ours to fix stay errors; nothing is suppressed globally.
nitpicky = False
# Generated fragments (docs/_generated) start below H1 because they are included in a page.
suppress_warnings = ["myst.header"]
html_math_renderer = "svgmath"  # coverage_docs: SVG drawn at build time, no MathJax
