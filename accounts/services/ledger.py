"""The trust & goodwill ledger: append, reverse, price interactions, cushion chutes, reconcile.

Every write locks the account row first (`select_for_update`), so concurrent appends to one
account are serialised and `seq` stays gap-free with `balance_after` = the running sum.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    Account,
    EntryKind,
    EntrySource,
    Interaction,
    TrustEntry,
    TrustPolicy,
    TrustRule,
)
from core.events import publish


class LedgerError(ValidationError):
    """A ledger write that must not happen (blank reason, second reversal, ...)."""


# --- pricing -----------------------------------------------------------------------------
def trust_rules_load() -> list[TrustRule]:
    """All trust rules, loaded once so bulk callers can price many interactions without queries."""
    return list(TrustRule.objects.all())


def trust_points_from_rules(
    rules: Iterable[TrustRule], *, category: str, sentiment: int | None, severity: int | None
) -> int:
    """Points of the most specific matching rule (severity beats sentiment beats category only).

    No matching rule prices the interaction at 0 points.
    """
    best, best_rank = None, -1
    for rule in rules:
        if rule.category != category:
            continue
        if rule.sentiment is not None and rule.sentiment != sentiment:
            continue
        if rule.severity is not None and rule.severity != severity:
            continue
        rank = (2 if rule.severity is not None else 0) + (1 if rule.sentiment is not None else 0)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best.points if best else 0


def trust_points_for_interaction(
    *, category: str, sentiment: int | None, severity: int | None
) -> int:
    """Default ledger points for an interaction, from the most specific trust rule."""
    return trust_points_from_rules(
        trust_rules_load(), category=category, sentiment=sentiment, severity=severity
    )


# --- the cushion -------------------------------------------------------------------------
def cushioned_points(*, points: int, sustained_balance: int, policy: TrustPolicy) -> int:
    """Soften a chute by the account's sustained goodwill (see the TrustPolicy docstring).

    Ladders pass unchanged; a chute always costs at least 1 point.
    """
    if points >= 0:
        return points
    full = Decimal(max(policy.full_cushion_balance, 1))
    share = min(Decimal(1), Decimal(max(sustained_balance, 0)) / full)
    cushion = Decimal(policy.max_cushion) * share
    cost = (Decimal(-points) * (Decimal(1) - cushion)).quantize(Decimal(1), ROUND_HALF_UP)
    return -max(1, int(cost))


def sustained_balance_from_history(
    history: Sequence[tuple[datetime, int]], *, at: datetime, window_days: int
) -> int:
    """Lowest balance held over the `window_days` before `at`, from (occurred_at, balance_after)
    pairs in append (seq) order; 0 if the ledger has no entry from before the window."""
    start = at - timedelta(days=window_days)
    lowest = None
    for occurred_at, balance_after in reversed(history):
        lowest = balance_after if lowest is None else min(lowest, balance_after)
        if occurred_at <= start:
            return max(lowest, 0)
    return 0


def sustained_balance(*, account: Account, at: datetime, window_days: int) -> int:
    """The same rule as `sustained_balance_from_history`, in two indexed queries."""
    start = at - timedelta(days=window_days)
    entries = TrustEntry.objects.filter(account=account)
    anchor = entries.filter(occurred_at__lte=start).aggregate(seq=Max("seq"))["seq"]
    if anchor is None:
        return 0
    lowest = entries.filter(seq__gte=anchor).aggregate(low=Min("balance_after"))["low"]
    return max(lowest or 0, 0)


# --- appending ---------------------------------------------------------------------------
def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError({"reason": ["A reason is required for every ledger entry."]})
    if len(reason) > 300:
        raise LedgerError({"reason": ["Keep the reason under 300 characters."]})
    return reason


def _kind(points: int) -> str:
    return EntryKind.LADDER if points >= 0 else EntryKind.CHUTE


def _publish_entry(entry: TrustEntry) -> None:
    publish(
        "ledger.entry_appended",
        account_id=entry.account_id,
        entry_id=entry.pk,
        points=entry.points,
        kind=entry.kind,
        source=entry.source,
        balance_after=entry.balance_after,
    )


@transaction.atomic
def trust_entry_append(
    *,
    account: Account,
    points: int,
    reason: str,
    source: str,
    author=None,
    occurred_at: datetime | None = None,
    interaction: Interaction | None = None,
    apply_cushion: bool = True,
    reverses: TrustEntry | None = None,
) -> TrustEntry:
    """Append one ladder or chute to an account's ledger under a row lock."""
    reason = _clean_reason(reason)
    if source not in EntrySource.values:
        raise LedgerError({"source": [f"Unknown source {source!r}."]})
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise LedgerError({"points": ["Points must be a whole number."]}) from None
    occurred_at = occurred_at or timezone.now()
    locked = (
        Account.objects.select_for_update()
        .only("goodwill_balance", "ledger_seq")
        .get(pk=account.pk)
    )
    base_points = points
    if apply_cushion and points < 0:
        policy = TrustPolicy.current()
        held = sustained_balance(
            account=locked, at=occurred_at, window_days=policy.cushion_window_days
        )
        points = cushioned_points(points=points, sustained_balance=held, policy=policy)
    seq = locked.ledger_seq + 1
    balance = locked.goodwill_balance + points
    entry = TrustEntry.objects.create(
        account_id=account.pk,
        seq=seq,
        occurred_at=occurred_at,
        points=points,
        base_points=base_points,
        kind=_kind(points),
        source=source,
        reason=reason,
        interaction=interaction,
        reverses=reverses,
        author=author,
        balance_after=balance,
    )
    Account.objects.filter(pk=account.pk).update(goodwill_balance=balance, ledger_seq=seq)
    account.goodwill_balance, account.ledger_seq = balance, seq
    _publish_entry(entry)
    publish("account.inputs_changed", account_ids=[account.pk])
    return entry


