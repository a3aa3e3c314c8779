"""Outbound webhooks: HMAC-signed, sent after commit by Celery, retried with back-off, logged."""

import hashlib
import hmac
import json
import time

import pytest

from accounts.services import trust_entry_append
from core.events import publish
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import webhook_create, webhook_retry_delay, webhook_signature
from tests.conftest import WORKER_WEBHOOK_RETRY_BASE_SECONDS


def verify(secret: str, request: dict) -> bool:
    """What a receiver does: recompute HMAC-SHA256 over "<timestamp>.<body>"."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["x-csplatform-timestamp"]
    expected = (
        "sha256="
        + hmac.new(
            secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256
        ).hexdigest()
    )
    return hmac.compare_digest(expected, headers["x-csplatform-signature"])


def test_ledger_entry_is_delivered_signed_after_commit(
    org, receiver, django_capture_on_commit_callbacks
):
    """GIVEN a webhook on ledger entries WHEN an entry is appended THEN a signed POST arrives."""
    hook = webhook_create(name="BI", url=receiver.url, events=["ledger.entry_appended"])
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        entry = trust_entry_append(account=account, points=4, reason="Won award", source="manual")
    # the event handler itself enqueues after commit; run those callbacks too
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(hook.secret, request)
    body = json.loads(request["body"])
    assert body["event"] == "ledger.entry_appended"
    assert body["data"]["entry_id"] == entry.pk and body["data"]["account_id"] == account.pk
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)


def test_tampered_body_fails_verification(org, receiver, django_capture_on_commit_callbacks):
    hook = webhook_create(name="CRM", url=receiver.url, events=["cta.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        publish("cta.opened", cta_id=1, account_id=2, rule="plan_lagging", priority="high")
    request = dict(receiver.requests[0])
    request["body"] = request["body"].replace(b"high", b"low")
    assert not verify(hook.secret, request)


def test_failed_delivery_is_retried_and_every_attempt_logged(
    org, receiver, django_capture_on_commit_callbacks
):
    """GIVEN a receiver that answers 500 once WHEN an event fires THEN the retry delivers it."""
    receiver.statuses = [500]
    webhook_create(name="Flaky", url=receiver.url, events=["health.band_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        publish(
            "health.band_changed",
            account_id=1,
            as_of="2026-03-01",
            from_band="green",
            to_band="red",
            score=31,
        )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "response_status")
    )
    assert log == [(1, 500), (2, 200)]
    assert len(receiver.requests) == 2


def test_delivery_gives_up_after_the_attempt_limit(
    org, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_EAGER_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 502, 503, 500]
    webhook_create(name="Down", url=receiver.url, events=["health.decay_alert"])
    with django_capture_on_commit_callbacks(execute=True):
        publish(
            "health.decay_alert",
            account_id=1,
            as_of="2026-03-01",
            from_status="stable",
            to_status="in_decay",
            decay_score=80,
        )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)


def test_unreachable_receiver_is_logged_not_raised(org, django_capture_on_commit_callbacks):
    webhook_create(name="Nowhere", url="http://127.0.0.1:9/x", events=["cta.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        publish("cta.opened", cta_id=1, account_id=2, rule="r", priority="low")
    attempt = WebhookAttempt.objects.first()
    assert attempt.response_status is None and "Connection" in attempt.error


def test_inactive_or_unsubscribed_webhooks_get_nothing(
    org, receiver, django_capture_on_commit_callbacks
):
    webhook_create(name="Off", url=receiver.url, events=["cta.opened"], active=False)
    webhook_create(name="Other", url=receiver.url, events=["health.decay_alert"])
    with django_capture_on_commit_callbacks(execute=True):
        publish("cta.opened", cta_id=1, account_id=2, rule="r", priority="low")
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_back_off_grows_exponentially(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [webhook_retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_signature_covers_timestamp_and_body():
    a = webhook_signature(secret="s", timestamp="1", body=b"{}")
    assert a != webhook_signature(secret="s", timestamp="2", body=b"{}")
    assert a != webhook_signature(secret="t", timestamp="1", body=b"{}")


def test_webhooks_api_is_admin_only_and_shows_the_secret_once(org):
    from tests.api.conftest import token_client

    csm, admin = token_client(org.csm_a1), token_client(org.admin)
    body = {"name": "CRM", "url": "https://crm.example/hook", "events": ["cta.opened"]}
    assert csm.get("/api/v1/webhooks/").status_code == 403
    assert csm.post("/api/v1/webhooks/", body, format="json").status_code == 403
    created = admin.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    shown = admin.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert "secret" not in shown
    bad = admin.post("/api/v1/webhooks/", {**body, "events": ["everything"]}, format="json")
    assert bad.status_code == 400
    ftp = admin.post("/api/v1/webhooks/", {**body, "url": "ftp://x.example/"}, format="json")
    assert ftp.status_code == 400


@pytest.mark.services
def test_real_worker_retries_with_countdown(celery_worker, receiver, transactional_db):
    """GIVEN a real worker (retrying after WORKER_WEBHOOK_RETRY_BASE_SECONDS, 1 s) and a
    receiver failing once THEN the worker's delayed retry delivers."""
    from tests import factories

    receiver.statuses = [500]
    factories.UserFactory(username="hooks")
    webhook_create(name="Real", url=receiver.url, events=["cta.opened"])
    publish("cta.opened", cta_id=7, account_id=1, rule="r", priority="high")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.first()
        if delivery and delivery.status == "delivered":
            break
        time.sleep(0.3)
    assert delivery.status == "delivered" and delivery.attempts == 2
    gap = receiver_gap(receiver)
    # The retry waited its countdown (the 1 s base) instead of hammering.
    assert gap >= 0.9 * WORKER_WEBHOOK_RETRY_BASE_SECONDS


