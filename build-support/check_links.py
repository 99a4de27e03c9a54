"""Every link inside a built HTML site leads somewhere: the file exists, and so does the
element its ``#fragment`` names (``./dev docs``, after Sphinx).

    python build-support/check_links.py docs/_build/html

Links to other sites are not followed (this machine reaches none); links to files of the
repository on GitHub are checked when the site is built (docs/_ext/fs_docs.py).
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag != "meta" else ():
            if values.get(key):
                self.ids.add(values[key] or "")
        for key in ("href", "src"):
            value = values.get(key)
            if value and tag in ("a", "link", "img", "script", "iframe"):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(errors="replace"))
    return page


def broken_links(site: Path) -> list[str]:
    """``'page.html: target'`` for each link that leads nowhere, in page order."""
    pages = {path.resolve(): _parse(path) for path in sorted(site.rglob("*.html"))}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # another site
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site.resolve())}: {link}"
            if not target.is_file():
                broken.append(where)
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no element of that id)")
    return broken


def main(argv: list[str]) -> int:
    site = Path(argv[0] if argv else "docs/_build/html")
    broken = broken_links(site)
    for message in broken:
        print(f"broken link: {message}", file=sys.stderr)
    print(f"{site}: {sum(1 for _ in site.rglob('*.html'))} pages, {len(broken)} broken links")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
