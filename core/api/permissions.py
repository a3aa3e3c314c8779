"""Who may call what: token scopes on top of the user's role (visibility is in querysets)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scopes import Scope


def required_scope(request, view) -> str:
    """read for safe methods; otherwise the view's per-action scope or its `write_scope`."""
    if request.method in SAFE_METHODS:
        return Scope.READ
    action = getattr(view, "action", None)
    return getattr(view, "action_scopes", {}).get(action) or getattr(
        view, "write_scope", Scope.WRITE
    )


class TokenHasScope(BasePermission):
    """A token must hold the scope the request needs; session users have every scope."""

    message = "This token lacks the scope this request needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not hasattr(token, "has_scope"):  # a session: the user's role decides
            return True
        scope = required_scope(request, view)
        self.message = f"This token lacks the `{scope}` scope this request needs."
        return token.has_scope(scope)


class IsAdminRoleOrReadOnly(BasePermission):
    """Configuration resources: everyone signed in reads, only admins change."""

    message = "Only admins can change configuration."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or request.user.is_admin_role


class IsAdminRole(BasePermission):
    message = "Only admins can use this resource."

    def has_permission(self, request, view) -> bool:
        return request.user.is_admin_role


class IsManagerOrAdmin(BasePermission):
    message = "Only managers and admins can use this resource."

    def has_permission(self, request, view) -> bool:
        return request.user.is_admin_role or request.user.is_manager
