"""Self-contained HTML for folium maps: inline every asset, fail closed.

folium writes ``<script src="https://cdn...">`` and ``<link href="https://cdn...">``
for Leaflet, jQuery, Bootstrap, Font Awesome and each plugin. A planner on an
air-gapped police network then opens a blank page. This module:

1. points every folium element's ``default_js`` / ``default_css`` at a local
   asset name (instance attributes only: folium's class-level lists are never
   touched, unlike ``add_js_link``), dropping the Bootstrap / Font Awesome /
   awesome-markers assets our maps do not use;
2. after rendering, replaces each placeholder tag with the file's content, read
   from the installed registry packages (``xstatic-leaflet``,
   ``xstatic-jquery``, ``xstatic-leaflet-markercluster``, and the heat plugin in
   folium's own wheel), licence headers kept;
3. checks the result: no ``src=``/``href=``/``url()``/``@import`` may reach the
   network, and no ``http(s)://`` may appear outside the inlined third-party
   blocks (inside them only known inert URLs are allowed: licence comments, the
   SVG namespace, Leaflet's attribution link).

A resource with no local copy is an error (:class:`OfflineError`), never a
silent CDN fallback.
"""

from __future__ import annotations

import base64
import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from coverage.errors import InputError

__all__ = ["OfflineError", "check_offline", "inline_assets", "prepare_offline"]


class OfflineError(InputError):
    """A map would need the network: an asset has no local copy or a URL remains."""


@dataclass(frozen=True)
class _Asset:
    package: str  # Python package that ships the file
    relpath: str  # path inside the package
    kind: str  # "js" | "css"
    licence: str  # one-line licence note (the file keeps its own header too)


# folium resource name -> local copy. Names are the keys folium uses in its
# ``default_js`` / ``default_css`` lists (stable across 0.1x releases).
_ASSETS: dict[str, _Asset] = {
    "leaflet": _Asset(
        "xstatic.pkg.leaflet", "data/leaflet.js", "js", "Leaflet 1.9.3, BSD-2-Clause"
    ),
    "leaflet_css": _Asset(
        "xstatic.pkg.leaflet", "data/leaflet.css", "css", "Leaflet 1.9.3, BSD-2-Clause"
    ),
    "jquery": _Asset("xstatic.pkg.jquery", "data/jquery.min.js", "js", "jQuery 3.7.1, MIT"),
    "leaflet-heat.js": _Asset(
        "folium",
        "templates/leaflet_heat.min.js",
        "js",
        "Leaflet.heat (c) 2014 Vladimir Agafonkin, BSD-2-Clause; simpleheat, BSD-2-Clause",
    ),
    "markerclusterjs": _Asset(
        "xstatic.pkg.leaflet_markercluster",
        "data/leaflet.markercluster-src.js",
        "js",
        "Leaflet.markercluster 1.4.1 (c) 2012-2019 Dave Leaver, MIT",
    ),
    "markerclustercss": _Asset(
        "xstatic.pkg.leaflet_markercluster",
        "data/MarkerCluster.css",
        "css",
        "Leaflet.markercluster 1.4.1, MIT",
    ),
    "markerclusterdefaultcss": _Asset(
        "xstatic.pkg.leaflet_markercluster",
        "data/MarkerCluster.Default.css",
        "css",
        "Leaflet.markercluster 1.4.1, MIT",
    ),
}

# Assets folium's Map asks for that our maps do not use (Bootstrap, Font
# Awesome, glyphicons, awesome-markers): dropped rather than fetched.
_DROPPED = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_rotate_css",
        "awesome_markers_font_css",
    }
)

