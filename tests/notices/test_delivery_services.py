"""Campaign delivery services with in-process tasks and the recording test channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import DataError, IntegrityError, transaction

from notices import tasks
from notices.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    MessagingOptOut,
    Recipient,
)
from notices.selectors.delivery import OUTCOME_HEADER, campaign_progress, deliveries_outcomes_csv
from notices.services import delivery as service
from notices.services import opt_outs
from notices.services.campaigns import campaign_start
from notices.services.delivery import CampaignError
from outbox import engine as outbox
from tests.factories import make_action, make_return
from tests.notices.delivery_support import (
    claim,
    email_rows,
    make_campaign,
    make_template,
    recover,
    row,
    run_task,
    send_one,
    settle,
    use_fast_delivery,
)
from trusts import clock
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_delivery(settings):
    yield from use_fast_delivery(settings)


def start_now(campaign, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return campaign_start(campaign=campaign, user=user)


def statuses(campaign: Campaign) -> dict[str, int]:
    return {k: v for k, v in campaign_progress(campaign)["counts"].items() if v}


def mark_sending(campaign: Campaign, now: dt.datetime | None = None) -> None:
    """As campaign_start leaves it, without running the fan-out."""
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=now or clock.now(),
                                                   figures={"trust_name": campaign.trust.name})


def move_clock(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


# --- create -------------------------------------------------------------------------------------

def test_create_makes_one_recipient_and_one_queued_delivery_per_row_and_queues_nothing(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        campaign = make_campaign(rwe, chris, email_rows(20))
    assert callbacks == []
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.recipient_count == 20
    assert Recipient.objects.filter(campaign=campaign).count() == 20
    assert statuses(campaign) == {DeliveryStatus.QUEUED: 20}
    recipient = Recipient.objects.get(campaign=campaign, line=2)
    assert recipient.email == "patient+0@example.com"
    assert recipient.personalisation == {"name": "Alex 2", "appointment_date": "12 April 2023"}
    assert recipient.phone is None and recipient.address_lines is None
    assert campaign.body == campaign.template.body and campaign.subject == campaign.template.subject


def test_create_streams_rows_in_batches(rwe, chris, fast_delivery, monkeypatch):
    """A generator of rows is consumed batch by batch, never turned into a list first."""
    monkeypatch.setattr(service, "CREATE_BATCH_SIZE", 10)
    consumed = []

    def rows():
        for r in email_rows(35):
            consumed.append(r["line"])
            yield r

    sizes = []
    real_bulk_create = Recipient.objects.bulk_create

    def spy(objs, *args, **kwargs):
        objs = list(objs)
        sizes.append(len(objs))
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Recipient.objects, "bulk_create", spy)
    campaign = make_campaign(rwe, chris, rows())
    assert sizes == [10, 10, 10, 5]
    assert campaign.recipient_count == 35 and len(consumed) == 35


def test_create_is_all_or_nothing(rwe, chris, fast_delivery):
    rows = [row(2, email="a@example.com"), row(2, email="b@example.com")]  # the same line twice
    with pytest.raises(IntegrityError):
        make_campaign(rwe, chris, rows)
    assert not Campaign.objects.exists()
    assert not Recipient.objects.exists()


def test_create_refuses_an_empty_list_and_a_template_for_another_channel(rwe, chris, fast_delivery):
    with pytest.raises(CampaignError, match="empty"):
        make_campaign(rwe, chris, [])
    sms = make_template(rwe, Channel.SMS)
    with pytest.raises(CampaignError, match="text message"):
        make_campaign(rwe, chris, email_rows(1), channel=Channel.EMAIL, template=sms)
    assert not Campaign.objects.exists()


def test_one_delivery_per_recipient_is_a_database_rule(rwe, chris, fast_delivery):
    campaign = make_campaign(rwe, chris, email_rows(1))
    recipient = campaign.recipients.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(campaign=campaign, recipient=recipient)


def test_create_start_and_cancel_are_audited_without_contact_details(rwe, chris, fast_delivery,
                                                                     django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, email_rows(3))
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    other = make_campaign(rwe, chris, email_rows(2), template=campaign.template)
    service.campaign_cancel(campaign=other, user=chris)
    events = list(AuditEvent.objects.filter(trust=rwe).order_by("pk").values_list("event", "summary", "details"))
    assert [e[0] for e in events] == ["campaign.created", "campaign.started", "campaign.finished",
                                      "campaign.created", "campaign.cancelled"]
    text = repr(events)
    assert "example.com" not in text and "9434765919" not in text and "Alex" not in text


# --- start, send, claim -------------------------------------------------------------------------

def test_start_queues_the_fan_out_only_after_commit(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, email_rows(5))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_start(campaign=campaign, user=chris)
    assert len(callbacks) == 1
    assert statuses(campaign) == {DeliveryStatus.QUEUED: 5}  # nothing sent before commit
    with django_capture_on_commit_callbacks(execute=True):  # the fan-out, then the sends it queues
        callbacks[0]()
    campaign.refresh_from_db()
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 5}
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at is not None
    assert campaign.totals["succeeded"] == 5


def test_every_recipient_gets_exactly_one_message_with_their_own_values(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    from notices.channels import RecordingChannel

    real_send = RecordingChannel.send

    def spy(self, delivery, message):
        sent.append((delivery.recipient.line, message.email, message.subject, message.body))
        return real_send(self, delivery, message)

    monkeypatch.setattr(RecordingChannel, "send", spy)
    campaign = make_campaign(rwe, chris, email_rows(30))  # 30 rows in chunks of 7: 5 fan-out ranges
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    assert sorted(line for line, *_ in sent) == list(range(2, 32))
    _, email, subject, body = sorted(sent)[0]
    assert email == "patient+0@example.com"
    assert subject == "Your appointment at University Hospitals of Leicester NHS Trust"
    assert body.startswith("Dear Alex 2, your appointment on 12 April 2023 is moved.")
    _, sends = fast_delivery.totals()
    assert set(sends.values()) == {1} and len(sends) == 30


def test_trust_figures_are_taken_when_sending_starts(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 11), outpatient_rescheduled=1200, elective_rescheduled=34)
    template = make_template(rwe, Channel.SMS, body="((trust_name)) moved ((appointments_rescheduled)) "
                                                    "appointments. Sorry ((name)).")
    campaign = make_campaign(rwe, chris, [row(2, phone="+447700900123")], channel=Channel.SMS, action=action,
                             template=template)
    assert campaign.figures == {}
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    assert campaign.figures["appointments_rescheduled"] == "1,200"
    message = service.render_message(campaign, campaign.recipients.get())
    assert message.body.startswith("University Hospitals of Leicester NHS Trust moved 1,200 appointments. Sorry Alex 2."
                                   f"\n\nOpt out: {settings.SITE_URL}/messages/stop/")


def test_a_second_run_of_every_task_sends_nothing_new(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, email_rows(12))
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    before = fast_delivery.totals()
    ids = list(campaign.deliveries.values_list("pk", flat=True))
    assert run_task(tasks.campaign_fan_out, campaign.pk) == 0
    assert run_task(tasks.deliveries_send_range, campaign.pk, min(ids), max(ids)) == 0
    assert run_task(tasks.deliveries_send_ids, ids) == 0
    recover()
    assert fast_delivery.totals() == before
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 12}


def test_a_claimed_delivery_cannot_be_claimed_again(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, email_rows(1))
    mark_sending(campaign, clock.now())
    delivery = campaign.deliveries.get()
    now = clock.now()
    assert claim(delivery.pk, now, 0) is True
    assert claim(delivery.pk, now, 0) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.attempts == 1
    # ... and a worker that claimed it cannot settle it once someone else has (a later attempt).
    stale = Delivery.objects.get(pk=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=2)
    assert settle(stale, DeliveryStatus.DELIVERED) is False


def test_the_outcome_write_is_prepared_once_per_connection_and_still_seen_by_django(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    """The per-message UPDATE is parsed and planned once per database session, not per message
    (BENCHMARKS.md, "Fan-out: prepared outcome writes"); Django still logs it with its values while
    it logs queries, and translates its errors as from any Django cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def prepared_updates() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                           [f'UPDATE "{Delivery._meta.db_table}"%'])
            return [statement for (statement,) in cursor.fetchall()]

    campaign = make_campaign(rwe, chris, email_rows(4))
    mark_sending(campaign, clock.now())
    *deliveries, last = list(campaign.deliveries.order_by("pk"))
    now = clock.now()
    for delivery in [*deliveries, last]:
        assert claim(delivery.pk, now, 0) is True
    for delivery in deliveries[:2]:
        assert settle(Delivery.objects.get(pk=delivery.pk), DeliveryStatus.DELIVERED) is True
    assert len(prepared_updates()) == 1, "two outcome writes of one shape: one prepared statement"
    # While Django logs queries, the write is logged with its values (through the ordinary cursor).
    with CaptureQueriesContext(connection) as captured:
        assert settle(Delivery.objects.get(pk=deliveries[2].pk), DeliveryStatus.DELIVERED) is True
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and f'"id" = {deliveries[2].pk} AND' in updates[0].replace("id =", '"id" =')
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 3, DeliveryStatus.SENDING: 1}
    # A value the column refuses is Django's DataError, as from any Django cursor, and writes nothing.
    with pytest.raises(DataError), transaction.atomic():
        outbox.write(Delivery, outbox.outcome(last.pk, attempts=1, status=DeliveryStatus.DELIVERED, now=clock.now(),
                                              provider_reference="x" * 300))
    assert Delivery.objects.get(pk=last.pk).status == DeliveryStatus.SENDING


