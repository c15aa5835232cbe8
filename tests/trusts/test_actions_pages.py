"""Action pages: who sees what (every role), and the create/edit form without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import local, make_action
from trusts.models import AuditEvent, IndustrialAction

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def april(db):
    return make_action(affected=["RWE"])


@pytest.fixture
def cast(ada, chris, tom, morgan, sam, nia, pat):
    return {"ada": ada, "chris": chris, "tom": tom, "morgan": morgan, "sam": sam, "nia": nia, "pat": pat,
            "anonymous": None}


# Status per role: list/detail, create/edit, missing/reopen. 404 for a page outside one's role (see the view).
EXPECTED = {
    "ada": (200, 404, 404), "chris": (200, 404, 404), "tom": (200, 404, 404),
    "morgan": (200, 404, 200), "sam": (200, 404, 200), "nia": (200, 200, 200), "pat": (404, 404, 404),
}


@pytest.mark.parametrize("who", [*EXPECTED, "anonymous"])
def test_every_role_on_every_page(cast, april, who) -> None:
    client = client_for(cast[who])
    pages = {
        "read": [reverse("actions:list"), reverse("actions:detail", args=[april.slug])],
        "write": [reverse("actions:create"), reverse("actions:edit", args=[april.slug])],
        "manage": [reverse("actions:missing", args=[april.slug]), reverse("actions:missing_csv", args=[april.slug]),
                   reverse("actions:reopen", args=[april.slug])],
    }
    for group, expected in zip(pages, EXPECTED.get(who, (302, 302, 302)), strict=True):
        for url in pages[group]:
            response = client.get(url)
            assert response.status_code == expected, (who, url)
            if expected == 302:
                assert response["Location"].startswith(reverse("login"))


def test_the_list_is_newest_first_and_the_detail_shows_days_and_deadlines(ada, april) -> None:
    make_action("junior-doctors-june-2023", "Junior doctors, June 2023",
                [(local(2023, 6, 14, 7), local(2023, 6, 17, 7))])
    client = client_for(ada)
    html = client.get(reverse("actions:list")).content.decode()
    assert html.index("Junior doctors, June 2023") < html.index("Junior doctors, April 2023")
    assert "Declare an industrial action" not in html
    html = client.get(reverse("actions:detail", args=[april.slug])).content.decode()
    assert "Tuesday 11 April 2023" in html and "Friday 14 April 2023" in html
    # Friday 14 April's return is due at 11:00 on Monday 17 April.
    assert "11:00 Monday 17 April 2023" in html
    assert "University Hospitals of Leicester NHS Trust (RWE)" in html
    assert "Change this action" not in html
    assert "Returns received" not in html  # managers only


def test_an_action_for_all_trusts_says_so(nia) -> None:
    action = make_action()
    html = client_for(nia).get(reverse("actions:detail", args=[action.slug])).content.decode()
    assert "All trusts" in html
    assert "Change this action" in html


def test_the_actions_nav_item_is_for_people_with_a_role(ada, pat) -> None:
    assert 'href="/actions/"' in client_for(ada).get("/").content.decode()
    assert 'href="/actions/"' not in client_for(pat).get("/").content.decode()
    assert 'href="/actions/"' not in Client().get("/").content.decode()


def form_data(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "name": "Junior doctors, June 2023", "slug": "junior-doctors-june-2023", "staff_group": "junior_doctors",
        "unions": ["BMA"], "affected": "", "hard_close-day": "", "hard_close-month": "", "hard_close-year": "",
        "windows-TOTAL_FORMS": "3", "windows-INITIAL_FORMS": "0", "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "20", "save": "1",
    }
    for i in range(3):
        for part in ("start_date", "end_date"):
            for piece in ("day", "month", "year"):
                data[f"windows-{i}-{part}-{piece}"] = ""
        data[f"windows-{i}-start_time"] = data[f"windows-{i}-end_time"] = ""
    data.update(overrides)
    return data


def window(i: int, start: dt.date, start_time: str, end: dt.date, end_time: str) -> dict[str, str]:
    return {
        f"windows-{i}-start_date-day": str(start.day), f"windows-{i}-start_date-month": str(start.month),
        f"windows-{i}-start_date-year": str(start.year), f"windows-{i}-start_time": start_time,
        f"windows-{i}-end_date-day": str(end.day), f"windows-{i}-end_date-month": str(end.month),
        f"windows-{i}-end_date-year": str(end.year), f"windows-{i}-end_time": end_time,
    }


def test_nia_declares_an_action_with_two_windows_and_blank_rows_are_ignored(nia) -> None:
    data = form_data(affected="rwe, RX1", **window(0, dt.date(2022, 12, 15), "08:00", dt.date(2022, 12, 15), "20:00"),
                     **window(2, dt.date(2022, 12, 20), "8:00", dt.date(2022, 12, 20), "20:00"))
    response = client_for(nia).post(reverse("actions:create"), data)
    assert response.status_code == 302
    action = IndustrialAction.objects.get()
    assert response["Location"] == reverse("actions:detail", args=[action.slug])
    assert list(action.strike_days.values_list("date", flat=True)) == [dt.date(2022, 12, 15), dt.date(2022, 12, 20)]
    assert sorted(action.affected_trusts.values_list("ods_code", flat=True)) == ["RWE", "RX1"]
    assert action.windows.earliest("starts_at").starts_at == local(2022, 12, 15, 8)
    assert AuditEvent.objects.get(event="action.created").actor == nia


def test_form_errors_are_specific_and_in_the_summary(nia) -> None:
    data = form_data(slug="Bad slug", affected="RWE ZZZ9", unions=[],
                     **window(0, dt.date(2023, 6, 17), "07:00", dt.date(2023, 6, 14), "25:00"))
    response = client_for(nia).post(reverse("actions:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert "No trust has the ODS code ZZZ9" in html
    assert "Select the unions taking part" in html
    assert "Enter the end time of window 1 in the 24-hour clock, like 07:00" in html
    assert 'href="#id_windows-0-end_time"' in html
    assert not IndustrialAction.objects.exists()


def test_service_rules_come_back_on_the_form(nia) -> None:
    data = form_data(slug="Bad slug", **window(0, dt.date(2023, 6, 17), "07:00", dt.date(2023, 6, 14), "07:00"))
    html = client_for(nia).post(reverse("actions:create"), data).content.decode()
    assert "The slug must contain only lower-case letters" in html
    assert "Walkout window 1 must end after it starts" in html
    html = client_for(nia).post(reverse("actions:create"), form_data()).content.decode()
    assert "Enter at least one walkout window" in html


def test_add_another_window_adds_a_row_without_showing_errors(nia) -> None:
    data = form_data(name="", add_window="1")
    data.pop("save")
    response = client_for(nia).post(reverse("actions:create"), data)
    html = response.content.decode()
    assert "Walkout window 4" in html
    assert "There is a problem" not in html and "<title>Error: " not in html
    assert 'value="junior-doctors-june-2023"' in html
    assert not IndustrialAction.objects.exists()


def test_editing_shows_the_windows_and_keeps_the_slug(nia, april) -> None:
    client = client_for(nia)
    html = client.get(reverse("actions:edit", args=[april.slug])).content.decode()
    assert 'name="windows-0-start_time" value="07:00"' in html
    assert "Walkout window 3" in html  # the window and two spare rows
    data = form_data(name="Junior doctors, April 2023 (shortened)", slug="ignored", affected="RWE",
                     **window(0, dt.date(2023, 4, 11), "07:00", dt.date(2023, 4, 14), "07:00"))
    data["windows-INITIAL_FORMS"] = "1"
    response = client.post(reverse("actions:edit", args=[april.slug]), data)
    assert response.status_code == 302
    april.refresh_from_db()
    assert april.slug == "junior-doctors-april-2023"
    assert april.name == "Junior doctors, April 2023 (shortened)"
    assert april.last_day == dt.date(2023, 4, 13)
