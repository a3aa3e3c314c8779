"""Writes from the account page: log an interaction, append or reverse a ledger entry (htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.forms import InteractionForm, LedgerEntryForm, ReversalForm
from accounts.models import Account, EntrySource, TrustEntry
from accounts.services import interaction_log, trust_entry_append, trust_entry_reverse

from .pages import LEDGER_PAGE, detail_context, visible_account


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _render_form_error(request, template: str, context: dict, target: str) -> HttpResponse:
    response = render(request, template, context)  # htmx 2 swaps only 2xx
    if _is_htmx(request):
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "outerHTML"
    return response


@login_required
def interaction_create(request, pk: int | None = None):
    """Log an interaction: htmx gets the new timeline item plus the new balance in place.

    Without `pk` (the home page's quick form) the account comes from the form.
    """
    account = visible_account(request, pk) if pk is not None else None
    form = InteractionForm(request.POST or None, user=request.user, account=account)
    context = {"interaction_form": form, "account": account}
    if request.method != "POST":
        return render(request, "accounts/_interaction_form.html", context)
    if form.is_valid():
        target = account or form.cleaned_data["account"]
        try:
            interaction = interaction_log(
                account=target, author=request.user, **form.service_fields()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if not _is_htmx(request):
                messages.success(request, f"Interaction logged for {target.name}.")
                return redirect(target)
            return _interaction_logged(request, interaction, account)
    if not _is_htmx(request):
        if account is None:
            return render(request, "accounts/interaction_new.html", context)
        return render(
            request, "accounts/detail.html", detail_context(request, account, interaction_form=form)
        )
    return _render_form_error(
        request, "accounts/_interaction_form.html", context, "#interaction-form"
    )


@login_required
def interaction_contacts(request):
    """The quick form's Contact field for the account just chosen (htmx swaps it in)."""
    form = InteractionForm(user=request.user, initial={"account": request.GET.get("account")})
    return render(request, "accounts/_contact_field.html", {"field": form["contact"]})


def _interaction_logged(request, interaction, fixed_account: Account | None):
    """The new timeline item, a fresh form and (on the account page) balance and ledger."""
    context = {
        "item": interaction,
        "interaction_form": InteractionForm(user=request.user, account=fixed_account),
        "fixed_account": fixed_account,
    }
    if fixed_account is not None:
        fixed_account.refresh_from_db(fields=["goodwill_balance", "ledger_seq"])
        context |= {
            "account": fixed_account,
            # The "No interactions yet" line exists only before the first one: deleting it
            # otherwise is an htmx error (oobErrorNoTarget) in the browser's console.
            "first_interaction": not fixed_account.interactions.exclude(pk=interaction.pk).exists(),
            "entries": Paginator(
                selectors.ledger_entries(account=fixed_account), LEDGER_PAGE
            ).get_page(1),
            "ledger_form": LedgerEntryForm(),
        }
    return render(request, "accounts/_interaction_logged.html", context)


@login_required
@require_POST
def ledger_entry_create(request, pk: int):
    """Append a milestone, incident or manual adjustment (reason mandatory)."""
    account = visible_account(request, pk)
    form = LedgerEntryForm(request.POST)
    if form.is_valid():
        source = form.cleaned_data["source"]
        try:
            trust_entry_append(
                account=account,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                source=source,
                author=request.user,
                occurred_at=form.cleaned_data.get("occurred_at"),
                apply_cushion=source == EntrySource.INCIDENT,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return _ledger_changed(request, account, "Ledger entry appended.")
    context = {"account": account, "ledger_form": form}
    if not _is_htmx(request):
        return render(
            request, "accounts/detail.html", detail_context(request, account, ledger_form=form)
        )
    return _render_form_error(request, "accounts/_ledger_form.html", context, "#ledger-form")


@login_required
@require_POST
def ledger_entry_reverse(request, pk: int, entry_id: int):
    """Reverse one entry (once) with a reason."""
    account = visible_account(request, pk)
    try:
        entry = TrustEntry.objects.get(pk=entry_id, account=account)
    except TrustEntry.DoesNotExist:
        raise Http404("No such ledger entry.") from None
    form = ReversalForm(request.POST)
    if not form.is_valid():
        return _ledger_changed(request, account, error="Say why you reverse the entry.")
    try:
        trust_entry_reverse(entry=entry, reason=form.cleaned_data["reason"], author=request.user)
    except ValidationError as exc:
        return _ledger_changed(request, account, error=" ".join(exc.messages))
    return _ledger_changed(request, account, f"Entry #{entry.seq} reversed.")


def _ledger_changed(request, account: Account, message: str = "", *, error: str = ""):
    """Non-htmx: back to the account page; htmx: the refreshed ledger panel with a notice, and
    the balance where the page shows it outside the panel."""
    if not _is_htmx(request):
        if message:
            messages.success(request, message)
        if error:
            messages.error(request, error)
        return redirect(account)
    account.refresh_from_db(fields=["goodwill_balance", "ledger_seq"])
    context = detail_context(request, account, flash=message, flash_error=error)
    return render(request, "accounts/_ledger_changed.html", context)
