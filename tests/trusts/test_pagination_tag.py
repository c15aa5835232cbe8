"""{% pagination %}: one NHS.UK pagination template for numbered and keyset pages, with the links
made by Django's own {% querystring %} (filters kept, only the page or cursor changed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.template import RequestContext, Template
from django.test import RequestFactory


@dataclass
class Keyset:
    newer: str | None
    older: str | None


def render(page: object, query: str = "", **options: str) -> str:
    request = RequestFactory().get(f"/list/{query}")
    arguments = " ".join(f'{name}="{value}"' for name, value in options.items())
    template = Template("{% load pagination %}{% pagination page " + arguments + " %}")
    return template.render(RequestContext(request, {"page": page}))


def links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in re.findall(r'href="([^"]*)" rel="(prev|next)"', html)}


def test_numbered_pages_keep_the_filters_and_say_which_page() -> None:
    pages = Paginator(range(120), 50)
    first = render(pages.page(1), "?region=Y60&page=1")
    assert links(first) == {"next": "?region=Y60&page=2"}
    assert "Page 2 of 3" in first and "Previous" not in first
    middle = render(pages.page(2), "?region=Y60&page=2", fragment="trusts-page")
    assert links(middle) == {"prev": "?region=Y60&page=1#trusts-page", "next": "?region=Y60&page=3#trusts-page"}
    assert 'Next<span class="nhsuk-u-visually-hidden"> page</span>' in middle
    last = render(pages.page(3))
    assert links(last) == {"prev": "?page=2"} and "Page 2 of 3" in last


def test_one_page_writes_no_navigation() -> None:
    assert render(Paginator(range(3), 50).page(1)).strip() == ""
    assert render(Keyset(newer=None, older=None)).strip() == ""


def test_keyset_pages_move_by_cursor_and_drop_the_other_cursor() -> None:
    html = render(Keyset(newer="n1", older="o1"), "?event=auth.login&before=x9&page=4",
                  newer_label="Newer events", older_label="Older events")
    assert links(html) == {"prev": "?event=auth.login&after=n1", "next": "?event=auth.login&before=o1"}
    assert ">Newer events</span>" in html and ">Older events</span>" in html
    assert "Page " not in html
    assert links(render(Keyset(newer=None, older="o2"))) == {"next": "?before=o2"}