def test_deliveries_of_a_draft_campaign_are_never_sent(rwe, chris, fast_delivery):
    campaign = make_campaign(rwe, chris, email_rows(3))
    ids = list(campaign.deliveries.values_list("pk", flat=True))
    assert run_task(tasks.deliveries_send_ids, ids) == 0
    assert statuses(campaign) == {DeliveryStatus.QUEUED: 3}
    assert fast_delivery.totals() == ({}, {})


# --- failures and retries -----------------------------------------------------------------------

def test_temporary_failures_back_off_exponentially_then_succeed(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch):
    campaign = make_campaign(rwe, chris, [row(2, email="temp-fail-2@simulator.notify")])
    t0 = clock.now()
    move_clock(monkeypatch, t0)
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    delivery = campaign.deliveries.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.AWAITING_RETRY, 1)
    assert delivery.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert delivery.failure_reason == "Simulated temporary failure"

    # Not due yet: the sweep leaves it alone.
    move_clock(monkeypatch, t0 + dt.timedelta(seconds=59))
    recover()
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    # Due: the recovery task's due-retry sweep queues it (no task was queued per retry).
    t1 = t0 + dt.timedelta(seconds=60)
    move_clock(monkeypatch, t1)
    recover()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.AWAITING_RETRY, 2)
    assert delivery.next_attempt_at == t1 + dt.timedelta(seconds=120)  # doubled

    t2 = t1 + dt.timedelta(seconds=120)
    move_clock(monkeypatch, t2)
    recover()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert delivery.failure_reason == ""
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    attempts, sends = fast_delivery.totals()
    assert attempts[delivery.pk] == 3 and sends[delivery.pk] == 1


