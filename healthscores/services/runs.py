"""The score run: start (idempotent per date), fan out chunks, score a chunk, finalise once,
sweep what a dead worker left behind, and score a handful of accounts between nights."""

import gc
import logging
from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core.events import publish
from healthscores.models import (
    ChunkStatus,
    HealthAlert,
    HealthSnapshot,
    RunStatus,
    RunTrigger,
    ScoreRun,
    ScoreRunChunk,
)
from scorecards.selectors import published_scorecards

from .compute import health_compute
from .inputs import AccountBlock, scorable_accounts
from .persist import accounts_current_update, alerts_create, alerts_publish, snapshots_upsert

logger = logging.getLogger(__name__)


@contextmanager
def _gc_paused():
    """A block allocates some 100,000 short-lived dicts and lists, all freed by reference
    counting; meanwhile the cyclic collector would walk the worker's whole heap again and
    again (measured: about a tenth of a chunk's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def health_score_block(
    *, block: AccountBlock, as_of: date, run_id: int | None, raise_alerts: bool, scorecards=None
) -> tuple[int, list[HealthAlert]]:
    """Compute and store one block's snapshots, account fields and alerts (one transaction)."""
    with _gc_paused(), transaction.atomic():
        results = health_compute(block=block, as_of=as_of, scorecards=scorecards)
        written = snapshots_upsert(results=results, run_id=run_id)
        accounts_current_update(results=results)
        alerts = alerts_create(results=results, as_of=as_of) if raise_alerts else []
    return written, alerts


def snapshot_statistics_refresh() -> bool:
    """ANALYZE the snapshot table when a tenth of it changed since its last ANALYZE (the rule
    autovacuum follows), before a run plans its per-account lookups. With statistics that
    have not seen yesterday's 100,000 new rows, PostgreSQL estimates "the snapshot before
    as_of" at zero rows and probes the (as_of, band) index once per account, turning 0.1 s
    into minutes per chunk; a back-dated history rebuild, or a server without autovacuum,
    gets there every night. Returns whether it analysed."""
    table = HealthSnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.n_mod_since_analyze, GREATEST(c.reltuples, 0) FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
            [table],
        )
        row = cursor.fetchone()
        if row is None or row[0] <= 50 + 0.1 * row[1]:
            return False
    # From a small sample: dates and account ids are evenly spread, and the default sample of
    # a large table costs seconds of random reads.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL default_statistics_target = 10")
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def _chunk_plan(as_of: date, size: int) -> list[tuple[int, int, int]]:
    ids = list(scorable_accounts(as_of).order_by("id").values_list("id", flat=True))
    return [
        (ids[i], ids[min(i + size, len(ids)) - 1], min(size, len(ids) - i))
        for i in range(0, len(ids), size)
    ]


def _dispatch(chunk_ids: list[int]) -> None:
    from healthscores.tasks import score_chunk

    for chunk_id in chunk_ids:
        score_chunk.delay(chunk_id)


def score_run_start(
    *,
    as_of: date,
    trigger: str = RunTrigger.NIGHTLY,
    requested_by=None,
    force: bool = False,
    dispatch: bool = True,
) -> ScoreRun:
    """Start the run for `as_of`, or return the existing one (a second trigger does nothing new).

    `force` starts a fresh run when the date's last run has finished (the "Recompute now"
    button); chunks go to Celery after commit unless `dispatch` is False (in-process callers).
    """
    existing = ScoreRun.objects.filter(as_of=as_of).order_by("-id").first()
    if existing is not None and (not force or not existing.is_finished):
        return existing
    size = max(1, int(settings.SCORE_CHUNK_SIZE))
    snapshot_statistics_refresh()
    try:
        with transaction.atomic():
            run = ScoreRun.objects.create(as_of=as_of, trigger=trigger, requested_by=requested_by)
            plan = _chunk_plan(as_of, size)
            chunks = ScoreRunChunk.objects.bulk_create(
                ScoreRunChunk(run=run, lo_id=lo, hi_id=hi, expected_accounts=n)
                for lo, hi, n in plan
            )
            run.total_accounts = sum(n for _, _, n in plan)
            run.chunks_total = len(chunks)
            run.save(update_fields=["total_accounts", "chunks_total"])
            if dispatch and chunks:
                chunk_ids = list(
                    ScoreRunChunk.objects.filter(run=run)
                    .order_by("lo_id")
                    .values_list("pk", flat=True)
                )
                transaction.on_commit(lambda: _dispatch(chunk_ids))
    except IntegrityError:
        # Another trigger won the race for this date: join its run.
        return ScoreRun.objects.get(as_of=as_of, status=RunStatus.RUNNING)
    if not plan:
        score_run_finalise(run_id=run.pk)
        run.refresh_from_db()
    return run


