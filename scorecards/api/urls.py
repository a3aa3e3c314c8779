"""/api/v1/ resources of the scorecards app."""

from rest_framework.routers import SimpleRouter

from .views import MeasureKindListView, MeasureViewSet, ScorecardVersionViewSet, ScorecardViewSet

router = SimpleRouter(trailing_slash=True)
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("scorecard-versions", ScorecardVersionViewSet, basename="scorecard-version")
router.register("scorecard-measures", MeasureViewSet, basename="scorecard-measure")
router.register("scorecard-measure-kinds", MeasureKindListView, basename="scorecard-measure-kind")

urlpatterns = router.urls
