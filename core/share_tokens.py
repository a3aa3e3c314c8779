"""Secret tokens for read-only share links: only a SHA-256 digest is ever stored."""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

# Longer input is never a token we issued; refusing it early avoids hashing junk.
MAX_TOKEN_LENGTH = 100


def share_token_new() -> str:
    """A fresh URL-safe share token (shown once, never stored)."""
    return secrets.token_urlsafe(32)


def share_token_digest(token: str) -> str:
    """The stored form of a share token, so a database leak reveals no link."""
    return hashlib.sha256(token.encode()).hexdigest()


def share_token_is_plausible(token: str) -> bool:
    """Whether a token from a URL is worth looking up at all."""
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH


class ShareLinkQuerySet(models.QuerySet):
    """Shared by every share-link model (`token_digest`, `expires_at`, `revoked_at`)."""

    def live(self, *, now=None) -> "ShareLinkQuerySet":
        """Links a customer can still open: not revoked and not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def live_by_token(self, token: str):
        """The live link a raw token from a URL opens, or None (unknown, expired or revoked
        alike: a customer learns nothing about links that do not work)."""
        if not share_token_is_plausible(token):
            return None
        return self.live().filter(token_digest=share_token_digest(token)).first()


class ShareLinkState:
    """A share link's state, read the same on every share-link model (with ShareLinkQuerySet)."""

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > timezone.now() else "expired"


@dataclass(frozen=True)
class CreatedShare:
    """A new share link and its token (never stored: this is the one chance to show it)."""

    share: Any
    token: str


def share_view_record(*, share) -> None:
    """Count a customer's visit to a share link (one UPDATE, safe under concurrent views)."""
    type(share)._default_manager.filter(pk=share.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )
