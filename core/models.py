"""Records the shared API plumbing keeps (the app's other pieces hold no data)."""

from django.conf import settings
from django.db import models


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
