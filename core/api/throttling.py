"""Rate limits per API token (or per user for the browser): 429 with Retry-After.

The count is shared by every web process and atomic under parallel requests (core.counters:
Redis INCR with expiry, the database while Redis is down)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.counters import counter_hit


class ApiTokenRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` requests per token; session users share one bucket per user."""

    scope = "api"

    def __init__(self):
        # The rate is read on every request so it can be changed at run time (and in tests).
        self.wait_seconds = None

    def allow_request(self, request, view):
        self.rate = settings.API_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        # One fixed window per token: the count and its expiry move together, atomically.
        count = counter_hit(key, window_seconds=self.duration)
        if count.value > self.num_requests:
            self.wait_seconds = count.seconds_left
            return False
        return True

    def wait(self):
        return self.wait_seconds

    def get_cache_key(self, request, view):
        if getattr(request.auth, "pk", None) is not None:  # an API token
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
