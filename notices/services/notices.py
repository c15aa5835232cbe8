"""Writing public notices: create, edit, publish, update and withdraw. Every change leaves a
NoticeRevision and an audit event in the same transaction; every publication freezes the filled-in text
as a NoticeVersion and, after commit, queues the emails to the trust's confirmed subscribers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from notices.figures import notice_figures
from notices.models import Notice, NoticeChange, NoticeRevision, NoticeStatus, NoticeVersion, SubscriberEmailKind
from notices.placeholders import TRUST_PLACEHOLDERS, placeholders_in, render
from notices.tasks import notify_subscribers
from strikeops.errors import ServiceError
from trusts.models import IndustrialAction, Trust, User
from trusts.services.audit import audit_record

TEXT_FIELDS = ("title", "body", "what_to_do")
# Placeholders that need the trust's submitted returns; "0" from no returns at all would be a false figure.
RETURN_FIGURES = ("appointments_rescheduled", "procedures_rescheduled", "peak_staff_absent")
ACTION_PLACEHOLDERS = ("action_name", "action_dates", *RETURN_FIGURES)


class NoticeError(ServiceError):
    """A rule of the notice lifecycle was broken; `field` names the form field to show it on."""


@dataclass(frozen=True)
class RenderedNotice:
    title: str
    body: str
    what_to_do: str
    figures: dict[str, str]
    # Placeholders with no value yet (left as ((name)) in the text); publishing is refused while any remain.
    missing: list[str] = field(default_factory=list)


def unknown_placeholders(*texts: str) -> list[str]:
    return [name for name in placeholders_in(*texts) if name not in TRUST_PLACEHOLDERS]


def check_placeholders(*, action: IndustrialAction | None, **texts: str) -> None:
    """Raise NoticeError for the first field with a placeholder the service cannot fill."""
    allowed = ", ".join(f"(({name}))" for name in TRUST_PLACEHOLDERS)
    for name, text in texts.items():
        unknown = unknown_placeholders(text)
        if unknown:
            listed = ", ".join(f"(({u}))" for u in unknown)
            raise NoticeError(f"{listed} is not a placeholder you can use in a notice. Use only {allowed}",
                              field=name)
    if action is None:
        needs_action = [n for n in placeholders_in(*texts.values()) if n in ACTION_PLACEHOLDERS]
        if needs_action:
            raise NoticeError(f"Select the industrial action, because the notice uses (({needs_action[0]}))",
                              field="action")


def notice_render(*, trust: Trust, action: IndustrialAction | None, title: str, body: str,
                  what_to_do: str) -> RenderedNotice:
    """The text with today's figures filled in; placeholders without a value are kept and listed."""
    figures = notice_figures(trust=trust, action=action)
    missing = [n for n in placeholders_in(title, body, what_to_do) if not figures.get(n)]
    values = {**figures, **{name: f"(({name}))" for name in missing}}
    return RenderedNotice(title=render(title, values), body=render(body, values),
                          what_to_do=render(what_to_do, values), figures=figures, missing=missing)


def _render_for_publishing(notice: Notice) -> RenderedNotice:
    rendered = notice_render(trust=notice.trust, action=notice.action, title=notice.title, body=notice.body,
                             what_to_do=notice.what_to_do)
    if rendered.missing:
        names = ", ".join(f"(({name}))" for name in rendered.missing)
        raise NoticeError(f"There is no figure yet for {names}. Publish when {notice.trust.name} has submitted "
                          "its returns for the action, or take the placeholder out")
    return rendered


# Path segments the trust's notice URLs use for other pages (notices/urls/notices.py).
RESERVED_SLUGS = {"feed", "subscribe"}


