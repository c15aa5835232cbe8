"""Queries on returns: a manager raises one on one figure, the trust answers (revising the figure
with a reason, or confirming it with a comment), the manager closes it. Every step is audited.

The caller scopes first: a manager may query returns of trusts they manage; a trust administrator
answers queries on their own trust's returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from strikeops.errors import ServiceError
from trusts import clock
from trusts.dates import formatted
from trusts.figures import FIGURE_FIELDS, FIGURE_LABELS
from trusts.models import DailyReturn, QueryAnswer, QueryStatus, ReturnQuery, ReturnSource, ReturnStatus, User
from trusts.services.audit import audit_record
from trusts.services.returns import parse_count, return_submit


class QueryRefused(ServiceError):
    """A query that cannot be raised, answered or closed; the messages say why, by field."""

    api_status, api_code = 422, "invalid"


def _where(daily_return: DailyReturn) -> str:
    return (f"{daily_return.trust.ods_code} return for {formatted(daily_return.date, 'date')} "
            f"({daily_return.action.name})")


def query_raise(*, daily_return: DailyReturn, figure: str, question: str, user: User,
                now: dt.datetime | None = None, request: Any = None) -> ReturnQuery:
    """Ask the trust about one figure of a submitted return. Raises QueryRefused (messages by field)."""
    question = question.strip()
    errors: dict[str, list[str]] = {}
    if figure not in FIGURE_FIELDS:
        errors["figure"] = ["Choose the figure you are asking about"]
    if not question:
        errors["question"] = ["Enter your question for the trust"]
    if daily_return.status != ReturnStatus.SUBMITTED:
        errors["__all__"] = ["Only a submitted return can be queried"]
    if errors:
        raise QueryRefused(errors=errors)
    with transaction.atomic():
        query = ReturnQuery.objects.create(
            daily_return=daily_return, figure=figure, figure_value=getattr(daily_return, figure),
            question=question, raised_by=user, raised_at=now or clock.now())
        audit_record(event="query.raised", actor=user, trust=daily_return.trust, target=query, request=request,
                     summary=f"Query raised on {FIGURE_LABELS[figure].lower()} of the {_where(daily_return)}",
                     details={"return": daily_return.pk, "figure": figure, "value": query.figure_value,
                              "question": question})
    return query


def _locked_open(query: ReturnQuery) -> ReturnQuery:
    current = (ReturnQuery.objects.select_for_update(of=("self",))
               .select_related("daily_return__action", "daily_return__trust").get(pk=query.pk))
    if current.status != QueryStatus.OPEN:
        raise QueryRefused(errors={"__all__": ["This query has already been answered"]})
    return current


def query_answer(*, query: ReturnQuery, user: User, answer: str, comment: str, new_value: object = None,
                 now: dt.datetime | None = None, request: Any = None) -> ReturnQuery:
    """The trust's answer. `answer="confirmed"`: the figure is right, `comment` says why.
    `answer="revised"`: the figure becomes `new_value`, revised through return_submit with
    `comment` as the revision's reason (so it is a revision like any other: locks, checks, history).
    Raises QueryRefused, or return_submit's ReturnError subclasses; saves nothing when it raises."""
    comment = comment.strip()
    errors: dict[str, list[str]] = {}
    if answer not in QueryAnswer.values:
        errors["answer"] = ["Choose whether you confirm the figure or change it"]
    if not comment:
        errors["comment"] = ["Enter the reason for the change" if answer == QueryAnswer.REVISED
                             else "Enter why the figure is right"]
    if answer == QueryAnswer.REVISED and (new_value is None or str(new_value).strip() == ""):
        errors["new_value"] = ["Enter the corrected figure"]
    if errors:
        raise QueryRefused(errors=errors)
    now = now or clock.now()
    with transaction.atomic():
        current = _locked_open(query)
        daily_return = current.daily_return
        details: dict[str, Any] = {"return": daily_return.pk, "figure": current.figure, "answer": answer,
                                   "comment": comment}
        if answer == QueryAnswer.REVISED:
            value, error = parse_count(new_value, FIGURE_LABELS[current.figure])
            if error or value == getattr(daily_return, current.figure):
                raise QueryRefused(errors={"new_value": [error or "The figure is unchanged: to keep it, confirm it "
                                                              "instead"]})
            figures = {**daily_return.figures(), current.figure: new_value}
            revised = return_submit(
                action=daily_return.action, trust=daily_return.trust, day=daily_return.date, figures=figures,
                user=user, source=ReturnSource.WEB, reason=comment, now=now, request=request,
                # The trust has just explained the figure: that explanation covers a warning too.
                warning_comment=daily_return.warning_comment or comment)
            details.update(old=daily_return.figures()[current.figure], new=getattr(revised, current.figure),
                           version=revised.version)
        current.status, current.answer, current.answer_comment = QueryStatus.ANSWERED, answer, comment
        current.answered_by, current.answered_at = user, now
        current.save(update_fields=["status", "answer", "answer_comment", "answered_by", "answered_at"])
        audit_record(event="query.answered", actor=user, trust=daily_return.trust, target=current,
                     request=request, details=details,
                     summary=(f"Query on {FIGURE_LABELS[current.figure].lower()} of the {_where(daily_return)} "
                              f"answered: {QueryAnswer(answer).label.lower()}"))
    return current


def query_close(*, query: ReturnQuery, user: User, now: dt.datetime | None = None,
                request: Any = None) -> ReturnQuery:
    """The manager is satisfied (or gives up waiting): the query is closed."""
    with transaction.atomic():
        current = (ReturnQuery.objects.select_for_update(of=("self",))
                   .select_related("daily_return__action", "daily_return__trust").get(pk=query.pk))
        if current.status == QueryStatus.CLOSED:
            raise QueryRefused(errors={"__all__": ["This query is already closed"]})
        current.status, current.closed_by, current.closed_at = QueryStatus.CLOSED, user, now or clock.now()
        current.save(update_fields=["status", "closed_by", "closed_at"])
        audit_record(event="query.closed", actor=user, trust=current.daily_return.trust, target=current,
                     request=request, details={"return": current.daily_return_id, "figure": current.figure},
                     summary=(f"Query on {FIGURE_LABELS[current.figure].lower()} of the "
                              f"{_where(current.daily_return)} closed"))
    return current
