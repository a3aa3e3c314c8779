"""The customer-facing scorecard: share links (CSM side) and the read-only page (customer side)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from core.exports import pdf_response
from core.links import LinkUnavailable, customer_link

from ..forms import ShareCreateForm
from ..models import ScorecardShare
from ..selectors.scorecard import customer_scorecard
from ..services import scorecard_share_create, scorecard_share_record_view, scorecard_share_revoke


def _visible_account(request, pk: int) -> Account:
    return get_object_or_404(
        Account.objects.for_user(request.user).select_related("segment"), pk=pk
    )


@login_required
def scorecard_shares(request, pk: int):
    """The account's share links: create one (the link is shown once) or revoke one."""
    account = _visible_account(request, pk)
    created_url = None
    if request.method == "POST":
        form = ShareCreateForm(request.POST)
        if form.is_valid():
            try:
                created = scorecard_share_create(
                    account=account,
                    created_by=request.user,
                    days=form.cleaned_data["days"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                created_url = request.build_absolute_uri(
                    reverse("dashboards:shared_scorecard", args=[created.token])
                )
                form = ShareCreateForm()
    else:
        form = ShareCreateForm()
    shares = list(account.scorecard_shares.select_related("created_by")[:50])
    return render(
        request,
        "dashboards/scorecard_shares.html",
        {"account": account, "form": form, "shares": shares, "created_url": created_url},
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
@require_POST
def share_revoke(request, pk: int, share_id: int):
    account = _visible_account(request, pk)
    share = get_object_or_404(ScorecardShare, pk=share_id, account=account)
    scorecard_share_revoke(share=share, revoked_by=request.user)
    messages.success(request, "The link is revoked: it no longer opens the scorecard.")
    return redirect("dashboards:scorecard_shares", pk=account.pk)


@login_required
def scorecard_preview(request, pk: int):
    """What the customer will see, for the CSM to check before sharing."""
    account = _visible_account(request, pk)
    context = {
        "card": customer_scorecard(account, today=timezone.localdate()),
        "preview": True,
        "account": account,
        "pdf_url": reverse("dashboards:scorecard_pdf", args=[account.pk]),
    }
    return render(request, "dashboards/scorecard_public.html", context)


@login_required
def scorecard_pdf(request, pk: int):
    account = _visible_account(request, pk)
    card = customer_scorecard(account, today=timezone.localdate())
    return pdf_response(
        "dashboards/pdf/scorecard.html", {"card": card}, filename=_pdf_name(account), inline=True
    )


def _live_share(token: str) -> ScorecardShare:
    """The share behind a token, or 404 for unknown, expired and revoked links alike."""
    share = ScorecardShare.objects.select_related("account__segment").live_by_token(token)
    if share is None:
        raise LinkUnavailable("This link has expired or was revoked.")
    return share


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@customer_link
def shared_scorecard(request, token: str):
    """The customer's read-only scorecard: no login, only customer-facing content."""
    share = _live_share(token)
    scorecard_share_record_view(share=share)
    context = {
        "card": customer_scorecard(share.account, today=timezone.localdate()),
        "share": share,
        "pdf_url": reverse("dashboards:shared_scorecard_pdf", args=[token]),
    }
    return _private(render(request, "dashboards/scorecard_public.html", context))


@customer_link
def shared_scorecard_pdf(request, token: str):
    share = _live_share(token)
    card = customer_scorecard(share.account, today=timezone.localdate())
    return _private(
        pdf_response(
            "dashboards/pdf/scorecard.html",
            {"card": card, "share": share},
            filename=_pdf_name(share.account),
            inline=True,
        )
    )


def _pdf_name(account: Account) -> str:
    return f"success-scorecard-{account.pk}-{timezone.localdate():%Y-%m-%d}.pdf"
