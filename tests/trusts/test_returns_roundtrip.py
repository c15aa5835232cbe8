"""Bulk upload round trip (issue 12 item 8): the template a trust downloads, with the figures it already
submitted, uploads again with no error and no change; a warning justified once with a comment is not asked
for again; the web never shows command-line wording; the 3 x median warning counts the file's own rows."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import local, make_action, make_return
from trusts.models import DailyReturn, ReturnRevision, Trust
from trusts.services.returns import return_submit
from trusts.services.returns_import import IMPORT_COLUMNS, OPTIONAL_COLUMNS, returns_import
from trusts.tabular import TableError, iter_table

pytestmark = pytest.mark.django_db

APR_11, APR_12 = dt.date(2023, 4, 11), dt.date(2023, 4, 12)
FIGURES = {"staff_absent": 250, "staff_due": 1200, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
           "community_rescheduled": 10, "mental_health_rescheduled": 0}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def action(db):
    return make_action(affected=["RWE"])


@pytest.fixture
def at(monkeypatch):
    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("trusts.clock.now", lambda: moment)
    move(local(2023, 4, 13, 18))
    return move


@pytest.fixture
def submitted(action, rwe, ada, march_history):
    """RWE's returns for 11 and 12 April as submitted on the web; 12 April's outpatient figure is unusual
    (more than 3 x its March median of 100) and was justified with a comment. 13 and 14 April: empty."""
    first = return_submit(action=action, trust=rwe, day=APR_11, figures={**FIGURES, "outpatient_rescheduled": 90},
                          user=ada, now=local(2023, 4, 12, 9))
    second = return_submit(action=action, trust=rwe, day=APR_12, figures=FIGURES, user=ada,
                           warning_comment="Two theatres closed for the whole day", now=local(2023, 4, 13, 9))
    return first, second


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, name: str, content_type: str, reason: str = "") -> str:
    response = client.post("/returns/upload/", {"file": SimpleUploadedFile(name, content, content_type=content_type),
                                                "reason": reason}, follow=True)
    return " ".join(html.unescape(response.content.decode()).split())


def snapshot() -> list[tuple[object, ...]]:
    return list(DailyReturn.objects.order_by("date").values_list("date", "version", "updated_at", "status"))


@pytest.mark.parametrize(("fmt", "content_type"), [("csv", "text/csv"), ("xlsx", XLSX)])
def test_the_downloaded_template_uploads_again_with_no_error_and_no_change(
        ada, action, submitted, at, fmt, content_type) -> None:
    client = signed_in(ada)
    template = client.get(f"/returns/template/{action.slug}.{fmt}").content
    before = snapshot()
    page = upload(client, template, f"returns.{fmt}", content_type)
    assert "File uploaded: 0 returns submitted, 0 changed and 2 unchanged" in page
    assert "2 rows with no figures (strike days not filled in) were left as they are" in page
    assert snapshot() == before
    assert not ReturnRevision.objects.exists()


def test_a_justified_figure_is_not_questioned_again_when_another_figure_changes(
        ada, action, submitted, at) -> None:
    client = signed_in(ada)
    rows = list(csv.reader(io.StringIO(client.get(f"/returns/template/{action.slug}.csv").content.decode())))
    header = rows[0]
    april_12 = next(r for r in rows if r[2] == APR_12.isoformat())
    april_12[header.index("community_rescheduled")] = "11"  # the unusual outpatient figure (500) stays
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    page = upload(client, buffer.getvalue().encode(), "returns.csv", "text/csv", reason="Community recount")
    assert "File uploaded: 0 returns submitted, 1 changed and 1 unchanged" in page
    assert DailyReturn.objects.get(date=APR_12).community_rescheduled == 11


def test_a_new_unusual_figure_on_the_web_points_to_the_form_not_to_a_command_flag(
        ada, action, submitted, at) -> None:
    header = ",".join(IMPORT_COLUMNS)
    body = f"{header}\n{action.slug},RWE,2023-04-12,250,1200,40,900,10,0\n".encode()
    page = upload(signed_in(ada), body, "returns.csv", "text/csv")
    assert "Line 2, column outpatient_rescheduled: Outpatient" in page
    assert "enter this day's return on its own form and give a comment there" in page
    assert "--strict" not in page and "strict" not in page.lower().replace("district", "")
    assert DailyReturn.objects.get(date=APR_12).outpatient_rescheduled == 500


def test_a_locked_actions_template_uploads_unchanged_but_no_change_gets_through(
        ada, action, submitted, at) -> None:
    client = signed_in(ada)
    template = client.get(f"/returns/template/{action.slug}.csv").content
    at(local(2023, 4, 25, 9))  # after the hard close (midnight on 22 April)
    assert "0 changed and 2 unchanged" in upload(client, template, "returns.csv", "text/csv")
    changed = template.decode().replace(f"{action.slug},RWE,2023-04-11,250,1200,40,90,",
                                        f"{action.slug},RWE,2023-04-11,250,1200,40,91,")
    assert changed != template.decode()
    page = upload(client, changed.encode(), "returns.csv", "text/csv")
    assert "Line 2, column date: returns for Junior doctors, April 2023 are locked" in page
    assert DailyReturn.objects.get(date=APR_11).outpatient_rescheduled == 90


# --- the 3 x median warning reads the file's own earlier rows ---------------------------------------

def _import(lines: list[str], **options: object):
    text = ",".join(IMPORT_COLUMNS) + "\n" + "\n".join(lines) + "\n"
    table = iter_table(io.BytesIO(text.encode()), "r.csv", required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS)
    return returns_import(rows=table, source="command", **options)  # type: ignore[arg-type]


def test_earlier_rows_of_the_same_file_set_the_median(action) -> None:
    # No history stored at all: only the file's 11 to 13 April say what is usual for RX1 (100 outpatient).
    slug = action.slug
    result = _import([f"{slug},RX1,2023-04-11,,,10,100,5,0", f"{slug},RX1,2023-04-12,,,10,100,5,0",
                      f"{slug},RX1,2023-04-13,,,10,100,5,0", f"{slug},RX1,2023-04-14,,,10,400,5,0"])
    assert [(w.line, w.column) for w in result.warnings] == [(5, "outpatient_rescheduled")]
    assert "(median 100)" in result.warnings[0].message
    with pytest.raises(TableError) as raised:
        _import([f"{slug},RX1,2023-04-14,,,10,401,5,0"], strict=True)
    assert "(median 100)" in str(raised.value.errors[0]) and "--strict" in str(raised.value.errors[0])


def test_a_row_that_revises_a_stored_return_replaces_it_in_the_median(action, rwe) -> None:
    slug = action.slug
    rx1 = Trust.objects.get(ods_code="RX1")
    for day in (11, 12, 13):  # stored: 100 a day
        make_return(action, rx1, dt.date(2023, 4, day), outpatient_rescheduled=100)
    # The file corrects them to 1,000 a day: 2,000 on the 14th is then usual, not 20 times the median.
    result = _import([f"{slug},RX1,2023-04-11,,,0,1000,0,0", f"{slug},RX1,2023-04-12,,,0,1000,0,0",
                      f"{slug},RX1,2023-04-13,,,0,1000,0,0", f"{slug},RX1,2023-04-14,,,0,2000,0,0"])
    assert result.warnings == []
    assert (result.created, result.revised) == (1, 3)
