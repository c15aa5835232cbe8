"""Fixtures shared by the returns import tests."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import local, make_action, make_return
from trusts.services.reminders import reminders_send_due


@pytest.fixture
def march_history(rwe):
    """RWE's returns on two March 2023 strike days: the history an import's median warnings read."""
    march = make_action(slug="march", name="March 2023", windows=[(local(2023, 3, 13, 7), local(2023, 3, 15, 7))],
                        affected=["RWE"])
    for day in (13, 14):
        make_return(march, rwe, dt.date(2023, 3, day), outpatient_rescheduled=100, staff_absent=100, staff_due=1200)
    return march


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """reminders_send_due, its queued emails sent after each commit (tasks run in-process in tests)."""
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_send_due(now=now)
    return run
