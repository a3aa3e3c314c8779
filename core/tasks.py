"""Celery tasks for the event outbox: deliver committed events, sweep up the ones left behind."""

from celery import shared_task

from .events import outbox_messages_process, outbox_messages_purge, outbox_sweep


@shared_task(name="core.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(message_ids: list[int]) -> dict:
    """Run the subscribers of committed outbox rows (a row already done is skipped)."""
    return outbox_messages_process(message_ids=message_ids)


@shared_task(name="core.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep_task() -> dict:
    """Beat, every minute: deliver outbox rows whose dispatch was lost or whose retry is due,
    and re-send webhook deliveries left pending the same way."""
    from integrations.services import webhook_deliveries_sweep

    return {**outbox_sweep(), "webhooks": webhook_deliveries_sweep()}


@shared_task(name="core.tasks.outbox_purge")
def outbox_purge() -> int:
    """Forget delivered outbox rows older than OUTBOX_RETENTION_DAYS."""
    return outbox_messages_purge()
