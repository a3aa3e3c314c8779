"""Role checks for browser views: one place that says who may open admin and team pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

ADMINS_ONLY = "Only admins can change these settings."
MANAGERS_ONLY = "This page is for managers and admins."


def require_admin(request, message: str = ADMINS_ONLY) -> None:
    """403 unless the signed-in user has the admin role."""
    if not request.user.is_admin_role:
        raise PermissionDenied(message)


def require_manager(request, message: str = MANAGERS_ONLY) -> None:
    """403 unless the signed-in user is a manager or an admin."""
    if not (request.user.is_admin_role or request.user.is_manager):
        raise PermissionDenied(message)


def admin_required(view=None, *, message: str = ADMINS_ONLY):
    """View decorator: sign-in required, then the admin role (403 otherwise)."""

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            require_admin(request, message)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def manager_required(view=None, *, message: str = MANAGERS_ONLY):
    """View decorator: sign-in required, then the manager or admin role (403 otherwise)."""

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            require_manager(request, message)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
