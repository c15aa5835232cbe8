"""Ada creates an API token (shown once), uses it, and revokes it; the API documentation and the
open data page. axe-core on every page."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.services.releases import release_publish
from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.conftest import PASSWORD
from tests.factories import make_action, make_return

# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ada_creates_uses_and_revokes_a_token_and_reads_the_docs(page, ada, nia) -> None:
    action = make_action()
    make_return(action, "RWE", dt.date(2023, 4, 11), outpatient_rescheduled=2133, elective_rescheduled=165)
    release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)

    sign_in(page, ada.email)
    page.goto("/account/tokens/")
    assert_accessible(page)
    page.get_by_role("button", name="Create token").click()
    assert loaded(page).title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Name the token").fill("PAS nightly returns")
    page.get_by_label("Your password, or the security code from your authenticator app").fill(PASSWORD)
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#api-token").inner_text().strip()
    assert len(secret) >= 43
    assert_accessible(page)

    answer = page.request.get("/api/v1/actions/", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["results"][0]["slug"] == action.slug

    page.goto("/account/tokens/")
    assert secret not in loaded(page).content()
    page.get_by_role("link", name="Revoke PAS nightly returns").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke token").click()
    assert "is revoked" in loaded(page).content()
    assert page.request.get("/api/v1/actions/", headers={"Authorization": f"Bearer {secret}"}).status == 401

    page.goto("/api/docs/")
    assert page.get_by_role("heading", name="strikeops API documentation").is_visible()
    assert_accessible(page)

    page.goto("/open-data/")
    assert "Open Government Licence v3.0" in loaded(page).content()
    assert_accessible(page)
    download = page.request.get(f"/open-data/releases/{action.slug}/1.csv")
    assert download.status == 200 and download.text().startswith("action,release,published_at,level")
