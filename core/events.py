"""Domain events through a transactional outbox, so apps react to each other without
importing each other and no event is lost or applied twice.

Publishers call `publish("health.band_changed", account_id=..., ...)` inside the writing
transaction: one `OutboxMessage` row per subscriber is written in that same transaction, so
the event exists exactly when its cause committed. After commit the rows are handed to a
worker (`core.tasks.outbox_deliver`; in-process in the embedded mode), which runs the
subscriber in the transaction that marks its row done: a crash or error rolls both back and
the row is tried again (by the next dispatch or by the sweeper, `core.tasks.outbox_sweep`, which
beat runs every minute for rows left pending by a dead broker, a crash or a deploy).
Subscribers register in their AppConfig.ready():

    from core.events import subscribe
    subscribe("health.band_changed", handler)   # handler(**payload)

A subscriber's database writes are therefore exactly-once; anything it does outside the
database (a task sent, an HTTP call) must be harmless to repeat (it may be retried).

Known events (payloads are JSON-serialisable keyword arguments). The ones webhooks deliver
(health.band_changed, health.decay_alert, cta.opened, ledger.entry_appended) are defined, with
their payload schema and version, in core/event_catalog.py: add a webhook event there.
- `ledger.entry_appended`   account_id, entry_id, points, kind, source, balance_after
- `ledger.entries_appended` entries=[{account_id, entry_id, points, kind, source,
                            balance_after}, ...] (bulk appends: one event per batch; a
                            subscriber to single entries should subscribe to both)
- `interaction.logged`      account_id, interaction_id, category
- `account.inputs_changed`  account_ids (interactions, ledger, usage, surveys, subscriptions)
- `health.band_changed`     account_id, as_of, from_band, to_band, score
- `health.decay_alert`      account_id, as_of, from_status, to_status, decay_score
- `health.quadrant_changed`  account_id, as_of, from_quadrant, to_quadrant
- `health.alerts_raised`    alerts=[{event, account_id, as_of, ...the single event's payload},
                            ...] (a score run or rescore publishes its alerts as this one
                            event; a subscriber to the three above should subscribe to both)
- `health.run_completed`    run_id, as_of (after every nightly / on-demand run finishes)
- `cta.opened`              cta_id, account_id, rule, priority
- `ctas.opened`             ctas=[{cta_id, account_id, rule, priority}, ...] (many CTAs of
                            one rule opened at once; subscribe to both). A new CTA's owner is
                            the account's CSM: load the CTA by id for it.
- `cta.assigned`            cta_id, account_id, owner_id, previous_owner_id, assigned_by_id
                            (a live CTA handed to someone else, alone or in a bulk reassign;
                            not published when the owner does not change)
- `cta.mentioned`           cta_id, account_id, note_id, author_id, user_ids (the users a new
                            note @mentions, the author left out; each may see the CTA)
- `cta.closed`              cta_id, account_id, status, outcome, closed_by_id

Shared vocabularies (stored values):
- band: the scorecard's band key, by default "red" < 40 <= "yellow" < 70 <= "green"
- decay status: "stable" | "decaying" | "in_decay"
- quadrant: "success" (happy & profitable) | "happy_unprofitable" | "profitable_unhappy"
  (both are "work to keep") | "hard_look" (unhappy & unprofitable)
- outcome class: "successful" | "delighted_only" | "satisfied_only" | "not_yet"
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .retry import retry_backoff

logger = logging.getLogger(__name__)
_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def _names(event: str) -> list[tuple[str, Callable[..., None]]]:
    """(stable name, handler) for each subscriber of `event`; the name is what an outbox row
    stores, so it must survive a restart: module + qualified name (numbered if repeated)."""
    named, seen = [], defaultdict(int)
    for handler in list(_handlers.get(event, ())):
        base = getattr(handler, "outbox_name", None) or (
            f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
        )
        seen[base] += 1
        named.append((base if seen[base] == 1 else f"{base}#{seen[base]}", handler))
    return named


def handler_for(event: str, name: str) -> Callable[..., None] | None:
    return dict(_names(event)).get(name)


def _json(payload: dict) -> dict:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def publish(event: str, **payload) -> None:
    """Record `event` for every subscriber in the current transaction; deliver after commit."""
    from .models import OutboxMessage

    names = [name for name, _ in _names(event)]
    if not names:
        return
    body = _json(payload)
    with transaction.atomic(savepoint=False):  # the publisher's transaction, or its own
        rows = OutboxMessage.objects.bulk_create(
            [OutboxMessage(event=event, handler=name, payload=body) for name in names]
        )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: outbox_dispatch(ids))


def outbox_dispatch(ids: Iterable[int]) -> None:
    """Hand committed outbox rows to a worker. A broker that does not answer is logged, not
    raised: the rows stay pending and the sweeper sends them."""
    from .tasks import outbox_deliver

    ids = list(ids)
    if not ids:
        return
    try:
        outbox_deliver.delay(ids)
    except Exception as exc:  # the broker is down: the rows wait for the sweeper
        if getattr(outbox_deliver.app.conf, "task_always_eager", False):
            raise
        logger.warning("outbox: %d event(s) left for the sweeper (%s)", len(ids), exc)


def outbox_message_process(*, message_id: int) -> str:
    """Run one pending outbox row's subscriber in the transaction that marks it done.

    The row is locked (SKIP LOCKED), so two workers never run it at once; a row already done
    is skipped, so a duplicate dispatch changes nothing. A failing subscriber rolls back its
    own writes and the row is retried later with back-off (failed after OUTBOX_MAX_ATTEMPTS).
    Returns the row's status afterwards ("skipped" when it was not this call's to run)."""
    from .models import OutboxMessage, OutboxStatus

    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        handler = handler_for(message.event, message.handler)
        message.attempts += 1
        now = timezone.now()
        if handler is None:
            message.status, message.last_error = OutboxStatus.FAILED, "no such subscriber"
            logger.error("outbox: %s has no subscriber %s", message.event, message.handler)
        else:
            try:
                with transaction.atomic():
                    handler(**message.payload)
            except Exception as exc:
                logger.exception("outbox: %s → %s failed", message.event, message.handler)
                message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                    message.status = OutboxStatus.FAILED
                else:
                    message.available_at = now + retry_backoff(
                        message.attempts,
                        base_seconds=settings.OUTBOX_RETRY_BASE_SECONDS,
                        cap_seconds=3600,
                    )
            else:
                message.status, message.processed_at = OutboxStatus.DONE, now
                message.last_error = ""
        message.save(
            update_fields=["status", "attempts", "available_at", "processed_at", "last_error"]
        )
        return message.status


def outbox_messages_process(*, message_ids: Iterable[int]) -> dict[str, int]:
    """Process several rows, each in its own transaction; counts by resulting status."""
    counts: dict[str, int] = defaultdict(int)
    for message_id in message_ids:
        counts[outbox_message_process(message_id=message_id)] += 1
    return dict(counts)


def outbox_sweep() -> dict[str, int]:
    """Deliver outbox rows left pending past the grace period (their dispatch was lost, or a
    retry is due), oldest first, at most OUTBOX_SWEEP_BATCH per sweep."""
    from .models import OutboxMessage, OutboxStatus

    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(
            status=OutboxStatus.PENDING,
            available_at__lte=now,
            created_at__lte=now - timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS),
        )
        .order_by("available_at", "pk")
        .values_list("pk", flat=True)[: settings.OUTBOX_SWEEP_BATCH]
    )
    return outbox_messages_process(message_ids=ids)


def outbox_messages_purge() -> int:
    """Delete delivered outbox rows older than OUTBOX_RETENTION_DAYS (failed ones stay for an
    operator to read)."""
    from .models import OutboxMessage, OutboxStatus

    cutoff = timezone.now() - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxMessage.objects.filter(
        status=OutboxStatus.DONE, processed_at__lt=cutoff
    ).delete()
    return deleted
