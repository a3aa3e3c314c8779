"""Revenue and product signals pushed by integrations: subscriptions, usage, surveys."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Account, Subscription, SurveyResponse, UsageMetric
from accounts.services import (
    subscription_upsert,
    subscriptions_bulk_upsert,
    survey_record,
    usage_bulk_upsert,
)
from core.api.base import ApiGenericViewSet
from core.api.scopes import Scope

from ..filters import SubscriptionFilter, SurveyResponseFilter, UsageMetricFilter
from ..serializers import (
    SubscriptionBulkRequestSerializer,
    SubscriptionRowSerializer,
    SubscriptionSerializer,
    SurveyResponseSerializer,
    UsageBulkRequestSerializer,
    UsageMetricSerializer,
    UsageRowSerializer,
)
from .common import BULK_DESCRIPTION, BulkUpsertMixin

SUBSCRIPTION_FIELDS = ("external_id", "product", "start_date", "end_date", "mrr")


class _CreateListRetrieve(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet
):
    model = None

    def get_queryset(self):
        visible = Account.objects.for_user(self.request.user).values("pk")
        return self.model.objects.filter(account__in=visible)


@extend_schema_view(
    create=extend_schema(
        summary="Create or update a subscription",
        description="Upserts by `external_id`, else by account + product + start_date: "
        "creates it (201) or replaces the stored one (200). The account's MRR/ARR follow its "
        "active subscriptions.",
        responses={200: SubscriptionSerializer, 201: SubscriptionSerializer},
    ),
    bulk=extend_schema(
        summary="Upsert up to 1,000 subscriptions",
        request=SubscriptionBulkRequestSerializer,
        description=BULK_DESCRIPTION
        + " Row fields: `account` (id) or `account_external_id`; `product`; `start_date` and "
        "optional `end_date` (YYYY-MM-DD); `mrr` (a decimal string, at least 0); "
        "optional `external_id`. The upsert key is `external_id` when the row has one, else "
        "account + product + start_date (a row without external_id keeps the stored one). "
        "Needs the `ingest` scope. MRR and ARR of each touched account follow its active "
        "subscriptions.",
        examples=[
            OpenApiExample(
                "Two product lines",
                request_only=True,
                value={
                    "rows": [
                        {
                            "account_external_id": "crm-001",
                            "external_id": "sub-9001",
                            "product": "Platform",
                            "start_date": "2025-04-01",
                            "mrr": "2500.00",
                        },
                        {
                            "account_external_id": "crm-001",
                            "product": "Analytics add-on",
                            "start_date": "2025-10-01",
                            "end_date": "2026-03-31",
                            "mrr": "400.00",
                        },
                    ]
                },
            )
        ],
    ),
)
class SubscriptionViewSet(BulkUpsertMixin, _CreateListRetrieve):
    model = Subscription
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    ordering_fields = ["id", "start_date"]
    ordering = ["id"]

    action_scopes = {"bulk": Scope.INGEST}
    bulk_row_serializer = SubscriptionRowSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, created = subscription_upsert(**serializer.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(subscription).data, status=code)

    def bulk_prepare(self, rows, accounts):
        return [
            {**{k: row.get(k) for k in SUBSCRIPTION_FIELDS}, "account": account}
            for row, account in zip(rows, accounts, strict=True)
        ]

    def bulk_upsert(self, rows):
        return subscriptions_bulk_upsert(rows=rows)


@extend_schema_view(
    create=extend_schema(
        summary="Upsert one day's value of a usage metric (account + metric + date)",
        description="Needs the `ingest` scope. Creates the day's value (201) or replaces the "
        "stored one for the same account + metric + date (200).",
        responses={200: UsageMetricSerializer, 201: UsageMetricSerializer},
    ),
    bulk=extend_schema(
        summary="Upsert up to 1,000 daily usage values",
        request=UsageBulkRequestSerializer,
        description=BULK_DESCRIPTION
        + " Row fields: `account` (id) or `account_external_id`; `metric`; `date` (YYYY-MM-DD);"
        " `value` (a number). The upsert key is account + metric + date.",
        examples=[
            OpenApiExample(
                "A day of usage",
                request_only=True,
                value={
                    "rows": [
                        {
                            "account_external_id": "crm-001",
                            "metric": "active_users",
                            "date": "2026-03-01",
                            "value": 42,
                        }
                    ]
                },
            )
        ],
    ),
)
class UsageMetricViewSet(BulkUpsertMixin, _CreateListRetrieve):
    """Daily product-usage values pushed by a pipeline; writes need the `ingest` scope."""

    model = UsageMetric
    serializer_class = UsageMetricSerializer
    filterset_class = UsageMetricFilter
    ordering_fields = ["id", "date"]
    ordering = ["id"]
    write_scope = Scope.INGEST
    bulk_row_serializer = UsageRowSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = dict(serializer.validated_data)
        result = usage_bulk_upsert(rows=[row])
        if result.errors:
            raise ValidationError(result.errors[0]["errors"])
        metric = UsageMetric.objects.get(
            account=row["account"], metric=row["metric"], date=row["date"]
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(self.get_serializer(metric).data, status=code)

    def bulk_prepare(self, rows, accounts):
        return [
            {
                "account": account,
                "metric": row.get("metric"),
                "date": row.get("date"),
                "value": row.get("value"),
            }
            for row, account in zip(rows, accounts, strict=True)
        ]

    def bulk_upsert(self, rows):
        return usage_bulk_upsert(rows=rows)


@extend_schema_view(
    create=extend_schema(
        summary="Record an NPS (0-10) or CSAT (1-5) answer (idempotent on external_id)"
    )
)
class SurveyResponseViewSet(_CreateListRetrieve):
    model = SurveyResponse
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    ordering_fields = ["id", "responded_at"]
    ordering = ["-id"]

    def perform_create(self, serializer):
        serializer.instance = survey_record(**serializer.validated_data)
