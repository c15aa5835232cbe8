"""Reads for queries on returns: the open ones in a scope, the figures under query, counts per action."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet

from trusts.models import IndustrialAction, QueryStatus, ReturnQuery, Trust

# A query stays on the manager's list until they close it; it waits on the trust while it is open.
UNRESOLVED = (QueryStatus.OPEN, QueryStatus.ANSWERED)


def queries_in(trusts: QuerySet[Trust]) -> QuerySet[ReturnQuery]:
    """Every query on the returns of these trusts, with what a list shows (no further queries)."""
    return (ReturnQuery.objects.filter(daily_return__trust__in=trusts.values("pk"))
            .select_related("daily_return__trust", "daily_return__action", "raised_by", "answered_by"))


def unresolved_queries(trusts: QuerySet[Trust], action: IndustrialAction | None = None) -> QuerySet[ReturnQuery]:
    """Queries not yet closed (waiting for the trust, or answered and waiting for the manager)."""
    queries = queries_in(trusts).filter(status__in=UNRESOLVED)
    if action is not None:
        queries = queries.filter(daily_return__action=action)
    return queries.order_by("raised_at", "pk")


def queries_awaiting_trust(trusts: QuerySet[Trust]) -> QuerySet[ReturnQuery]:
    return queries_in(trusts).filter(status=QueryStatus.OPEN).order_by("raised_at", "pk")


def unresolved_counts_by_action(trusts: QuerySet[Trust]) -> dict[int, int]:
    """{action id: queries not closed}, one grouped query."""
    return dict(ReturnQuery.objects.filter(daily_return__trust__in=trusts.values("pk"), status__in=UNRESOLVED)
                .values("daily_return__action").annotate(n=Count("pk")).order_by()
                .values_list("daily_return__action", "n"))


def figures_under_query(action: IndustrialAction, trusts: QuerySet[Trust] | None = None
                        ) -> dict[tuple[str, dt.date], set[str]]:
    """{(ODS code, date): figures with a query not yet closed}, for marking report cells; one query."""
    queries = ReturnQuery.objects.filter(daily_return__action=action, status__in=UNRESOLVED)
    if trusts is not None:
        queries = queries.filter(daily_return__trust__in=trusts.values("pk"))
    marked: dict[tuple[str, dt.date], set[str]] = {}
    for code, date, figure in queries.values_list("daily_return__trust__ods_code", "daily_return__date", "figure"):
        marked.setdefault((code, date), set()).add(figure)
    return marked
