"""Rate limits per API token (or per user for the browser): 429 with Retry-After.

The count is shared by every web process and atomic under parallel requests (core.counters:
Redis INCR with expiry, the database while Redis is down). Every throttled response carries
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the
window resets), from `rate_limit_state()`.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.counters import counter_hit


class ApiTokenRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` requests per token; session users share one bucket per user."""

    scope = "api"

    def __init__(self):
        # The rate is read on every request so it can be changed at run time (and in tests).
        self.wait_seconds = None
        self.state = None

    def allow_request(self, request, view):
        self.rate = settings.API_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        # One fixed window per token: the count and its expiry move together, atomically.
        count = counter_hit(key, window_seconds=self.duration)
        self.state = (
            self.num_requests,
            max(0, self.num_requests - count.value),
            max(0, int(count.seconds_left)),
        )
        if count.value > self.num_requests:
            self.wait_seconds = count.seconds_left
            return False
        return True

    def wait(self):
        return self.wait_seconds

    def rate_limit_state(self) -> tuple[int, int, int] | None:
        """(limit, requests left, seconds until the window resets) after `allow_request`."""
        return self.state

    def get_cache_key(self, request, view):
        if getattr(request.auth, "pk", None) is not None:  # an API token
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def rate_limit_headers(throttles) -> dict[str, str]:
    """The rate-limit headers of the tightest throttle that ran on this request."""
    states = [
        state
        for state in (getattr(t, "rate_limit_state", lambda: None)() for t in throttles)
        if state is not None
    ]
    if not states:
        return {}
    limit, remaining, reset = min(states, key=lambda state: state[1])
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }
