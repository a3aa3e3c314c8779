"""Erasing a contact's personal data on request: everywhere the app copied it, ledger and scores
kept, audited, idempotent, admins only (the authorization matrix covers who may)."""

import importlib

import pytest
from django.db import connection, transaction

from accounts.models import Contact, Interaction, SurveyResponse, TrustEntry
from accounts.services import interaction_log, trust_entry_append
from accounts.services.privacy import contact_erase
from core.models import AuditRecord, IdempotencyRecord, OutboxMessage
from integrations.models import Webhook, WebhookDelivery
from tests import factories
from tests.accounts.test_ledger_roles import app_role  # noqa: F401  (a fixture)
from tests.api.conftest import token_client

NAME, EMAIL, PHONE = "Dana Whitfield", "dana.w@acme.example", "+44 20 7946 0958"


@pytest.fixture
def dana(org):
    """GIVEN Dana at csm_a1's account: her survey answer, interactions naming her, a colleague's
    survey comment naming her, and an interaction at another account naming another Dana."""
    account = org.accounts["csm_a1"][0]
    dana = factories.ContactFactory(
        account=account, name=NAME, email=EMAIL, phone=PHONE, title="VP Ops", external_id="crm-7"
    )
    bob = factories.ContactFactory(account=account, name="Bob Stone", email="bob@acme.example")
    factories.SurveyResponseFactory(account=account, contact=dana, score=9, comment="Great, Dana")
    factories.SurveyResponseFactory(
        account=account, contact=bob, score=7, comment="DANA WHITFIELD made onboarding easy"
    )
    for summary, contact in [
        (f"Renewal call with {NAME} ({EMAIL}); Dana asked for SSO. Call her on {PHONE}.", dana),
        ("Bob walked us through their rollout.", bob),
    ]:
        interaction_log(
            account=account,
            channel="call",
            category="value_adding",
            sentiment=1,
            contact=contact,
            summary=summary,
        )
    interaction_log(
        account=org.accounts["csm_a1"][1],
        channel="call",
        category="value_adding",
        sentiment=1,
        summary="Dana Whitfield at the other customer",
    )
    return dana


def _ledger(account_id):
    return list(
        TrustEntry.objects.filter(account_id=account_id)
        .order_by("seq")
        .values_list("seq", "points", "reason", "balance_after")
    )


def test_erasure_removes_the_person_everywhere_and_keeps_ledger_and_scores(org, dana):
    """WHEN an admin erases Dana by id THEN her fields, her comment and every mention of her at
    the account are gone; scores, the other contact, the other account and the ledger stay."""
    ledger_before = _ledger(dana.account_id)
    dana.account.refresh_from_db()
    balance_before = dana.account.goodwill_balance
    assert balance_before > 0
    response = token_client(org.admin).post(
        f"/api/v1/contacts/{dana.pk}/erase/", {}, format="json", HTTP_X_REQUEST_ID="erase-req-42"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["account"], body["changed"]) == (dana.pk, dana.account_id, True)
    assert body["counts"]["survey_comments_cleared"] == 1
    assert body["counts"]["survey_comments_redacted"] == 1
    assert body["counts"]["interaction_summaries_redacted"] == 1
    assert body["counts"]["ledger_mentions"] == 0
    assert NAME not in response.content.decode() and EMAIL not in response.content.decode()

    erased = Contact.objects.get(pk=dana.pk)
    assert (erased.name, erased.email, erased.phone, erased.title) == ("Erased contact", "", "", "")
    assert erased.erased_at and erased.external_id == "crm-7"
    surveys = dict(SurveyResponse.objects.values_list("score", "comment"))
    assert surveys == {9: "", 7: "[erased] made onboarding easy"}
    summaries = set(Interaction.objects.values_list("summary", flat=True))
    assert summaries == {
        "Renewal call with [erased] ([erased]); [erased] asked for SSO. Call her on [erased].",
        "Bob walked us through their rollout.",
        "Dana Whitfield at the other customer",
    }
    assert _ledger(dana.account_id) == ledger_before
    dana.account.refresh_from_db()
    assert dana.account.goodwill_balance == balance_before

    record = AuditRecord.objects.get()
    assert (record.action, record.target_id, record.account_id) == (
        "contact.erased",
        dana.pk,
        dana.account_id,
    )
    assert (record.actor, record.request_id) == (org.admin, "erase-req-42")
    stored = str(AuditRecord.objects.values().get())
    assert all(term not in stored for term in ("Dana", "Whitfield", EMAIL, PHONE))


