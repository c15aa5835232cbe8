"""Locust users for bench/bench_submit.py (run by it; not on its own).

Each user takes the next (trust, strike day) from the work list bench_submit.py wrote (path in
BENCH_SUBMIT_WORK) and submits that return through the API, then corrects it twice with a reason, as
a trust does when figures firm up: PUT /api/v1/returns/<ods>/<action>/<day>/ with the trust
administrator's bearer token and the version it last read. When every chain is done the run stops,
so the number of requests is bounded by the work list."""

from __future__ import annotations

import json
import os

from gevent.lock import Semaphore
from locust import HttpUser, constant, task
from locust.exception import StopUser

WORK = json.loads(open(os.environ["BENCH_SUBMIT_WORK"]).read())  # noqa: SIM115
_lock = Semaphore()
_next = 0
_done = 0


def _take() -> dict | None:
    global _next
    with _lock:
        if _next >= len(WORK["chains"]):
            return None
        item = WORK["chains"][_next]
        _next += 1
        return item


class TrustAdministrator(HttpUser):
    wait_time = constant(0)

    @task
    def submit_then_correct(self) -> None:
        global _done
        chain = _take()
        if chain is None:
            raise StopUser()
        url = f"/api/v1/returns/{chain['ods']}/{WORK['action']}/{chain['day']}/"
        headers = {"Authorization": f"Bearer {chain['token']}"}
        for version, figures in enumerate(chain["figures"]):
            # A trust whose figures raise a warning (3 x its median, > 90% absent) says why they are
            # right; with generated history behind every trust, some do.
            body = {"version": version, **figures, "warning_comment": "Checked with the divisions."}
            if version:
                body["reason"] = "Figures confirmed by the divisions."
            with self.client.put(url, json=body, headers=headers, name="PUT /api/v1/returns/<ods>/<action>/<day>/",
                                 catch_response=True) as response:
                if response.status_code not in (200, 201):
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    break
        with _lock:
            _done += 1
            if _done == len(WORK["chains"]):
                self.environment.runner.quit()

