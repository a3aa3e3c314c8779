"""Celery tasks for integrations: sending webhook deliveries with exponential back-off."""

from celery import shared_task
from django.conf import settings

from core.services import idempotency_records_purge

from .models import WebhookDelivery
from .services import webhook_deliveries_purge, webhook_delivery_attempt, webhook_retry_delay


@shared_task(
    name="integrations.tasks.webhook_deliver", bind=True, max_retries=None, ignore_result=True
)
def webhook_deliver(self, delivery_id: int, attempt: int | None = None) -> str:
    """Send one delivery (attempt number `attempt`: a duplicate task is a no-op); a failed
    attempt re-queues itself after the back-off delay (the sweeper re-sends it if lost)."""
    if self.request.is_eager:
        # Eager mode (CELERY_TASK_ALWAYS_EAGER, as most tests run) has no worker to wait for a
        # countdown: retry inline, capped, so a request never stalls long on a dead receiver.
        cap = settings.WEBHOOK_EAGER_MAX_ATTEMPTS
        made, delivery = -1, None
        while delivery is None or (
            delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts > made
        ):
            made = delivery.attempts if delivery else -1
            delivery = webhook_delivery_attempt(delivery_id=delivery_id, max_attempts=cap)
        return delivery.status
    if attempt is None:  # a task queued before attempt numbers: this is the next one
        done = WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True)
        attempt = (done.first() or 0) + 1
    delivery = webhook_delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts == attempt:
        raise self.retry(
            args=(delivery_id,),
            kwargs={"attempt": delivery.attempts + 1},
            countdown=webhook_retry_delay(delivery.attempts),
            max_retries=None,
        )
    return delivery.status


@shared_task(name="integrations.tasks.idempotency_purge")
def idempotency_purge() -> int:
    """Forget idempotency records older than the 24-hour replay window."""
    return idempotency_records_purge()


@shared_task(name="integrations.tasks.webhook_deliveries_purge")
def webhook_deliveries_purge_task() -> int:
    """Forget finished webhook deliveries past WEBHOOK_DELIVERY_RETENTION_DAYS."""
    return webhook_deliveries_purge()