# URLs that may appear inside inlined third-party code because they load
# nothing: the SVG namespace, Leaflet's attribution link, licence comments.
_INERT_URLS = frozenset(
    {
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",
        "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
        "https://github.com/Leaflet/Leaflet.heat",
        "https://github.com/Leaflet/Leaflet.heat/pull/78",
        "https://github.com/mourner/simpleheat",
        "https://leaflet.github.io/Leaflet.heat/dist/leaflet-heat.js",
        "https://github.com/Leaflet/Leaflet.markercluster",
        "http://en.literateprograms.org/Quickhull_(Javascript",
        "http://jsperf.com/flag-nodes-in-power-hierarchy/2",
        "http://jsperf.com/for-loop-changing-length/6",
        "http://stackoverflow.com/questions/8455200/svg-animate-with-dynamically-added-elements",
        "https://en.wikipedia.org/wiki/Web_Mercator#Formulas",
        "https://github.com/jawj/OverlappingMarkerSpiderfier-Leaflet",
        "https://jakearchibald.com/2013/animated-line-drawing-svg/",
    }
)

_PLACEHOLDER = "coverage-asset:"
_VENDOR_OPEN = "/*<coverage-vendor>*/"
_VENDOR_CLOSE = "/*</coverage-vendor>*/"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        msg = (
            f"The offline map needs the package {package!r}, which is not installed. "
            "Install it (pip install xstatic-leaflet xstatic-jquery "
            "xstatic-leaflet-markercluster folium) or pass offline=False."
        )
        raise OfflineError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def _data_uri(path: Path) -> str:
    b64 = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{b64}"


@cache
def _asset_text(name: str) -> str:
    """Return the inline-ready text of one asset (with a provenance comment)."""
    asset = _ASSETS[name]
    path = _package_dir(asset.package) / asset.relpath
    if not path.is_file():
        msg = f"The offline map needs {path}, which is missing from {asset.package!r}."
        raise OfflineError(msg)
    text = path.read_text(encoding="utf-8")
    if asset.kind == "css":
        # Leaflet's control images are relative URLs: make them data URIs.
        def repl(m: re.Match[str]) -> str:
            target = path.parent / m.group(1)
            if not target.is_file():
                msg = f"{path} refers to {m.group(1)!r}, which has no local copy."
                raise OfflineError(msg)
            return f"url({_data_uri(target)})"

        text = re.sub(r"url\((?!['\"]?(?:data:|#))['\"]?([^'\")]+)['\"]?\)", repl, text)
    else:
        # A literal "</script" inside the code would end the inline block.
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    note = f"/* Inlined from the installed package {asset.package} ({asset.relpath}); "
    note += f"{asset.licence}. */"
    return f"{_VENDOR_OPEN}\n{note}\n{text}\n{_VENDOR_CLOSE}"


def _leaflet_icon_fix() -> str:
    """Leaflet's default marker icons as data URIs (its path detection needs a URL)."""
    images = _package_dir("xstatic.pkg.leaflet") / "data" / "images"
    icon = _data_uri(images / "marker-icon.png")
    icon2x = _data_uri(images / "marker-icon-2x.png")
    shadow = _data_uri(images / "marker-shadow.png")
    return (
        "<script>L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions("
        f'{{iconUrl:"{icon}",iconRetinaUrl:"{icon2x}",shadowUrl:"{shadow}"}});</script>'
    )


def _walk(element: Any) -> list[Any]:
    out, stack = [], [element]
    while stack:
        el = stack.pop()
        out.append(el)
        stack.extend(getattr(el, "_children", {}).values())
    return out


def prepare_offline(root: Any) -> None:
    """Point every element's JS/CSS resources at local placeholders (in place).

    Only instance attributes are set; folium's class-level lists stay intact.

    Raises
    ------
    OfflineError
        If an element needs a resource with no local copy.
    """
    for el in _walk(root):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            kept = []
            for name, url in links:
                if name in _DROPPED:
                    continue
                if name not in _ASSETS:
                    msg = (
                        f"{type(el).__name__} needs {name!r} ({url}), which has no local copy: "
                        "an offline map cannot load it. Remove that element or pass offline=False."
                    )
                    raise OfflineError(msg)
                kept.append((name, _PLACEHOLDER + name))
            setattr(el, attr, kept)