def test_backoff_doubles_up_to_the_cap(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    settings.DELIVERY_RETRY_MAX_SECONDS = 600
    assert [outbox.backoff_seconds(n) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_temporary_failures_become_permanent_after_the_last_attempt(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    campaign = make_campaign(rwe, chris, [row(2, email="temp-fail@simulator.notify")])
    now = clock.now()
    move_clock(monkeypatch, now)
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    for _ in range(5):
        now += dt.timedelta(hours=3)
        move_clock(monkeypatch, now)
        recover()
    delivery = campaign.deliveries.get()
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert delivery.attempts == 3
    assert delivery.failure_reason == "Simulated temporary failure (gave up after 3 attempts)"
    attempts, sends = fast_delivery.totals()
    assert attempts[delivery.pk] == 3 and sends == {}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_permanent_failure_stops_at_once(rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch):
    campaign = make_campaign(rwe, chris, [row(2, email="perm-fail@simulator.notify"), row(3, email="ok@example.com")])
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    failed = Delivery.objects.get(campaign=campaign, recipient__line=2)
    assert (failed.status, failed.attempts) == (DeliveryStatus.PERMANENT_FAILURE, 1)
    assert failed.failure_reason == "Simulated permanent failure"
    move_clock(monkeypatch, clock.now() + dt.timedelta(days=1))
    recover()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PERMANENT_FAILURE, 1)


def test_an_unexpected_error_is_retried_and_its_message_is_not_stored_or_logged(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch, caplog):
    from notices.channels import RecordingChannel

    def broken(self, delivery, message):
        raise RuntimeError(f"could not reach {message.email}")

    monkeypatch.setattr(RecordingChannel, "send", broken)
    campaign = make_campaign(rwe, chris, email_rows(1))
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    delivery = campaign.deliveries.get()
    assert delivery.status == DeliveryStatus.AWAITING_RETRY
    assert delivery.failure_reason == "Unexpected error while sending (RuntimeError)"
    assert "example.com" not in caplog.text


def test_failure_reasons_are_redacted(rwe, chris, fast_delivery):
    recipient = Recipient(email="pat@example.com", phone="+447700900123", nhs_number="9434765919")
    assert service.redact("refused pat@example.com and +447700900123 / 07700 900123 (9434765919)", recipient) == (
        "refused [redacted] and [redacted] / [redacted] ([redacted])")


# --- stale claims (a worker killed mid-send) ------------------------------------------------------

def test_a_stale_claim_already_at_the_provider_is_settled_without_sending_again(
        rwe, chris, fast_delivery, monkeypatch, settings):
    settings.DELIVERY_SENDING_TIMEOUT_SECONDS = 600
    campaign = make_campaign(rwe, chris, email_rows(2))
    now = clock.now()
    mark_sending(campaign, now)
    reached, lost = campaign.deliveries.order_by("pk")
    # Both claimed by a worker that then died: one after the provider took it, one before.
    for d in (reached, lost):
        assert claim(d.pk, now, 0)
    fast_delivery.attempt(reached.pk)
    fast_delivery.sent(reached.pk)

    move_clock(monkeypatch, now + dt.timedelta(seconds=599))
    recover()
    assert statuses(campaign) == {DeliveryStatus.SENDING: 2}  # not stale yet

    later = now + dt.timedelta(seconds=601)
    move_clock(monkeypatch, later)
    report = recover()
    assert report["released"] == 2
    reached.refresh_from_db()
    lost.refresh_from_db()
    assert (reached.status, reached.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert (lost.status, lost.attempts) == (DeliveryStatus.DELIVERED, 2)
    _, sends = fast_delivery.totals()
    assert sends == {reached.pk: 1, lost.pk: 1}


def test_a_stale_claim_on_a_channel_that_cannot_be_asked_is_sent_again(
        rwe, chris, fast_delivery, monkeypatch, settings, mailoutbox):
    """SMTP cannot say what it accepted: the message is sent again (at least once, never lost)."""
    settings.DELIVERY_CHANNELS = {**settings.DELIVERY_CHANNELS, "email": "email"}
    campaign = make_campaign(rwe, chris, email_rows(1))
    now = clock.now()
    mark_sending(campaign, now)
    delivery = campaign.deliveries.get()
    assert claim(delivery.pk, now, 0)
    later = now + dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS + 1)
    move_clock(monkeypatch, later)
    recover()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mailoutbox) == 1


def test_of_a_dead_workers_claim_only_the_message_it_had_in_flight_is_recorded_as_possibly_duplicated(
        rwe, chris, fast_delivery, monkeypatch, settings, mailoutbox):
    """The send loop claims several deliveries in one statement and sends them in id order, each
    outcome committed before the next send. A worker killed after recording the first of four had
    the second in flight and had not started the last two: after the release only the second is
    "outcome unknown", so on SMTP only it is recorded as possibly duplicated; all three are sent."""
    settings.DELIVERY_CHANNELS = {**settings.DELIVERY_CHANNELS, "email": "email"}
    campaign = make_campaign(rwe, chris, email_rows(4))
    now = clock.now()
    mark_sending(campaign, now)
    first, in_flight, *never_started = campaign.deliveries.order_by("pk")
    claimed = outbox.claim_many(Delivery, [(d.pk, d.attempts) for d in (first, in_flight, *never_started)],
                                now=now, condition_sql=service._CAMPAIGN_SENDING_SQL)
    assert claimed == {first.pk, in_flight.pk, *(d.pk for d in never_started)}
    first.refresh_from_db()
    assert settle(first, DeliveryStatus.SENT)

    later = now + dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS + 1)
    move_clock(monkeypatch, later)
    released = outbox.release_stale(Delivery, now=later, limit=100, in_flight={"outcome_unknown": True})
    assert released == [in_flight.pk, *(d.pk for d in never_started)]
    unknown = dict(Delivery.objects.filter(pk__in=released).values_list("pk", "outcome_unknown"))
    assert unknown == {in_flight.pk: True, **{d.pk: False for d in never_started}}

    service.deliveries_send_ids(delivery_ids=released)
    assert len(mailoutbox) == 3
    rows = dict(Delivery.objects.filter(pk__in=released).values_list("pk", "possibly_duplicated"))
    assert rows == {in_flight.pk: True, **{d.pk: False for d in never_started}}
    assert statuses(campaign) == {DeliveryStatus.SENT: 4}


