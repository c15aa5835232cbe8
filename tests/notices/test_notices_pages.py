"""Public notice pages, Atom feeds and the staff pages, including escaping of author text."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from notices.models import APOLOGY_BODY, APOLOGY_TITLE, DEFAULT_WHAT_TO_DO, Notice, NoticeStatus
from notices.services.notices import notice_create, notice_publish, notice_update, notice_withdraw
from tests.factories import make_action, make_return
from trusts.models import Trust

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SCRIPT = '<script>alert("x")</script>'


def publish(trust: Trust, user, title: str = "Visiting", body: str = "((trust_name)) is open.", *,
            when: dt.datetime | None = None, action=None) -> Notice:
    notice = notice_create(trust=trust, user=user, title=title, body=body, what_to_do=DEFAULT_WHAT_TO_DO,
                           action=action)
    notice_publish(notice=notice, user=user)
    if when:
        Notice.objects.filter(pk=notice.pk).update(published_at=when)
    notice.refresh_from_db()
    return notice


@pytest.fixture
def rx1() -> Trust:
    return Trust.objects.get(ods_code="RX1")


@pytest.fixture
def london_trust() -> Trust:
    trust = Trust.objects.filter(icb__region__code="Y56").order_by("ods_code").first()
    assert trust is not None, "the reference data has London trusts"
    return trust


def parse_atom(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed, produced by the test)
    assert root.tag == f"{ATOM}feed"
    # The elements RFC 4287 requires of a feed and of every entry.
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "link", "author"):
            assert entry.find(f"{ATOM}{name}") is not None, name
    return root


# --- The public list -----------------------------------------------------------------------------

def test_the_list_shows_published_notices_newest_first_without_signing_in(client, rwe, chris, rx1) -> None:
    older = publish(rwe, chris, "Older notice", when=timezone.now() - dt.timedelta(days=2))
    newer = publish(rx1, chris, "Newer notice", when=timezone.now() - dt.timedelta(days=1))
    notice_create(trust=rwe, user=chris, title="Secret draft", body="b", what_to_do="w")
    response = client.get(reverse("notices:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert newer.current_version is not None and older.current_version is not None
    assert html.index(newer.current_version.title) < html.index(older.current_version.title)
    assert "Secret draft" not in html
    assert "2 notices" in html


def test_the_list_filters_by_region_and_trust_with_a_plain_get_form(client, rwe, chris, london_trust) -> None:
    publish(rwe, chris, "Leicester notice")
    publish(london_trust, chris, "London notice")
    html = client.get(reverse("notices:list")).content.decode()
    assert 'method="get"' in html and 'name="region"' in html and 'name="trust"' in html

    midlands = client.get(reverse("notices:list"), {"region": "Y60"}).content.decode()
    assert "Leicester notice" in midlands and "London notice" not in midlands
    london = client.get(reverse("notices:list"), {"region": "", "trust": london_trust.ods_code}).content.decode()
    assert "London notice" in london and "Leicester notice" not in london
    neither = client.get(reverse("notices:list"), {"region": "Y60", "trust": london_trust.ods_code}).content.decode()
    assert "London notice" not in neither and "Leicester notice" not in neither


def test_an_unknown_filter_value_is_an_error_not_a_crash(client) -> None:
    response = client.get(reverse("notices:list"), {"region": "Y99"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert "Select a region from the list" in html


def test_the_list_is_paginated_and_keeps_the_filter(client, rwe, chris) -> None:
    now = timezone.now()
    for n in range(22):
        publish(rwe, chris, f"Notice number {n:02d}", when=now - dt.timedelta(hours=n))
    first = client.get(reverse("notices:list"), {"region": "Y60"}).content.decode()
    assert "Notice number 00" in first and "Notice number 19" in first and "Notice number 20" not in first
    assert "?region=Y60&amp;trust=&amp;page=2" in first or "?region=Y60&amp;page=2" in first
    second = client.get(reverse("notices:list"), {"region": "Y60", "page": 2}).content.decode()
    assert "Notice number 21" in second and "Notice number 00" not in second


def test_the_trusts_page_lists_its_notices_with_a_subscribe_form_and_feed(client, rwe, chris, rx1) -> None:
    publish(rwe, chris, "Leicester notice")
    publish(rx1, chris, "Nottingham notice")
    html = client.get(reverse("notices:trust", args=["rwe"])).content.decode()
    assert "Leicester notice" in html and "Nottingham notice" not in html
    assert f'action="{reverse("notices:subscribe", args=["RWE"])}"' in html
    assert reverse("notices:trust_feed", args=["RWE"]) in html
    assert client.get(reverse("notices:trust", args=["XXX"])).status_code == 404


# --- The notice page -------------------------------------------------------------------------------

def test_the_notice_page_shows_the_published_text_and_advice(client, rwe, chris) -> None:
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 12), elective_rescheduled=165, outpatient_rescheduled=2133,
                staff_absent=712, staff_due=1400)
    notice = publish(rwe, chris, APOLOGY_TITLE, APOLOGY_BODY, action=action)
    html = client.get(notice.get_absolute_url()).content.decode()
    assert "We apologise to anyone whose care has been disrupted during this period" in html
    assert "2,133 appointments and 165 planned procedures" in html
    assert "call 999 or go to A&amp;E" in html
    assert "Last updated" not in html


def test_the_notice_page_shows_last_updated_and_the_change_note(client, rwe, chris) -> None:
    notice = publish(rwe, chris)
    notice_update(notice=notice, user=chris, title="Visiting", body="((trust_name)) is open as usual.",
                  what_to_do=DEFAULT_WHAT_TO_DO, action=None, change_note="Visiting hours are back to normal.")
    html = client.get(notice.get_absolute_url()).content.decode()
    assert "Last updated" in html and "Visiting hours are back to normal." in html
    assert "is open as usual." in html


def test_a_draft_has_no_public_page(client, rwe, chris) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Draft", body="b", what_to_do="w")
    Notice.objects.filter(pk=notice.pk).update(slug="draft")
    assert client.get(reverse("notices:notice", args=["RWE", "draft"])).status_code == 404


def test_a_withdrawn_notice_shows_the_reason_leaves_the_lists_and_stays_in_the_feeds_marked_withdrawn(
        client, rwe, chris) -> None:
    notice = publish(rwe, chris, "Wrong notice")
    before = parse_atom(client.get(reverse("notices:feed"))).find(f"{ATOM}entry")
    assert before is not None
    notice_withdraw(notice=notice, user=chris, reason="Published for the wrong action.")
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "This notice has been withdrawn" in page and "Published for the wrong action." in page
    assert "is open." not in page, "the withdrawn text is not shown"
    assert "Wrong notice" not in client.get(reverse("notices:list")).content.decode()
    assert "Wrong notice" not in client.get(reverse("notices:trust", args=["RWE"])).content.decode()
    for feed in (reverse("notices:feed"), reverse("notices:trust_feed", args=["RWE"])):
        entries = parse_atom(client.get(feed)).findall(f"{ATOM}entry")
        assert len(entries) == 1
        entry = entries[0]
        assert entry.findtext(f"{ATOM}title") == "Withdrawn: Wrong notice"
        assert entry.findtext(f"{ATOM}id") == before.findtext(f"{ATOM}id"), "the same entry, not a new one"
        summary = entry.findtext(f"{ATOM}summary") or ""
        assert "This notice was withdrawn on" in summary and "Published for the wrong action." in summary
        assert "is open." not in summary
        updated, first_updated = entry.findtext(f"{ATOM}updated"), before.findtext(f"{ATOM}updated")
        assert updated is not None and first_updated is not None and updated > first_updated


def test_the_notice_page_belongs_to_its_trust(client, rwe, chris) -> None:
    notice = publish(rwe, chris, "Visiting")
    assert client.get(reverse("notices:notice", args=["RX1", notice.slug])).status_code == 404


# --- Escaping -------------------------------------------------------------------------------------

def test_html_in_titles_bodies_and_trust_names_is_shown_as_text(client, rwe, chris) -> None:
    Trust.objects.filter(pk=rwe.pk).update(name=f"Leicester {SCRIPT} NHS Trust")
    rwe.refresh_from_db()
    notice = publish(rwe, chris, f"Title {SCRIPT}", f"<b>Bold</b> {SCRIPT}\n\n((trust_name)) says hello")
    pages = [
        client.get(notice.get_absolute_url()),
        client.get(reverse("notices:list")),
        client.get(reverse("notices:trust", args=["RWE"])),
    ]
    for response in pages:
        html = response.content.decode()
        assert SCRIPT not in html and "<b>Bold</b>" not in html
        assert "&lt;script&gt;" in html
    detail = pages[0].content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in detail
    assert "<p>Leicester &lt;script&gt;" in detail, "paragraphs are kept, and the filled-in name escaped"


def test_html_in_author_text_is_escaped_inside_the_feed(client, rwe, chris) -> None:
    publish(rwe, chris, f"Title {SCRIPT}", f"<b>Bold</b> {SCRIPT}")
    entry = parse_atom(client.get(reverse("notices:feed"))).find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == f"Title {SCRIPT}", "Atom text is text: the reader shows it literally"
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None and summary.get("type") == "html"
    # The summary is HTML; the author's markup must arrive in it as text, not as elements.
    assert summary.text is not None
    assert "&lt;b&gt;Bold&lt;/b&gt;" in summary.text and "<b>" not in summary.text
    assert "&lt;script&gt;" in summary.text and "<script" not in summary.text


# --- Feeds ----------------------------------------------------------------------------------------

def test_the_feed_of_all_trusts_is_atom_with_published_and_withdrawn_notices_only(client, rwe, chris, rx1) -> None:
    old = publish(rwe, chris, "Leicester notice", when=timezone.now() - dt.timedelta(days=1))
    publish(rx1, chris, "Nottingham notice")
    notice_create(trust=rwe, user=chris, title="Secret draft", body="b", what_to_do="w")
    withdrawn = publish(rwe, chris, "Withdrawn notice")
    notice_withdraw(notice=withdrawn, user=chris, reason="Mistake")
    root = parse_atom(client.get(reverse("notices:feed")))
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Withdrawn: Withdrawn notice", "Nottingham notice", "Leicester notice"]
    entry = root.findall(f"{ATOM}entry")[2]
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(old.get_absolute_url())
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == rwe.name
    self_link = [x for x in root.findall(f"{ATOM}link") if x.get("rel") == "self"]
    assert self_link and self_link[0].get("href", "").endswith(reverse("notices:feed"))


def test_the_trust_feed_has_only_that_trusts_notices_and_shows_updates(client, rwe, chris, rx1) -> None:
    notice = publish(rwe, chris, "Leicester notice")
    publish(rx1, chris, "Nottingham notice")
    notice_update(notice=notice, user=chris, title="Leicester notice", body="((trust_name)) is open as usual.",
                  what_to_do=DEFAULT_WHAT_TO_DO, action=None, change_note="Clearer wording.")
    root = parse_atom(client.get(reverse("notices:trust_feed", args=["rwe"])))
    assert root.findtext(f"{ATOM}title") == f"Notices from {rwe.name}"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Leicester notice"]
    assert "Clearer wording." in (entries[0].findtext(f"{ATOM}summary") or "")
    assert entries[0].findtext(f"{ATOM}updated") != entries[0].findtext(f"{ATOM}published")
    assert client.get(reverse("notices:trust_feed", args=["XXX"])).status_code == 404


def test_an_empty_feed_is_still_valid_atom(client) -> None:
    assert parse_atom(client.get(reverse("notices:feed"))).findall(f"{ATOM}entry") == []


# --- Staff pages ----------------------------------------------------------------------------------

def test_chris_writes_a_notice_from_the_apology_template_and_publishes_it(client, rwe, chris) -> None:
    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 12), elective_rescheduled=165, outpatient_rescheduled=2133,
                staff_absent=712, staff_due=1400)
    client.force_login(chris)
    form = client.get(reverse("notices:create", args=["RWE"])).content.decode()
    assert "We apologise to anyone whose care has been disrupted" in form
    assert f'value="{action.slug}" selected' in form

    data = {"action": action.slug, "title": APOLOGY_TITLE, "body": APOLOGY_BODY, "what_to_do": DEFAULT_WHAT_TO_DO}
    preview = client.post(reverse("notices:create", args=["RWE"]), {**data, "preview": "1"})
    assert preview.status_code == 200 and "2,133 appointments" in preview.content.decode()
    assert not Notice.objects.exists(), "a preview saves nothing"

    response = client.post(reverse("notices:create", args=["RWE"]), {**data, "save": "1"})
    notice = Notice.objects.get()
    assert response.url == reverse("notices:manage_notice", args=["RWE", notice.pk])
    page = client.get(response.url).content.decode()
    assert "2,133 appointments and 165 planned procedures" in page and "Publish notice" in page

    client.post(reverse("notices:publish", args=["RWE", notice.pk]))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED


def test_the_form_names_an_unknown_placeholder(client, rwe, chris) -> None:
    client.force_login(chris)
    response = client.post(reverse("notices:create", args=["RWE"]), {
        "action": "", "title": "Hello", "body": "We moved ((apointments)).", "what_to_do": "w", "save": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: " in html
    assert "((apointments)) is not a placeholder you can use" in html
    assert not Notice.objects.exists()


def test_the_publish_button_is_not_offered_while_figures_are_missing(client, rwe, chris) -> None:
    action = make_action(affected=["RWE"])
    notice = notice_create(trust=rwe, user=chris, title=APOLOGY_TITLE, body=APOLOGY_BODY,
                           what_to_do=DEFAULT_WHAT_TO_DO, action=action)
    client.force_login(chris)
    page = client.get(reverse("notices:manage_notice", args=["RWE", notice.pk])).content.decode()
    assert "Some figures are not available yet" in page and "Publish notice" not in page
    client.post(reverse("notices:publish", args=["RWE", notice.pk]))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT


def test_updating_a_published_notice_from_the_form_needs_a_change_note(client, rwe, chris) -> None:
    notice = publish(rwe, chris)
    client.force_login(chris)
    data = {"action": "", "title": "Visiting", "body": "((trust_name)) is open again.", "what_to_do": "w",
            "save": "1"}
    response = client.post(reverse("notices:edit", args=["RWE", notice.pk]), data)
    assert "Enter a change note saying what has changed" in response.content.decode()
    response = client.post(reverse("notices:edit", args=["RWE", notice.pk]), {**data, "change_note": "Open again."})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.change_note == "Open again."
    assert notice.current_version is not None and notice.current_version.number == 2


def test_withdrawing_from_the_page_needs_a_reason(client, rwe, chris) -> None:
    notice = publish(rwe, chris)
    client.force_login(chris)
    response = client.post(reverse("notices:withdraw", args=["RWE", notice.pk]), {"reason": ""})
    assert "Enter why you are withdrawing the notice" in response.content.decode()
    client.post(reverse("notices:withdraw", args=["RWE", notice.pk]), {"reason": "Superseded."})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert client.get(reverse("notices:edit", args=["RWE", notice.pk])).status_code == 404


def test_the_header_has_a_notices_item(client) -> None:
    html = client.get(reverse("notices:list")).content.decode()
    assert 'href="/notices/" aria-current="true"' in html
