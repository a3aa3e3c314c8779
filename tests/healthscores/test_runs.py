"""The score run: idempotent per date, back-dated, recoverable after a worker dies."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from accounts.models import Account, Stage
from core import events
from healthscores.models import (
    ChunkStatus,
    HealthAlert,
    HealthSnapshot,
    RunStatus,
    ScoreRun,
    ScoreRunChunk,
)
from healthscores.services import (
    health_rescore_accounts,
    score_chunk_process,
    score_run_finalise,
    score_run_start,
    score_run_sweep,
)
from tests import factories

from .conftest import AS_OF, add_interactions, add_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(db, settings):
    """Seven customers with some history, one prospect and one account churned long ago."""
    settings.SCORE_CHUNK_SIZE = 3
    accounts = [
        factories.AccountFactory(
            owner=None, contract_start=AS_OF - timedelta(days=300), icp_fit=20 + 10 * i
        )
        for i in range(7)
    ]
    for i, account in enumerate(accounts):
        add_ledger(account, [(AS_OF - timedelta(days=50), 10 + i), (AS_OF - timedelta(days=5), 3)])
        add_interactions(account, [(AS_OF - timedelta(days=4 + i), "value_adding")])
    factories.AccountFactory(owner=None, stage=Stage.PROSPECT, contract_start=None)
    factories.AccountFactory(owner=None, stage=Stage.CHURNED, churned_on=AS_OF - timedelta(days=10))
    return accounts


@pytest.fixture
def published_events():
    seen = []

    def recorder(event):
        def handler(**payload):
            seen.append((event, payload))

        return handler

    handlers = {e: recorder(e) for e in ("health.run_completed", "health.alerts_raised")}
    for event, handler in handlers.items():
        events.subscribe(event, handler)
    yield seen
    for event, handler in handlers.items():
        events._handlers[event].remove(handler)


def snapshot_table(as_of=AS_OF):
    return sorted(
        HealthSnapshot.objects.filter(as_of=as_of).values_list(
            "account_id", "overall", "band", "decay_score", "quadrant"
        )
    )


def run_now(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_start(as_of=kwargs.pop("as_of", AS_OF), **kwargs)
    run.refresh_from_db()
    return run


def test_a_run_scores_every_customer_once_in_chunks(portfolio, django_capture_on_commit_callbacks):
    run = run_now(django_capture_on_commit_callbacks, trigger="manual")
    assert run.status == RunStatus.COMPLETED
    assert (run.total_accounts, run.scored_accounts, run.chunks_total) == (7, 7, 3)
    assert snapshot_table() and {row[0] for row in snapshot_table()} == {a.pk for a in portfolio}
    first = Account.objects.get(pk=portfolio[0].pk)
    assert first.health_as_of == AS_OF and first.health_score is not None


def test_a_second_trigger_for_the_same_date_returns_the_same_run(
    portfolio, django_capture_on_commit_callbacks
):
    first = run_now(django_capture_on_commit_callbacks, trigger="nightly")
    second = run_now(django_capture_on_commit_callbacks, trigger="nightly")
    assert second.pk == first.pk
    assert ScoreRun.objects.count() == 1


def test_running_twice_gives_the_same_scores_and_no_duplicates(
    portfolio, django_capture_on_commit_callbacks
):
    """GIVEN a finished run WHEN an admin forces a recompute of the same date
    THEN the snapshots are the same rows with the same values."""
    run_now(django_capture_on_commit_callbacks, trigger="manual")
    before = snapshot_table()
    ids_before = set(HealthSnapshot.objects.values_list("pk", flat=True))
    rerun = run_now(django_capture_on_commit_callbacks, trigger="manual", force=True)
    assert rerun.status == RunStatus.COMPLETED and rerun.scored_accounts == 7
    assert snapshot_table() == before
    assert set(HealthSnapshot.objects.values_list("pk", flat=True)) == ids_before
    dupes = HealthSnapshot.objects.values("account_id", "as_of").annotate(n=Count("pk"))
    assert max(d["n"] for d in dupes) == 1


def test_a_back_dated_run_ignores_events_after_its_date(
    portfolio, django_capture_on_commit_callbacks
):
    """GIVEN a snapshot computed for a past date WHEN escalations and chutes dated later are
    recorded and history is rebuilt for that date THEN the rebuilt snapshot is unchanged."""
    past = AS_OF - timedelta(days=3)
    run_now(django_capture_on_commit_callbacks, as_of=past, trigger="backfill")
    before = snapshot_table(past)
    for account in portfolio:
        add_ledger(account, [(AS_OF - timedelta(days=1), -40)])
        add_interactions(account, [(AS_OF - timedelta(days=1), "escalation")] * 3)
    run_now(django_capture_on_commit_callbacks, as_of=past, trigger="backfill", force=True)
    assert snapshot_table(past) == before
    run_now(django_capture_on_commit_callbacks, trigger="manual")
    today = {row[0]: row[3] for row in snapshot_table()}
    assert all(today[acc] > decay for acc, _, _, decay, _ in before)


def test_a_redelivered_chunk_rewrites_the_same_rows_and_finalises_once(
    portfolio, published_events, django_capture_on_commit_callbacks
):
    """GIVEN a run whose chunks ran WHEN the broker redelivers one chunk (its worker died
    after writing) THEN nothing is duplicated and run_completed was published once."""
    run = score_run_start(as_of=AS_OF, trigger="nightly", dispatch=False)
    chunk_ids = list(run.chunks.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        for chunk_id in chunk_ids:
            score_chunk_process(chunk_id=chunk_id)
        # Redelivery of a chunk that was mid-flight: it shows "running" again.
        ScoreRunChunk.objects.filter(pk=chunk_ids[0]).update(status=ChunkStatus.RUNNING)
        score_chunk_process(chunk_id=chunk_ids[0])
        score_run_finalise(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.scored_accounts == 7
    assert HealthSnapshot.objects.filter(as_of=AS_OF).count() == 7
    assert [e for e, _ in published_events].count("health.run_completed") == 1


def test_the_sweeper_finishes_chunks_a_dead_worker_left_behind(portfolio):
    """GIVEN a run where one chunk finished, one died mid-way and one was never picked up
    WHEN the sweeper runs THEN every customer has exactly one snapshot and the run completes."""
    run = score_run_start(as_of=AS_OF, trigger="nightly", dispatch=False)
    first, second, _third = run.chunks.order_by("lo_id")
    score_chunk_process(chunk_id=first.pk)
    ScoreRunChunk.objects.filter(pk=second.pk).update(status=ChunkStatus.RUNNING, attempts=1)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert score_run_sweep(stale_after=timedelta(0)) == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert run.scored_accounts == 7
    assert sorted(
        HealthSnapshot.objects.filter(as_of=AS_OF).values_list("account_id", flat=True)
    ) == sorted(a.pk for a in portfolio)


def test_accounts_created_after_the_chunks_were_planned_are_still_scored(portfolio):
    run = score_run_start(as_of=AS_OF, trigger="nightly", dispatch=False)
    late = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=30))
    for chunk_id in run.chunks.values_list("pk", flat=True):
        score_chunk_process(chunk_id=chunk_id)
    run.refresh_from_db()
    assert run.scored_accounts == 8
    assert HealthSnapshot.objects.filter(account=late, as_of=AS_OF).exists()


def test_a_chunk_that_keeps_failing_is_recorded_and_the_run_ends_partial(
    portfolio, monkeypatch, django_capture_on_commit_callbacks
):
    from healthscores.services import runs

    real = runs.health_compute

    def flaky(*, block, **kwargs):
        if block.lo == portfolio[0].pk:
            raise RuntimeError("database went away")
        return real(block=block, **kwargs)

    monkeypatch.setattr(runs, "health_compute", flaky)
    run = run_now(django_capture_on_commit_callbacks, trigger="manual")
    assert run.status == RunStatus.PARTIAL
    assert run.failed_accounts == 3 and run.scored_accounts == 4
    assert "database went away" in run.failures[0]["error"]


def test_a_band_drop_raises_one_alert_and_one_event(
    account_pair, published_events, django_capture_on_commit_callbacks
):
    """GIVEN a green account yesterday WHEN its data turns bad today and it is rescored twice
    THEN one band-drop alert exists and one band_changed reaches the subscribers, in the one
    batched event the rescore publishes."""
    account = account_pair
    health_rescore_accounts(account_ids=[account.pk], as_of=AS_OF - timedelta(days=1))
    account.icp_fit = 0
    account.save()
    add_ledger(account, [(AS_OF, -200)])
    add_interactions(account, [(AS_OF, "escalation")] * 5)
    with django_capture_on_commit_callbacks(execute=True):
        health_rescore_accounts(account_ids=[account.pk], as_of=AS_OF)
        health_rescore_accounts(account_ids=[account.pk], as_of=AS_OF)
    drop = HealthAlert.objects.get(account=account, kind="band_drop")
    assert drop.from_value == "green" and drop.published_at is not None
    batches = [payload["alerts"] for e, payload in published_events if e == "health.alerts_raised"]
    changes = [a for batch in batches for a in batch if a["event"] == "health.band_changed"]
    assert len(changes) == 1
    assert (changes[0]["account_id"], changes[0]["from_band"]) == (account.pk, "green")


@pytest.fixture
def account_pair(db):
    account = factories.AccountFactory(
        owner=None, contract_start=AS_OF - timedelta(days=300), icp_fit=100
    )
    add_ledger(account, [(AS_OF - timedelta(days=200), 100)])
    add_interactions(account, [(AS_OF - timedelta(days=d), "value_adding") for d in (2, 9, 16)])
    return account


def test_trend_and_momentum_come_from_the_history(db):
    account = factories.AccountFactory(
        owner=None, contract_start=AS_OF - timedelta(days=300), icp_fit=100
    )
    for days_ago in range(30, -1, -1):
        if days_ago == 10:
            account.icp_fit = 40
            account.save()
        health_rescore_accounts(account_ids=[account.pk], as_of=AS_OF - timedelta(days=days_ago))
    account.refresh_from_db()
    history = dict(HealthSnapshot.objects.filter(account=account).values_list("as_of", "overall"))
    assert account.health_delta_7 == history[AS_OF] - history[AS_OF - timedelta(days=7)]
    assert account.health_delta_30 == history[AS_OF] - history[AS_OF - timedelta(days=30)]
    assert account.health_delta_30 < 0 and account.health_momentum < 0


def test_recompute_command_scores_in_process_with_a_progress_bar(portfolio):
    out = io.StringIO()
    call_command("recompute_scores", "--as-of", AS_OF.isoformat(), "--backfill", "2", stdout=out)
    assert "7 accounts scored, status completed" in out.getvalue()
    assert HealthSnapshot.objects.filter(as_of=AS_OF - timedelta(days=2)).count() == 7
    assert ScoreRun.objects.get(as_of=AS_OF - timedelta(days=1)).trigger == "backfill"
    call_command(
        "recompute_scores",
        "--as-of",
        AS_OF.isoformat(),
        "--account",
        str(portfolio[0].pk),
        stdout=out,
    )
    assert "rescored 1 account(s)" in out.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "yesterday"],
        ["--account", "999999"],
        ["--backfill", "-1"],
        ["--as-of", "2999-01-01"],
    ],
)
def test_recompute_command_rejects_bad_input_with_a_message(db, args):
    with pytest.raises(CommandError):
        call_command("recompute_scores", *args, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_run_refreshes_stale_snapshot_statistics_first(portfolio):
    """GIVEN a snapshot table that changed by far more than a tenth since its last ANALYZE
    (a night's snapshots on a server without autovacuum) WHEN the next run starts THEN it
    analyses the table first, and a run right after finds nothing stale."""
    from django.db import connection

    from healthscores.services.runs import snapshot_statistics_refresh

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE healthscores_healthsnapshot")
    health_rescore_accounts(account_ids=[a.pk for a in portfolio], as_of=AS_OF)
    rows = list(HealthSnapshot.objects.all())
    for day in range(1, 10):  # 63 more rows: over the 50-row floor of the rule
        for s in rows:
            s.pk, s.as_of = None, AS_OF - timedelta(days=day)
        HealthSnapshot.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    assert snapshot_statistics_refresh() is True
    assert snapshot_statistics_refresh() is False


def test_a_snapshot_written_meanwhile_turns_the_direct_copy_into_an_upsert(portfolio, monkeypatch):
    """GIVEN today's snapshot of an account written by a between-night rescore after the run
    checked that none existed WHEN the chunk writes its block THEN the failed COPY gives way to
    the upsert: one snapshot per account, holding the chunk's values."""
    from healthscores.services import persist

    health_rescore_accounts(account_ids=[portfolio[0].pk], as_of=AS_OF)
    HealthSnapshot.objects.filter(account=portfolio[0], as_of=AS_OF).update(overall=1)
    monkeypatch.setattr(persist, "_snapshots_may_exist", lambda results: False)
    health_rescore_accounts(account_ids=[a.pk for a in portfolio], as_of=AS_OF)
    counts = HealthSnapshot.objects.filter(as_of=AS_OF).values("account").annotate(n=Count("id"))
    assert {c["n"] for c in counts} == {1} and len(counts) == len(portfolio)
    assert HealthSnapshot.objects.get(account=portfolio[0], as_of=AS_OF).overall != 1
