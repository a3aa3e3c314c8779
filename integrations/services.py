"""Writes for integrations: API tokens and webhook deliveries."""

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from datetime import timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.api.scopes import Scope
from core.event_catalog import event_data, event_type
from core.privacy import ErasureTerms, rows_redact
from core.retention import rows_purge
from core.retry import retry_backoff

from .models import (
    ApiToken,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    hash_key,
    validate_webhook_url,
)
from .targets import webhook_session

logger = logging.getLogger(__name__)

KEY_PREFIX = "csp_"
SIGNATURE_HEADER = "X-Csplatform-Signature"
TIMESTAMP_HEADER = "X-Csplatform-Timestamp"
EVENT_HEADER = "X-Csplatform-Event"
DELIVERY_HEADER = "X-Csplatform-Delivery"
VERSION_HEADER = "X-Csplatform-Event-Version"


# --- API tokens ---------------------------------------------------------------------------
def _validate_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"choose one or more of {', '.join(Scope.values)} (got {scopes or 'none'})"}
        )
    return scopes


@transaction.atomic
def api_token_create(*, user, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """Issue a new key for `user`; the plain key is returned once and never stored."""
    scopes = _validate_scopes(scopes)
    if Scope.ADMIN in scopes and not user.is_admin_role:
        raise ValidationError({"scopes": "only admins can hold the admin scope"})
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "give the token a name of 1 to 100 characters"})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:12], key_hash=hash_key(key), scopes=scopes
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token at once; requests using it answer 401 from the next one on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token of an active user for a plain key (touching last_used_at at most once
    a minute). Read from the database on every request: no cache, so a revoked token or a
    deactivated user is refused at once, and a Redis outage cannot lock anyone out."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def webhook_deliveries_purge(*, now=None) -> int:
    """Delete finished deliveries (delivered or failed) older than
    WEBHOOK_DELIVERY_RETENTION_DAYS, with their attempt logs; pending and retrying ones stay."""
    now = now or timezone.now()
    finished = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED],
        created_at__lt=now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS),
    )
    return rows_purge(finished)


def webhook_deliveries_erase(terms: ErasureTerms) -> int:
    """Redact an erased person from logged delivery payloads (queued ones included, so a
    retry never sends them). Catalog payloads hold ids and codes only; this is the backstop."""
    return rows_redact(WebhookDelivery.objects.all(), "payload", terms, json=True)


# --- Webhooks -----------------------------------------------------------------------------
def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, as receivers must recompute it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def webhook_deliveries_create(*, event: str, payload: dict) -> list[WebhookDelivery]:
    """Record one delivery per active webhook subscribed to `event` and send each after commit."""
    return webhook_deliveries_create_many(event=event, payloads=[payload])


def webhook_deliveries_create_many(*, event: str, payloads: list[dict]) -> list[WebhookDelivery]:
    """One delivery per payload and subscribed active webhook: one query, one insert."""
    from .tasks import webhook_deliver

    if not payloads:
        return []
    hooks = [
        h for h in Webhook.objects.filter(active=True).only("id", "events") if event in h.events
    ]
    if not hooks:
        return []
    # The catalog's definition shapes and checks what goes out: receivers get exactly the
    # published schema of this event's version (a publisher's drift fails here, loudly).
    version = event_type(event).version
    bodies = [
        event_data(event, body) for body in json.loads(json.dumps(payloads, cls=DjangoJSONEncoder))
    ]
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(webhook=h, event=event, version=version, payload=body)
            for body in bodies
            for h in hooks
        ],
        batch_size=1000,
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _webhook_send(webhook_deliver, ids))
    return deliveries


def _webhook_send(task, ids: list[int], attempts: dict[int, int] | None = None) -> None:
    """Queue deliveries; a broker that does not answer leaves them pending for the sweeper."""
    for pk in ids:
        try:
            task.delay(pk, attempt=(attempts or {}).get(pk, 1))
        except Exception as exc:
            if getattr(task.app.conf, "task_always_eager", False):
                raise
            logger.warning("webhooks: %d delivery(ies) left for the sweeper (%s)", len(ids), exc)
            return


