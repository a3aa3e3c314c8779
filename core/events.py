"""A tiny in-process domain-event bus, so apps react to each other without importing each other.

Publishers call `publish("health.band_changed", account_id=..., ...)` (inside the writing
transaction is fine: handlers run after commit). Subscribers register in their AppConfig.ready():

    from core.events import subscribe
    subscribe("health.band_changed", handler)   # handler(**payload)

Known events (payloads are JSON-serialisable keyword arguments):
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
                            one rule opened at once; subscribe to both)

Shared vocabularies (stored values):
- band: the scorecard's band key, by default "red" < 40 <= "yellow" < 70 <= "green"
- decay status: "stable" | "decaying" | "in_decay"
- quadrant: "success" (happy & profitable) | "happy_unprofitable" | "profitable_unhappy"
  (both are "work to keep") | "hard_look" (unhappy & unprofitable)
- outcome class: "successful" | "delighted_only" | "satisfied_only" | "not_yet"
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)
_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, **payload) -> None:
    """Call every handler of `event` once the current transaction commits (now if none)."""

    def dispatch() -> None:
        for handler in list(_handlers.get(event, ())):
            try:
                handler(**payload)
            except Exception:
                # One subscriber's failure must not undo the publisher's committed work.
                logger.exception("event handler %r failed for %s", handler, event)

    transaction.on_commit(dispatch)
