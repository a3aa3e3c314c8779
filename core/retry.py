"""The one back-off every retried delivery waits by: outbox events (core.events), webhook
deliveries (integrations) and notification e-mails (notifications). Each names its own first
wait, ceiling and attempt limit in settings; the shape of the wait is this."""

from datetime import timedelta


def retry_backoff(attempt: int, *, base_seconds: int, cap_seconds: int) -> timedelta:
    """The wait before retry number `attempt` (1-based): base, 2 × base, 4 × base, … capped."""
    return timedelta(seconds=min(base_seconds * 2 ** (max(attempt, 1) - 1), cap_seconds))