def webhook_deliveries_sweep() -> int:
    """Re-queue deliveries whose task was lost (broker down, crash, deploy): pending ones older
    than the grace period and retrying ones overdue by it, not held by a worker. The task's
    attempt number makes a duplicate of a task that was not lost a no-op."""
    from .tasks import webhook_deliver

    now = timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    Status = WebhookDelivery.Status
    due = (
        WebhookDelivery.objects.filter(
            Q(status=Status.PENDING, created_at__lte=grace)
            | Q(status=Status.RETRYING, next_retry_at__lte=grace)
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at")
        .values_list("pk", "attempts")[: settings.OUTBOX_SWEEP_BATCH]
    )
    attempts = {pk: done + 1 for pk, done in due}
    _webhook_send(webhook_deliver, list(attempts), attempts)
    return len(attempts)


def webhook_event_handler(event: str):
    """A core.events subscriber that fans `event` out to the subscribed webhooks."""

    def handle(**payload) -> None:
        webhook_deliveries_create(event=event, payload=payload)

    handle.__name__ = f"webhook_{event.replace('.', '_')}"
    return handle


def webhook_ledger_entries_handler(*, entries: list[dict]) -> None:
    """`ledger.entries_appended` (a bulk append): one `ledger.entry_appended` delivery each."""
    webhook_deliveries_create_many(event=WebhookEvent.LEDGER_ENTRY_APPENDED.value, payloads=entries)


def webhook_alerts_handler(*, alerts: list[dict]) -> None:
    """`health.alerts_raised` (a score run's alerts): one delivery per alert, under its own
    event name (`health.band_changed`, `health.decay_alert`, ...), as if published alone."""
    by_event: dict[str, list[dict]] = {}
    for alert in alerts:
        payload = {k: v for k, v in alert.items() if k != "event"}
        by_event.setdefault(alert.get("event"), []).append(payload)
    for event, payloads in by_event.items():
        if event in WebhookEvent.values:
            webhook_deliveries_create_many(event=event, payloads=payloads)


def webhook_ctas_handler(*, ctas: list[dict]) -> None:
    """`ctas.opened` (many CTAs opened at once): one `cta.opened` delivery each."""
    webhook_deliveries_create_many(event=WebhookEvent.CTA_OPENED.value, payloads=ctas)


def webhook_retry_delay(attempt: int) -> int:
    """Seconds before retry number `attempt` (1-based): exponential back-off, capped."""
    wait = retry_backoff(
        attempt, base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS, cap_seconds=6 * 3600
    )
    return int(wait.total_seconds())


def _delivery_claim(delivery_id: int, attempt: int | None) -> bool:
    """Hold the delivery for one attempt (a lease a dead worker's claim outlives by little);
    False when it is final, held by another worker, or past attempt number `attempt`."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS)
    open_ = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    if attempt is not None:
        open_ = open_.filter(attempts=attempt - 1)
    return bool(open_.update(claimed_until=lease))


def webhook_delivery_attempt(
    *, delivery_id: int, max_attempts: int | None = None, attempt: int | None = None
) -> WebhookDelivery:
    """POST the delivery once, log the attempt and set its status (retrying or final).

    `attempt` is the attempt number the caller means to make: a duplicate task for an attempt
    already made (or being made by another worker) changes nothing. Only the status code of the
    answer is kept: a receiver's body never reaches our delivery log."""
    max_attempts = max_attempts or settings.WEBHOOK_MAX_ATTEMPTS
    claimed = _delivery_claim(delivery_id, attempt)
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if not claimed:
        return delivery
    hook = delivery.webhook
    number = delivery.attempts + 1
    body = json.dumps(webhook_delivery_body(delivery), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "csplatform-webhooks/1",
        EVENT_HEADER: delivery.event,
        VERSION_HEADER: str(delivery.version),
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=hook.secret, timestamp=timestamp, body=body),
    }
    status, error = None, ""
    started = time.monotonic()
    try:
        with webhook_session() as session:
            response = session.post(
                hook.url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,  # the body is never read: only the status code is kept
            )
            status = response.status_code
            response.close()
    except requests.RequestException as exc:
        error = _request_error(exc)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            response_status=status,
            error=error,
            duration_ms=duration_ms,
        )
        delivery.attempts = number
        delivery.claimed_until = None
        delivery.response_status = status
        delivery.response_excerpt = error
        now = timezone.now()
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_retry_at = (
                WebhookDelivery.Status.DELIVERED,
                now,
                None,
            )
        elif number >= max_attempts:
            delivery.status, delivery.next_retry_at = WebhookDelivery.Status.FAILED, None
        else:
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.next_retry_at = now + timedelta(seconds=webhook_retry_delay(number))
        delivery.save()
    return delivery


def webhook_delivery_body(delivery: WebhookDelivery) -> dict:
    """The JSON a receiver gets: the envelope the event catalog's schema describes."""
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "version": delivery.version,
        "created_at": delivery.created_at.isoformat(),
        "replay_of": delivery.replay_of_id,
        "data": delivery.payload,
    }


class ReplayRefused(ValidationError):
    """A delivery that cannot be replayed now (still in flight, or its webhook is paused)."""


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, user=None) -> WebhookDelivery:
    """Send a finished delivery again, as a new delivery of the same event, version and payload
    linked to the first one (`replay_of`, the root when replaying a replay), signed afresh
    when it is sent. The original and its attempt log stay as they were."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=delivery.pk)
    )
    open_ = {WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING}
    if delivery.status in open_:
        raise ReplayRefused(
            {"delivery": ["This delivery is still being attempted; replay it once it is final."]}
        )
    if not delivery.webhook.active:
        raise ReplayRefused({"webhook": ["This webhook is paused; switch it on to replay."]})
    replay = WebhookDelivery.objects.create(
        webhook=delivery.webhook,
        event=delivery.event,
        version=delivery.version,
        payload=delivery.payload,
        replay_of_id=delivery.replay_of_id or delivery.pk,
        replayed_by=user if getattr(user, "pk", None) else None,
    )
    from .tasks import webhook_deliver

    transaction.on_commit(lambda: _webhook_send(webhook_deliver, [replay.pk]))
    return replay


def _request_error(exc: requests.RequestException) -> str:
    """What went wrong, in our words: a refused target says so; otherwise the error class."""
    text = str(exc)
    if "refused target:" in text:
        return "refused target: " + text.split("refused target:", 1)[1].split("'")[0].strip()
    return type(exc).__name__


@transaction.atomic
def webhook_create(
    *, name: str, url: str, events: list[str], created_by=None, secret: str = "", active=True
) -> Webhook:
    """Register a webhook subscriber (a secret is generated when none is given)."""
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown or not events:
        raise ValidationError({"events": f"choose from {', '.join(WebhookEvent.values)}"})
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    return Webhook.objects.create(
        name=name,
        url=url,
        events=sorted(set(events)),
        secret=secret or webhook_secret_generate(),
        active=active,
        created_by=created_by,
    )
