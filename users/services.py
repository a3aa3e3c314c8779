"""Login throttling: too many failed logins for one username from one address lock it out."""

from django.conf import settings
from django.core.cache import cache


def _key(*, username: str, address: str) -> str:
    return f"login-failures:{username.lower()}:{address}"


def login_is_locked(*, username: str, address: str) -> bool:
    return cache.get(_key(username=username, address=address), 0) >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(*, username: str, address: str) -> int:
    key = _key(username=username, address=address)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        return 1


def login_failures_clear(*, username: str, address: str) -> None:
    cache.delete(_key(username=username, address=address))
