"""`{% load pagination %}{% pagination page %}`: NHS.UK pagination for a Django Page (numbered pages)
or for a keyset page (`page.newer` and `page.older` cursors, None at an end: the audit log), written by
one template, includes/pagination.html. The links are made here, with Django's own `{% querystring %}`
(the current query string kept: filters stay; only the page or cursor parameters change), because a
template cannot assign that tag's result to a variable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.core.paginator import Page
from django.template.defaulttags import querystring

register = template.Library()


@dataclass(frozen=True)
class PageLink:
    """A "previous" or "next" link: where it goes, its title (empty: "Previous page" / "Next page"
    with the visually hidden "page") and, for numbered pages, "Page 2 of 5"."""

    href: str
    title: str = ""
    page_text: str = ""


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context: template.Context, page: Any, fragment: str = "", newer_label: str = "",
               older_label: str = "") -> dict[str, PageLink | None]:
    """The links of `page`: a Django Page (with `fragment`, the links return to that element, a
    table lower down the page, rather than the top) or a keyset page (`newer_label` and
    `older_label` title its links). No links at all when there is only one page."""
    if isinstance(page, Page):
        anchor = f"#{fragment}" if fragment else ""
        pages = page.paginator.num_pages

        def numbered(number: int) -> PageLink:
            return PageLink(href=querystring(context, page=number) + anchor, page_text=f"Page {number} of {pages}")

        return {"previous": numbered(page.previous_page_number()) if page.has_previous() else None,
                "next": numbered(page.next_page_number()) if page.has_next() else None}
    return {
        "previous": PageLink(querystring(context, after=page.newer, before=None, page=None), newer_label)
        if page.newer else None,
        "next": PageLink(querystring(context, before=page.older, after=None, page=None), older_label)
        if page.older else None,
    }
