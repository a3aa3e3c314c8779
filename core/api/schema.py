"""OpenAPI details every operation shares: the JSON error body on every error status, the
`Idempotency-Key` request header and the response headers (rate limit, replay, request id)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Field name → list of messages (nested for nested objects or rows).",
    )
    request_id = serializers.CharField(
        required=False,
        help_text="On a 500: the id under which the failure was logged (also `X-Request-ID`).",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: see `errors` for the messages per field.",
    "401": "No or invalid credentials.",
    "403": "Authenticated, but the role or the token's scope does not allow this.",
    "404": "No such resource, or not visible to you (another CSM's account is 404).",
    "406": "The Accept header asks for a format other than JSON.",
    "409": "Conflicts with existing data (a unique value is taken, or others refer to it).",
    "413": "The request body is over the size limit.",
    "415": "The body is not JSON.",
    "422": "The Idempotency-Key was already used with a different body.",
    "429": "Rate limit reached; retry after the `Retry-After` seconds.",
    "500": "An unexpected failure; it is logged under `request_id`.",
    "503": "A backing service is briefly unavailable; retry after `Retry-After` seconds.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=["429", "503"],
    description="Seconds to wait before retrying.",
)
RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        "X-RateLimit-Limit",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests allowed per window for this token.",
    ),
    OpenApiParameter(
        "X-RateLimit-Remaining",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests left in the current window.",
    ),
    OpenApiParameter(
        "X-RateLimit-Reset",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Seconds until the window frees a request.",
    ),
]
REQUEST_ID = OpenApiParameter(
    "X-Request-ID",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=True,
    description="This request's id in the server log (send your own, 8-64 of A-Z a-z 0-9 . _ -).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID), at most 255 characters. A retry with the "
    "same key and body within 24 h replays the first response with "
    "`Idempotent-Replayed: true`; the same key with another body is 422.",
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["200", "201", "202", "207"],
    enum=["true"],
    description="Present (`true`) when this response is the replay of an earlier request "
    "with the same Idempotency-Key.",
)


class ApiAutoSchema(AutoSchema):
    """Documents the shared error responses and headers so the schema says what the server does."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "406", "429", "500", "503"]
        if self.method in WRITE_METHODS:
            codes.append("409")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        if self.method == "POST":
            codes.append("422")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses

    def _get_parameters(self):
        # The server treats `?name=` as leaving the parameter out (see core.api.middleware),
        # so every optional query parameter declares that an empty value is allowed.
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def get_override_parameters(self):
        params = [*super().get_override_parameters(), RETRY_AFTER, *RATE_LIMIT_HEADERS, REQUEST_ID]
        if self.method == "POST":
            params += [IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED]
        return params