def test_a_slow_worker_renews_its_claim_and_never_sends_what_the_recovery_task_released(
        rwe, chris, fast_delivery, monkeypatch, settings):
    """A claim of several rows is held while they are sent one by one. A live worker renews it once
    it is a third of the timeout old, so the recovery task never takes rows from a live worker; and a
    worker so slow (stopped, starved) that its claim was released anyway drops the released rows
    instead of sending them, so another worker's send of them is the only one."""
    campaign = make_campaign(rwe, chris, email_rows(4))
    start = clock.now()
    mark_sending(campaign, start)
    ids = list(campaign.deliveries.order_by("pk").values_list("pk", flat=True))
    timeout = dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    real_write = outbox.write
    released: dict[int, list[int]] = {}
    # After each outcome: where the clock is when the next send comes (each send "took" that long).
    moments = {ids[0]: start + timeout / 2, ids[1]: start + timeout * 1.2, ids[2]: start + timeout * 3}

    def slow_write(model, result):
        written = real_write(model, result)
        if result.pk in moments:
            move_clock(monkeypatch, moments[result.pk])
            if result.pk != ids[0]:  # the recovery task runs
                released[result.pk] = outbox.release_stale(Delivery, now=moments[result.pk], limit=100)
        return written

    move_clock(monkeypatch, start)
    monkeypatch.setattr(outbox, "write", slow_write)
    service.deliveries_send_ids(delivery_ids=ids)
    # At 1.2 timeouts the claim made at 0 would be stale, but the worker renewed it before the second
    # send (half a timeout old): nothing released. Then the worker stalled for 1.8 timeouts after the
    # third send: the last row was released, and the worker dropped it instead of sending it.
    assert released == {ids[1]: [], ids[2]: [ids[3]]}
    assert [fast_delivery.sends(pk) for pk in ids] == [1, 1, 1, 0]
    assert Delivery.objects.get(pk=ids[3]).status == DeliveryStatus.AWAITING_RETRY
    monkeypatch.setattr(outbox, "write", real_write)
    service.deliveries_send_ids(delivery_ids=[ids[3]])
    assert [fast_delivery.sends(pk) for pk in ids] == [1, 1, 1, 1]


