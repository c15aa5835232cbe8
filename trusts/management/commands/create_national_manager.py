"""`manage.py create_national_manager EMAIL`: the first national manager, with two-factor from the start."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from trusts.services.national_managers import NationalManagerError, national_manager_create


class Command(BaseCommand):
    help = ("Create a national manager (also admin staff) and print a one-time link to set their password; "
            "they must set up an authenticator app before any page.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            user, link = national_manager_create(email=email, site_url=settings.SITE_URL)
        except NationalManagerError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Created national manager {user.email}.")
        self.stdout.write("Send them this one-time link (it stops working once used, or after "
                          f"{settings.PASSWORD_RESET_TIMEOUT // 3600} hours):")
        self.stdout.write(link)
        self.stdout.write("After choosing a password they must set up an authenticator app before any other page.")
