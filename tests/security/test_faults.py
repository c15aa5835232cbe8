"""Faults, each against the real services: the system keeps its promises when Redis, a worker, SMTP
or the database fails (issue 7).

- Redis unreachable when a campaign is sent: here.
- A worker killed with SIGKILL mid-batch: tests/notices/test_delivery_worker.py
  (test_a_worker_killed_mid_campaign_and_restarted_neither_loses_nor_repeats_a_message, a real worker
  over Redis); the guard below keeps it marked and unskipped so that `make test` (CI) runs it.
- SMTP refusing connections: campaign email in tests/notices/test_delivery_channels.py
  (test_smtp_refusing_connections_is_retried_then_recorded_as_failed); return reminders, subscription
  confirmations and subscriber emails here.
- The database connection dropping in the middle of saving a return: here.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from notices.channels import RedisSendRecord
from notices.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    SubscriberEmail,
    SubscriberEmailStatus,
    Subscription,
    SubscriptionStatus,
)
from notices.services.notices import notice_create, notice_publish
from outbox.models import OutboxStatus
from tests.factories import local, make_action
from tests.notices.delivery_support import make_campaign, recover_later, row
from trusts.models import AuditEvent, DailyReturn, ReminderSent, ReminderStatus, ReturnRevision, TrustEmail
from trusts.services import returns as returns_service
from trusts.services.reminders import reminders_send_due

EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# --- Redis down when a campaign is sent ------------------------------------------------------------

@pytest.fixture
def worker(request, monkeypatch, settings):
    """A real Celery worker over the test Redis, sending through the recording test channel, which
    keeps its counts in Redis so that this process can see exactly what was sent."""
    url = django_settings.TEST_REDIS_URL
    for name, value in {"DELIVERY_CHANNEL": "test", "DELIVERY_REDIS_URL": url, "DELIVERY_RATE_PER_MINUTE": "600000",
                        "DELIVERY_CHUNK_SIZE": "2", "DELIVERY_TEST_CHANNEL_DELAY_MS": "0"}.items():
        monkeypatch.setenv(name, value)  # read by the worker when it starts
    settings.DELIVERY_CHANNELS = {"email": "test", "sms": "test", "letter": "test"}
    settings.DELIVERY_REDIS_URL = url
    settings.DELIVERY_RATE_PER_MINUTE = 600_000
    settings.DELIVERY_CHUNK_SIZE = 2
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return request.getfixturevalue("celery_worker_process")


def point_broker_at(url: str) -> None:
    from strikeops.celery import app
    from tests.conftest import _forget_connections

    app.conf.update(broker_url=url)
    _forget_connections(app)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_down_when_a_campaign_is_sent_nothing_is_lost_or_doubled(rwe, chris, worker, caplog) -> None:
    from notices.tasks import campaign_fan_out
    from outbox.tasks import outbox_recover

    record = RedisSendRecord(django_settings.TEST_REDIS_URL)
    record.clear()
    action = make_action(affected=["RWE"])
    campaign = make_campaign(rwe, chris, [row(i + 2, email=f"patient+{i}@example.com") for i in range(3)],
                             action=action)
    client = Client()
    client.force_login(chris)

    # The web machine cannot reach Redis: the request still succeeds and says the messages are going.
    point_broker_at(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        with caplog.at_level(logging.INFO):
            response = client.post(reverse("campaigns:campaign", args=["RWE", campaign.pk]),
                                   {"when": "now", "send": ""}, follow=True)
    finally:
        point_broker_at(django_settings.TEST_REDIS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sending 3 messages" in page
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    # Every message waits in the database, and none was sent.
    assert list(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == [
        DeliveryStatus.QUEUED] * 3
    assert record.totals() == ({}, {})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"notices.campaign_fan_out({campaign.pk}): Redis is unreachable" in logged
    assert not EMAIL_LIKE.search(logged)

    # Redis is back: beat's recovery task (run through the broker, as beat does) queues them again.
    outbox_recover.delay().get(timeout=30)
    wait_for(lambda: Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENT).exists(), 30,
             "the campaign to finish once Redis is back")
    ids = set(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    assert record.totals()[1] == dict.fromkeys(ids, 1)  # each exactly once
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED}

    # The fan-out and recovery running again (a late broker message, the next beat tick) send nothing.
    assert campaign_fan_out.delay(campaign.pk).get(timeout=30) == 0
    outbox_recover.delay().get(timeout=30)
    assert record.totals()[1] == dict.fromkeys(ids, 1)


# --- A worker killed with SIGKILL mid-batch --------------------------------------------------------

def test_the_sigkill_worker_test_is_kept_and_runs_in_ci() -> None:
    """Issue 7's SIGKILL fault is proven by the delivery engineer's real-worker test; this keeps it
    from being renamed away, unmarked (the worker marker is what CI selects it by) or skipped."""
    from tests.notices import test_delivery_worker as module

    test = module.test_a_worker_killed_mid_campaign_and_restarted_neither_loses_nor_repeats_a_message
    marks = {mark.name for mark in getattr(module, "pytestmark", [])} | {
        mark.name for mark in getattr(test, "pytestmark", [])}
    assert "worker" in marks and "django_db" in marks
    assert not marks & {"skip", "skipif", "xfail"}


# --- SMTP refusing connections ---------------------------------------------------------------------

@pytest.fixture
def smtp_refusing() -> Iterator[None]:
    """Django's SMTP backend pointed at a port where nothing listens: every connection is refused."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=closed_port(), EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_TIMEOUT=2,
                           EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD=""):
        yield


