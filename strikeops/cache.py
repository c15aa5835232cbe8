"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call; its constructor
fills a table of ~170 response callbacks, which cost more than the round trip itself (a third of a
cached public page's time on the benchmark's profile). A `redis.Redis` object is safe to share (it
takes a connection from its pool per command), so one per pool is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What a cache call raises when Redis cannot be reached (refused, reset, timed out).
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


def cached_or_computed(key: str, seconds: float, compute: Callable[[], T]) -> T:
    """The cached value, else compute() stored for `seconds`; with Redis down, compute() every time
    (a figure is slower then, never an error)."""
    try:
        value = cache.get(key)
    except CACHE_ERRORS:
        logger.warning("cache unreachable: computing %s", key)
        return compute()
    if value is not None:
        return value  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, value, seconds)
    except CACHE_ERRORS:
        logger.warning("cache unreachable: could not store %s", key)
    return value


class ReusingRedisCacheClient(RedisCacheClient):
    # Set by Django's RedisCacheClient.__init__ and private, so django-stubs leaves them out.
    _servers: list[str]
    _pools: dict[int, Any]
    _pool_class: Any
    _pool_options: dict[str, Any]
    _client: Any
    _get_connection_pool_index: Callable[[bool], int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ReusingRedisCache(RedisCache):
    # Set by Django's RedisCache.__init__ (private, left out of django-stubs).
    _servers: list[str]
    _options: dict[str, Any]

    @cached_property
    def _cache(self) -> ReusingRedisCacheClient:
        return ReusingRedisCacheClient(self._servers, **self._options)
