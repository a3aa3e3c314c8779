"""Accounts and contacts, addressable by id and by the integration's external_id."""

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Account, Contact
from accounts.services import account_create, account_update, accounts_bulk_upsert
from core.api.base import ApiGenericViewSet, ApiModelViewSet
from core.api.scopes import Scope
from core.locks import lock_for_transaction

from ..fields import visible_accounts, visible_contacts
from ..filters import AccountFilter, ContactFilter
from ..serializers import (
    AccountBulkRequestSerializer,
    AccountRowSerializer,
    AccountSerializer,
    BulkResultSerializer,
    ContactSerializer,
)
from .common import BULK_DESCRIPTION, bulk_response, bulk_rows
from .lifecycle import AccountArchiveListMixin, AccountLifecycleMixin, ContactErasureMixin

EXTERNAL_ID_REGEX = r"[^/]{1,100}"


def visible_accounts_with_owner(user):
    return visible_accounts(user).select_related("owner")


class AccountWritesMixin:
    """Creates and changes go through the account services (ICP fit, starting trust)."""

    def perform_create(self, serializer, **extra):
        data = {**serializer.validated_data, **extra}
        data.setdefault("owner", self.request.user)
        serializer.instance = account_create(author=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = account_update(
            account=serializer.instance, author=self.request.user, **serializer.validated_data
        )


class ExternalIdUpsertMixin:
    """PUT by external_id creates a missing record (201), replaces a visible one (200) and
    answers 404 for one the caller cannot see; the URL, not the body, names the external_id.

    Identical concurrent PUTs all succeed on one row: the first creates it (201), the others
    wait for it on a lock keyed by the external_id and replace it (200).
    """

    model = None
    lookup_field = "external_id"
    lookup_value_regex = EXTERNAL_ID_REGEX

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        external_id = kwargs["external_id"]
        lock_for_transaction(f"{self.model._meta.label_lower}:external_id:{external_id}")
        if kwargs.get("partial") or self.get_queryset().filter(external_id=external_id).exists():
            return super().update(request, *args, **kwargs)
        if self.model.objects.filter(external_id=external_id).exists():
            raise NotFound()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer, external_id=external_id)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.validated_data.pop("external_id", None)  # the URL names it
        super().perform_update(serializer)


@extend_schema_view(
    list=extend_schema(summary="List the accounts you can see"),
    retrieve=extend_schema(summary="One account"),
    create=extend_schema(summary="Create an account (you own it unless you name an owner)"),
    update=extend_schema(summary="Replace an account's attributes"),
    partial_update=extend_schema(summary="Change some of an account's attributes"),
    bulk=extend_schema(
        summary="Create or update up to 1,000 accounts by external_id (CRM sync)",
        request=AccountBulkRequestSerializer,
        responses={200: BulkResultSerializer, 207: BulkResultSerializer},
        description=BULK_DESCRIPTION
        + " Row fields: `external_id` (required, the upsert key) and any of the account's "
        "writable attributes as on `POST /accounts/` (`owner` and `segment` as ids); a new "
        "account needs `name`. An existing account changes only the fields its row names. "
        "The rules of one `PUT /accounts/external/{external_id}/` apply per row: an account "
        "you cannot see is reported on its row and left as it is, `owner` follows the owner "
        "rules (a new account is yours unless the row names an owner), and two rows with one "
        "external_id are an error on the second. Needs the `ingest` scope.",
        examples=[
            OpenApiExample(
                "A new account and an update",
                request_only=True,
                value={
                    "rows": [
                        {
                            "external_id": "crm-001",
                            "name": "Acme Corp",
                            "stage": "adoption",
                            "seats": 40,
                            "employee_count": 250,
                            "contract_start": "2025-04-01",
                        },
                        {"external_id": "crm-002", "seats": 12, "renewal_date": "2026-09-30"},
                    ]
                },
            )
        ],
    ),
)
class AccountViewSet(
    AccountLifecycleMixin,
    AccountArchiveListMixin,
    AccountWritesMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiGenericViewSet,
):
    """Customer accounts. A churned customer gets `stage=churned`; admins archive (DELETE) or
    delete for good (DELETE ?permanent=true) an account that should leave the books."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["id", "name", "arr", "health_score", "renewal_date", "icp_fit", "updated_at"]
    ordering = ["id"]

    action_scopes = {"bulk": Scope.INGEST}

    def visible_queryset(self):
        return visible_accounts_with_owner(self.request.user)

    @action(detail=False, methods=["post"])
    def bulk(self, request):
        rows = bulk_rows(request, AccountRowSerializer, parsed=True)
        return bulk_response(accounts_bulk_upsert(rows=rows, author=request.user))


@extend_schema_view(
    retrieve=extend_schema(summary="One account by its external_id"),
    update=extend_schema(
        summary="Create or replace an account by its external_id (CRM sync)",
        description="Creates the account (201) when no account has this external_id, replaces "
        "it (200) when you can see it, and answers 404 when it belongs to someone you cannot see.",
        responses={200: AccountSerializer, 201: AccountSerializer},
    ),
    partial_update=extend_schema(summary="Change some attributes of an account by external_id"),
)
class AccountByExternalIdViewSet(
    AccountLifecycleMixin,
    ExternalIdUpsertMixin,
    AccountWritesMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiGenericViewSet,
):
    model = Account
    serializer_class = AccountSerializer

    def visible_queryset(self):
        return visible_accounts_with_owner(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List contacts at the accounts you can see"),
    destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted.")}),
)
class ContactViewSet(ContactErasureMixin, ApiModelViewSet):
    """People at customer accounts."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["id"]

    def visible_queryset(self):
        return visible_contacts(self.request.user)


@extend_schema_view(
    update=extend_schema(
        summary="Create or replace a contact by its external_id (CRM sync)",
        responses={200: ContactSerializer, 201: ContactSerializer},
    ),
    destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted.")}),
)
class ContactByExternalIdViewSet(
    ContactErasureMixin,
    ExternalIdUpsertMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiGenericViewSet,
):
    model = Contact
    serializer_class = ContactSerializer

    def visible_queryset(self):
        return visible_contacts(self.request.user)

    def perform_create(self, serializer, **extra):
        serializer.save(**extra)
