"""Notifications: what csplatform tells a person (in the app and by e-mail), and how each
person wants to be told."""

from functools import lru_cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError("Use an IANA time zone name, e.g. Europe/Berlin.")


class Kind(models.TextChoices):
    """What a notification is about; people choose per kind whether they get it."""

    BAND_RED = "band_red", "Health dropped to red"
    DECAY = "decay", "Decay alert"
    RENEWAL = "renewal_at_risk", "Renewal near and not green"
    CTA_ASSIGNED = "cta_assigned", "CTA assigned to you"
    CTA_OVERDUE = "cta_overdue", "CTA overdue"
    MENTION = "mention", "Mentioned in a CTA note"
    DAILY_DIGEST = "daily_digest", "Daily digest"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest"

    @classmethod
    def alerts(cls) -> list[str]:
        """The kinds a person switches on or off per channel (digests have their own switch)."""
        return [k for k in cls.values if not k.endswith("_digest")]


# The kinds a person picks per channel, as (value, label) choices.
ALERT_KIND_CHOICES = [(k, Kind(k).label) for k in Kind.alerts()]


def default_kinds() -> list[str]:
    return Kind.alerts()


class EmailStatus(models.TextChoices):
    NONE = "none", "Not e-mailed"
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One thing one person is told about, once: in the app (the bell) and/or by e-mail.

    `key` names the event it came from (e.g. `band_red:42:2026-12-05`); (user, key) is unique,
    so an event retried by the outbox or a re-run beat never tells anyone twice. A digest is a
    notification too (e-mail only), keyed by its period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # A path inside the product (the account or CTA); e-mails prefix SITE_URL.
    link = models.CharField(max_length=500, blank=True)
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    cta = models.ForeignKey(
        "success.Cta", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # What a digest lists (sections of rows), rendered by its e-mail templates.
    data = models.JSONField(default=dict, blank=True)
    in_app = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    # Not before this moment (the end of the person's quiet hours, or a retry's back-off).
    email_due_at = models.DateTimeField(null=True, blank=True)
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event"),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
        ]
        indexes = [
            # The bell and the list: a person's in-app notifications, newest first.
            models.Index(
                fields=["user", "-id"], name="notification_inbox_idx", condition=Q(in_app=True)
            ),
            # The e-mail sender: pending ones that are due.
            models.Index(
                fields=["email_due_at"],
                name="notification_email_due_idx",
                condition=Q(email_status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one person wants to be told: which kinds in the app and by e-mail, digests, and
    quiet hours (in their own time zone) during which e-mails wait instead of arriving.

    A person without a row has the defaults (everything on, no quiet hours, the site's time
    zone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    in_app_kinds = ArrayField(
        models.CharField(max_length=20, choices=Kind.choices), default=default_kinds, blank=True
    )
    email_kinds = ArrayField(
        models.CharField(max_length=20, choices=Kind.choices), default=default_kinds, blank=True
    )
    digest_enabled = models.BooleanField(
        default=True, help_text="The daily digest (CSMs) or the weekly one (managers) by e-mail."
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name (Europe/Berlin); empty means the site's TIME_ZONE.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_none",
            )
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    @property
    def quiet_hours(self) -> dict | None:
        """The quiet-hours window as one value ({"start", "end"}), or None when there is none."""
        if self.quiet_hours_start is None or self.quiet_hours_end is None:
            return None
        return {"start": self.quiet_hours_start, "end": self.quiet_hours_end}

    @property
    def zone_name(self) -> str:
        return self.time_zone or settings.TIME_ZONE
