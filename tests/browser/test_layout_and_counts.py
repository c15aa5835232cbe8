"""Pages hold at a 320 CSS pixel width (a phone, or 1280 pixels at 400% zoom: WCAG 1.4.10 reflow)
without scrolling sideways, and character counts start for limits of 1,000 and more."""

from __future__ import annotations

import datetime as dt

import pytest

from notices.forms.notices import BODY_MAX, WHAT_TO_DO_MAX
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import make_action, make_return
from trusts.models import Trust

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 320, "height": 720}


OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.getBoundingClientRect().right <= width + 1) continue;
    let parent = el.parentElement, scrolls = false;
    while (parent && parent !== document.body) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') { scrolls = true; break; }
      parent = parent.parentElement;
    }
    if (!scrolls) culprits.push(el.tagName.toLowerCase() + '.' + el.className);
  }
  return [document.documentElement.scrollWidth - width, culprits.slice(0, 3)];
}"""


def _sideways_overflow(page) -> tuple[int, list[str]]:
    """How many CSS pixels the page can scroll sideways (0 when it reflows), and the first elements
    that stick out of the page other than inside a scrolling box (for the failure message)."""
    page.wait_for_load_state("load")
    pixels, culprits = page.evaluate(OVERFLOW_JS)
    return int(pixels), culprits


def test_no_page_scrolls_sideways_at_320_pixels(page, nia, rwe) -> None:
    action = make_action(affected=["RWE", "RX1"])
    for code in ("RWE", "RX1", "RHM"):
        for day in (11, 12, 13, 14):
            make_return(action, Trust.objects.get(ods_code=code), dt.date(2023, 4, day), elective_rescheduled=40,
                        outpatient_rescheduled=520, staff_absent=650 if code != "RHM" else None,
                        staff_due=1400 if code != "RHM" else None)
    page.set_viewport_size(NARROW)
    public = ["/", "/notices/", "/trusts/", "/open-data/", "/api/docs/", "/accessibility/"]
    signed_in = ["/reports/", f"/reports/actions/{action.slug}/", f"/reports/actions/{action.slug}/regions/Y60/",
                 f"/reports/actions/{action.slug}/trusts/RWE/", f"/reports/actions/{action.slug}/missing/",
                 "/reports/seasons/", "/reports/cumulative/", "/actions/", "/audit/"]
    wide: dict[str, tuple[int, list[str]]] = {}
    for path in public:
        page.goto(path)
        wide[path] = _sideways_overflow(page)
    sign_in(page, nia.email)
    for path in signed_in:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        wide[path] = _sideways_overflow(page)
    assert {path: found for path, found in wide.items() if found[0] > 0} == {}
    # Wide tables scroll inside their own box instead, which a keyboard user can reach.
    page.goto(f"/reports/actions/{action.slug}/")
    assert_accessible(page)


def test_character_counts_start_for_limits_of_a_thousand_and_more(page, chris, rwe) -> None:
    assert BODY_MAX >= 1000 and WHAT_TO_DO_MAX >= 1000
    make_action(affected=["RWE"])
    sign_in(page, chris.email)
    page.goto("/notices/manage/RWE/new/")
    body = page.get_by_label("Notice", exact=True)
    counter = page.locator(".nhsuk-character-count", has=body)
    assert counter.get_attribute("data-maxlength") == str(BODY_MAX)
    body.fill("x" * (BODY_MAX - 10))
    status = counter.locator(".nhsuk-character-count__status")
    assert status.inner_text().strip() == "You have 10 characters remaining"
    body.fill("x" * (BODY_MAX + 3))
    assert status.inner_text().strip() == "You have 3 characters too many"
    what = page.locator(f".nhsuk-character-count[data-maxlength='{WHAT_TO_DO_MAX}'] textarea")
    what.fill("y" * 1000)
    assert page.locator(f".nhsuk-character-count[data-maxlength='{WHAT_TO_DO_MAX}'] "
                        ".nhsuk-character-count__status").inner_text().strip() == \
        f"You have {WHAT_TO_DO_MAX - 1000:,} characters remaining"
    assert_accessible(page)