@transaction.atomic
def trust_entry_reverse(*, entry: TrustEntry, reason: str, author=None) -> TrustEntry:
    """Cancel an entry with an opposite one; an entry is reversed at most once."""
    reason = _clean_reason(reason)
    account = Account.objects.select_for_update().get(pk=entry.account_id)
    if entry.source == EntrySource.REVERSAL:
        raise LedgerError("A reversal cannot itself be reversed; append a new entry instead.")
    if TrustEntry.objects.filter(reverses=entry).exists():
        raise LedgerError(f"Entry #{entry.seq} has already been reversed.")
    return trust_entry_append(
        account=account,
        points=-entry.points,
        reason=f"Reverses #{entry.seq}: {reason}"[:300],
        source=EntrySource.REVERSAL,
        author=author,
        apply_cushion=False,
        reverses=entry,
    )


@dataclass
class PendingEntry:
    """One entry to append in bulk (the points before any cushion)."""

    account_id: int
    points: int
    reason: str
    source: str
    occurred_at: datetime
    interaction: Interaction | None = None
    author: object = None
    apply_cushion: bool = True


def trust_entries_bulk_append(
    *,
    pending: list[PendingEntry],
    locked_accounts: dict[int, Account] | None = None,
    notify: bool = True,
) -> list[TrustEntry]:
    """Append many entries at once: one lock query, one history query, one insert, one update.

    Entries of one account are appended in `occurred_at` order. Must run inside a transaction;
    pass `locked_accounts` when the caller already holds the row locks. `notify=False` (history
    backfills) publishes only `account.inputs_changed`, not one `ledger.entry_appended` each.
    """
    if not pending:
        return []
    for item in pending:
        item.reason = _clean_reason(item.reason)
    account_ids = sorted({item.account_id for item in pending})
    if locked_accounts is None:
        locked_accounts = {
            a.pk: a
            for a in Account.objects.select_for_update()
            .filter(pk__in=account_ids)
            .order_by("pk")
            .only("goodwill_balance", "ledger_seq")
        }
    policy = TrustPolicy.current()
    window = timedelta(days=policy.cushion_window_days)
    histories: dict[int, list[tuple[datetime, int]]] = {pk: [] for pk in account_ids}
    if any(item.apply_cushion and item.points < 0 for item in pending):
        earliest = min(item.occurred_at for item in pending) - window
        for account_id, occurred_at, balance_after in _histories_load(account_ids, earliest):
            histories[account_id].append((occurred_at, balance_after))
    entries = []
    for item in sorted(pending, key=lambda p: (p.account_id, p.occurred_at)):
        account = locked_accounts[item.account_id]
        history = histories[item.account_id]
        points = item.points
        if item.apply_cushion and points < 0:
            held = sustained_balance_from_history(
                history, at=item.occurred_at, window_days=policy.cushion_window_days
            )
            points = cushioned_points(points=points, sustained_balance=held, policy=policy)
        account.ledger_seq += 1
        account.goodwill_balance += points
        history.append((item.occurred_at, account.goodwill_balance))
        entries.append(
            TrustEntry(
                account_id=item.account_id,
                seq=account.ledger_seq,
                occurred_at=item.occurred_at,
                points=points,
                base_points=item.points,
                kind=_kind(points),
                source=item.source,
                reason=item.reason,
                interaction=item.interaction,
                author=item.author,
                balance_after=account.goodwill_balance,
            )
        )
    TrustEntry.objects.bulk_create(entries, batch_size=1000)
    _account_balances_update([locked_accounts[pk] for pk in account_ids])
    if notify:
        # One event for the whole batch (its subscribers fan it out), published after commit.
        publish(
            "ledger.entries_appended",
            entries=[
                {
                    "account_id": entry.account_id,
                    "entry_id": entry.pk,
                    "points": entry.points,
                    "kind": entry.kind,
                    "source": entry.source,
                    "balance_after": entry.balance_after,
                }
                for entry in entries
            ],
        )
    publish("account.inputs_changed", account_ids=account_ids)
    return entries


