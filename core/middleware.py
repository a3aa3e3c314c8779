"""Turn a lost database or Redis connection into a clean 503 instead of a 500 with a
traceback, and keep API responses out of every cache."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable (the database did not answer). Please try again."
QUEUE_MESSAGE = (
    "The service is briefly unavailable (the cache or task queue did not answer). Please try again."
)
# Self-contained on purpose: rendering base.html would need the database (the user, messages).
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;">
<h1>Service unavailable</h1>
<p>{message}</p>
<p>Nothing was saved from this request.</p>
</body></html>
"""


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class DatabaseUnavailableMiddleware:
    """A view that loses its PostgreSQL connection answers 503 (JSON for the API, a short HTML
    page otherwise). The open transaction was rolled back by the database, so nothing of the
    request was written; the broken connection is closed so the next request reconnects."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if _is_queue_or_cache_outage(exception):
            logger.warning(
                "Redis unavailable during %s %s: %s", request.method, request.path, exception
            )
            return _unavailable(request, QUEUE_MESSAGE)
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning(
            "database unavailable during %s %s: %s", request.method, request.path, exception
        )
        # The failed atomic blocks already rolled back on their way out; drop a dead
        # connection now so the next request opens a fresh one.
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        return _unavailable(request, MESSAGE)


def _is_queue_or_cache_outage(exception: BaseException) -> bool:
    """A Redis connection error (cache or broker) or kombu's wrapper of one."""
    import redis
    from kombu.exceptions import OperationalError as KombuOperationalError

    return isinstance(
        exception,
        redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | KombuOperationalError,
    )


def _unavailable(request, message: str):
    if _wants_json(request):
        response = JsonResponse(
            {"message": message, "code": "service_unavailable", "errors": {}}, status=503
        )
    else:
        response = HttpResponse(
            PAGE.replace("{message}", message),
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ApiNoStoreMiddleware:
    """API answers carry tokens' data: no browser, proxy or CDN may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
