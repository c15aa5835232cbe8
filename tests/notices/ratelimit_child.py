"""The child process of the cross-process rate-limit test. Kept apart from the test module so that
a spawned child imports no Django models (it needs only Redis and the limiter)."""

from __future__ import annotations

import multiprocessing
import time

from notices.ratelimit import RedisRateLimiter

KEY = "strikeops:test:rate"


def take_tokens(url: str, count: int, results: multiprocessing.Queue) -> None:
    limiter = RedisRateLimiter(url, rate_per_minute=1200, key=KEY)
    for _ in range(count):
        limiter.acquire()
    results.put(time.monotonic())
