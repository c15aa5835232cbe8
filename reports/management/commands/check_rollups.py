"""`python manage.py check_rollups [--repair]`: do the return rollups (kept by triggers) still equal
a fresh aggregate of the submitted returns? Exit 0 when they do; otherwise print every (action,
strike day) that drifted with the stored and fresh figures and exit 1, or with --repair rebuild
them (under a lock that holds writers back) and exit 0. Run it after restoring a backup, after any
write made with triggers disabled, or from monitoring."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.models.rollups import ReturnRollup, rollup_drift, rollups_rebuild
from trusts.models import IndustrialAction

SHOWN = 50


class Command(BaseCommand):
    help = "Check that the return rollups equal a fresh aggregate of the submitted returns (--repair rebuilds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true",
                            help="Rebuild every rollup from the returns when any has drifted.")

    def handle(self, *args: object, **options: Any) -> None:
        drift = rollup_drift()
        if not drift:
            self.stdout.write(f"Rollups match the returns ({ReturnRollup.objects.count():,} action-day rows).")
            return
        slugs = dict(IndustrialAction.objects.filter(pk__in={key[0] for key, _ in drift}).values_list("pk", "slug"))
        for (action_id, date), fields in drift[:SHOWN]:
            details = ", ".join(f"{name} {stored:,} (fresh {fresh:,})" for name, (stored, fresh) in fields.items())
            self.stderr.write(f"{slugs.get(action_id, action_id)} {date.isoformat()}: {details}")
        if len(drift) > SHOWN:
            self.stderr.write(f"... and {len(drift) - SHOWN:,} more.")
        if not options["repair"]:
            raise CommandError(f"{len(drift):,} rollup rows differ from the returns; run with --repair to rebuild.",
                               returncode=1)
        written = rollups_rebuild()
        remaining = rollup_drift()
        if remaining:
            raise CommandError(f"{len(remaining):,} rollup rows still differ after the rebuild.", returncode=1)
        self.stdout.write(f"Repaired: {len(drift):,} rows had drifted; rebuilt {written:,} action-day rows.")
