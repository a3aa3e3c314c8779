"""Integration pages: people list, create and revoke their own API tokens; admins register
webhooks, switch them on and off, and read each one's delivery log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.api.scopes import Scope
from users.permissions import admin_required

from .forms import WebhookForm
from .models import ApiToken, Webhook, WebhookDelivery
from .services import api_token_create, api_token_revoke, webhook_create
from .services import webhook_delivery_replay as replay_service

DELIVERY_LOG_SIZE = 100


@login_required
def token_list(request):
    tokens = ApiToken.objects.filter(user=request.user)
    scopes = [s for s in Scope.choices if s[0] != Scope.ADMIN or request.user.is_admin_role]
    context = {"tokens": tokens, "scopes": scopes, "new_key": request.session.pop("new_key", None)}
    return render(request, "integrations/tokens.html", context)


@login_required
@require_POST
def token_create(request):
    try:
        _token, key = api_token_create(
            user=request.user,
            name=request.POST.get("name", ""),
            scopes=request.POST.getlist("scopes"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("integrations:tokens")
    # Shown once on the next page, then gone: only the hash is stored.
    request.session["new_key"] = key
    return redirect("integrations:tokens")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, f"Revoked “{token.name}”.")
    return redirect("integrations:tokens")


def _webhooks():
    status = WebhookDelivery.Status
    return Webhook.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=status.DELIVERED)),
        failed=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
        waiting=Count(
            "deliveries", filter=Q(deliveries__status__in=[status.PENDING, status.RETRYING])
        ),
    ).order_by("name", "id")


@admin_required
def webhook_list(request):
    """Every webhook with its delivery counts, and the form that registers a new one."""
    form = WebhookForm()
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook = webhook_create(created_by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                # The signing secret is shown once, on the next page: store it somewhere safe.
                request.session["new_webhook_secret"] = [webhook.pk, webhook.secret]
                messages.success(request, f"Webhook “{webhook.name}” registered.")
                return redirect("integrations:webhook_detail", pk=webhook.pk)
        status = 400
    context = {"webhooks": _webhooks(), "form": form}
    return render(request, "integrations/webhooks.html", context, status=status)


@admin_required
def webhook_detail(request, pk: int):
    """One webhook: its events, its state and its latest deliveries with their outcomes."""
    webhook = get_object_or_404(_webhooks(), pk=pk)
    secret = None
    shown = request.session.pop("new_webhook_secret", None)
    if shown and shown[0] == webhook.pk:
        secret = shown[1]
    deliveries = list(webhook.deliveries.order_by("-id")[:DELIVERY_LOG_SIZE])
    context = {"webhook": webhook, "deliveries": deliveries, "new_secret": secret}
    return render(request, "integrations/webhook_detail.html", context)


@admin_required
@require_POST
def webhook_toggle(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    webhook.active = not webhook.active
    webhook.save(update_fields=["active"])
    state = "switched on" if webhook.active else "paused: it gets no new deliveries"
    messages.success(request, f"Webhook “{webhook.name}” {state}.")
    return redirect("integrations:webhook_detail", pk=webhook.pk)


@admin_required
@require_POST
def webhook_delete(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    webhook.delete()
    messages.success(request, f"Webhook “{webhook.name}” and its delivery log deleted.")
    return redirect("integrations:webhook_list")


@admin_required
@require_POST
def webhook_delivery_replay(request, pk: int, delivery_id: int):
    """Replay one finished delivery from the log (a new delivery, linked to the first)."""
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, webhook_id=pk)
    try:
        replay = replay_service(delivery=delivery, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Delivery #{delivery.pk} replayed as #{replay.pk}.")
    return redirect("integrations:webhook_detail", pk=pk)
