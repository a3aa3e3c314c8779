"""`/notifications/` and `/notification-preferences/`: each person's own, nobody else's."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import ApiGenericViewSet, ApiReadOnlyViewSet

from ..filters import NotificationFilter
from ..models import Notification, NotificationPreference
from ..selectors import inbox, preference_for
from ..services import (
    notification_mark_read,
    notification_preference_update,
    notifications_mark_all_read,
)
from .serializers import (
    EmptyBodySerializer,
    MarkedSerializer,
    NotificationPreferenceSerializer,
    NotificationSerializer,
)


def _no_body(request) -> None:
    """These actions take no body: a field in one is a 400 naming it, never ignored."""
    EmptyBodySerializer(data=request.data or {}).is_valid(raise_exception=True)


@extend_schema_view(
    list=extend_schema(
        summary="List your in-app notifications, newest first",
        description="`?unread=true` lists only unread ones. Nobody sees another's.",
    ),
    retrieve=extend_schema(summary="One of your notifications"),
    read=extend_schema(
        summary="Mark one of your notifications read",
        request=None,
        responses={200: NotificationSerializer},
    ),
    unread=extend_schema(
        summary="Mark one of your notifications unread again",
        request=None,
        responses={200: NotificationSerializer},
    ),
    read_all=extend_schema(
        summary="Mark all your notifications read", request=None, responses={200: MarkedSerializer}
    ),
)
class NotificationViewSet(ApiReadOnlyViewSet):
    queryset = Notification.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return inbox(self.request.user)

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        _no_body(request)
        notification = notification_mark_read(notification=self.get_object(), read=True)
        return Response(self.get_serializer(notification).data)

    @action(detail=True, methods=["post"])
    def unread(self, request, pk=None):
        _no_body(request)
        notification = notification_mark_read(notification=self.get_object(), read=False)
        return Response(self.get_serializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        _no_body(request)
        return Response({"marked": notifications_mark_all_read(user=request.user)})


@extend_schema_view(
    retrieve=extend_schema(summary="Your notification preferences"),
    update=extend_schema(summary="Replace your notification preferences"),
    partial_update=extend_schema(summary="Change some of your notification preferences"),
)
class NotificationPreferenceViewSet(ApiGenericViewSet):
    """The caller's own preferences (the defaults until they change one)."""

    queryset = NotificationPreference.objects.none()
    serializer_class = NotificationPreferenceSerializer
    pagination_class = None
    filter_backends: list = []

    def get_object(self):
        return preference_for(self.request.user)

    def retrieve(self, request):
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request, partial=False):
        preference = self.get_object()
        ask = self.get_serializer(preference, data=request.data, partial=partial)
        ask.is_valid(raise_exception=True)
        preference = notification_preference_update(user=request.user, **ask.validated_data)
        return Response(self.get_serializer(preference).data)

    def partial_update(self, request):
        return self.update(request, partial=True)