def score_chunk_process(*, chunk_id: int) -> int:
    """Score one chunk; safe to call again for the same chunk (the upserts are idempotent)."""
    chunk = ScoreRunChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    if chunk.status != ChunkStatus.DONE and not run.is_finished:
        with transaction.atomic():
            _commit_without_waiting_for_the_disk()
            ScoreRunChunk.objects.filter(pk=chunk_id).update(
                status=ChunkStatus.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
            )
        # The block and its "done" mark commit together: a chunk is done exactly when its
        # snapshots are stored.
        with transaction.atomic():
            _commit_without_waiting_for_the_disk()
            written, _ = health_score_block(
                block=AccountBlock(lo=chunk.lo_id, hi=chunk.hi_id),
                as_of=run.as_of,
                run_id=run.pk,
                raise_alerts=run.trigger != RunTrigger.BACKFILL,
            )
            ScoreRunChunk.objects.filter(pk=chunk_id).update(
                status=ChunkStatus.DONE,
                scored_accounts=written,
                finished_at=timezone.now(),
                error="",
            )
    score_run_finalise(run_id=run.pk)
    return chunk.run_id


def _commit_without_waiting_for_the_disk() -> None:
    """Let this transaction's COMMIT return before its WAL reaches the disk (PostgreSQL's
    `synchronous_commit = off` for this transaction only). Safe for a chunk: the database never
    keeps part of a transaction, and it recovers commits in order, so a server crash can lose
    only the last few chunks whole, "done" mark included; they are still `running`, and the
    sweeper scores them again. A chunk no longer waits for a disk flush it does not need."""
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def score_chunk_fail(*, chunk_id: int, error: str, final: bool) -> None:
    """Record a chunk failure on the run; a final failure marks the chunk failed and lets the
    run finish (with status partial) instead of waiting forever."""
    with transaction.atomic():
        chunk = ScoreRunChunk.objects.select_for_update().get(pk=chunk_id)
        run = ScoreRun.objects.select_for_update().get(pk=chunk.run_id)
        run.failures = [
            *run.failures,
            {
                "chunk": chunk.pk,
                "lo": chunk.lo_id,
                "hi": chunk.hi_id,
                "attempt": chunk.attempts,
                "error": error[:500],
                "at": timezone.now().isoformat(timespec="seconds"),
            },
        ][-200:]
        run.save(update_fields=["failures"])
        chunk.error = error[:2000]
        chunk.status = ChunkStatus.FAILED if final else ChunkStatus.PENDING
        chunk.save(update_fields=["error", "status"])
    if final:
        score_run_finalise(run_id=chunk.run_id)


def _score_missing_accounts(run: ScoreRun) -> int:
    """Score every scorable account that has no snapshot for the run's date (e.g. created after
    the chunks were planned, or skipped by a chunk that was lost)."""
    scored = HealthSnapshot.objects.filter(as_of=run.as_of).values("account_id")
    missing = list(
        scorable_accounts(run.as_of)
        .exclude(pk__in=scored)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = max(1, int(settings.SCORE_CHUNK_SIZE))
    scorecards = published_scorecards() if missing else None
    for start in range(0, len(missing), size):
        health_score_block(
            block=AccountBlock(ids=tuple(missing[start : start + size])),
            as_of=run.as_of,
            run_id=run.pk,
            raise_alerts=run.trigger != RunTrigger.BACKFILL,
            scorecards=scorecards,
        )
    return len(missing)


def score_run_finalise(*, run_id: int) -> bool:
    """Finish the run once every chunk is done or failed: score stragglers, publish the alerts
    and `health.run_completed`. Exactly once, whoever calls it last (row lock on the run)."""
    open_statuses = [ChunkStatus.PENDING, ChunkStatus.RUNNING]
    if ScoreRunChunk.objects.filter(run_id=run_id, status__in=open_statuses).exists():
        # Not the last chunk: no need to lock the run row (and commit that lock) to know.
        # Each chunk commits its "done" mark before it looks, so the last one sees them all.
        return False
    with transaction.atomic():
        run = ScoreRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return False
        if run.chunks.filter(status__in=open_statuses).exists():
            return False
        failed = run.chunks.filter(status=ChunkStatus.FAILED).aggregate(
            chunks=Count("pk"), accounts=Sum("expected_accounts")
        )
        if not failed["chunks"]:
            _score_missing_accounts(run)
        run.scored_accounts = HealthSnapshot.objects.filter(as_of=run.as_of, run=run).count()
        run.failed_accounts = failed["accounts"] or 0
        if failed["chunks"]:
            run.status = RunStatus.FAILED if run.scored_accounts == 0 else RunStatus.PARTIAL
        else:
            run.status = RunStatus.COMPLETED
        alerts = list(HealthAlert.objects.filter(as_of=run.as_of, published_at__isnull=True))
        run.alerts_raised = alerts_publish(alerts=alerts)
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "scored_accounts",
                "failed_accounts",
                "status",
                "alerts_raised",
                "finished_at",
            ]
        )
        publish("health.run_completed", run_id=run.pk, as_of=run.as_of.isoformat())
    logger.info("score run %s for %s finished: %s", run.pk, run.as_of, run.status)
    return True


