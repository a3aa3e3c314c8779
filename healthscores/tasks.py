"""Celery tasks for health scoring: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task
from django.utils import timezone

from .models import RunTrigger, ScoreRunChunk

logger = logging.getLogger(__name__)


@shared_task(name="healthscores.tasks.nightly_score_run")
def nightly_score_run() -> int:
    """Start today's score run (beat); a second trigger for the same date joins the first."""
    from .services import score_run_start

    return score_run_start(as_of=timezone.localdate(), trigger=RunTrigger.NIGHTLY).pk


@shared_task(
    bind=True,
    name="healthscores.tasks.score_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=ScoreRunChunk.MAX_ATTEMPTS - 1,  # the first try plus these retries
    ignore_result=True,  # progress lives on the chunk row; nobody reads a task result
)
def score_chunk(self, chunk_id: int) -> None:
    """Score one chunk of a run; redelivery after a worker death recomputes the same upserts."""
    from .services import score_chunk_fail, score_chunk_process

    try:
        score_chunk_process(chunk_id=chunk_id)
    except Exception as exc:
        logger.exception("score chunk %s failed", chunk_id)
        final = self.request.retries >= self.max_retries or self.request.is_eager
        score_chunk_fail(chunk_id=chunk_id, error=repr(exc), final=final)
        if not final:
            raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="healthscores.tasks.sweep_score_runs")
def sweep_score_runs() -> list[int]:
    """Finish runs whose chunks a dead worker left behind (beat, every few minutes)."""
    from .services import score_run_sweep

    return score_run_sweep()


@shared_task(name="healthscores.tasks.rescore_accounts", acks_late=True)
def rescore_accounts(account_ids: list[int] | None = None) -> int:
    """Rescore the accounts queued since the last rescore (debounced), plus `account_ids`."""
    from .services import rescore_pending

    return rescore_pending(extra_ids=account_ids or ())


@shared_task(name="healthscores.tasks.score_backtest", acks_late=True, ignore_result=True)
def score_backtest(backtest_id: int) -> None:
    """Run one queued back-test; a failure is recorded on its row (no half report)."""
    from .services.backtest import score_backtest_process

    score_backtest_process(backtest_id=backtest_id)


@shared_task(name="healthscores.tasks.sweep_backtests")
def sweep_backtests() -> list[int]:
    """Fail back-tests whose worker died mid-run (beat, every few minutes)."""
    from .services.backtest import score_backtests_sweep

    return score_backtests_sweep()


@shared_task(name="healthscores.tasks.health_alerts_purge")
def health_alerts_purge_task() -> int:
    """Forget health alerts older than HEALTH_ALERT_RETENTION_DAYS."""
    from healthscores.services.persist import health_alerts_purge

    return health_alerts_purge()
