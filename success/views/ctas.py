"""CTA pages: a CSM's list and the detail page where playbook steps are ticked (htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from success import selectors, services
from success.filters import CtaFilter
from success.models import CtaStatus, CtaStep

from .common import form_errors_text, is_htmx


@login_required
def cta_list(request):
    """Live CTAs by default, mine first for a CSM; most urgent first."""
    params = request.GET.copy()
    if not params:
        params["status"] = "live"
        if request.user.is_csm:
            params["mine"] = "true"
    filterset = CtaFilter(
        params,
        queryset=selectors.ctas_for_user(request.user).order_by("priority", "due_on", "id"),
        request=request,
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "success/cta_list.html",
        {"filter": filterset, "page": page, "today": _today()},
    )


def _today():
    return timezone.localdate()


def _cta(request, pk: int):
    cta = selectors.cta_for_user(request.user, pk)
    if cta is None:
        raise Http404("No such CTA.")
    return cta


def _render_cta(request, pk: int, status: int = 200, error: str = ""):
    cta = _cta(request, pk)
    template = "success/_cta_body.html" if is_htmx(request) else "success/cta_detail.html"
    context = {"cta": cta, "statuses": CtaStatus.choices, "error": error, "today": _today()}
    return render(request, template, context, status=status)


@login_required
def cta_detail(request, pk: int):
    return _render_cta(request, pk)


@login_required
@require_POST
def cta_status(request, pk: int):
    cta = _cta(request, pk)
    try:
        services.cta_status_set(cta=cta, status=request.POST.get("status", ""), user=request.user)
    except ValidationError as exc:
        if not is_htmx(request):
            messages.error(request, form_errors_text(exc))
            return redirect(cta)
        return _render_cta(request, pk, status=422, error=form_errors_text(exc))
    if not is_htmx(request):
        messages.success(request, f"CTA is now {cta.get_status_display().lower()}.")
        return redirect(cta)
    return _render_cta(request, pk)


@login_required
@require_POST
def cta_step_toggle(request, pk: int):
    step = get_object_or_404(
        CtaStep.objects.select_related("cta").filter(
            cta__account__in=Account.objects.for_user(request.user)
        ),
        pk=pk,
    )
    services.cta_step_toggle(step=step, user=request.user)
    if not is_htmx(request):
        return redirect(step.cta)
    return _render_cta(request, step.cta_id)
