"""Writes for industrial actions: create or change one (web form, import), and the CSV import.

Strike days are derived, never typed: every save rebuilds them from the walkout windows with
trusts.strike_calendar.strike_days. A day that already has returns is never deleted; a change
that would drop one is refused with a message that says which day and why.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count

from strikeops.errors import ServiceError
from trusts.dates import formatted
from trusts.models import IndustrialAction, StaffGroup, StrikeDay, Trust, Union, User, WalkoutWindow
from trusts.services.audit import audit_record
from trusts.strike_calendar import LONDON, default_hard_close, return_deadline, strike_days
from trusts.tabular import Row, RowError, TableError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX: int = IndustrialAction._meta.get_field("slug").max_length  # type: ignore[assignment]  # a CharField: set
NAME_MAX: int = IndustrialAction._meta.get_field("name").max_length  # type: ignore[assignment]  # a CharField: set

Window = tuple[dt.datetime, dt.datetime]


class ActionInvalid(ServiceError):
    """An industrial action that breaks a rule; `errors` says which, by field."""


def _validate_windows(windows: list[Window]) -> list[str]:
    """Every problem with the walkout windows, in the words the form and the import show."""
    if not windows:
        return ["Enter at least one walkout window"]
    problems: list[str] = []
    for number, (start, end) in enumerate(windows, start=1):
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("walkout window times must be timezone-aware")
        if end <= start:
            problems.append(f"Walkout window {number} must end after it starts "
                            f"(it starts at {formatted(start, 'time_on_date')} and ends at "
                            f"{formatted(end, 'time_on_date')})")
    if problems:
        return problems
    ordered = sorted(windows)
    for (start_a, end_a), (start_b, _end_b) in itertools.pairwise(ordered):
        if start_b < end_a:
            problems.append(f"Walkout windows must not overlap: the window from "
                            f"{formatted(start_b, 'time_on_date')} starts before the window from "
                            f"{formatted(start_a, 'time_on_date')} ends at {formatted(end_a, 'time_on_date')}")
    if problems:
        return problems
    try:
        strike_days(ordered)
    except ValueError:
        # Windows that do not overlap in time can still both start a strike day on one date
        # (07:00 to 09:00 the next day, then 20:00 that day): the days would share a label.
        labels: dict[dt.date, int] = {}
        for start, end in ordered:
            for day in strike_days([(start, end)]):
                labels[day.date] = labels.get(day.date, 0) + 1
        clashes = ", ".join(formatted(d, "date") for d, n in sorted(labels.items()) if n > 1)
        problems.append(f"Two walkout windows would each start a strike day on {clashes}; "
                        "join them into one window or move one of them")
    return problems


def action_validate(
    *,
    action: IndustrialAction | None,
    slug: str,
    name: str,
    staff_group: str,
    unions: list[str],
    windows: list[Window],
    hard_close: dt.date | None,
) -> dict[str, list[str]]:
    """Check an action's fields without saving. Returns {field: [messages]}; empty when valid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not slug:
        add("slug", "Enter a short name for web addresses (the slug)")
    elif len(slug) > SLUG_MAX:
        add("slug", f"The slug must be {SLUG_MAX} characters or fewer")
    elif not SLUG_RE.match(slug):
        add("slug", "The slug must contain only lower-case letters, numbers and single hyphens, "
                    "like junior-doctors-april-2023")
    elif IndustrialAction.objects.filter(slug=slug).exclude(pk__in=[action.pk] if action else []).exists():
        add("slug", f"An industrial action with the slug {slug} already exists")
    if not name.strip():
        add("name", 'Enter a name, like "Junior doctors, April 2023"')
    elif len(name) > NAME_MAX:
        add("name", f"The name must be {NAME_MAX} characters or fewer")
    if staff_group not in StaffGroup.values:
        add("staff_group", "Select the staff group taking action")
    if not unions:
        add("unions", "Select the unions taking part")
    unknown = [u for u in unions if u not in Union.values]
    if unknown:
        add("unions", f"Unknown union{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
                      f"(known: {', '.join(Union.values)})")
    for problem in _validate_windows(windows):
        add("windows", problem)
    if hard_close is not None and "windows" not in errors:
        last_day = strike_days(sorted(windows))[-1].date
        if hard_close < last_day:
            add("hard_close", f"The hard close must be on or after the last strike day, {formatted(last_day, 'date')}")
    return errors


def _rebuild_strike_days(action: IndustrialAction, windows: list[Window]) -> list[dt.date]:
    """Make the action's strike days match its windows. Days whose date stays are updated in
    place (their returns keep pointing at them); a day to drop that has returns stops the save."""
    wanted = {d.date: d for d in strike_days(sorted(windows))}
    existing = {d.date: d for d in StrikeDay.objects.select_for_update().filter(action=action)}
    to_drop = [day for date, day in existing.items() if date not in wanted]
    if to_drop:
        with_returns = (
            StrikeDay.objects.filter(pk__in=[d.pk for d in to_drop])
            .annotate(n=Count("returns")).filter(n__gt=0).order_by("date").values_list("date", "n")
        )
        blocked = [f"{formatted(date, 'date')} ({n} return{'s' if n != 1 else ''})" for date, n in with_returns]
        if blocked:
            raise ActionInvalid(errors={"windows": [
                "These walkout windows would remove strike days that already have returns: "
                + "; ".join(blocked) + ". Keep those days in a walkout window."
            ]})
        StrikeDay.objects.filter(pk__in=[d.pk for d in to_drop]).delete()
    to_create: list[StrikeDay] = []
    for date, derived in wanted.items():
        deadline = return_deadline(date)
        day = existing.get(date)
        if day is None:
            to_create.append(StrikeDay(action=action, date=date, starts_at=derived.starts_at,
                                       ends_at=derived.ends_at, deadline=deadline))
        elif (day.starts_at, day.ends_at, day.deadline) != (derived.starts_at, derived.ends_at, deadline):
            day.starts_at, day.ends_at, day.deadline = derived.starts_at, derived.ends_at, deadline
            day.save(update_fields=["starts_at", "ends_at", "deadline"])
    StrikeDay.objects.bulk_create(to_create)
    return sorted(wanted)


def action_save(
    *,
    action: IndustrialAction | None = None,
    slug: str,
    name: str,
    staff_group: str,
    unions: list[str],
    windows: list[Window],
    affected: Iterable[Trust],
    hard_close: dt.date | None,
    user: User | None,
    requires_sign_off: bool | None = None,
) -> IndustrialAction:
    """Create an action (action=None) or change one. Raises ActionInvalid (messages by field) and saves
    nothing when a rule is broken. hard_close=None means the default: five working days after the
    last strike day. requires_sign_off=None keeps the action's setting (off for a new action)."""
    unions = list(dict.fromkeys(unions))  # keep the order given, drop repeats
    windows = sorted(windows)
    errors = action_validate(action=action, slug=slug, name=name, staff_group=staff_group, unions=unions,
                             windows=windows, hard_close=hard_close)
    if errors:
        raise ActionInvalid(errors=errors)
    affected = list(affected)
    with transaction.atomic():
        creating = action is None
        if action is None:
            action = IndustrialAction(created_by=user if user and user.is_authenticated else None)
        else:
            action = IndustrialAction.objects.select_for_update().get(pk=action.pk)
        action.slug, action.name, action.staff_group, action.unions = slug, name.strip(), staff_group, unions
        if requires_sign_off is not None:
            action.requires_sign_off = requires_sign_off
        action.save()
        dates = _rebuild_strike_days(action, windows)
        WalkoutWindow.objects.filter(action=action).delete()
        WalkoutWindow.objects.bulk_create(WalkoutWindow(action=action, starts_at=s, ends_at=e) for s, e in windows)
        action.first_day, action.last_day = dates[0], dates[-1]
        action.hard_close = hard_close or default_hard_close(dates[-1])
        action.save(update_fields=["first_day", "last_day", "hard_close", "updated_at"])
        action.affected_trusts.set(affected)
        audit_record(
            event="action.created" if creating else "action.updated",
            summary=f"{'Created' if creating else 'Changed'} industrial action {action.name}",
            actor=user, target=action,
            details={
                "slug": action.slug, "staff_group": staff_group, "unions": unions,
                "windows": [[s.isoformat(), e.isoformat()] for s, e in windows],
                "strike_days": [d.isoformat() for d in dates], "hard_close": action.hard_close.isoformat(),
                "affected": sorted(t.ods_code for t in affected),
                "requires_sign_off": action.requires_sign_off,
            },
        )
    return action


# --- the CSV import -------------------------------------------------------------------------

ACTION_COLUMNS = ["slug", "name", "staff_group", "unions", "windows", "affected"]
OPTIONAL_ACTION_COLUMNS = ["hard_close"]
# Where a field's errors point in the file.
_FIELD_COLUMNS = {"slug": "slug", "name": "name", "staff_group": "staff_group", "unions": "unions",
                  "windows": "windows", "hard_close": "hard_close", "affected": "affected"}


