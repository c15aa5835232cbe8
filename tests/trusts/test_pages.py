import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"nhsuk-header" in response.content


def test_trusts_list_groups_209_trusts_under_7_regions_and_42_icbs(client, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(3):
        response = client.get(reverse("trusts:list"))
    groups = response.context["groups"]
    assert len(groups) == 7
    assert sum(len(g.icbs) for g in groups) == 42
    assert sum(g.trust_count for g in groups) == 209
    assert "209 trusts in 7 NHS England regions and 42 integrated care boards" in response.content.decode()


def test_trust_page_for_leicester(client) -> None:
    response = client.get("/trusts/RWE/")
    body = response.content.decode()
    assert "University Hospitals of Leicester NHS Trust" in body
    assert "Leicester, Leicestershire and Rutland ICB" in body
    assert "Midlands" in body


def test_unknown_trust_is_404(client) -> None:
    assert client.get("/trusts/ZZZ/").status_code == 404


def test_region_page_lists_only_its_trusts(client) -> None:
    body = client.get("/trusts/regions/Y60/").content.decode()
    assert "University Hospitals of Leicester NHS Trust" in body
    assert "Manchester University NHS Foundation Trust" not in body


@pytest.mark.parametrize("path", ["/accessibility/", "/privacy/", "/sign-in/", "/password-reset/"])
def test_static_pages_render(client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_sign_in_with_email_and_sign_out(client, ada) -> None:
    response = client.post("/sign-in/", {"username": ada.email, "password": "wrong"})
    assert response.status_code == 200
    assert response.content.decode().count("<title>Error: ") == 1
    response = client.post("/sign-in/", {"username": ada.email.upper(), "password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert client.get("/").context["user"] == ada
    client.post("/sign-out/")
    assert not client.get("/").context["user"].is_authenticated


def test_password_reset_sends_an_email_with_a_working_link(
        client, ada, mailoutbox, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the email is queued after the commit
        response = client.post("/password-reset/", {"email": ada.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("strikeops.test", 1)[1]  # the worker makes the link from SITE_URL
    response = client.get(path, follow=True)
    assert response.context["validlink"]
    response = client.post(response.redirect_chain[-1][0], {
        "new_password1": "a-new-long-password-42", "new_password2": "a-new-long-password-42"})
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.check_password("a-new-long-password-42")


def test_seed_demo_refuses_to_run_without_debug() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_nhsuk_css_icon_urls_reach_the_packaged_assets(client) -> None:
    response = client.get("/assets/images/nhsuk-icon-arrow-up-down.svg")
    assert response.status_code == 302
    assert response["Location"] == "/static/nhsuk/assets/images/nhsuk-icon-arrow-up-down.svg"
    assert (settings.NHSUK_FRONTEND_DIR / "assets/images/nhsuk-icon-arrow-up-down.svg").exists()
