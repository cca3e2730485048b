"""Writes the nginx snippet that lets the exported pages' inline scripts run under the CSP.

Reflex's static export puts small inline scripts in every page (the colour-mode switch,
React Router's context and route imports, React's streaming helpers). Rather than
allowing 'unsafe-inline', the Content-Security-Policy names each one by its SHA-256 hash.
The hashes change with every build, so this runs right after `reflex export`:

    python3 deploy/csp_script_hashes.py .web/build/client > csp-script-hashes.conf

Standard library only: it runs in the image build and in the tests alike.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from html.parser import HTMLParser
from pathlib import Path


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._inside = []

    def handle_data(self, data: str) -> None:
        if self._inside is not None:
            self._inside.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside is not None:
            self.scripts.append("".join(self._inside))
            self._inside = None


def inline_script_hashes(site: Path) -> list[str]:
    """The CSP sources ('sha256-…') of every distinct inline script in the site's pages."""
    hashes: set[str] = set()
    for page in sorted(site.rglob("*.html")):
        parser = _InlineScripts()
        parser.feed(page.read_text(encoding="utf-8"))
        for script in parser.scripts:
            digest = hashlib.sha256(script.encode("utf-8")).digest()
            hashes.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(hashes)


def nginx_snippet(hashes: list[str]) -> str:
    return f'set $distokoloshe_script_hashes "{" ".join(hashes)}";\n'


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: csp_script_hashes.py SITE_DIR  (e.g. .web/build/client)")
    found = inline_script_hashes(Path(sys.argv[1]))
    if not found:
        sys.exit("no inline scripts found; is this a Reflex export?")
    sys.stdout.write(nginx_snippet(found))