def test_the_release_takes_whole_claims_so_the_first_of_each_is_judged_on_the_whole_claim(
        rwe, chris, fast_delivery, settings):
    """A limit that would cut a claim in two leaves that claim for the next run: released alone,
    its second half's first row would be marked "outcome unknown" although it was never sent."""
    campaign = make_campaign(rwe, chris, email_rows(5))
    now = clock.now()
    mark_sending(campaign, now)
    rows = list(campaign.deliveries.order_by("pk"))
    early, late = now - dt.timedelta(seconds=1), now
    assert len(outbox.claim_many(Delivery, [(d.pk, 0) for d in rows[:2]], now=early)) == 2
    assert len(outbox.claim_many(Delivery, [(d.pk, 0) for d in rows[2:]], now=late)) == 3
    later = now + dt.timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS + 1)
    first_run = outbox.release_stale(Delivery, now=later, limit=4, in_flight={"outcome_unknown": True})
    assert first_run == [rows[0].pk, rows[1].pk]
    second_run = outbox.release_stale(Delivery, now=later, limit=4, in_flight={"outcome_unknown": True})
    assert second_run == [d.pk for d in rows[2:]]
    assert list(campaign.deliveries.order_by("pk").values_list("outcome_unknown", flat=True)) == [
        True, False, True, False, False]