def score_run_sweep(*, stale_after: timedelta | None = None) -> list[int]:
    """Finish unfinished runs: re-score chunks left pending or running longer than
    `stale_after` (their worker died), retry failed ones, then finalise. Returns run ids."""
    stale_after = (
        stale_after
        if stale_after is not None
        else timedelta(seconds=settings.SCORE_CHUNK_STALE_SECONDS)
    )
    cutoff = timezone.now() - stale_after
    finished = []
    for run in ScoreRun.objects.filter(status=RunStatus.RUNNING).order_by("pk"):
        stale = run.chunks.filter(
            Q(status=ChunkStatus.RUNNING, started_at__lte=cutoff)
            | Q(status__in=[ChunkStatus.PENDING, ChunkStatus.RUNNING], started_at__isnull=True)
            & Q(run__started_at__lte=cutoff)
            | Q(status=ChunkStatus.PENDING, started_at__lte=cutoff)
        ).order_by("lo_id")
        for chunk in stale:
            try:
                score_chunk_process(chunk_id=chunk.pk)
            except Exception as exc:
                logger.exception("sweeper could not score chunk %s", chunk.pk)
                score_chunk_fail(
                    chunk_id=chunk.pk,
                    error=repr(exc),
                    final=chunk.attempts + 1 >= ScoreRunChunk.MAX_ATTEMPTS,
                )
        if score_run_finalise(run_id=run.pk) or ScoreRun.objects.get(pk=run.pk).is_finished:
            finished.append(run.pk)
    return finished


def score_run_in_process(
    *, as_of: date, trigger: str, requested_by=None, progress=None, force=True
) -> ScoreRun:
    """Run a whole score run in this process (`recompute_scores`, the demo history)."""
    run = score_run_start(
        as_of=as_of, trigger=trigger, requested_by=requested_by, force=force, dispatch=False
    )
    for chunk_id in (
        run.chunks.exclude(status=ChunkStatus.DONE).order_by("lo_id").values_list("pk", flat=True)
    ):
        try:
            score_chunk_process(chunk_id=chunk_id)
        except Exception as exc:
            logger.exception("chunk %s failed", chunk_id)
            score_chunk_fail(chunk_id=chunk_id, error=repr(exc), final=True)
        if progress is not None:
            progress.advance()
    score_run_finalise(run_id=run.pk)
    run.refresh_from_db()
    return run


def health_rescore_accounts(*, account_ids, as_of: date | None = None) -> int:
    """Rescore a few accounts now (between nightly runs): today's snapshot, the account's
    current fields, why-changed, and alerts published straight away."""
    as_of = as_of or timezone.localdate()
    ids = sorted({int(i) for i in account_ids})
    if not ids:
        return 0
    size = max(1, int(settings.SCORE_CHUNK_SIZE))
    scorecards = published_scorecards()
    total = 0
    for start in range(0, len(ids), size):
        block_ids = ids[start : start + size]
        with transaction.atomic():
            written, created = health_score_block(
                block=AccountBlock(ids=tuple(block_ids)),
                as_of=as_of,
                run_id=None,
                raise_alerts=True,
                scorecards=scorecards,
            )
            if created:
                alerts_publish(
                    alerts=HealthAlert.objects.filter(
                        as_of=as_of, account_id__in=block_ids, published_at__isnull=True
                    )
                )
        total += written
    return total
