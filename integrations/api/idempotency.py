"""`Idempotency-Key` on every POST: the first successful response is stored and replayed.

The record is inserted in the same transaction as the work it guards, so a concurrent
duplicate blocks on the unique index until the first commits, then replays its response
(or, if the first failed and rolled back, does the work itself): exactly one effect.
Only responses below 400 are stored; a rejected request leaves the key free to retry.
"""

import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from integrations.models import IdempotencyRecord
from integrations.services import idempotency_record_find, request_fingerprint

from .exceptions import Unprocessable

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class _NotStored(Exception):
    """Rolls the record (and the request's writes) back while keeping the response."""

    def __init__(self, response):
        self.response = response


def _plain(data):
    """The response data as stored JSON (dates, decimals rendered as the client saw them)."""
    return json.loads(JSONRenderer().render(data) or b"null")


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
        )
    response = Response(record.response_body, status=record.status_code)
    response[REPLAY_HEADER] = "true"
    return response


def idempotent_call(request, handler):
    """Run `handler()` at most once per (user, key, method, path) within the replay window."""
    key = request.headers.get(HEADER, "").strip()
    if not key or request.method != "POST" or not request.user.is_authenticated:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [f"Use at most {MAX_KEY_LENGTH} characters."]})
    fingerprint = request_fingerprint(request.body)
    lookup = {"user": request.user, "key": key, "method": "POST", "path": request.path[:500]}
    record = idempotency_record_find(**lookup)
    if record is not None:
        return _replay(record, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(**lookup, request_hash=fingerprint)
            response = handler()
            if response.status_code >= status.HTTP_400_BAD_REQUEST:
                raise _NotStored(response)
            record.status_code = response.status_code
            record.response_body = _plain(response.data)
            record.save(update_fields=["status_code", "response_body"])
            return response
    except _NotStored as stop:
        return stop.response
    except IntegrityError:
        # A concurrent request with the same key committed first: replay its response.
        record = idempotency_record_find(**lookup)
        if record is None or record.status_code is None:
            raise
        return _replay(record, fingerprint)
