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

from trusts.exports import safe_text
from trusts.models import Release
from trusts.selectors.reports import DAY_METRICS, METRIC_LABELS, RESCHEDULED_METRICS

LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CSV_HEADER = ["action", "release", "published_at", "level", "code", "name", "region_code", "date",
              *DAY_METRICS, "returns_received", "returns_expected"]
COLUMN_NOTES = {
    "level": "england, region, icb or trust",
    "code": "E92000001 for England, the region or ICB code, or the trust's ODS code",
    "region_code": "The region the area is in (empty for England and regions)",
    "date": "The strike day (YYYY-MM-DD)",
    "returns_received": "Submitted returns counted that day",
    "returns_expected": "England only: returns expected that day (trusts active on the day)",
    **{metric: METRIC_LABELS[metric] for metric in DAY_METRICS},
}
ENGLAND_CODE = "E92000001"


def release_rows(release: Release) -> Iterator[list[Any]]:
    """The tidy rows of one release, England first, then regions, ICBs and trusts."""
    figures = release.figures
    base = [release.action.slug, release.number, release.published_at.isoformat()]
    for day in figures["national"]["days"]:
        yield [*base, "england", ENGLAND_CODE, "England", "", day["date"], *(day[m] for m in DAY_METRICS),
               day["returns_received"], day["returns_expected"]]
    for level, key in (("region", "regions"), ("icb", "icbs"), ("trust", "trusts")):
        for area in figures.get(key, []):
            region = "" if level == "region" else area.get("region_code", "")
            for day in area["days"]:
                yield [*base, level, area["code"], area["name"], region, day["date"],
                       *(day[m] for m in DAY_METRICS), day["returns"], ""]


def release_csv_bytes(release: Release) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in release_rows(release):
        writer.writerow([safe_text(cell) if isinstance(cell, str) else cell for cell in row])
    return out.getvalue().encode("utf-8")


def release_csv(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    release = get_object_or_404(Release.objects.select_related("action"), action__slug=slug, number=number)
    response = HttpResponse(release_csv_bytes(release), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{release.action.slug}-release-{release.number}.csv"'
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def _changes(release: Release) -> dict[str, Any]:
    changes = release.changes_since_previous or {}
    returns = changes.get("returns", [])
    return {
        "previous": changes.get("previous"),
        "totals": [(METRIC_LABELS.get(metric, "Peak staff absent"), old, new)
                   for metric, (old, new) in changes.get("totals", {}).items() if metric in (*RESCHEDULED_METRICS,
                                                                                              "peak_staff_absent")],
        "revised": sum(1 for r in returns if r.get("kind") == "revised"),
        "received": sum(1 for r in returns if r.get("kind") == "received"),
        "withdrawn": sum(1 for r in returns if r.get("kind") == "withdrawn"),
    }


def open_data(request: HttpRequest) -> HttpResponse:
    releases = Release.objects.select_related("action").order_by("-published_at", "-pk")
    entries = [{
        "release": release,
        "headline": release.figures.get("national", {}).get("headline", ""),
        "changes": _changes(release),
        "html_url": reverse("reports:release", args=[release.action.slug, release.number]),
        "json_url": reverse("reports:release_json", args=[release.action.slug, release.number]),
        "csv_url": reverse("open_data:release_csv", args=[release.action.slug, release.number]),
        "api_url": reverse("api:release", args=[release.action.slug, release.number]),
    } for release in releases]
    return render(request, "open_data/index.html", {
        "entries": entries, "licence_name": LICENCE_NAME, "licence_url": LICENCE_URL,
        "columns": [(name, COLUMN_NOTES.get(name, "")) for name in CSV_HEADER[3:]],
    })