def test_erasing_again_by_external_id_changes_nothing(org, dana):
    admin = token_client(org.admin)
    first = admin.post("/api/v1/contacts/external/crm-7/erase/", {}, format="json").json()
    again = admin.post("/api/v1/contacts/external/crm-7/erase/", {}, format="json")
    assert again.status_code == 200
    assert again.json()["changed"] is False and again.json()["erased_at"] == first["erased_at"]
    assert AuditRecord.objects.count() == 1


def test_an_erased_contact_cannot_be_filled_in_again(org, dana):
    contact_erase(contact=dana, actor=org.admin)
    api = token_client(org.csm_a1)
    patched = api.patch(f"/api/v1/contacts/{dana.pk}/", {"name": NAME}, format="json")
    # A full replacement names the account (the schema requires it): a valid body, refused.
    body = {"account": dana.account_id, "name": NAME}
    put = api.put("/api/v1/contacts/external/crm-7/", body, format="json")
    assert (patched.status_code, put.status_code) == (409, 409)
    assert "erased" in patched.json()["message"]
    assert Contact.objects.get(pk=dana.pk).name == "Erased contact"


def test_erasure_redacts_logged_payloads_and_idempotent_replays(org, dana):
    """GIVEN the contact was created with an Idempotency-Key (its response kept for replays),
    a queued outbox row and a logged webhook delivery that mention her WHEN she is erased THEN
    none of them hold her name or e-mail, and a replay of that POST returns the redacted body."""
    api = token_client(org.csm_a1)
    created = api.post(
        "/api/v1/contacts/",
        {"account": dana.account_id, "name": "Dana Whitfield", "email": "dana.w2@acme.example"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-dana-2",
    )
    assert created.status_code == 201
    hook = Webhook.objects.create(name="h", url="https://x.example/", events=[], secret="s" * 20)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="cta.opened", payload={"note": f"for {NAME}"}, status="pending"
    )
    outbox = OutboxMessage.objects.create(event="x", handler="y", payload={"to": [EMAIL]})

    contact_erase(contact=dana, actor=org.admin)

    delivery.refresh_from_db()
    outbox.refresh_from_db()
    assert delivery.payload == {"note": "for [erased]"}
    assert outbox.payload == {"to": ["[erased]"]}
    replay = api.post(
        "/api/v1/contacts/",
        {"account": dana.account_id, "name": "Dana Whitfield", "email": "dana.w2@acme.example"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-dana-2",
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["name"] == "[erased]"
    assert NAME not in str(IdempotencyRecord.objects.values_list("response_body", flat=True))


def test_a_name_part_is_redacted_as_a_word_not_inside_other_words(org):
    account = org.accounts["csm_a1"][0]
    will = factories.ContactFactory(account=account, name="Will Ames", email="")
    interaction_log(
        account=account,
        channel="call",
        category="value_adding",
        sentiment=1,
        summary="Will said they will expand; Williams disagrees.",
    )
    contact_erase(contact=will, actor=org.admin)
    assert (
        Interaction.objects.get().summary == "[erased] said they will expand; Williams disagrees."
    )


@pytest.mark.django_db(transaction=True)
def test_erasure_needs_no_ledger_edit_even_as_the_app_role(org, dana, app_role):  # noqa: F811
    """GIVEN the runtime role, which may only SELECT and INSERT on the ledger WHEN it erases a
    contact whose interactions made ledger entries THEN it succeeds (committed, on PostgreSQL)
    and the entries are unchanged: their reasons never held the summaries."""
    before = _ledger(dana.account_id)
    assert before and all("Dana" not in reason for _seq, _p, reason, _b in before)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        contact_erase(contact=dana, actor=org.admin)
    assert Contact.objects.get(pk=dana.pk).erased_at is not None
    assert _ledger(dana.account_id) == before


@pytest.mark.django_db(transaction=True)
def test_the_migration_strips_summaries_that_old_ledger_reasons_copied(org):
    """GIVEN entries written before the ledger stopped copying summaries WHEN migration 0014
    runs THEN interaction reasons end at the classification; other reasons are untouched."""
    account = org.accounts["csm_a1"][0]
    old = [
        ("interaction", "Value adding (Call, sentiment +1): Lunch with Dana Whitfield"),
        ("interaction", "Escalation (Ticket, sentiment -2, severity 3): Dana: outage (again)"),
        ("manual", "Award (sentiment +1): kept as written"),
    ]
    for source, reason in old:
        trust_entry_append(account=account, points=1, reason=reason, source=source)
    migration = importlib.import_module("accounts.migrations.0014_ledger_purge_with_account")
    with transaction.atomic(), connection.schema_editor() as editor:
        migration.forward(None, editor)
    assert [reason for _s, _p, reason, _b in _ledger(account.pk)] == [
        "Value adding (Call, sentiment +1)",
        "Escalation (Ticket, sentiment -2, severity 3)",
        "Award (sentiment +1): kept as written",
    ]
