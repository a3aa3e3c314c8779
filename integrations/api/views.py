"""Webhook subscriptions and their delivery log (admins only)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.base import ApiModelViewSet
from core.api.exceptions import Conflict
from core.api.fields import EmptyBodySerializer
from core.api.permissions import IsAdminRole, TokenHasScope
from core.api.scopes import Scope
from integrations.models import Webhook, WebhookDelivery
from integrations.services import ReplayRefused, webhook_create, webhook_delivery_replay

from .serializers import WebhookDeliverySerializer, WebhookSerializer


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    create=extend_schema(summary="Subscribe a URL to events (the response shows the secret once)"),
    destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted.")}),
    deliveries=extend_schema(
        summary="The webhook's recent deliveries, newest first",
        responses={200: WebhookDeliverySerializer(many=True)},
    ),
    replay=extend_schema(
        summary="Replay a delivery from the log",
        description="Sends a finished (delivered or failed) delivery again as a new delivery "
        "of the same event, version and payload, linked by `replay_of` to the original (its "
        "root when replaying a replay) and signed afresh when sent. 409 while the delivery is "
        "still being attempted or the webhook is paused. Send an `Idempotency-Key` so a retried "
        "request makes one replay.",
        request=EmptyBodySerializer,
        parameters=[
            OpenApiParameter(
                "delivery_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The delivery's id (from .../deliveries/).",
            )
        ],
        responses={201: WebhookDeliverySerializer},
    ),
)
class WebhookViewSet(ApiModelViewSet):
    """Outbound webhooks: HMAC-signed POSTs for health, decay, CTA and ledger events."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated, TokenHasScope, IsAdminRole]
    write_scope = Scope.ADMIN
    ordering_fields = ["id", "name"]
    ordering = ["id"]
    filterset_fields = ["active"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_secret": self.action == "create"}

    def perform_create(self, serializer):
        serializer.instance = webhook_create(
            created_by=self.request.user, **serializer.validated_data
        )

    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,9})/replay",
        serializer_class=WebhookDeliverySerializer,
    )
    def replay(self, request, pk=None, delivery_id=None):
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        delivery = get_object_or_404(
            WebhookDelivery.objects.filter(webhook=self.get_object()), pk=delivery_id
        )
        try:
            replay = webhook_delivery_replay(delivery=delivery, user=request.user)
        except ReplayRefused as exc:
            raise Conflict(" ".join(exc.messages)) from None
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_201_CREATED)

    # No filter backends: the webhook list's `ordering` would otherwise steer the cursor, which
    # pages by the view's ordering (id, oldest first) instead of the log's newest first.
    @action(
        detail=True,
        methods=["get"],
        serializer_class=WebhookDeliverySerializer,
        filter_backends=[],
    )
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        queryset = WebhookDelivery.objects.filter(webhook=webhook).order_by("-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
