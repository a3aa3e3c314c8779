"""`Idempotency-Key` on every POST: the first successful response is stored and replayed.

The record is inserted in the same transaction as the work it guards (the view runs a keyed
POST inside one atomic block), so a concurrent duplicate blocks on the unique index until the
first commits, then replays its response (or, if the first failed and rolled back, does the
work itself): exactly one effect. Only responses below 400 are stored; a rejected request
rolls the record back with its writes, leaving the key free to retry.
"""

import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.models import IdempotencyRecord
from core.services import idempotency_record_find, request_fingerprint

from .exceptions import Conflict

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class Replay(Exception):
    """Raised before the handler runs when a stored response answers the request."""

    def __init__(self, response: Response):
        self.response = response


def wants_idempotency(request) -> bool:
    """Whether the request carries a key this module must honour (before authentication)."""
    return request.method == "POST" and bool(request.headers.get(HEADER, "").strip())


def _plain(data):
    """The response data as stored JSON (dates, decimals rendered as the client saw them)."""
    return json.loads(JSONRenderer().render(data) or b"null")


def _replay(record: IdempotencyRecord, fingerprint: str) -> Replay:
    if record.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
        )
    response = Response(record.response_body, status=record.status_code)
    response[REPLAY_HEADER] = "true"
    return Replay(response)


def idempotency_begin(request) -> IdempotencyRecord | None:
    """Claim the request's key, or raise `Replay` with the stored response.

    Call it inside the request's atomic block, after authentication. Returns the claimed
    (in-progress) record, or None when the request carries no key or no user.
    """
    if not wants_idempotency(request) or not request.user.is_authenticated:
        return None
    key = request.headers[HEADER].strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [f"Use at most {MAX_KEY_LENGTH} characters."]})
    fingerprint = request_fingerprint(request.body)
    lookup = {"user": request.user, "key": key, "method": "POST", "path": request.path[:500]}
    record = idempotency_record_find(**lookup)
    if record is not None:
        raise _replay(record, fingerprint)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(**lookup, request_hash=fingerprint)
    except IntegrityError:
        # A concurrent request with the same key committed first: replay its response.
        record = idempotency_record_find(**lookup)
        if record is None or record.status_code is None:
            raise
        raise _replay(record, fingerprint) from None


def idempotency_finish(record: IdempotencyRecord, response) -> None:
    """Store a successful response; roll a failed request back (record and writes)."""
    if response.status_code >= status.HTTP_400_BAD_REQUEST:
        transaction.set_rollback(True)
        return
    record.status_code = response.status_code
    record.response_body = _plain(response.data)
    record.save(update_fields=["status_code", "response_body"])
