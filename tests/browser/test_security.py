"""The Content-Security-Policy in a real browser: injected inline script does not run, a
violation is reported, and the NHS.UK components (our own scripts) still work."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in
from trusts.models import Trust

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """() => {
  window.__violations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push({directive: e.effectiveDirective, blocked: e.blockedURI}));
}"""


def test_an_injected_inline_script_is_blocked_and_the_page_still_works(page) -> None:
    hostile = '<script>window.__fromName = 1</script><img src=x onerror="window.__fromName = 2">'
    Trust.objects.filter(ods_code="RWE").update(name=f"Leicester {hostile}")
    page.goto("/trusts/RWE/")
    # The name is shown as text: escaped by the template, so no element was ever created.
    assert page.get_by_role("heading", level=1).inner_text() == f"Leicester {hostile}"
    assert page.evaluate("window.__fromName") is None

    # An attacker who did get an inline <script> into the page: the CSP refuses to run it.
    page.evaluate(WATCH_VIOLATIONS)
    page.evaluate("""() => {
      const s = document.createElement("script");
      s.textContent = "window.__injected = true";
      document.body.appendChild(s);
      const b = document.createElement("p");
      b.setAttribute("onclick", "window.__handler = true");
      document.body.appendChild(b);
      b.click();
    }""")
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__injected") is None
    assert page.evaluate("window.__handler") is None
    directives = {v["directive"] for v in page.evaluate("window.__violations")}
    assert directives == {"script-src-elem", "script-src-attr"}

    # Our own scripts (static files) ran: nhsuk-frontend marked the body and its skip link works.
    classes = page.evaluate("document.body.className")
    assert "js-enabled" in classes and "nhsuk-frontend-supported" in classes
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "maincontent"
    assert_accessible(page)


def test_security_pages_work_with_the_policy_and_pass_axe(page, ada, nia) -> None:
    # A wrong password: nhsuk-frontend's error summary takes focus (our JS, allowed by the CSP).
    sign_in(page, ada.email, "not-the-password")
    # Module scripts run after parsing; wait for the component to take focus (fails after 15 s).
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")
    for _ in range(4):
        sign_in(page, ada.email, "not-the-password")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign-in locked"
    assert "Try again after" in page.inner_text("main")
    assert_accessible(page)

    sign_in(page, nia.email)
    page.goto("/account/two-factor/set-up/")
    qr = page.locator("img.app-qr-code")
    # The QR code (a data: image, allowed by img-src) was drawn.
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    assert_accessible(page)
    page.get_by_label("Security code").fill("12")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert loaded(page).title().startswith("Error: ")
    assert_accessible(page)

    page.goto("/audit/")
    assert page.get_by_role("heading", level=1).inner_text() == "Audit log"
    assert page.locator("table caption").inner_text().startswith("Events")
    assert_accessible(page)
