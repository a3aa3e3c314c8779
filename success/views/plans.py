"""Plan pages: list, start, detail with its steps, outcome, sharing, PDF and the customer view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from core.exports import pdf_response
from core.links import LinkUnavailable, customer_link
from success import selectors, services
from success.filters import SuccessPlanFilter
from success.forms import (
    PlanOutcomeForm,
    PlanStartForm,
    PlanStepForm,
    ShareForm,
    StepCompleteForm,
)
from success.models import PlanShare, PlanStep, ScopeDelivery, SuccessPlan

from .common import form_errors_text, is_htmx, visible_account


def _plan(request, pk: int) -> SuccessPlan:
    plan = selectors.plan_for_user(request.user, pk, as_of=timezone.localdate())
    if plan is None:
        raise Http404("No such plan.")
    return plan


def _step(request, pk: int) -> PlanStep:
    return get_object_or_404(
        PlanStep.objects.select_related("plan__account").filter(
            plan__account__in=Account.objects.for_user(request.user)
        ),
        pk=pk,
    )


@login_required
def plan_list(request):
    """Every plan the user may see, with progress and the success vector."""
    today = timezone.localdate()
    filterset = SuccessPlanFilter(
        request.GET or {"status": "active"},
        queryset=selectors.plans_for_user(request.user, as_of=today).order_by(
            "account__name", "-started_on"
        ),
        request=request,
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    for plan in page:
        selectors.plan_attach_progress(plan)
    return render(request, "success/plan_list.html", {"filter": filterset, "page": page})


def _plan_context(request, plan: SuccessPlan, **extra) -> dict:
    today = timezone.localdate()
    steps = list(plan.steps.select_related("completed_by", "ladder_entry", "chute_entry"))
    return {
        "plan": plan,
        "account": plan.account,
        "steps": steps,
        "today": today,
        "complete_form": StepCompleteForm(),
        "step_form": extra.pop("step_form", None)
        or PlanStepForm(initial={"starts_on": today, "due_on": today, "order": len(steps) + 1}),
        "outcome_form": extra.pop("outcome_form", None)
        or PlanOutcomeForm(
            initial={
                "objective_met": {True: "yes", False: "no"}.get(plan.objective_met, ""),
                "scope_delivery": plan.scope_delivery,
                "closed_on": plan.closed_on or today,
                "note": plan.outcome_note,
            }
        ),
        "share_form": ShareForm(),
        "shares": list(plan.shares.all()[:10]),
        "suggested_scope_label": ScopeDelivery(services.scope_delivery_suggest(plan)).label,
        "other_plans": list(
            SuccessPlan.objects.filter(account=plan.account).exclude(pk=plan.pk)[:10]
        ),
        **extra,
    }


@login_required
def plan_detail(request, pk: int):
    plan = _plan(request, pk)
    return render(request, "success/plan_detail.html", _plan_context(request, plan))


@login_required
def plan_start(request, account_id: int):
    """Start a plan for an account from its segment's template."""
    account = visible_account(request, account_id)
    form = PlanStartForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create_from_template(
                account=account,
                template=form.cleaned_data["template"],
                started_on=form.cleaned_data["started_on"],
                name=form.cleaned_data["name"],
                objective=form.cleaned_data["objective"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, form_errors_text(exc))
        else:
            messages.success(request, f"Plan “{plan.name}” started.")
            return redirect(plan)
    return render(request, "success/plan_start.html", {"account": account, "form": form})


def _plan_body(request, plan_id: int, status: int = 200, **extra):
    plan = _plan(request, plan_id)
    template = "success/_plan_body.html" if is_htmx(request) else "success/plan_detail.html"
    return render(request, template, _plan_context(request, plan, **extra), status=status)


@login_required
@require_POST
def step_complete(request, pk: int):
    """Complete a step (htmx swaps the plan body: progress, vector and steps)."""
    step = _step(request, pk)
    form = StepCompleteForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.plan_step_complete(
                step=step,
                completed_on=form.cleaned_data["completed_on"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            error = form_errors_text(exc)
    else:
        error = " ".join(msg for msgs in form.errors.values() for msg in msgs)
    if error:
        if not is_htmx(request):
            messages.error(request, error)
            return redirect("success:plan_detail", step.plan_id)
        return _plan_body(request, step.plan_id, status=422, step_error=(step.pk, error))
    if not is_htmx(request):
        messages.success(request, f"“{step.title}” completed.")
        return redirect("success:plan_detail", step.plan_id)
    return _plan_body(request, step.plan_id)


@login_required
def step_add(request, plan_id: int):
    plan = _plan(request, plan_id)
    if request.method != "POST":
        return redirect(plan)
    form = PlanStepForm(request.POST)
    if form.is_valid():
        try:
            services.plan_step_save(plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, form_errors_text(exc))
        else:
            messages.success(request, "Step added.")
            return redirect(plan)
    return render(
        request,
        "success/plan_detail.html",
        _plan_context(request, plan, step_form=form),
        status=422,
    )


@login_required
def step_edit(request, pk: int):
    step = _step(request, pk)
    form = PlanStepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_step_save(plan=step.plan, step=step, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, form_errors_text(exc))
        else:
            messages.success(request, "Step saved.")
            return redirect("success:plan_detail", step.plan_id)
    return render(request, "success/step_edit.html", {"form": form, "step": step})


@login_required
@require_POST
def step_delete(request, pk: int):
    step = _step(request, pk)
    try:
        services.plan_step_delete(step=step)
    except ValidationError as exc:
        messages.error(request, form_errors_text(exc))
    else:
        messages.success(request, f"Step “{step.title}” removed.")
    return redirect("success:plan_detail", step.plan_id)


@login_required
@require_POST
def plan_outcome(request, pk: int):
    """Close the plan (or amend a closed one) with the objective and scope outcome."""
    plan = _plan(request, pk)
    form = PlanOutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.plan_outcome_record(
                plan=plan,
                objective_met=form.cleaned_data["objective_met"],
                scope_delivery=form.cleaned_data["scope_delivery"] or None,
                closed_on=form.cleaned_data["closed_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, form_errors_text(exc))
        else:
            messages.success(request, "Plan outcome recorded.")
            return redirect(plan)
    return render(
        request,
        "success/plan_detail.html",
        _plan_context(request, plan, outcome_form=form),
        status=422,
    )


# --- sharing with the customer -------------------------------------------------------------
@login_required
@require_POST
def share_create(request, pk: int):
    plan = _plan(request, pk)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A link lasts between 1 and 365 days.")
        return redirect(plan)
    created = services.plan_share_create(
        plan=plan, created_by=request.user, days=form.cleaned_data["days"]
    )
    share = created.share
    url = request.build_absolute_uri(reverse("success:shared_plan", args=[created.token]))
    messages.success(
        request,
        f"Share this link with the customer (shown once; valid until "
        f"{timezone.localtime(share.expires_at):%Y-%m-%d}): {url}",
    )
    return redirect(plan)


@login_required
@require_POST
def share_revoke(request, pk: int):
    share = get_object_or_404(
        PlanShare.objects.filter(plan__account__in=Account.objects.for_user(request.user)),
        pk=pk,
    )
    services.plan_share_revoke(share=share)
    messages.success(request, "The link no longer works.")
    return redirect("success:plan_detail", share.plan_id)


def _pdf_response(plan_view: dict, filename: str) -> HttpResponse:
    return pdf_response(
        "success/shared_plan.html", {"view": plan_view, "pdf": True}, filename=filename
    )


def _filename(plan_view: dict) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in plan_view["account_name"]).strip("-")
    return f"success-plan-{safe.lower() or 'customer'}.pdf"


@login_required
def plan_pdf(request, pk: int):
    """The customer-facing plan as a PDF, for the CSM to send."""
    view = selectors.plan_for_customer(_plan(request, pk))
    return _pdf_response(view, _filename(view))


def _shared(token: str) -> dict:
    share = services.plan_share_resolve(token=token)
    if share is None:
        raise LinkUnavailable("This link is unknown, has expired or was revoked.")
    return selectors.plan_for_customer(share.plan)


@customer_link
def shared_plan(request, token: str):
    """The customer's read-only view of their plan (no login)."""
    response = render(request, "success/shared_plan.html", {"view": _shared(token), "token": token})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@customer_link
def shared_plan_pdf(request, token: str):
    view = _shared(token)
    response = _pdf_response(view, _filename(view))
    response["Cache-Control"] = "no-store"
    return response
