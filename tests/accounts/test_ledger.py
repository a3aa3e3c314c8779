"""The goodwill ledger: append-only, gap-free, reversible once, cushioned, reconciled."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from accounts.models import Account, EntrySource, TrustEntry, TrustPolicy
from accounts.services import (
    LedgerError,
    ledger_reconcile,
    trust_entry_append,
    trust_entry_reverse,
    trust_points_for_interaction,
)
from tests import factories

pytestmark = pytest.mark.django_db


def append(account, points, reason="test", days_ago=0, **kwargs):
    return trust_entry_append(
        account=account,
        points=points,
        reason=reason,
        source=kwargs.pop("source", EntrySource.MANUAL),
        occurred_at=timezone.now() - timedelta(days=days_ago),
        **kwargs,
    )


def test_appends_get_gap_free_seq_and_running_balance(account):
    entries = [append(account, p) for p in (5, -3, 2)]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.balance_after for e in entries] == [5, 2, 4]
    account.refresh_from_db()
    assert (account.goodwill_balance, account.ledger_seq) == (4, 3)
    assert [e.kind for e in entries] == ["ladder", "chute", "ladder"]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_entry_without_a_reason_is_refused_and_nothing_is_written(account, reason):
    with pytest.raises(LedgerError, match="reason is required"):
        append(account, 3, reason=reason)
    assert not TrustEntry.objects.exists()
    account.refresh_from_db()
    assert account.goodwill_balance == 0


def test_an_entry_can_be_reversed_once_and_a_reversal_never(account):
    """GIVEN an entry of -12 WHEN it is reversed THEN +12 is appended with a link;
    a second reversal and a reversal of the reversal are refused."""
    entry = append(account, -12, apply_cushion=False)
    reversal = trust_entry_reverse(entry=entry, reason="logged on the wrong account")
    assert (reversal.points, reversal.source, reversal.reverses_id) == (12, "reversal", entry.pk)
    account.refresh_from_db()
    assert account.goodwill_balance == 0
    with pytest.raises(LedgerError, match="already been reversed"):
        trust_entry_reverse(entry=entry, reason="again")
    with pytest.raises(LedgerError, match="cannot itself be reversed"):
        trust_entry_reverse(entry=reversal, reason="undo the undo")
    assert TrustEntry.objects.count() == 2


def test_reversing_needs_a_reason(account):
    entry = append(account, 4)
    with pytest.raises(LedgerError):
        trust_entry_reverse(entry=entry, reason=" ")
    assert TrustEntry.objects.count() == 1


def test_chute_is_cushioned_by_sustained_goodwill():
    """GIVEN a long-standing partner that has held 100+ goodwill for a year and a new customer
    WHEN both suffer the same critical escalation (-40)
    THEN the partner loses 20 (cushion 0.5) and the new customer the full 40."""
    partner, newcomer = factories.AccountFactory(), factories.AccountFactory()
    append(partner, 120, days_ago=365)
    append(newcomer, 120, days_ago=5)
    base = trust_points_for_interaction(category="escalation", sentiment=-2, severity=4)
    assert base == -40
    hit_partner = append(partner, base, source=EntrySource.INCIDENT)
    hit_newcomer = append(newcomer, base, source=EntrySource.INCIDENT)
    assert hit_partner.base_points == hit_newcomer.base_points == -40
    assert hit_partner.points == -20
    assert hit_newcomer.points == -40


def test_cushion_follows_the_lowest_balance_in_the_window(account):
    """A dip inside the window limits the cushion to what was held throughout."""
    append(account, 100, days_ago=300)
    append(account, -60, days_ago=50, apply_cushion=False)  # held only 40 since
    append(account, 60, days_ago=10)
    hit = append(account, -40)
    # cushion = 0.5 x 40/100 = 0.2 -> 40 x 0.8 = 32
    assert hit.points == -32


def test_cushion_never_turns_a_chute_into_a_ladder(account):
    TrustPolicy.objects.update(max_cushion="0.99", full_cushion_balance=1)
    append(account, 500, days_ago=400)
    hit = append(account, -1)
    assert hit.points == -1 and hit.kind == "chute"
    small = append(account, -3)
    assert small.points == -1


def test_default_rules_make_chutes_deeper_than_ladders():
    best_ladder = max(
        trust_points_for_interaction(category=c, sentiment=s, severity=None)
        for c in ("relationship_building", "value_adding")
        for s in (-2, -1, 0, 1, 2)
    )
    assert 1 <= best_ladder <= 5
    worst = trust_points_for_interaction(category="escalation", sentiment=0, severity=4)
    assert worst <= -8 * best_ladder


def test_most_specific_rule_wins():
    assert trust_points_for_interaction(category="firefighting", sentiment=-2, severity=None) == -18
    assert trust_points_for_interaction(category="firefighting", sentiment=0, severity=None) == -8
    assert trust_points_for_interaction(category="escalation", sentiment=2, severity=1) == -10


def test_reconcile_is_clean_for_service_written_ledgers_and_reports_tampering(account):
    append(account, 7)
    append(account, -2)
    other = factories.AccountFactory()
    assert ledger_reconcile() == []
    Account.objects.filter(pk=other.pk).update(goodwill_balance=99)
    problems = ledger_reconcile()
    assert [p["account_id"] for p in problems] == [other.pk]
    assert problems[0]["balance"] == 99 and problems[0]["sum_of_entries"] == 0


def test_reconcile_command_exits_1_on_mismatch(account):
    append(account, 7)
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "reconciles" in out.getvalue()
    Account.objects.filter(pk=account.pk).update(goodwill_balance=3)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "reconcile_ledger"]).execute()
    assert exc.value.code == 1
    del err


def test_nightly_reconcile_task_counts_mismatches(account):
    from accounts.tasks import ledger_reconcile_nightly

    append(account, 2)
    assert ledger_reconcile_nightly.delay().get() == 0
    Account.objects.filter(pk=account.pk).update(ledger_seq=5)
    assert ledger_reconcile_nightly.delay().get() == 1


# --- PostgreSQL: the database itself refuses to rewrite history ----------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_trustentry SET points = 100",
        "UPDATE accounts_trustentry SET reason = 'nothing happened' WHERE seq = 1",
        "DELETE FROM accounts_trustentry",
        # CASCADE, or the foreign keys of other tables would refuse first.
        "TRUNCATE accounts_trustentry CASCADE",
    ],
)
@pytest.mark.django_db(transaction=True)
def test_raw_sql_cannot_rewrite_the_ledger_on_postgres(sql):
    """Committed entries survive UPDATE, DELETE and TRUNCATE issued as raw SQL."""
    account = factories.AccountFactory()
    append(account, 5)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry = TrustEntry.objects.get()
    assert (entry.points, entry.balance_after) == (5, 5)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_ledger_invariant():
    """GIVEN one account WHEN 8 threads append 25 entries each at the same time
    THEN seq is 1..200 without gaps and balance = Σ points = last balance_after."""
    account = factories.AccountFactory()
    threads, failures = 8, []
    per_thread = 25
    barrier = threading.Barrier(threads)

    def work(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                points = -3 if (n + i) % 4 == 0 else 2
                trust_entry_append(
                    account=Account(pk=account.pk),
                    points=points,
                    reason=f"thread {n} op {i}",
                    source=EntrySource.MANUAL,
                )
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    seqs = list(TrustEntry.objects.filter(account=account).values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    account.refresh_from_db()
    entries = list(TrustEntry.objects.filter(account=account).order_by("seq"))
    assert account.goodwill_balance == sum(e.points for e in entries)
    assert account.goodwill_balance == entries[-1].balance_after
    running = 0
    for e in entries:
        running += e.points
        assert e.balance_after == running
    assert ledger_reconcile() == []


def _expected_points(entries, policy):
    """The cushion rule replayed entry by entry from the stored ledger (the reference)."""
    from accounts.services.ledger import cushioned_points, sustained_balance_from_history

    history, expected = [], []
    for entry in entries:
        held = sustained_balance_from_history(
            history, at=entry.occurred_at, window_days=policy.cushion_window_days
        )
        expected.append(
            cushioned_points(points=entry.base_points, sustained_balance=held, policy=policy)
        )
        history.append((entry.occurred_at, entry.balance_after))
    return expected


def test_bulk_chutes_are_cushioned_from_stored_and_same_batch_goodwill(account):
    """GIVEN a ledger with back-dated entries (occurred_at out of seq order) and a dip WHEN one
    bulk batch appends chutes and ladders at several dates, for this and a new account THEN
    every chute is cushioned by exactly the lowest balance of its own window, counting the
    entries appended earlier in the same batch, as single appends would."""
    from accounts.services.ledger import PendingEntry, trust_entries_bulk_append

    policy = TrustPolicy.current()
    for days_ago, points in [(300, 60), (250, 30), (10, 5), (200, -20), (190, 40), (120, 25)]:
        append(account, points, days_ago=days_ago, apply_cushion=False)
    newcomer = factories.AccountFactory()
    now = timezone.now()
    pending = [
        PendingEntry(
            account_id=a.pk,
            points=points,
            reason="bulk",
            source=EntrySource.INCIDENT,
            occurred_at=now - timedelta(days=days_ago),
        )
        for a in (account, newcomer)
        for days_ago, points in [(5, -30), (3, 50), (2, -28), (1, -40), (185, -10), (0, -6)]
    ]
    with transaction.atomic():
        ids = trust_entries_bulk_append(pending=pending)
    assert len(ids) == 12
    for a in (account, newcomer):
        entries = list(TrustEntry.objects.filter(account=a).order_by("seq"))
        assert [e.points for e in entries] == _expected_points(entries, policy)
    cushioned = TrustEntry.objects.filter(account=account, source=EntrySource.INCIDENT)
    assert any(e.points != e.base_points for e in cushioned)  # the case is not trivial
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_upserts_keep_every_ledger_gap_free():
    """GIVEN 6 accounts WHEN 4 threads bulk-upsert 60 interactions each over all of them at
    once THEN every account's seq runs 1..n without gaps, balances reconcile and each chute
    is cushioned as if the entries had been appended one by one."""
    from accounts.services import interactions_bulk_upsert

    accounts = factories.AccountFactory.create_batch(6)
    threads, per_thread = 4, 60
    barrier = threading.Barrier(threads)
    failures = []

    def work(n):
        try:
            rows = [
                {
                    "account": accounts[(n + i) % len(accounts)],
                    "external_id": f"concurrent-{n}-{i}",
                    "channel": "ticket",
                    "category": "firefighting" if (n + i) % 3 == 0 else "value_adding",
                    "sentiment": 0,
                    "occurred_at": timezone.now() - timedelta(days=i),
                }
                for i in range(per_thread)
            ]
            barrier.wait()
            result = interactions_bulk_upsert(rows=rows)
            assert result.created == per_thread and not result.errors
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    assert ledger_reconcile() == []
    policy = TrustPolicy.current()
    for account in accounts:
        entries = list(TrustEntry.objects.filter(account=account).order_by("seq"))
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert [e.points for e in entries] == _expected_points(entries, policy)
    assert TrustEntry.objects.count() == threads * per_thread
