"""/api/v1/ resources of the notifications app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import NotificationPreferenceViewSet, NotificationViewSet

router = SimpleRouter(trailing_slash=True)
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "notification-preferences/",
        NotificationPreferenceViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update"}
        ),
        name="notification-preferences",
    ),
    *router.urls,
]
