"""Webhooks reach public http(s) addresses only (SSRF): an IP address, localhost or a
single-label name is refused when registered (the URL must name a host), and where a name
points is checked at the socket on every delivery (so a name that resolves, or later rebinds,
to loopback, link-local or private addresses is never POSTed to, and the attempt says why); a
receiver's answer never shows up beyond its status."""

import json
import re

import pytest

from integrations import targets
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import webhook_create, webhook_delivery_attempt
from integrations.targets import webhook_url_pattern
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
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://metadata/computeMetadata/v1/",
        "http://user:pw@crm.example.com/hook",
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
    assert not re.fullmatch(webhook_url_pattern(), url)  # the schema's pattern says so too


def test_a_name_resolving_to_a_private_address_is_registered_but_never_sent_to(
    org, production_rule, receiver, monkeypatch
):
    """GIVEN a webhook whose host name resolves to a private address (no DNS is asked when it
    is registered) WHEN an event is delivered THEN nothing is sent, and the delivery log says
    which address was refused."""
    port = receiver.url.split(":")[2].split("/")[0]
    monkeypatch.setattr(targets, "resolve", lambda host, port: ["127.0.0.1", "10.0.0.7"])
    api = token_client(org.admin)
    url = f"http://inside.example.com:{port}/hook"
    response = api.post(
        "/api/v1/webhooks/", {"name": "Inside", "url": url, "events": ["cta.opened"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    delivery = WebhookDelivery.objects.create(
        webhook_id=response.json()["id"], event="cta.opened", payload={}
    )
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert receiver.requests == []
    assert delivery.response_status is None
    assert delivery.response_excerpt.startswith("refused target: inside.example.com resolves to")
    assert "127.0.0.1, 10.0.0.7" in delivery.response_excerpt


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
    # The schema's pattern admits that network's addresses, and no others.
    assert re.fullmatch(webhook_url_pattern(), "http://10.255.0.1:8080/hook")
    assert not re.fullmatch(webhook_url_pattern(), "http://11.0.0.1/hook")
    assert not re.fullmatch(webhook_url_pattern(), "http://192.168.0.10/hook")


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
