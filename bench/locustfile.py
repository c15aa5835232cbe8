"""Locust users for bench/bench_submit.py (run by it; not on its own).

Each user takes the next (trust, strike day) from the work list bench_submit.py wrote (path in
BENCH_SUBMIT_WORK) and submits that return through the API, then corrects it twice with a reason, as
a trust does when figures firm up: PUT /api/v1/returns/<ods>/<action>/<day>/ with the trust
administrator's bearer token and the version it last read. One task is one request, so that
pacing (BENCH_SUBMIT_RATE, requests a second per user) paces requests. When every chain is done
the run stops, so the number of requests is bounded by the work list.

FastHttpUser (geventhttpclient) rather than HttpUser (requests): the load generator shares the 2
cores with the server, and FastHttpUser costs a fraction of the CPU per request."""

from __future__ import annotations

import json
import os

from gevent.lock import Semaphore
from locust import FastHttpUser, constant, constant_throughput, task
from locust.exception import StopUser

WORK = json.loads(open(os.environ["BENCH_SUBMIT_WORK"]).read())  # noqa: SIM115
RATE = float(os.environ.get("BENCH_SUBMIT_RATE") or 0)
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


class TrustAdministrator(FastHttpUser):
    # 0: as fast as the server answers (saturation); else each user sends RATE requests a second.
    wait_time = constant_throughput(RATE) if RATE else constant(0)

    def on_start(self) -> None:
        self.chain: dict | None = None
        self.step = 0

    @task
    def submit_or_correct(self) -> None:
        global _done
        if self.chain is None:
            self.chain, self.step = _take(), 0
            if self.chain is None:
                raise StopUser()
        chain, version = self.chain, self.step
        url = f"/api/v1/returns/{chain['ods']}/{WORK['action']}/{chain['day']}/"
        # A trust whose figures raise a warning (3 x its median, > 90% absent) says why they are
        # right; with generated history behind every trust, some do.
        body = {"version": version, **chain["figures"][version], "warning_comment": "Checked with the divisions."}
        if version:
            body["reason"] = "Figures confirmed by the divisions."
        with self.client.put(url, json=body, headers={"Authorization": f"Bearer {chain['token']}"},
                             name="PUT /api/v1/returns/<ods>/<action>/<day>/", catch_response=True) as response:
            ok = response.status_code in (200, 201)
            if not ok:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
        self.step += 1
        if not ok or self.step == len(chain["figures"]):
            self.chain = None
            with _lock:
                _done += 1
                if _done == len(WORK["chains"]):
                    self.environment.runner.quit()
