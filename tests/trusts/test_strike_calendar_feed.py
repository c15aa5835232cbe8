"""The strike calendar feeds (trusts/ical.py): valid iCalendar per RFC 5545, parsed with the icalendar
library, with the strike days and deadlines that trusts/strike_calendar.py derives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from tests.factories import local, make_action
from trusts.models import Trust, TrustStatus

pytestmark = pytest.mark.django_db


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content
    # RFC 5545 3.1: lines end in CRLF and are folded at 75 octets.
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert required in event, required
        assert event.decoded("DTSTAMP").tzinfo is not None  # RFC 5545 3.8.7.2: UTC
    return calendar


@pytest.fixture
def actions(db):
    april = make_action()  # 11 to 14 April 2023 (four strike days, 07:00 to 07:00)
    june = make_action(slug="consultants-june-2023", name="Consultants, June 2023; RCN & BMA",
                       windows=[(local(2023, 6, 1, 7), local(2023, 6, 2, 7))], affected=["RWE"])
    return april, june


def test_the_all_actions_calendar_has_every_strike_day(actions) -> None:
    calendar = parse(Client().get(reverse("calendar:all")))
    events = calendar.walk("VEVENT")
    days = [(e.decoded("DTSTART"), str(e["SUMMARY"])) for e in events]
    assert days == [(dt.date(2023, 4, d), "Strike day: Junior doctors, April 2023") for d in (11, 12, 13, 14)] + [
        (dt.date(2023, 6, 1), "Strike day: Consultants, June 2023; RCN & BMA")]  # unescaped by the parser
    first = events[0]
    assert first.decoded("DTEND") == dt.date(2023, 4, 12)
    assert "07:00 on 11 April 2023 to 07:00 on 12 April 2023" in str(first["DESCRIPTION"])
    assert len({str(e["UID"]) for e in events}) == 5
    assert str(calendar["X-WR-CALNAME"]) == "NHS strike days"


def test_the_addresses_and_uids_are_stable(actions) -> None:
    assert reverse("calendar:all") == "/calendar/strike-days.ics"
    assert reverse("calendar:trust", args=["RWE"]) == "/calendar/trusts/RWE/strike-days.ics"
    first = Client().get(reverse("calendar:all")).content
    assert b"UID:strike-day-junior-doctors-april-2023-2023-04-11@" in first
    assert Client().get(reverse("calendar:all")).content == first


def test_a_trust_calendar_has_the_days_it_owes_returns_each_with_its_deadline(actions, rwe) -> None:
    calendar = parse(Client().get(reverse("calendar:trust", args=["rwe"])))
    events = calendar.walk("VEVENT")
    strike = [e for e in events if str(e["SUMMARY"]).startswith("Strike day")]
    due = [e for e in events if str(e["SUMMARY"]).startswith("Return due")]
    assert [e.decoded("DTSTART") for e in strike] == [dt.date(2023, 4, d) for d in (11, 12, 13, 14)] + [
        dt.date(2023, 6, 1)]
    # 11:00 on the next working day (UK time): 14 April 2023 is a Friday, so its return is due on Monday 17th;
    # 1 June is a Thursday: due Friday 2 June.
    deadlines = [e.decoded("DTSTART") for e in due]
    assert deadlines == [local(2023, 4, 12, 11), local(2023, 4, 13, 11), local(2023, 4, 14, 11),
                         local(2023, 4, 17, 11), local(2023, 6, 2, 11)]
    assert str(due[3]["SUMMARY"]) == "Return due: Junior doctors, April 2023, strike day 14 April"
    assert "due by 11am on Monday 17 April 2023" in str(due[3]["DESCRIPTION"])
    assert str(due[3]["URL"]).endswith("/returns/RWE/junior-doctors-april-2023/2023-04-14/")
    assert rwe.name in str(calendar["X-WR-CALNAME"])


def test_a_trust_owes_nothing_for_days_before_it_opened_or_after_it_closed(actions) -> None:
    trust = Trust.objects.get(ods_code="RX1")
    Trust.objects.filter(pk=trust.pk).update(open_date=dt.date(2023, 4, 13), close_date=dt.date(2023, 5, 1),
                                             status=TrustStatus.ACTIVE)
    calendar = parse(Client().get(reverse("calendar:trust", args=["RX1"])))
    strike = [e.decoded("DTSTART") for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("Strike day")]
    assert strike == [dt.date(2023, 4, 13), dt.date(2023, 4, 14)]


def test_an_unknown_trust_is_404(db) -> None:
    assert Client().get(reverse("calendar:trust", args=["ZZZ"])).status_code == 404


def test_changing_an_action_reaches_the_cached_calendar_at_once(actions) -> None:
    def summaries() -> list[str]:
        return [str(e["SUMMARY"]) for e in parse(Client().get(reverse("calendar:all"))).walk("VEVENT")]

    assert summaries()[-1] == "Strike day: Consultants, June 2023; RCN & BMA"
    _april, june = actions
    june.name = "Consultants, June 2023 (renamed)"
    june.save()
    assert summaries()[-1] == "Strike day: Consultants, June 2023 (renamed)"


def test_the_calendars_are_linked_from_the_notices_and_actions_pages(actions, ada) -> None:
    assert 'href="/calendar/strike-days.ics"' in Client().get(reverse("notices:list")).content.decode()
    trust_page = Client().get(reverse("notices:trust", args=["RWE"])).content.decode()
    assert 'href="/calendar/trusts/RWE/strike-days.ics"' in trust_page
    client = Client()
    client.force_login(ada)
    page = client.get(reverse("actions:list")).content.decode()
    assert 'href="/calendar/strike-days.ics"' in page
    assert 'href="/calendar/trusts/RWE/strike-days.ics"' in page  # ada enters RWE's returns
