"""Replaying webhook deliveries from the delivery log: a new delivery linked to the original,
signed afresh; through the API (idempotency-safe) and the admin's delivery log page."""

import json

import pytest

from integrations.models import WebhookDelivery
from integrations.services import webhook_create
from tests.api.conftest import token_client

from .test_webhooks import verify

PAYLOAD = {"cta_id": 5, "account_id": 9, "rule": "plan_lagging", "priority": "high"}


@pytest.fixture
def failed(org, receiver):
    """A delivery that failed for good (the receiver was down) on an active webhook."""
    hook = webhook_create(name="CRM", url=receiver.url, events=["cta.opened"])
    return WebhookDelivery.objects.create(
        webhook=hook, event="cta.opened", payload=PAYLOAD, status="failed", attempts=5
    )


def test_replay_sends_a_new_linked_delivery_signed_afresh(
    org, receiver, failed, django_capture_on_commit_callbacks
):
    """GIVEN a failed delivery WHEN an admin replays it through the API THEN a new delivery of
    the same event, version and payload is sent, links to the original (body and API), carries
    a valid fresh signature, and the original's log stays as it was."""
    admin = token_client(org.admin)
    url = f"/api/v1/webhooks/{failed.webhook_id}/deliveries/{failed.pk}/replay/"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {}, format="json")
    assert response.status_code == 201, response.content
    replay = response.json()
    assert replay["id"] != failed.pk and replay["replay_of"] == failed.pk
    assert (replay["event"], replay["version"], replay["payload"]) == ("cta.opened", 1, PAYLOAD)

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert verify(failed.webhook.secret, sent)
    body = json.loads(sent["body"])
    assert (body["id"], body["replay_of"], body["data"]) == (replay["id"], failed.pk, PAYLOAD)
    assert WebhookDelivery.objects.get(pk=replay["id"]).status == "delivered"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("failed", 5)

    listed = admin.get(f"/api/v1/webhooks/{failed.webhook_id}/deliveries/").json()["results"]
    assert sorted((d["id"], d["replay_of"]) for d in listed) == [
        (failed.pk, None),
        (replay["id"], failed.pk),
    ]


def test_replaying_a_replay_links_to_the_first_delivery(org, failed):
    admin = token_client(org.admin)
    base = f"/api/v1/webhooks/{failed.webhook_id}/deliveries/"
    first = admin.post(f"{base}{failed.pk}/replay/", {}, format="json").json()
    WebhookDelivery.objects.filter(pk=first["id"]).update(status="delivered")
    second = admin.post(f"{base}{first['id']}/replay/", {}, format="json")
    assert second.status_code == 201
    assert second.json()["replay_of"] == failed.pk


def test_an_idempotency_key_makes_a_retried_replay_request_one_replay(org, failed):
    admin = token_client(org.admin)
    url = f"/api/v1/webhooks/{failed.webhook_id}/deliveries/{failed.pk}/replay/"
    first = admin.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="replay-1")
    again = admin.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="replay-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert WebhookDelivery.objects.filter(replay_of=failed).count() == 1


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"status": "retrying"}, 409, "still being attempted"),
        ({"webhook_active": False}, 409, "paused"),
        ({"other_webhook": True}, 404, ""),
        ({"body": {"now": True}}, 400, "not known"),
    ],
)
def test_a_replay_that_cannot_happen_is_a_clear_json_error(org, failed, change, status, text):
    body = change.get("body", {})
    webhook_id = failed.webhook_id
    if "status" in change:
        WebhookDelivery.objects.filter(pk=failed.pk).update(status=change["status"])
    if "webhook_active" in change:
        type(failed.webhook).objects.filter(pk=webhook_id).update(active=False)
    if change.get("other_webhook"):
        webhook_id = webhook_create(name="Other", url=failed.webhook.url, events=["cta.opened"]).pk
    response = token_client(org.admin).post(
        f"/api/v1/webhooks/{webhook_id}/deliveries/{failed.pk}/replay/", body, format="json"
    )
    assert response.status_code == status
    assert text in json.dumps(response.json())
    assert not WebhookDelivery.objects.filter(replay_of=failed).exists()


def test_admins_replay_from_the_delivery_log_page(client, org, failed):
    client.force_login(org.admin)
    page = client.get(f"/integrations/webhooks/{failed.webhook_id}/")
    action = f"/integrations/webhooks/{failed.webhook_id}/deliveries/{failed.pk}/replay/"
    assert action in page.content.decode()
    response = client.post(action, follow=True)
    replay = WebhookDelivery.objects.get(replay_of=failed)
    assert f"replayed as #{replay.pk}" in response.content.decode()
    assert f"replay of #{failed.pk}" in response.content.decode()


def test_a_csm_cannot_replay_from_the_page(client, org, failed):
    client.force_login(org.csm_a1)
    response = client.post(
        f"/integrations/webhooks/{failed.webhook_id}/deliveries/{failed.pk}/replay/"
    )
    assert response.status_code == 403
    assert not WebhookDelivery.objects.filter(replay_of=failed).exists()
