"""Serializers of the notifications API: a person's own notifications and preferences."""

from django.conf import settings
from rest_framework import serializers

from core.api.fields import ApiModelSerializer, ApiSerializer, StrictBooleanField

from ..models import Kind, Notification, NotificationPreference, time_zone_names


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


class MarkedSerializer(ApiSerializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class KindListField(serializers.ListField):
    child = serializers.ChoiceField(choices=[(k, Kind(k).label) for k in Kind.alerts()])

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return sorted(set(super().to_internal_value(data)), key=Kind.alerts().index)


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
    quiet_hours_start = serializers.TimeField(
        allow_null=True, format="%H:%M", help_text="Local time (HH:MM) quiet hours begin."
    )
    quiet_hours_end = serializers.TimeField(
        allow_null=True, format="%H:%M", help_text="Local time (HH:MM) quiet hours end."
    )
    time_zone = serializers.ChoiceField(
        choices=[("", "The site's time zone"), *((z, z) for z in sorted(time_zone_names()))],
        allow_blank=True,
        help_text="IANA time zone for quiet hours and digests; empty: the site's TIME_ZONE.",
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "in_app_kinds",
            "email_kinds",
            "digest_enabled",
            "quiet_hours_start",
            "quiet_hours_end",
            "time_zone",
        ]

    def validate(self, attrs):
        start = attrs.get("quiet_hours_start", getattr(self.instance, "quiet_hours_start", None))
        end = attrs.get("quiet_hours_end", getattr(self.instance, "quiet_hours_end", None))
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if start is not None else "quiet_hours_start"
            raise serializers.ValidationError(
                {missing: ["Give both ends of the quiet hours, or neither (null)."]}
            )
        return attrs
