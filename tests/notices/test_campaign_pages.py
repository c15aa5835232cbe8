"""Campaign pages: scoping per role, the upload-check-send flow end to end (tasks run in-process),
scheduling rules, cancelling, progress, failures, the outcomes export and the reconciliation page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notices.channels import MemorySendRecord, recording_channel_record
from notices.models import Campaign, CampaignStatus, Channel, Delivery, DeliveryStatus, MessageTemplate, Recipient
from notices.services.campaigns import campaign_start
from notices.services.delivery import campaign_create
from notices.services.opt_outs import opt_out_token
from tests.conftest import PASSWORD
from tests.factories import local, make_action, make_return
from trusts import clock
from trusts.models import Membership, Role, Trust, User

pytestmark = pytest.mark.django_db

HEADER = "phone number,name,appointment date\n"
GOOD = HEADER + "07911 123456,Ann Jones,12 April 2023\n07911 123457,Bob Smith,13 April 2023\n" \
    "07911 123458,Cy Patel,13 April 2023\n07911 123459,Di Khan,14 April 2023\n"
BAD = HEADER + "07911 123456,Ann Jones,12 April 2023\n0116 258 5000,Bob Smith,13 April 2023\n" \
    "07911 123458,,13 April 2023\n"


@pytest.fixture
def fast_delivery(settings) -> Iterator[MemorySendRecord]:
    """Tasks in-process (tests run Celery eagerly), the recording test channel kept in this process."""
    settings.DELIVERY_CHANNELS = {"email": "test", "sms": "test", "letter": "test"}
    settings.DELIVERY_REDIS_URL = settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    settings.DELIVERY_RATE_PER_MINUTE = 6_000_000
    record = recording_channel_record()
    assert isinstance(record, MemorySendRecord)
    record.clear()
    yield record
    record.clear()


@pytest.fixture
def april(rwe):
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 11), elective_rescheduled=40, outpatient_rescheduled=500,
                community_rescheduled=10, mental_health_rescheduled=3, staff_absent=650, staff_due=1200)
    return action


@pytest.fixture
def sms(rwe) -> MessageTemplate:
    return MessageTemplate.objects.create(
        trust=rwe, name="Apology text", channel=Channel.SMS,
        body="((trust_name)): sorry ((name)), your appointment on ((appointment_date)) was moved because of "
             "((action_name)). We moved ((appointments_rescheduled)) appointments.",
        recipient_columns=["name", "appointment_date"])


@pytest.fixture
def cara(db) -> User:
    user = User.objects.create_user(email="cara@rx1.example", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.TRUST_COMMS, trust=Trust.objects.get(ods_code="RX1"))
    return user


def upload(client, template: MessageTemplate, action, text: str, name: str = "patients.csv"):
    return client.post(reverse("campaigns:upload", args=["RWE"]), {
        "template": template.pk, "action": action.slug, "file": SimpleUploadedFile(name, text.encode()),
        "upload": "Upload and check the file"})


def draft(rwe, template, action, user, n: int = 2, email: bool = False) -> Campaign:
    rows = [{"line": i + 2, "email": f"p{i}@example.com" if email else "", "phone": "" if email else
             f"+4479111234{i:02d}", "nhs_number": "", "address_lines": [],
             "personalisation": {"name": f"P{i}", "appointment_date": "1 May"}} for i in range(n)]
    return campaign_create(trust=rwe, template=template, action=action, channel=template.channel, rows=rows,
                           user=user)


# --- scoping -------------------------------------------------------------------------------------

def campaign_urls(campaign: Campaign, action) -> list[str]:
    ods, pk = campaign.trust.ods_code, campaign.pk
    return [
        reverse("campaigns:trust", args=[ods]), reverse("campaigns:new", args=[ods]),
        reverse("campaigns:upload", args=[ods]) + f"?template={campaign.template_id}&action={action.slug}",
        reverse("campaigns:campaign", args=[ods, pk]), reverse("campaigns:progress", args=[ods, pk]),
        reverse("campaigns:outcomes", args=[ods, pk]), reverse("campaigns:cancel", args=[ods, pk]),
        reverse("campaigns:action", args=[ods, action.slug]),
    ]


@pytest.mark.parametrize("who", ["ada", "tom", "morgan", "nia", "pat", "cara"])
def test_only_the_trusts_communications_staff_reach_its_campaigns(client, rwe, sms, april, chris, who,
                                                                   request) -> None:
    campaign = draft(rwe, sms, april, chris)
    client.force_login(request.getfixturevalue(who))
    for url in campaign_urls(campaign, april):
        assert client.get(url).status_code == 404, (who, url)
    assert client.post(reverse("campaigns:cancel", args=["RWE", campaign.pk])).status_code == 404
    assert client.post(reverse("campaigns:campaign", args=["RWE", campaign.pk]), {"when": "now"}).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_anonymous_visitors_are_sent_to_sign_in(client, rwe, sms, april, chris) -> None:
    campaign = draft(rwe, sms, april, chris)
    for url in campaign_urls(campaign, april):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/sign-in/"), url


def test_chris_reaches_every_page_and_the_messages_index_takes_him_to_his_trust(client, rwe, sms, april,
                                                                                chris) -> None:
    campaign = draft(rwe, sms, april, chris)
    client.force_login(chris)
    for url in campaign_urls(campaign, april):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("campaigns:index")).url == reverse("campaigns:trust", args=["RWE"])
    assert client.get(reverse("campaigns:action_for_my_trust", args=[april.slug])).url == \
        reverse("campaigns:action", args=["RWE", april.slug])


def test_another_trusts_campaign_is_404_at_any_url(client, sms, april, chris, cara) -> None:
    rx1 = Trust.objects.get(ods_code="RX1")
    theirs_template = MessageTemplate.objects.create(trust=rx1, name="N", channel=Channel.SMS, body="Hi ((name))",
                                                     recipient_columns=["name"])
    theirs = campaign_create(trust=rx1, template=theirs_template, action=None, channel="sms", user=cara, rows=[
        {"line": 2, "phone": "+447911123456", "personalisation": {"name": "X"}}])
    client.force_login(chris)
    assert client.get(reverse("campaigns:campaign", args=["RWE", theirs.pk])).status_code == 404
    assert client.get(reverse("campaigns:campaign", args=["RX1", theirs.pk])).status_code == 404
    # Another trust's template cannot be smuggled into RWE's upload step either.
    assert client.get(reverse("campaigns:upload", args=["RWE"]) +
                      f"?template={theirs_template.pk}&action={april.slug}").status_code == 404


def test_the_messages_nav_item_is_for_communications_staff_only(client, chris, ada) -> None:
    client.force_login(chris)
    assert any(item["text"] == "Messages" for item in client.get("/").context["nav_items"])
    client.force_login(ada)
    assert not any(item["text"] == "Messages" for item in client.get("/").context["nav_items"])


# --- choosing a template and action ----------------------------------------------------------------

def test_choose_step_needs_a_template_and_an_action(client, chris, sms, april) -> None:
    client.force_login(chris)
    response = client.post(reverse("campaigns:new", args=["RWE"]), {})
    assert response.context["form"].errors == {"template": ["Select a message template"],
                                               "action": ["Select the industrial action the message is about"]}
    response = client.post(reverse("campaigns:new", args=["RWE"]), {"template": sms.pk, "action": april.slug})
    assert response.url == reverse("campaigns:upload", args=["RWE"]) + f"?template={sms.pk}&action={april.slug}"


def test_a_trust_figure_with_no_value_yet_stops_the_campaign_before_the_upload(client, chris, rwe) -> None:
    no_returns = make_action("no-returns", affected=["RWE"])
    template = MessageTemplate.objects.create(trust=rwe, name="Peak", channel=Channel.SMS,
                                              body="((peak_staff_absent)) staff were absent")
    client.force_login(chris)
    response = client.post(reverse("campaigns:new", args=["RWE"]), {"template": template.pk, "action": no_returns.slug})
    assert response.context["form"].errors["template"] == [
        "Your trust has no figure yet for ((peak_staff_absent)) for Junior doctors, April 2023: submit the returns "
        "first or remove the placeholder"]


def test_a_template_with_an_unknown_placeholder_cannot_be_used(client, chris, rwe, april) -> None:
    # Made directly (the form refuses it), as a template saved before its columns were changed would be.
    template = MessageTemplate.objects.create(trust=rwe, name="Typo", channel=Channel.SMS, body="Dear ((nmae))",
                                              recipient_columns=["name"])
    client.force_login(chris)
    response = client.post(reverse("campaigns:new", args=["RWE"]), {"template": template.pk, "action": april.slug})
    assert response.context["form"].errors["template"] == [
        "((nmae)) is not a placeholder we know: check the spelling, or add it to the recipient columns"]


# --- upload ------------------------------------------------------------------------------------------

def test_a_file_with_bad_rows_shows_every_error_by_line_and_creates_nothing(client, chris, sms, april) -> None:
    client.force_login(chris)
    response = upload(client, sms, april, BAD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Error: " in body and "There is a problem" in body
    assert "The selected file has 2 errors: fix them and upload the file again" in body
    assert "Line 3, column &#x27;phone number&#x27;: Phone number must be a UK mobile number" in body
    assert "Line 4, column &#x27;name&#x27;: Enter the name: the template uses ((name))" in body
    assert [(e.line, e.column) for e in response.context["file_errors"]] == [(3, "phone number"), (4, "name")]
    assert not Campaign.objects.exists() and not Recipient.objects.exists() and not Delivery.objects.exists()


def test_upload_needs_a_file(client, chris, sms, april) -> None:
    client.force_login(chris)
    response = client.post(reverse("campaigns:upload", args=["RWE"]), {"template": sms.pk, "action": april.slug})
    assert response.context["form"].errors["file"] == ["Select a CSV or Excel file"]


def test_a_clean_file_makes_a_draft_and_shows_the_first_three_messages(client, chris, sms, april) -> None:
    client.force_login(chris)
    response = upload(client, sms, april, GOOD)
    campaign = Campaign.objects.get()
    assert response.url == reverse("campaigns:campaign", args=["RWE", campaign.pk])
    assert campaign.status == CampaignStatus.DRAFT and campaign.recipient_count == 4
    assert Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.QUEUED).count() == 4
    page = client.get(response.url)
    previews = page.context["previews"]
    assert [p["to"] for p in previews] == ["+447911123456", "+447911123457", "+447911123458"]
    first = campaign.recipients.earliest("line")
    assert previews[0]["body"] == (
        "University Hospitals of Leicester NHS Trust: sorry Ann Jones, your appointment on 12 April 2023 was moved "
        "because of Junior doctors, April 2023. We moved 513 appointments.\n\n"
        f"Opt out: {django_settings.SITE_URL}/messages/stop/{opt_out_token(first.pk)}/")
    assert "Check the messages before sending" in page.content.decode()


# --- sending and progress ---------------------------------------------------------------------------

def test_send_now_runs_to_100_percent(client, chris, sms, april, fast_delivery,
                                      django_capture_on_commit_callbacks) -> None:
    client.force_login(chris)
    upload(client, sms, april, GOOD)
    campaign = Campaign.objects.get()
    url = reverse("campaigns:campaign", args=["RWE", campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"when": "now"})
    assert response.url == url
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert len(fast_delivery.totals()[1]) == 4
    page = client.get(url)
    body = page.content.decode()
    assert '<progress class="app-progress" id="campaign-progress-bar" max="100" value="100">100%</progress>' in body
    assert "Refresh the progress" in body and 'http-equiv="refresh"' not in body
    data = client.get(reverse("campaigns:progress", args=["RWE", campaign.pk])).json()
    assert data["percent"] == 100 and data["finished"] is True and data["counts"]["delivered"] == 4
    # The second press of the button does not send again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"when": "now"})
    assert len(fast_delivery.totals()[1]) == 4


def test_progress_counts_part_way(client, chris, rwe, sms, april) -> None:
    campaign = draft(rwe, sms, april, chris, n=4)
    campaign_start(campaign=campaign, user=chris)  # no on-commit execution: nothing sent yet
    Delivery.objects.filter(pk__in=list(campaign.deliveries.order_by("pk").values_list("pk", flat=True)[:1])).update(
        status=DeliveryStatus.DELIVERED)
    client.force_login(chris)
    data = client.get(reverse("campaigns:progress", args=["RWE", campaign.pk])).json()
    assert (data["percent"], data["finished"], data["counts"]["queued"]) == (25, False, 3)
    body = client.get(reverse("campaigns:campaign", args=["RWE", campaign.pk])).content.decode()
    assert 'value="25">25%</progress>' in body and "Cancel the campaign" in body


def test_progress_says_when_a_worker_stopped_and_when_retries_wait(client, chris, rwe, sms, april) -> None:
    campaign = draft(rwe, sms, april, chris, n=6)
    campaign_start(campaign=campaign, user=chris)
    first, second, third, fourth, *_ = campaign.deliveries.order_by("pk")
    now = clock.now()
    client.force_login(chris)
    page = reverse("campaigns:campaign", args=["RWE", campaign.pk])
    # A message claimed a moment ago is simply being sent: nothing to explain.
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.SENDING, attempts=1, claimed_at=now)
    cache.delete(f"campaign:progress:{campaign.pk}")  # the shared figure is 2 s old at most: as if 2 s passed
    body = client.get(page).content.decode()
    assert "Paused" not in body and "Retrying" not in body

    # Its worker stopped: the claim is older than the longest send.
    Delivery.objects.filter(pk=first.pk).update(claimed_at=now - dt.timedelta(minutes=1))
    Delivery.objects.filter(pk__in=[second.pk, third.pk]).update(
        status=DeliveryStatus.AWAITING_RETRY, attempts=1, next_attempt_at=now + dt.timedelta(minutes=1))
    cache.delete(f"campaign:progress:{campaign.pk}")  # the shared figure is 2 s old at most: as if 2 s passed
    body = client.get(page).content.decode()
    assert "Paused: a worker stopped; resuming" in body
    assert "Retrying 2 after a temporary failure" in body
    data = client.get(reverse("campaigns:progress", args=["RWE", campaign.pk])).json()
    assert data["activity"] == ["Paused: a worker stopped; resuming", "Retrying 2 after a temporary failure"]

    # Released by the recovery task: still paused until it is resolved; then an SMTP re-send is counted.
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.AWAITING_RETRY, next_attempt_at=now,
                                                outcome_unknown=True)
    assert client.get(page).content.decode().count("Paused: a worker stopped; resuming") == 1
    assert "Retrying 2 after" in client.get(page).content.decode()
    Delivery.objects.filter(pk__in=[first.pk, fourth.pk]).update(status=DeliveryStatus.SENT, outcome_unknown=False,
                                                                 possibly_duplicated=True)
    cache.delete(f"campaign:progress:{campaign.pk}")  # the shared figure is 2 s old at most: as if 2 s passed
    body = client.get(page).content.decode()
    assert "Paused" not in body
    assert "2 messages were possibly sent twice" in body
    assert client.get(reverse("campaigns:progress", args=["RWE", campaign.pk])).json()["possibly_duplicated"] == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({}, "when", "Select when to send the messages"),
    ({"when": "later"}, "send_date", "Enter the date to send the messages"),
    ({"when": "later", "send_date-day": "20", "send_date-month": "4", "send_date-year": "2023"}, "send_time",
     "Enter the time to send the messages"),
    ({"when": "later", "send_date-day": "20", "send_date-month": "4", "send_date-year": "2023",
      "send_time": "25:00"}, "send_time", "Time must be a real time, like 9:30am or 14:00"),
    ({"when": "later", "send_date-day": "20", "send_date-month": "4", "send_date-year": "2023",
      "send_time": "soon"}, "send_time", "Enter a time like 9:30am or 14:00"),
    ({"when": "later", "send_date-day": "17", "send_date-month": "4", "send_date-year": "2023",
      "send_time": "9am"}, "send_date", "The date and time must be in the future"),
    ({"when": "later", "send_date-day": "24", "send_date-month": "4", "send_date-year": "2023",
      "send_time": "10:01"}, "send_date", "The date and time must be within 7 days: by 24 April 2023 at 10:00"),
    ({"when": "later", "send_date-day": "31", "send_date-month": "4", "send_date-year": "2023",
      "send_time": "10:00"}, "send_date", "Date must be a real date"),
])
def test_scheduling_rules(client, chris, rwe, sms, april, monkeypatch, data, field, message) -> None:
    monkeypatch.setattr(clock, "now", lambda: local(2023, 4, 17, 10))
    campaign = draft(rwe, sms, april, chris)
    client.force_login(chris)
    response = client.post(reverse("campaigns:campaign", args=["RWE", campaign.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_schedule_up_to_7_days_ahead_then_cancel(client, chris, rwe, sms, april, monkeypatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: local(2023, 4, 17, 10))
    campaign = draft(rwe, sms, april, chris)
    client.force_login(chris)
    url = reverse("campaigns:campaign", args=["RWE", campaign.pk])
    response = client.post(url, {"when": "later", "send_date-day": "24", "send_date-month": "4",
                                 "send_date-year": "2023", "send_time": "10:00am"})
    assert response.url == url
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_for == local(2023, 4, 24, 10)
    assert "messages will be sent on 24 April 2023 at 10:00" in client.get(url).content.decode()
    cancel = reverse("campaigns:cancel", args=["RWE", campaign.pk])
    assert "Messages not yet sent will not be sent" in client.get(cancel).content.decode()
    client.post(cancel)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert set(campaign.deliveries.values_list("status", flat=True)) == {DeliveryStatus.CANCELLED}


def test_discarding_a_draft(client, chris, rwe, sms, april) -> None:
    campaign = draft(rwe, sms, april, chris)
    client.force_login(chris)
    client.post(reverse("campaigns:cancel", args=["RWE", campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_failures_are_listed_with_reasons_and_exported_without_contact_details(
        client, chris, rwe, april, fast_delivery, django_capture_on_commit_callbacks) -> None:
    template = MessageTemplate.objects.create(trust=rwe, name="Email", channel=Channel.EMAIL, subject="Sorry",
                                              body="Dear ((name))", recipient_columns=["name"])
    campaign = campaign_create(trust=rwe, template=template, action=april, channel="email", user=chris, rows=[
        {"line": 2, "email": "ann@example.com", "personalisation": {"name": "Ann"}},
        {"line": 3, "email": "perm-fail@example.com", "personalisation": {"name": "Bob"}},
    ])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=campaign, user=chris)
    client.force_login(chris)
    page = client.get(reverse("campaigns:campaign", args=["RWE", campaign.pk]))
    assert page.context["failures"] == [{"line": 3, "contact": "perm-fail@example.com",
                                         "status": "Not delivered (permanent failure)",
                                         "reason": "Simulated permanent failure"}]
    response = client.get(reverse("campaigns:outcomes", args=["RWE", campaign.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="campaign-{campaign.pk}-outcomes.csv"'
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["line", "status", "attempts", "failure reason", "sent at", "completed at"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("2", "Delivered", ""), ("3", "Not delivered (permanent failure)", "Simulated permanent failure")]
    assert "example.com" not in text and "Ann" not in text
    # The export is audited, with no contact details in the record.
    from trusts.models import AuditEvent

    event = AuditEvent.objects.get(event="campaign.outcomes_exported")
    assert (event.actor, event.trust_code, event.object_id) == (chris, "RWE", str(campaign.pk))
    assert "example.com" not in f"{event.summary} {event.details}"


def test_the_export_defuses_spreadsheet_formulas(client, chris, rwe, sms, april) -> None:
    campaign = draft(rwe, sms, april, chris, n=1)
    campaign.deliveries.update(status=DeliveryStatus.PERMANENT_FAILURE,
                               failure_reason='=HYPERLINK("http://evil.example","x")')
    client.force_login(chris)
    text = b"".join(client.get(reverse("campaigns:outcomes", args=["RWE", campaign.pk])).streaming_content).decode()
    assert list(csv.reader(io.StringIO(text)))[1][3] == '\'=HYPERLINK("http://evil.example","x")'


def test_after_the_purge_failures_show_no_contact_details(client, chris, rwe, sms, april) -> None:
    campaign = draft(rwe, sms, april, chris, n=1)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, started_at=clock.now(),
                                                   finished_at=clock.now(), purged_at=clock.now())
    campaign.recipients.update(phone=None, personalisation=None)
    campaign.deliveries.update(status=DeliveryStatus.PERMANENT_FAILURE, failure_reason="Not a mobile")
    client.force_login(chris)
    page = client.get(reverse("campaigns:campaign", args=["RWE", campaign.pk]))
    body = page.content.decode()
    assert "Removed after the retention period" in body and "+4479" not in body
    assert "the counts remain" in body


# --- lists and reconciliation ----------------------------------------------------------------------

def test_campaign_list_counts_with_a_fixed_number_of_queries(client, chris, rwe, sms, april,
                                                             django_assert_max_num_queries) -> None:
    for _ in range(3):
        campaign = draft(rwe, sms, april, chris, n=3)
        campaign.deliveries.filter(pk=campaign.deliveries.earliest("pk").pk).update(
            status=DeliveryStatus.PERMANENT_FAILURE)
    client.force_login(chris)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("campaigns:trust", args=["RWE"]))
    assert [(r["sent"], r["failed"]) for r in response.context["rows"]] == [(0, 1)] * 3


def test_reconciliation_sets_rescheduled_beside_messaged(client, chris, rwe, sms, april,
                                                         django_assert_max_num_queries) -> None:
    sent = draft(rwe, sms, april, chris, n=5)
    Campaign.objects.filter(pk=sent.pk).update(status=CampaignStatus.SENDING, started_at=clock.now())
    ids = list(sent.deliveries.order_by("pk").values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids[:2]).update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(pk__in=ids[2:3]).update(status=DeliveryStatus.SENT)
    Delivery.objects.filter(pk__in=ids[3:4]).update(status=DeliveryStatus.PERMANENT_FAILURE)
    draft(rwe, sms, april, chris, n=7)  # a draft has told nobody and is not counted
    client.force_login(chris)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("campaigns:action", args=["RWE", april.slug]))
    r = response.context["reconciliation"]
    assert (r.appointments_rescheduled, r.procedures_rescheduled) == (513, 40)
    assert (r.listed, r.sent, r.delivered, r.failed, r.pending, r.not_yet_told) == (5, 3, 2, 1, 1, 550)
    assert '<td class="nhsuk-table__cell app-numeric" data-figure="gap"><strong>550</strong></td>' in \
        response.content.decode()
