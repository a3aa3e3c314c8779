"""The account list, the bad-fit list, the account page and its edit form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.filters import AccountFilter
from accounts.forms import AccountForm, ContactForm, InteractionForm, LedgerEntryForm
from accounts.models import Account, TrustEntry
from accounts.services import account_update, contact_update, contact_upsert
from accounts.services.views import saved_view_delete, saved_view_query, saved_view_save
from core.paginator import CappedPaginator

PAGE_SIZE = 50
TIMELINE_PAGE = 25
LEDGER_PAGE = 25


def visible_account(request, pk: int) -> Account:
    """The account if the user may see (and so change) it; 404 otherwise."""
    try:
        return selectors.account_get(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


@login_required
def account_list(request):
    """Accounts the user may see, filtered and paginated on the server."""
    data = request.GET.copy()
    # The list opens on the book the home page counts: the customers we currently serve.
    data.setdefault("status", "current")
    filterset = AccountFilter(data, queryset=selectors.account_list(user=request.user))
    # Counted up to 10,000 rows ("10,000+"): an admin's unfiltered list is every account.
    number = request.GET.get("page")
    page = CappedPaginator(filterset.qs, PAGE_SIZE, number=number).get_page(number)
    query = data.copy()
    query.pop("page", None)
    sort = data.get("sort", "")
    query.pop("sort", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "sort": {"key": sort.lstrip("-"), "descending": sort.startswith("-")},
        "saved_views": list(request.user.saved_views.all()),
        "current_view": saved_view_query(request.GET.urlencode()),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "account-table":
        return render(request, "accounts/_account_table.html", context)
    return render(request, "accounts/list.html", context)


@login_required
def bad_fit_list(request):
    """Customers we should not have signed and prospects we should not sign."""
    lists = selectors.bad_fit_accounts(user=request.user)
    return render(
        request,
        "accounts/bad_fit.html",
        {
            "customers": Paginator(lists["customers"], PAGE_SIZE).get_page(request.GET.get("c")),
            "prospects": Paginator(lists["prospects"], PAGE_SIZE).get_page(request.GET.get("p")),
        },
    )


def detail_context(request, account: Account, **extra) -> dict:
    timeline = Paginator(selectors.interaction_timeline(account=account), TIMELINE_PAGE).get_page(1)
    entries = Paginator(selectors.ledger_entries(account=account), LEDGER_PAGE).get_page(1)
    reverse_id = request.GET.get("reverse", "")
    reverse_entry = (
        TrustEntry.objects.filter(account=account, pk=int(reverse_id)).first()
        if reverse_id.isdigit()
        else None
    )
    return {
        "reverse_entry": reverse_entry,
        "account": account,
        "contacts": list(account.contacts.all()),
        "timeline": timeline,
        "entries": entries,
        "interaction_form": InteractionForm(user=request.user, account=account),
        "ledger_form": LedgerEntryForm(),
        "mrr_history": selectors.mrr_history(account=account, months=12),
        **extra,
    }


@login_required
def account_detail(request, pk: int):
    """The account page: details, strategy, contacts, timeline, goodwill ledger."""
    account = visible_account(request, pk)
    return render(request, "accounts/detail.html", detail_context(request, account))


@login_required
def account_timeline(request, pk: int):
    """One more page of the interaction timeline (htmx 'show older')."""
    account = visible_account(request, pk)
    timeline = Paginator(selectors.interaction_timeline(account=account), TIMELINE_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "accounts/_timeline_page.html", {"account": account, "timeline": timeline}
    )


@login_required
def account_ledger(request, pk: int):
    """One more page of the ledger (htmx 'show older')."""
    account = visible_account(request, pk)
    entries = Paginator(selectors.ledger_entries(account=account), LEDGER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/_ledger_page.html", {"account": account, "entries": entries})


@login_required
def account_edit(request, pk: int):
    """Change an account's details and strategy (its owner: managers and admins only)."""
    account = visible_account(request, pk)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_update(
                account=account,
                author=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{account.name} saved.")
            return redirect(account)
    return render(request, "accounts/edit.html", {"account": account, "form": form})


@login_required
def contact_edit(request, pk: int, contact_id: int | None = None):
    """Add a contact to an account the user may see, or correct one (404 for other accounts)."""
    account = visible_account(request, pk)
    contact = None
    if contact_id is not None:
        contact = account.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise Http404("No such contact at this account.")
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if contact is None:
                contact = contact_upsert(account=account, **fields)
            else:
                contact_update(contact=contact, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{contact.name} saved.")
            return redirect(account)
    return render(
        request,
        "accounts/contact_form.html",
        {"account": account, "form": form, "contact": contact},
    )


@login_required
def search(request):
    """The header's search: the accounts and contacts the user may see that match."""
    results = selectors.global_search(user=request.user, q=request.GET.get("q", ""))
    return render(request, "accounts/search.html", {"results": results})


@login_required
@require_POST
def saved_view_create(request):
    """Save the Accounts list's current filters and sort under a name (per user)."""
    try:
        view = saved_view_save(
            user=request.user,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(
            f"{reverse('accounts:list')}?{saved_view_query(request.POST.get('query', ''))}"
        )
    messages.success(request, f"View “{view.name}” saved.")
    return redirect(f"{reverse('accounts:list')}?{view.query}")


@login_required
@require_POST
def saved_view_remove(request, pk: int):
    if not saved_view_delete(user=request.user, pk=pk):
        raise Http404("No such saved view.")
    messages.success(request, "Saved view deleted.")
    return redirect("accounts:list")
