"""The stable public addresses of a published release, in every format."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from reports.models import Release


def release_links(request: HttpRequest, release: Release) -> dict[str, str]:
    args = [release.action.slug, release.number]
    return {
        "html": request.build_absolute_uri(reverse("reports:release", args=args)),
        "json": request.build_absolute_uri(reverse("reports:release_json", args=args)),
        "csv": request.build_absolute_uri(reverse("open_data:release_csv", args=args)),
        "coverage_csv": request.build_absolute_uri(reverse("open_data:release_coverage_csv", args=args)),
        "xlsx": request.build_absolute_uri(reverse("open_data:release_xlsx", args=args)),
        "api": request.build_absolute_uri(reverse("api:release", args=args)),
    }