# --- schedule ---------------------------------------------------------------------------------

def test_schedule_up_to_seven_days_ahead_and_the_beat_task_starts_it_on_time(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks, monkeypatch):
    campaign = make_campaign(rwe, chris, email_rows(4))
    now = clock.now()
    move_clock(monkeypatch, now)
    with pytest.raises(CampaignError, match="within 7 days"):
        campaign_start(campaign=campaign, user=chris, send_at=now + dt.timedelta(days=7, minutes=1))
    with pytest.raises(CampaignError, match="future"):
        campaign_start(campaign=campaign, user=chris, send_at=now - dt.timedelta(minutes=1))
    send_at = now + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign_start(campaign=campaign, user=chris, send_at=send_at)
    assert callbacks == []
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_for) == (CampaignStatus.SCHEDULED, send_at)

    move_clock(monkeypatch, send_at - dt.timedelta(seconds=1))
    assert recover()["started"] == 0
    assert statuses(campaign) == {DeliveryStatus.QUEUED: 4}

    move_clock(monkeypatch, send_at)
    assert recover()["started"] == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.started_at == send_at
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 4}
    assert recover()["started"] == 0


def test_a_campaign_cannot_be_started_twice(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, email_rows(1))
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    with pytest.raises(CampaignError, match="cannot be sent"):
        campaign_start(campaign=campaign, user=chris)


# --- cancel -----------------------------------------------------------------------------------

def test_cancel_before_sending_cancels_every_delivery(rwe, chris, fast_delivery, monkeypatch):
    campaign = make_campaign(rwe, chris, email_rows(3))
    campaign_start(campaign=campaign, user=chris, send_at=clock.now() + dt.timedelta(hours=1))
    service.campaign_cancel(campaign=campaign, user=chris)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED and campaign.cancelled_at
    assert statuses(campaign) == {DeliveryStatus.CANCELLED: 3}
    move_clock(monkeypatch, clock.now() + dt.timedelta(hours=2))
    recover()
    assert statuses(campaign) == {DeliveryStatus.CANCELLED: 3}
    assert fast_delivery.totals() == ({}, {})
    with pytest.raises(CampaignError, match="cannot be cancelled"):
        service.campaign_cancel(campaign=campaign, user=chris)


