"""Celery tasks for the event outbox: deliver committed events, sweep up the ones left behind."""

from collections.abc import Callable

from celery import shared_task

from .events import outbox_messages_process, outbox_messages_purge, outbox_sweep


@shared_task(name="core.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(message_ids: list[int]) -> dict:
    """Run the subscribers of committed outbox rows (a row already done is skipped)."""
    return outbox_messages_process(message_ids=message_ids)


# Apps above core that keep their own queue of outgoing work (integrations: webhook deliveries)
# register a sweeper here in their AppConfig.ready(); core never imports them.
_sweepers: dict[str, Callable[[], object]] = {}


def sweeper_register(name: str, sweep: Callable[[], object]) -> None:
    """Run `sweep` with the outbox sweep every minute; its result is reported under `name`."""
    _sweepers[name] = sweep


@shared_task(name="core.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep_task() -> dict:
    """Beat, every minute: deliver outbox rows whose dispatch was lost or whose retry is due,
    and run the registered sweepers (webhook deliveries left pending the same way)."""
    return {**outbox_sweep(), **{name: sweep() for name, sweep in _sweepers.items()}}


@shared_task(name="core.tasks.outbox_purge")
def outbox_purge() -> int:
    """Forget delivered outbox rows older than OUTBOX_RETENTION_DAYS."""
    return outbox_messages_purge()
