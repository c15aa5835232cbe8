"""The action page's season comparison reads only its season's actions and their acute totals;
it must say what the comparison over every recorded action says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.selectors.reports import (
    action_season_comparison,
    all_actions,
    per_action_totals,
    season_comparison,
    season_sentence,
)
from tests.factories import local, make_action, make_return
from trusts.models import ReturnStatus

pytestmark = pytest.mark.django_db


def _action(slug: str, day: dt.date, elective: int, outpatient: int, **figures: Any):
    action = make_action(slug, slug.title(), [(local(day.year, day.month, day.day, 7),
                                                local(day.year, day.month, day.day, 19))])
    make_return(action, "RWE", day, elective_rescheduled=elective, outpatient_rescheduled=outpatient, **figures)
    return action


def test_the_one_action_comparison_equals_the_comparison_over_every_action() -> None:
    actions = [
        _action("nurses-dec-2022", dt.date(2022, 12, 15), 100, 50),
        _action("ambulance-dec-2022", dt.date(2022, 12, 21), 10, 5, community_rescheduled=900),
        _action("juniors-jan-2023", dt.date(2023, 1, 10), 20, 20),
        _action("juniors-mar-2023", dt.date(2023, 3, 13), 400, 400),
        _action("juniors-apr-2023", dt.date(2023, 4, 11), 7, 0),       # a new season
        _action("consultants-jul-2023", dt.date(2023, 7, 20), 3, 4),
        _action("nurses-dec-2023", dt.date(2023, 12, 1), 0, 0),        # nothing rescheduled
    ]
    # A draft never counts, in either.
    make_return(actions[2], "RX1", dt.date(2023, 1, 10), status=ReturnStatus.DRAFT, elective_rescheduled=10_000)
    recorded, totals = all_actions(), per_action_totals()
    for action in recorded:
        expected = season_comparison(action, recorded, totals)
        with CaptureQueriesContext(connection) as queries:
            got = action_season_comparison(action)
        assert len(queries) == 1
        assert got is not None and expected is not None
        assert (got.name, got.is_winter, got.earlier_acute_rescheduled, got.acute_rescheduled) == (
            expected.name, expected.is_winter, expected.earlier_acute_rescheduled, expected.acute_rescheduled)
        assert [a.slug for a in got.earlier_actions] == [a.slug for a in expected.earlier_actions]
        assert season_sentence(action, got) == season_sentence(action, expected)
    march = action_season_comparison(actions[3])
    assert march is not None and march.earlier_acute_rescheduled == 150 + 15 + 40 and march.exceeds_all_earlier_combined
    first_of_winter = action_season_comparison(actions[4])
    assert first_of_winter is not None and first_of_winter.earlier_actions == []
