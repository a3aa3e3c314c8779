"""Admins' lifecycle and privacy pages: archive an account, restore or delete an archived one
(Settings → Archived accounts), erase a contact's personal data. Each calls the same service
as the API, so it is audited the same way."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Account, Contact
from accounts.services.lifecycle import account_archive, account_delete, account_restore
from accounts.services.privacy import contact_erase
from users.permissions import admin_required


@admin_required
@require_POST
def account_archive_view(request, pk: int):
    account = get_object_or_404(Account.objects.filter(archived_at__isnull=True), pk=pk)
    account_archive(account=account, actor=request.user, request=request)
    messages.success(
        request, f"“{account.name}” archived: out of every book, list and score run, history kept."
    )
    return redirect("accounts:settings_archived")


@admin_required
def archived_list(request):
    """Archived accounts, newest first, each with Restore and Delete for good."""
    accounts = Account.objects.archived().select_related("owner").order_by("-archived_at", "pk")
    return render(request, "accounts/settings/archived.html", {"accounts": accounts})


@admin_required
@require_POST
def account_restore_view(request, pk: int):
    account = get_object_or_404(Account.objects.archived(), pk=pk)
    account_restore(account=account, actor=request.user, request=request)
    messages.success(request, f"“{account.name}” restored.")
    return redirect(account)


@admin_required
@require_POST
def account_delete_view(request, pk: int):
    """Delete an archived account for good; the admin types its name to confirm."""
    account = get_object_or_404(Account.objects.archived(), pk=pk)
    if request.POST.get("confirm", "").strip() != account.name:
        messages.error(request, f"Type the account's name exactly to delete “{account.name}”.")
        return redirect("accounts:settings_archived")
    name = account.name
    counts = account_delete(account=account, actor=request.user, request=request)
    messages.success(
        request,
        f"“{name}” deleted for good with {counts.get('trustentry', 0)} ledger entries and "
        f"{counts.get('interaction', 0)} interactions.",
    )
    return redirect("accounts:settings_archived")


@admin_required
@require_POST
def contact_erase_view(request, pk: int, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id, account_id=pk)
    _contact, counts = contact_erase(contact=contact, actor=request.user, request=request)
    if counts:
        messages.success(
            request,
            "Personal data erased: "
            f"{counts['interaction_summaries_redacted']} interaction summaries and "
            f"{counts['survey_comments_cleared'] + counts['survey_comments_redacted']} survey "
            "comments changed; ledger and scores kept.",
        )
    return redirect("accounts:detail", pk=pk)
