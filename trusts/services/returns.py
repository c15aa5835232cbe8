"""Daily returns, the write side: validate, save drafts, submit, revise. One transaction per write.

The rules are DOMAIN.md's "Daily returns". In short:
- hard errors (ReturnInvalid) stop a save: counts are whole numbers from 0 to 1,000,000, staff absent
  is at most staff due, a rescheduled count is at most its planned count, the date is a strike day of
  the action that has begun, workforce figures come from (and only from) trusts the action affects,
  and a submitted return has all four rescheduled figures;
- warnings (figures that look wrong) stop a submission until someone writes a comment;
- a return is locked before its strike day begins and after the action's hard close, unless a
  manager has reopened the trust's returns (ReturnReopening);
- after the first submission every change is a ReturnRevision (old -> new per field, who, why);
  after the deadline the reason is required;
- two people editing the same return: the second one to save gets ReturnConflict, never a silent
  overwrite (DailyReturn.version, checked under a row lock).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Aggregate, F, FloatField
from django.utils import timezone

from strikeops.errors import ServiceError
from trusts import clock
from trusts.dates import formatted
from trusts.figures import FIGURE_FIELDS, FIGURE_LABELS, PLANNED_FOR, RESCHEDULED_FIELDS, WORKFORCE_FIELDS
from trusts.models import (
    DailyReturn,
    IndustrialAction,
    ReturnReopening,
    ReturnRevision,
    ReturnSource,
    ReturnStatus,
    StrikeDay,
    Trust,
    User,
)
from trusts.models.returns import MAX_COUNT
from trusts.services.audit import audit_record

# Figures compared with the trust's earlier strike days for the "3 times the median" warning.
# Planned counts are denominators, not impact, so they are not compared.
MEDIAN_FIELDS = WORKFORCE_FIELDS + RESCHEDULED_FIELDS
MEDIAN_FACTOR = 3
ABSENT_SHARE_WARNING = 0.9
# What a revision records: every figure, and the flags that change what a figure means.
TRACKED_FIELDS = (*FIGURE_FIELDS, "is_nil", "warning_comment")


# --- Formatting for messages ------------------------------------------------------------------

def format_count(value: int | float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


# --- Errors --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnCheck:
    """The outcome of validating one return. `errors` and `warnings` map a field name (or "date",
    or "__all__") to one message, ready for an error summary."""

    errors: dict[str, str]
    warnings: dict[str, str]
    figures: dict[str, int | None]
    affected: bool
    strike_day: StrikeDay | None = None
    medians: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class ReturnError(ServiceError):
    """Base of every refusal to save a return; nothing was saved."""

    api_status = 422


class ReturnInvalid(ReturnError):
    api_status, api_code = 422, "invalid"

    def __init__(self, check: ReturnCheck) -> None:
        super().__init__("; ".join(check.errors.values()),
                         errors={name: [message] for name, message in check.errors.items()})
        self.check = check


class WarningsNeedComment(ReturnError):
    api_status, api_code = 422, "warnings"

    def __init__(self, check: ReturnCheck) -> None:
        super().__init__("Some figures look unusual. Check them, then say why they are right in a comment.",
                         errors={"warning_comment": ["Enter a comment to say why the unusual figures are right"]})
        self.check = check

    def api_warnings(self) -> list[dict[str, str]]:
        return [{"field": name, "message": message} for name, message in self.check.warnings.items()]


class ReturnLocked(ReturnError):
    api_status, api_code = 423, "locked"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def api_extra(self) -> dict[str, Any]:
        return {"lock_reason": self.reason}


class ReturnConflict(ReturnError):
    """Someone saved the return after this writer opened it. `changes` is what they changed
    ({field: [old, new]}) where revisions record it; `current` is the return as it is now."""

    api_status, api_code = 409, "conflict"

    def __init__(self, current: DailyReturn | None, changes: dict[str, list[Any]]) -> None:
        who = ""
        if current is not None and current.submitted_by_id and current.submitted_by is not None:
            who = f" by {current.submitted_by}"
        super().__init__(
            f"This return has changed since you opened it{who}. Check the figures now saved, then make your change "
            "again.")
        self.current = current
        self.changes = changes

    def api_extra(self) -> dict[str, Any]:
        # The API adds "current", the return as it is now in the API's own shape (trusts/api/errors.py).
        return {"current_version": self.current.version if self.current else 0, "changes": self.changes}


class ReasonRequired(ReturnError):
    api_status, api_code = 422, "reason_required"

    def __init__(self, deadline: dt.datetime) -> None:
        super().__init__("Enter a reason for the change: the deadline for this return was "
                         f"{formatted(deadline, 'moment')}", field="reason")
        self.deadline = deadline


class ReturnAlreadySubmitted(ReturnError):
    api_status, api_code = 409, "already_submitted"

    def __init__(self) -> None:
        super().__init__("This return has been submitted, so it cannot go back to being a draft. "
                         "Change the figures and submit it again instead.")


# --- Pure checks (no queries): shared by the web form, return_submit and the import ------------

def parse_count(raw: object, label: str) -> tuple[int | None, str | None]:
    """A count from a form, a spreadsheet cell or code. Returns (value, error message)."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, f"{label} must be a number, like 120"
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            return None, f"{label} must be a whole number, like 120"
        value = int(raw)
    else:
        text = str(raw).strip()
        if text == "":
            return None, None
        if text.isascii() and text.isdigit():  # the common case, first
            value = int(text)
            return (value, None) if value <= MAX_COUNT else (None, f"{label} must be {MAX_COUNT:,} or fewer")
        # "1,200" is how people write numbers; "1 200" and "1.200" are not accepted (ambiguous).
        digits = text.replace(",", "") if _has_thousands_commas(text) else text
        if digits.startswith("-") and digits[1:].isdigit():
            return None, f"{label} must be 0 or more"
        if not digits.isascii() or not digits.isdigit():
            try:
                float(digits)
            except ValueError:
                return None, f"{label} must be a number, like 120"
            return None, f"{label} must be a whole number, like 120"
        value = int(digits)
    if value < 0:
        return None, f"{label} must be 0 or more"
    if value > MAX_COUNT:
        return None, f"{label} must be {MAX_COUNT:,} or fewer"
    return value, None


