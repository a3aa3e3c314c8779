"""Core tables: the API's idempotency records, the transactional event outbox and the
database fallback for shared counters."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first response to a POST with an `Idempotency-Key`, replayed for 24 hours."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    # Null while the first request is still being processed.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table predates the move from integrations (issue 17): keep its name.
        db_table = "integrations_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "method", "path"], name="idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """One domain event for one subscriber, written in the transaction that caused it, so an
    event exists exactly when its cause committed. A worker runs the subscriber in the same
    transaction that marks the row done (so its effects happen once); the sweeper retries
    whatever is still pending (broker down, crash, deploy)."""

    event = models.CharField(max_length=100)
    handler = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status", "processed_at"], name="outbox_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.handler} ({self.status})"


class RateCounter(models.Model):
    """A fixed-window counter (rate limits, failed logins) kept in the database while Redis is
    unreachable; the row is reset when its window has passed."""

    key = models.CharField(max_length=250, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class AuditAction(models.TextChoices):
    ACCOUNT_ARCHIVED = "account.archived", "Account archived"
    ACCOUNT_RESTORED = "account.restored", "Account restored"
    ACCOUNT_DELETED = "account.deleted", "Account deleted"
    CONTACT_ERASED = "contact.erased", "Contact's personal data erased"


class AuditRecord(models.Model):
    """Who did an irreversible or privacy-relevant thing, when, to which record, under which
    request id. It names its target by type and id and counts what changed: it never holds
    the personal data it records the removal of."""

    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    # The account the target belonged to (for a contact), by id only: it may be deleted later.
    account_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_records",
    )
    # Kept when the actor's user is deleted later (a staff username, not the subject's data).
    actor_username = models.CharField(max_length=150, blank=True)
    # "api" or "web", and the API token's id when a token made the request.
    channel = models.CharField(max_length=10)
    token_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} #{self.target_id} by {self.actor_username}"
