"""The API tokens page: people list, create and revoke their own integration keys."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import ApiToken, Scope
from .services import api_token_create, api_token_revoke


@login_required
def token_list(request):
    tokens = ApiToken.objects.filter(user=request.user)
    scopes = [s for s in Scope.choices if s[0] != Scope.ADMIN or request.user.is_admin_role]
    context = {"tokens": tokens, "scopes": scopes, "new_key": request.session.pop("new_key", None)}
    return render(request, "integrations/tokens.html", context)


@login_required
@require_POST
def token_create(request):
    try:
        _token, key = api_token_create(
            user=request.user,
            name=request.POST.get("name", ""),
            scopes=request.POST.getlist("scopes"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("integrations:tokens")
    # Shown once on the next page, then gone: only the hash is stored.
    request.session["new_key"] = key
    return redirect("integrations:tokens")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, f"Revoked “{token.name}”.")
    return redirect("integrations:tokens")
