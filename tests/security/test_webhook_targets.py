"""Webhooks reach public http(s) addresses only (SSRF): loopback, link-local and private
targets are refused when registered and again, at the socket, on every delivery (so DNS
rebinding cannot redirect a POST); a receiver's answer never shows up beyond its status."""

import json

import pytest

from integrations import targets
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import webhook_create, webhook_delivery_attempt
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_rule(settings):
    """The default: no private network allowed."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://crm.example.com/hook",
    ],
)
def test_registering_a_non_public_target_is_a_400(org, production_rule, url):
    api = token_client(org.admin)
    response = api.post(
        "/api/v1/webhooks/", {"name": "x", "url": url, "events": ["cta.opened"]}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


def test_a_public_target_is_accepted(org, production_rule):
    api = token_client(org.admin)
    response = api.post(
        "/api/v1/webhooks/",
        {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["cta.opened"]},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_an_operator_may_allow_an_internal_network(org, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    hook = webhook_create(name="Internal", url="http://10.1.2.3/hook", events=["cta.opened"])
    assert hook.pk


def test_dns_rebinding_at_delivery_time_is_refused_at_the_socket(
    org, receiver, monkeypatch, settings
):
    """GIVEN a webhook whose name resolved to a public address when registered WHEN, at
    delivery, the name answers with loopback (where a receiver listens) THEN nothing is sent
    and the attempt says why."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    port = receiver.url.split(":")[2].split("/")[0]
    hook = webhook_create(
        name="Rebind", url=f"http://rebind.example.com:{port}/hook", events=["cta.opened"]
    )
    monkeypatch.setattr(targets, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={})
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert receiver.requests == []
    assert delivery.status == "retrying" and delivery.response_status is None
    assert "refused target" in delivery.response_excerpt
    assert "127.0.0.1" in WebhookAttempt.objects.get(delivery=delivery).error


def test_the_receivers_answer_is_not_kept_beyond_its_status(org, receiver):
    hook = webhook_create(name="Echo", url=receiver.url, events=["cta.opened"])
    delivery = WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={})
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert (delivery.status, delivery.response_status) == ("delivered", 200)
    assert delivery.response_excerpt == ""
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_excerpt == "" and attempt.error == ""
    api = token_client(org.admin)
    listed = api.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    assert "got" not in json.dumps(listed)  # the receiver's body said {"got": 1}
