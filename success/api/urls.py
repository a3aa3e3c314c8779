"""/api/v1/ resources of the success app."""

from rest_framework.routers import SimpleRouter

from .views import CtaViewSet, SuccessPlanViewSet

router = SimpleRouter(trailing_slash=True)
router.register("success-plans", SuccessPlanViewSet, basename="success-plan")
router.register("ctas", CtaViewSet, basename="cta")

urlpatterns = router.urls
