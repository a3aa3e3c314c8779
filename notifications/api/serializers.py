"""Serializers of the notifications API: a person's own notifications and preferences."""

import re

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ApiModelSerializer, ApiSerializer, StrictBooleanField

from ..models import (
    ALERT_KIND_CHOICES,
    Kind,
    Notification,
    NotificationPreference,
    time_zone_names,
)


class NotificationSerializer(ApiModelSerializer):
    """Something the platform told you about, with a link to the account or CTA."""

    url = serializers.SerializerMethodField(help_text="Absolute link to what it is about.")
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "account",
            "cta",
            "created_at",
            "read_at",
            "is_read",
            "email_status",
            "emailed_at",
        ]
        read_only_fields = fields

    def get_url(self, notification) -> str:
        return settings.SITE_URL.rstrip("/") + (notification.link or "/")


class EmptyBodySerializer(ApiSerializer):
    """No fields: any field sent is unknown (400)."""


class MarkedSerializer(ApiSerializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class KindListField(serializers.ListField):
    """A list of alert kinds; repeats are allowed (up to the schema's maxItems) and merged."""

    child = serializers.ChoiceField(choices=ALERT_KIND_CHOICES)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return sorted(set(super().to_internal_value(data)), key=Kind.alerts().index)


CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": CLOCK_PATTERN, "example": "22:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time as "HH:MM" (24-hour), in requests as in responses."""

    default_error_messages = {"invalid": 'Use a 24-hour time as "HH:MM", e.g. "22:00".'}

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(CLOCK_PATTERN, value):
            self.fail("invalid")
        return super().to_internal_value(value)


class QuietHoursSerializer(ApiSerializer):
    """A window of local time during which e-mails wait: both ends are required, so a window is
    given whole or not at all (null); equal ends mean no window."""

    start = ClockTimeField(help_text="Local time (HH:MM) quiet hours begin.")
    end = ClockTimeField(help_text="Local time (HH:MM) quiet hours end (the next day if earlier).")

    def validate(self, attrs):
        # Required in a PATCH too: DRF relaxes `required` for nested fields of a partial update.
        missing = [name for name in ("start", "end") if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {name: [self.error_messages["required"]] for name in missing}
            )
        return attrs


class NotificationPreferenceSerializer(ApiModelSerializer):
    """Which kinds you get in the app and by e-mail, the digest, and quiet hours (held e-mails
    are sent when they end; in-app notifications are recorded at once)."""

    in_app_kinds = KindListField(
        max_length=len(Kind.alerts()), help_text="Kinds shown in the app (the bell)."
    )
    email_kinds = KindListField(max_length=len(Kind.alerts()), help_text="Kinds sent by e-mail.")
    digest_enabled = StrictBooleanField(
        help_text="The daily digest (CSMs) or weekly digest (managers) by e-mail."
    )
    quiet_hours = QuietHoursSerializer(
        allow_null=True,
        help_text="When e-mails wait, in `time_zone`: both ends, or null for none.",
    )
    time_zone = serializers.ChoiceField(
        choices=[("", "The site's time zone"), *((z, z) for z in sorted(time_zone_names()))],
        allow_blank=True,
        help_text="IANA time zone for quiet hours and digests; empty: the site's TIME_ZONE.",
    )

    class Meta:
        model = NotificationPreference
        fields = ["in_app_kinds", "email_kinds", "digest_enabled", "quiet_hours", "time_zone"]

    def validate(self, attrs):
        # The window is one value in the API and two columns in the table.
        if "quiet_hours" in attrs:
            window = attrs.pop("quiet_hours") or {}
            attrs["quiet_hours_start"] = window.get("start")
            attrs["quiet_hours_end"] = window.get("end")
        return attrs
