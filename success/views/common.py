"""Helpers shared by the success views."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import Account


def visible_account(request, account_id: int) -> Account:
    """The account if the user may see it, else 404."""
    return get_object_or_404(
        Account.objects.for_user(request.user).select_related("segment", "owner"), pk=account_id
    )


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def admin_required(view):
    """Settings pages: admins only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin_role:
            raise PermissionDenied("Only admins change success settings.")
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Team-review pages: managers and admins."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_manager or request.user.is_admin_role):
            raise PermissionDenied("Insights are for managers.")
        return view(request, *args, **kwargs)

    return wrapper


def form_errors_text(exc) -> str:
    """One readable line from a ValidationError."""
    if hasattr(exc, "message_dict"):
        return " ".join(msg for msgs in exc.message_dict.values() for msg in msgs)
    return " ".join(exc.messages)
