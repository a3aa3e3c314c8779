"""The nightly run survives what production throws at it: a worker killed with SIGKILL in the
middle of a run, Redis restarted mid-run, and beat firing twice."""

import time
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account
from healthscores.models import ChunkStatus, HealthSnapshot, RunStatus, ScoreRun, ScoreRunChunk
from healthscores.services import score_run_start
from tests import factories

from .conftest import slow_fault

pytestmark = [pytest.mark.services]


def _customers(n: int) -> list[int]:
    owner = factories.UserFactory()
    accounts = Account.objects.bulk_create(
        factories.AccountFactory.build(owner=owner) for _ in range(n)
    )
    return [a.pk for a in accounts]


def _dispatch(run: ScoreRun, broker_url: str) -> None:
    """Send the run's chunks to `broker_url` (what score_run_start does after commit)."""
    from csplatform.celery import app
    from healthscores.tasks import score_chunk

    with app.connection_for_write(broker_url) as conn:
        for chunk_id in run.chunks.order_by("lo_id").values_list("pk", flat=True):
            score_chunk.apply_async((chunk_id,), connection=conn)


def _sweep(broker_url: str) -> None:
    """What beat does every few minutes: send the sweeper task to the workers."""
    from csplatform.celery import app
    from healthscores.tasks import sweep_score_runs

    with app.connection_for_write(broker_url) as conn:
        sweep_score_runs.apply_async(connection=conn)


def _finish(run: ScoreRun, broker_url: str) -> str:
    """Wait for the run to finish by redelivery alone; if a chunk the dead worker held is
    still out after the queue drained, let beat's sweeper (on a real worker) finish it.
    Returns which path finished the run."""
    if _wait(lambda: ScoreRun.objects.get(pk=run.pk).is_finished, 45):
        return "redelivery"
    _sweep(broker_url)
    if _wait(lambda: ScoreRun.objects.get(pk=run.pk).is_finished, 60):
        return "sweeper"
    done = run.chunks.filter(status=ChunkStatus.DONE).count()
    raise AssertionError(f"run not finished: {done}/{run.chunks_total} chunks done")


def _wait(predicate, seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def _assert_everyone_scored_once(run: ScoreRun, account_ids: list[int]) -> None:
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, (run.status, run.failures)
    snapshots = HealthSnapshot.objects.filter(as_of=run.as_of)
    assert snapshots.count() == len(account_ids)
    assert set(snapshots.values_list("account_id", flat=True)) == set(account_ids)
    assert not snapshots.values("account_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert run.scored_accounts == len(account_ids)
    assert ScoreRun.objects.filter(as_of=run.as_of).count() == 1


def test_a_second_beat_trigger_for_the_same_night_joins_the_first_run(celery_worker):
    """GIVEN 12 customers WHEN beat's nightly task is delivered twice at once to real workers
    THEN there is one run for the night, and it scores every account once."""
    from healthscores.tasks import nightly_score_run

    ids = _customers(12)
    first, second = nightly_score_run.delay(), nightly_score_run.delay()
    assert first.get(timeout=60) == second.get(timeout=60)
    run = ScoreRun.objects.get()
    assert _wait(lambda: ScoreRun.objects.get(pk=run.pk).is_finished, 90)
    _assert_everyone_scored_once(run, ids)


@slow_fault
def test_a_worker_killed_with_sigkill_mid_run_loses_no_account(private_redis, workers_on, settings):
    """GIVEN a run of 240 customers in 80 chunks on one worker WHEN that worker and its pool
    are killed with SIGKILL after a few chunks and a new worker starts THEN the queued chunks
    go to the new worker, a chunk the dead one held is redelivered or finished by beat's
    sweeper, and the run completes with every account scored exactly once."""
    settings.SCORE_CHUNK_SIZE = 3
    ids = _customers(240)
    workers = workers_on(private_redis.url)
    doomed = workers.start("doomed")
    run = score_run_start(as_of=timezone.localdate(), trigger="nightly", dispatch=False)
    _dispatch(run, private_redis.url)
    done = ScoreRunChunk.objects.filter(run=run, status=ChunkStatus.DONE)
    assert _wait(lambda: done.count() >= 3, 90, step=0.05), "the worker scored nothing"
    workers.kill9(doomed)
    killed_at_done = done.count()
    assert killed_at_done < run.chunks_total, "the run finished before the kill; use more chunks"

    workers.start("rescuer")
    _finish(run, private_redis.url)
    _assert_everyone_scored_once(run, ids)


@slow_fault
def test_redis_stopped_and_restarted_mid_run_the_run_still_completes(
    private_redis, workers_on, settings
):
    """GIVEN a run of 240 customers in 80 chunks queued on Redis WHEN Redis stops after a few
    chunks and comes back 3 seconds later THEN the worker reconnects, the queued and
    in-flight chunks are delivered, and the run completes with every account scored once."""
    settings.SCORE_CHUNK_SIZE = 3
    ids = _customers(240)
    workers = workers_on(private_redis.url)
    workers.start("steady")
    run = score_run_start(as_of=timezone.localdate(), trigger="nightly", dispatch=False)
    _dispatch(run, private_redis.url)
    done = ScoreRunChunk.objects.filter(run=run, status=ChunkStatus.DONE)
    assert _wait(lambda: done.count() >= 3, 90, step=0.05), "the worker scored nothing"
    private_redis.stop()
    stopped_at_done = done.count()
    time.sleep(3)
    private_redis.start()

    _finish(run, private_redis.url)
    assert stopped_at_done < run.chunks_total
    _assert_everyone_scored_once(run, ids)


def test_the_sweeper_finishes_a_run_whose_chunks_were_never_delivered(transactional_db, settings):
    """GIVEN a run whose chunk messages were lost (say, Redis lost its data) WHEN the
    sweeper runs after the stale period THEN it scores every chunk and completes the run."""
    from healthscores.services import score_run_sweep

    settings.SCORE_CHUNK_SIZE = 5
    ids = _customers(23)
    run = score_run_start(as_of=timezone.localdate(), trigger="nightly", dispatch=False)
    assert score_run_sweep(stale_after=timedelta(hours=1)) == []
    assert score_run_sweep(stale_after=timedelta(0)) == [run.pk]
    _assert_everyone_scored_once(run, ids)
