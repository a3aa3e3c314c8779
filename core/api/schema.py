"""OpenAPI details every operation shares: the JSON error body on each 4xx and Idempotency-Key."""

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
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAutoSchema(AutoSchema):
    """Documents the shared error responses so every returned status code is in the schema."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "406", "429"]
        if self.method in WRITE_METHODS:
            codes += ["409", "413", "415"]
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

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string (e.g. a UUID). A retry with the same key "
                    "and body within 24 h replays the first response with "
                    "`Idempotent-Replayed: true`; the same key with another body is 422.",
                )
            )
        return params
