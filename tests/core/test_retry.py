"""One back-off for every retried delivery (outbox events, webhooks, notification e-mails)."""

from datetime import timedelta

from core.retry import retry_backoff


def test_each_retry_waits_twice_as_long_as_the_last_up_to_its_ceiling():
    waits = [retry_backoff(n, base_seconds=30, cap_seconds=200) for n in (1, 2, 3, 4, 5)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 200, 200)]


def test_webhook_retries_wait_by_it_for_at_most_six_hours(settings):
    from integrations.services import webhook_retry_delay

    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [webhook_retry_delay(n) for n in (1, 2, 3, 20)] == [30, 60, 120, 6 * 3600]
