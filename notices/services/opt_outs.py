"""Opting out of a trust's campaign messages: who a recipient is (as keyed hashes), the link in every
message, and recording the opt-out.

Every campaign message carries a link to /messages/stop/<token>/ (emails also carry RFC 8058
List-Unsubscribe headers pointing at its one-click address). The token names the recipient row and
is signed, so nobody can opt out someone else by guessing. Confirming records a MessagingOptOut for
each way the patient can be recognised (email, phone, NHS number, postal address, as far as their
list had them), for the campaign's trust: every later campaign of that trust, on every channel,
skips anyone who matches one of them.

Contact details are never stored in an opt-out, only HMAC-SHA256 hashes keyed with
MESSAGING_HASH_KEY: enough to recognise a patient in a later list, useless to a reader of the table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from notices.models import MessagingOptOut, OptOutKind, Recipient
from notices.models.templates import Channel as MessageChannel
from trusts.models import Trust
from trusts.services.audit import audit_record

LINK_SALT = "notices.opt-out"
# 60 bits of signature: the link must stay short enough for a text message, and nobody can try
# 2**60 addresses against the server.
TOKEN_SIGNATURE_CHARACTERS = 10


# --- Recognising a patient ----------------------------------------------------------------------

def _normalise_contact(kind: str, value: str) -> str:
    value = value.strip()
    if kind == OptOutKind.EMAIL:
        return value.lower()
    if kind == OptOutKind.ADDRESS:
        # "1 Infirmary Sq, Leicester LE1 5WW" and "1 INFIRMARY SQ|LEICESTER|LE15WW" are one address.
        return re.sub(r"[^a-z0-9]", "", value.lower())
    digits = re.sub(r"\D", "", value)
    # 07700 900123, +44 7700 900123 and 447700900123 are one number.
    if kind == OptOutKind.PHONE and digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def contact_hash(kind: str, value: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised email address, phone number, NHS number or address."""
    key = settings.MESSAGING_HASH_KEY.encode()
    return hmac.new(key, f"{kind}:{_normalise_contact(kind, value)}".encode(), hashlib.sha256).hexdigest()


def _contacts(*, email: str | None = None, phone: str | None = None, nhs_number: str | None = None,
              address_lines: Iterable[str] | None = None) -> list[tuple[str, str]]:
    address = "|".join(line for line in (address_lines or []) if line)
    pairs = ((OptOutKind.EMAIL, email), (OptOutKind.PHONE, phone), (OptOutKind.NHS_NUMBER, nhs_number),
             (OptOutKind.ADDRESS, address))
    return [(kind, value) for kind, value in pairs if value and value.strip()]


def opt_out_keys(*, email: str | None = None, phone: str | None = None, nhs_number: str | None = None,
                 address_lines: Iterable[str] | None = None) -> list[str]:
    """"kind:hash" for each contact detail given: what Recipient.opt_out_keys holds."""
    return [f"{kind}:{contact_hash(kind, value)}" for kind, value in _contacts(
        email=email, phone=phone, nhs_number=nhs_number, address_lines=address_lines)]


def recipient_keys(recipient: Recipient) -> list[str]:
    """The recipient's stored keys; for a recipient created before they were stored, computed now."""
    return list(recipient.opt_out_keys or opt_out_keys(
        email=recipient.email, phone=recipient.phone, nhs_number=recipient.nhs_number,
        address_lines=recipient.address_lines))


def opted_out_keys(*, trust_id: int, keys: Iterable[str]) -> set[str]:
    """Which of `keys` have opted out of this trust's messages (or every trust's): one query."""
    hashes = {key.partition(":")[2] for key in keys}
    if not hashes:
        return set()
    return {f"{kind}:{value_hash}" for kind, value_hash in MessagingOptOut.objects.filter(
        Q(trust_id=trust_id) | Q(trust__isnull=True), value_hash__in=hashes).values_list("kind", "value_hash")}


