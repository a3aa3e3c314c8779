"""Turn a lost database connection into a clean 503 instead of a 500 with a traceback."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable (the database did not answer). Please try again."
# Self-contained on purpose: rendering base.html would need the database (the user, messages).
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;">
<h1>Service unavailable</h1>
<p>{MESSAGE}</p>
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
        if _wants_json(request):
            response = JsonResponse(
                {"message": MESSAGE, "code": "service_unavailable", "errors": {}}, status=503
            )
        else:
            response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
