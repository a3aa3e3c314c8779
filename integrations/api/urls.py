"""/api/v1/ resources of the integrations app."""

from rest_framework.routers import SimpleRouter

from .views import WebhookViewSet

router = SimpleRouter(trailing_slash=True)
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = router.urls
