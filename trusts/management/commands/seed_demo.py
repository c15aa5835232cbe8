"""Create demo users (and, as later features land, demo data) for a local run. Never in production."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from trusts.dates import formatted
from trusts.models import Membership, Region, Role, Trust, User

DEMO_USERS = [
    ("admin.rwe@example.nhs.uk", "Ada", "Okafor", Role.TRUST_ADMIN, "RWE", None),
    ("comms.rwe@example.nhs.uk", "Chris", "Patel", Role.TRUST_COMMS, "RWE", None),
    ("manager.midlands@example.nhs.uk", "Morgan", "Hughes", Role.REGIONAL_MANAGER, None, "Y60"),
    ("manager.national@example.nhs.uk", "Nia", "Evans", Role.NATIONAL_MANAGER, None, None),
]


class Command(BaseCommand):
    help = "Create the demo users for a local run and print their sign-in details."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Use this password for every demo user (default: a new random one).")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: demo accounts must never reach production.")
        password = str(options.get("password") or f"demo-{secrets.token_urlsafe(9)}")
        rows = []
        for email, first, last, role, ods_code, region_code in DEMO_USERS:
            user, _ = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            user.set_password(password)
            user.save()
            trust = Trust.objects.get(ods_code=ods_code) if ods_code else None
            region = Region.objects.get(code=region_code) if region_code else None
            Membership.objects.get_or_create(user=user, role=role, trust=trust, region=region)
            scope = trust.name if trust else (region.name if region else "England")
            rows.append((Role(role).label, scope, email))
        self.stdout.write(f"\nDemo sign-in details (password for all: {password})\n")
        for label, scope, email in rows:
            self.stdout.write(f"  {label:<24} {scope:<45} {email}")
        self.stdout.write("")
        seed_demo_actions(self.stdout)
        seed_demo_returns(self.stdout)


def seed_demo_actions(stdout: OutputWrapper) -> None:
    """The real actions since December 2022 (trusts/data/actions_2022_2024.csv), and a current one
    (started two days ago at 07:00, ends at 07:00 tomorrow) so the dashboards have live work."""
    import datetime as dt

    from trusts.models import IndustrialAction
    from trusts.services.actions import ActionInvalid, action_save, actions_import
    from trusts.strike_calendar import LONDON
    from trusts.tabular import TableError, iter_csv

    path = settings.BASE_DIR / "trusts" / "data" / "actions_2022_2024.csv"
    with path.open("rb") as stream:
        try:
            result = actions_import(rows=iter_csv(stream, required=["slug", "name", "staff_group", "unions",
                                                                    "windows", "affected"]))
        except TableError as error:
            raise CommandError(f"{path}: {error}") from None
    stdout.write(f"Industrial actions 2022-2024: {result.created} created, {result.updated} updated, "
                 f"{result.unchanged} unchanged.")
    today = dt.datetime.now(LONDON).date()
    start = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(7), tzinfo=LONDON)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(7), tzinfo=LONDON)
    existing = IndustrialAction.objects.filter(slug="demo-current-action").first()
    try:
        action = action_save(
            action=existing, slug="demo-current-action", name="Demo: junior doctors, this week",
            staff_group="junior_doctors", unions=["BMA"], windows=[(start, end)], affected=[], hard_close=None,
            user=None,
        )
    except ActionInvalid as error:
        # Seeded on an earlier day and returns were entered since: keep it rather than lose them.
        stdout.write(f"Kept the demo current action as it was: {' '.join(error.messages)}")
        return
    assert action.first_day is not None and action.last_day is not None, "the demo action has a window"
    stdout.write(f"Demo current action: {action.name}, strike days {formatted(action.first_day, 'day_month')} to "
                 f"{formatted(action.last_day, 'date')} (/actions/{action.slug}/).")


def seed_demo_returns(stdout: OutputWrapper) -> None:
    """Plausible returns for Leicester (RWE) and a spread of other trusts for every strike day that has
    begun, through the import service (so a second run changes nothing). Leicester's days of the demo
    current action are left open, so that its administrator has a return to enter."""
    import random

    from trusts import clock
    from trusts.models import IndustrialAction, ReturnSource, StrikeDay
    from trusts.services.returns_import import returns_import
    from trusts.tabular import Row, TableError

    actions = list(IndustrialAction.objects.all())
    if not actions:
        stdout.write("Demo returns: no industrial actions yet, so none were added.")
        return
    trusts = list(Trust.objects.filter(status="active").order_by("ods_code"))
    sample = [t for i, t in enumerate(trusts) if t.ods_code == "RWE" or i % 5 == 0]
    affected: dict[int, set[int]] = {a.pk: set() for a in actions}
    for action_id, trust_id in IndustrialAction.affected_trusts.through.objects.values_list(
            "industrialaction_id", "trust_id"):
        affected[action_id].add(trust_id)
    slugs = {a.pk: a.slug for a in actions}
    now = clock.now()
    rows: list[Row] = []
    for strike_day in StrikeDay.objects.filter(starts_at__lte=now).order_by("date", "action_id"):
        slug = slugs[strike_day.action_id]
        for trust in sample:
            if slug == "demo-current-action" and trust.ods_code == "RWE":
                continue
            # Seeded by action, trust and day: the same figures every run.
            rng = random.Random(f"{slug}:{trust.ods_code}:{strike_day.date}")  # noqa: S311 (demo data)
            acute = trust.trust_type == "acute"
            size = 1.6 if trust.ods_code == "RWE" else rng.uniform(0.5, 1.3)
            values = {
                "action": slug, "ods_code": trust.ods_code, "date": strike_day.date.isoformat(),
                "staff_absent": "", "staff_due": "",
                "elective_rescheduled": str(int(rng.uniform(10, 40) * size)) if acute else "0",
                "outpatient_rescheduled": str(int(rng.uniform(150, 400) * size)) if acute else "0",
                "community_rescheduled": str(int(rng.uniform(0, 40) * size))
                if trust.trust_type != "ambulance" else "0",
                "mental_health_rescheduled": str(int(rng.uniform(0, 25) * size))
                if trust.trust_type in ("mental_health", "community") else "0",
            }
            if not affected[strike_day.action_id] or trust.pk in affected[strike_day.action_id]:
                due = int(rng.uniform(500, 900) * size)
                values["staff_due"] = str(due)
                values["staff_absent"] = str(int(due * rng.uniform(0.35, 0.6)))
            rows.append(Row(len(rows) + 2, values))
    try:
        result = returns_import(rows=rows, source=ReturnSource.COMMAND, authority="national",
                                reason="Demo data (seed_demo)")
    except TableError as error:
        raise CommandError(f"Demo returns could not be loaded: {error}") from None
    stdout.write(f"Demo returns for {len(sample)} trusts: {result.created} submitted, {result.revised} revised, "
                 f"{result.unchanged} unchanged.")
