"""What each role's home page shows: the work waiting for them now (docs/actions.md, "The loop").

Trust administrators: the current action, returns due now and overdue, queries waiting for their
answer, reopenings in force and returns waiting for their sign-off. Managers: the current action's
coverage (submitted and, where required, signed off), overdue trusts, unresolved queries and
outliers to review. Each part is a fixed number of queries whatever the number of trusts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from trusts.models import DailyReturn, IndustrialAction, ReturnQuery, ReturnReopening, ReturnStatus, Trust, User
from trusts.selectors.completeness import DayCompleteness, completeness_by_day, missing_by_day, signed_off_by_day
from trusts.selectors.outliers import Outlier, outliers
from trusts.selectors.queries import queries_awaiting_trust, unresolved_queries
from trusts.selectors.returns import (
    DayRow,
    DayStatus,
    current_action,
    dashboard_actions,
    reopenings_in_force,
    returns_dashboard,
)
from trusts.strike_calendar import LONDON

DUE_STATUSES = (DayStatus.NOT_STARTED, DayStatus.DRAFT, DayStatus.OVERDUE)


@dataclass
class DueReturn:
    trust: Trust
    action: IndustrialAction
    day: DayRow


@dataclass
class TrustAdminHome:
    current_action: IndustrialAction | None
    due: list[DueReturn]
    queries: list[ReturnQuery]
    reopenings: list[ReturnReopening]
    to_sign_off: list[DailyReturn]

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.due if item.day.status == DayStatus.OVERDUE)


def returns_to_sign_off(trusts: QuerySet[Trust], user: User) -> QuerySet[DailyReturn]:
    """Submitted returns of actions that require sign-off, not yet signed off, that this user may
    sign (somebody else submitted the figures now in them)."""
    return (DailyReturn.objects.filter(trust__in=trusts.values("pk"), status=ReturnStatus.SUBMITTED,
                                       action__requires_sign_off=True, signed_off_at__isnull=True)
            .exclude(submitted_by=user).select_related("trust", "action", "submitted_by")
            .order_by("date", "trust__name"))


def trust_admin_home(*, trusts: QuerySet[Trust], user: User, now: dt.datetime) -> TrustAdminHome:
    trust_list = list(trusts.select_related("icb__region").order_by("name"))
    reopenings = reopenings_in_force(trust_list, now)
    today = now.astimezone(LONDON).date()
    # Actions with something still to enter: begun, and not hard-closed (or reopened for one of the trusts).
    open_actions = list(dashboard_actions().filter(strike_days__starts_at__lte=now).filter(
        Q(hard_close__isnull=True) | Q(hard_close__gte=today) | Q(pk__in=[r.action_id for r in reopenings]))
        .distinct())
    current = current_action(now)
    # The current action first, then the rest newest first (dashboard_actions' order).
    open_actions.sort(key=lambda a: a != current)
    due = [DueReturn(trust=group.trust, action=block.action, day=day)
           for group in returns_dashboard(trusts=trust_list, now=now, actions=open_actions)
           for block in group.actions for day in block.days if day.status in DUE_STATUSES and day.editable]
    return TrustAdminHome(current_action=current, due=due, queries=list(queries_awaiting_trust(trusts)),
                          reopenings=reopenings, to_sign_off=list(returns_to_sign_off(trusts, user)))


@dataclass
class OverdueDay:
    date: dt.date
    deadline: dt.datetime
    trusts: list[Trust]


@dataclass
class ManagerHome:
    current_action: IndustrialAction | None
    completeness: list[DayCompleteness] = field(default_factory=list)
    signed_off: dict[dt.date, int] = field(default_factory=dict)
    overdue: list[OverdueDay] = field(default_factory=list)
    queries: list[ReturnQuery] = field(default_factory=list)
    outliers: list[Outlier] = field(default_factory=list)


def manager_home(*, trusts: QuerySet[Trust], now: dt.datetime) -> ManagerHome:
    current = current_action(now)
    home = ManagerHome(current_action=current, queries=list(unresolved_queries(trusts)))
    if current is None:
        return home
    home.completeness = completeness_by_day(current, trusts)
    if current.requires_sign_off:
        home.signed_off = signed_off_by_day(current, trusts)
    home.overdue = [OverdueDay(date=day.strike_day.date, deadline=day.strike_day.deadline, trusts=day.trusts)
                    for day in missing_by_day(current, trusts)
                    if day.strike_day.deadline < now and day.trusts]
    home.outliers = outliers(current, trusts)
    return home
