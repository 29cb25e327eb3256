"""Check the built site offline: every internal link and anchor resolves, nothing loads remotely.

Run after the HTML build::

    python -m sphinx -W -b html docs docs/_build/html
    python docs/check_links.py docs/_build/html

It reads every ``.html`` page and checks that

- each relative ``href``/``src`` points at a file of the site, and each ``#fragment`` at an
  ``id`` of that page (Sphinx's own checks miss hand-written Markdown anchors and raw HTML);
- no page loads a script, style sheet, font or image from the network (links *to* other sites
  are allowed: they are only followed when a reader clicks them).

Exit status 0 when all is well, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Tags whose URL the browser loads by itself (as opposed to links a reader follows).
_LOADED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")}


class _Page(HTMLParser):
    """Collect the ids and the (tag, attribute, URL) references of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and tag != "meta":
                self.ids.add(value)
            if name in ("href", "src"):
                self.refs.append((tag, name, value))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def check(site: Path) -> list[str]:
    """Return the problems found in the built site at ``site``."""
    files = [p for p in sorted(site.rglob("*.html")) if "_static" not in p.relative_to(site).parts]
    pages = {p.resolve(): _parse(p) for p in files}
    problems: list[str] = []
    for path, page in pages.items():
        where = path.relative_to(site.resolve())
        for tag, attr, url in page.refs:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if (tag, attr) in _LOADED:
                    problems.append(f"{where}: <{tag} {attr}> loads {url} from the network")
                continue
            if parts.scheme in ("mailto", "data", "javascript"):
                continue
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{where}: broken link {url!r}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: {url!r}: no anchor #{parts.fragment}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the site given on the command line (default docs/_build/html)."""
    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0] if args else Path(__file__).parent / "_build" / "html")
    if not (site / "index.html").is_file():
        print(f"{site}: no built site here (build it with sphinx first)", file=sys.stderr)
        return 1
    problems = check(site)
    n = sum(1 for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    for p in problems:
        print(p)
    print(f"{n} pages, {len(problems)} link problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
