"""The vocabulary of figures (trusts/figures.py) is the one the model, the database triggers, the
forms, the API and the downloads use: each test fails if one of them drifts from it."""

from __future__ import annotations

import re

import pytest
from django.db import connection, models

from reports.models import ReturnRollup
from tests.factories import local
from trusts.api.docs import api_schema
from trusts.figures import (
    DAY_METRICS,
    FIGURE,
    FIGURE_FIELDS,
    FIGURES,
    PARTS_OF,
    RESCHEDULED_FIELDS,
    ROLLUP_FIELDS,
    Part,
    trigger_contributions,
)
from trusts.forms.returns import ReturnForm
from trusts.models import DailyReturn

NOW = local(2023, 4, 12, 9)


def test_a_return_carries_exactly_the_entered_figures_with_their_help_text() -> None:
    counts = [f for f in DailyReturn._meta.get_fields()
              if isinstance(f, models.PositiveIntegerField) and f.null]
    assert tuple(f.name for f in counts) == FIGURE_FIELDS
    assert {f.name: f.help_text for f in counts} == {name: FIGURE[name].description for name in FIGURE_FIELDS}
    assert {f.name for f in FIGURES if f.part == Part.DERIVED} == set(PARTS_OF)


def test_acute_and_total_are_what_domain_md_says() -> None:
    assert PARTS_OF == {"acute_rescheduled": ("elective_rescheduled", "outpatient_rescheduled"),
                        "total_rescheduled": RESCHEDULED_FIELDS}


def test_the_rollup_columns_are_the_vocabulary_sums_in_order() -> None:
    columns = [f.name for f in ReturnRollup._meta.get_fields()
               if isinstance(f, models.BigIntegerField) and not f.primary_key]
    assert tuple(columns) == ROLLUP_FIELDS


@pytest.mark.django_db
def test_the_installed_trigger_adds_what_the_vocabulary_says_each_return_adds() -> None:
    """The trigger SQL (migration 0009, frozen) against trigger_contributions(): same columns, same
    order, same per-return contribution, in each of the insert, delete and update branches."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'trusts_returnrollup_apply'")
        (source,) = cursor.fetchone()
    columns = re.findall(r"INSERT INTO trusts_returnrollup \(action_id, date, ([^)]*)\)", source)
    sums = re.findall(r"SELECT action_id, date, (.*?) FROM \(", source)
    assert columns == [", ".join(ROLLUP_FIELDS)] * 3
    assert sums == [", ".join(f"SUM(sign * ({c}))" for c in trigger_contributions("d"))] * 3


def test_the_return_form_labels_and_hints_are_the_vocabulary() -> None:
    form = ReturnForm(affected=True, revising=False, deadline=NOW, now=NOW)
    for name in FIGURE_FIELDS:
        assert str(form.fields[name].label).startswith(FIGURE[name].label), name
        assert form.fields[name].help_text == FIGURE[name].help_text, name


def test_the_api_schema_describes_each_figure_with_the_vocabulary() -> None:
    schemas = api_schema()["components"]["schemas"]
    for written in ("ReturnWriteRequest", "ReturnCreateRequest"):
        properties = schemas[written]["properties"]
        for name in FIGURE_FIELDS:
            assert properties[name]["description"].startswith(FIGURE[name].description), (written, name)


def test_the_national_totals_metrics_are_the_day_figures_of_domain_md() -> None:
    assert DAY_METRICS == ("staff_absent", "staff_due", "elective_rescheduled", "outpatient_rescheduled",
                           "community_rescheduled", "mental_health_rescheduled", "acute_rescheduled",
                           "total_rescheduled")
