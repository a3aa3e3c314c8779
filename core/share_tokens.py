"""Secret tokens for read-only share links: only a SHA-256 digest is ever stored."""

import hashlib
import secrets

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
