"""Helpers shared by the success views."""

from django.shortcuts import get_object_or_404

from accounts.models import Account
from users.permissions import admin_required as role_admin_required
from users.permissions import manager_required as role_manager_required


def visible_account(request, account_id: int) -> Account:
    """The account if the user may see it, else 404."""
    return get_object_or_404(
        Account.objects.for_user(request.user).select_related("segment", "owner"), pk=account_id
    )


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# Settings pages: admins only; team-review pages: managers and admins.
admin_required = role_admin_required(message="Only admins change success settings.")
manager_required = role_manager_required(message="Insights are for managers.")


def form_errors_text(exc) -> str:
    """One readable line from a ValidationError."""
    if hasattr(exc, "message_dict"):
        return " ".join(msg for msgs in exc.message_dict.values() for msg in msgs)
    return " ".join(exc.messages)
