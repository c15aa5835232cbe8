"""Finds markup that a strict Content-Security-Policy (no 'unsafe-inline') would break or block:
inline <script> and <style>, style="" attributes, on*="" handlers and javascript: URLs."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]} <{tag}>"
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append(f"{where}: inline script")
        if tag == "style":
            self.problems.append(f"{where}: <style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"{where}: style attribute {value!r}")
            if name.startswith("on"):
                self.problems.append(f"{where}: event handler attribute {name}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"{where}: javascript: URL")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


# Template syntax that reached the page: a multi-line {# #} comment, a tag or variable written wrong.
_TEMPLATE_SYNTAX = ("{#", "#}", "{%", "{{")
# A Python None rendered as a value: the whole text of an element, or an attribute's value.
_NONE_VALUE = re.compile(r">\s*None\s*<|=\s*\"None\"")
_ALL_RECEIVED = "Every expected return has been received"
_COMPLETENESS_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _visible_text(html: str) -> str:
    # Script and style bodies are not shown; JSON in a <script type="application/json"> may hold braces.
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S | re.I)


def _completeness_missing(html: str) -> list[int]:
    """The Missing column (5th) of the returns-received table (id="completeness"), as numbers."""
    match = re.search(r'<table[^>]*id="completeness".*?</table>', html, re.S)
    if not match:
        return []
    missing = []
    for row in _COMPLETENESS_ROW.findall(match.group(0)):
        cells = _CELL.findall(row)
        if len(cells) >= 5:
            text = _TAG.sub(" ", cells[4]).split()
            if text and text[0].replace(",", "").isdigit():
                missing.append(int(text[0].replace(",", "")))
    return missing


def untrue_text(html: str) -> list[str]:
    """What a page must never show: template syntax, a rendered None, or a sentence that its table denies."""
    shown = _visible_text(html)
    problems = [f"template syntax {token!r} in the page" for token in _TEMPLATE_SYNTAX if token in shown]
    nones = list(_NONE_VALUE.finditer(shown))
    if nones:
        start = max(nones[0].start() - 80, 0)
        problems.append(f"a Python None shown as a value ({len(nones)} times), first: "
                        f"...{shown[start:nones[0].end() + 20]!r}")
    missing = sum(_completeness_missing(html))
    if missing and _ALL_RECEIVED in shown:
        problems.append(f"says '{_ALL_RECEIVED}' beside a table with {missing} missing")
    return problems
