"""Reopening one trust's locked returns: the service rules and the manager page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import local, make_action
from trusts.models import AuditEvent, ReturnReopening, Trust
from trusts.services.reopenings import (
    ReopeningRefused,
    default_reopening_closes_at,
    open_reopenings,
    reopening_close,
    returns_reopen,
)

pytestmark = pytest.mark.django_db

# April 2023's returns lock at the end of Friday 21 April 2023.
AFTER_CLOSE = local(2023, 5, 2, 10)


def test_default_end_is_the_end_of_the_second_working_day() -> None:
    # From Friday 28 April 2023: Tuesday 2 May is the first (Monday 1 May is a bank holiday), Wednesday 3 May
    # the second; the reopening ends at midnight after it.
    assert default_reopening_closes_at(local(2023, 4, 28, 15)) == local(2023, 5, 4, 0)


def test_reopen_records_who_why_and_until_when(nia, rwe) -> None:
    action = make_action()
    reopening = returns_reopen(action=action, trust=rwe, user=nia, reason="Wrong day entered", now=AFTER_CLOSE)
    assert (reopening.reopened_by, reopening.reason) == (nia, "Wrong day entered")
    assert reopening.closes_at == local(2023, 5, 5, 0)  # end of Thursday 4 May
    assert list(open_reopenings(now=AFTER_CLOSE)) == [reopening]
    event = AuditEvent.objects.get(event="returns.reopened")
    assert (event.trust, event.actor) == (rwe, nia)


def test_a_reason_is_required_and_the_action_must_be_locked(nia, rwe) -> None:
    action = make_action()
    with pytest.raises(ReopeningRefused) as caught:
        returns_reopen(action=action, trust=rwe, user=nia, reason="  ", now=AFTER_CLOSE)
    assert caught.value.message_dict["reason"] == ["Enter why the returns are being reopened"]
    with pytest.raises(ReopeningRefused) as caught:
        returns_reopen(action=action, trust=rwe, user=nia, reason="x", now=local(2023, 4, 21, 23))
    assert "not locked yet (they lock at the end of 21 April 2023)" in caught.value.messages[0]
    with pytest.raises(ReopeningRefused) as caught:
        returns_reopen(action=action, trust=rwe, user=nia, reason="x", now=AFTER_CLOSE,
                       closes_at=local(2023, 5, 1, 0))
    assert caught.value.message_dict["closes_at"] == ["The reopening must end in the future"]
    assert not ReturnReopening.objects.exists()


def test_one_open_reopening_per_trust_and_closing_it_early(nia, rwe) -> None:
    action = make_action()
    first = returns_reopen(action=action, trust=rwe, user=nia, reason="x", now=AFTER_CLOSE)
    with pytest.raises(ReopeningRefused, match="already reopened until 00:00 on 5 May 2023"):
        returns_reopen(action=action, trust=rwe, user=nia, reason="again", now=AFTER_CLOSE)
    reopening_close(reopening=first, user=nia, now=AFTER_CLOSE + dt.timedelta(hours=1))
    assert not open_reopenings(now=AFTER_CLOSE + dt.timedelta(hours=2)).exists()
    with pytest.raises(ReopeningRefused, match="already ended"):
        reopening_close(reopening=first, user=nia)
    # Closed, so it may be reopened again.
    returns_reopen(action=action, trust=rwe, user=nia, reason="again", now=AFTER_CLOSE + dt.timedelta(hours=2))
    assert AuditEvent.objects.filter(event="returns.reopening_closed").count() == 1


def _post_reopen(user, action, ods_code: str, reason: str = "Figures for 12 April were typed twice"):
    client = Client()
    client.force_login(user)
    return client.post(reverse("actions:reopen", args=[action.slug]), {
        "trust": ods_code, "reason": reason, "closes_on-day": "", "closes_on-month": "", "closes_on-year": ""})


def test_regional_managers_reopen_only_trusts_in_their_region(morgan, sam, nia) -> None:
    action = make_action()  # April 2023: long locked
    response = _post_reopen(sam, action, "RWE")
    assert response.status_code == 200
    assert "Select a trust in your region" in response.content.decode()
    assert not ReturnReopening.objects.exists()
    response = _post_reopen(morgan, action, "RWE")
    assert response.status_code == 302
    assert ReturnReopening.objects.get().trust.ods_code == "RWE"
    london_trust = Trust.objects.filter(icb__region__code="Y56").first()
    assert london_trust is not None
    assert _post_reopen(nia, action, london_trust.ods_code).status_code == 302


def test_the_page_requires_a_reason_and_the_detail_lists_open_reopenings(morgan, sam) -> None:
    action = make_action()
    response = _post_reopen(morgan, action, "RWE", reason="")
    assert "Enter why you are reopening the returns" in response.content.decode()
    _post_reopen(morgan, action, "RWE")
    client = Client()
    client.force_login(morgan)
    html = client.get(reverse("actions:detail", args=[action.slug])).content.decode()
    assert "Figures for 12 April were typed twice" in html
    # Sam (London) cannot see or close Leicester's reopening.
    client.force_login(sam)
    assert "Figures for 12 April" not in client.get(reverse("actions:detail", args=[action.slug])).content.decode()
    reopening = ReturnReopening.objects.get()
    url = reverse("actions:reopening_close", args=[action.slug, reopening.pk])
    assert client.post(url).status_code == 404
    client.force_login(morgan)
    assert client.post(url).status_code == 302
    reopening.refresh_from_db()
    assert reopening.closed_early_at is not None


def test_trust_staff_cannot_reopen(ada) -> None:
    action = make_action()
    assert _post_reopen(ada, action, "RWE").status_code == 404
    assert not ReturnReopening.objects.exists()
