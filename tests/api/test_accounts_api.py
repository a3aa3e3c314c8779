"""Accounts, contacts, interactions, the ledger and signals through the API."""

import pytest

from accounts.models import Account, Contact, Interaction, TrustEntry
from tests import factories

from .conftest import token_client


def test_other_csms_account_is_404_everywhere(api, org):
    theirs = org.accounts["csm_b1"][0]
    assert api.get(f"/api/v1/accounts/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/accounts/external/{theirs.external_id}/").status_code == 404
    assert api.get(f"/api/v1/accounts/{theirs.pk}/ledger/").status_code == 404
    patch = api.patch(f"/api/v1/accounts/{theirs.pk}/", {"name": "mine now"}, format="json")
    assert patch.status_code == 404
    contact = factories.ContactFactory(account=theirs, external_id="c-theirs")
    assert api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
    assert api.get("/api/v1/contacts/external/c-theirs/").status_code == 404
    assert Account.objects.get(pk=theirs.pk).name == theirs.name


def test_creating_under_another_csms_account_looks_like_an_unknown_account(api, org):
    theirs = org.accounts["csm_b1"][0]
    response = api.post(
        "/api/v1/interactions/",
        {"account": theirs.pk, "channel": "call", "category": "value_adding"},
        format="json",
    )
    assert response.status_code == 404  # exactly as for an id that does not exist
    assert "account" in response.json()["errors"]
    assert not Interaction.objects.filter(account=theirs).exists()


def test_crm_sync_upserts_an_account_by_external_id(api, org):
    """GIVEN no account "crm-42" WHEN the CRM PUTs it twice THEN it is created, then updated."""
    first = api.put(
        "/api/v1/accounts/external/crm-42/", {"name": "Zeta", "arr": "5000"}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["owner"] == org.csm_a1.pk
    second = api.put(
        "/api/v1/accounts/external/crm-42/", {"name": "Zeta GmbH", "arr": "6000"}, format="json"
    )
    assert second.status_code == 200
    account = Account.objects.get(external_id="crm-42")
    assert (account.name, str(account.arr)) == ("Zeta GmbH", "6000.00")
    assert second.json()["id"] == first.json()["id"]


def test_crm_sync_cannot_take_over_an_invisible_external_id(api, org):
    theirs = org.accounts["csm_b1"][0]
    response = api.put(
        f"/api/v1/accounts/external/{theirs.external_id}/", {"name": "Hijack"}, format="json"
    )
    assert response.status_code == 404
    assert Account.objects.get(pk=theirs.pk).owner == org.csm_b1


def test_computed_and_audit_fields_cannot_be_mass_assigned(api, org):
    account = org.accounts["csm_a1"][0]
    response = api.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"goodwill_balance": 9999, "health_score": 100, "icp_fit": 100, "region": "APAC"},
        format="json",
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.region == "APAC"
    assert account.goodwill_balance != 9999 and account.health_score is None


def test_csm_cannot_hand_an_account_to_someone_else(api, org):
    account = org.accounts["csm_a1"][0]
    response = api.patch(f"/api/v1/accounts/{account.pk}/", {"owner": org.csm_a2.pk}, format="json")
    assert response.status_code == 403  # a value the role may not set
    assert "owner" in response.json()["errors"]


def test_manager_reassigns_within_their_teams_only(org):
    manager = token_client(org.manager_a)
    account = org.accounts["csm_a1"][0]
    moved = manager.patch(
        f"/api/v1/accounts/{account.pk}/", {"owner": org.csm_a2.pk}, format="json"
    )
    assert moved.status_code == 200
    refused = manager.patch(
        f"/api/v1/accounts/{account.pk}/", {"owner": org.csm_b1.pk}, format="json"
    )
    assert refused.status_code == 403
    account.refresh_from_db()
    assert account.owner == org.csm_a2


def test_admin_may_assign_any_owner(admin_api, org):
    account = org.accounts["csm_a1"][0]
    response = admin_api.patch(
        f"/api/v1/accounts/{account.pk}/", {"owner": org.csm_b1.pk}, format="json"
    )
    assert response.status_code == 200


def test_a_csm_cannot_delete_even_their_own_account(api, org):
    """Archiving and deleting are admins' (tests/accounts/test_lifecycle.py)."""
    account = org.accounts["csm_a1"][0]
    response = api.delete(f"/api/v1/accounts/{account.pk}/")
    assert response.status_code == 403 and "admin" in response.json()["message"].lower()
    account.refresh_from_db()
    assert account.archived_at is None


def test_contact_upsert_by_external_id_and_account_external_id(api, org):
    account = org.accounts["csm_a1"][0]
    body = {"account_external_id": account.external_id, "name": "Dana", "email": "d@x.io"}
    assert api.put("/api/v1/contacts/external/hub-7/", body, format="json").status_code == 201
    body["title"] = "CTO"
    assert api.put("/api/v1/contacts/external/hub-7/", body, format="json").status_code == 200
    contact = Contact.objects.get(external_id="hub-7")
    assert (contact.account, contact.title) == (account, "CTO")
    assert api.delete("/api/v1/contacts/external/hub-7/").status_code == 204


