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
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
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

from .common import rows_insert


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


def interaction_effects(*, interaction_ids: Iterable[int]) -> dict[int, int]:
    """What each interaction has moved goodwill by so far, before any cushion: its own entry's
    base points plus the points of the corrections linked to it (missing: no entry at all)."""
    ids = list(interaction_ids)
    if not ids:
        return {}
    effects: dict[int, int] = {}
    rows = TrustEntry.objects.filter(Q(interaction_id__in=ids) | Q(corrects_id__in=ids))
    for interaction_id, corrects_id, base_points in rows.values_list(
        "interaction_id", "corrects_id", "base_points"
    ):
        key = interaction_id if interaction_id is not None else corrects_id
        effects[key] = effects.get(key, 0) + base_points
    return effects


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
    lowest, anchored = _lowest_since(history, at - timedelta(days=window_days))
    return max(lowest, 0) if anchored else 0


def _lowest_since(
    history: Sequence[tuple[datetime, int]], start: datetime
) -> tuple[int | None, bool]:
    """Walking back from the newest (occurred_at, balance_after): the lowest balance down to
    and including the last entry at or before `start`, and whether such an entry was reached
    (the window's anchor)."""
    lowest = None
    for occurred_at, balance_after in reversed(history):
        lowest = balance_after if lowest is None else min(lowest, balance_after)
        if occurred_at <= start:
            return lowest, True
    return lowest, False


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
def trust_entry_reverse(
    *, entry: TrustEntry, reason: str, author=None, occurred_at: datetime | None = None
) -> TrustEntry:
    """Cancel an entry with an opposite one; an entry is reversed at most once.

    The reversal takes effect now, or at `occurred_at` (e.g. the reversed entry's own instant,
    so the two cancel out at every date a back-dated run may read).
    """
    reason = _clean_reason(reason)
    account = Account.objects.select_for_update().get(pk=entry.account_id)
    if entry.source == EntrySource.REVERSAL:
        raise LedgerError(
            "A reversal cannot itself be reversed; append a new entry instead.", code="conflict"
        )
    if TrustEntry.objects.filter(reverses=entry).exists():
        raise LedgerError(f"Entry #{entry.seq} has already been reversed.", code="conflict")
    return trust_entry_append(
        account=account,
        points=-entry.points,
        reason=f"Reverses #{entry.seq}: {reason}"[:300],
        source=EntrySource.REVERSAL,
        author=author,
        occurred_at=occurred_at,
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
    interaction_id: int | None = None
    author: object = None
    apply_cushion: bool = True
    corrects_id: int | None = None  # the interaction a re-classification entry corrects


@dataclass(slots=True)
class LedgerHead:
    """An account's goodwill balance and last seq, read under its row lock."""

    balance: int
    seq: int


def ledger_heads_lock(account_ids: Iterable[int]) -> dict[int, LedgerHead]:
    """Lock the accounts' rows (in pk order, so concurrent batches cannot deadlock) and read
    each one's balance and seq."""
    rows = (
        Account.objects.select_for_update()
        .filter(pk__in=sorted(set(account_ids)))
        .order_by("pk")
        .values_list("pk", "goodwill_balance", "ledger_seq")
    )
    return {pk: LedgerHead(balance=balance, seq=seq) for pk, balance, seq in rows}


@transaction.atomic
def trust_entries_bulk_append(*, pending: list[PendingEntry], notify: bool = True) -> list[int]:
    """Append many entries at once: one lock query, one cushion query, one insert, one update.

    Entries of one account are appended in `occurred_at` order; returns the new entry ids in
    that (account, occurred_at) order. Its own transaction (a savepoint inside the caller's)
    holds the accounts' row locks from the read of their heads to the balance update.
    `notify=False` (history backfills) publishes only `account.inputs_changed`, not one
    `ledger.entry_appended` each.
    """
    if not pending:
        return []
    for item in pending:
        item.reason = _clean_reason(item.reason)
    heads = ledger_heads_lock(item.account_id for item in pending)
    account_ids = sorted(heads)
    policy = TrustPolicy.current()
    window = timedelta(days=policy.cushion_window_days)
    chutes = [item for item in pending if item.apply_cushion and item.points < 0]
    held_before = _sustained_balances(
        {(item.account_id, item.occurred_at - window) for item in chutes}
    )
    # (occurred_at, balance_after) of the entries this call appends, per account
    appended: dict[int, list[tuple[datetime, int]]] = {pk: [] for pk in account_ids}
    now = timezone.now()
    rows = []
    for item in sorted(pending, key=lambda p: (p.account_id, p.occurred_at)):
        head = heads[item.account_id]
        points = item.points
        if item.apply_cushion and points < 0:
            start = item.occurred_at - window
            held = _sustained_with_appended(
                held_before.get((item.account_id, start), 0), appended[item.account_id], start
            )
            points = cushioned_points(points=points, sustained_balance=held, policy=policy)
        head.seq += 1
        head.balance += points
        appended[item.account_id].append((item.occurred_at, head.balance))
        rows.append(
            {
                "account_id": item.account_id,
                "seq": head.seq,
                "occurred_at": item.occurred_at,
                "recorded_at": now,
                "points": points,
                "base_points": item.points,
                "kind": _kind(points),
                "source": item.source,
                "reason": item.reason,
                "balance_after": head.balance,
                "interaction_id": item.interaction_id,
                "corrects_id": item.corrects_id,
                "author_id": getattr(item.author, "pk", None),
                "reverses_id": None,
            }
        )
    ids = rows_insert(TrustEntry, rows)
    _account_balances_update(heads)
    if notify:
        # One event for the whole batch (its subscribers fan it out), published after commit.
        publish(
            "ledger.entries_appended",
            entries=[
                {
                    "account_id": row["account_id"],
                    "entry_id": entry_id,
                    "points": row["points"],
                    "kind": row["kind"],
                    "source": row["source"],
                    "balance_after": row["balance_after"],
                }
                for row, entry_id in zip(rows, ids, strict=True)
            ],
        )
    publish("account.inputs_changed", account_ids=account_ids)
    return ids


def _sustained_with_appended(
    held_before: int, appended: Sequence[tuple[datetime, int]], start: datetime
) -> int:
    """`sustained_balance_from_history` over the stored ledger followed by `appended`, given
    the stored ledger's own sustained balance for the same window start (`held_before`)."""
    lowest, anchored = _lowest_since(appended, start)
    if anchored:
        return max(lowest, 0)
    # No appended entry anchors the window: the stored ledger does, or nothing (held_before 0).
    return held_before if lowest is None else max(min(lowest, held_before), 0)


def _sustained_balances(
    windows: set[tuple[int, datetime]],
) -> dict[tuple[int, datetime], int]:
    """The stored ledger's sustained balance for each (account_id, window start): the lowest
    balance_after from the account's last entry at or before the start on, at least 0. A window
    with no entry at or before its start holds 0 and may be left out."""
    if not windows:
        return {}
    windows = sorted(windows)
    # One row per window, computed in the database: no entry history travels to Python.
    table = connection.ops.quote_name(TrustEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.i, GREATEST(0, (SELECT MIN(t.balance_after) FROM {table} t "
            f"WHERE t.account_id = w.account_id AND t.seq >= anchor.seq)) "
            f"FROM unnest(%s::bigint[], %s::timestamptz[]) WITH ORDINALITY "
            f"AS w (account_id, start, i) "
            f"CROSS JOIN LATERAL (SELECT u.seq FROM {table} u "
            f"WHERE u.account_id = w.account_id AND u.occurred_at <= w.start "
            f"ORDER BY u.seq DESC LIMIT 1) AS anchor",
            [[a for a, _ in windows], [s for _, s in windows]],
        )
        return {windows[i - 1]: held for i, held in cursor.fetchall()}


def _account_balances_update(heads: dict[int, LedgerHead]) -> None:
    """Write each account's goodwill_balance and ledger_seq: one UPDATE ... FROM (VALUES ...)."""
    table = connection.ops.quote_name(Account._meta.db_table)
    items = sorted(heads.items())
    for start in range(0, len(items), 5000):
        batch = items[start : start + 5000]
        values = ", ".join(["(%s, %s, %s)"] * len(batch))
        params = [v for pk, head in batch for v in (pk, head.balance, head.seq)]
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


def interaction_effects_reconcile() -> list[dict]:
    """Interactions whose entries (own base points + linked corrections) differ from what their
    trust rule prices them at now (empty = healthy). One set-based query.

    The balance check cannot see a correction appended twice: the running totals still add up.
    This one can. Interactions with a reversed entry are left out: a reversal cancels on purpose.
    """
    rule_points = (
        TrustRule.objects.filter(category=OuterRef("category"))
        .filter(Q(sentiment__isnull=True) | Q(sentiment=OuterRef("sentiment")))
        .filter(Q(severity__isnull=True) | Q(severity=OuterRef("severity")))
        # The most specific rule wins: a severity beats a sentiment beats the category alone.
        .order_by(F("severity").asc(nulls_last=True), F("sentiment").asc(nulls_last=True))
        .values("points")[:1]
    )
    own = TrustEntry.objects.filter(interaction=OuterRef("pk")).values("base_points")[:1]
    corrected = (
        TrustEntry.objects.filter(corrects=OuterRef("pk"))
        .order_by()
        .values("corrects")
        .annotate(v=Sum("base_points"))
        .values("v")
    )
    reversed_entry = TrustEntry.objects.filter(
        Q(reverses__interaction=OuterRef("pk")) | Q(reverses__corrects=OuterRef("pk"))
    )
    zero = Value(0)
    rows = (
        Interaction.objects.annotate(
            expected=Coalesce(Subquery(rule_points, output_field=IntegerField()), zero),
            effect=Coalesce(Subquery(own, output_field=IntegerField()), zero)
            + Coalesce(Subquery(corrected, output_field=IntegerField()), zero),
        )
        .exclude(effect=F("expected"))
        .exclude(Exists(reversed_entry))
        .order_by("pk")
        .values("pk", "account_id", "external_id", "effect", "expected")
    )
    return [
        {
            "interaction_id": row["pk"],
            "account_id": row["account_id"],
            "external_id": row["external_id"],
            "effect": row["effect"],
            "expected": row["expected"],
        }
        for row in rows
    ]
