"""The missing-returns page and its CSV: managers see non-submitters in their scope, with contacts."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import local, make_action, make_return
from trusts.models import Trust
from trusts.tabular import csv_safe

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(db):
    return make_action(windows=[(local(2023, 4, 11, 7), local(2023, 4, 13, 7))])


def get(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


def test_morgan_sees_midlands_non_submitters_with_contacts(action, morgan, ada) -> None:
    make_return(action, "RX1", action.first_day)
    html = get(morgan, reverse("actions:missing", args=[action.slug])).content.decode()
    first_day = html.split('id="day-2023-04-12"')[0]
    assert "University Hospitals of Leicester NHS Trust (RWE)" in first_day
    assert 'href="mailto:ada@rwe.example"' in first_day
    assert "Nottingham University Hospitals NHS Trust (RX1)" not in first_day
    assert "Nottingham University Hospitals NHS Trust (RX1)" in html.split('id="day-2023-04-12"')[1]
    assert "Guy" not in html  # London trusts are outside Morgan's region
    midlands = Trust.objects.filter(icb__region__code="Y60").count()
    assert f"1 of {midlands} returns received" in html


def test_the_csv_lists_each_missing_trust_per_day_and_is_injection_safe(action, nia, ada) -> None:
    Trust.objects.filter(ods_code="RWE").update(contact_email="=HYPERLINK(\"http://evil\")@x.example")
    response = get(nia, reverse("actions:missing_csv", args=[action.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="missing-returns-junior-doctors-april-2023.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    rwe = [r for r in rows if r["ods_code"] == "RWE"]
    assert [r["strike_day"] for r in rwe] == ["2023-04-11", "2023-04-12"]
    assert rwe[0]["contact_email"] == "'=HYPERLINK(\"http://evil\")@x.example"
    assert rwe[0]["administrator_emails"] == "ada@rwe.example"
    assert rwe[0]["region"] == "Midlands"
    assert len(rows) == 2 * len({r["ods_code"] for r in rows if r["strike_day"] == "2023-04-11"})


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+44", "'+44"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("RWE", "RWE"), ("a=b", "a=b"), (None, ""),
])
def test_csv_safe(value, expected) -> None:
    assert csv_safe(value) == expected
