"""A send rate limit that holds across every worker: a token bucket kept in Redis.

GOV.UK Notify allows 3,000 messages a minute per API key, counted across everything that uses the
key. Celery runs many worker processes on many machines, so a per-process limit would multiply by
the number of processes; the bucket therefore lives in Redis and is updated by one Lua script, which
Redis runs atomically, so two workers can never both take the last token.

The bucket refills continuously at rate/60 tokens a second and holds at most one second's worth
(rate/60, at least 1), so a quiet minute cannot be saved up into a burst that the provider would
refuse. Redis's own clock (TIME) is used, so workers with skewed clocks agree.

A sender may take several tokens in one call (`acquire_many`): as many as the bucket holds, up to what
it asks for, so that a fast loop pays one Redis round trip per claim of several messages instead of
one per message (BENCHMARKS.md, "Message fan-out"). It sends exactly as many messages as it took
tokens, so the limit is the same; the tokens are taken just before the messages are claimed.

Without Redis (eager tasks on a laptop, unit tests) the same bucket lives in the process.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import Protocol

from django.conf import settings

# KEYS[1] bucket key; ARGV[1] tokens per second; ARGV[2] capacity; ARGV[3] tokens wanted (at least 1).
# Returns {tokens taken, milliseconds to wait before trying again (0 when some were taken)}.
_BUCKET_SCRIPT_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
local taken = math.min(wanted, math.floor(tokens))
local wait = 0
if taken >= 1 then
  tokens = tokens - taken
else
  taken = 0
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, math.ceil(capacity * 1000 / rate) + 1000)
return {taken, wait}
"""

BUCKET_KEY = "strikeops:delivery:rate"


class RateLimiter(Protocol):
    def try_acquire_many(self, wanted: int) -> tuple[int, float]:
        """Take up to `wanted` tokens, as many as there are; (tokens taken, 0), or (0, seconds to wait)."""

    def try_acquire(self) -> float:
        """Take one token if there is one and return 0; otherwise return the seconds to wait."""

    def acquire(self) -> None:
        """Block until a token is taken."""

    def acquire_many(self, wanted: int) -> int:
        """Block until at least one token is taken; up to `wanted`. Returns how many."""


class _Blocking(ABC):
    """The waiting and single-token calls, written once over each limiter's own try_acquire_many."""

    @abstractmethod
    def try_acquire_many(self, wanted: int) -> tuple[int, float]:
        """Take up to `wanted` tokens, as many as there are; (tokens taken, 0), or (0, seconds to wait)."""

    def try_acquire(self) -> float:
        return self.try_acquire_many(1)[1]

    def acquire(self) -> None:
        self.acquire_many(1)

    def acquire_many(self, wanted: int) -> int:
        while True:
            taken, wait = self.try_acquire_many(wanted)
            if taken:
                return taken
            time.sleep(wait)


def _capacity(rate_per_minute: int) -> float:
    return max(1.0, rate_per_minute / 60)


class RedisRateLimiter(_Blocking):
    def __init__(self, url: str, rate_per_minute: int, key: str = BUCKET_KEY) -> None:
        import redis

        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be at least 1")
        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_BUCKET_SCRIPT_LUA)
        self.rate_per_second = rate_per_minute / 60
        self.capacity = _capacity(rate_per_minute)
        self.key = key

    def try_acquire_many(self, wanted: int) -> tuple[int, float]:
        taken, wait_ms = self.script(keys=[self.key], args=[self.rate_per_second, self.capacity, max(1, wanted)])
        return int(taken), int(wait_ms) / 1000


class LocalRateLimiter(_Blocking):
    """The same bucket for one process (all its threads)."""

    def __init__(self, rate_per_minute: int) -> None:
        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be at least 1")
        self.rate_per_second = rate_per_minute / 60
        self.capacity = _capacity(rate_per_minute)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def try_acquire_many(self, wanted: int) -> tuple[int, float]:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate_per_second)
            self.stamp = now
            taken = min(max(1, wanted), int(self.tokens))
            if taken >= 1:
                self.tokens -= taken
                return taken, 0.0
            return 0, (1 - self.tokens) / self.rate_per_second


def delivery_redis_url() -> str:
    """The Redis that every worker shares: DELIVERY_REDIS_URL, else REDIS_URL, else the Celery broker
    when that is Redis (a test worker is pointed at its broker only). Empty: no shared Redis."""
    for url in (getattr(settings, "DELIVERY_REDIS_URL", ""), settings.REDIS_URL, settings.CELERY_BROKER_URL):
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return ""


_limiters: dict[tuple[str, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def get_rate_limiter() -> RateLimiter:
    """The limiter for the current settings, one per process (so its Redis connection pool or its
    in-process bucket is shared by every task the process runs)."""
    rate = settings.DELIVERY_RATE_PER_MINUTE
    url = delivery_redis_url()
    with _limiters_lock:
        if (url, rate) not in _limiters:
            _limiters[(url, rate)] = RedisRateLimiter(url, rate) if url else LocalRateLimiter(rate)
        return _limiters[(url, rate)]
