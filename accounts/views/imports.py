"""CSV import page: upload, dry-run preview with per-row errors, confirm."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.forms import ImportForm
from accounts.services.imports import COLUMNS, csv_import


@login_required
def import_csv(request):
    """Upload -> preview (nothing written) -> confirm (all rows, or none)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        kind, content = form.cleaned_data["kind"], form.cleaned_data["content"]
        if kind == "accounts" and not request.user.is_admin_role:
            form.add_error("kind", "Only admins import accounts.")
        else:
            confirm = request.POST.get("confirm") == "1"
            report = csv_import(kind=kind, content=content, user=request.user, dry_run=not confirm)
            if report.committed:
                messages.success(
                    request,
                    f"Imported {kind}: {report.created} created, {report.updated} updated.",
                )
                return redirect("accounts:import")
            form = ImportForm(initial={"kind": kind, "content": content})
    return render(
        request,
        "accounts/import.html",
        {"form": form, "report": report, "account_columns": COLUMNS["accounts"]},
    )
