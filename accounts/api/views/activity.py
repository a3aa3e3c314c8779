"""Interactions (one, or up to 1,000 in bulk) and the per-account goodwill ledger."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.models import Account, Interaction, TrustEntry
from accounts.services import (
    interaction_log,
    interactions_bulk_upsert,
    trust_entry_append,
    trust_entry_reverse,
)
from core.api.base import ApiGenericViewSet
from core.api.scopes import Scope

from ..filters import InteractionFilter, TrustEntryFilter
from ..serializers import (
    InteractionBulkRequestSerializer,
    InteractionRowSerializer,
    InteractionSerializer,
    TrustEntryAppendSerializer,
    TrustEntryReverseSerializer,
    TrustEntrySerializer,
)
from .common import BULK_DESCRIPTION, BulkUpsertMixin, resolve_contacts

INTERACTION_ROW_HELP = (
    " Row fields: `account` (id) or `account_external_id`; `external_id` (the upsert key: "
    "re-sending it updates the interaction instead of adding one); `occurred_at` "
    "(ISO 8601, default now); `channel`; `category`; `sentiment` (-2..2); `minutes`; "
    "`work_type`; `severity` (1..4, escalations only: an escalation without one is recorded at "
    "severity unknown, which the trust rules score on their own, -18 by default; another "
    "category's is ignored); `contact` (id); `summary`."
)


@extend_schema_view(
    list=extend_schema(summary="List interactions at the accounts you can see"),
    create=extend_schema(
        summary="Log one interaction (appends its goodwill ladder or chute)",
        description="Re-sending the same `external_id` returns the interaction already logged. "
        "`severity` (1..4) applies to escalations only: an escalation without one is recorded at "
        "severity unknown (null), which the trust rules score on their own (-18 by default); a "
        "severity sent with another category is ignored (stored as null).",
    ),
    bulk=extend_schema(
        summary="Upsert up to 1,000 interactions by external_id",
        request=InteractionBulkRequestSerializer,
        description=BULK_DESCRIPTION + INTERACTION_ROW_HELP + " Needs the `ingest` scope.",
        examples=[
            OpenApiExample(
                "Two tickets from a support desk",
                request_only=True,
                value={
                    "rows": [
                        {
                            "account_external_id": "crm-001",
                            "external_id": "zendesk-4711",
                            "occurred_at": "2026-03-02T10:00:00Z",
                            "channel": "ticket",
                            "category": "firefighting",
                            "sentiment": -1,
                            "minutes": 45,
                        },
                        {
                            "account": 12,
                            "external_id": "zendesk-4712",
                            "channel": "ticket",
                            "category": "escalation",
                            "severity": 3,
                        },
                    ]
                },
            )
        ],
    ),
)
class InteractionViewSet(
    BulkUpsertMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ApiGenericViewSet,
):
    """Interactions are corrected through the ledger (reverse its entry), never edited."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering_fields = ["id", "occurred_at"]
    ordering = ["-id"]
    action_scopes = {"bulk": Scope.INGEST}
    bulk_row_serializer = InteractionRowSerializer

    def get_queryset(self):
        visible = Account.objects.for_user(self.request.user).values("pk")
        return Interaction.objects.filter(account__in=visible).select_related("trust_entry")

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        account = fields.pop("account")
        serializer.instance = interaction_log(
            account=account, author=self.request.user, strict_severity=False, **fields
        )

    def bulk_prepare(self, rows, accounts):
        contacts = resolve_contacts(self.request.user, rows)
        prepared = []
        for row, account in zip(rows, accounts, strict=True):
            prepared_row = {k: v for k, v in row.items() if k != "account_external_id"}
            prepared_row["account"] = account
            if row.get("contact") is not None:
                prepared_row["contact"] = contacts.get(row["contact"], row["contact"])
            prepared.append(prepared_row)
        return prepared

    def bulk_upsert(self, rows):
        return interactions_bulk_upsert(rows=rows, author=self.request.user, strict_severity=False)


@extend_schema_view(
    list=extend_schema(summary="The account's goodwill ledger, oldest first"),
    retrieve=extend_schema(summary="One ledger entry"),
    create=extend_schema(
        summary="Append a ladder (+) or chute (-) to the ledger",
        request=TrustEntryAppendSerializer,
        responses={201: TrustEntrySerializer},
    ),
    reverse=extend_schema(
        summary="Reverse an entry with an opposite one (an entry is reversed at most once)",
        request=TrustEntryReverseSerializer,
        responses={201: TrustEntrySerializer},
    ),
)
class LedgerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiGenericViewSet
):
    """The append-only goodwill ledger of one account: no PUT, PATCH or DELETE (405)."""

    serializer_class = TrustEntrySerializer
    filterset_class = TrustEntryFilter
    ordering_fields = ["seq", "occurred_at"]
    ordering = ["seq"]

    def get_account(self) -> Account:
        if not hasattr(self, "_account"):
            self._account = get_object_or_404(
                Account.objects.for_user(self.request.user), pk=self.kwargs["account_pk"]
            )
        return self._account

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no account
            return TrustEntry.objects.none()
        return TrustEntry.objects.filter(account=self.get_account()).select_related("reversed_by")

    def create(self, request, *args, **kwargs):
        account = self.get_account()  # a 404 for the URL before a 400 for the body
        serializer = TrustEntryAppendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = trust_entry_append(
            account=account, author=request.user, **serializer.validated_data
        )
        return Response(TrustEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reverse(self, request, *args, **kwargs):
        entry = self.get_object()
        serializer = TrustEntryReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = trust_entry_reverse(
            entry=entry, reason=serializer.validated_data["reason"], author=request.user
        )
        return Response(TrustEntrySerializer(reversal).data, status=status.HTTP_201_CREATED)
