"""reports.links.links_by_code: one reverse() per table, the same URLs as one reverse() per row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.links import links_by_code


@pytest.mark.parametrize("url_name, code", [
    ("reports:icb", "QHM"), ("reports:region", "Y60"), ("reports:trust", "RWE"), ("reports:trust", "R0A"),
])
def test_a_link_by_code_is_the_url_reverse_writes(url_name: str, code: str) -> None:
    slug = "junior-doctors-april-2023"
    assert links_by_code(url_name, slug)(code) == reverse(url_name, args=[slug, code])


def test_links_differ_by_code_and_action() -> None:
    icb = links_by_code("reports:icb", "first-action")
    assert icb("QHM") != icb("QWE")
    assert links_by_code("reports:icb", "second-action")("QHM") != icb("QHM")