@pytest.mark.django_db
def test_return_reminders_wait_out_a_refused_connection_and_fail_only_after_the_last_attempt(
        ada, tom, smtp_refusing, settings, django_capture_on_commit_callbacks) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 2
    make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))], affected=["RWE", "RX1"])
    with django_capture_on_commit_callbacks(execute=True):
        run = reminders_send_due(now=local(2023, 4, 12, 9, 0))
    # Every trust that owes the return was tried (one refusal does not stop the others); each email is an
    # outbox row waiting for a retry, and the reminder stays, so the next run writes no second one.
    assert run.claimed == 2
    emails = TrustEmail.objects.filter(reminder__trust__ods_code__in=["RWE", "RX1"])
    assert {e.status for e in emails} == {OutboxStatus.AWAITING_RETRY}
    assert {r.status for r in ReminderSent.objects.filter(trust__ods_code__in=["RWE", "RX1"])} == {
        ReminderStatus.CLAIMED}
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_due(now=local(2023, 4, 12, 9, 15)).claimed == 0
    recover_later(settings.DELIVERY_RETRY_MAX_SECONDS)  # the last attempt, refused too
    failed = ReminderSent.objects.filter(trust__ods_code__in=["RWE", "RX1"])
    assert {r.status for r in failed} == {ReminderStatus.FAILED}
    assert all("refused" in r.error.lower() and "gave up after 2 attempts" in r.error for r in failed)


def test_a_subscription_request_when_smtp_refuses_records_it_and_sends_the_link_once_the_server_is_back(
        client, rwe, smtp_refusing, django_capture_on_commit_callbacks, caplog, settings) -> None:
    subscribe = reverse("notices:subscribe", args=["RWE"])
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(subscribe, {"email": "reader@example.org"})
    assert response.status_code == 302 and response.url == reverse("notices:subscribe_sent", args=["RWE"])
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.PENDING
    email = SubscriberEmail.objects.get()  # the confirmation link is an outbox row: recorded, to be retried
    assert (email.status, email.failure_reason) == (
        SubscriberEmailStatus.AWAITING_RETRY, "Could not reach the mail server (ConnectionRefusedError)")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ConnectionRefusedError" in logged and "reader@example.org" not in logged

    # The mail server is back: the recovery task sends the link after the back-off, once.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        recover_later(settings.DELIVERY_RETRY_BASE_SECONDS)
        recover_later(settings.DELIVERY_RETRY_MAX_SECONDS)
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]
    assert SubscriberEmail.objects.get().status == SubscriberEmailStatus.SENT