_SCRIPT_TAG = re.compile(r"<script[^>]*\bsrc=\"([^\"]*)\"[^>]*>\s*</script>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link[^>]*\bhref=\"([^\"]*)\"[^>]*/?>", re.IGNORECASE)


def inline_assets(html: str) -> str:
    """Replace the placeholder tags left by :func:`prepare_offline` with inline code."""

    def script(m: re.Match[str]) -> str:
        url = m.group(1)
        if not url.startswith(_PLACEHOLDER):
            msg = f"The map loads a script from {url!r}, which has no local copy."
            raise OfflineError(msg)
        name = url[len(_PLACEHOLDER) :]
        out = f"<script>\n{_asset_text(name)}\n</script>"
        if name == "leaflet":
            out += _leaflet_icon_fix()
        return out

    def link(m: re.Match[str]) -> str:
        url = m.group(1)
        if not url.startswith(_PLACEHOLDER):
            msg = f"The map loads a stylesheet from {url!r}, which has no local copy."
            raise OfflineError(msg)
        return f"<style>\n{_asset_text(url[len(_PLACEHOLDER) :])}\n</style>"

    # Functions as replacements: the asset text is never read as a regex template.
    html = _SCRIPT_TAG.sub(script, html)
    return _LINK_TAG.sub(link, html)


_URL = re.compile(r"https?://[^\s\"'<>`)\\]*", re.IGNORECASE)
_TAG_REF = re.compile(
    r"""<[a-zA-Z][^>]*?\s(?:src|href|srcset|poster|background)\s*=\s*["']?(?!data:|\#)""",
    re.IGNORECASE,
)
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_CSS_REF = re.compile(r"""url\(\s*["']?(?!data:|\#)|@import""", re.IGNORECASE)


def check_offline(html: str) -> None:
    """Raise OfflineError if `html` could reach the network when opened.

    Outside the inlined third-party blocks no ``http(s)://`` may appear at all,
    and no ``src=``, ``href=``, CSS ``url()`` (other than data URIs) or
    ``@import``. Inside them only known inert URLs (licence comments, the SVG
    namespace, Leaflet's attribution link) are allowed.

    Examples
    --------
    >>> check_offline("<html><body><p>ok</p></body></html>")
    >>> check_offline('<script src="https://cdn.example/x.js"></script>')
    Traceback (most recent call last):
    ...
    coverage.render._offline.OfflineError: The map is not self-contained: ...
    """
    ours: list[str] = []
    vendor: list[str] = []
    pos = 0
    while True:
        start = html.find(_VENDOR_OPEN, pos)
        if start < 0:
            ours.append(html[pos:])
            break
        end = html.find(_VENDOR_CLOSE, start)
        if end < 0:
            ours.append(html[pos:])
            break
        ours.append(html[pos:start])
        vendor.append(html[start:end])
        pos = end + len(_VENDOR_CLOSE)
    problems: list[str] = []
    own = "\n".join(ours)
    problems += [f"URL {u!r}" for u in dict.fromkeys(_URL.findall(own))]
    hits = list(_TAG_REF.finditer(own))
    hits += [m for style in _STYLE_BLOCK.findall(own) for m in _CSS_REF.finditer(style)]
    for m in hits:
        snippet = m.string[max(0, m.start() - 20) : m.end() + 60].replace("\n", " ")
        problems.append(f"external reference near {snippet!r}")
    for block in vendor:
        problems += [
            f"URL {u!r} in inlined third-party code"
            for u in dict.fromkeys(_URL.findall(block))
            if u.rstrip(".,;") not in _INERT_URLS
        ]
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        msg = (
            f"The map is not self-contained: {shown}. Offline maps may not load anything "
            "from the network (pass offline=False to allow it)."
        )
        raise OfflineError(msg)
