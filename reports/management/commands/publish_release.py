"""`python manage.py publish_release SLUG --note TEXT [--allow-incomplete --reason TEXT]`: publish
the action's figures as its next frozen release and print the release's addresses (DOMAIN.md,
"Command-line contract"). Refused, exit 1 and nothing published, while a strike day is below
RELEASE_COVERAGE_THRESHOLD unless --allow-incomplete comes with a --reason, which the release shows.
Runs with national authority, as import_returns does (the release has no publishing user)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from reports.services.releases import ReleaseRefused, release_publish
from trusts.models import IndustrialAction


def release_addresses(slug: str, number: int) -> list[tuple[str, str]]:
    """Every public address of a release, absolute (SITE_URL)."""
    base = settings.SITE_URL.rstrip("/")
    return [(label, base + reverse(name, args=[slug, number])) for label, name in (
        ("HTML", "reports:release"), ("JSON", "reports:release_json"), ("CSV", "open_data:release_csv"),
        ("Coverage CSV", "open_data:release_coverage_csv"), ("XLSX", "open_data:release_xlsx"),
        ("API", "api:release"))]


class Command(BaseCommand):
    help = "Publish an industrial action's figures as its next frozen release and print its addresses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The industrial action's slug.")
        parser.add_argument("--note", required=True, help="A note published with the release.")
        parser.add_argument("--allow-incomplete", action="store_true",
                            help="Publish although a strike day is below the coverage threshold (needs --reason).")
        parser.add_argument("--reason", default="", help="Why incomplete figures are published (shown on the release).")

    def handle(self, *args: object, **options: Any) -> None:
        if options["reason"].strip() and not options["allow_incomplete"]:
            raise CommandError("--reason goes with --allow-incomplete; nothing was published.", returncode=2)
        action = IndustrialAction.objects.filter(slug=options["slug"], first_day__isnull=False).first()
        if action is None:
            raise CommandError(f"No industrial action with slug: {options['slug']}", returncode=2)
        try:
            release = release_publish(action=action, user=None, note=options["note"],
                                      allow_incomplete=options["allow_incomplete"], reason=options["reason"])
        except ReleaseRefused as refused:
            raise CommandError(f"{refused} Nothing was published.", returncode=1) from refused
        self.stdout.write(f"Published release {release.number} of {action.name}.")
        for label, url in release_addresses(action.slug, release.number):
            self.stdout.write(f"{label}: {url}")