def _has_thousands_commas(text: str) -> bool:
    parts = text.split(",")
    return (len(parts) > 1 and parts[0].isdigit() and 1 <= len(parts[0]) <= 3
            and all(len(p) == 3 and p.isdigit() for p in parts[1:]))


def check_figures(
    *, figures: Mapping[str, object], affected: bool, complete: bool,
) -> tuple[dict[str, str], dict[str, int | None]]:
    """Hard errors for one set of figures, keyed by field, and the parsed values.
    `complete` asks for everything a submission needs (a draft may have gaps)."""
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for name in FIGURE_FIELDS:
        value, error = parse_count(figures.get(name), FIGURE_LABELS[name])
        values[name] = value
        if error:
            errors[name] = error
    if not affected:
        for name in WORKFORCE_FIELDS:
            if name not in errors and values[name] is not None:
                errors[name] = (f"Leave {FIGURE_LABELS[name].lower()} empty: the action does not affect this trust, "
                                "so it has no workforce figures")
    elif complete:
        if values["staff_absent"] is None and "staff_absent" not in errors:
            errors["staff_absent"] = "Enter the number of staff absent"
        if values["staff_due"] is None and "staff_due" not in errors:
            errors["staff_due"] = "Enter the number of staff due to work"
    if complete:
        for name in RESCHEDULED_FIELDS:
            if values[name] is None and name not in errors:
                errors[name] = f"Enter the number of {FIGURE_LABELS[name][0].lower()}{FIGURE_LABELS[name][1:]}"
    absent, due = values["staff_absent"], values["staff_due"]
    if absent is not None and due is not None and absent > due and "staff_absent" not in errors:
        errors["staff_absent"] = f"Staff absent must be the same as or fewer than staff due to work ({due:,})"
    for rescheduled, planned in PLANNED_FOR.items():
        count, denominator = values[rescheduled], values[planned]
        if count is not None and denominator is not None and count > denominator and rescheduled not in errors:
            errors[rescheduled] = (f"{FIGURE_LABELS[rescheduled]} must be the same as or fewer than "
                                   f"{FIGURE_LABELS[planned].lower()} ({denominator:,})")
    return errors, values


