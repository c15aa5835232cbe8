"""Open data: every published release as CSV and JSON at stable addresses, under the Open
Government Licence v3.0, with a changelog of releases (newest first). Public, like the releases.

JSON is the reports area's `/reports/releases/<slug>/<n>.json`; the CSV here is its tidy companion:
one row per (level, area, strike day), straight from the frozen release, so it never changes either."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from reports.exports import WorkbookMeta, coverage_csv, publication_workbook, safe_text
from reports.models import Release
from strikeops.public_cache import public_page
from trusts.dates import formatted
from trusts.figures import DAY_METRICS, FIGURE_LABELS, RESCHEDULED_METRICS
from trusts.selectors.completeness import reported

LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CSV_HEADER = ["action", "release", "published_at", "level", "code", "name", "region_code", "date",
              *DAY_METRICS, "returns_received", "returns_expected", "status"]
COLUMN_NOTES = {
    "level": "england, region, icb or trust",
    "code": "E92000001 for England, the region or ICB code, or the trust's ODS code",
    "region_code": "The region the area is in (empty for England and regions)",
    "date": "The strike day (YYYY-MM-DD)",
    "returns_received": "Submitted returns counted that day",
    "returns_expected": "England only: returns expected that day (trusts active on the day)",
    "status": ("Trusts only: submitted, nil return (figures 0, confirmed), not submitted (figures empty, "
               "never 0) or late"),
    **{metric: FIGURE_LABELS[metric] for metric in DAY_METRICS},
}
ENGLAND_CODE = "E92000001"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def release_rows(release: Release) -> Iterator[list[Any]]:
    """The tidy rows of one release, England first, then regions, ICBs and trusts."""
    figures = release.figures
    base = [release.action.slug, release.number, release.published_at.isoformat()]
    # reported() again here, not only in the snapshot: releases published before the rule held
    # zeros for days nobody reported, and their CSV must not state them either.
    for day in figures["national"]["days"]:
        yield [*base, "england", ENGLAND_CODE, "England", "", day["date"],
               *(reported(day[m], day["returns_received"]) for m in DAY_METRICS),
               day["returns_received"], day["returns_expected"], ""]
    for level, key in (("region", "regions"), ("icb", "icbs"), ("trust", "trusts")):
        for area in figures.get(key, []):
            region = "" if level == "region" else area.get("region_code", "")
            for day in area["days"]:
                status = (day.get("status") or "") if level == "trust" else ""
                yield [*base, level, area["code"], area["name"], region, day["date"],
                       *(reported(day[m], day["returns"]) for m in DAY_METRICS), day["returns"], "", status]


def release_csv_bytes(release: Release) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in release_rows(release):
        writer.writerow([safe_text(cell) if isinstance(cell, str) else cell for cell in row])
    return out.getvalue().encode("utf-8")


@public_page
def release_csv(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    release = get_object_or_404(Release.objects.select_related("action"), action__slug=slug, number=number)
    response = HttpResponse(release_csv_bytes(release), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{release.action.slug}-release-{release.number}.csv"'
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def _release_response(release: Release, content: bytes, content_type: str, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (f'attachment; filename="{release.action.slug}-release-{release.number}'
                                       f'{suffix}"')
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def release_coverage_csv(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One row per strike day: returns expected, received and on time (beside the rectangular CSV)."""
    release = get_object_or_404(Release.objects.select_related("action"), action__slug=slug, number=number)
    return _release_response(release, coverage_csv(release.figures["national"]["days"]),
                             "text/csv; charset=utf-8", "-coverage.csv")


def release_xlsx(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The release as a publication-ready workbook (reports.exports.publication_workbook)."""
    release = get_object_or_404(Release.objects.select_related("action"), action__slug=slug, number=number)
    meta = WorkbookMeta(
        title=f"{release.action.name}: release {release.number}", scope="England",
        release_number=release.number, note=release.note,
        published_at=f"{formatted(release.published_at, 'date_comma_time')} (UK time)",
        incomplete_reason=release.incomplete_reason, changes=release.changes_since_previous)
    return _release_response(release, publication_workbook(release.figures, meta), XLSX_TYPE, ".xlsx")


def _changes(release: Release) -> dict[str, Any]:
    changes = release.changes_since_previous or {}
    returns = changes.get("returns", [])
    return {
        "previous": changes.get("previous"),
        "totals": [(FIGURE_LABELS.get(metric, "Peak staff absent"), old, new)
                   for metric, (old, new) in changes.get("totals", {}).items() if metric in (*RESCHEDULED_METRICS,
                                                                                              "peak_staff_absent")],
        "revised": sum(1 for r in returns if r.get("kind") == "revised"),
        "received": sum(1 for r in returns if r.get("kind") == "received"),
        "withdrawn": sum(1 for r in returns if r.get("kind") == "withdrawn"),
    }


@public_page
def open_data(request: HttpRequest) -> HttpResponse:
    releases = Release.objects.select_related("action").order_by("-published_at", "-pk")
    entries = [{
        "release": release,
        "headline": release.figures.get("national", {}).get("headline", ""),
        "changes": _changes(release),
        "html_url": reverse("reports:release", args=[release.action.slug, release.number]),
        "json_url": reverse("reports:release_json", args=[release.action.slug, release.number]),
        "csv_url": reverse("open_data:release_csv", args=[release.action.slug, release.number]),
        "coverage_csv_url": reverse("open_data:release_coverage_csv", args=[release.action.slug, release.number]),
        "xlsx_url": reverse("open_data:release_xlsx", args=[release.action.slug, release.number]),
        "api_url": reverse("api:release", args=[release.action.slug, release.number]),
    } for release in releases]
    return render(request, "open_data/index.html", {
        "entries": entries, "licence_name": LICENCE_NAME, "licence_url": LICENCE_URL,
        "columns": [(name, COLUMN_NOTES.get(name, "")) for name in CSV_HEADER[3:]],
    })
