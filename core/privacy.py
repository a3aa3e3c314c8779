"""Erasing a person's data wherever the app copied it, and the audit trail of such acts.

A contact's erasure (accounts.services.privacy) clears the contact's own fields and then asks
every registered *eraser* to redact the person's name, e-mail and phone wherever a copy may
sit: free text of the accounts app, and stored JSON that other apps keep (outbox payloads,
idempotency replays, webhook delivery logs). Apps register their erasers in
AppConfig.ready(), so the lower layer never imports the upper ones:

    from core.privacy import eraser_register
    eraser_register("webhook deliveries", erase_from_deliveries)  # fn(terms) -> rows changed

Every eraser runs in the erasing transaction: the erasure is all or nothing.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q, QuerySet

from .models import AuditRecord, IdempotencyRecord, OutboxMessage

REDACTED = "[erased]"
# Name parts shorter than this are not redacted on their own (too many false hits: "Al", "Jo").
MIN_WORD = 3


@dataclass(frozen=True)
class ErasureTerms:
    """What names a person in free text: whole phrases (full name, e-mail, phone), matched
    ignoring case, and the parts of the name as capitalised words ("Jane", "Doe")."""

    phrases: tuple[str, ...]
    words: tuple[str, ...] = ()

    @classmethod
    def for_person(cls, *, name: str, email: str = "", phone: str = "") -> "ErasureTerms":
        name = " ".join((name or "").split())
        phrases = tuple(p for p in (name, (email or "").strip(), (phone or "").strip()) if p)
        words = tuple(
            dict.fromkeys(w for w in re.split(r"[\s,.;:()]+", name) if len(w) >= MIN_WORD)
        )
        return cls(phrases=phrases, words=tuple(w for w in words if w != name))

    @cached_property
    def pattern(self) -> re.Pattern | None:
        # Longest first, so "Jane Doe" is one redaction, not "[erased] [erased]".
        alternatives = [
            f"(?i:{re.escape(p)})" for p in sorted(self.phrases, key=len, reverse=True)
        ] + [rf"\b{re.escape(w)}\b" for w in sorted(self.words, key=len, reverse=True)]
        return re.compile("|".join(alternatives)) if alternatives else None

    def redact(self, text: str) -> tuple[str, int]:
        """`text` with every mention replaced by [erased], and how many there were."""
        if not text or self.pattern is None:
            return text, 0
        return self.pattern.subn(REDACTED, text)

    def redact_json(self, value):
        """A JSON value with every string (keys stay) redacted; (new value, mentions)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            pairs = [self.redact_json(v) for v in value]
            return [v for v, _ in pairs], sum(n for _, n in pairs)
        if isinstance(value, dict):
            pairs = {k: self.redact_json(v) for k, v in value.items()}
            return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
        return value, 0

    def candidates(self, field: str) -> Q:
        """Rows whose `field` may mention the person (a superset: icontains, any term)."""
        q = Q(pk__in=[])
        for term in (*self.phrases, *self.words):
            q |= Q(**{f"{field}__icontains": term})
        return q


def rows_redact(queryset: QuerySet, field: str, terms: ErasureTerms, *, json=False) -> int:
    """Redact the person from `field` of every row of `queryset` that mentions them; returns
    how many rows changed. Candidates come from the database; the exact match is in Python."""
    changed = []
    for row in queryset.filter(terms.candidates(field)).only("pk", field):
        value = getattr(row, field)
        new, mentions = terms.redact_json(value) if json else terms.redact(value)
        if mentions:
            setattr(row, field, new)
            changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, [field], batch_size=500)
    return len(changed)


Eraser = Callable[[ErasureTerms], int]
_erasers: dict[str, Eraser] = {}


def eraser_register(name: str, eraser: Eraser) -> None:
    """Run `eraser(terms)` in every erasure; it returns how many rows it changed."""
    _erasers[name] = eraser


def personal_data_erase(terms: ErasureTerms) -> dict[str, int]:
    """Run every registered eraser (in the caller's transaction); rows changed by each."""
    return {name: eraser(terms) for name, eraser in sorted(_erasers.items())}


def _erase_from_outbox(terms: ErasureTerms) -> int:
    return rows_redact(OutboxMessage.objects.all(), "payload", terms, json=True)


def _erase_from_idempotency_replays(terms: ErasureTerms) -> int:
    # A POST that created or changed the contact keeps its response for 24 hours' replays.
    return rows_redact(IdempotencyRecord.objects.all(), "response_body", terms, json=True)


eraser_register("outbox payloads", _erase_from_outbox)
eraser_register("idempotency replays", _erase_from_idempotency_replays)


def audit_record(
    *,
    action: str,
    target_type: str,
    target_id: int,
    actor,
    request=None,
    account_id: int | None = None,
    counts: dict | None = None,
) -> AuditRecord:
    """Record who did `action` to which record, from where, and what changed (counts only)."""
    auth = getattr(request, "auth", None) if request is not None else None
    path = getattr(request, "path", "") or ""
    return AuditRecord.objects.create(
        action=action,
        target_type=target_type,
        target_id=target_id,
        account_id=account_id,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=getattr(actor, "username", "") or "",
        channel="api" if path.startswith("/api/") else ("web" if request is not None else "cli"),
        token_id=getattr(auth, "pk", None) if hasattr(auth, "has_scope") else None,
        request_id=(getattr(request, "request_id", "") or "")[:64],
        counts=dict(counts or {}),
    )


def audit_records_for(*, target_type: str, target_ids: Iterable[int]) -> QuerySet:
    return AuditRecord.objects.filter(target_type=target_type, target_id__in=list(target_ids))
