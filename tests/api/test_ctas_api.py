"""The CTA work API: close with an outcome, notes with @mentions, reassign, snooze, due date,
playbook checkboxes and bulk actions with per-item results; typed, strict and scoped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from success.models import Cta, CtaStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cta(org):
    return factories.CtaFactory(account=org.accounts["csm_a1"][0], title="Renewal rescue")


def test_closing_with_an_outcome_and_note(api, cta):
    response = api.post(
        f"/api/v1/ctas/{cta.pk}/close/",
        {"outcome": "escalated", "note": "Handed to the VP"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["close_note"]) == (
        "done",
        "escalated",
        "Handed to the VP",
    )
    again = api.post(f"/api/v1/ctas/{cta.pk}/close/", {"outcome": "resolved"}, format="json")
    assert again.status_code == 409 and "already closed" in str(again.json())
    bad = api.post(f"/api/v1/ctas/{cta.pk}/close/", {"outcome": "shrug"}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()["errors"]


def test_closing_by_status_records_the_implied_outcome(api, cta):
    response = api.patch(f"/api/v1/ctas/{cta.pk}/", {"status": "dismissed"}, format="json")
    assert response.json()["outcome"] == "no_action_needed"


def test_a_note_with_a_mention_is_stored_with_the_user(api, org, cta):
    response = api.post(
        f"/api/v1/ctas/{cta.pk}/notes/", {"body": "@manager_a please call them"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["mentions"] == ["manager_a"]
    assert response.json()["author"] == "csm_a1"
    refused = api.post(f"/api/v1/ctas/{cta.pk}/notes/", {"body": "@csm_b1 hi"}, format="json")
    assert refused.status_code == 403  # someone this CTA may not be shown to
    assert "cannot see this CTA" in refused.json()["errors"]["body"][0]
    assert api.post(f"/api/v1/ctas/{cta.pk}/notes/", {"body": 5}, format="json").status_code == 400
    detail = api.get(f"/api/v1/ctas/{cta.pk}/").json()
    assert [n["body"] for n in detail["notes"]] == ["@manager_a please call them"]


def test_reassign_snooze_and_due_date(api, org, cta):
    today = timezone.localdate()
    response = api.post(f"/api/v1/ctas/{cta.pk}/reassign/", {"owner": "csm_a2"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == "csm_a2"
    unknown = api.post(f"/api/v1/ctas/{cta.pk}/reassign/", {"owner": "ghost"}, format="json")
    assert unknown.status_code == 404 and "No active user is called ghost." in str(unknown.json())

    until = (today + timedelta(days=3)).isoformat()
    snoozed = api.post(f"/api/v1/ctas/{cta.pk}/snooze/", {"until": until}, format="json").json()
    assert snoozed["snoozed_until"] == until and snoozed["is_snoozed"] is True
    assert cta.pk not in [c["id"] for c in api.get("/api/v1/ctas/?status=live").json()["results"]]
    assert [c["id"] for c in api.get("/api/v1/ctas/?status=snoozed").json()["results"]] == [cta.pk]
    woken = api.post(f"/api/v1/ctas/{cta.pk}/snooze/", {"until": None}, format="json").json()
    assert woken["is_snoozed"] is False
    past = api.post(f"/api/v1/ctas/{cta.pk}/snooze/", {"until": today.isoformat()}, format="json")
    assert past.status_code == 400 and "until" in past.json()["errors"]

    due = (today + timedelta(days=20)).isoformat()
    moved = api.patch(f"/api/v1/ctas/{cta.pk}/", {"due_on": due}, format="json")
    assert moved.status_code == 200 and moved.json()["due_on"] == due
    # Every PATCH field is optional (as the schema says): an empty body changes nothing.
    unchanged = api.patch(f"/api/v1/ctas/{cta.pk}/", {}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["due_on"] == due


def test_a_playbook_checkbox_is_set_not_flipped(api, org, cta):
    step = cta.steps.create(order=1, text="Call the champion")
    url = f"/api/v1/ctas/{cta.pk}/steps/{step.pk}/"
    for _ in range(2):  # idempotent: ticking twice leaves it ticked
        body = api.patch(url, {"done": True}, format="json").json()
    assert body["done_by"] == "csm_a1" and body["done_at"]
    assert api.get(f"/api/v1/ctas/{cta.pk}/").json()["status"] == CtaStatus.IN_PROGRESS
    assert api.patch(url, {"done": "yes"}, format="json").status_code == 400
    assert api.patch(url, {"done": False}, format="json").json()["done_at"] is None


def test_an_empty_step_patch_changes_nothing_even_on_a_closed_cta(api, cta):
    """Found by make contract's stateful phase: close, then PATCH a step with {} (the schema's
    `done` is optional) was a 400 asking for `done`."""
    step = cta.steps.create(order=1, text="Call the champion")
    api.post(f"/api/v1/ctas/{cta.pk}/close/", {"outcome": "resolved"}, format="json")
    response = api.patch(f"/api/v1/ctas/{cta.pk}/steps/{step.pk}/", {}, format="json")
    assert response.status_code == 200 and response.json()["done_at"] is None


def test_bulk_close_reports_per_item_and_other_peoples_ctas_read_not_found(api, org, cta):
    second = factories.CtaFactory(account=org.accounts["csm_a1"][1])
    theirs = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    response = api.post(
        "/api/v1/ctas/bulk-close/",
        {"ids": [cta.pk, theirs.pk, second.pk], "outcome": "customer_churned", "note": "Gone"},
        format="json",
    )
    assert response.status_code == 207
    assert response.json() == {
        "changed": 2,
        "results": [
            {"id": cta.pk, "ok": True, "error": ""},
            {"id": theirs.pk, "ok": False, "error": "Not found."},
            {"id": second.pk, "ok": True, "error": ""},
        ],
    }
    assert Cta.objects.get(pk=theirs.pk).status == CtaStatus.OPEN
    assert (
        api.post(
            "/api/v1/ctas/bulk-close/", {"ids": [], "outcome": "resolved"}, format="json"
        ).status_code
        == 400
    )
    too_many = {"ids": list(range(1, 202)), "outcome": "resolved"}
    assert api.post("/api/v1/ctas/bulk-close/", too_many, format="json").status_code == 400


def test_bulk_reassign_all_changed_is_a_200(api, org, cta):
    second = factories.CtaFactory(account=org.accounts["csm_a1"][1])
    response = api.post(
        "/api/v1/ctas/bulk-reassign/",
        {"ids": [cta.pk, second.pk], "owner": "csm_a2"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["changed"] == 2
    assert set(Cta.objects.values_list("owner__username", flat=True)) == {"csm_a2"}


def test_every_cta_action_on_another_csms_cta_is_a_404(api, org):
    theirs = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    step = theirs.steps.create(order=1, text="x")
    base = f"/api/v1/ctas/{theirs.pk}"
    calls = [
        ("get", f"{base}/", None),
        ("patch", f"{base}/", {"status": "done"}),
        ("post", f"{base}/close/", {"outcome": "resolved"}),
        ("post", f"{base}/notes/", {"body": "hi"}),
        ("post", f"{base}/reassign/", {"owner": "csm_a1"}),
        ("post", f"{base}/snooze/", {"until": None}),
        ("patch", f"{base}/steps/{step.pk}/", {"done": True}),
    ]
    for method, url, body in calls:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
        assert response["Content-Type"].startswith("application/json")
    theirs.refresh_from_db()
    assert theirs.status == CtaStatus.OPEN and theirs.owner == org.csm_b1


def test_a_read_only_token_cannot_work_ctas(org, cta):
    from tests.api.conftest import token_client

    reader = token_client(org.csm_a1, scopes=["read"])
    response = reader.post(f"/api/v1/ctas/{cta.pk}/close/", {"outcome": "resolved"}, format="json")
    assert response.status_code == 403
