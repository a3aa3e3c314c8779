"""Celery tasks of the notifications app (thin: each calls one service)."""

from celery import shared_task
from django.utils import timezone

from .services import ctas_overdue_notify, digests_record, notification_emails_send


@shared_task(name="notifications.tasks.emails_send", ignore_result=True)
def notification_emails_send_task() -> dict:
    """Send the notification e-mails that are due (queued after a notification commits; the
    minute sweep runs it too, for e-mails held through quiet hours or waiting for a retry)."""
    return notification_emails_send()


@shared_task(name="notifications.tasks.ctas_overdue_notify", ignore_result=True)
def ctas_overdue_notify_task() -> int:
    """Beat, hourly: tell owners about CTAs that passed their due date (once per CTA and date)."""
    return ctas_overdue_notify(today=timezone.localdate())


@shared_task(name="notifications.tasks.digests_record", ignore_result=True)
def digests_record_task() -> int:
    """Beat, hourly: record (and so send) the daily and weekly digests that are due."""
    return digests_record()
