"""Signing a trust's return off: a second person at the trust confirms the submitted figures.

Only for actions declared with `requires_sign_off`. The signer is a trust administrator of the
return's trust other than the person who last submitted or revised it (the database refuses the
same person too, constraint return_sign_off_by_second_person). A revision clears the sign-off
(trusts.services.returns.return_submit and the import), so a signed-off return always carries the
figures that were signed off."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trusts import clock
from trusts.dates import formatted
from trusts.models import DailyReturn, ReturnStatus, User
from trusts.scoping import trusts_returns_editable
from trusts.services.audit import audit_record
from trusts.services.returns import ReturnConflict, ReturnError


class SignOffRefused(ReturnError):
    """The return cannot be signed off by this person now; the message says why."""

    api_status, api_code = 422, "refused"


def sign_off_refusal(*, daily_return: DailyReturn, user: User) -> str | None:
    """Why `user` may not sign this return off, in words for the page; None if they may."""
    if not daily_return.action.requires_sign_off:
        return f"Returns for {daily_return.action.name} do not need signing off."
    if daily_return.status != ReturnStatus.SUBMITTED:
        return "Only a submitted return can be signed off."
    if daily_return.signed_off_at is not None:
        return "This return has already been signed off."
    if not trusts_returns_editable(user).filter(pk=daily_return.trust_id).exists():
        return "Only a trust administrator of this trust can sign its returns off."
    if daily_return.submitted_by_id == user.pk:
        return ("You submitted the figures now in this return, so a second person at your trust must sign it "
                "off.")
    return None


def return_sign_off(*, daily_return: DailyReturn, user: User, expected_version: int | None = None,
                    request: Any = None) -> DailyReturn:
    """Sign the return off as it stands. `expected_version` is the version the signer read: a return
    revised since is refused (ReturnConflict), never signed off unseen."""
    with transaction.atomic():
        current = (DailyReturn.objects.select_for_update(of=("self",)).select_related("action", "trust")
                   .get(pk=daily_return.pk))
        if expected_version is not None and current.version != expected_version:
            raise ReturnConflict(current, {})
        refusal = sign_off_refusal(daily_return=current, user=user)
        if refusal:
            raise SignOffRefused(refusal)
        now = clock.now()
        DailyReturn.objects.filter(pk=current.pk, version=current.version).update(
            signed_off_at=now, signed_off_by=user, updated_at=now)
        current.signed_off_at, current.signed_off_by = now, user
        audit_record(event="return.signed_off", actor=user, trust=current.trust, target=current, request=request,
                     summary=(f"{current.trust.ods_code} return for {formatted(current.date, 'date')} "
                              f"({current.action.name}) signed off"),
                     details={"action": current.action.slug, "date": current.date.isoformat(),
                              "version": current.version, "submitted_by": current.submitted_by_id})
    return current
