"""The starting trust (the ledger's opening entry) is dated at the contract start, so a run
back-dated into the contract sees it; moving it never edits the ledger."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import EntrySource, TrustEntry
from accounts.services import account_create, account_update, interaction_log, ledger_reconcile
from accounts.services.accounts import STARTING_TRUST_REASON
from healthscores.services.inputs import AccountBlock, ledger_aggregates
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(
        datetime(2026, 6, 15, 14, 30, tzinfo=timezone.get_current_timezone()), tick=False
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _balance_on(account, day: date) -> int | None:
    row = ledger_aggregates(AccountBlock(ids=(account.pk,)), day).get(account.pk)
    return None if row is None else row["balance"]


def _openings(account):
    return TrustEntry.objects.filter(account=account, reason=STARTING_TRUST_REASON)


def test_a_new_customer_gets_its_starting_trust_on_its_contract_start_day():
    account = account_create(name="Backfilled", contract_start=date(2025, 1, 10))
    entry = _openings(account).get()
    assert entry.occurred_at == _midnight(date(2025, 1, 10))
    assert _balance_on(account, date(2025, 1, 10)) == account.goodwill_balance == 10
    assert _balance_on(account, date(2025, 1, 9)) is None


def test_without_a_contract_start_or_with_one_ahead_the_starting_trust_is_dated_now():
    unknown = account_create(name="Undated")
    ahead = account_create(name="Signed early", contract_start=TODAY + timedelta(days=30))
    for account in (unknown, ahead):
        assert _openings(account).get().occurred_at == timezone.now()


def test_a_contract_start_set_before_anything_happened_moves_the_starting_trust_append_only():
    """GIVEN an account created without a contract start (opening dated today)
    WHEN its contract start is set to last year, before any other entry
    THEN the opening is reversed at its own instant and a new one appended at the contract
    start: the balance is unchanged today, a run at the contract start sees the starting
    trust, and the ledger still reconciles."""
    account = account_create(name="Late paperwork")
    first = _openings(account).get()
    account = account_update(account=account, contract_start=date(2025, 3, 1))
    reversal = TrustEntry.objects.get(account=account, source=EntrySource.REVERSAL)
    assert reversal.reverses == first and reversal.occurred_at == first.occurred_at
    current = _openings(account).exclude(pk=first.pk).get()
    assert current.occurred_at == _midnight(date(2025, 3, 1)) and current.seq == 3
    assert account.goodwill_balance == 10
    assert _balance_on(account, date(2025, 3, 1)) == 10
    assert _balance_on(account, TODAY) == 10
    assert not ledger_reconcile()
    # Moving it again re-dates the one in force; an unchanged save does nothing.
    account = account_update(account=account, contract_start=date(2025, 4, 1))
    account = account_update(account=account, name="Late paperwork Ltd")
    assert _openings(account).filter(reversed_by__isnull=True).get().occurred_at == _midnight(
        date(2025, 4, 1)
    )
    assert TrustEntry.objects.filter(account=account).count() == 5


def test_once_other_entries_exist_a_changed_contract_start_leaves_the_ledger_alone():
    account = account_create(name="Busy", owner=factories.UserFactory())
    interaction_log(account=account, channel="call", category="value_adding", author=None)
    seq = TrustEntry.objects.filter(account=account).count()
    account_update(account=account, contract_start=date(2025, 3, 1))
    assert TrustEntry.objects.filter(account=account).count() == seq


def test_the_command_redates_existing_accounts_openings_and_is_idempotent(capsys):
    """GIVEN an account whose starting trust was dated at creation (before the fix) and which
    has logged an interaction since WHEN redate_opening_trust runs THEN its back-dated balance
    includes the starting trust, today's balance is unchanged, and a second run changes
    nothing."""
    account = account_create(name="Old row")
    interaction_log(account=account, channel="call", category="value_adding", author=None)
    account.__class__.objects.filter(pk=account.pk).update(contract_start=date(2025, 2, 1))
    today_balance = account.__class__.objects.get(pk=account.pk).goodwill_balance
    assert _balance_on(account, date(2025, 6, 1)) is None

    call_command("redate_opening_trust", "--dry-run")
    assert "1 account(s) would" in capsys.readouterr().out
    call_command("redate_opening_trust")
    assert "of 1 account(s)" in capsys.readouterr().out
    assert _balance_on(account, date(2025, 6, 1)) == 10
    assert _balance_on(account, TODAY) == today_balance
    assert account.__class__.objects.get(pk=account.pk).goodwill_balance == today_balance
    assert not ledger_reconcile()
    call_command("redate_opening_trust")
    assert "of 0 account(s)" in capsys.readouterr().out
