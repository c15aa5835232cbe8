"""Turn HTML into a canonical tree so markup can be compared regardless of formatting.

What is ignored: whitespace at the edges of text and runs of whitespace inside it,
attribute order, and the order of class names (none of these change what a browser or
screen reader gets). Everything else, including the order of elements, the order of ids
in aria-describedby and every attribute value, must match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: tuple[tuple[str, str], ...]
    children: list[Element | str] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        return dict(self.attrs).get(name)

    def has_class(self, name: str) -> bool:
        return name in (self.attr("class") or "").split()


def _canonical_attrs(attrs: list[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    result = []
    for name, value in attrs:
        value = "" if value is None else value
        if name == "class":
            value = " ".join(sorted(value.split()))
        result.append((name, value))
    return tuple(sorted(result))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", ())
        self.stack: list[Element] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, _canonical_attrs(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, _canonical_attrs(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if self.stack[-1].tag != tag:
            raise ValueError(f"Mismatched </{tag}>; open element is <{self.stack[-1].tag}>")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.stack[-1].children.append(text)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    if len(builder.stack) != 1:
        raise ValueError(f"Unclosed <{builder.stack[-1].tag}>")
    # Adjacent text (split by comments or entities) is one text node to a browser.
    _merge_text(builder.root)
    return builder.root


def _merge_text(element: Element) -> None:
    merged: list[Element | str] = []
    for child in element.children:
        if isinstance(child, str) and merged and isinstance(merged[-1], str):
            merged[-1] = f"{merged[-1]} {child}"
        else:
            merged.append(child)
        if isinstance(child, Element):
            _merge_text(child)
    element.children = merged


def pretty(node: Element | str, indent: int = 0) -> str:
    """One line per node, for readable assertion diffs."""
    pad = "  " * indent
    if isinstance(node, str):
        return f"{pad}{node}\n"
    if node.tag == "#root":
        return "".join(pretty(child, indent) for child in node.children)
    attrs = "".join(f' {name}="{value}"' for name, value in node.attrs)
    out = f"{pad}<{node.tag}{attrs}>\n"
    out += "".join(pretty(child, indent + 1) for child in node.children)
    if node.tag not in VOID_ELEMENTS:
        out += f"{pad}</{node.tag}>\n"
    return out


def normalise(html: str) -> str:
    return pretty(parse(html))


def find(node: Element, tag: str, css_class: str | None = None) -> Element:
    """The first element (depth first) with this tag and class."""
    for child in node.children:
        if isinstance(child, Element):
            if child.tag == tag and (css_class is None or child.has_class(css_class)):
                return child
            try:
                return find(child, tag, css_class)
            except LookupError:
                pass
    raise LookupError(f"No <{tag} class={css_class!r}>")


def without_attrs(node: Element, *names: str) -> Element:
    """A copy of the subtree with some attributes dropped everywhere in it."""
    return Element(
        node.tag,
        tuple((n, v) for n, v in node.attrs if n not in names),
        [child if isinstance(child, str) else without_attrs(child, *names) for child in node.children],
    )


def replace_attr(node: Element, name: str, old: str, new: str) -> Element:
    """A copy of the subtree with one attribute value swapped wherever it occurs."""
    return Element(
        node.tag,
        tuple((n, new if (n == name and v == old) else v) for n, v in node.attrs),
        [child if isinstance(child, str) else replace_attr(child, name, old, new) for child in node.children],
    )
