"""The audit log page: national managers only, filters, pages, escaping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from trusts.models import AuditEvent, Trust
from trusts.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", [None, "ada", "chris", "tom", "morgan", "sam", "pat"])
def test_everyone_but_a_national_manager_gets_not_found(client, request, who) -> None:
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.get("/audit/").status_code == 404


def _old_event(summary: str, when: dt.datetime) -> None:
    """auto_now_add ignores a given time, so an event in the past is inserted directly."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO trusts_auditevent (occurred_at, actor_email, event, trust_code, object_type,"
            " object_id, summary, details, ip_address) VALUES (%s, '', 'test.old', '', '', '', %s, '{}', NULL)",
            [when, summary])


def test_a_national_manager_sees_the_events_newest_first_in_a_captioned_table(client, nia, ada, rwe) -> None:
    client.force_login(nia)  # itself audited, as every sign-in is
    audit_record(event="return.submitted", summary="RWE return for 3 March submitted", actor=ada, trust=rwe)
    audit_record(event="auth.signed_in", summary="ada signed in", actor=ada)
    response = client.get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<caption id="audit-caption" class="nhsuk-table__caption">Events, newest first</caption>' in html
    assert html.index("ada signed in") < html.index("RWE return for 3 March submitted")
    assert [e.summary for e in response.context["page"]] == [
        "ada signed in", "RWE return for 3 March submitted", "nia@england.example signed in"]


def test_filters_by_event_trust_person_and_date(client, nia, ada, tom, rwe) -> None:
    rx1 = Trust.objects.get(ods_code="RX1")
    client.force_login(nia)
    audit_record(event="return.submitted", summary="one", actor=ada, trust=rwe)
    audit_record(event="return.submitted", summary="two", actor=tom, trust=rx1)
    audit_record(event="auth.signed_in", summary="three", actor=tom)
    nia_in = "nia@england.example signed in"

    def summaries(**params: str) -> list[str]:
        response = client.get("/audit/", params)
        assert response.status_code == 200
        return sorted(e.summary for e in response.context["page"])

    assert summaries(event="return.submitted") == ["one", "two"]
    assert summaries(trust="rx1") == ["two"]
    assert summaries(actor="TOM@") == ["three", "two"]
    assert summaries(event="return.submitted", actor="tom") == ["two"]
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    d = {"date_from-day": str(today.day), "date_from-month": str(today.month), "date_from-year": str(today.year)}
    assert summaries(**d) == [nia_in, "one", "three", "two"]
    later = {"date_from-day": str(tomorrow.day), "date_from-month": str(tomorrow.month),
             "date_from-year": str(tomorrow.year)}
    assert summaries(**later) == []
    until = {"date_to-day": str(today.day), "date_to-month": str(today.month), "date_to-year": str(today.year)}
    assert summaries(**until) == [nia_in, "one", "three", "two"]
    # Days are UK days: 23:30 UTC on 30 June is 1 July in London.
    _old_event("summer night", dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC))
    _old_event("the day before", dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC))
    july = {"date_from-day": "1", "date_from-month": "7", "date_from-year": "2025",
            "date_to-day": "1", "date_to-month": "7", "date_to-year": "2025"}
    assert summaries(**july) == ["summer night"]
    # The event list offers only events that have happened.
    options = client.get("/audit/").context["form"].fields["event"].choices
    assert options == [("", "All events"), ("auth.signed_in", "auth.signed_in"),
                       ("return.submitted", "return.submitted"), ("test.old", "test.old")]


def test_bad_filters_get_messages_and_no_list(client, nia) -> None:
    client.force_login(nia)
    response = client.get("/audit/", {"trust": "R-W", "date_from-day": "31", "date_from-month": "2",
                                      "date_from-year": "2025", "event": "no.such"})
    html = response.content.decode()
    assert response.context["page"] is None
    assert "There is a problem" in html
    assert "Trust ODS code must be 3 to 5 letters and numbers, like RWE" in html
    assert "From date must be a real date" in html
    assert "<title>Error: Audit log" in html
    response = client.get("/audit/", {"date_from-day": "2", "date_from-month": "3", "date_from-year": "2025",
                                      "date_to-day": "1", "date_to-month": "3", "date_to-year": "2025"})
    assert "To date must be the same as or after the from date" in response.content.decode()


def test_fifty_events_a_page_and_the_filters_survive_paging(client, nia) -> None:
    # Keyset pages: "older" and "newer" from a cursor, the filters kept, no count of the whole log.
    AuditEvent.objects.bulk_create([AuditEvent(event="test.bulk", summary=f"event {i}") for i in range(120)])
    audit_record(event="other.thing", summary="other")
    client.force_login(nia)
    first = client.get("/audit/", {"event": "test.bulk"})
    page = first.context["page"]
    assert len(page) == 50 and page.newer is None and page.older
    html = first.content.decode()
    assert "Events matching the filters, newest first" in html
    assert f'href="?event=test.bulk&amp;before={page.older}" rel="next"' in html
    assert "Newer events" not in html
    seen = [e.pk for e in page]
    second = client.get("/audit/", {"event": "test.bulk", "before": page.older})
    assert "Older events matching the filters, newest first" in second.content.decode()
    third = client.get("/audit/", {"event": "test.bulk", "before": second.context["page"].older})
    assert third.context["page"].older is None and len(third.context["page"]) == 20
    seen += [e.pk for e in second.context["page"]] + [e.pk for e in third.context["page"]]
    expected = list(AuditEvent.objects.filter(event="test.bulk").order_by("-occurred_at", "-id")
                    .values_list("pk", flat=True))
    assert seen == expected  # every event once, in order, across pages (equal timestamps included)
    # ... and back: "newer" from the third page is the second.
    back = client.get("/audit/", {"event": "test.bulk", "after": third.context["page"].newer})
    assert [e.pk for e in back.context["page"]] == [e.pk for e in second.context["page"]]
    assert f'after={third.context["page"].newer}' in third.content.decode()
    top = client.get("/audit/", {"event": "test.bulk", "after": back.context["page"].newer})
    assert [e.pk for e in top.context["page"]] == seen[:50] and top.context["page"].newer is None
    for nonsense in ("nonsense", "-", "1-", "99999999999999999999-1"):
        assert client.get("/audit/", {"before": nonsense}).status_code == 200
        assert client.get("/audit/", {"after": nonsense}).status_code == 200


def test_the_page_reads_no_count_and_no_distinct(client, nia) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AuditEvent.objects.bulk_create([AuditEvent(event=f"test.kind{i % 7}", summary=f"e{i}") for i in range(60)])
    client.force_login(nia)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/audit/")
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "COUNT(" not in sql and "DISTINCT" not in sql
    options = [value for value, _ in response.context["form"].fields["event"].choices]
    assert options == ["", "auth.signed_in", *(f"test.kind{i}" for i in range(7))]


def test_summaries_and_details_are_escaped(client, nia) -> None:
    audit_record(event="test.event", summary='<script>alert("x")</script> name', details={"a": "<b>"})
    client.force_login(nia)
    html = client.get("/audit/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; name" in html
