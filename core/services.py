"""Writes for the shared API plumbing: the idempotency records behind `Idempotency-Key`."""

import hashlib
import json
from datetime import timedelta

from django.utils import timezone

from .models import IdempotencyRecord

IDEMPOTENCY_TTL = timedelta(hours=24)


def request_fingerprint(body: bytes) -> str:
    """A hash of the request body that ignores JSON formatting and key order."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def idempotency_record_find(*, user, key: str, method: str, path: str) -> IdempotencyRecord | None:
    """The stored (unexpired) record for this key, deleting an expired one."""
    record = IdempotencyRecord.objects.filter(user=user, key=key, method=method, path=path).first()
    if record and record.created_at < timezone.now() - IDEMPOTENCY_TTL:
        record.delete()
        return None
    return record


def idempotency_records_purge() -> int:
    """Delete records older than the replay window."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