def test_ledger_appends_and_reverses_but_never_edits(api, org):
    account = org.accounts["csm_a1"][0]
    url = f"/api/v1/accounts/{account.pk}/ledger/"
    appended = api.post(
        url, {"points": -5, "reason": "Outage", "source": "incident"}, format="json"
    )
    assert appended.status_code == 201
    entry = appended.json()
    assert entry["kind"] == "chute"
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(f"{url}{entry['id']}/", {}, format="json").status_code == 405
        assert getattr(api, method)(url, {}, format="json").status_code == 405
    reversed_ = api.post(f"{url}{entry['id']}/reverse/", {"reason": "Wrong account"}, format="json")
    assert reversed_.status_code == 201
    assert reversed_.json()["points"] == -entry["points"]
    again = api.post(f"{url}{entry['id']}/reverse/", {"reason": "twice"}, format="json")
    assert again.status_code == 409  # the entry as it stands: reversed already
    assert "already been reversed" in str(again.json())
    listed = api.get(url).json()["results"]
    assert [e["reversed_by"] for e in listed if e["id"] == entry["id"]] == [reversed_.json()["id"]]
    assert TrustEntry.objects.filter(account=account).count() == 2


def test_logging_an_interaction_moves_the_goodwill_balance(api, org):
    account = org.accounts["csm_a1"][0]
    response = api.post(
        "/api/v1/interactions/",
        {"account": account.pk, "channel": "call", "category": "escalation", "severity": 3},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["goodwill_points"] < 0
    assert api.get(f"/api/v1/accounts/{account.pk}/").json()["goodwill_balance"] < 0


def test_survey_and_subscription_and_usage_round_trip(api, org):
    account = org.accounts["csm_a1"][0]
    survey = api.post(
        "/api/v1/surveys/", {"account": account.pk, "kind": "csat", "score": 9}, format="json"
    )
    assert survey.status_code == 400  # CSAT runs 1..5
    survey = api.post(
        "/api/v1/surveys/", {"account": account.pk, "kind": "nps", "score": 9}, format="json"
    )
    assert survey.status_code == 201
    sub = api.post(
        "/api/v1/subscriptions/",
        {"account": account.pk, "product": "Core", "start_date": "2025-01-01", "mrr": "250"},
        format="json",
    )
    assert sub.status_code == 201
    usage = {"account": account.pk, "metric": "logins", "date": "2026-01-02", "value": 3}
    assert api.post("/api/v1/usage/", usage, format="json").status_code == 201
    usage["value"] = 4
    assert api.post("/api/v1/usage/", usage, format="json").status_code == 200
    listed = api.get(f"/api/v1/usage/?account={account.pk}&metric=logins").json()["results"]
    assert [row["value"] for row in listed] == [4.0]


def test_only_admins_change_configuration(api, admin_api, org):
    assert api.get("/api/v1/segments/").status_code == 200
    assert api.post("/api/v1/segments/", {"name": "New"}, format="json").status_code == 403
    created = admin_api.post(
        "/api/v1/icp-profiles/",
        {
            "name": "Fintech ICP",
            "criteria": [{"attribute": "industry", "operator": "in", "value": ["Fintech"]}],
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["criteria"][0]["value"] == ["Fintech"]
    bad = admin_api.post(
        "/api/v1/icp-profiles/",
        {"name": "Bad", "criteria": [{"attribute": "arr", "operator": "between", "value": "x"}]},
        format="json",
    )
    assert bad.status_code == 400


def test_deleting_a_segment_in_use_is_a_409(admin_api, org):
    response = admin_api.delete(f"/api/v1/segments/{org.segment.pk}/")
    assert response.status_code == 409
    assert response.json()["message"]


BAD_BODIES = [
    ("/api/v1/accounts/", "not json at all"),
    ("/api/v1/accounts/", "[1, 2, 3]"),
    ("/api/v1/accounts/", '{"name": "x", "arr": "1e999"}'),
    ("/api/v1/accounts/", '{"name": "x", "arr": 123456789012345678901234567890}'),
    ("/api/v1/accounts/", '{"name": "x", "employee_count": 99999999999999999999}'),
    ("/api/v1/accounts/", '{"name": "x", "renewal_date": "2026-02-31"}'),
    ("/api/v1/accounts/", '{"name": "x", "segment": 99999999999999999999}'),
    ("/api/v1/accounts/", '{"name": "x", "custom_attributes": [1]}'),
    ("/api/v1/accounts/", '{"name": "nul\\u0000byte"}'),
    ("/api/v1/interactions/", '{"account_external_id": "nope", "channel": "call"}'),
    ("/api/v1/interactions/", '{"account": true, "channel": "call", "category": "x"}'),
    ("/api/v1/interactions/", '{"account": 1, "occurred_at": "yesterday"}'),
    ("/api/v1/usage/", '{"account": 1, "metric": "m", "date": "2026-13-01", "value": "NaN"}'),
    ("/api/v1/usage/bulk/", '{"rows": "all of them"}'),
    ("/api/v1/usage/bulk/", '{"rows": [1, 2]}'),
    ("/api/v1/interactions/bulk/", "[]"),
    ("/api/v1/surveys/", '{"account": 1, "kind": "nps", "score": 1e400}'),
]


@pytest.mark.parametrize("path,body", BAD_BODIES)
def test_bad_input_is_a_json_400_never_a_500(api, org, path, body):
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["message"] and "errors" in payload


def test_form_encoded_body_is_415(api, org):
    response = api.post("/api/v1/accounts/", {"name": "x"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