def figure_warnings(*, values: Mapping[str, int | None], medians: Mapping[str, float]) -> dict[str, str]:
    """Figures that look wrong (DOMAIN.md): more than 3 times the trust's median on earlier strike
    days, or more than 90% of due staff absent. A median of 0 sets no baseline (3 x 0 would flag
    every figure), so it gives no warning."""
    warnings: dict[str, str] = {}
    for name in MEDIAN_FIELDS:
        value, median = values.get(name), medians.get(name)
        if value is not None and median and value > MEDIAN_FACTOR * median:
            warnings[name] = (f"{FIGURE_LABELS[name]} ({value:,}) is more than {MEDIAN_FACTOR} times this trust's "
                              f"usual figure on earlier strike days (median {format_count(median)})")
    absent, due = values.get("staff_absent"), values.get("staff_due")
    if absent is not None and due and absent <= due and absent > ABSENT_SHARE_WARNING * due:
        share = f"Staff absent ({absent:,}) is more than 90% of staff due to work ({due:,})"
        warnings["staff_absent"] = f"{warnings['staff_absent']}. {share}" if "staff_absent" in warnings else share
    return warnings


def nil_figures(figures: Mapping[str, object], *, affected: bool) -> dict[str, object]:
    """"No impact, confirmed": every rescheduled count 0 and, for an affected trust, no staff
    absent. Staff due and the planned counts stay as given."""
    values = dict(figures)
    for name in RESCHEDULED_FIELDS:
        values[name] = 0
    if affected:
        values["staff_absent"] = 0
    return values


def is_nil_return(values: Mapping[str, int | None]) -> bool:
    return all(values.get(n) == 0 for n in RESCHEDULED_FIELDS) and not values.get("staff_absent")


# --- Reads the checks need --------------------------------------------------------------------

def affected_trust_ids(action: IndustrialAction) -> set[int]:
    """Ids of the trusts an action affects; empty means every trust."""
    return set(action.affected_trusts.values_list("pk", flat=True))


def action_affects(action: IndustrialAction, trust: Trust) -> bool:
    ids = affected_trust_ids(action)
    return not ids or trust.pk in ids


