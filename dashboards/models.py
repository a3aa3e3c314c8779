"""Read-only share links that let a customer see their Customer Success Scorecard."""

from django.conf import settings
from django.db import models

from core.share_tokens import ShareLinkQuerySet, ShareLinkState


class ScorecardShare(ShareLinkState, models.Model):
    """A read-only, expiring, revocable link to one account's customer-facing scorecard.

    The token itself is shown once, when the link is created; only its digest is stored.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="scorecard_shares"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, help_text="First characters, to tell links apart.")
    note = models.CharField(max_length=120, blank=True, help_text="Who the link was sent to.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="scorecard_shares",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"share {self.token_hint}… of account {self.account_id}"