def receiver_gap(receiver) -> float:
    stamps = [int(r["headers"]["X-Csplatform-Timestamp"]) for r in receiver.requests]
    return float(stamps[1] - stamps[0]) if len(stamps) == 2 else 0.0


def test_a_score_runs_batched_alerts_are_delivered_one_per_alert_under_their_own_event(
    org, receiver, django_capture_on_commit_callbacks
):
    """GIVEN a webhook for band changes only WHEN a score run publishes a band change and a
    decay alert in one batch THEN the receiver gets exactly the band change, signed, named
    `health.band_changed`, with the single event's payload."""
    hook = webhook_create(name="Bands", url=receiver.url, events=["health.band_changed"])
    alerts = [
        {
            "event": "health.band_changed",
            "account_id": 7,
            "as_of": "2026-03-01",
            "from_band": "green",
            "to_band": "yellow",
            "score": 55,
        },
        {
            "event": "health.decay_alert",
            "account_id": 8,
            "as_of": "2026-03-01",
            "from_status": "stable",
            "to_status": "decaying",
            "decay_score": 40,
        },
    ]
    with django_capture_on_commit_callbacks(execute=True):
        publish("health.alerts_raised", alerts=alerts)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(hook.secret, request)
    body = json.loads(request["body"])
    assert body["event"] == "health.band_changed"
    assert body["data"] == {
        "account_id": 7,
        "as_of": "2026-03-01",
        "from_band": "green",
        "to_band": "yellow",
        "score": 55,
    }


def test_the_delivery_log_lists_newest_first_across_pages_whatever_the_webhooks_ordering(org):
    """GIVEN a webhook with three deliveries WHEN an admin reads its log a page at a time
    (with or without the webhook list's ordering parameter) THEN the newest comes first, as
    documented (the list's `ordering` is not a parameter of the log, so it changes nothing)."""
    from tests.api.conftest import token_client

    hook = webhook_create(name="Log", url="https://crm.example.com/hook", events=["cta.opened"])
    made = [
        WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={}).pk
        for _ in range(3)
    ]
    api = token_client(org.admin)
    url = f"/api/v1/webhooks/{hook.pk}/deliveries/"
    first = api.get(url, {"page_size": 2}).json()
    second = api.get(url, {"page_size": 2, "cursor": first["next_cursor"]}).json()
    listed = [d["id"] for d in first["results"] + second["results"]]
    assert listed == sorted(made, reverse=True)
    ordered = api.get(url, {"ordering": "name"})
    assert ordered.status_code == 200
    assert [d["id"] for d in ordered.json()["results"]] == sorted(made, reverse=True)