def test_cancel_during_sending_lets_in_flight_messages_finish(rwe, chris, fast_delivery):
    campaign = make_campaign(rwe, chris, email_rows(4))
    now = clock.now()
    mark_sending(campaign, now)
    first, second, third, fourth = campaign.deliveries.order_by("pk")
    assert send_one(first.pk) == DeliveryStatus.DELIVERED
    assert claim(second.pk, now, 0)  # a worker is sending this one right now
    service.campaign_cancel(campaign=campaign, user=chris)
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 1, DeliveryStatus.SENDING: 1,
                                  DeliveryStatus.CANCELLED: 2}
    # The in-flight one settles normally; the cancelled ones cannot be claimed any more.
    in_flight = Delivery.objects.select_related("recipient").get(pk=second.pk)
    assert settle(in_flight, DeliveryStatus.DELIVERED) is True
    assert run_task(tasks.deliveries_send_ids, [third.pk, fourth.pk]) == 0
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 2, DeliveryStatus.CANCELLED: 2}


def test_a_retry_scheduled_as_the_campaign_is_cancelled_is_cancelled_by_the_sweep(rwe, chris, fast_delivery):
    campaign = make_campaign(rwe, chris, email_rows(1))
    now = clock.now()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CANCELLED, cancelled_at=now)
    Delivery.objects.filter(campaign=campaign).update(status=DeliveryStatus.AWAITING_RETRY, next_attempt_at=now)
    assert service.deliveries_recover(now=now).report["cancelled"] == 1
    assert statuses(campaign) == {DeliveryStatus.CANCELLED: 1}


# --- opt-outs -----------------------------------------------------------------------------------

