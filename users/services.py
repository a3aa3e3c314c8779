"""Login throttling: too many failed logins for one username from one address lock it out.

Every sign-in form (/login/ and /admin/login/) counts into the same counter, shared by all
web processes (core.counters: Redis, or the database while Redis is down)."""

from django.conf import settings

from core.counters import counter_clear, counter_hit, counter_value


def _key(*, username: str, address: str) -> str:
    return f"login-failures:{username.lower()}:{address}"


def login_is_locked(*, username: str, address: str) -> bool:
    count = counter_value(_key(username=username, address=address))
    return count >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(*, username: str, address: str) -> int:
    key = _key(username=username, address=address)
    return counter_hit(key, window_seconds=settings.LOGIN_LOCKOUT_SECONDS).value


def login_failures_clear(*, username: str, address: str) -> None:
    counter_clear(_key(username=username, address=address))
