"""Password spraying is limited per client IP across addresses, with a ceiling on the audit rows it
can cause (trusts/sign_in_limits.py); a password reset lifts that user's lock-out and answers in the
same time for known and unknown addresses (trusts/services/password_reset.py)."""

from __future__ import annotations

import statistics
import time

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, email: str, password: str, ip: str = "10.0.0.9"):
    return client.post("/sign-in/", {"username": email, "password": password}, REMOTE_ADDR=ip)


@override_settings(SIGN_IN_IP_FAILURE_LIMIT=10)
def test_one_ip_trying_many_addresses_is_stopped_and_its_audit_rows_are_capped(client, ada) -> None:
    answers = [sign_in(client, f"person{i}@example.nhs.uk", "Spring2026!").status_code for i in range(40)]
    assert answers[:10] == [200] * 10  # the form again, "not correct"
    assert set(answers[10:]) == {429}
    # Even the right password for a real account is refused from that IP for now...
    locked = sign_in(client, ada.email, PASSWORD)
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    # ...but not from another IP.
    assert sign_in(client, ada.email, PASSWORD, ip="10.0.0.77").status_code == 302
    rows = AuditEvent.objects.filter(event__in=["auth.sign_in_failed", "auth.locked_out"], ip_address="10.0.0.9")
    assert rows.count() == 10


def test_the_per_ip_limit_is_higher_than_the_per_address_one(settings) -> None:
    assert settings.SIGN_IN_IP_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    assert settings.AXES_HANDLER == "trusts.sign_in_limits.SprayLimitingHandler"


def test_a_password_reset_lifts_the_lock_out(
        client, ada, mailoutbox, django_capture_on_commit_callbacks) -> None:
    for _ in range(5):
        sign_in(client, ada.email, "wrong-guess")
    assert sign_in(client, ada.email, PASSWORD).status_code == 429
    with django_capture_on_commit_callbacks(execute=True):  # the email is queued after the commit
        client.post("/password-reset/", {"email": ada.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    assert link.startswith("https://strikeops.test/password-reset/")  # made in the worker from SITE_URL
    form_url = client.get(link.split("strikeops.test", 1)[1], follow=True).redirect_chain[-1][0]
    new = "a brand new passphrase 7"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert sign_in(client, ada.email, new).status_code == 302


def test_the_reset_request_does_the_same_work_for_known_and_unknown_addresses(
        client, ada, monkeypatch, mailoutbox, django_assert_num_queries) -> None:
    from trusts import tasks

    queued: list[str] = []
    monkeypatch.setattr(tasks.send_password_reset, "delay_on_commit", lambda email: queued.append(email))
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(15):
        for kind, email in (("known", ada.email), ("unknown", "nobody@example.nhs.uk")):
            started = time.perf_counter()
            response = client.post("/password-reset/", {"email": email})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 302
    with django_assert_num_queries(0):  # no account lookup in the request at all
        client.post("/password-reset/", {"email": ada.email})
    assert mailoutbox == [] and queued.count(ada.email) == 16 and queued.count("nobody@example.nhs.uk") == 15
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    assert abs(known - unknown) < 0.01, (known, unknown)