def test_opted_out_recipients_are_not_sent_and_the_table_holds_no_address(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    assert opt_outs.opt_out_record(email="Opted.Out@Example.com ", trust=rwe, source="unsubscribe") == 1
    assert opt_outs.opt_out_record(email="opted.out@example.com", trust=rwe) == 0  # idempotent
    opt_outs.opt_out_record(phone="07700 900456")  # every trust
    campaign = make_campaign(rwe, chris, [row(2, email="opted.out@example.com"), row(3, email="in@example.com")])
    sms = make_campaign(rwe, chris, [row(2, phone="+447700900456"), row(3, phone="+447700900789")],
                        channel=Channel.SMS)
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    start_now(sms, chris, django_capture_on_commit_callbacks)
    for c in (campaign, sms):
        out = Delivery.objects.get(campaign=c, recipient__line=2)
        assert (out.status, out.failure_reason) == (DeliveryStatus.CANCELLED, "Opted out")
        assert Delivery.objects.get(campaign=c, recipient__line=3).status == DeliveryStatus.DELIVERED
    stored = repr(list(MessagingOptOut.objects.values()))
    assert "example" not in stored.lower() and "900456" not in stored


def test_an_opt_out_from_one_trust_does_not_stop_another_trusts_messages(
        rwe, chris, tom, fast_delivery, django_capture_on_commit_callbacks):
    from trusts.models import Trust

    rx1 = Trust.objects.get(ods_code="RX1")
    opt_outs.opt_out_record(email="pat@example.com", trust=rwe)
    ours = make_campaign(rwe, chris, [row(2, email="PAT@example.com")])
    theirs = make_campaign(rx1, tom, [row(2, email="pat@example.com")])
    start_now(ours, chris, django_capture_on_commit_callbacks)
    start_now(theirs, tom, django_capture_on_commit_callbacks)
    assert (ours.deliveries.get().status, ours.deliveries.get().failure_reason) == (DeliveryStatus.CANCELLED,
                                                                                   "Opted out")
    assert theirs.deliveries.get().status == DeliveryStatus.DELIVERED


# --- progress, export, purge ----------------------------------------------------------------------

def test_progress_is_one_grouped_query(rwe, chris, fast_delivery, django_assert_num_queries):
    campaign = make_campaign(rwe, chris, [*email_rows(6), row(99, email="perm-fail@simulator.notify")])
    mark_sending(campaign, clock.now())
    ids = list(campaign.deliveries.order_by("pk").values_list("pk", flat=True))
    run_task(tasks.deliveries_send_ids, ids[:3] + ids[-1:])
    with django_assert_num_queries(1):
        progress = campaign_progress(campaign)
    assert progress["counts"][DeliveryStatus.DELIVERED] == 3
    assert progress["counts"][DeliveryStatus.QUEUED] == 3
    assert progress["counts"][DeliveryStatus.PERMANENT_FAILURE] == 1
    assert (progress["total"], progress["done"], progress["succeeded"], progress["failed"]) == (7, 4, 3, 1)
    assert progress["percent"] == 57


def test_outcomes_export_has_no_contact_details(rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, [*email_rows(2), row(9, email="perm-fail@simulator.notify")])
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    rows = list(deliveries_outcomes_csv(campaign))
    assert rows[0] == OUTCOME_HEADER
    assert [r[:4] for r in rows[1:]] == [["2", "Delivered", "1", ""], ["3", "Delivered", "1", ""],
                                         ["9", "Not delivered (permanent failure)", "1",
                                          "Simulated permanent failure"]]
    text = repr(rows)
    assert "@" not in text and "9434765919" not in text and "Alex" not in text


def test_purge_blanks_contact_details_after_the_retention_period_and_keeps_counts(
        rwe, chris, fast_delivery, django_capture_on_commit_callbacks):
    campaign = make_campaign(rwe, chris, [*email_rows(3), row(9, email="perm-fail@simulator.notify")])
    start_now(campaign, chris, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    ended = campaign.finished_at
    assert ended is not None
    assert service.campaigns_purge_due(now=ended + dt.timedelta(days=6, hours=23)) == []
    assert Recipient.objects.filter(campaign=campaign, email__isnull=False).count() == 4

    assert service.campaigns_purge_due(now=ended + dt.timedelta(days=7)) == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.purged_at == ended + dt.timedelta(days=7)
    assert list(Recipient.objects.filter(campaign=campaign).values_list(
        "email", "phone", "nhs_number", "address_lines", "personalisation").distinct()) == [(None,) * 5]
    assert statuses(campaign) == {DeliveryStatus.DELIVERED: 3, DeliveryStatus.PERMANENT_FAILURE: 1}
    assert campaign.totals["succeeded"] == 3 and campaign.totals["failed"] == 1
    assert AuditEvent.objects.filter(event="campaign.purged", object_id=str(campaign.pk)).count() == 1
    # Once only.
    assert service.campaigns_purge_due(now=ended + dt.timedelta(days=30)) == []


def test_cancelled_campaigns_are_purged_too_and_the_period_is_per_campaign(rwe, chris, fast_delivery):
    campaign = make_campaign(rwe, chris, email_rows(2))
    Campaign.objects.filter(pk=campaign.pk).update(purge_after_days=1)
    service.campaign_cancel(campaign=campaign, user=chris)
    campaign.refresh_from_db()
    assert campaign.cancelled_at is not None
    assert service.campaigns_purge_due(now=campaign.cancelled_at + dt.timedelta(hours=23)) == []
    assert service.campaigns_purge_due(now=campaign.cancelled_at + dt.timedelta(days=1)) == [campaign.pk]


def test_a_line_break_in_a_personalised_subject_never_reaches_the_email(rwe, chris, fast_delivery):
    # An older list (checked before uploads refused line breaks) or a value from elsewhere.
    template = make_template(rwe, Channel.EMAIL, subject="About ((name))")
    campaign = make_campaign(rwe, chris, [row(2, email="a@example.com", name="Ann\r\nBcc: x@example.com")],
                             template=template)
    mark_sending(campaign)
    campaign.refresh_from_db()
    message = service.render_message(campaign, campaign.recipients.get())
    assert message.subject == "About Ann Bcc: x@example.com 2"
