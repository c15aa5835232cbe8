"""First journeys: home, trusts list, a trust page, sign-in with a wrong then a right password."""

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_with_the_nhs_look_and_no_axe_violations(page) -> None:
    page.goto("/")
    assert page.locator("header.nhsuk-header .nhsuk-header__service-name").inner_text() == "strikeops"
    assert page.get_by_role("heading", level=1).inner_text() == "Industrial action in the NHS in England"
    # The NHS.UK stylesheet from npm is served and applied (header is NHS blue).
    colour = page.eval_on_selector("header.nhsuk-header", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(0, 94, 184)"
    assert_accessible(page)


def test_skip_link_is_the_first_thing_a_keyboard_reaches(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    # nhsuk-frontend's skip link moves focus to <main> (without changing the URL).
    assert page.evaluate("document.activeElement.id") == "maincontent"


def test_trusts_list_and_the_leicester_page(page) -> None:
    page.goto("/trusts/")
    assert "209 trusts in 7 NHS England regions and 42 integrated care boards" in page.inner_text("main")
    assert page.locator("main section h2").count() == 7
    assert_accessible(page)
    page.get_by_role("link", name="University Hospitals of Leicester NHS Trust").click()
    assert page.url.endswith("/trusts/RWE/")
    main = page.inner_text("main")
    assert "Leicester, Leicestershire and Rutland ICB" in main
    assert "Midlands" in main
    assert_accessible(page)


def test_sign_in_with_a_wrong_then_a_right_password(page, ada) -> None:
    sign_in(page, ada.email, "not-the-password")
    assert loaded(page).title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter a correct email address and password" in summary.inner_text()
    assert_accessible(page)
    sign_in(page, ada.email)
    assert page.locator(".nhsuk-header__account").inner_text().find(ada.email) >= 0
    assert_accessible(page)
