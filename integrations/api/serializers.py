"""Serializers for webhooks and their delivery log."""

from rest_framework import serializers

from core.api.fields import (
    ApiModelSerializer,
    StrictCharField,
)
from integrations.models import Webhook, WebhookDelivery, WebhookEvent, validate_webhook_url


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
    url = serializers.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text="http(s) endpoint that receives POSTs.",
    )

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
