"""The API rate limit is one count shared by every process and exact under parallel requests:
Redis INCR with expiry, or the database while Redis is down (never a leak, never a 500)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core import cache as resilient
from core.counters import counter_hit
from integrations.services import api_token_create

pytestmark = [pytest.mark.services]

LIMIT, THREADS, EACH = 40, 8, 15


def _hammer(base_url: str, key: str) -> list[int]:
    def burst(_):
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {key}"
            return [session.get(f"{base_url}/api/v1/segments/").status_code for _ in range(EACH)]

    with ThreadPoolExecutor(THREADS) as pool:
        return [code for codes in pool.map(burst, range(THREADS)) for code in codes]


@pytest.fixture
def token_key(transactional_db, org):
    return api_token_create(user=org.csm_a1, name="load", scopes=["read"])[1]


def test_parallel_requests_are_limited_exactly_with_redis(
    live_server, token_key, settings, redis_url
):
    """GIVEN a limit of 40/min WHEN 8 clients send 120 requests at once THEN exactly 40 pass."""
    settings.API_THROTTLE_RATE = f"{LIMIT}/min"
    codes = _hammer(live_server.url, token_key)
    assert codes.count(200) == LIMIT
    assert codes.count(429) == THREADS * EACH - LIMIT


def test_parallel_requests_are_limited_exactly_by_the_database_while_redis_is_down(
    live_server, token_key, settings, redis_url, monkeypatch
):
    """GIVEN Redis marked unreachable (the cache and counters fall back) THEN the same burst
    is limited exactly by PostgreSQL's atomic upsert, and no request fails."""
    settings.API_THROTTLE_RATE = f"{LIMIT}/min"
    settings.CACHE_RETRY_SECONDS = 600
    resilient.redis_mark_down(ConnectionError("test: Redis is down"))
    try:
        codes = _hammer(live_server.url, token_key)
    finally:
        resilient.redis_mark_up()
    assert codes.count(200) == LIMIT
    assert codes.count(429) == THREADS * EACH - LIMIT
    from core.models import RateCounter

    assert RateCounter.objects.get().count == THREADS * EACH


def test_a_window_starts_over_when_it_has_passed(transactional_db, settings, redis_url):
    assert counter_hit("test:window", window_seconds=60).value == 1
    assert counter_hit("test:window", window_seconds=60).value == 2
    resilient.redis_mark_down(ConnectionError("test"))
    try:
        first = counter_hit("test:db-window", window_seconds=1)
        assert first.value == 1 and first.seconds_left == 1
        import time

        time.sleep(1.1)
        assert counter_hit("test:db-window", window_seconds=1).value == 1
    finally:
        resilient.redis_mark_up()