@pytest.mark.django_db
def test_subscriber_emails_retry_a_refused_connection_then_record_the_failure(
        rwe, chris, smtp_refusing, django_capture_on_commit_callbacks, settings) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 3
    Subscription.objects.create(trust=rwe, email="reader@example.org", status=SubscriptionStatus.CONFIRMED,
                                confirmation_sent_at=timezone.now(), confirmed_at=timezone.now())
    notice = notice_create(trust=rwe, user=chris, title="Visiting", body="Open as usual.",
                           what_to_do="Attend unless contacted.")
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(notice=notice, user=chris)  # fans out and sends in-process (eager tasks)
    for attempt in (1, 2):
        recover_later(settings.DELIVERY_RETRY_MAX_SECONDS * attempt)  # the due-retry sweep
    email = SubscriberEmail.objects.get()
    assert (email.status, email.attempts) == (SubscriberEmailStatus.PERMANENT_FAILURE, 3)
    assert "ConnectionRefusedError" in email.failure_reason and "reader@example.org" not in email.failure_reason
    assert mail.outbox == []


# --- The database connection dropping mid-request --------------------------------------------------

DETAIL = "/returns/RWE/junior-doctors-april-2023/2023-04-12/"
FIGURES = {"staff_absent": "700", "staff_due": "1,200", "elective_rescheduled": "40",
           "outpatient_rescheduled": "500", "community_rescheduled": "10", "mental_health_rescheduled": "0",
           "elective_planned": "", "outpatient_planned": ""}


def terminate_this_connection() -> None:
    """Kill this process's database session from a second connection, as a failover or a network
    cut would: the next statement on it fails with OperationalError."""
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                         password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def at_noon_on_the_12th(monkeypatch):
    monkeypatch.setattr("trusts.clock.now", lambda: local(2023, 4, 12, 12))


def _submit_through_the_form(client: Client, figures: dict[str, str], version: int, **extra: str) -> Any:
    response = client.post(DETAIL + "edit/", {**figures, "version": str(version), "continue": "", **extra})
    assert response.status_code == 302 and response["Location"] == DETAIL + "check/", response.content.decode()[:2000]
    return client.post(DETAIL + "check/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cut_after", ["_create", "_write"])
def test_the_database_connection_dropping_mid_save_leaves_no_half_saved_return(
        ada, at_noon_on_the_12th, monkeypatch, cut_after) -> None:
    """First submission (cut after the DailyReturn INSERT) and revision (cut after its UPDATE, before
    the ReturnRevision and the audit event): either everything is committed or nothing is."""
    make_action(affected=["RWE", "RX1"])
    client = Client()
    client.force_login(ada)
    version = 0
    if cut_after == "_write":
        assert _submit_through_the_form(client, FIGURES, 0).status_code == 302
        version = DailyReturn.objects.get().version
    before = {
        "returns": list(DailyReturn.objects.values_list("pk", "version", "staff_absent")),
        "revisions": ReturnRevision.objects.count(),
        "audit": AuditEvent.objects.filter(event__startswith="return.").count(),
    }
    original = getattr(returns_service, cut_after)

    def write_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
        saved = original(*args, **kwargs)
        terminate_this_connection()
        return saved

    monkeypatch.setattr(returns_service, cut_after, write_then_lose_the_database)
    client.raise_request_exception = False
    response = _submit_through_the_form(client, {**FIGURES, "staff_absent": "650"}, version,
                                        reason="Corrected count")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page and "nhsuk-header" in page

    connection.close()  # the killed session; the next query opens a new one
    assert list(DailyReturn.objects.values_list("pk", "version", "staff_absent")) == before["returns"]
    assert ReturnRevision.objects.count() == before["revisions"]
    assert AuditEvent.objects.filter(event__startswith="return.").count() == before["audit"]


# --- Error pages: NHS.UK styled, and the 500 page needs nothing that may have failed ------------------

@pytest.mark.django_db
def test_the_404_page_is_an_nhs_page(client) -> None:
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found - strikeops - NHS</title>" in page and "nhsuk-header" in page
    assert "If you typed the web address, check it was correct." in page


@pytest.mark.django_db
def test_the_403_page_is_an_nhs_page(rf, ada) -> None:
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = ada
    response = permission_denied(request, PermissionDenied())
    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>You cannot do this - strikeops - NHS</title>" in page and "nhsuk-header" in page


@pytest.mark.django_db
def test_the_500_page_is_an_nhs_page_that_needs_no_database(rf, django_assert_num_queries) -> None:
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "<title>Sorry, there is a problem with the service - strikeops - NHS</title>" in page
    assert "nhsuk-header" in page and "nhsuk-footer" in page and "Try again later." in page
