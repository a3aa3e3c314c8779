"""Saved views of the Accounts list: a user's named filters and sort."""

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.filters import AccountFilter
from accounts.models import SavedView

MAX_SAVED_VIEWS = 20
# Only the list's own parameters are kept (never the page, never anything else in the URL).
VIEW_PARAMS = tuple(AccountFilter.base_filters)


def saved_view_query(raw: str) -> str:
    """The Accounts-list part of a query string, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(raw, keep_blank_values=False) if k in VIEW_PARAMS]
    return urlencode(sorted(pairs))


@transaction.atomic
def saved_view_save(*, user, name: str, query: str) -> SavedView:
    """Save (or overwrite, by name) one of the user's views of the Accounts list."""
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    existing = SavedView.objects.select_for_update().filter(user=user)
    if not existing.filter(name=name).exists() and existing.count() >= MAX_SAVED_VIEWS:
        raise ValidationError({"name": f"Keep at most {MAX_SAVED_VIEWS} views; delete one first."})
    view, _ = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": saved_view_query(query)}
    )
    return view


def saved_view_delete(*, user, pk: int) -> bool:
    """Delete one of the user's own views; False when there is no such view of theirs."""
    deleted, _ = SavedView.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
