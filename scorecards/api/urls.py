"""/api/v1/ resources of the scorecards app."""

from rest_framework.routers import SimpleRouter

from .views import ScorecardVersionViewSet, ScorecardViewSet

router = SimpleRouter(trailing_slash=True)
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("scorecard-versions", ScorecardVersionViewSet, basename="scorecard-version")

urlpatterns = router.urls
