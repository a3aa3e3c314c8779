"""Rate limits per API token (or per user for the browser): 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiTokenRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` requests per token; session users share one bucket per user."""

    scope = "api"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        # Read the rate on every request so it can be changed at run time (and in tests).
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if getattr(request.auth, "pk", None) is not None:  # an API token
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
