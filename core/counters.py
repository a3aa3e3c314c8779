"""Shared fixed-window counters for rate limits and failed logins, atomic across processes.

Redis holds them (`SET NX EX` + `INCR` in one MULTI, so parallel requests can never both read
the same count); while Redis is unreachable the same counts go to the database (one atomic
upsert). Without `REDIS_URL` (the single-process embedded default) the local cache counts.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .cache import redis_errors, redis_is_down, redis_mark_down

PREFIX = "counter:"


@dataclass(frozen=True)
class Count:
    value: int
    seconds_left: int


def _uses_redis() -> bool:
    return isinstance(caches["default"], RedisCache) and not redis_is_down()


def _redis_hit(key: str, window: int) -> Count:
    name = cache.make_key(PREFIX + key)
    client = cache._cache.get_client(name, write=True)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(name, 0, ex=window, nx=True)
        pipe.incr(name)
        pipe.ttl(name)
        _, value, ttl = pipe.execute()
    return Count(int(value), max(int(ttl), 1))


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.utc)
    return value


def _database_hit(key: str, window: int) -> Count:
    from .models import RateCounter

    table = connection.ops.quote_name(RateCounter._meta.db_table)
    now = timezone.now()
    expires = now + timedelta(seconds=window)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END, "
            f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at "
            f"ELSE {table}.expires_at END "
            f"RETURNING count, expires_at",
            [key, adapt(expires), adapt(now), adapt(now)],
        )
        value, expires_at = cursor.fetchone()
    left = (_aware(expires_at) - now).total_seconds()
    return Count(int(value), max(math.ceil(left), 1))


def counter_hit(key: str, *, window_seconds: int) -> Count:
    """Add one to `key`'s count in its current window and return the new count."""
    window = max(int(window_seconds), 1)
    if _uses_redis():
        try:
            return _redis_hit(key, window)
        except redis_errors() as exc:
            redis_mark_down(exc)
    return _database_hit(key, window)


def counter_value(key: str) -> int:
    """The current window's count of `key` (0 when none is running)."""
    if _uses_redis():
        try:
            client = cache._cache.get_client(write=False)
            value = client.get(cache.make_key(PREFIX + key))
            database = _database_value(key)  # counted there during an outage, still running
            return max(int(value or 0), database)
        except redis_errors() as exc:
            redis_mark_down(exc)
    return _database_value(key)


def _database_value(key: str) -> int:
    from .models import RateCounter

    row = RateCounter.objects.filter(key=key, expires_at__gt=timezone.now()).first()
    return row.count if row else 0


def counter_clear(key: str) -> None:
    """Forget `key`'s count (everywhere it may be kept)."""
    from .models import RateCounter

    if _uses_redis():
        try:
            cache._cache.get_client(write=True).delete(cache.make_key(PREFIX + key))
        except redis_errors() as exc:
            redis_mark_down(exc)
    RateCounter.objects.filter(key=key).delete()
