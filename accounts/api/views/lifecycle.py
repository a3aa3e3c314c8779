"""Admins' lifecycle and privacy operations on accounts and contacts (by id or external_id).

DELETE an account archives it (restorable; history kept); `?permanent=true` deletes it for
good. POST .../restore/ brings an archived one back; GET /accounts/archived/ lists them.
POST a contact's .../erase/ erases the person's data. All admin-only (a CSM or manager gets
403, whatever the record), token scope `admin`, audited, and safe to repeat.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Account, Contact
from accounts.services.lifecycle import account_archive, account_delete, account_restore
from accounts.services.privacy import contact_erase
from core.api.exceptions import Conflict
from core.api.fields import EmptyBodySerializer
from core.api.permissions import IsAdminRole, TokenHasScope
from core.api.scopes import Scope

from ..serializers import (
    AccountRemovalSerializer,
    AccountSerializer,
    ContactErasureSerializer,
)

PERMANENT = OpenApiParameter(
    "permanent",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    required=False,
    description="`true` deletes the account and all its history for good (ledger, "
    "interactions, contacts, snapshots, CTAs, plans); without it the account is archived.",
)
ADMIN_ONLY = "Admins only (token scope `admin`); audited."


def _permanent(request) -> bool:
    value = request.query_params.get("permanent", "false")
    if value not in ("true", "false"):
        raise ValidationError({"permanent": ["Use true or false."]})
    return value == "true"


class AdminActionsMixin:
    """Actions in `admin_actions` need an admin user (403 otherwise) and an `admin` token."""

    admin_actions: set[str] = set()

    @property
    def action_scopes(self):
        return dict.fromkeys(self.admin_actions, Scope.ADMIN)

    def get_permissions(self):
        if self.action in self.admin_actions:
            return [IsAuthenticated(), TokenHasScope(), IsAdminRole()]
        return super().get_permissions()


class AccountLifecycleMixin(AdminActionsMixin):
    admin_actions = {"destroy", "restore", "archived"}

    def get_queryset(self):
        if self.action in self.admin_actions:  # admins reach archived accounts too
            return Account.objects.select_related("owner")
        return self.visible_queryset()

    @extend_schema(
        summary="Archive an account, or delete it for good with ?permanent=true",
        description="Archiving (the default) takes the account out of every list, book, report, "
        "rule and score run, keeps all its history and can be undone with .../restore/; "
        "repeating it changes nothing (`changed: false`). `?permanent=true` deletes the "
        "account with everything recorded about it, its goodwill ledger included; a repeat is "
        f"404. {ADMIN_ONLY}",
        parameters=[PERMANENT],
        responses={200: AccountRemovalSerializer},
    )
    def destroy(self, request, *args, **kwargs):
        permanent = _permanent(request)
        account = self.get_object()
        if permanent:
            account_id = account.pk
            counts = account_delete(account=account, actor=request.user, request=request)
            body = {"id": account_id, "status": "deleted", "changed": True, "counts": counts}
            body["archived_at"] = None
        else:
            account, changed = account_archive(account=account, actor=request.user, request=request)
            body = {
                "id": account.pk,
                "status": "archived",
                "changed": changed,
                "archived_at": account.archived_at,
                "counts": {},
            }
        return Response(AccountRemovalSerializer(body).data)

    @extend_schema(
        summary="Restore an archived account",
        description=f"Back in books, lists and score runs; a repeat changes nothing. {ADMIN_ONLY}",
        request=EmptyBodySerializer,
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        account, _ = account_restore(account=self.get_object(), actor=request.user, request=request)
        return Response(AccountSerializer(account, context=self.get_serializer_context()).data)


class AccountArchiveListMixin:
    @extend_schema(
        summary="List archived accounts",
        description=ADMIN_ONLY.split(";")[0] + ".",
        responses={200: AccountSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def archived(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset().archived())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ContactErasureMixin(AdminActionsMixin):
    admin_actions = {"erase"}

    def get_queryset(self):
        if self.action in self.admin_actions:  # archived accounts' contacts too
            return Contact.objects.all()
        return self.visible_queryset()

    def perform_update(self, serializer):
        if serializer.instance.erased_at is not None:
            raise Conflict(
                "This contact's personal data was erased; it cannot be filled in again. "
                "Create a new contact if the person comes back."
            )
        super().perform_update(serializer)

    @extend_schema(
        summary="Erase a contact's personal data (right to erasure)",
        description="Clears the contact's name (to `Erased contact`), e-mail, phone and title, "
        "the comments of their survey answers (scores stay), and redacts their name, e-mail "
        "and phone from the account's interaction summaries and survey comments and from "
        "logged payloads (outbox, idempotency replays, webhook deliveries). The goodwill "
        "ledger, scores and snapshots stay. The contact then refuses changes (409). A repeat "
        f"changes nothing (`changed: false`). {ADMIN_ONLY}",
        request=EmptyBodySerializer,
        responses={200: ContactErasureSerializer},
    )
    @action(detail=True, methods=["post"])
    def erase(self, request, *args, **kwargs):
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        contact, counts = contact_erase(
            contact=self.get_object(), actor=request.user, request=request
        )
        body = {
            "id": contact.pk,
            "account": contact.account_id,
            "changed": bool(counts),
            "erased_at": contact.erased_at,
            "counts": counts,
        }
        return Response(ContactErasureSerializer(body).data)
