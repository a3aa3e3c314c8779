"""Celery tasks of the dashboards app (thin: each calls one service)."""

from celery import shared_task

from .services import scorecard_shares_purge


@shared_task(name="dashboards.tasks.scorecard_shares_purge")
def scorecard_shares_purge_task() -> int:
    """Forget scorecard share links expired or revoked past SHARE_LINK_RETENTION_DAYS."""
    return scorecard_shares_purge()