@dataclass
class ActionImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse_local_datetime(text: str) -> dt.datetime:
    """'2023-04-11T07:00' as UK local time. Raises ValueError with a message for people."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date and time like 2023-04-11T07:00") from None
    if value.tzinfo is not None:
        return value
    local = value.replace(tzinfo=LONDON)
    # A time skipped when the clocks go forward does not survive the round trip through UTC.
    if local.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None) != value:
        raise ValueError(f"{text} does not exist in UK time (the clocks go forward that night)")
    return local


def parse_windows(cell: str) -> list[Window]:
    """'START/END;START/END' -> windows. Raises ValueError listing every bad pair."""
    windows: list[Window] = []
    problems: list[str] = []
    for number, pair in enumerate(_split(cell), start=1):
        parts = pair.split("/")
        if len(parts) != 2:
            problems.append(f"window {number} '{pair}' is not START/END, like 2023-04-11T07:00/2023-04-15T07:00")
            continue
        try:
            windows.append((parse_local_datetime(parts[0].strip()), parse_local_datetime(parts[1].strip())))
        except ValueError as exc:
            problems.append(f"window {number}: {exc}")
    if problems:
        raise ValueError("; ".join(problems))
    return windows


def _staff_group(cell: str) -> str:
    """Accept the stored value (junior_doctors) or the label (Junior doctors), any case."""
    wanted = cell.strip().lower()
    for value, label in StaffGroup.choices:
        if wanted in (value, str(label).lower()):
            return value
    return cell.strip()


def _union(cell: str) -> str:
    for value in Union.values:
        if cell.lower() == value.lower():
            return value
    return cell


def _unchanged(action: IndustrialAction, values: dict[str, Any]) -> bool:
    windows = [(w.starts_at, w.ends_at) for w in action.windows.all()]
    hard_close = values["hard_close"] or default_hard_close(strike_days(values["windows"])[-1].date)
    return (
        action.name == values["name"] and action.staff_group == values["staff_group"]
        and action.unions == list(dict.fromkeys(values["unions"]))
        and windows == sorted(values["windows"]) and action.hard_close == hard_close
        and {t.pk for t in action.affected_trusts.all()} == {t.pk for t in values["affected"]}
    )


def actions_import(*, rows: Iterable[Row], user: User | None = None) -> ActionImportResult:
    """Create or update actions by slug from rows in the import_actions layout.

    All-or-nothing: every row is checked (and saved inside one transaction, so that rules that need
    the database, like a strike day with returns, are checked too); any error rolls everything
    back and raises TableError with every error's line and column."""
    trusts = {t.ods_code: t for t in Trust.objects.all()}
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row in rows:
        if "__error__" in row.values:
            errors.append(RowError(row.line, row.values["__error__"]))
            continue
        row_errors: list[RowError] = []
        slug = row["slug"]
        if slug in seen:
            row_errors.append(RowError(row.line, f"{slug} already appears on line {seen[slug]}", "slug"))
        elif slug:
            seen[slug] = row.line
        try:
            windows = parse_windows(row["windows"])
        except ValueError as exc:
            row_errors.append(RowError(row.line, str(exc), "windows"))
            windows = []
        codes = [c.upper() for c in _split(row["affected"])]
        unknown = [c for c in codes if c not in trusts]
        if unknown:
            row_errors.append(RowError(row.line, f"unknown ODS code{'s' if len(unknown) > 1 else ''}: "
                                                 f"{', '.join(unknown)}", "affected"))
        hard_close = None
        if row["hard_close"]:
            try:
                hard_close = dt.date.fromisoformat(row["hard_close"])
            except ValueError:
                row_errors.append(RowError(row.line, f"'{row['hard_close']}' is not a date like 2023-04-24",
                                           "hard_close"))
        values: dict[str, Any] = {
            "slug": slug, "name": row["name"], "staff_group": _staff_group(row["staff_group"]),
            "unions": [_union(u) for u in _split(row["unions"])], "windows": windows,
            "affected": [trusts[c] for c in dict.fromkeys(codes) if c in trusts], "hard_close": hard_close,
        }
        existing = IndustrialAction.objects.filter(slug=slug).first() if slug else None
        problems = action_validate(action=existing, **{k: v for k, v in values.items() if k != "affected"})
        for field, messages in problems.items():
            if field == "windows" and any(e.column == "windows" for e in row_errors):
                continue  # the windows could not be read; "enter at least one" would only repeat that
            row_errors.extend(RowError(row.line, m, _FIELD_COLUMNS[field]) for m in messages)
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((row.line, values))
    if not parsed and not errors:
        errors.append(RowError(2, "the file has a header but no actions"))
    if errors:
        raise TableError(errors)

    result = ActionImportResult()
    with transaction.atomic():
        for line, values in parsed:
            existing = IndustrialAction.objects.filter(slug=values["slug"]).first()
            if existing is not None and _unchanged(existing, values):
                result.unchanged += 1
                continue
            try:
                with transaction.atomic():
                    action_save(action=existing, user=user, **values)
            except ActionInvalid as exc:
                for field, messages in exc.message_dict.items():
                    errors.extend(RowError(line, m, _FIELD_COLUMNS.get(field, "")) for m in messages)
                continue
            if existing is None:
                result.created += 1
            else:
                result.updated += 1
        if errors:
            raise TableError(errors)
    return result
