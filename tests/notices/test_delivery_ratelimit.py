"""The send rate limit: a token bucket shared through Redis by every worker, or in-process without it."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from django.conf import settings

from notices.ratelimit import LocalRateLimiter, RedisRateLimiter, delivery_redis_url, get_rate_limiter
from tests.conftest import redis_available, require_service
from tests.notices.ratelimit_child import KEY, take_tokens


@pytest.fixture
def redis_url() -> str:
    url = settings.TEST_REDIS_URL
    require_service("Redis", redis_available(url), f"start redis-server or set TEST_REDIS_URL (tried {url})")
    import redis

    redis.Redis.from_url(url).delete(KEY)
    return url


def take(limiter, count: int) -> int:
    """How many of `count` immediate tries get a token."""
    return sum(limiter.try_acquire() == 0 for _ in range(count))


def test_the_bucket_holds_one_seconds_worth_then_refills_at_the_rate(redis_url):
    limiter = RedisRateLimiter(redis_url, rate_per_minute=600, key=KEY)  # 10 a second, 10 at most at once
    # (A token or so may refill while the tries run on a busy machine.)
    assert 10 <= take(limiter, 25) <= 11
    time.sleep(0.5)
    assert 4 <= take(limiter, 20) <= 7


@pytest.mark.parametrize("kind", ["redis", "local"])
def test_several_tokens_are_taken_at_once_up_to_what_the_bucket_holds(redis_url, kind):
    """The send loop takes the tokens for a claim of several messages in one call: as many as the
    bucket holds, up to what it asks for, and none but a time to wait when it is empty."""
    limiter = RedisRateLimiter(redis_url, rate_per_minute=600, key=KEY) if kind == "redis" else LocalRateLimiter(600)
    assert limiter.try_acquire_many(4) == (4, 0)
    taken, wait = limiter.try_acquire_many(50)
    assert 6 <= taken <= 7 and wait == 0  # the rest of the 10 (and a token refilled on a slow machine)
    taken, wait = limiter.try_acquire_many(50)
    if taken == 0:
        assert 0 < wait <= 0.1
    started = time.monotonic()
    assert 1 <= limiter.acquire_many(50) <= 2  # blocks for the next token, then takes what there is
    assert time.monotonic() - started < 0.5


def test_two_workers_share_one_budget(redis_url):
    """Two limiters (two workers) on one Redis key share one budget: at one a second, when the first
    has taken the token the second gets none and is told to wait up to a second."""
    first = RedisRateLimiter(redis_url, rate_per_minute=60, key=KEY)
    second = RedisRateLimiter(redis_url, rate_per_minute=60, key=KEY)
    assert take(first, 5) == 1
    assert take(second, 5) == 0
    assert 0 < second.try_acquire() <= 1



def test_the_limit_holds_across_processes(redis_url):
    """Four processes take 30 tokens each at 20 a second shared: 120 tokens, 20 of them at once,
    so the last is taken no sooner than (120 - 20) / 20 = 5 seconds after the start."""
    # "spawn", not "fork": the test process may hold threads (a live server, a browser driver)
    # and a forked child can inherit a lock held by one of them and hang.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    started = time.monotonic()
    processes = [context.Process(target=take_tokens, args=(redis_url, 30, results)) for _ in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(30)
    finished = max(results.get(timeout=5) for _ in processes)
    assert finished - started >= 4.9


def test_the_in_process_bucket_is_shared_by_threads():
    limiter = LocalRateLimiter(rate_per_minute=60)  # one token, then one a second
    granted = []

    def grab() -> None:
        granted.append(take(limiter, 10))

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 1


def test_acquire_waits_for_a_token():
    limiter = LocalRateLimiter(rate_per_minute=600)
    take(limiter, 10)
    started = time.monotonic()
    limiter.acquire()
    assert 0.05 <= time.monotonic() - started < 2


def test_redis_is_used_when_there_is_one(settings, redis_url):
    settings.DELIVERY_REDIS_URL = ""
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    assert delivery_redis_url() == ""
    assert isinstance(get_rate_limiter(), LocalRateLimiter)
    settings.CELERY_BROKER_URL = redis_url  # a worker pointed at its broker only
    assert delivery_redis_url() == redis_url
    settings.DELIVERY_REDIS_URL = "redis://127.0.0.1:6379/9"
    assert delivery_redis_url() == "redis://127.0.0.1:6379/9"
    assert isinstance(get_rate_limiter(), RedisRateLimiter)


def test_a_rate_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        LocalRateLimiter(0)
