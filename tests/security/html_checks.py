"""Finds markup that a strict Content-Security-Policy (no 'unsafe-inline') would break or block:
inline <script> and <style>, style="" attributes, on*="" handlers and javascript: URLs."""

from __future__ import annotations

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
