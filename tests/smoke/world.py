"""What the smoke test's fresh database needs before the first request (run through
`manage.py shell` with the production settings, exactly as an operator would seed a new install):
the real regions and trusts, an industrial action whose strike day was yesterday, a trust
administrator and a communications officer of Leicester (RWE), and a message template."""

from __future__ import annotations

import datetime as dt
import os

from django.utils import timezone

from tests.conftest import load_reference_data
from tests.factories import local, make_action
from trusts.models import Membership, Role, Trust, User

SLUG = "smoke-test-action"


def build() -> None:
    from notices.services.templates import template_create

    load_reference_data()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    start = local(yesterday.year, yesterday.month, yesterday.day, 7)
    make_action(slug=SLUG, name="Smoke test action", windows=[(start, start + dt.timedelta(days=1))],
                affected=["RWE"])
    rwe = Trust.objects.get(ods_code="RWE")
    password = os.environ["SMOKE_PASSWORD"]
    people = {}
    for email, role in (("ada@rwe.example", Role.TRUST_ADMIN), ("chris@rwe.example", Role.TRUST_COMMS)):
        people[role] = User.objects.create_user(email=email, password=password, first_name=email.split("@")[0])
        Membership.objects.create(user=people[role], role=role, trust=rwe)
    template_create(trust=rwe, name="Smoke apology", channel="email", subject="Your appointment at ((trust_name))",
                    body="Dear ((name)), your appointment has moved because of ((action_name)).",
                    recipient_columns=["name"], user=people[Role.TRUST_COMMS])
