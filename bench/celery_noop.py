"""The bare Celery task the fan-out benchmark compares with (loaded into the benchmark's worker
with `--include celery_noop`, bench/ on PYTHONPATH; the app never imports it). It only counts
itself in Redis, so the benchmark knows when all have run."""

from __future__ import annotations

import os

import redis
from celery import shared_task

_client = None


@shared_task(name="bench.noop", ignore_result=True)
def noop() -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    _client.incr("bench:noop:done")
