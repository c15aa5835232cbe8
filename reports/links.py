"""Links to a report page per area or trust code, built once per table rather than once per row: a
reverse() costs about as much as writing the rest of a row, and the action page links about 100 rows."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# Stands in for an area's or trust's code in the one reversed URL (codes are letters and digits).
CODE_PLACEHOLDER = "CODE-PLACEHOLDER"


def links_by_code(url_name: str, action_slug: str) -> Callable[[str], str]:
    """code -> the URL of `url_name` (a report page taking the action's slug and a code) for that
    code, exactly as reverse(url_name, args=[action_slug, code]) writes it."""
    before, after = reverse(url_name, args=[action_slug, CODE_PLACEHOLDER]).split(CODE_PLACEHOLDER)
    return lambda code: f"{before}{code}{after}"
