"""Every API error is JSON: `{"message", "code", "errors": {field: [messages]}}`.

The status says whose move it is: 400 when the request itself is malformed (the schema says
so too), 404 when it names a record that does not exist or is not visible (in the URL or in
the body: a validation error whose codes are all `does_not_exist`, `unique` or `conflict`,
one of them `does_not_exist`), 403 when the caller's role may not set a value (code
`forbidden`: an owner a CSM may not name), 409 when the records as they stand forbid it (codes
`unique` or `conflict`: a value taken, an entry already reversed, a reused Idempotency-Key).
"""

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _flatten_code(exc) -> str:
    codes = exc.get_codes()
    while isinstance(codes, (list, dict)) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes if isinstance(codes, str) else "invalid"


def _translate(exc):
    """Map Django and database errors raised by services onto API exceptions."""
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # A service that locks its row finds it gone (a concurrent delete won): 404, not 500.
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        return exceptions.ParseError(str(exc) or "The request could not be parsed.")
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict("Other records still refer to this one, so it cannot be deleted.")
    if isinstance(exc, IntegrityError):
        return Conflict("The change conflicts with an existing record (a unique value is taken).")
    if isinstance(exc, DataError):
        # PostgreSQL refused a value the request carried (a number or date-time offset out of
        # its range): the client's input, not a server fault.
        return exceptions.ValidationError(
            {
                "non_field_errors": [
                    "A value is out of range or not storable (check numbers and dates)."
                ]
            }
        )
    if isinstance(exc, OverflowError):
        return exceptions.ValidationError({"non_field_errors": ["A number is out of range."]})
    return exc


def api_exception_handler(exc, context):
    """DRF's exception handler, reshaped so clients always parse the same JSON error.

    Anything it does not know returns None, so DRF re-raises it and
    `core.api.middleware.ApiErrorMiddleware` logs it and answers a JSON 500 with a request id.
    """
    exc = _translate(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, round(exc.wait)))
    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        data = {"message": "Invalid input.", "code": _flatten_code(exc), "errors": errors}
        codes = set(_leaf_codes(exc.get_codes()))
        if codes and codes <= STATE_CODES:
            # Well-formed, but the records as they stand stop it: a record it names does not
            # exist or is not visible (404 like a missing URL, the field under `errors`; Stripe
            # does the same), or a unique value is taken, an entry already reversed, a second
            # active plan (409).
            if "does_not_exist" in codes:
                status_code = status.HTTP_404_NOT_FOUND
                data["message"] = MISSING_REFERENCE
            elif codes == {"forbidden"}:
                status_code = status.HTTP_403_FORBIDDEN  # a value the caller's role may not set
                data["message"] = _first_message(errors)
            else:
                status_code = status.HTTP_409_CONFLICT
                data["message"] = _first_message(errors)
    elif isinstance(exc.detail, dict):
        data = {
            "message": _first_message(exc.detail),
            "code": _flatten_code(exc),
            "errors": exc.detail,
        }
    else:
        data = {"message": str(exc.detail), "code": _flatten_code(exc), "errors": {}}
    set_rollback()
    return Response(data, status=status_code, headers=headers)


STATE_CODES = {"does_not_exist", "unique", "conflict", "forbidden"}
MISSING_REFERENCE = "A record this request refers to does not exist or is not visible to you."


def _leaf_codes(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            yield from _leaf_codes(value)
    elif isinstance(codes, list):
        for value in codes:
            yield from _leaf_codes(value)
    else:
        yield codes


def _first_message(detail) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


@csrf_exempt  # it changes nothing; without this a stray DELETE would get the HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """A JSON 404 for any path under /api/v1/ that names no resource."""
    return JsonResponse(
        {"message": "No API resource at this path.", "code": "not_found", "errors": {}},
        status=404,
    )
