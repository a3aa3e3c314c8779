"""A re-classified ticket corrects goodwill exactly once: re-sent, re-imported or concurrent."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import EntrySource, Interaction, TrustEntry
from accounts.services import interactions_bulk_upsert, ledger_reconcile
from accounts.services.imports import csv_import
from accounts.services.ledger import (
    PendingEntry,
    interaction_effects,
    interaction_effects_reconcile,
    trust_entries_bulk_append,
)
from tests import factories
from tests.api.conftest import token_client

# Default trust rules (migration 0004): firefighting handled well -4, value adding +4.
FIRE, VALUE = -4, 4


def ticket(account, **fields) -> dict:
    return {
        "account": account,
        "external_id": "zendesk-4711",
        "occurred_at": timezone.now() - timedelta(days=3),
        "channel": "ticket",
        "category": "firefighting",
        "sentiment": 1,
        "minutes": 45,
        **fields,
    }


def corrections(interaction: Interaction) -> list[int]:
    return list(interaction.corrections.order_by("seq").values_list("points", flat=True))


@pytest.mark.django_db
def test_a_ticket_resent_three_times_after_reclassification_moves_goodwill_once():
    """GIVEN a support ticket logged as firefighting (-4) WHEN the desk re-classifies it as value
    adding and sends it three times THEN one correction of +8, linked to the ticket, moves the
    balance to +4, and the later re-sends change nothing."""
    account = factories.AccountFactory()
    interactions_bulk_upsert(rows=[ticket(account)])
    for _ in range(3):
        result = interactions_bulk_upsert(rows=[ticket(account, category="value_adding")])
        assert (result.updated, result.errors) == (1, [])
    interaction = Interaction.objects.get()
    assert corrections(interaction) == [VALUE - FIRE]
    assert interaction_effects(interaction_ids=[interaction.pk]) == {interaction.pk: VALUE}
    account.refresh_from_db()
    assert (account.goodwill_balance, account.ledger_seq) == (VALUE, 2)
    assert ledger_reconcile() == []


@pytest.mark.django_db
def test_a_ticket_reclassified_back_and_forth_ends_at_its_current_rule(org):
    """GIVEN a ticket re-classified to value adding and then back to firefighting, each sent
    twice through the API THEN two opposite corrections leave the balance where it began."""
    account = org.accounts["csm_a1"][0]
    api = token_client(org.csm_a1)
    body = {
        "account": account.pk,
        "external_id": "zendesk-9",
        "channel": "ticket",
        "sentiment": 1,
    }
    for category in [
        "firefighting",
        "value_adding",
        "value_adding",
        "firefighting",
        "firefighting",
    ]:
        response = api.post(
            "/api/v1/interactions/bulk/",
            {"rows": [body | {"category": category}]},
            format="json",
        )
        assert response.status_code == 200, response.content
    interaction = Interaction.objects.get(external_id="zendesk-9")
    assert corrections(interaction) == [VALUE - FIRE, FIRE - VALUE]
    account.refresh_from_db()
    assert account.goodwill_balance == FIRE
    assert ledger_reconcile() == []


@pytest.mark.django_db
def test_a_reimported_csv_corrects_a_reclassified_row_once():
    """GIVEN a CSV imported with a firefighting ticket WHEN the same file comes back three
    times with the ticket re-classified as value adding THEN the balance moves once."""
    account = factories.AccountFactory(external_id="acc-1")
    header = "external_id,account,occurred_at,channel,category,sentiment\n"
    csv_import(kind="interactions", content=header + "t1,acc-1,2026-01-05,ticket,firefighting,1\n")
    for _ in range(3):
        report = csv_import(
            kind="interactions", content=header + "t1,acc-1,2026-01-05,ticket,value_adding,1\n"
        )
        assert report.committed, report.errors
    account.refresh_from_db()
    assert account.goodwill_balance == VALUE
    assert corrections(Interaction.objects.get()) == [VALUE - FIRE]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_resends_of_a_reclassified_ticket_correct_it_once():
    """GIVEN a firefighting ticket committed on PostgreSQL WHEN 10 threads re-send it as value
    adding at the same moment, each in its own transaction THEN exactly one correction is
    appended and the balance is +4 (not 10 x 8 more)."""
    account = factories.AccountFactory()
    interactions_bulk_upsert(rows=[ticket(account)])
    threads = 10
    barrier = threading.Barrier(threads)
    failures = []

    def resend():
        try:
            barrier.wait()
            result = interactions_bulk_upsert(rows=[ticket(account, category="value_adding")])
            assert (result.updated, result.errors) == (1, [])
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=resend) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    account.refresh_from_db()
    assert account.goodwill_balance == VALUE
    assert corrections(Interaction.objects.get()) == [VALUE - FIRE]
    assert ledger_reconcile() == [] and interaction_effects_reconcile() == []


@pytest.mark.django_db
def test_the_reconcile_reports_an_interaction_whose_entries_miss_its_rule():
    """GIVEN a ticket corrected twice by a buggy writer (the running totals still add up) WHEN
    the ledger is reconciled THEN the balances check passes but the ticket is reported with
    what its entries add up to and what its rule says."""
    account = factories.AccountFactory()
    interactions_bulk_upsert(rows=[ticket(account)])
    interactions_bulk_upsert(rows=[ticket(account, category="value_adding")])
    interaction = Interaction.objects.get()
    trust_entries_bulk_append(
        pending=[
            PendingEntry(
                account_id=account.pk,
                points=VALUE - FIRE,
                reason="a duplicate correction",
                source=EntrySource.INTERACTION,
                occurred_at=timezone.now(),
                apply_cushion=False,
                corrects_id=interaction.pk,
            )
        ]
    )
    assert ledger_reconcile() == []
    assert interaction_effects_reconcile() == [
        {
            "interaction_id": interaction.pk,
            "account_id": account.pk,
            "external_id": "zendesk-4711",
            "effect": VALUE + (VALUE - FIRE),
            "expected": VALUE,
        }
    ]
    assert TrustEntry.objects.filter(corrects=interaction).count() == 2
