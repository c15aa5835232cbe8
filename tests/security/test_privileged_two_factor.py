"""No password-only route to power: /admin/ needs a verified second factor (django-otp's admin site),
staff and superusers must set one up, the requirement is re-decided on the request after a role or
staff flag is granted, and the first national manager is made with `create_national_manager`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.security.helpers import force_login_verified
from trusts.models import AuditEvent, Membership, Role, User

pytestmark = pytest.mark.django_db
required = override_settings(OTP_REQUIRED_FOR_NATIONAL_MANAGERS=True)


def test_a_superuser_signed_in_with_only_a_password_cannot_use_the_admin(client, ada) -> None:
    User.objects.filter(pk=ada.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=ada.pk))
    response = client.get("/admin/trusts/membership/add/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    login = client.get("/admin/login/").content.decode()
    assert 'name="otp_token"' in login  # the admin's own sign-in form asks for the code


def test_a_verified_superuser_can_use_the_admin(client, ada) -> None:
    User.objects.filter(pk=ada.pk).update(is_staff=True, is_superuser=True)
    force_login_verified(client, User.objects.get(pk=ada.pk))
    response = client.get("/admin/")
    assert response.status_code == 200 and "Site administration" in response.content.decode()


@required
def test_a_role_granted_mid_session_needs_two_factor_on_the_next_request(client, ada) -> None:
    client.force_login(ada)
    assert client.get("/trusts/").status_code == 200
    Membership.objects.create(user=ada, role=Role.NATIONAL_MANAGER)
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/set-up/")


@required
def test_staff_granted_mid_session_needs_two_factor_on_the_next_request(client, ada) -> None:
    client.force_login(ada)
    assert client.get("/trusts/").status_code == 200
    User.objects.filter(pk=ada.pk).update(is_staff=True)
    response = client.get("/trusts/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/set-up/")


@required
def test_create_national_manager_prints_a_one_time_link_that_leads_to_two_factor_set_up(client) -> None:
    out = StringIO()
    call_command("create_national_manager", "First.Manager@Example.NHS.uk", stdout=out)
    user = User.objects.get(email="first.manager@example.nhs.uk")
    assert user.is_staff and user.is_superuser and not user.has_usable_password()
    assert user.memberships.filter(role=Role.NATIONAL_MANAGER).exists()
    found = re.search(r"https://\S+/password-reset/\S+/", out.getvalue())
    assert found is not None
    link = found.group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(f"/{path}", follow=True)
    password = "a long new passphrase 42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302
    # The link is spent.
    assert "This link has expired or been used" in client.get(f"/{path}", follow=True).content.decode()
    client.post("/sign-in/", {"username": user.email, "password": password})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/set-up/")
    assert AuditEvent.objects.filter(event="account.national_manager_created").count() == 1


def test_create_national_manager_refuses_an_existing_address(ada) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_national_manager", ada.email, stdout=StringIO())
