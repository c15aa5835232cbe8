"""The OpenAPI schema validates with no warning, the documentation page shows every endpoint with
examples (no external assets, no inline script or style), and the open data page and downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command

from reports.services.releases import release_publish
from tests.factories import make_action, make_return
from trusts.api.docs import api_schema
from trusts.services.returns import return_submit

# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_without_warnings(tmp_path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert text.startswith("openapi: 3") and "bearerAuth" in text


def test_the_schema_passes_openapi_spec_validator() -> None:
    """A second, independent validator (drf-spectacular's own check above missed an unresolved path
    parameter): every path parameter is declared, every $ref resolves, the document is OpenAPI 3."""
    from openapi_spec_validator import validate

    schema = json.loads(json.dumps(api_schema(), default=str))
    validate(schema)
    assert schema["paths"]["/api/v1/campaigns/{id}/"]["get"]["parameters"][0]["name"] == "id"


def test_every_operation_has_examples_and_the_error_shape() -> None:
    schema = api_schema()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("summary") and op.get("description"), (method, path)
            responses = op["responses"]
            assert "404" in responses and "429" in responses, (method, path)
            error = responses["404"]["content"]["application/json"]
            assert error["schema"] == {"$ref": "#/components/schemas/Error"}
            assert error["examples"], (method, path)
            if method in ("post", "put"):
                assert op["requestBody"]["content"]["application/json"]["examples"], (method, path)
                assert {"409", "422", "423"} <= set(responses), (method, path)
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) >= {
        "status", "code", "message", "fields", "warnings", "lock_reason", "current_version", "changes"}


def test_the_schema_and_docs_are_public(client) -> None:
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    for path in api_schema()["paths"]:
        assert path in html
    assert "curl" in html and "Authorization: Bearer $STRIKEOPS_TOKEN" in html
    assert "Example response 423" in html and "lock_reason" in html
    # Everything served from here: no CDN, no inline script or style (the CSP forbids them).
    assert not re.search(r'(src|href)="https?://', html.replace('href="https://www.nationalarchives', ""))
    assert "<script>" not in html and "style=" not in html


def test_an_unknown_api_path_is_a_json_404(client) -> None:
    response = client.put("/api/v1/nothing/here/", "{}", content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.fixture
def two_releases(nia, ada, rwe, monkeypatch):
    action = make_action()
    make_return(action, "RX1", dt.date(2023, 4, 11), outpatient_rescheduled=100, staff_absent=5, staff_due=10)
    monkeypatch.setattr("trusts.clock.now", lambda: dt.datetime(2023, 4, 12, 18, tzinfo=dt.UTC))
    figures = {"staff_absent": 700, "staff_due": 1200, "elective_rescheduled": 40, "outpatient_rescheduled": 500,
               "community_rescheduled": 10, "mental_health_rescheduled": 0}
    return_submit(action=action, trust=rwe, day=dt.date(2023, 4, 12), figures=figures, user=ada)
    first = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    monkeypatch.setattr("trusts.clock.now", lambda: dt.datetime(2023, 4, 14, 18, tzinfo=dt.UTC))
    return_submit(action=action, trust=rwe, day=dt.date(2023, 4, 12), user=ada, reason="Double-counted clinic",
                  figures={**figures, "outpatient_rescheduled": 450})
    second = release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    return first, second


def test_the_open_data_page_lists_releases_newest_first_with_what_changed(client, two_releases) -> None:
    first, second = two_releases
    html = client.get("/open-data/").content.decode()
    assert "Open Government Licence v3.0" in html
    assert html.index("release 2") < html.index("release 1")
    assert "Since release 1: 1 return revised" in html
    assert "Outpatient appointments rescheduled: 600 to 550" in html
    assert "First release of these figures." in html
    for release in (first, second):
        slug, n = release.action.slug, release.number
        assert f"/open-data/releases/{slug}/{n}.csv" in html and f"/reports/releases/{slug}/{n}.json" in html


def test_a_release_downloads_as_tidy_csv_that_never_changes(client, two_releases) -> None:
    first, _ = two_releases
    response = client.get(f"/open-data/releases/{first.action.slug}/1.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "open-government-licence" in response["Link"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    england = {r["date"]: r for r in rows if r["level"] == "england"}
    assert england["2023-04-12"]["outpatient_rescheduled"] == "500"  # release 1 keeps the first figure
    assert england["2023-04-11"]["returns_received"] == "1"
    trust_rows = [r for r in rows if r["level"] == "trust" and r["code"] == "RWE" and r["date"] == "2023-04-12"]
    assert trust_rows[0]["staff_absent"] == "700" and trust_rows[0]["region_code"] == "Y60"
    assert {r["level"] for r in rows} == {"england", "region", "icb", "trust"}
    assert client.get(f"/open-data/releases/{first.action.slug}/9.csv").status_code == 404
    json_response = client.get(f"/reports/releases/{first.action.slug}/1.json")
    assert json_response.status_code == 200 and json_response.json()["number"] == 1
