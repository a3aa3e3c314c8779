"""Logging interactions appends goodwill; bulk upserts are idempotent, fast and partial."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Interaction, TrustEntry, UsageMetric
from accounts.selectors import churn_date, mrr_history, mrr_movements
from accounts.services import (
    interaction_log,
    interactions_bulk_upsert,
    ledger_reconcile,
    subscription_upsert,
    survey_record,
    usage_bulk_upsert,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_logging_an_interaction_appends_its_rule_points_with_a_link(account):
    interaction = interaction_log(
        account=account, category="escalation", channel="call", sentiment=-2, severity=4
    )
    entry = interaction.trust_entry
    assert (entry.points, entry.source, entry.seq) == (-40, "interaction", 1)
    account.refresh_from_db()
    assert account.goodwill_balance == -40


def test_relogging_the_same_external_id_returns_the_row_and_appends_nothing(account):
    first = interaction_log(
        account=account, category="value_adding", channel="qbr", sentiment=2, external_id="crm-1"
    )
    again = interaction_log(
        account=account, category="value_adding", channel="qbr", sentiment=2, external_id="crm-1"
    )
    assert again.pk == first.pk
    assert TrustEntry.objects.count() == 1
    account.refresh_from_db()
    assert account.goodwill_balance == 5


def test_an_escalation_without_severity_is_refused_with_a_field_error(account):
    with pytest.raises(ValidationError) as exc:
        interaction_log(account=account, category="escalation", channel="call")
    assert "severity" in exc.value.message_dict
    assert not Interaction.objects.exists() and not TrustEntry.objects.exists()


def test_a_contact_from_another_account_is_refused(account):
    stranger = factories.ContactFactory()
    with pytest.raises(ValidationError) as exc:
        interaction_log(account=account, category="value_adding", channel="call", contact=stranger)
    assert "contact" in exc.value.message_dict


def row(account, n, **extra):
    return {
        "account": account,
        "external_id": f"bulk-{account.pk}-{n}",
        "occurred_at": timezone.now() - timedelta(days=100 - n % 100),
        "channel": "call",
        "category": "value_adding",
        "sentiment": 1,
        "minutes": 30,
        **extra,
    }


def test_bulk_upsert_keeps_valid_rows_and_reports_each_invalid_one(account):
    """GIVEN 4 rows of which 2 are invalid WHEN upserted THEN 2 are created with entries and
    the errors name the row index and the field."""
    rows = [
        row(account, 1),
        row(account, 2, sentiment=7),
        row(account, 3, category="gossip"),
        row(account, 4, category="escalation", severity=3),
    ]
    result = interactions_bulk_upsert(rows=rows)
    assert (result.created, result.updated) == (2, 0)
    assert [e["index"] for e in result.errors] == [1, 2]
    assert "sentiment" in result.errors[0]["errors"]
    assert "category" in result.errors[1]["errors"]
    assert Interaction.objects.count() == 2
    account.refresh_from_db()
    assert account.ledger_seq == 2 and account.goodwill_balance == 4 - 28
    assert ledger_reconcile() == []


def test_bulk_upsert_updates_by_external_id_and_corrects_points(account):
    interactions_bulk_upsert(rows=[row(account, 1)])
    result = interactions_bulk_upsert(
        rows=[row(account, 1, category="firefighting", sentiment=-2, summary="it was a fire")]
    )
    assert (result.created, result.updated) == (0, 1)
    interaction = Interaction.objects.get()
    assert interaction.category == "firefighting" and interaction.summary == "it was a fire"
    entries = list(TrustEntry.objects.order_by("seq").values_list("points", flat=True))
    assert entries == [4, -22]  # the original stays; the correction moves 4 -> -18
    account.refresh_from_db()
    assert account.goodwill_balance == -18


def test_a_resent_row_changes_only_what_it_names(account):
    """GIVEN an interaction logged with its time, sentiment and minutes WHEN the desk re-sends
    it with its channel and category, a new summary and no time THEN the time, sentiment and
    minutes stay, and the ledger gets no correcting entry."""
    first = row(account, 1, summary="first")
    interactions_bulk_upsert(rows=[first])
    resent = {
        "account": account,
        "external_id": first["external_id"],
        "channel": "call",
        "category": "value_adding",
        "summary": "edited",
    }
    result = interactions_bulk_upsert(rows=[resent])
    assert (result.created, result.updated, result.errors) == (0, 1, [])
    interaction = Interaction.objects.get()
    assert interaction.summary == "edited"
    assert interaction.occurred_at == first["occurred_at"]
    assert (interaction.category, interaction.sentiment, interaction.minutes) == (
        "value_adding",
        1,
        30,
    )
    assert TrustEntry.objects.count() == 1


def test_bulk_upsert_refuses_an_external_id_of_another_account(account):
    other = factories.AccountFactory()
    interactions_bulk_upsert(rows=[row(other, 1) | {"external_id": "shared"}])
    result = interactions_bulk_upsert(rows=[row(account, 1) | {"external_id": "shared"}])
    assert result.created == 0 and result.errors[0]["index"] == 0


def test_bulk_upsert_rejects_duplicates_within_a_batch(account):
    result = interactions_bulk_upsert(rows=[row(account, 1), row(account, 1)])
    assert result.created == 1 and result.errors == [
        {"index": 1, "errors": {"external_id": ["Duplicate of row 0 in this batch."]}}
    ]


def test_bulk_upsert_cushions_with_the_same_rule_as_single_appends():
    """A long-standing partner's escalation in a bulk batch is cushioned like a single one."""
    partner = factories.AccountFactory()
    interactions_bulk_upsert(
        rows=[
            row(partner, n) | {"occurred_at": timezone.now() - timedelta(days=400 - n)}
            for n in range(30)
        ]
    )
    partner.refresh_from_db()
    assert partner.goodwill_balance == 120
    interactions_bulk_upsert(rows=[row(partner, 99, category="escalation", severity=4)])
    last = TrustEntry.objects.filter(account=partner).order_by("-seq").first()
    assert last.base_points == -40 and last.points == -20


