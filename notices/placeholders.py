"""GOV.UK Notify-style ((placeholder)) personalisation: find, check and fill placeholders.

Values are inserted as plain text; escaping for HTML happens where the text is shown, never here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\(\(\s*([A-Za-z0-9_ ]+?)\s*\)\)")

# Placeholders the service fills from the trust's own figures; everything else must come from
# the recipient list (columns of the uploaded file).
TRUST_PLACEHOLDERS = (
    "trust_name", "action_name", "action_dates", "appointments_rescheduled", "procedures_rescheduled",
    "peak_staff_absent",
)


class MissingPlaceholders(ValueError):
    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("No value for " + ", ".join(f"(({name}))" for name in missing))


def normalise(name: str) -> str:
    """Notify matches placeholders to columns ignoring case and spaces: ((First Name)) = first_name."""
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def placeholders_in(*texts: str) -> list[str]:
    """Distinct placeholder names, normalised, in order of first appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER.finditer(text or ""):
            seen.setdefault(normalise(match.group(1)), None)
    return list(seen)


def render(text: str, values: Mapping[str, object]) -> str:
    """Fill every placeholder; raise MissingPlaceholders naming each one without a value."""
    lookup = {normalise(k): v for k, v in values.items()}
    missing = [name for name in placeholders_in(text) if lookup.get(name) in (None, "")]
    if missing:
        raise MissingPlaceholders(missing)
    return PLACEHOLDER.sub(lambda m: str(lookup[normalise(m.group(1))]), text)


def render_keeping_missing(text: str, values: Mapping[str, object]) -> tuple[str, list[str]]:
    """Render, leaving ((name)) visible for placeholders without a value (previews show them), and
    list those placeholders."""
    filled = {normalise(k): v for k, v in values.items() if v not in (None, "")}
    missing = [n for n in placeholders_in(text) if n not in filled]
    filled.update({n: f"(({n}))" for n in missing})
    return render(text, filled), missing


def one_line(text: str) -> str:
    """A subject line: every run of whitespace, line breaks included, becomes one space. Uploads
    refuse line breaks already; this keeps one from a trust's figures or an old list out of a mail
    header, where Django would refuse the whole message."""
    return " ".join(text.split())
