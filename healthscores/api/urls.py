"""/api/v1/ resources of the healthscores app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AccountHealthViewSet, ScoreRunViewSet, ScoreValidationViewSet

router = SimpleRouter(trailing_slash=True)
router.register("score-runs", ScoreRunViewSet, basename="score-run")
router.register("score-validation", ScoreValidationViewSet, basename="score-validation")

urlpatterns = [
    path(
        "accounts/<int:account_pk>/health/",
        AccountHealthViewSet.as_view({"get": "current"}),
        name="account-health",
    ),
    path(
        "accounts/<int:account_pk>/health/history/",
        AccountHealthViewSet.as_view({"get": "history"}),
        name="account-health-history",
    ),
    path(
        "accounts/<int:account_pk>/health/why-changed/",
        AccountHealthViewSet.as_view({"get": "why_changed"}),
        name="account-health-why-changed",
    ),
    # The same, by the account's external_id (a CRM sync never needs a lookup table).
    path(
        "accounts/external/<str:external_id>/health/",
        AccountHealthViewSet.as_view({"get": "current"}),
        name="account-external-health",
    ),
    path(
        "accounts/external/<str:external_id>/health/history/",
        AccountHealthViewSet.as_view({"get": "history"}),
        name="account-external-health-history",
    ),
    path(
        "accounts/external/<str:external_id>/health/why-changed/",
        AccountHealthViewSet.as_view({"get": "why_changed"}),
        name="account-external-health-why-changed",
    ),
    *router.urls,
]
