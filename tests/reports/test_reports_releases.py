"""Publication: frozen, numbered releases; the next release lists what changed and why; public URLs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from reports.models import Release
from reports.services.releases import release_publish
from tests.factories import local, make_action, make_return
from trusts.models import AuditEvent
from trusts.services.returns import return_submit

# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

pytestmark = pytest.mark.django_db

DAY1 = dt.date(2023, 4, 11)
DURING = local(2023, 4, 12, 9)  # before the 11 April return's deadline, so no reason is needed yet
LATER = local(2023, 4, 14, 9)   # after it: a revision needs a reason


@pytest.fixture
def action(rwe, ada):
    action = make_action(affected=["RWE"])
    return_submit(action=action, trust=rwe, day=DAY1, user=ada, now=DURING, figures={
        "staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 165, "outpatient_rescheduled": 2133,
        "community_rescheduled": 0, "mental_health_rescheduled": 0})
    make_return(action, "RX1", DAY1, elective_rescheduled=10, outpatient_rescheduled=5)
    return action


def test_only_national_managers_publish(action, morgan, ada) -> None:
    for user in (morgan, ada):
        with pytest.raises(PermissionDenied):
            release_publish(action=action, user=user, allow_incomplete=True, reason=PARTIAL)
    assert not Release.objects.exists()


def test_a_release_is_a_frozen_copy_that_later_revisions_leave_untouched(action, rwe, ada, nia) -> None:
    first = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    assert first.number == 1
    assert first.published_by == nia
    national = first.figures["national"]
    assert national["totals"]["acute_rescheduled"] == 165 + 2133 + 15
    assert national["headline"].startswith("More than 2,300 appointments and procedures were rescheduled")
    assert {t["code"] for t in first.figures["trusts"] if t["totals"]["days_reported"]} == {"RWE", "RX1"}
    assert "contact_email" not in first.figures["trusts"][0]  # a release is public
    assert first.changes_since_previous == {}
    assert AuditEvent.objects.filter(event="release.published", object_id=str(first.pk)).exists()

    return_submit(action=action, trust=rwe, day=DAY1, user=ada, now=LATER, reason="Theatre list double counted",
                  expected_version=1, figures={
                      "staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 150,
                      "outpatient_rescheduled": 2133, "community_rescheduled": 0, "mental_health_rescheduled": 0})
    first.refresh_from_db()
    assert first.figures["national"]["totals"]["elective_rescheduled"] == 175
    with pytest.raises(PermissionError):
        first.save()

    second = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    assert second.number == 2
    assert second.figures["national"]["totals"]["elective_rescheduled"] == 160
    changes = second.changes_since_previous
    assert changes["previous"] == 1
    assert changes["totals"]["elective_rescheduled"] == [175, 160]
    assert changes["totals"]["acute_rescheduled"] == [2313, 2298]
    (change,) = changes["returns"]
    assert change["ods_code"] == "RWE" and change["date"] == "2023-04-11" and change["kind"] == "revised"
    assert change["changes"] == {"elective_rescheduled": [165, 150]}
    assert [r["reason"] for r in change["reasons"]] == ["Theatre list double counted"]


def test_the_next_release_lists_returns_received_since(action, nia) -> None:
    release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    make_return(action, "RJ1", DAY1, elective_rescheduled=3)
    second = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    (change,) = second.changes_since_previous["returns"]
    assert change["ods_code"] == "RJ1" and change["kind"] == "received" and change["reasons"] == []
    third = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    assert third.changes_since_previous["returns"] == [] and third.changes_since_previous["totals"] == {}


def test_releases_are_public_at_stable_urls_and_live_figures_are_not(client, action, rwe, ada, nia) -> None:
    client.force_login(nia)
    response = client.post(f"/reports/actions/{action.slug}/publish/", {"allow_incomplete": "on", "reason": PARTIAL})
    assert response.status_code == 302
    assert response["Location"] == f"/reports/releases/{action.slug}/1/"
    client.logout()
    assert client.get(f"/reports/actions/{action.slug}/").status_code == 302  # to sign in
    page = client.get(f"/reports/releases/{action.slug}/1/")
    assert page.status_code == 200
    assert "More than 2,300 appointments and procedures" in page.content.decode()
    data = client.get(f"/reports/releases/{action.slug}/1.json").json()
    assert data["number"] == 1
    assert data["figures"]["national"]["totals"]["acute_rescheduled"] == 2313
    assert data["url"].endswith(f"/reports/releases/{action.slug}/1/")
    assert client.get(f"/reports/releases/{action.slug}/2/").status_code == 404
    assert client.get(f"/reports/releases/{action.slug}/2.json").status_code == 404
    assert f"/reports/releases/{action.slug}/1/" in client.get("/reports/releases/").content.decode()

    return_submit(action=action, trust=rwe, day=DAY1, user=ada, now=LATER, reason="Corrected count",
                  expected_version=1, figures={
                      "staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 100,
                      "outpatient_rescheduled": 2133, "community_rescheduled": 0, "mental_health_rescheduled": 0})
    frozen = client.get(f"/reports/releases/{action.slug}/1/").content.decode()
    assert "More than 2,300 appointments and procedures" in frozen
    client.force_login(nia)
    client.post(f"/reports/actions/{action.slug}/publish/", {"allow_incomplete": "on", "reason": PARTIAL})
    client.logout()
    second = client.get(f"/reports/releases/{action.slug}/2/").content.decode()
    assert "More than 2,200 appointments and procedures" in second
    assert "Corrected count" in second
    assert "What changed since release 1" in second
    first = client.get(f"/reports/releases/{action.slug}/1/").content.decode()
    assert "See the latest release (2)" in first
