"""Writes for integrations: API tokens and webhook deliveries."""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from datetime import timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.api.scopes import Scope

from .models import (
    ApiToken,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    hash_key,
)

KEY_PREFIX = "csp_"
SIGNATURE_HEADER = "X-Csplatform-Signature"
TIMESTAMP_HEADER = "X-Csplatform-Timestamp"
EVENT_HEADER = "X-Csplatform-Event"
DELIVERY_HEADER = "X-Csplatform-Delivery"


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


# An active token (with its user) is cached by key hash for this long, so a request costs no
# token query; revoking through `api_token_revoke` drops the entry at once.
TOKEN_CACHE_SECONDS = 30


def _token_cache_key(key_hash: str) -> str:
    return f"integrations:apitoken:{key_hash}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token at once; requests using it answer 401 from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    cache.delete(_token_cache_key(token.key_hash))
    transaction.on_commit(lambda: cache.delete(_token_cache_key(token.key_hash)))
    return token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token for a plain key (touching last_used_at at most once a minute)."""
    key_hash = hash_key(key)
    cache_key = _token_cache_key(key_hash)
    token = cache.get(cache_key)
    if token is None:
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        cache.set(cache_key, token, TOKEN_CACHE_SECONDS)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        cache.set(cache_key, token, TOKEN_CACHE_SECONDS)
    return token


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
    bodies = json.loads(json.dumps(payloads, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=h, event=event, payload=body) for body in bodies for h in hooks],
        batch_size=1000,
    )
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: webhook_deliver.delay(pk))
    return deliveries


def webhook_event_handler(event: str):
    """A core.events subscriber that fans `event` out to the subscribed webhooks."""

    def handle(**payload) -> None:
        webhook_deliveries_create(event=event, payload=payload)

    handle.__name__ = f"webhook_{event.replace('.', '_')}"
    return handle


def webhook_ledger_entries_handler(*, entries: list[dict]) -> None:
    """`ledger.entries_appended` (a bulk append): one `ledger.entry_appended` delivery each."""
    webhook_deliveries_create_many(event=WebhookEvent.LEDGER_ENTRY.value, payloads=entries)


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
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 2 ** (attempt - 1), 6 * 3600)


def webhook_delivery_attempt(
    *, delivery_id: int, max_attempts: int | None = None
) -> WebhookDelivery:
    """POST the delivery once, log the attempt and set its status (retrying or final)."""
    max_attempts = max_attempts or settings.WEBHOOK_MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status in {WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED}:
        return delivery
    hook = delivery.webhook
    number = delivery.attempts + 1
    body = json.dumps(
        {
            "id": delivery.pk,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "csplatform-webhooks/1",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=hook.secret, timestamp=timestamp, body=body),
    }
    status, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        response = requests.post(
            hook.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status, excerpt = response.status_code, response.text[:500]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            response_status=status,
            response_excerpt=excerpt,
            error=error,
            duration_ms=duration_ms,
        )
        delivery.attempts = number
        delivery.response_status = status
        delivery.response_excerpt = excerpt or error
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


@transaction.atomic
def webhook_create(
    *, name: str, url: str, events: list[str], created_by=None, secret: str = "", active=True
) -> Webhook:
    """Register a webhook subscriber (a secret is generated when none is given)."""
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown or not events:
        raise ValidationError({"events": f"choose from {', '.join(WebhookEvent.values)}"})
    return Webhook.objects.create(
        name=name,
        url=url,
        events=sorted(set(events)),
        secret=secret or webhook_secret_generate(),
        active=active,
        created_by=created_by,
    )
