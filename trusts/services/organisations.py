"""Writes for organisations: the trusts import (an upsert by ODS code, all-or-nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from trusts.models import ICB, Region, Trust, TrustStatus, TrustType
from trusts.models.organisations import display_name
from trusts.tabular import Row, RowError, TableError

TRUST_COLUMNS = [
    "ods_code", "name", "trust_type", "trust_type_source", "icb_code", "icb_ons_code", "icb_name",
    "region_code", "region_name", "address_line_1", "address_line_2", "address_line_3", "town",
    "county", "postcode", "open_date", "close_date", "status",
]
REQUIRED_TRUST_COLUMNS = ["ods_code", "name", "trust_type", "icb_code", "icb_name", "region_code", "status"]


@dataclass
class TrustImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _parse_date(row: Row, column: str, errors: list[RowError]) -> dt.date | None:
    raw = row[column]
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(RowError(row.line, f"'{raw}' is not a date in the form YYYY-MM-DD", column))
        return None


def trusts_import(*, rows: Iterable[Row]) -> TrustImportResult:
    """Upsert trusts (and their ICBs) by code. Validates every row first; saves nothing on any error."""
    regions = {r.code: r for r in Region.objects.all()}
    errors: list[RowError] = []
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        if "__error__" in row.values:
            errors.append(RowError(row.line, row.values["__error__"]))
            continue
        for column in REQUIRED_TRUST_COLUMNS:
            if not row[column]:
                errors.append(RowError(row.line, "is empty; it is required", column))
        code = row["ods_code"].upper()
        if code and code in seen:
            errors.append(RowError(row.line, f"{code} already appears on line {seen[code]}", "ods_code"))
        seen[code] = row.line
        if row["region_code"] and row["region_code"] not in regions:
            errors.append(RowError(row.line, f"unknown NHS England region '{row['region_code']}'", "region_code"))
        if row["trust_type"] and row["trust_type"] not in TrustType.values:
            errors.append(RowError(row.line, f"'{row['trust_type']}' is not one of {', '.join(TrustType.values)}",
                                   "trust_type"))
        if row["status"] and row["status"] not in TrustStatus.values:
            errors.append(RowError(row.line, f"'{row['status']}' is not active or closed", "status"))
        open_date = _parse_date(row, "open_date", errors)
        close_date = _parse_date(row, "close_date", errors)
        address = ", ".join(p for p in (row["address_line_1"], row["address_line_2"], row["address_line_3"],
                                         row["town"], row["county"]) if p)
        parsed.append({
            "ods_code": code, "ods_name": row["name"], "name": display_name(row["name"]),
            "trust_type": row["trust_type"], "status": row["status"], "address": address,
            "postcode": row["postcode"], "open_date": open_date, "close_date": close_date,
            "icb": (row["icb_code"].upper(), row["icb_ons_code"], row["icb_name"], row["region_code"]),
        })
    if not parsed and not errors:
        errors.append(RowError(2, "the file has a header but no trusts"))
    if errors:
        raise TableError(errors)

    result = TrustImportResult()
    with transaction.atomic():
        icbs = {i.code: i for i in ICB.objects.select_for_update()}
        for code, ons_code, name, region_code in {p["icb"] for p in parsed}:
            region = regions[region_code]
            icb = icbs.get(code)
            if icb is None:
                icbs[code] = ICB.objects.create(code=code, ons_code=ons_code, name=name, region=region)
            elif (icb.ons_code, icb.name, icb.region_id) != (ons_code, name, region.pk):
                icb.ons_code, icb.name, icb.region = ons_code, name, region
                icb.save()
        existing = {t.ods_code: t for t in Trust.objects.select_for_update()}
        for values in parsed:
            values = dict(values)
            values["icb"] = icbs[values["icb"][0]]
            trust = existing.get(values["ods_code"])
            if trust is None:
                Trust.objects.create(**values)
                result.created += 1
                continue
            changed = [k for k, v in values.items() if getattr(trust, k) != v]
            if changed:
                for key in changed:
                    setattr(trust, key, values[key])
                trust.save(update_fields=changed)
                result.updated += 1
            else:
                result.unchanged += 1
    return result
