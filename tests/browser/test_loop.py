"""The manager-trust loop in the browser: a regional manager queries a figure, the trust confirms it,
the manager closes the query; home pages, the outliers and ICB pages are checked with axe-core."""

import datetime as dt

import pytest

from tests.browser.conftest import assert_accessible, loaded, sign_in
from tests.factories import local, make_action
from trusts.models import QueryStatus, ReturnQuery, Trust
from trusts.services.returns import return_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIGURES = {"staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 40, "outpatient_rescheduled": 4300,
           "community_rescheduled": 10, "mental_health_rescheduled": 3}


def test_morgan_queries_a_figure_ada_confirms_it_and_morgan_closes_it(page, browser, live_server,
                                                                       morgan, ada) -> None:
    action = make_action(affected=["RWE", "RX1"])
    rwe = Trust.objects.select_related("icb").get(ods_code="RWE")
    return_submit(action=action, trust=rwe, day=dt.date(2023, 4, 12), user=ada, figures=FIGURES,
                  now=local(2023, 4, 13, 9), warning_comment="Clinics cancelled")

    sign_in(page, morgan.email)
    assert page.get_by_role("heading", level=1).inner_text() == "Your work"
    assert "Junior doctors, April 2023: returns received" in page.inner_text("main")
    assert_accessible(page)
    page.goto(f"/returns/RWE/{action.slug}/2023-04-12/")
    page.get_by_role("link", name="Raise a query on a figure").click()
    assert_accessible(loaded(page))
    page.get_by_role("button", name="Send the query to the trust").click()
    assert loaded(page).title().startswith("Error: ")  # nothing chosen: the summary says what is missing
    assert "Choose the figure you are asking about" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Outpatient appointments rescheduled: 4,300").check()
    page.get_by_label("Your question for the trust").fill("Outpatient 4,300 is 10 times last round: please confirm")
    page.get_by_role("button", name="Send the query to the trust").click()
    main = loaded(page).inner_text("main")
    assert "Query sent to University Hospitals of Leicester NHS Trust" in main
    assert "Under query" in main
    assert_accessible(page)

    trust_page = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    sign_in(trust_page, ada.email)
    assert "Outpatient 4,300 is 10 times last round" in trust_page.inner_text("main")
    assert_accessible(trust_page)
    trust_page.get_by_role("link", name="RWE return for 12 April 2023: Outpatient appointments rescheduled").click()
    assert_accessible(loaded(trust_page))
    trust_page.get_by_label("Confirmed the figure").check()
    trust_page.get_by_label("Why the figure is right, or the reason for the change").fill(
        "Two outpatient sites closed for the whole day")
    trust_page.get_by_role("button", name="Send your answer").click()
    assert "Answer sent to NHS England." in loaded(trust_page).inner_text("main")
    assert_accessible(trust_page)
    trust_page.context.close()

    page.reload()
    assert "Confirmed the figure: Two outpatient sites closed for the whole day" in loaded(page).inner_text("main")
    page.get_by_role("button", name="Close this query about outpatient appointments rescheduled").click()
    main = loaded(page).inner_text("main")
    assert "Query closed." in main and "Under query" not in main
    assert ReturnQuery.objects.get().status == QueryStatus.CLOSED
    history = page.get_by_role("table", name="Queries and sign-off, oldest first")
    assert history.locator("tbody tr").count() == 3
    assert_accessible(page)

    for path in (f"/reports/actions/{action.slug}/outliers/", f"/reports/actions/{action.slug}/queries/",
                 f"/reports/actions/{action.slug}/icbs/{rwe.icb.code}/"):
        page.goto(path)
        assert_accessible(loaded(page))
