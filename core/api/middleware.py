"""What the API answers outside its views: every /api/ error is the documented JSON error.

- Before a view: a request id for the logs, the body-size limit (413 from Content-Length,
  before anything reads the body) and bytes no database accepts (NUL in the path or query: 400).
- After: an error response that is not JSON (Django's 404 for a path no URL matches, the
  technical pages with DEBUG on, a 500 from another middleware) is answered as JSON instead.
- A view's unexpected exception is logged with the request id and answered as a JSON 500
  carrying that id, in every setting (DEBUG on or off).
"""

import logging
import re
import uuid

from django.conf import settings
from django.http import JsonResponse

logger = logging.getLogger("csplatform.api")

API_PREFIX = "/api/"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
MESSAGES = {
    400: ("The request could not be understood.", "bad_request"),
    403: ("You may not do this.", "permission_denied"),
    404: ("No API resource at this path.", "not_found"),
    405: ("This method is not allowed on this resource.", "method_not_allowed"),
    406: ("Only JSON responses are available.", "not_acceptable"),
    413: ("The request body is too large.", "payload_too_large"),
    415: ("Send the body as JSON (Content-Type: application/json).", "unsupported_media_type"),
    429: ("Too many requests; retry after the Retry-After seconds.", "throttled"),
    500: ("Something went wrong on our side; quote the request id when reporting it.", "error"),
    503: ("The service is briefly unavailable. Please try again.", "service_unavailable"),
}
# Headers an error keeps when it is re-rendered as JSON.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", REQUEST_ID_HEADER)


def error_response(status: int, message=None, code=None, errors=None, **extra) -> JsonResponse:
    """The documented error body `{message, code, errors}` (plus `extra` keys) as a response."""
    default_message, default_code = MESSAGES.get(status, ("The request failed.", "error"))
    body = {
        "message": message or default_message,
        "code": code or default_code,
        "errors": errors or {},
        **extra,
    }
    return JsonResponse(body, status=status)


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _unstorable(request) -> str | None:
    """A part of the URL holding a NUL byte, which no database (or log) accepts."""
    if "\x00" in request.path_info:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "\\u0000")
    return None


class ApiErrorMiddleware:
    """Keeps every /api/ error in the documented JSON shape, whatever produced it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        if not is_api(request):
            return self.get_response(request)
        _drop_empty_query_values(request)
        response = self._refuse(request) or self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            response = self._as_json(request, response)
        response[REQUEST_ID_HEADER] = request.request_id
        return response

    def _refuse(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return error_response(
                413,
                f"The request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}.",
            )
        where = _unstorable(request)
        if where:
            return error_response(
                400,
                "The URL contains a NUL character.",
                "invalid",
                errors={where: ["Remove the NUL character (%00)."]},
            )
        return None

    def _as_json(self, request, response):
        status = response.status_code
        if status >= 500:
            logger.error(
                "API %s %s answered %s [request_id=%s]",
                request.method,
                request.path,
                status,
                request.request_id,
            )
        extra = {"request_id": request.request_id} if status >= 500 else {}
        replacement = error_response(status, **extra)
        for name in KEPT_HEADERS:
            if name in response:
                replacement[name] = response[name]
        return replacement

    def process_exception(self, request, exception):
        """The last resort: an exception no handler turned into a response is a JSON 500."""
        if not is_api(request):
            return None
        logger.exception(
            "API %s %s failed [request_id=%s]",
            request.method,
            request.path,
            request.request_id,
        )
        return error_response(500, request_id=request.request_id)


def _drop_empty_query_values(request) -> None:
    """`?status=` means no filter: an empty query value is the same as leaving it out, for
    every filter, paginator and query serializer alike."""
    if any(value == "" for _, values in request.GET.lists() for value in values):
        query = request.GET.copy()
        for key in [k for k, values in query.lists() if all(v == "" for v in values)]:
            del query[key]
        query._mutable = False
        request.GET = query


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
