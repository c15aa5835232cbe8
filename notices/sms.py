"""Text message length and fragment count, as mobile networks (and GOV.UK Notify) bill them.

GSM 03.38: a message in the GSM 7-bit alphabet fits 160 characters in one part; a longer one is
split into parts of 153 (7 characters go on the concatenation header). Characters of the extension
table (for example [ ] { } and the euro sign) take an escape plus the character, so they count twice.
A single character outside both tables switches the whole message to UCS-2: 70 characters in one
part, 67 per part when split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The GSM 03.38 default alphabet (basic character set), excluding the escape to the extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


@dataclass(frozen=True)
class SmsLength:
    characters: int
    """Characters as the network counts them (extended GSM characters count twice)."""
    fragments: int
    encoding: str
    """"GSM-7" or "UCS-2"."""
    non_gsm: tuple[str, ...]
    """Characters that forced UCS-2, in order of first appearance (empty for GSM-7)."""

    @property
    def per_fragment(self) -> int:
        single, part = (GSM7_SINGLE, GSM7_PART) if self.encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
        return single if self.fragments <= 1 else part


def sms_length(text: str) -> SmsLength:
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED))
    if non_gsm:
        # UCS-2 counts UTF-16 code units: a character outside the Basic Multilingual Plane (most
        # emoji) takes two.
        characters = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    else:
        characters = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    if characters == 0:
        fragments = 0
    elif characters <= single:
        fragments = 1
    else:
        fragments = math.ceil(characters / part)
    return SmsLength(characters=characters, fragments=fragments, encoding=encoding, non_gsm=non_gsm)
