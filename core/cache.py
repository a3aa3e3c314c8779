"""A Redis cache that degrades instead of failing: with Redis unreachable, reads miss and
writes are dropped (logged once per outage), so pages and the API keep answering from the
database. After a failure the cache is skipped for `CACHE_RETRY_SECONDS`, so an outage costs
each request no connection attempt at all."""

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_down_until = 0.0


def redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def redis_is_down() -> bool:
    """True while a recent Redis failure says not to try again yet (in this process)."""
    return time.monotonic() < _down_until


def redis_mark_down(exc: BaseException) -> None:
    global _down_until
    if not redis_is_down():
        logger.warning("Redis unreachable (%s); degrading to the database", exc)
    _down_until = time.monotonic() + getattr(settings, "CACHE_RETRY_SECONDS", 5)


def redis_mark_up() -> None:
    global _down_until
    _down_until = 0.0


class ResilientRedisCache(RedisCache):
    """django's RedisCache; `get`-like calls return their default and writes do nothing while
    Redis is unreachable. `incr`/`decr`/`clear` still raise: a caller counting on them must
    know the count was not taken."""

    def _guard(self, method, default, *args, **kwargs):
        if redis_is_down():
            return default
        try:
            return method(*args, **kwargs)
        except redis_errors() as exc:
            redis_mark_down(exc)
            return default

    def get(self, key, default=None, version=None):
        return self._guard(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._guard(super().has_key, False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().add, False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set_many, list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(super().delete, False, key, version)

    def delete_many(self, keys, version=None):
        return self._guard(super().delete_many, None, keys, version)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except redis_errors() as exc:
            redis_mark_down(exc)
            raise
