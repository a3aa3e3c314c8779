"""Writes for dashboards: creating and revoking customer scorecard share links."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from core.retention import rows_purge
from core.share_tokens import CreatedShare, share_token_digest, share_token_new, share_view_record
from users.models import User

from .models import ScorecardShare

MAX_SHARE_DAYS = 90


@transaction.atomic
def scorecard_share_create(
    *, account: Account, created_by: User, days: int, note: str = ""
) -> CreatedShare:
    """Open a read-only link to the account's customer scorecard that expires after `days`."""
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ValidationError({"days": f"A link lasts between 1 and {MAX_SHARE_DAYS} days."})
    token = share_token_new()
    share = ScorecardShare.objects.create(
        account=account,
        token_digest=share_token_digest(token),
        token_hint=token[:6],
        note=note.strip()[:120],
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return CreatedShare(share=share, token=token)


@transaction.atomic
def scorecard_share_revoke(*, share: ScorecardShare, revoked_by: User) -> ScorecardShare:
    """Close a share link at once; revoking twice keeps the first revocation."""
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.revoked_by = revoked_by
        share.save(update_fields=["revoked_at", "revoked_by"])
    return share


def scorecard_share_record_view(*, share: ScorecardShare) -> None:
    """Count a customer's visit (one UPDATE, safe under concurrent views)."""
    share_view_record(share=share)


def scorecard_shares_purge(*, now=None) -> int:
    """Delete scorecard share links expired or revoked more than SHARE_LINK_RETENTION_DAYS ago
    (until then their owners still see them listed as expired or revoked)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SHARE_LINK_RETENTION_DAYS)
    return rows_purge(
        ScorecardShare.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))
    )
