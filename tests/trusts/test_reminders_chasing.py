"""Reminders tell the truth, and managers chase: a trust with nobody to email is "no contact" (never
"sent"), is reminded once it has a contact; "send a reminder now" per trust and for every overdue trust;
the reminder log for managers and for the trust itself."""

from __future__ import annotations

import html

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.conftest import _user
from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, ReminderSent, ReminderStatus, ReminderTrigger, Role, Trust

pytestmark = pytest.mark.django_db

# Strike day 11 April 2023: its return is due at 11:00 on Wednesday 12 April (lead time 2 hours).
DUE = local(2023, 4, 12, 9, 0)


@pytest.fixture
def april(db):
    return make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 12, 7))])


def to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a request as if its transaction committed: the emails it queued are sent."""
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()
    return run


def test_a_trust_with_nobody_to_email_is_recorded_as_no_contact_not_sent(april, ada, remind) -> None:
    run = remind(DUE)
    rx1 = ReminderSent.objects.get(trust__ods_code="RX1")  # Nottingham: no administrator, no contact email
    assert (rx1.status, rx1.recipient_count, rx1.recipients) == (ReminderStatus.NO_CONTACT, 0, [])
    assert ReminderSent.objects.get(trust__ods_code="RWE").recipients == [ada.email]
    # One email went out (to Ada); "sent" counts exactly the reminders that reached someone.
    assert run.emails == 1 == len(mail.outbox)
    assert run.no_contact == ReminderSent.objects.filter(status=ReminderStatus.NO_CONTACT).count() > 100
    assert ReminderSent.objects.filter(status=ReminderStatus.SENT).count() == 1


def test_the_database_refuses_a_sent_reminder_that_reached_nobody(april) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(trust=Trust.objects.get(ods_code="RX1"), strike_day=april.strike_days.get(),
                                    status=ReminderStatus.SENT, recipient_count=0)


def test_the_timer_reminds_a_trust_once_it_has_a_contact(april, remind) -> None:
    remind(DUE)
    assert to("returns@rx1.example") == []
    Trust.objects.filter(ods_code="RX1").update(contact_email="returns@rx1.example")
    later = remind(local(2023, 4, 12, 9, 15))
    assert len(to("returns@rx1.example")) == 1
    assert later.emails == 1
    row = ReminderSent.objects.get(trust__ods_code="RX1")  # the same row, taken back: still one per day
    assert (row.status, row.recipients) == (ReminderStatus.SENT, ["returns@rx1.example"])
    remind(local(2023, 4, 12, 9, 30))
    assert len(to("returns@rx1.example")) == 1


def test_the_missing_returns_page_lists_no_contact_with_what_to_do(april, morgan, ada) -> None:
    text = page(signed_in(morgan), reverse("actions:missing", args=[april.slug]))
    rwe, rx1 = (text.split(f"({code})</td>")[1].split("</tr>")[0] for code in ("RWE", "RX1"))
    assert "No contact" in rx1 and "add a trust administrator" in rx1
    assert "No contact" not in rwe and "ada@rwe.example" in rwe
    assert "None" not in text.split("<table")[1]


def test_a_manager_sends_a_reminder_now_and_it_is_logged_and_audited(april, morgan, ada, committed) -> None:
    client = signed_in(morgan)
    response = committed(lambda: client.post(reverse("actions:remind", args=[april.slug]),
                                             {"trust": "RWE", "date": "2023-04-11"}, follow=True))
    # Queued after the request's commit (sent by a worker; here, in-process once the test's commit runs).
    assert "Reminder on its way to University Hospitals of Leicester NHS Trust: ada@rwe.example" in html.unescape(
        response.content.decode())
    [message] = to(ada.email)
    assert message.subject.startswith("Overdue: RWE return for Tuesday 11 April 2023 was due by 11:00")
    row = ReminderSent.objects.get(trust__ods_code="RWE")
    assert (row.trigger, row.sent_by, row.status) == (ReminderTrigger.MANAGER, morgan, ReminderStatus.SENT)
    event = AuditEvent.objects.get(event="reminder.sent")
    assert (event.actor, event.trust_code) == (morgan, "RWE")
    # The missing page shows it beside the trust; a second click a moment later sends nothing.
    text = page(client, reverse("actions:missing", args=[april.slug]))
    assert "by morgan@midlands.example: sent to 1 person" in text
    again = client.post(reverse("actions:remind", args=[april.slug]), {"trust": "RWE", "date": "2023-04-11"},
                        follow=True)
    assert "wait 10 minutes" in html.unescape(again.content.decode())
    assert len(to(ada.email)) == 1
    # The log, for the manager and for the trust's own administrator.
    log = page(client, reverse("actions:reminders", args=[april.slug]))
    row_text = log.split("<tbody")[1]
    assert "University Hospitals of Leicester NHS Trust (RWE)" in row_text
    assert "morgan@midlands.example" in row_text and "ada@rwe.example" in row_text and "Sent" in row_text
    assert reverse("trusts:reminders", args=["RWE"]) in page(signed_in(ada), reverse("trusts:trust", args=["RWE"]))
    assert reverse("trusts:reminders", args=["RWE"]) not in page(Client(), reverse("trusts:trust", args=["RWE"]))
    own = page(signed_in(ada), reverse("trusts:reminders", args=["RWE"]))
    assert "morgan@midlands.example" in own and "Junior doctors, April 2023, 11 April 2023" in own
    assert "Nobody to remind" not in own


def test_a_reminder_to_a_trust_with_nobody_to_email_says_so_and_works_once_it_has_one(
        april, nia, committed) -> None:
    client = signed_in(nia)
    url = reverse("actions:remind", args=[april.slug])
    response = client.post(url, {"trust": "RX1", "date": "2023-04-11"}, follow=True)
    assert "has nobody to email: the reminder was not sent" in html.unescape(response.content.decode())
    assert mail.outbox == []
    assert ReminderSent.objects.get(trust__ods_code="RX1").status == ReminderStatus.NO_CONTACT
    assert AuditEvent.objects.filter(event="reminder.no_contact").count() == 1
    tom = _user("tom@rx1.example", Role.TRUST_ADMIN, trust="RX1")
    own = page(signed_in(tom), reverse("trusts:reminders", args=["RX1"]))
    assert "Not sent: nobody to email" in own
    committed(lambda: client.post(url, {"trust": "RX1", "date": "2023-04-11"}))
    assert len(to(tom.email)) == 1
    assert list(ReminderSent.objects.filter(trust__ods_code="RX1").order_by("pk")
                .values_list("status", flat=True)) == [ReminderStatus.NO_CONTACT, ReminderStatus.SENT]


def test_remind_every_overdue_trust_in_the_managers_scope(morgan, ada,
                                                          django_capture_on_commit_callbacks) -> None:
    action = make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 13, 7))])
    assert action.first_day is not None
    make_return(action, "RWE", action.first_day)  # RWE owes only 12 April
    Trust.objects.filter(ods_code="RX1").update(contact_email="returns@rx1.example")
    client = signed_in(morgan)
    text = page(client, reverse("actions:missing", args=[action.slug]))
    midlands = Trust.objects.filter(icb__region__code="Y60").count()
    overdue = 2 * midlands - 1
    assert f"{overdue} overdue returns" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("actions:remind", args=[action.slug]), {"all": "overdue"})
    assert response.status_code == 302
    response = client.get(response["Location"])
    # The worker's run (in-process here: tests run tasks eagerly, after the commit), then the log it wrote.
    log = " ".join(html.unescape(response.content.decode()).split())
    assert "Reminders to every overdue trust are being sent" in log
    assert [m.subject.split(" return")[0] for m in to(ada.email)] == ["Overdue: RWE"]
    assert len(to("returns@rx1.example")) == 2
    rows = ReminderSent.objects.filter(trigger=ReminderTrigger.MANAGER, sent_by=morgan)
    assert rows.filter(status=ReminderStatus.SENT).count() == 3
    assert rows.filter(status=ReminderStatus.NO_CONTACT).count() == overdue - 3
    assert not ReminderSent.objects.exclude(trust__icb__region__code="Y60").exists()  # only Morgan's region
    assert "returns@rx1.example" in log and "Not sent: nobody to email" in log
    # Pressed again a moment later: nobody who was just emailed is emailed again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("actions:remind", args=[action.slug]), {"all": "overdue"})
    assert len(mail.outbox) == 3
    assert rows.filter(status=ReminderStatus.SENT).count() == 3


def test_a_manager_cannot_chase_a_trust_outside_their_region(april, sam) -> None:
    response = signed_in(sam).post(reverse("actions:remind", args=[april.slug]), {"trust": "RWE",
                                                                                 "date": "2023-04-11"})
    assert response.status_code == 404
    assert not ReminderSent.objects.exists() and mail.outbox == []
