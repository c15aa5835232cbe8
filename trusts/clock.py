"""The one place that says what time it is, so that tests can move it (monkeypatch `trusts.clock.now`).

Services take `now=` explicitly; views and tasks call `clock.now()` (looked up at call time, never
imported by name) so that a test can patch this module and see every caller move with it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()