def _histories_load(account_ids: list[int], earliest: datetime) -> Iterable[tuple]:
    """(account_id, occurred_at, balance_after) of each account's entries from the last one at or
    before `earliest` on (all of them if none), in (account, seq) order."""
    if connection.vendor == "postgresql":
        # The anchor once per account (a LATERAL join), not once per entry as in the ORM form.
        table = connection.ops.quote_name(TrustEntry._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.account_id, t.occurred_at, t.balance_after "
                f"FROM unnest(%s::integer[]) AS a (id) "
                f"CROSS JOIN LATERAL (SELECT COALESCE((SELECT u.seq FROM {table} u "
                f"WHERE u.account_id = a.id AND u.occurred_at <= %s "
                f"ORDER BY u.seq DESC LIMIT 1), 0) AS seq) AS anchor "
                f"JOIN {table} t ON t.account_id = a.id AND t.seq >= anchor.seq "
                f"ORDER BY t.account_id, t.seq",
                [list(account_ids), earliest],
            )
            return cursor.fetchall()
    anchor = (
        TrustEntry.objects.filter(account=OuterRef("account"), occurred_at__lte=earliest)
        .order_by("-seq")
        .values("seq")[:1]
    )
    return (
        TrustEntry.objects.filter(account_id__in=account_ids)
        .filter(seq__gte=Coalesce(Subquery(anchor), Value(0), output_field=IntegerField()))
        .order_by("account_id", "seq")
        .values_list("account_id", "occurred_at", "balance_after")
    )


def _account_balances_update(accounts: list[Account]) -> None:
    """Write each account's goodwill_balance and ledger_seq: one UPDATE ... FROM (VALUES ...)."""
    if connection.vendor != "postgresql":
        Account.objects.bulk_update(accounts, ["goodwill_balance", "ledger_seq"], batch_size=500)
        return
    table = connection.ops.quote_name(Account._meta.db_table)
    for start in range(0, len(accounts), 5000):
        batch = accounts[start : start + 5000]
        values = ", ".join(["(%s, %s, %s)"] * len(batch))
        params = [v for a in batch for v in (a.pk, a.goodwill_balance, a.ledger_seq)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS a SET goodwill_balance = v.balance, ledger_seq = v.seq "
                f"FROM (VALUES {values}) AS v (id, balance, seq) WHERE a.id = v.id",
                params,
            )


# --- reconciliation ----------------------------------------------------------------------
def ledger_reconcile() -> list[dict]:
    """Accounts whose balance, Σ entries, last balance_after and seq disagree (empty = healthy).

    One set-based query over all accounts.
    """
    entries = TrustEntry.objects.filter(account=OuterRef("pk")).order_by().values("account")
    total = entries.annotate(v=Sum("points")).values("v")
    count = entries.annotate(v=Count("pk")).values("v")
    last_seq = entries.annotate(v=Max("seq")).values("v")
    last_balance = (
        TrustEntry.objects.filter(account=OuterRef("pk"))
        .order_by("-seq")
        .values("balance_after")[:1]
    )
    zero = Value(0)
    rows = (
        Account.objects.annotate(
            entry_sum=Coalesce(Subquery(total, output_field=IntegerField()), zero),
            entry_count=Coalesce(Subquery(count, output_field=IntegerField()), zero),
            last_seq=Coalesce(Subquery(last_seq, output_field=IntegerField()), zero),
            last_balance=Coalesce(Subquery(last_balance, output_field=IntegerField()), zero),
        )
        .exclude(
            Q(goodwill_balance=F("entry_sum"))
            & Q(goodwill_balance=F("last_balance"))
            & Q(ledger_seq=F("last_seq"))
            & Q(entry_count=F("last_seq"))
        )
        .order_by("pk")
        .values(
            "pk",
            "name",
            "goodwill_balance",
            "ledger_seq",
            "entry_sum",
            "entry_count",
            "last_seq",
            "last_balance",
        )
    )
    return [
        {
            "account_id": row["pk"],
            "account": row["name"],
            "balance": row["goodwill_balance"],
            "sum_of_entries": row["entry_sum"],
            "last_balance_after": row["last_balance"],
            "ledger_seq": row["ledger_seq"],
            "entries": row["entry_count"],
            "last_seq": row["last_seq"],
        }
        for row in rows
    ]