@pytest.mark.slow
def test_bulk_upsert_is_fast_and_constant_in_queries(django_assert_max_num_queries):
    """5,000 rows over 50 accounts, ledger included, in a handful of batched queries.

    (~5,000 rows/s on an idle machine with PostgreSQL; the wall-clock bound is loose so a busy
    CI box does not flake, the query budget is the real guard.)"""
    accounts = factories.AccountFactory.create_batch(50, owner=factories.UserFactory())
    rows = [row(accounts[n % 50], n) for n in range(5000)]
    started = time.monotonic()
    # Budget: existing ids, account locks, rules, policy, history, the account bulk update,
    # and the inserts in batches of 1,000 rows. Never one query per row.
    with django_assert_max_num_queries(30):
        result = interactions_bulk_upsert(rows=rows)
    elapsed = time.monotonic() - started
    assert result.created == 5000 and not result.errors
    assert TrustEntry.objects.count() == 5000
    assert ledger_reconcile() == []
    print(f"interactions_bulk_upsert: {5000 / elapsed:,.0f} rows/s")
    assert elapsed < 15.0, f"{elapsed:.2f}s for 5,000 rows"


def test_usage_upsert_overwrites_by_natural_key_and_reports_bad_rows(account):
    today = timezone.localdate()
    usage_bulk_upsert(rows=[{"account": account, "metric": "logins", "date": today, "value": 3}])
    result = usage_bulk_upsert(
        rows=[
            {"account": account, "metric": "logins", "date": today, "value": 5},
            {"account": account, "metric": "logins", "date": "2026-02-30", "value": 1},
            {"account": account, "metric": "", "date": today, "value": 1},
            {"account": account, "metric": "api", "date": today.isoformat(), "value": "nan"},
            {"account": account, "metric": "api", "date": today.isoformat(), "value": "12.5"},
        ]
    )
    assert (result.created, result.updated) == (1, 1)
    assert [e["index"] for e in result.errors] == [1, 2, 3]
    assert UsageMetric.objects.get(metric="logins").value == 5


def test_survey_scores_are_range_checked_and_idempotent(account):
    survey_record(account=account, kind="nps", score=9, external_id="s1")
    survey_record(account=account, kind="nps", score=9, external_id="s1")
    assert account.survey_responses.count() == 1
    with pytest.raises(ValidationError):
        survey_record(account=account, kind="csat", score=0)


# Awkward days: early in a month (the churn falls in the previous month), a month's last day,
# a leap day and a daylight-saving change.
@pytest.mark.parametrize(
    "moment", ["2026-12-05 09:00Z", "2026-12-31 23:30Z", "2028-02-29 12:00Z", "2026-03-29 01:30Z"]
)
def test_mrr_history_expansion_contraction_and_churn_come_from_subscriptions(
    account, moment, time_machine
):
    """GIVEN a platform subscription, an add-on 2 months ago and everything ending last week
    THEN MRR history shows the expansion, then the churn, and the churn date is last week."""
    time_machine.move_to(moment, tick=False)
    today = timezone.localdate()
    start = today - timedelta(days=300)
    subscription_upsert(
        account=account,
        product="Platform",
        start_date=start,
        mrr=1000,
        end_date=today - timedelta(days=7),
    )
    subscription_upsert(
        account=account,
        product="Add-on",
        start_date=today - timedelta(days=60),
        mrr=250,
        end_date=today - timedelta(days=7),
    )
    history = mrr_history(account=account, months=12, today=today)
    assert history[-1]["mrr"] == 0
    assert max(h["mrr"] for h in history) == 1250
    kinds = [m["kind"] for m in mrr_movements(account=account, months=12, today=today)]
    assert "new" in kinds and "expansion" in kinds
    assert [kind for kind in kinds if kind != "flat"][-1] == "churn"
    assert churn_date(account=account, today=today) == today - timedelta(days=7)
    account.refresh_from_db()
    assert account.mrr == 0


