"""Reads for the returns pages: each trust's strike days with the status of its return.

A fixed number of queries for any number of trusts and actions (actions, strike days, the
trusts' returns, affected trusts, open reopenings), joined in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet

from trusts.dates import formatted
from trusts.models import DailyReturn, IndustrialAction, ReturnReopening, ReturnStatus, StrikeDay, Trust
from trusts.strike_calendar import end_of_day


class DayStatus(models.TextChoices):
    NOT_OPEN = "not_open", "Not open yet"
    NOT_STARTED = "not_started", "Not started"
    DRAFT = "draft", "Draft"
    OVERDUE = "overdue", "Overdue"
    SUBMITTED = "submitted", "Submitted"
    LATE = "late", "Submitted late"
    LOCKED = "locked", "Locked"


# NHS.UK tag colours; the text always says the status too (colour is never the only signal).
TAG_CLASSES = {
    DayStatus.NOT_OPEN: "nhsuk-tag--white",
    DayStatus.NOT_STARTED: "nhsuk-tag--grey",
    DayStatus.DRAFT: "nhsuk-tag--blue",
    DayStatus.OVERDUE: "nhsuk-tag--red",
    DayStatus.SUBMITTED: "nhsuk-tag--green",
    DayStatus.LATE: "nhsuk-tag--orange",
    DayStatus.LOCKED: "nhsuk-tag--red",
}


def day_status(*, status: str | None, is_late: bool, begun: bool, locked: bool, overdue: bool = False) -> DayStatus:
    """`overdue`: the deadline has passed. A return not submitted by then is Overdue (a draft too:
    NHS England has not got it), never "Not started"."""
    if status == ReturnStatus.SUBMITTED:
        return DayStatus.LATE if is_late else DayStatus.SUBMITTED
    if locked:
        return DayStatus.LOCKED
    if not begun:
        return DayStatus.NOT_OPEN
    if overdue:
        return DayStatus.OVERDUE
    return DayStatus.DRAFT if status == ReturnStatus.DRAFT else DayStatus.NOT_STARTED


@dataclass
class DayRow:
    date: dt.date
    deadline: dt.datetime
    status: DayStatus
    editable: bool
    has_draft: bool = False

    @property
    def tag_class(self) -> str:
        return TAG_CLASSES[self.status]

    @property
    def deadline_text(self) -> str:
        return formatted(self.deadline, "moment")


@dataclass
class ActionRows:
    action: IndustrialAction
    affected: bool
    locked: bool
    locks_at: dt.datetime | None
    days: list[DayRow] = field(default_factory=list)


@dataclass
class TrustRows:
    trust: Trust
    actions: list[ActionRows] = field(default_factory=list)


def reopenings_in_force(trusts: Iterable[Trust] | QuerySet[Trust], now: dt.datetime) -> list[ReturnReopening]:
    """The trusts' reopenings in force now, with the action, for the banner on the trust's pages."""
    return list(ReturnReopening.objects.filter(trust__in=trusts, closes_at__gt=now, closed_early_at__isnull=True)
                .select_related("action", "trust").order_by("closes_at"))


def open_reopening_keys(now: dt.datetime) -> set[tuple[int, int]]:
    return set(ReturnReopening.objects.filter(closes_at__gt=now, closed_early_at__isnull=True)
               .values_list("action_id", "trust_id"))


def current_action(now: dt.datetime) -> IndustrialAction | None:
    """The action under way or, between actions, the latest that has begun: what a home page and
    the returns dashboard put first. An action declared for next week has nothing due yet."""
    return (IndustrialAction.objects.filter(strike_days__starts_at__lte=now).distinct()
            .order_by("-first_day", "-pk").first())


def dashboard_actions() -> QuerySet[IndustrialAction]:
    """The actions a returns dashboard lists, newest first: those with strike days. The history grows
    for years, so the dashboard pages through this rather than listing it all."""
    return (IndustrialAction.objects.filter(strike_days__isnull=False).distinct()
            .order_by("-first_day", "name", "pk"))


def returns_dashboard(*, trusts: Iterable[Trust], now: dt.datetime,
                      actions: Iterable[IndustrialAction] | None = None) -> list[TrustRows]:
    """The given actions (default: every action, newest first) for each trust, with each strike
    day's status and deadline."""
    trusts = list(trusts)
    actions = list(dashboard_actions() if actions is None else actions)
    days_by_action: dict[int, list[StrikeDay]] = defaultdict(list)
    for strike_day in StrikeDay.objects.filter(action__in=actions).order_by("date"):
        days_by_action[strike_day.action_id].append(strike_day)
    stored = {(r["trust_id"], r["action_id"], r["date"]): r for r in DailyReturn.objects
              .filter(trust__in=trusts, action__in=actions)
              .values("trust_id", "action_id", "date", "status", "is_late")}
    affected: dict[int, set[int]] = defaultdict(set)
    through = IndustrialAction.affected_trusts.through
    for action_id, trust_id in through.objects.filter(industrialaction__in=actions).values_list(
            "industrialaction_id", "trust_id"):
        affected[action_id].add(trust_id)
    reopened = open_reopening_keys(now)
    result: list[TrustRows] = []
    for trust in trusts:
        rows = TrustRows(trust)
        for action in actions:
            locks_at = end_of_day(action.hard_close) if action.hard_close else None
            locked = locks_at is not None and now >= locks_at and (action.pk, trust.pk) not in reopened
            block = ActionRows(action=action, affected=not affected[action.pk] or trust.pk in affected[action.pk],
                               locked=locked, locks_at=locks_at)
            for strike_day in days_by_action[action.pk]:
                saved: Mapping[str, Any] = stored.get((trust.pk, action.pk, strike_day.date), {})
                begun = now >= strike_day.starts_at
                block.days.append(DayRow(
                    date=strike_day.date, deadline=strike_day.deadline, editable=begun and not locked,
                    has_draft=saved.get("status") == ReturnStatus.DRAFT,
                    status=day_status(status=saved.get("status"), is_late=bool(saved.get("is_late")),
                                      begun=begun, locked=locked, overdue=now > strike_day.deadline)))
            rows.actions.append(block)
        result.append(rows)
    return result
