"""The life of a public notice: draft, publish (figures frozen), update (change note), withdraw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from notices.models import (
    APOLOGY_BODY,
    APOLOGY_TITLE,
    DEFAULT_WHAT_TO_DO,
    Notice,
    NoticeChange,
    NoticeStatus,
    NoticeVersion,
)
from notices.services.notices import NoticeError, notice_create, notice_publish, notice_update, notice_withdraw
from tests.factories import make_action, make_return
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

# RWE's April 2023 returns, shaped like Leicester's published figures: 2,133 appointments and
# 165 procedures rescheduled, more than 700 staff absent on Wednesday 12 April.
LEICESTER_RETURNS: dict[dt.date, dict[str, Any]] = {
    dt.date(2023, 4, 11): {"elective_rescheduled": 40, "outpatient_rescheduled": 500, "community_rescheduled": 20,
                           "staff_absent": 650, "staff_due": 1400},
    dt.date(2023, 4, 12): {"elective_rescheduled": 45, "outpatient_rescheduled": 560, "community_rescheduled": 13,
                           "staff_absent": 712, "staff_due": 1400},
    dt.date(2023, 4, 13): {"elective_rescheduled": 40, "outpatient_rescheduled": 520, "staff_absent": 690,
                           "staff_due": 1400},
    dt.date(2023, 4, 14): {"elective_rescheduled": 40, "outpatient_rescheduled": 520, "staff_absent": 640,
                           "staff_due": 1400},
}


@pytest.fixture
def action(rwe):
    return make_action(affected=["RWE", "RX1"])


@pytest.fixture
def returns(action, rwe):
    return [make_return(action, rwe, day, **figures) for day, figures in LEICESTER_RETURNS.items()]


def draft(trust, user, action, **overrides):
    values = {"title": APOLOGY_TITLE, "body": APOLOGY_BODY, "what_to_do": DEFAULT_WHAT_TO_DO, "action": action}
    values.update(overrides)
    return notice_create(trust=trust, user=user, **values)


def test_a_new_notice_is_a_draft_with_the_standard_advice_and_a_trace(rwe, chris, action) -> None:
    notice = draft(rwe, chris, action)
    assert notice.status == NoticeStatus.DRAFT
    assert "999 or go to A&E" in notice.what_to_do and "111" in notice.what_to_do
    assert notice.slug == "" and notice.current_version is None
    revision = notice.revisions.get()
    assert revision.change == NoticeChange.CREATED and revision.changed_by == chris
    assert AuditEvent.objects.filter(event="notice.created", object_id=str(notice.pk), actor=chris).exists()


def test_the_default_what_to_do_is_the_model_default(rwe, chris) -> None:
    notice = Notice.objects.create(trust=rwe, title="t", body="b", created_by=chris)
    assert notice.what_to_do == DEFAULT_WHAT_TO_DO


def test_the_apology_template_uses_only_placeholders_the_service_fills() -> None:
    from notices.placeholders import TRUST_PLACEHOLDERS, placeholders_in

    used = placeholders_in(APOLOGY_TITLE, APOLOGY_BODY)
    assert set(used) <= set(TRUST_PLACEHOLDERS)
    for name in ("appointments_rescheduled", "procedures_rescheduled", "action_dates", "trust_name",
                 "peak_staff_absent"):
        assert name in used
    assert "We apologise to anyone whose care has been disrupted during this period" in APOLOGY_BODY


def test_an_unknown_placeholder_is_refused_before_saving(rwe, chris, action) -> None:
    with pytest.raises(NoticeError) as excinfo:
        draft(rwe, chris, action, body="We moved ((apointments_rescheduled)) appointments")
    assert excinfo.value.field == "body"
    assert "((apointments_rescheduled)) is not a placeholder" in excinfo.value.message
    assert not Notice.objects.exists()


def test_action_placeholders_need_an_action(rwe, chris) -> None:
    with pytest.raises(NoticeError) as excinfo:
        draft(rwe, chris, None)
    assert excinfo.value.field == "action"


def test_publishing_fills_the_trusts_figures_and_freezes_them(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    version = notice_publish(notice=notice, user=chris)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.published_at == version.published_at
    assert notice.current_version == version and version.number == 1
    assert version.title == "Industrial action 11 to 14 April 2023: our apology to patients"
    assert notice.slug == "industrial-action-11-to-14-april-2023-our-apology-to-patients"
    assert "University Hospitals of Leicester NHS Trust on 11 to 14 April 2023" in version.body
    assert "2,133 appointments and 165 planned procedures" in version.body
    assert "712 of our staff" in version.body
    assert "((" not in version.body
    assert version.figures["appointments_rescheduled"] == "2,133"
    assert notice.updated_at_public is None, "a first publication is not an update"
    assert AuditEvent.objects.filter(event="notice.published", object_id=str(notice.pk)).exists()

    # A later correction to the returns does not change what was published.
    returns[0].elective_rescheduled = 100
    returns[0].save()
    notice.refresh_from_db()
    assert "165 planned procedures" in notice.current_version.body


def test_publishing_is_refused_while_a_figure_is_missing(rwe, chris, action) -> None:
    notice = draft(rwe, chris, action)
    with pytest.raises(NoticeError) as excinfo:
        notice_publish(notice=notice, user=chris)
    assert "((appointments_rescheduled))" in excinfo.value.message
    assert "((peak_staff_absent))" in excinfo.value.message
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT and not NoticeVersion.objects.exists()


def test_a_notice_without_figures_publishes_with_only_the_trust_name(rwe, chris) -> None:
    notice = draft(rwe, chris, None, title="Visiting during industrial action",
                   body="((trust_name)) is open as usual.")
    version = notice_publish(notice=notice, user=chris)
    assert version.body == "University Hospitals of Leicester NHS Trust is open as usual."


def test_editing_a_draft_needs_no_change_note_and_is_traced(rwe, chris, action) -> None:
    notice = draft(rwe, chris, action)
    notice_update(notice=notice, user=chris, title="Our apology", body=APOLOGY_BODY,
                  what_to_do=DEFAULT_WHAT_TO_DO, action=action)
    notice.refresh_from_db()
    assert notice.title == "Our apology" and notice.status == NoticeStatus.DRAFT
    edit = notice.revisions.get(change=NoticeChange.EDITED)
    assert edit.changes == {"title": [APOLOGY_TITLE, "Our apology"]}
    assert AuditEvent.objects.filter(event="notice.edited").count() == 1


def test_an_update_to_a_published_notice_needs_a_change_note(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    notice_publish(notice=notice, user=chris)
    with pytest.raises(NoticeError) as excinfo:
        notice_update(notice=notice, user=chris, title=APOLOGY_TITLE, body=APOLOGY_BODY + "\n\nMore.",
                      what_to_do=DEFAULT_WHAT_TO_DO, action=action, change_note="  ")
    assert excinfo.value.field == "change_note"
    assert NoticeVersion.objects.count() == 1


def test_publishing_an_update_sets_last_updated_and_a_new_version(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    first = notice_publish(notice=notice, user=chris)
    returns[1].outpatient_rescheduled = 600  # a late correction to the returns
    returns[1].save()
    notice_update(notice=notice, user=chris, title=APOLOGY_TITLE, body=APOLOGY_BODY, what_to_do=DEFAULT_WHAT_TO_DO,
                  action=action, change_note="Corrected the number of appointments rescheduled.")
    notice.refresh_from_db()
    assert notice.current_version.number == 2
    assert "2,173 appointments" in notice.current_version.body
    assert "2,133 appointments" in NoticeVersion.objects.get(pk=first.pk).body, "earlier versions are kept"
    assert notice.updated_at_public == notice.current_version.published_at
    assert notice.published_at == first.published_at, "the first publication date stays"
    assert notice.change_note == "Corrected the number of appointments rescheduled."
    assert notice.slug == "industrial-action-11-to-14-april-2023-our-apology-to-patients"
    assert notice.revisions.filter(change=NoticeChange.UPDATED, note=notice.change_note).exists()
    assert AuditEvent.objects.filter(event="notice.updated").count() == 1


def test_an_update_that_changes_nothing_public_is_refused(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    notice_publish(notice=notice, user=chris)
    with pytest.raises(NoticeError, match="would not change"):
        notice_update(notice=notice, user=chris, title=APOLOGY_TITLE, body=APOLOGY_BODY,
                      what_to_do=DEFAULT_WHAT_TO_DO, action=action, change_note="Nothing really.")


def test_a_notice_is_published_only_once(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    notice_publish(notice=notice, user=chris)
    with pytest.raises(NoticeError, match="already been published"):
        notice_publish(notice=notice, user=chris)


def test_withdrawing_needs_a_reason_and_then_freezes_the_notice(rwe, chris, action, returns) -> None:
    notice = draft(rwe, chris, action)
    with pytest.raises(NoticeError, match="Only a published notice"):
        notice_withdraw(notice=notice, user=chris, reason="Draft")
    notice_publish(notice=notice, user=chris)
    with pytest.raises(NoticeError) as excinfo:
        notice_withdraw(notice=notice, user=chris, reason=" ")
    assert excinfo.value.field == "reason"
    notice_withdraw(notice=notice, user=chris, reason="Published by mistake for the wrong action.")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN and notice.withdrawn_at is not None
    assert notice.withdrawn_reason == "Published by mistake for the wrong action."
    assert AuditEvent.objects.filter(event="notice.withdrawn").exists()
    with pytest.raises(NoticeError, match="withdrawn"):
        notice_update(notice=notice, user=chris, title="x", body="y", what_to_do="z", action=action,
                      change_note="n")


def test_slugs_are_unique_per_trust_and_avoid_the_trusts_other_pages(rwe, chris) -> None:
    first = draft(rwe, chris, None, title="Visiting", body="b")
    second = draft(rwe, chris, None, title="Visiting", body="c")
    feed = draft(rwe, chris, None, title="Feed", body="d")
    for notice in (first, second, feed):
        notice_publish(notice=notice, user=chris)
        notice.refresh_from_db()
    assert (first.slug, second.slug, feed.slug) == ("visiting", "visiting-2", "feed-notice")


def test_the_database_refuses_a_published_notice_without_a_version(rwe, chris) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(trust=rwe, title="t", body="b", status=NoticeStatus.PUBLISHED, slug="t")


def test_the_database_refuses_a_withdrawn_notice_without_a_reason(rwe, chris) -> None:
    notice = draft(rwe, chris, None, title="Visiting", body="b")
    notice_publish(notice=notice, user=chris)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.WITHDRAWN)


def test_version_numbers_are_unique_per_notice(rwe, chris) -> None:
    notice = draft(rwe, chris, None, title="Visiting", body="b")
    version = notice_publish(notice=notice, user=chris)
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeVersion.objects.create(notice=notice, number=1, title="x", body="y", what_to_do="z",
                                     published_at=version.published_at)
