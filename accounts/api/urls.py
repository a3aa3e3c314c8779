"""/api/v1/ resources of the accounts app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views.accounts import (
    AccountByExternalIdViewSet,
    AccountViewSet,
    ContactByExternalIdViewSet,
    ContactViewSet,
)
from .views.activity import InteractionViewSet, LedgerViewSet
from .views.config import IdealCustomerProfileViewSet, SegmentViewSet
from .views.customer_signals import SubscriptionViewSet, SurveyResponseViewSet, UsageMetricViewSet

router = SimpleRouter(trailing_slash=True)
router.register("accounts/external", AccountByExternalIdViewSet, basename="account-external")
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts/external", ContactByExternalIdViewSet, basename="contact-external")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("usage", UsageMetricViewSet, basename="usage")
router.register("surveys", SurveyResponseViewSet, basename="survey")
router.register("segments", SegmentViewSet, basename="segment")
router.register("icp-profiles", IdealCustomerProfileViewSet, basename="icp-profile")

ledger_list = LedgerViewSet.as_view({"get": "list", "post": "create"})
ledger_detail = LedgerViewSet.as_view({"get": "retrieve"})
ledger_reverse = LedgerViewSet.as_view({"post": "reverse"})

urlpatterns = [
    path("accounts/<int:account_pk>/ledger/", ledger_list, name="ledger-list"),
    path("accounts/<int:account_pk>/ledger/<int:pk>/", ledger_detail, name="ledger-detail"),
    path(
        "accounts/<int:account_pk>/ledger/<int:pk>/reverse/",
        ledger_reverse,
        name="ledger-reverse",
    ),
    *router.urls,
]
