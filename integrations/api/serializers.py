"""Serializers for webhooks and their delivery log."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.api.fields import (
    ApiModelSerializer,
    StrictCharField,
)
from integrations.models import Webhook, WebhookDelivery, WebhookEvent, validate_webhook_url
from integrations.targets import URL_RULE, webhook_url_pattern

URL_HELP = (
    "The http(s) endpoint that receives the signed POSTs. "
    + URL_RULE
    + " Where the host points is checked on every delivery: a name that resolves to a "
    "loopback, private, link-local or otherwise non-public address is not sent to; the attempt "
    "is logged (`refused target: ...` in `response_excerpt`) and retried like any failure."
)


class WebhookUrlField(StrictCharField):
    """A webhook's URL: the shape integrations.targets states, checked when it is written."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=500, trim_whitespace=False, validators=[validate_webhook_url], **kwargs
        )


class WebhookUrlFieldSchema(OpenApiSerializerFieldExtension):
    target_class = WebhookUrlField

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string", "format": "uri", "maxLength": 500, "description": URL_HELP}
        if direction == "request":
            schema["pattern"] = webhook_url_pattern()
        return schema


class WebhookSerializer(ApiModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(WebhookEvent.choices), min_length=1, max_length=10
    )
    secret = StrictCharField(
        required=False,
        min_length=16,
        max_length=100,
        help_text="Signs deliveries (HMAC-SHA256). Generated when omitted; returned only in the "
        "response that creates the webhook.",
    )
    url = WebhookUrlField(help_text=URL_HELP)

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "secret", "active", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_secret"):
            data.pop("secret", None)
        return data


class WebhookDeliverySerializer(ApiModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "version",
            "payload",
            "replay_of",
            "status",
            "attempts",
            "response_status",
            "response_excerpt",
            "next_retry_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields
