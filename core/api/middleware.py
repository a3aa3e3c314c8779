"""What the API answers before (or instead of) a view: the body-size limit, as JSON."""

from django.conf import settings
from django.http import JsonResponse

API_PREFIX = "/api/"


def error_response(status: int, message: str, code: str, **headers) -> JsonResponse:
    """The documented error body `{message, code, errors}` with the given status."""
    response = JsonResponse({"message": message, "code": code, "errors": {}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class ApiErrorMiddleware:
    """Refuses an oversized /api/ body from its Content-Length, before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                return error_response(
                    413,
                    f"The request body is {length} bytes; "
                    f"the limit is {settings.API_MAX_BODY_BYTES}.",
                    "payload_too_large",
                )
        return self.get_response(request)
