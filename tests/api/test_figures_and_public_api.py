"""Actions, totals (scoped like the reports pages), and the public endpoints: releases and notices;
campaign status for communications staff only, with no contact details."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from notices.models import MessageTemplate
from notices.services.delivery import campaign_create
from notices.services.notices import notice_create, notice_publish
from reports.services.releases import release_publish
from tests.factories import make_action, make_return
from trusts.models import Trust

# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

pytestmark = pytest.mark.django_db
APR_11, APR_12 = dt.date(2023, 4, 11), dt.date(2023, 4, 12)


@pytest.fixture
def figures(db):
    """Leicester and Nottingham (Midlands) and Barts (London) reported on two strike days."""
    action = make_action()
    for ods, absent in (("RWE", 700), ("RX1", 300), ("R1H", 50)):
        make_return(action, ods, APR_11, staff_absent=absent, staff_due=2000, outpatient_rescheduled=100,
                    elective_rescheduled=10)
        make_return(action, ods, APR_12, staff_absent=absent + 10, staff_due=2000, outpatient_rescheduled=50)
    return action


# --- actions -----------------------------------------------------------------------------------------

def test_actions_and_strike_days_for_any_token_holder(api, pat) -> None:
    make_action(affected=["RWE"])
    listing = api("GET", "/api/v1/actions/", pat).body
    assert listing["count"] == 1
    expected = {"slug": "junior-doctors-april-2023", "affects_all_trusts": False, "affected_trusts": ["RWE"],
                "unions": ["BMA"]}
    assert listing["results"][0].items() >= expected.items()
    detail = api("GET", "/api/v1/actions/junior-doctors-april-2023/", pat).body
    assert [d["date"] for d in detail["strike_days"]] == ["2023-04-11", "2023-04-12", "2023-04-13", "2023-04-14"]
    assert detail["strike_days"][0]["deadline"].startswith("2023-04-12T11:00:00")
    days = api("GET", "/api/v1/actions/junior-doctors-april-2023/strike-days/", pat).body
    assert len(days) == 4
    assert api("GET", "/api/v1/actions/nope/", pat).status_code == 404
    assert api("GET", "/api/v1/actions/").status_code == 401


# --- totals ------------------------------------------------------------------------------------------

def test_national_managers_see_england_every_region_and_trust(api, figures, nia) -> None:
    body = api("GET", f"/api/v1/totals/{figures.slug}/", nia).body
    assert body["scope"] == {"level": "england", "regions": [], "trusts": []}
    assert body["england"]["totals"]["outpatient_rescheduled"] == 450
    assert body["england"]["totals"]["peak_staff_absent"] == 1080
    assert body["england"]["totals"]["peak_staff_absent_date"] == "2023-04-12"
    assert {r["code"] for r in body["regions"]} == {"Y60", "Y56"}
    reported = {t["code"] for t in body["trusts"] if t["totals"]["days_reported"]}
    assert reported == {"RWE", "RX1", "R1H"}
    # The same figures as national_totals (the contract the managers' scripts use).
    out = io.StringIO()
    call_command("national_totals", "--format", "json", stdout=out)
    contract = json.loads(out.getvalue())["actions"][0]["totals"]
    assert all(body["england"]["totals"][k] == v for k, v in contract.items())


def test_regional_managers_see_england_and_their_region_only(api, figures, morgan) -> None:
    body = api("GET", f"/api/v1/totals/{figures.slug}/", morgan).body
    assert body["scope"]["level"] == "region" and body["scope"]["regions"] == ["Y60"]
    assert body["england"]["totals"]["outpatient_rescheduled"] == 450
    assert [r["code"] for r in body["regions"]] == ["Y60"]
    assert body["regions"][0]["totals"]["outpatient_rescheduled"] == 300
    codes = {t["code"] for t in body["trusts"]}
    assert {"RWE", "RX1"} <= codes and "R1H" not in codes
    assert all(Trust.objects.get(ods_code=c).icb.region.code == "Y60" for c in codes)
    listing = api("GET", "/api/v1/totals/", morgan).body
    assert listing["actions"][0]["england"]["outpatient_rescheduled"] == 450
    assert listing["actions"][0]["scoped"]["outpatient_rescheduled"] == 300


def test_trust_administrators_see_their_own_trust_only(api, figures, ada, chris) -> None:
    for person in (ada, chris):
        body = api("GET", f"/api/v1/totals/{figures.slug}/", person).body
        assert body["scope"] == {"level": "trust", "regions": [], "trusts": ["RWE"]}
        assert body["england"] is None and body["regions"] == []
        assert [t["code"] for t in body["trusts"]] == ["RWE"]
        assert body["trusts"][0]["totals"]["peak_staff_absent"] == 710
        listing = api("GET", "/api/v1/totals/", person).body["actions"][0]
        assert listing["england"] is None and listing["scoped"]["outpatient_rescheduled"] == 150


def test_people_without_a_role_get_no_figures(api, figures, pat) -> None:
    assert api("GET", "/api/v1/totals/", pat).status_code == 404
    assert api("GET", f"/api/v1/totals/{figures.slug}/", pat).status_code == 404
    assert api("GET", "/api/v1/totals/").status_code == 401


# --- published releases (public) ------------------------------------------------------------------------

def test_releases_are_public_and_frozen(api, figures, nia, rwe) -> None:
    release_publish(action=figures, user=nia, allow_incomplete=True, reason=PARTIAL)
    listing = api("GET", "/api/v1/releases/").body
    assert listing["count"] == 1
    entry = listing["results"][0]
    assert entry["action"] == figures.slug and entry["number"] == 1
    assert entry["links"]["csv"].endswith(f"/open-data/releases/{figures.slug}/1.csv")
    assert entry["links"]["json"].endswith(f"/reports/releases/{figures.slug}/1.json")
    detail = api("GET", f"/api/v1/releases/{figures.slug}/1/").body
    assert detail["figures"]["national"]["totals"]["outpatient_rescheduled"] == 450
    make_return(figures, "RWE", dt.date(2023, 4, 13), outpatient_rescheduled=1000)
    assert api("GET", f"/api/v1/releases/{figures.slug}/1/").body["figures"] == detail["figures"]
    assert api("GET", f"/api/v1/releases/{figures.slug}/2/").status_code == 404


# --- notices (public) and campaigns (communications staff) ----------------------------------------------

def test_published_notices_are_public_drafts_are_not(api, rwe, chris) -> None:
    published = notice_create(trust=rwe, user=chris, title="Strike: our apology", body="We apologise.",
                              what_to_do="Attend unless contacted.")
    notice_publish(notice=published, user=chris)
    notice_create(trust=rwe, user=chris, title="Draft notice", body="Not yet.", what_to_do="-")
    listing = api("GET", "/api/v1/notices/").body
    assert [n["title"] for n in listing["results"]] == ["Strike: our apology"]
    published.refresh_from_db()
    detail = api("GET", f"/api/v1/notices/RWE/{published.slug}/").body
    assert detail["body"] == "We apologise." and detail["url"].endswith(published.get_absolute_url())
    assert api("GET", "/api/v1/notices/", trust="RX1").body["count"] == 0
    assert api("GET", "/api/v1/notices/RWE/draft-notice/").status_code == 404


@pytest.fixture
def campaign(rwe, chris):
    template = MessageTemplate.objects.create(trust=rwe, name="Moved", channel="email", subject="Moved",
                                              body="Dear ((name)), your appointment is moved.")
    rows = [{"line": 2, "email": "patient@example.com", "phone": "", "nhs_number": "", "address_lines": [],
             "personalisation": {"name": "Alex"}}]
    return campaign_create(trust=rwe, template=template, action=None, channel="email", rows=rows, user=chris)


def test_communications_staff_read_their_campaigns_without_contact_details(api, campaign, chris) -> None:
    listing = api("GET", "/api/v1/campaigns/", chris)
    assert listing.body["count"] == 1
    detail = api("GET", f"/api/v1/campaigns/{campaign.pk}/", chris)
    assert detail.body["progress"]["total"] == 1 and detail.body["progress"]["counts"]["queued"] == 1
    assert listing.body["results"][0]["progress"] == detail.body["progress"]
    for response in (listing, detail):
        text = response.content.decode()
        assert "patient@example.com" not in text and "Alex" not in text


def test_nobody_else_sees_a_trusts_campaigns(api, campaign, ada, tom, nia, pat) -> None:
    for person in (ada, tom, nia, pat):
        assert api("GET", f"/api/v1/campaigns/{campaign.pk}/", person).status_code == 404
        assert api("GET", "/api/v1/campaigns/", person).body["count"] == 0
    assert api("GET", "/api/v1/campaigns/", tom, trust="RWE").status_code == 404
    assert api("GET", f"/api/v1/campaigns/{campaign.pk}/").status_code == 401
