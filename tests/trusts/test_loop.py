"""The manager-trust loop (issue 16): home pages per role, Overdue, reopenings told, queries on a
figure, sign-off, outliers across trusts, on-time rates and the ICB level. Real services and pages;
the rendered text is read, not only status codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from outbox.models import OutboxStatus
from outbox.tasks import outbox_recover, outbox_send
from reports.selectors.reports import national_totals
from tests.conftest import _user
from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent, DailyReturn, QueryStatus, ReturnQuery, ReturnRevision, Role, Trust, TrustEmail
from trusts.selectors.completeness import expected_trusts, timeliness, timeliness_by_area
from trusts.selectors.outliers import outliers
from trusts.services.queries import QueryRefused, query_answer, query_close, query_raise
from trusts.services.reopenings import returns_reopen
from trusts.services.returns import return_submit
from trusts.services.sign_off import SignOffRefused, return_sign_off
from trusts.services.trust_emails import TABLE

pytestmark = pytest.mark.django_db

SLUG = "junior-doctors-april-2023"
DETAIL = f"/returns/RWE/{SLUG}/2023-04-12/"
FIGURES = {"staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
           "community_rescheduled": 10, "mental_health_rescheduled": 3}


@pytest.fixture
def at(monkeypatch):
    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("trusts.clock.now", lambda: moment)
    move(local(2023, 4, 12, 14))  # after 11 April's deadline (11:00 on 12 April), before 12 April's
    return move


@pytest.fixture
def action(db):
    return make_action(affected=["RWE", "RX1"])


def _submit(action, trust: str, day: dt.date, user, **changes: int):
    return return_submit(action=action, trust=Trust.objects.get(ods_code=trust), day=day, user=user,
                         figures={**FIGURES, **changes}, now=local(2023, 4, day.day + 1, 9), warning_comment="ok")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- 1. home pages and Overdue ------------------------------------------------------------------------

def test_a_trust_administrator_lands_on_their_trusts_work(client, ada, action, at) -> None:
    client.force_login(ada)
    body = _text(client.get("/"))
    assert "Sign in to submit or review returns" not in body
    assert "<h1>Your work</h1>" in body
    assert f'href="/actions/{SLUG}/">Junior doctors, April 2023</a>' in body  # the current action at the top
    # 11 April's deadline has passed: Overdue (red), not "Not started"; 12 April is due, not yet overdue.
    eleventh = body.index("Tuesday 11 April 2023")
    assert '<strong class="nhsuk-tag nhsuk-tag--red">Overdue</strong>' in body[eleventh:eleventh + 600]
    twelfth = body.index("Wednesday 12 April 2023")
    assert "Not started" in body[twelfth:twelfth + 600]
    assert "1 return is past the deadline." in body
    assert "No queries are waiting for your answer." in body


def test_the_returns_dashboard_says_overdue_after_the_deadline(client, ada, action, at) -> None:
    client.force_login(ada)
    body = _text(client.get("/returns/"))
    row = body[body.index("Tuesday 11 April 2023"):]
    row = row[:row.index("</tr>")]
    assert "Overdue" in row and "Not started" not in row and "Enter return" in row


def test_communications_staff_see_drafts_scheduled_messages_and_notices(client, chris, action, rwe) -> None:
    from notices.services.notices import notice_create

    notice_create(trust=rwe, user=chris, title="Strike update for patients", body="Body",
                  what_to_do="Attend unless contacted.", action=action)
    client.force_login(chris)
    body = _text(client.get("/"))
    drafts = body[body.index('id="draft-notices"'):body.index('id="scheduled-campaigns"')]
    assert "Strike update for patients" in drafts
    assert "No messages are scheduled." in body and "You have not published any notices." in body
    assert "Returns due now" not in body  # not a trust administrator


def test_a_manager_sees_coverage_overdue_trusts_queries_and_outliers(client, morgan, ada, action, at) -> None:
    saved = _submit(action, "RWE", dt.date(2023, 4, 11), ada)
    query_raise(daily_return=saved, figure="outpatient_rescheduled", question="Please confirm", user=morgan)
    client.force_login(morgan)
    body = _text(client.get("/"))
    assert "Junior doctors, April 2023: returns received" in body
    midlands = Trust.objects.filter(icb__region__code="Y60").count()
    assert f"1 of {midlands}" in body  # 11 April, in morgan's region
    assert f"{midlands - 1} trusts have not sent the return for Tuesday 11 April 2023" in body
    assert "University Hospitals of Leicester NHS Trust, 11 April 2023: Outpatient appointments rescheduled" in body
    assert "Outliers across trusts" in body


def test_anonymous_visitors_get_the_public_introduction(client) -> None:
    body = _text(client.get("/"))
    assert "Sign in</a> to submit or review returns" in body and "Your work" not in body


# --- 2. reopenings told ---------------------------------------------------------------------------------

def test_a_reopening_emails_the_administrators_once_after_commit_and_shows_a_banner(
        client, ada, nia, action, django_capture_on_commit_callbacks) -> None:
    rwe = Trust.objects.get(ods_code="RWE")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reopening = returns_reopen(action=action, trust=rwe, user=nia, reason="Outpatient figures were doubled")
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[ada.email]]
    message = mail.outbox[0]
    assert "RWE returns for Junior doctors, April 2023 reopened" in message.subject
    assert "NHS England's reason: Outpatient figures were doubled" in message.body
    # A retried task, and the outbox's recovery, send nothing more.
    [row] = TrustEmail.objects.filter(reopening=reopening)
    assert (row.status, row.to) == (OutboxStatus.SENT, ada.email)
    assert outbox_send.apply(args=(TABLE, row.pk)).get() is None
    outbox_recover.apply().get()
    assert len(mail.outbox) == 1
    client.force_login(ada)
    for page in ("/", "/returns/", DETAIL):
        body = _text(client.get(page))
        assert "Returns reopened" in body, page
        assert "NHS England's reason: Outpatient figures were doubled" in body, page
        assert f"until {reopening.closes_at.astimezone(local(2023, 1, 1).tzinfo):%H:%M}" in body, page


# --- 4. queries on returns ------------------------------------------------------------------------------

def test_the_query_loop_through_the_pages(client, ada, morgan, action, at) -> None:
    _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    client.force_login(morgan)
    form = _text(client.get(DETAIL + "queries/new/?figure=outpatient_rescheduled"))
    assert "Outpatient appointments rescheduled: 500" in form
    response = client.post(DETAIL + "queries/new/", {"figure": "outpatient_rescheduled",
                                                     "question": "Outpatient 500 is 10x last round: please confirm"})
    assert response.status_code == 302
    query = ReturnQuery.objects.get()
    assert query.figure_value == 500 and query.status == QueryStatus.OPEN
    # The trust sees it on its home page and on the return, the figure marked.
    client.force_login(ada)
    home = _text(client.get("/"))
    assert "Outpatient 500 is 10x last round: please confirm" in home
    detail = _text(client.get(DETAIL))
    assert "500 <strong class=\"nhsuk-tag nhsuk-tag--yellow\">Under query</strong>" in detail
    # Answer by revising, with a reason: a revision like any other.
    answer_url = DETAIL + f"queries/{query.pk}/answer/"
    refused = _text(client.post(answer_url, {"answer": "revised", "new_value": "", "comment": "Typo"}))
    assert "Enter the corrected figure" in refused
    assert client.post(answer_url, {"answer": "revised", "new_value": "50", "comment": "A typo: 50"}).status_code == 302
    saved = DailyReturn.objects.get(trust__ods_code="RWE", date=dt.date(2023, 4, 12))
    assert saved.outpatient_rescheduled == 50
    revision = ReturnRevision.objects.get(daily_return=saved)
    assert revision.reason == "A typo: 50" and revision.changes["outpatient_rescheduled"] == [500, 50]
    # The manager closes it; every step is in the audit log and the return's history.
    client.force_login(morgan)
    assert client.post(DETAIL + f"queries/{query.pk}/close/").status_code == 302
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED
    assert list(AuditEvent.objects.filter(event__startswith="query.").order_by("id").values_list("event", flat=True)) \
        == ["query.raised", "query.answered", "query.closed"]
    history = _text(client.get(DETAIL))
    table = history[history.index('id="queries-history"'):]
    for step in ("Query raised on outpatient appointments rescheduled", "answered: revised the figure",
                 "closed"):
        assert step in table
    assert "Under query" not in history


def test_confirming_needs_a_comment_and_only_an_open_query_is_answered(ada, morgan, action, at) -> None:
    saved = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    query = query_raise(daily_return=saved, figure="staff_absent", question="Really 700?", user=morgan)
    with pytest.raises(QueryRefused, match="Enter why the figure is right"):
        query_answer(query=query, user=ada, answer="confirmed", comment=" ")
    answered = query_answer(query=query, user=ada, answer="confirmed", comment="A whole department walked out")
    assert answered.status == QueryStatus.ANSWERED and answered.answer_comment == "A whole department walked out"
    with pytest.raises(QueryRefused, match="already been answered"):
        query_answer(query=query, user=ada, answer="confirmed", comment="again")
    assert query_close(query=query, user=morgan).status == QueryStatus.CLOSED
    # The database refuses an answered query without its answer.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnQuery.objects.filter(pk=query.pk).update(status="answered", answer="")


def test_report_pages_count_open_queries_and_list_the_figures_under_query(client, ada, nia, action, at) -> None:
    saved = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    query_raise(daily_return=saved, figure="outpatient_rescheduled", question="Please confirm 500", user=nia)
    client.force_login(nia)
    report = _text(client.get(f"/reports/actions/{SLUG}/"))
    assert "1 query is open on this action's returns." in report
    queries = _text(client.get(f"/reports/actions/{SLUG}/queries/"))
    assert "1 query is open, on 1 figure." in queries
    assert "University Hospitals of Leicester NHS Trust, 12 April" in queries
    assert "Outpatient appointments rescheduled: 500" in queries


def test_the_api_lists_my_trusts_open_queries_and_answers_one(client, ada, tom, nia, action, at) -> None:
    from trusts.services.api_tokens import api_token_create

    saved = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    query = query_raise(daily_return=saved, figure="outpatient_rescheduled", question="Please confirm", user=nia)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=ada, name='t').secret}"}
    listed = client.get("/api/v1/queries/", **headers).json()
    assert [(q["id"], q["trust"], q["figure"], q["status"]) for q in listed["results"]] == \
        [(query.pk, "RWE", "outpatient_rescheduled", "open")]
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=tom, name='t').secret}"}
    assert client.get("/api/v1/queries/", **other).json()["results"] == []
    assert client.post(f"/api/v1/queries/{query.pk}/answer/", {"answer": "confirmed", "comment": "Right"},
                       content_type="application/json", **other).status_code == 404
    answered = client.post(f"/api/v1/queries/{query.pk}/answer/", {"answer": "confirmed", "comment": "Right"},
                           content_type="application/json", **headers)
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    again = client.post(f"/api/v1/queries/{query.pk}/answer/", {"answer": "confirmed", "comment": "Right"},
                        content_type="application/json", **headers)
    assert again.status_code == 422 and again.json()["error"]["message"] == "This query has already been answered"
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/queries/{id}/answer/:" in schema and "/api/v1/returns/{ods_code}/{slug}/{day}/sign-off/:" in schema


# --- 6. sign-off ----------------------------------------------------------------------------------------

@pytest.fixture
def signed_action(action):
    action.requires_sign_off = True
    action.save(update_fields=["requires_sign_off"])
    return action


def test_a_second_administrator_signs_off_and_a_revision_needs_a_new_sign_off(
        client, ada, signed_action, at) -> None:
    bea = _user("bea@rwe.example", Role.TRUST_ADMIN, trust="RWE")
    saved = _submit(signed_action, "RWE", dt.date(2023, 4, 12), ada)
    with pytest.raises(SignOffRefused, match="a second person at your trust must sign it off"):
        return_sign_off(daily_return=saved, user=ada)
    client.force_login(ada)
    assert "a second person at your trust must sign it off" in _text(client.get(DETAIL))
    client.force_login(bea)
    assert "Returns waiting for your sign-off" in _text(client.get("/"))
    assert "Sign off these figures" in _text(client.get(DETAIL))
    assert client.post(DETAIL + "sign-off/", {"version": saved.version}).status_code == 302
    saved.refresh_from_db()
    assert saved.signed_off_by == bea and saved.signed_off_at is not None
    assert AuditEvent.objects.filter(event="return.signed_off", actor=bea).count() == 1
    assert "Signed off</strong> by bea@rwe.example" in _text(client.get(DETAIL))
    # A revision clears the sign-off: the figures signed off are no longer these.
    revised = _submit(signed_action, "RWE", dt.date(2023, 4, 12), ada, outpatient_rescheduled=450)
    assert revised.signed_off_at is None and revised.signed_off_by is None
    assert AuditEvent.objects.get(event="return.revised").details["sign_off_withdrawn"] is True


def test_the_database_refuses_a_sign_off_by_the_submitter(ada, signed_action, at) -> None:
    saved = _submit(signed_action, "RWE", dt.date(2023, 4, 12), ada)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyReturn.objects.filter(pk=saved.pk).update(signed_off_by=ada, signed_off_at=saved.submitted_at)


def test_sign_off_is_refused_where_the_action_does_not_need_it(ada, action, at) -> None:
    bea = _user("bea@rwe.example", Role.TRUST_ADMIN, trust="RWE")
    saved = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    with pytest.raises(SignOffRefused, match="do not need signing off"):
        return_sign_off(daily_return=saved, user=bea)


def test_reports_show_submitted_and_signed_off_coverage_and_the_api_signs_off(
        client, ada, nia, signed_action, at) -> None:
    from trusts.services.api_tokens import api_token_create

    bea = _user("bea@rwe.example", Role.TRUST_ADMIN, trust="RWE")
    saved = _submit(signed_action, "RWE", dt.date(2023, 4, 12), ada)
    _submit(signed_action, "RX1", dt.date(2023, 4, 12), ada)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=bea, name='t').secret}"}
    url = f"/api/v1/returns/RWE/{SLUG}/2023-04-12/sign-off/"
    stale = client.post(url, {"version": saved.version + 1}, content_type="application/json", **headers)
    assert stale.status_code == 409
    signed = client.post(url, {"version": saved.version}, content_type="application/json", **headers)
    assert signed.status_code == 200 and signed.json()["signed_off_at"]
    client.force_login(nia)
    body = _text(client.get(f"/reports/actions/{SLUG}/"))
    table = body[body.index('id="signed-off-table"'):]
    table = table[:table.index("</table>")]
    expected = expected_trusts(signed_action, dt.date(2023, 4, 12)).count()
    row = table[table.index("Wed 12 Apr 2023"):]
    assert f"2 of {expected:,}</td>" in row[:300] and f"1 of {expected:,}</td>" in row[:300]


# --- 5. outliers across trusts --------------------------------------------------------------------------

def test_outliers_are_found_among_trusts_of_the_same_type_and_size_in_sql(client, nia, at) -> None:
    peers = list(Trust.objects.filter(trust_type="acute").order_by("ods_code")[:8])
    action = make_action(affected=[t.ods_code for t in peers])
    day = dt.date(2023, 4, 12)
    for index, trust in enumerate(peers):
        # 2,000 staff due each (one size band); outpatient about 100 per 1,000, the last 20 times that.
        outpatient = 4000 if index == len(peers) - 1 else 200 + 10 * index
        make_return(action, trust, day, staff_due=2000, staff_absent=300 + index, outpatient_rescheduled=outpatient,
                    elective_rescheduled=20 + index)
    found = outliers(action)
    assert [(o.ods_code, o.figure, o.value) for o in found] == [(peers[-1].ods_code, "outpatient_rescheduled", 4000)]
    assert found[0].peers == 8 and found[0].peer_median == pytest.approx(117.5)
    client.force_login(nia)
    body = _text(client.get(f"/reports/actions/{SLUG}/outliers/"))
    assert "1 figure far from similar trusts', furthest first" in body
    assert f"/returns/{peers[-1].ods_code}/{SLUG}/2023-04-12/queries/new/?figure=outpatient_rescheduled" in body
    # Fewer than five peers: no group to compare with.
    assert outliers(action, Trust.objects.filter(pk__in=[t.pk for t in peers[-4:]])) == []


# --- 7. on-time rates and the ICB level -----------------------------------------------------------------

def test_on_time_late_and_missing_per_day_and_area_and_in_national_totals(ada, action, at) -> None:
    rwe, rx1 = Trust.objects.get(ods_code="RWE"), Trust.objects.get(ods_code="RX1")
    make_return(action, rwe, dt.date(2023, 4, 11), outpatient_rescheduled=5)
    late = make_return(action, rx1, dt.date(2023, 4, 11), outpatient_rescheduled=5)
    DailyReturn.objects.filter(pk=late.pk).update(is_late=True)
    expected = expected_trusts(action, dt.date(2023, 4, 11)).count()
    day = {t.code: t for t in timeliness(action, by="day")}["2023-04-11"]
    assert (day.expected, day.on_time, day.late, day.missing) == (expected, 1, 1, expected - 2)
    assert day.on_time_rate == (100_0 // expected) / 10
    icbs = {t.code: t for t in timeliness(action, by="icb")}
    assert icbs[rwe.icb.code].on_time == 1 and icbs[rx1.icb.code].late == 1
    regions = timeliness(action, by="region")
    assert len(regions) == 7 and sum(r.expected for r in regions) == expected * 4
    trusts = {t.code: t for t in timeliness(action, by="trust", trusts=Trust.objects.filter(pk=rwe.pk))}
    assert list(trusts) == ["RWE"] and (trusts["RWE"].on_time, trusts["RWE"].missing) == (1, 3)
    entry = national_totals([action.slug])["actions"][0]
    first = entry["days"][0]
    assert (first["returns_on_time"], first["returns_late"], first["returns_missing"]) == (1, 1, expected - 2)
    assert first["on_time_rate"] == day.on_time_rate
    assert entry["timeliness"]["returns_expected"] == expected * 4
    # Every level counts by the one rule: days, trusts, ICBs and regions add up to the same numbers.
    sums = {level: tuple(map(sum, zip(*((t.expected, t.on_time, t.late) for t in timeliness(action, by=level)),
                                       strict=True)))
            for level in ("day", "trust", "icb", "region")}
    assert len(set(sums.values())) == 1, sums


def test_every_area_level_comes_from_one_query_in_the_database_s_order(
        ada, action, at, django_assert_num_queries) -> None:
    """timeliness_by_area: the trust, ICB and region tables in one grouped query, each coarser level
    the sum of its members, each level in the order the database's ORDER BY gave before (region name,
    then name), equal to asking for each level on its own."""
    make_return(action, "RWE", dt.date(2023, 4, 11), outpatient_rescheduled=5)
    late = make_return(action, "RX1", dt.date(2023, 4, 12), outpatient_rescheduled=5)
    DailyReturn.objects.filter(pk=late.pk).update(is_late=True)
    with django_assert_num_queries(1):
        together = timeliness_by_area(action, ("trust", "icb", "region"))
    assert set(together) == {"trust", "icb", "region"}
    for level in ("trust", "icb", "region"):
        assert together[level] == timeliness(action, by=level), level
    icbs = together["icb"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.code FROM trusts_icb i JOIN trusts_region g ON g.id = i.region_id "
                       "WHERE i.code = ANY(%s) ORDER BY g.name, i.name", [[t.code for t in icbs]])
        assert [t.code for t in icbs] == [row[0] for row in cursor.fetchall()]
    one_region = Trust.objects.filter(icb__region__code="Y60")
    scoped = timeliness_by_area(action, ("icb", "region"), one_region)
    assert [t.code for t in scoped["region"]] == ["Y60"]
    assert sum(t.expected for t in scoped["icb"]) == scoped["region"][0].expected
    with pytest.raises(ValueError):
        timeliness_by_area(action, ("day",))


def test_the_region_table_lists_all_seven_regions_and_the_icb_page(client, nia, action, at) -> None:
    make_return(action, "RWE", dt.date(2023, 4, 11), outpatient_rescheduled=5)
    client.force_login(nia)
    body = _text(client.get(f"/reports/actions/{SLUG}/"))
    regions = body[body.index('id="regions"'):]
    regions = regions[:regions.index("</table>")]
    assert regions.count('<tr class="nhsuk-table__row">') == 1 + 7
    london = regions[regions.index(">London</a>"):]
    assert "Not submitted" in london[:london.index("</tr>")]
    assert "On time, late and missing per strike day" in body
    rwe = Trust.objects.select_related("icb").get(ods_code="RWE")
    assert f'href="/reports/actions/{SLUG}/icbs/{rwe.icb.code}/"' in body
    icb = _text(client.get(f"/reports/actions/{SLUG}/icbs/{rwe.icb.code}/"))
    assert f"<h1>{rwe.icb.short_name}</h1>" in icb
    assert "On time, late and missing per trust, over the action" in icb
    assert "University Hospitals of Leicester NHS Trust (RWE)" in icb


def test_an_action_is_declared_requiring_sign_off_and_its_page_says_so(client, nia) -> None:
    from tests.trusts.test_actions_pages import form_data, window
    from trusts.models import IndustrialAction

    client.force_login(nia)
    data = form_data(**window(0, dt.date(2023, 6, 14), "07:00", dt.date(2023, 6, 17), "07:00"))
    client.post("/actions/new/", data)
    assert IndustrialAction.objects.get().requires_sign_off is False  # default off
    IndustrialAction.objects.all().delete()
    client.post("/actions/new/", {**data, "requires_sign_off": "on"})
    action = IndustrialAction.objects.get()
    assert action.requires_sign_off is True
    assert AuditEvent.objects.filter(event="action.created").latest("id").details["requires_sign_off"] is True
    page = _text(client.get(f"/actions/{action.slug}/"))
    assert "Each return needs signing off by a second person at the trust" in page
    edit = _text(client.get(f"/actions/{action.slug}/edit/"))
    assert 'name="requires_sign_off"' in edit and "checked" in edit[edit.index('name="requires_sign_off"') - 200:
                                                                     edit.index('name="requires_sign_off"') + 200]


def test_a_release_can_be_restricted_to_signed_off_returns(client, ada, nia, signed_action, at) -> None:
    from reports.models import Release
    from reports.services.releases import ReleaseRefused, release_publish

    bea = _user("bea@rwe.example", Role.TRUST_ADMIN, trust="RWE")
    rwe_return = _submit(signed_action, "RWE", dt.date(2023, 4, 12), ada)
    _submit(signed_action, "RX1", dt.date(2023, 4, 12), ada, outpatient_rescheduled=9000)  # not signed off
    return_sign_off(daily_return=rwe_return, user=bea)
    client.force_login(nia)
    form = _text(client.get(f"/reports/actions/{SLUG}/publish/"))
    assert "Publish figures from signed-off returns only" in form
    # Two of the day's returns were owed and one is signed off: below the coverage threshold, so
    # publishing needs the box and a reason, as any incomplete release does.
    incomplete = {"allow_incomplete": "on", "reason": "Trusts are still signing off"}
    refused = _text(client.post(f"/reports/actions/{SLUG}/publish/", {"signed_off_only": "1"}))
    assert "Confirm that you are publishing incomplete figures" in refused
    assert client.post(f"/reports/actions/{SLUG}/publish/", {"signed_off_only": "1", **incomplete}).status_code == 302
    release = Release.objects.get()
    day = next(d for d in release.figures["national"]["days"] if d["date"] == "2023-04-12")
    assert day["outpatient_rescheduled"] == 500 and day["returns_received"] == 1  # RX1's 9,000 left out
    assert {t["code"] for t in release.figures["trusts"] if any(d["returns"] for d in t["days"])} == {"RWE"}
    assert release.figures["signed_off_only"] is True
    assert "Signed-off returns only" in _text(client.get(release.get_absolute_url()))
    # Without the box: every submitted return.
    client.post(f"/reports/actions/{SLUG}/publish/", incomplete)
    second = Release.objects.get(number=2)
    day = next(d for d in second.figures["national"]["days"] if d["date"] == "2023-04-12")
    assert day["outpatient_rescheduled"] == 9500 and second.figures["signed_off_only"] is False
    other = make_action(slug="no-sign-off", name="No sign-off",
                        windows=[(local(2023, 5, 2, 7), local(2023, 5, 3, 7))])
    with pytest.raises(ReleaseRefused, match="cannot be restricted to signed-off returns"):
        release_publish(action=other, user=nia, signed_off_only=True)


def test_a_locked_return_cannot_be_revised_through_a_query_but_can_be_confirmed(
        client, ada, nia, action, at) -> None:
    saved = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    query = query_raise(daily_return=saved, figure="outpatient_rescheduled", question="Please confirm", user=nia)
    at(local(2023, 5, 2, 12))  # after the hard close
    client.force_login(ada)
    url = DETAIL + f"queries/{query.pk}/answer/"
    refused = _text(client.post(url, {"answer": "revised", "new_value": "50", "comment": "A typo"}))
    assert "<title>Error: " in refused and "Returns for Junior doctors, April 2023 are locked" in refused
    assert DailyReturn.objects.get(pk=saved.pk).outpatient_rescheduled == 500
    assert client.post(url, {"answer": "confirmed", "comment": "It is right"}).status_code == 302
    assert ReturnQuery.objects.get(pk=query.pk).status == QueryStatus.ANSWERED


def test_the_trust_page_of_an_action_says_how_many_returns_came_on_time(client, ada, action, at) -> None:
    _submit(action, "RWE", dt.date(2023, 4, 11), ada)  # submitted 12 April 09:00: on time
    late = _submit(action, "RWE", dt.date(2023, 4, 12), ada)
    DailyReturn.objects.filter(pk=late.pk).update(is_late=True)
    client.force_login(ada)
    body = _text(client.get(f"/reports/actions/{SLUG}/trusts/RWE/"))
    assert "Returns on time: 1 of 4 owed (25.0%); late: 1; missing: 2." in body
