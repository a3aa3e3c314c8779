"""/api/v1/ resources of the healthscores app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AccountHealthViewSet,
    PortfolioHealthViewSet,
    ScoreBacktestViewSet,
    ScoreRunViewSet,
    ScoreValidationViewSet,
)

router = SimpleRouter(trailing_slash=True)
router.register("score-runs", ScoreRunViewSet, basename="score-run")
router.register("score-validation", ScoreValidationViewSet, basename="score-validation")
router.register("score-backtests", ScoreBacktestViewSet, basename="score-backtest")
router.register("health", PortfolioHealthViewSet, basename="portfolio-health")

# An account's health, by id or by its external_id (a CRM sync never needs a lookup table).
ACCOUNT_PREFIXES = [
    ("accounts/<int:account_pk>/", "account"),
    ("accounts/external/<str:external_id>/", "account-external"),
]
HEALTH_ACTIONS = [
    ("health/", "current", "health"),
    ("health/history/", "history", "health-history"),
    ("health/why-changed/", "why_changed", "health-why-changed"),
]

urlpatterns = [
    *(
        path(prefix + suffix, AccountHealthViewSet.as_view({"get": action}), name=f"{who}-{name}")
        for prefix, who in ACCOUNT_PREFIXES
        for suffix, action, name in HEALTH_ACTIONS
    ),
    *router.urls,
]
