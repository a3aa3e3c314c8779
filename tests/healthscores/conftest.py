"""Builders for health-score scenarios: scorecard versions, ledger lines, dated interactions."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import EntryKind, EntrySource, TrustEntry
from scorecards.models import Band, Measure, Scorecard, ScorecardVersion
from tests import factories

AS_OF = date(2026, 6, 30)


def at(day: date, hour: int = 12) -> datetime:
    """An aware datetime on `day` in the organisation's time zone."""
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def make_version(measures: list[dict], bands=None, status: str = "draft") -> ScorecardVersion:
    """A version of a new throw-away scorecard with these measures (defaults filled in)."""
    scorecard = Scorecard.objects.create(name=f"Test card {Scorecard.objects.count() + 1}")
    version = ScorecardVersion.objects.create(scorecard=scorecard, number=1, status=status)
    for i, spec in enumerate(measures):
        spec = {
            "key": spec.get("key", spec["kind"]),
            "label": spec.get("label", spec["kind"].replace("_", " ")),
            "weight": 10,
            "missing_policy": "exclude",
            "params": {},
            **spec,
        }
        Measure.objects.create(version=version, position=i, **spec)
    for key, low in bands or [("red", 0), ("yellow", 40), ("green", 70)]:
        Band.objects.create(version=version, key=key, label=key.title(), min_score=low)
    return version


def add_ledger(account, entries: list[tuple[date, int]]) -> None:
    """Append ledger lines (day, points) with a consistent seq and running balance."""
    last = TrustEntry.objects.filter(account=account).order_by("-seq").first()
    seq, balance = (last.seq, last.balance_after) if last else (0, 0)
    rows = []
    for day, points in entries:
        seq += 1
        balance += points
        rows.append(
            TrustEntry(
                account=account,
                seq=seq,
                occurred_at=at(day),
                points=points,
                base_points=points,
                kind=EntryKind.LADDER if points >= 0 else EntryKind.CHUTE,
                source=EntrySource.MANUAL,
                reason="test",
                balance_after=balance,
            )
        )
    TrustEntry.objects.bulk_create(rows)


def add_interactions(account, entries: list[tuple[date, str]], minutes: int = 30) -> None:
    from accounts.models import Interaction

    Interaction.objects.bulk_create(
        Interaction(
            account=account,
            occurred_at=at(day),
            channel="call",
            category=category,
            sentiment=1 if category in ("relationship_building", "value_adding") else -1,
            minutes=minutes,
        )
        for day, category in entries
    )


@pytest.fixture
def account(db):
    return factories.AccountFactory(
        owner=None, contract_start=AS_OF - timedelta(days=400), icp_fit=75, seats=10
    )


def load_simulation(data, segment=None, stage="mature") -> dict[str, int]:
    """Accounts, one subscription each and weekly usage of a `bench.churnsim` data set, written
    straight to the database (the bench loads the same through the API). Ids by external id."""
    from accounts.models import Account, Subscription, UsageMetric

    accounts = Account.objects.bulk_create(
        Account(
            name=a.name,
            external_id=a.external_id,
            seats=a.seats,
            contract_start=a.contract_start,
            churned_on=a.churned_on,
            stage="churned" if a.churned_on else stage,
            segment=segment,
        )
        for a in data.accounts
    )
    ids = {a.external_id: a.pk for a in accounts}
    Subscription.objects.bulk_create(
        Subscription(
            account_id=ids[a.external_id],
            product="core",
            start_date=a.contract_start,
            end_date=a.churned_on,
            mrr=a.mrr,
        )
        for a in data.accounts
    )
    UsageMetric.objects.bulk_create(
        (
            UsageMetric(account_id=ids[ext], metric=metric, date=day, value=value)
            for ext, metric, day, value in data.usage
        ),
        batch_size=5000,
    )
    return ids