def _unique_slug(trust: Trust, title: str) -> str:
    base = slugify(title)[:200].strip("-") or "notice"
    if base in RESERVED_SLUGS:
        base = f"{base}-notice"
    taken = set(Notice.objects.filter(trust=trust, slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _new_version(notice: Notice, rendered: RenderedNotice, *, user: User, change_note: str) -> NoticeVersion:
    number = (notice.current_version.number if notice.current_version else 0) + 1
    return NoticeVersion.objects.create(
        notice=notice, number=number, title=rendered.title, body=rendered.body, what_to_do=rendered.what_to_do,
        change_note=change_note, figures=rendered.figures, published_by=user, published_at=timezone.now(),
    )


def _clean(text: str) -> str:
    # Authors paste from Word and email: keep their paragraphs, drop Windows line endings and edge space.
    return text.replace("\r\n", "\n").strip()


@transaction.atomic
def notice_create(*, trust: Trust, user: User, title: str, body: str, what_to_do: str,
                  action: IndustrialAction | None = None, request: HttpRequest | None = None) -> Notice:
    title, body, what_to_do = _clean(title), _clean(body), _clean(what_to_do)
    check_placeholders(action=action, title=title, body=body, what_to_do=what_to_do)
    notice = Notice.objects.create(trust=trust, action=action, title=title, body=body, what_to_do=what_to_do,
                                   created_by=user)
    NoticeRevision.objects.create(
        notice=notice, change=NoticeChange.CREATED, changed_by=user,
        changes={"title": [None, title], "body": [None, body], "what_to_do": [None, what_to_do],
                 "action": [None, action.slug if action else None]},
    )
    audit_record(event="notice.created", summary=f"Notice drafted: {title}", actor=user, trust=trust,
                 target=notice, request=request)
    return notice


@transaction.atomic
def notice_update(*, notice: Notice, user: User, title: str, body: str, what_to_do: str,
                  action: IndustrialAction | None, change_note: str = "",
                  request: HttpRequest | None = None) -> Notice:
    """Edit a draft, or publish an update to a published notice (a change note is then required and
    becomes the visible "last updated" note)."""
    notice = (Notice.objects.select_for_update(of=("self",)).select_related("trust", "current_version")
              .get(pk=notice.pk))
    if notice.status == NoticeStatus.WITHDRAWN:
        raise NoticeError("This notice has been withdrawn and cannot be changed")
    title, body, what_to_do, change_note = _clean(title), _clean(body), _clean(what_to_do), _clean(change_note)
    check_placeholders(action=action, title=title, body=body, what_to_do=what_to_do)
    new: dict[str, Any] = {"title": title, "body": body, "what_to_do": what_to_do, "action": action}
    changes = {
        name: [_plain(getattr(notice, name)), _plain(value)]
        for name, value in new.items() if getattr(notice, name) != value
    }
    for name, value in new.items():
        setattr(notice, name, value)

    if notice.status == NoticeStatus.DRAFT:
        if not changes:
            return notice
        notice.save()
        NoticeRevision.objects.create(notice=notice, change=NoticeChange.EDITED, changed_by=user, changes=changes)
        audit_record(event="notice.edited", summary=f"Notice draft edited: {title}", actor=user,
                     trust=notice.trust, target=notice, details={"fields": sorted(changes)}, request=request)
        return notice

    if not change_note:
        raise NoticeError("Enter a change note saying what has changed, for example "
                          "'Updated the number of appointments rescheduled'", field="change_note")
    rendered = _render_for_publishing(notice)
    current = notice.current_version
    if current and (rendered.title, rendered.body, rendered.what_to_do) == (
            current.title, current.body, current.what_to_do):
        raise NoticeError("The published notice would not change. Change the text, or wait until the figures "
                          "change")
    version = _new_version(notice, rendered, user=user, change_note=change_note)
    notice.current_version = version
    notice.updated_at_public = version.published_at
    notice.change_note = change_note
    notice.save()
    NoticeRevision.objects.create(notice=notice, change=NoticeChange.UPDATED, changed_by=user, changes=changes,
                                  note=change_note, version=version)
    audit_record(event="notice.updated", summary=f"Notice update published: {version.title}", actor=user,
                 trust=notice.trust, target=notice, details={"version": version.number, "fields": sorted(changes)},
                 request=request)
    # If Redis is down, the outbox recovery task (beat) emails them once it is back.
    notify_subscribers.delay_on_commit(version.pk)
    return notice


@transaction.atomic
def notice_publish(*, notice: Notice, user: User, request: HttpRequest | None = None) -> NoticeVersion:
    notice = Notice.objects.select_for_update(of=("self",)).select_related("trust", "action").get(pk=notice.pk)
    if notice.status != NoticeStatus.DRAFT:
        raise NoticeError("This notice has already been published")
    rendered = _render_for_publishing(notice)
    version = _new_version(notice, rendered, user=user, change_note="")
    notice.slug = _unique_slug(notice.trust, rendered.title)
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = version.published_at
    notice.current_version = version
    notice.save()
    NoticeRevision.objects.create(notice=notice, change=NoticeChange.PUBLISHED, changed_by=user, version=version,
                                  changes={"status": [NoticeStatus.DRAFT, NoticeStatus.PUBLISHED]})
    audit_record(event="notice.published", summary=f"Notice published: {version.title}", actor=user,
                 trust=notice.trust, target=notice, details={"version": version.number, "slug": notice.slug},
                 request=request)
    # If Redis is down, the outbox recovery task (beat) emails them once it is back.
    notify_subscribers.delay_on_commit(version.pk)
    return version


@transaction.atomic
def notice_withdraw(*, notice: Notice, user: User, reason: str, request: HttpRequest | None = None) -> Notice:
    """Take a published notice down. Its page stays, showing the reason, so that old links explain
    themselves; it leaves the lists, stays in the feeds marked withdrawn, and its confirmed
    subscribers are emailed the reason once."""
    notice = Notice.objects.select_for_update(of=("self",)).select_related("trust").get(pk=notice.pk)
    reason = _clean(reason)
    if notice.status != NoticeStatus.PUBLISHED:
        raise NoticeError("Only a published notice can be withdrawn")
    if not reason:
        raise NoticeError("Enter why the notice is being withdrawn", field="reason")
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.withdrawn_reason = reason
    notice.save()
    NoticeRevision.objects.create(notice=notice, change=NoticeChange.WITHDRAWN, changed_by=user, note=reason,
                                  changes={"status": [NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN]})
    audit_record(event="notice.withdrawn", summary=f"Notice withdrawn: {notice.title}", actor=user,
                 trust=notice.trust, target=notice, details={"reason": reason}, request=request)
    # Its subscribers are told once, with the reason, through the outbox (as for a publication).
    assert notice.current_version_id is not None, "only a published notice is withdrawn"
    notify_subscribers.delay_on_commit(notice.current_version_id, SubscriberEmailKind.WITHDRAWAL)
    return notice


def _plain(value: object) -> object:
    """A JSON-safe form of a field value for the revision's changes."""
    if isinstance(value, IndustrialAction):
        return value.slug
    return value
