"""Webhook subscriptions and their delivery log (admins only)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from core.api.base import ApiModelViewSet
from core.api.permissions import IsAdminRole, TokenHasScope
from core.api.scopes import Scope
from integrations.models import Webhook, WebhookDelivery
from integrations.services import webhook_create

from .serializers import WebhookDeliverySerializer, WebhookSerializer


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    create=extend_schema(summary="Subscribe a URL to events (the response shows the secret once)"),
    destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted.")}),
    deliveries=extend_schema(
        summary="The webhook's recent deliveries, newest first",
        responses={200: WebhookDeliverySerializer(many=True)},
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

    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        queryset = WebhookDelivery.objects.filter(webhook=webhook).order_by("-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