def opt_out_record(*, email: str | None = None, phone: str | None = None, nhs_number: str | None = None,
                   address_lines: Iterable[str] | None = None, keys: Iterable[str] = (),
                   trust: Trust | None = None, source: str = "") -> int:
    """Record that this patient wants no more messages from `trust`, or from any trust when trust is
    None: one row per contact detail given and per stored "kind:hash" key. Idempotent; returns how
    many new opt-outs were stored."""
    wanted = {*opt_out_keys(email=email, phone=phone, nhs_number=nhs_number, address_lines=address_lines),
              *keys}
    created = 0
    for key in sorted(wanted):
        kind, _, value_hash = key.partition(":")
        _, new = MessagingOptOut.objects.get_or_create(trust=trust, kind=kind, value_hash=value_hash,
                                                       defaults={"source": source[:40]})
        created += int(new)
    return created


# --- The link in every message ------------------------------------------------------------------

def _signature(recipient_id: int) -> str:
    digest = salted_hmac(LINK_SALT, str(recipient_id), algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_SIGNATURE_CHARACTERS]


def opt_out_token(recipient_id: int) -> str:
    return f"{recipient_id}-{_signature(recipient_id)}"


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


_STAND_IN = "0-standin"


@lru_cache(maxsize=16)
def _link_pattern(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The link's path around its token, reversed once per URL name and script prefix: the send loop
    builds two links per message, and reverse() was a fifth of its CPU (BENCHMARKS.md, "Message
    fan-out"). Tokens are digits, "-" and URL-safe base64, which reverse() leaves as they are."""
    before, _, after = reverse(name, args=[_STAND_IN], urlconf=urlconf).partition(_STAND_IN)
    return before, after


def _link(name: str, recipient_id: int) -> str:
    before, after = _link_pattern(name, get_script_prefix(), get_urlconf())
    return _absolute(f"{before}{opt_out_token(recipient_id)}{after}")


def opt_out_url(recipient_id: int) -> str:
    """The page a patient opens from a message (GET asks, POST confirms)."""
    return _link("campaigns:opt_out", recipient_id)


def one_click_url(recipient_id: int) -> str:
    """RFC 8058's List-Unsubscribe target: a mail client POSTs List-Unsubscribe=One-Click to it."""
    return _link("campaigns:opt_out_one_click", recipient_id)


def opt_out_footer(*, kind: str, trust_name: str, recipient_id: int) -> str:
    """The line every campaign message ends with. Short for a text message, where every character
    is paid for."""
    url = opt_out_url(recipient_id)
    if kind == MessageChannel.SMS:
        return f"Opt out: {url}"
    return f"If you do not want more messages like this from {trust_name}, go to {url}"


def recipient_for_opt_out(*, token: str) -> Recipient | None:
    """The recipient a link names, or None for a link that is not ours."""
    recipient_id, _, signature = token.partition("-")
    if not recipient_id.isdigit() or not constant_time_compare(signature, _signature(int(recipient_id))):
        return None
    return Recipient.objects.select_related("campaign__trust").filter(pk=int(recipient_id)).first()


def recipient_opted_out(*, recipient: Recipient) -> bool:
    return bool(opted_out_keys(trust_id=recipient.campaign.trust_id, keys=recipient_keys(recipient)))


def recipient_opt_out(*, recipient: Recipient, source: str, request: Any = None) -> int:
    """The patient confirmed: no more messages from this campaign's trust to any of their contact
    details. Returns how many new opt-outs were stored (0 when they had already opted out)."""
    campaign = recipient.campaign
    created = opt_out_record(keys=recipient_keys(recipient), trust=campaign.trust, source=source)
    if created:
        # No contact details: the audit log names the campaign and the line only.
        audit_record(event="messaging.opted_out", trust=campaign.trust, target=campaign, request=request,
                     summary=f"A recipient (line {recipient.line}) opted out of messages from {campaign.trust.name}",
                     details={"source": source, "line": recipient.line})
    return created
