"""Debounced between-night rescoring: a burst of input changes becomes one rescore task.

Each `account.inputs_changed` event stores its ids as a numbered batch in the cache; the first
event of a burst schedules one `rescore_accounts` task with a short countdown; the task drains
every batch queued so far and rescores those accounts once.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .runs import health_rescore_accounts

SEQ_KEY = "health:rescore:seq"
DONE_KEY = "health:rescore:done"
SCHEDULED_KEY = "health:rescore:scheduled"
BATCH_KEY = "health:rescore:batch:{}"
BATCH_TTL = 6 * 3600
IN_FLIGHT = 5  # the newest batch numbers may still be being written by their publisher


def rescore_queue(*, account_ids) -> bool:
    """Queue accounts for rescoring; returns True when this call scheduled the task."""
    ids = sorted({int(i) for i in account_ids or ()})
    if not ids:
        return False
    cache.add(SEQ_KEY, 0, timeout=None)
    number = cache.incr(SEQ_KEY)
    cache.set(BATCH_KEY.format(number), ids, timeout=BATCH_TTL)
    delay = int(settings.HEALTH_RESCORE_DELAY_SECONDS)
    if not cache.add(SCHEDULED_KEY, number, timeout=delay + 300):
        return False
    from healthscores.tasks import rescore_accounts

    rescore_accounts.apply_async(countdown=delay)
    return True


def rescore_drain() -> list[int]:
    """Take every queued account id (the scheduled flag is cleared first, so an event arriving
    while we drain schedules the next task instead of being lost)."""
    cache.delete(SCHEDULED_KEY)
    seq = cache.get(SEQ_KEY) or 0
    done = cache.get(DONE_KEY) or 0
    if done > seq:  # the counter was evicted; start over
        done = 0
    keys = [BATCH_KEY.format(n) for n in range(done + 1, seq + 1)]
    batches = cache.get_many(keys) if keys else {}
    ids: set[int] = set()
    consumed = done
    for n in range(done + 1, seq + 1):
        batch = batches.get(BATCH_KEY.format(n))
        if batch is None:
            if n > seq - IN_FLIGHT:
                break  # probably still being written: leave it to the next task
            consumed = n  # expired: skip it
            continue
        ids.update(batch)
        consumed = n
    cache.set(DONE_KEY, consumed, timeout=None)
    cache.delete_many([BATCH_KEY.format(n) for n in range(done + 1, consumed + 1)])
    return sorted(ids)


def rescore_pending(*, extra_ids=()) -> int:
    """Rescore today's health of every queued account (plus `extra_ids`)."""
    ids = set(rescore_drain()) | {int(i) for i in extra_ids or ()}
    if not ids:
        return 0
    return health_rescore_accounts(account_ids=ids, as_of=timezone.localdate())


def on_inputs_changed(*, account_ids=(), **_) -> None:
    """`account.inputs_changed` handler (registered in HealthscoresConfig.ready)."""
    rescore_queue(account_ids=account_ids)
