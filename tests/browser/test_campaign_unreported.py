"""The campaign check page when the message uses a figure the trust has not reported: an accessible error,
the placeholder as written, and no way to send."""

import pytest

from notices.models import Channel, MessageTemplate
from notices.services.delivery import campaign_create
from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import make_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chris_cannot_send_a_campaign_that_would_quote_an_unreported_figure(page, rwe, chris) -> None:
    action = make_action(affected=["RWE"])
    template = MessageTemplate.objects.create(
        trust=rwe, name="Apology", channel=Channel.EMAIL, subject="Your appointment at ((trust_name))",
        body="Dear ((name)), we rescheduled ((appointments_rescheduled)) appointments.", recipient_columns=["name"])
    campaign = campaign_create(trust=rwe, template=template, action=action, channel=Channel.EMAIL, user=chris,
                               rows=[{"line": 2, "email": "ann@example.com", "personalisation": {"name": "Ann"}}])
    sign_in(page, chris.email)
    page.goto(f"/messages/RWE/campaigns/{campaign.pk}/")
    assert loaded(page).title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    assert "Your trust has no figure yet for ((appointments_rescheduled))" in summary.inner_text()
    assert "we rescheduled ((appointments_rescheduled)) appointments" in page.content()
    assert page.get_by_role("button", name="Send messages").count() == 0
    assert_accessible(page)
