"""Plain text from an HTML-only e-mail, with quoted parts marked the way text mail marks them.

Only what a ticket needs: paragraphs and line breaks kept, list items dashed, scripts and
styles dropped, and ``<blockquote>`` content prefixed with "> " so the quote stripper treats
an HTML reply exactly like a plain-text one.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

_LINES: Final = frozenset(
    {"address", "article", "aside", "dd", "div", "dl", "dt", "figcaption", "footer", "form",
     "header", "li", "main", "nav", "section", "tbody", "td", "th", "thead", "tr"}
)  # fmt: skip
"""Elements that start a new line."""
_PARAGRAPHS: Final = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul"}
)
"""Elements set apart by a blank line."""
_SKIPPED: Final = frozenset({"script", "style", "head", "title", "template", "noscript"})
_SPACES: Final = re.compile(r"[ \t\r\n\f\v]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_depth = 0
        self._quote_depth = 0
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
            return
        self._boundary(tag)
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "li":
            self._write("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
            return
        self._boundary(tag)
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._boundary(tag)

    def _boundary(self, tag: str) -> None:
        if tag == "br":
            self._break(force=True)
        elif tag in _LINES:
            self._break()
        elif tag in _PARAGRAPHS:
            self._break()
            if self.lines and self.lines[-1]:
                self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            for index, part in enumerate(data.split("\n")):
                if index:
                    self._break(force=True)
                self._write(part)
            return
        self._write(_SPACES.sub(" ", data))

    def _write(self, text: str) -> None:
        if not text:
            return
        if not self._line:
            self._line_depth = self._quote_depth
            if not self._pre:
                text = text.lstrip()
                if not text:
                    return
        self._line.append(text)

    def _break(self, *, force: bool = False) -> None:
        if self._line or force:
            content = "".join(self._line).rstrip()
            prefix = "> " * self._line_depth
            self.lines.append(f"{prefix}{content}" if content or prefix else "")
            self._line = []

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (never raises on broken markup)."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return collector.text()
