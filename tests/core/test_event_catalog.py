"""The webhook event catalog: every event has a versioned JSON Schema, served beside the OpenAPI
schema, and what the publishers really send validates against it.

Adding a webhook event: define it in core/event_catalog.py and add the real action that
publishes it to TRIGGERS below (a test fails until both exist).
"""

import json
from datetime import date

import pytest
from jsonschema import Draft202012Validator

from accounts.services import trust_entry_append
from core.event_catalog import WEBHOOK_EVENTS, EventPayloadError, event_data
from healthscores.models import AlertKind, HealthAlert
from healthscores.services.persist import alerts_publish
from integrations.models import WebhookEvent
from integrations.services import webhook_create
from success.models import InterventionRule
from success.services import intervention_rules_ensure
from success.services.interventions import cta_open, ctas_open_many
from tests.integrations.conftest import Receiver

AS_OF = date(2026, 3, 2)


def _ledger(org):
    trust_entry_append(account=org.accounts["csm_a1"][0], points=-3, reason="r", source="incident")


def _ctas(org):
    intervention_rules_ensure()
    rule = InterventionRule.objects.order_by("pk").first()
    cta_open(rule=rule, account=org.accounts["csm_a1"][0], reason="Lagging")
    ctas_open_many(
        rule=rule,
        candidates={a.pk: (a.owner_id, "Lagging", {}) for a in org.accounts["csm_b1"]},
    )


def _alerts(org):
    account = org.accounts["csm_a2"][0]
    alerts_publish(
        alerts=[
            HealthAlert(
                account_id=account.pk, as_of=AS_OF, kind=AlertKind.BAND_DROP,
                from_value="green", to_value="red", score=31,
            ),
            HealthAlert(
                account_id=account.pk, as_of=AS_OF, kind=AlertKind.DECAY,
                from_value="stable", to_value="in_decay", score=77,
            ),
        ]
    )  # fmt: skip


# The real code path that publishes each webhook event.
TRIGGERS = {
    "ledger.entry_appended": _ledger,
    "cta.opened": _ctas,
    "health.band_changed": _alerts,
    "health.decay_alert": _alerts,
}


def test_every_webhook_event_has_a_schema_and_a_real_publisher_under_test():
    assert set(WebhookEvent.values) == set(WEBHOOK_EVENTS), "define the event in the catalog"
    assert set(TRIGGERS) == set(WEBHOOK_EVENTS), "add the action that publishes it to TRIGGERS"
    for event in WEBHOOK_EVENTS.values():
        Draft202012Validator.check_schema(event.schema)
        assert event.version >= 1 and event.schema["properties"]["version"]["const"]


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_what_receivers_get_validates_against_the_published_schema(
    org, client, django_capture_on_commit_callbacks, name
):
    """GIVEN a webhook subscribed to the event WHEN the real action publishes it THEN every body
    the receiver gets validates against the schema served at /api/schema/events/<name>/ and
    carries the schema's version (in the body and the X-Csplatform-Event-Version header)."""
    schema = client.get(f"/api/schema/events/{name}/").json()
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    with Receiver() as receiver:
        webhook_create(name="all", url=receiver.url, events=[name])
        with django_capture_on_commit_callbacks(execute=True):
            TRIGGERS[name](org)
        bodies = [json.loads(r["body"]) for r in receiver.requests]
        versions = {r["headers"]["X-Csplatform-Event-Version"] for r in receiver.requests}
    assert bodies, f"{name} was not delivered"
    for body in bodies:
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (body, errors)
        assert body["event"] == name and body["version"] == WEBHOOK_EVENTS[name].version
    assert versions == {str(WEBHOOK_EVENTS[name].version)}
    if name == "cta.opened":  # one alone and three at once (a rule run's bulk event)
        assert len(bodies) == 3


def test_the_catalog_is_served_beside_the_openapi_schema(client, db):
    index = client.get("/api/schema/events/")
    assert index.status_code == 200
    listed = {e["event"]: e for e in index.json()["events"]}
    assert set(listed) == set(WEBHOOK_EVENTS)
    for name, entry in listed.items():
        assert entry["version"] == WEBHOOK_EVENTS[name].version
        one = client.get(entry["schema"])
        assert one.status_code == 200 and one["Content-Type"] == "application/schema+json"
        assert one.json() == json.loads(json.dumps(WEBHOOK_EVENTS[name].schema))
    missing = client.get("/api/schema/events/no.such_event/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_payload_off_its_schema_fails_loudly_and_extra_fields_never_go_out():
    good = {
        "account_id": 1,
        "entry_id": 2,
        "points": 3,
        "kind": "ladder",
        "source": "manual",
        "balance_after": 9,
    }
    assert event_data("ledger.entry_appended", {**good, "note": "Dana's call"}) == good
    with pytest.raises(EventPayloadError, match="kind"):
        event_data("ledger.entry_appended", {**good, "kind": "sideways"})
    with pytest.raises(EventPayloadError, match="balance_after"):
        event_data("ledger.entry_appended", {k: v for k, v in good.items() if k != "balance_after"})
    with pytest.raises(EventPayloadError, match="catalog"):
        event_data("no.such_event", good)