def _median(ordered: list[int]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def earlier_medians(wanted: Mapping[int, Iterable[dt.date]]) -> dict[tuple[int, dt.date], dict[str, float]]:
    """For each trust id and date asked for: the median of each figure over that trust's submitted
    returns on earlier strike days (any action). One query, streamed in (trust, date) order; each
    trust's figures are kept sorted as the dates go by, so a thousand dates cost one pass."""
    dates_by_trust = {trust_id: sorted(set(days)) for trust_id, days in wanted.items() if days}
    if not dates_by_trust:
        return {}
    latest = max(days[-1] for days in dates_by_trust.values())
    history = (DailyReturn.objects
               .filter(trust_id__in=list(dates_by_trust), status=ReturnStatus.SUBMITTED, date__lt=latest)
               .order_by("trust_id", 'date')
               .values_list("trust_id", "date", *MEDIAN_FIELDS))
    return medians_from_history(dates_by_trust, history.iterator(chunk_size=5000))


def medians_from_history(dates_by_trust: Mapping[int, list[dt.date]],
                         history: Iterable[Sequence[Any]]) -> dict[tuple[int, dt.date], dict[str, float]]:
    """earlier_medians' pass over a history of (trust_id, date, *MEDIAN_FIELDS) rows in (trust, date)
    order, for each trust's sorted dates: also fed by an import with the file's own rows (returns_import)."""
    result: dict[tuple[int, dt.date], dict[str, float]] = {}
    sorted_values: dict[str, list[int]] = defaultdict(list)
    current_trust: int | None = None
    pending: list[dt.date] = []

    def snapshot(trust_id: int, day: dt.date) -> None:
        medians = {name: _median(values) for name, values in sorted_values.items() if values}
        if medians:
            result[(trust_id, day)] = medians

    def finish(trust_id: int | None) -> None:
        if trust_id is not None:
            for day in pending:
                snapshot(trust_id, day)

    for trust_id, day, *figures in history:
        if trust_id != current_trust:
            finish(current_trust)
            current_trust, pending = trust_id, list(dates_by_trust[trust_id])
            sorted_values = defaultdict(list)
        # Every date asked for that is not after this return's date has seen all its earlier returns.
        while pending and pending[0] <= day:
            snapshot(trust_id, pending.pop(0))
        for name, value in zip(MEDIAN_FIELDS, figures, strict=True):
            if value is not None:
                bisect.insort(sorted_values[name], value)
    finish(current_trust)
    return result


class _Median(Aggregate):
    """PostgreSQL's ordered-set median. For an even count it interpolates halfway between the two
    middle values, which is exactly what _median does; NULLs are ignored, as earlier_medians does."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def trust_medians(trust: Trust, day: dt.date) -> dict[str, float]:
    """The medians earlier_medians gives for one trust and day, for a single submission: one
    aggregate row from the covering index `return_submitted_trust_day`, so a submit costs the same
    whatever the trust's history (earlier_medians streams every earlier return into Python: 166 ms a
    submit with 10,000 returns a trust)."""
    row = (DailyReturn.objects.filter(trust=trust, status=ReturnStatus.SUBMITTED, date__lt=day)
           .aggregate(**{name: _Median(name) for name in MEDIAN_FIELDS}))
    return {name: float(value) for name, value in row.items() if value is not None}


def _open_reopening(action: IndustrialAction, trust: Trust, now: dt.datetime) -> ReturnReopening | None:
    return (ReturnReopening.objects
            .filter(action=action, trust=trust, closes_at__gt=now, closed_early_at__isnull=True)
            .order_by("-closes_at").first())


def lock_reason_for(
    *, action: IndustrialAction, trust: Trust, strike_day: StrikeDay, now: dt.datetime,
) -> str | None:
    if now < strike_day.starts_at:
        return (f"You cannot enter the return for {formatted(strike_day.date, 'date')} yet: the strike day begins at "
                f"{formatted(strike_day.starts_at, 'moment')}.")
    locks_at = action.locks_at
    if locks_at is None or now < locks_at or _open_reopening(action, trust, now):
        return None
    reason = (f"Returns for {action.name} are locked: the action hard-closed at {formatted(locks_at, 'moment')}.")
    last = ReturnReopening.objects.filter(action=action, trust=trust).order_by("-reopened_at").first()
    if last is not None:
        ended = last.closed_early_at or last.closes_at
        reason += f" They were reopened for {trust.name} until {formatted(ended, 'moment')}; that reopening has ended."
    return reason + " Ask NHS England to reopen your trust's returns if a figure must change."


def return_check(
    *,
    action: IndustrialAction,
    trust: Trust,
    day: dt.date,
    figures: Mapping[str, object],
    now: dt.datetime | None = None,
    complete: bool = True,
    strike_day: StrikeDay | None = None,
    affected: bool | None = None,
) -> ReturnCheck:
    """Validate one return without saving anything: hard errors, then (only for valid figures)
    warnings. `complete=False` checks a draft, which may have gaps. A caller that has already read
    the strike day (of this action and date) and whether the action affects the trust passes them,
    to save the queries."""
    now = now or clock.now()
    strike_day = _strike_day(action, day, known=strike_day)
    if affected is None:
        affected = action_affects(action, trust)
    errors: dict[str, str] = {}
    if strike_day is None:
        errors["date"] = f"{formatted(day, 'date')} is not a strike day of {action.name}"
    elif now < strike_day.starts_at:
        errors["date"] = (f"The strike day {formatted(day, 'date')} has not begun: you can enter its return from "
                          f"{formatted(strike_day.starts_at, 'moment')}")
    field_errors, values = check_figures(figures=figures, affected=affected, complete=complete)
    errors.update(field_errors)
    warnings: dict[str, str] = {}
    medians: dict[str, float] = {}
    if not errors:
        medians = trust_medians(trust, day)
        warnings = figure_warnings(values=values, medians=medians)
    return ReturnCheck(errors=errors, warnings=warnings, figures=values, affected=affected,
                       strike_day=strike_day, medians=medians)


# --- Writes --------------------------------------------------------------------------------------

def _strike_day(action: IndustrialAction, day: dt.date, *, known: StrikeDay | None = None) -> StrikeDay | None:
    """The action's strike day on `day`, or None: `known` if the caller has already read it (a view
    that looked it up to scope the request), else one query."""
    if known is not None and known.action_id == action.pk and known.date == day:
        return known
    return StrikeDay.objects.filter(action=action, date=day).first()


def _strike_day_or_invalid(action: IndustrialAction, trust: Trust, day: dt.date,
                           known: StrikeDay | None = None) -> StrikeDay:
    strike_day = _strike_day(action, day, known=known)
    if strike_day is None:
        not_a_strike_day = f"{formatted(day, 'date')} is not a strike day of {action.name}"
        raise ReturnInvalid(ReturnCheck(errors={"date": not_a_strike_day},
                                        warnings={}, figures={}, affected=action_affects(action, trust)))
    return strike_day


def _locked_existing(action: IndustrialAction, trust: Trust, day: dt.date) -> DailyReturn | None:
    return (DailyReturn.objects.select_for_update(of=("self",))
            .select_related("submitted_by").filter(action=action, trust=trust, date=day).first())


def changes_since(daily_return: DailyReturn, version: int) -> dict[str, list[Any]]:
    """What the revisions after `version` changed, merged: {field: [value then, value now]}."""
    merged: dict[str, list[Any]] = {}
    for revision in daily_return.revisions.filter(version__gt=version).order_by("version"):
        for name, (old, new) in revision.changes.items():
            merged[name] = [merged[name][0] if name in merged else old, new]
    return {name: pair for name, pair in merged.items() if pair[0] != pair[1]}


def _check_version(existing: DailyReturn | None, expected_version: int | None) -> None:
    """expected_version is the version the writer saw: 0 for "there was no return yet", None for
    a caller that does not take part in optimistic locking (a script that means to overwrite)."""
    if expected_version is None:
        return
    current_version = existing.version if existing is not None else 0
    if current_version != expected_version:
        changes = changes_since(existing, expected_version) if existing is not None else {}
        raise ReturnConflict(existing, changes)


def _write(existing: DailyReturn, values: dict[str, Any]) -> DailyReturn:
    """A conditional UPDATE on the version the writer read: the row lock makes a miss impossible
    in practice, and the condition makes a lost update impossible in principle."""
    updated_at = timezone.now()
    updated = DailyReturn.objects.filter(pk=existing.pk, version=existing.version).update(
        **values, version=F("version") + 1, updated_at=updated_at)
    if updated != 1:
        existing.refresh_from_db()
        raise ReturnConflict(existing, {})
    # The row is locked and the UPDATE wrote exactly these values (no database defaults or
    # triggers change its columns), so set them here rather than read the row back.
    for name, value in values.items():
        setattr(existing, name, value)
    existing.version += 1
    existing.updated_at = updated_at
    return existing


def _summary(trust: Trust, action: IndustrialAction, day: dt.date, what: str) -> str:
    return f"{trust.ods_code} return for {formatted(day, 'date')} ({action.name}) {what}"


def return_save_draft(
    *,
    action: IndustrialAction,
    trust: Trust,
    day: dt.date,
    figures: Mapping[str, object],
    user: User | None,
    source: str = ReturnSource.WEB,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DailyReturn:
    """Keep figures that are not ready to submit. Gaps are allowed; wrong figures are not."""
    now = now or clock.now()
    with transaction.atomic():
        strike_day = _strike_day_or_invalid(action, trust, day)
        reason = lock_reason_for(action=action, trust=trust, strike_day=strike_day, now=now)
        if reason:
            raise ReturnLocked(reason)
        existing = _locked_existing(action, trust, day)
        _check_version(existing, expected_version)
        if existing is not None and existing.status == ReturnStatus.SUBMITTED:
            raise ReturnAlreadySubmitted()
        check = return_check(action=action, trust=trust, day=day, figures=figures, now=now, complete=False,
                             strike_day=strike_day)
        if not check.ok:
            raise ReturnInvalid(check)
        values: dict[str, Any] = {**check.figures, "source": source, "is_nil": False}
        if existing is None:
            return _create(action=action, trust=trust, strike_day=strike_day, values=values)
        return _write(existing, values)


def _create(*, action: IndustrialAction, trust: Trust, strike_day: StrikeDay, values: dict[str, Any]) -> DailyReturn:
    try:
        # A savepoint, so that losing a race to create the row leaves the transaction usable.
        with transaction.atomic():
            return DailyReturn.objects.create(action=action, trust=trust, strike_day=strike_day,
                                              date=strike_day.date, **values)
    except IntegrityError:
        current = DailyReturn.objects.filter(action=action, trust=trust, date=strike_day.date).first()
        if current is None:
            raise
        raise ReturnConflict(current, {}) from None


def return_submit(
    *,
    action: IndustrialAction,
    trust: Trust,
    day: dt.date,
    figures: Mapping[str, object],
    user: User | None,
    source: str = ReturnSource.WEB,
    reason: str = "",
    warning_comment: str = "",
    nil: bool = False,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    request: Any = None,
    strike_day: StrikeDay | None = None,
) -> DailyReturn:
    """Submit a return, or revise a submitted one. `nil=True` confirms "no impact" (all rescheduled
    counts 0). Raises ReturnLocked, ReturnConflict, ReturnInvalid, WarningsNeedComment or
    ReasonRequired, in that order of precedence; saves nothing when it raises. `strike_day` saves a
    query when the caller has already read the action's strike day on `day`."""
    now = now or clock.now()
    with transaction.atomic():
        strike_day = _strike_day_or_invalid(action, trust, day, known=strike_day)
        lock = lock_reason_for(action=action, trust=trust, strike_day=strike_day, now=now)
        if lock:
            raise ReturnLocked(lock)
        existing = _locked_existing(action, trust, day)
        _check_version(existing, expected_version)
        affected = action_affects(action, trust)
        if nil:
            figures = nil_figures(figures, affected=affected)
        check = return_check(action=action, trust=trust, day=day, figures=figures, now=now,
                             strike_day=strike_day, affected=affected)
        if not check.ok:
            raise ReturnInvalid(check)
        comment = warning_comment.strip()
        if check.warnings and not comment:
            raise WarningsNeedComment(check)
        values: dict[str, Any] = {
            **check.figures,
            "is_nil": is_nil_return(check.figures),
            "warning_comment": comment if check.warnings else "",
        }
        is_late = now > strike_day.deadline
        if existing is None or existing.status == ReturnStatus.DRAFT:
            first = {"status": ReturnStatus.SUBMITTED, "first_submitted_at": now, "submitted_at": now,
                     "submitted_by": user, "source": source, "is_late": is_late}
            if existing is None:
                saved = _create(action=action, trust=trust, strike_day=strike_day, values={**values, **first})
            else:
                saved = _write(existing, {**values, **first})
            audit_record(event="return.submitted", actor=user, trust=trust, target=saved, request=request,
                         summary=_summary(trust, action, day, "submitted late" if is_late else "submitted"),
                         details={"action": action.slug, "date": day.isoformat(), "source": source,
                                  "late": is_late, "nil": saved.is_nil, "figures": check.figures,
                                  "warnings": sorted(check.warnings)})
            return saved
        changes = {name: [getattr(existing, name), values[name]]
                   for name in TRACKED_FIELDS if getattr(existing, name) != values[name]}
        if not changes:
            return existing
        if now > strike_day.deadline and not reason.strip():
            raise ReasonRequired(strike_day.deadline)
        was_signed_off = existing.signed_off_at is not None
        # A revision after sign-off needs a new sign-off: the figures signed off are no longer these.
        saved = _write(existing, {**values, "submitted_at": now, "submitted_by": user, "source": source,
                                  "signed_off_at": None, "signed_off_by": None})
        ReturnRevision.objects.create(daily_return=saved, version=saved.version, changed_by=user, source=source,
                                      reason=reason.strip(), changes=changes)
        audit_record(event="return.revised", actor=user, trust=trust, target=saved, request=request,
                     summary=_summary(trust, action, day, f"revised ({', '.join(changes)})"),
                     details={"action": action.slug, "date": day.isoformat(), "source": source,
                              "version": saved.version, "changes": changes, "reason": reason.strip(),
                              "sign_off_withdrawn": was_signed_off})
        return saved
