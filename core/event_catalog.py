"""The webhook event catalog: one definition per event, from which come its JSON Schema (served
at /api/schema/events/), its version (every delivery carries it) and the payload the webhook
code sends (`event_data` shapes and checks each payload against the same schema).

Adding a webhook event is one `EventType` here (tests/core/test_event_catalog.py fails for a
webhook event without one, and validates a real published payload of each against its schema).
Change a payload's shape (a field added, removed, renamed or retyped) -> bump its `version`.
"""

from dataclasses import dataclass, field
from functools import cached_property

from jsonschema import Draft202012Validator

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CATALOG_PATH = "/api/schema/events/"


# --- property shapes (JSON Schema fragments) ---------------------------------------------
def _id(what: str) -> dict:
    return {"type": "integer", "minimum": 1, "description": f"The {what}'s id."}


def _enum(values: list[str], description: str) -> dict:
    return {"type": "string", "enum": values, "description": description}


def _text(description: str, max_length: int = 40) -> dict:
    return {"type": "string", "maxLength": max_length, "description": description}


def _int(description: str, minimum: int | None = None, maximum: int | None = None) -> dict:
    shape = {"type": "integer", "description": description}
    if minimum is not None:
        shape["minimum"] = minimum
    if maximum is not None:
        shape["maximum"] = maximum
    return shape


_AS_OF = {"type": "string", "format": "date", "description": "The score date (YYYY-MM-DD)."}
_BAND = "A band key of the account's scorecard (by default red, yellow, green)."
_DECAY = ["stable", "decaying", "in_decay"]
_SCORE = _int("The health score, 0-100.", 0, 100)


@dataclass(frozen=True)
class EventType:
    """One webhook event: its name, payload version, what it means, and its payload's fields
    (JSON Schema per property; all are required)."""

    name: str
    version: int
    label: str
    summary: str
    properties: dict[str, dict] = field(default_factory=dict)

    @cached_property
    def data_schema(self) -> dict:
        return {
            "type": "object",
            "properties": self.properties,
            "required": sorted(self.properties),
            "additionalProperties": False,
        }

    @cached_property
    def schema(self) -> dict:
        """The JSON Schema of the body a receiver gets for this event."""
        return {
            "$schema": SCHEMA_DIALECT,
            "$id": f"{CATALOG_PATH}{self.name}/",
            "title": self.name,
            "description": self.summary,
            "type": "object",
            "properties": {
                "id": {
                    "type": "integer",
                    "description": "This delivery's id (also the X-Csplatform-Delivery header).",
                },
                "event": {"const": self.name},
                "version": {
                    "const": self.version,
                    "description": "The payload version (X-Csplatform-Event-Version); it "
                    "changes whenever the shape of `data` changes.",
                },
                "created_at": {"type": "string", "format": "date-time"},
                "replay_of": {
                    "type": ["integer", "null"],
                    "description": "For a replay, the id of the original delivery (receivers "
                    "dedupe on `replay_of` or else `id`); null for a first delivery.",
                },
                "data": self.data_schema,
            },
            "required": ["id", "event", "version", "created_at", "replay_of", "data"],
            "additionalProperties": False,
        }

    @cached_property
    def _validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.data_schema)


WEBHOOK_EVENTS: dict[str, EventType] = {
    event.name: event
    for event in [
        EventType(
            name="health.band_changed",
            version=1,
            label="Health band changed",
            summary="An account's health band changed in a score run (a drop or a rise).",
            properties={
                "account_id": _id("account"),
                "as_of": _AS_OF,
                "from_band": _text(_BAND),
                "to_band": _text(_BAND),
                "score": _SCORE,
            },
        ),
        EventType(
            name="health.decay_alert",
            version=1,
            label="Decay alert",
            summary="An account's decay status worsened (stable -> decaying -> in decay).",
            properties={
                "account_id": _id("account"),
                "as_of": _AS_OF,
                "from_status": _enum(["", *_DECAY], "The previous decay status."),
                "to_status": _enum(_DECAY, "The new decay status."),
                "decay_score": _int("The decay score, 0-100.", 0, 100),
            },
        ),
        EventType(
            name="cta.opened",
            version=1,
            label="CTA opened",
            summary="An intervention rule opened a CTA (a task) for an account's CSM.",
            properties={
                "cta_id": _id("CTA"),
                "account_id": _id("account"),
                "rule": _text("The intervention rule's key."),
                "priority": _enum(["urgent", "high", "medium", "low"], "The CTA's priority."),
            },
        ),
        EventType(
            name="ledger.entry_appended",
            version=1,
            label="Ledger entry appended",
            summary="A goodwill ledger entry (a ladder or a chute) was appended to an account.",
            properties={
                "account_id": _id("account"),
                "entry_id": _id("ledger entry"),
                "points": _int("Signed points: positive for a ladder, negative for a chute."),
                "kind": _enum(["ladder", "chute"], "Ladder (goodwill up) or chute (down)."),
                "source": _enum(
                    ["interaction", "milestone", "incident", "manual", "reversal"],
                    "What caused the entry.",
                ),
                "balance_after": _int("The account's goodwill balance after this entry."),
            },
        ),
    ]
}


class EventPayloadError(ValueError):
    """A payload that does not match its event's published schema (a bug in a publisher)."""


def event_type(name: str) -> EventType:
    try:
        return WEBHOOK_EVENTS[name]
    except KeyError:
        raise EventPayloadError(f"{name!r} is not in the webhook event catalog") from None


def event_data(name: str, payload: dict) -> dict:
    """The `data` a delivery of event `name` carries: the payload's declared fields, checked
    against the published schema (EventPayloadError names what is wrong)."""
    event = event_type(name)
    data = {key: payload[key] for key in event.properties if key in payload}
    errors = sorted(event._validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "data"
        raise EventPayloadError(f"{name} v{event.version}: {where}: {errors[0].message}")
    return data


def catalog_index() -> list[dict]:
    """Name, version, label, summary and schema address of every webhook event."""
    return [
        {
            "event": event.name,
            "version": event.version,
            "label": event.label,
            "summary": event.summary,
            "schema": f"{CATALOG_PATH}{event.name}/",
        }
        for event in WEBHOOK_EVENTS.values()
    ]