def test_subscription_upsert_keeps_account_mrr_in_step(account):
    sub, created = subscription_upsert(
        account=account,
        product="Platform",
        start_date=timezone.localdate(),
        mrr=900,
        external_id="x1",
    )
    _, created_again = subscription_upsert(
        account=account, product="Platform", start_date=sub.start_date, mrr=1100, external_id="x1"
    )
    assert (created, created_again) == (True, False)
    account.refresh_from_db()
    assert account.subscriptions.count() == 1
    assert (account.mrr, account.arr) == (1100, 13200)


@pytest.mark.parametrize(
    "name, raw",
    [
        ("channel", "qbr"),
        ("channel", ""),
        ("channel", "QBR"),
        ("category", "gossip"),
        ("work_type", "chargeable"),
        ("sentiment", -2),
        ("sentiment", True),
        ("sentiment", "1"),
        ("sentiment", 1.5),
        ("minutes", 30),
        ("minutes", -1),
        ("minutes", 2**40),
        ("minutes", "45"),
        ("severity", 3),
        ("severity", "2"),
        ("summary", "called back"),
        ("summary", None),
        ("external_id", "x" * 100),
        ("external_id", "x" * 101),
        ("external_id", 12),
        ("occurred_at", "2026-03-02T10:00:00Z"),
        ("occurred_at", "2026-03-02"),
        ("occurred_at", "yesterday"),
    ],
)
def test_bulk_row_values_are_accepted_or_refused_as_the_model_field_would(account, name, raw):
    """Whatever an API or CSV row sends, it is stored as, or refused with the message of, the
    model field's own clean()."""
    from accounts.services.interactions import interaction_clean

    category = "escalation" if name == "severity" else "value_adding"
    fields = {"channel": "call", "category": category, "severity": None, name: raw}
    cleaned, errors = interaction_clean(account=account, fields=fields)
    try:
        expected = Interaction._meta.get_field(name).clean(raw, None)
    except ValidationError as exc:
        assert errors[name] == exc.messages
    else:
        if name == "occurred_at" and timezone.is_naive(expected):
            expected = timezone.make_aware(expected)  # a naive time is in the site's zone
        assert name not in errors
        assert cleaned[name] == expected and type(cleaned[name]) is type(expected)


def test_bulk_written_tables_keep_no_index_another_one_already_covers():
    """Every bulk insert pays for every index: none on account_id alone (the composite indexes
    that start with it serve those lookups) and no LIKE copy of the interaction external_id."""
    with connection.cursor() as cursor:
        for table in ("accounts_interaction", "accounts_trustentry", "accounts_usagemetric"):
            indexes = connection.introspection.get_constraints(cursor, table)
            assert not [
                n for n, c in indexes.items() if c["index"] and c["columns"] == ["account_id"]
            ]
            if table == "accounts_interaction":
                assert not [n for n in indexes if n.endswith("_like")]
            assert any(c["columns"][:1] == ["account_id"] for c in indexes.values())


def test_ledger_and_account_writes_maintain_no_redundant_index():
    """Ledger entries keep only the (account, seq) index per account (every read orders by
    seq); accounts keep one owner index and one segment index (the nightly run rewrites every
    account row, so each extra index is maintained 100,000 times a night)."""
    with connection.cursor() as cursor:
        ledger = connection.introspection.get_constraints(cursor, "accounts_trustentry")
        accounts = connection.introspection.get_constraints(cursor, "accounts_account")
    ledger_indexes = [c["columns"] for c in ledger.values() if c["index"] or c["unique"]]
    assert [columns for columns in ledger_indexes if columns[:1] == ["account_id"]] == [
        ["account_id", "seq"]
    ]
    indexed = [c["columns"] for c in accounts.values() if c["index"] or c["unique"]]
    assert sum(1 for columns in indexed if columns[:1] == ["owner_id"]) == 1
    assert indexed.count(["segment_id"]) == 1
