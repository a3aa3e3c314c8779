"""CTA pages: the list (filters, checkboxes and a bulk action bar) and the detail page where a
CSM works a CTA: notes with @mentions, playbook checkboxes, reassign, snooze, due date, close
with an outcome. Every form posts with htmx (the body swaps in place) and works without it."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from core import formatting
from success import selectors, services
from success.filters import CtaFilter
from success.forms import (
    CtaBulkForm,
    CtaCloseForm,
    CtaDueForm,
    CtaNoteForm,
    CtaReassignForm,
    CtaSnoozeForm,
)
from success.models import CtaOutcome, CtaStatus, CtaStep

from .common import form_errors_text, is_htmx

PAGE_SIZE = 50


def _today():
    return timezone.localdate()


def _default_params(request):
    params = request.GET.copy()
    if not params:
        params["status"] = "live"
        if request.user.is_csm:
            params["mine"] = "true"
    return params


@login_required
def cta_list(request):
    """Live CTAs by default (snoozed ones wait for their day), mine first for a CSM; most
    urgent first; tick some and close or reassign them at once."""
    filterset = CtaFilter(
        _default_params(request),
        queryset=selectors.ctas_for_user(request.user).order_by("priority", "due_on", "id"),
        request=request,
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "success/cta_list.html",
        {
            "filter": filterset,
            "page": page,
            "today": _today(),
            "bulk_form": CtaBulkForm(auto_id="bulk-%s"),
            "back": request.get_full_path(),
        },
    )


@login_required
@require_POST
def cta_bulk(request):
    """Close or reassign the ticked CTAs; reports how each one went."""
    form = CtaBulkForm(request.POST, auto_id="bulk-%s")
    back = request.POST.get("back") or ""
    target = back if back.startswith(reverse("success:cta_list")) else reverse("success:cta_list")
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(target)
    data = form.cleaned_data
    visible = selectors.ctas_visible_to(request.user)
    try:
        if data["action"] == "close":
            results = services.ctas_close_many(
                visible=visible,
                ids=data["ids"],
                outcome=data["outcome"],
                note=data["note"],
                user=request.user,
            )
            done = f"Closed as {CtaOutcome(data['outcome']).label.lower()}"
        else:
            results = services.ctas_reassign_many(
                visible=visible, ids=data["ids"], owner=data["owner"], user=request.user
            )
            done = f"Assigned to {data['owner'].display_name}"
    except ValidationError as exc:
        messages.error(request, form_errors_text(exc))
        return redirect(target)
    _report_bulk(request, results, done)
    return redirect(target)


def _report_bulk(request, results: list[dict], done: str) -> None:
    ok = [r for r in results if r["ok"]]
    if ok:
        messages.success(request, f"{done}: {len(ok)} CTA{'s' if len(ok) != 1 else ''}.")
    failed = [r for r in results if not r["ok"]]
    if failed:
        titles = dict(
            selectors.ctas_visible_to(request.user)
            .filter(pk__in=[r["id"] for r in failed])
            .values_list("pk", "account__name")
        )
        lines = "; ".join(
            f"{titles.get(r['id']) or 'CTA ' + str(r['id'])}: {r['error']}" for r in failed
        )
        messages.warning(request, f"{len(failed)} not changed — {lines}")


def _cta(request, pk: int):
    cta = selectors.cta_for_user(request.user, pk)
    if cta is None:
        raise Http404("No such CTA.")
    return cta


def _forms(cta, today, bound=None) -> dict:
    forms = {
        "close_form": CtaCloseForm(),
        "note_form": CtaNoteForm(),
        "reassign_form": CtaReassignForm(initial={"owner": cta.owner_id}),
        "snooze_form": CtaSnoozeForm(
            initial={"until": cta.snoozed_until or today + timedelta(days=7)}
        ),
        "due_form": CtaDueForm(initial={"due_on": cta.due_on}),
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _render_cta(request, pk: int, *, status: int = 200, error: str = "", bound=None):
    cta = _cta(request, pk)
    today = _today()
    template = "success/_cta_body.html" if is_htmx(request) else "success/cta_detail.html"
    context = {
        "cta": cta,
        "today": today,
        "error": error,
        "evidence": selectors.cta_evidence(cta),
        "can_see_account": Account.objects.for_user(request.user)
        .filter(pk=cta.account_id)
        .exists(),
        **_forms(cta, today, bound),
    }
    return render(request, template, context, status=status)


@login_required
def cta_detail(request, pk: int):
    return _render_cta(request, pk)


def _act(request, pk: int, *, form_class=None, form_key="", act, said):
    """Parse one form (if any), call one service, answer with the re-rendered body (htmx) or a
    redirect with a message; invalid input is a 422 with the form's errors in place."""
    cta = _cta(request, pk)
    form = form_class(request.POST) if form_class else None
    error = ""
    if form is not None and not form.is_valid():
        error = " ".join(e for errs in form.errors.values() for e in errs)
    else:
        try:
            act(cta, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            error = form_errors_text(exc)
            if form is not None and hasattr(exc, "message_dict"):
                for field, msgs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, msgs)
    if error:
        if not is_htmx(request):
            messages.error(request, error)
            return redirect(cta)
        return _render_cta(
            request, pk, status=422, error=error, bound=(form_key, form) if form else None
        )
    message = said(cta) if callable(said) else said
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(cta)
    response = _render_cta(request, pk)
    response["HX-Trigger"] = '{"cta-changed": null}'
    return response


@login_required
@require_POST
def cta_status(request, pk: int):
    """Start (in progress) or reopen; closing goes through the outcome form."""
    status = request.POST.get("status", "")

    def act(cta, _):
        if status not in CtaStatus.live():
            raise ValidationError("Close a CTA with an outcome.")
        services.cta_status_set(cta=cta, status=status, user=request.user)

    return _act(
        request, pk, act=act, said=lambda cta: f"CTA is now {cta.get_status_display().lower()}."
    )


@login_required
@require_POST
def cta_close(request, pk: int):
    return _act(
        request,
        pk,
        form_class=CtaCloseForm,
        form_key="close_form",
        act=lambda cta, data: services.cta_close(
            cta=cta, outcome=data["outcome"], note=data["note"], user=request.user
        ),
        said=lambda cta: f"Closed: {cta.get_outcome_display().lower()}.",
    )


@login_required
@require_POST
def cta_note(request, pk: int):
    return _act(
        request,
        pk,
        form_class=CtaNoteForm,
        form_key="note_form",
        act=lambda cta, data: services.cta_note_add(
            cta=cta, author=request.user, body=data["body"]
        ),
        said="Note added.",
    )


@login_required
@require_POST
def cta_reassign(request, pk: int):
    return _act(
        request,
        pk,
        form_class=CtaReassignForm,
        form_key="reassign_form",
        act=lambda cta, data: services.cta_reassign(
            cta=cta, owner=data["owner"], user=request.user
        ),
        said=lambda cta: f"Assigned to {cta.owner.display_name}.",
    )


@login_required
@require_POST
def cta_snooze(request, pk: int):
    waking = request.POST.get("wake") == "1"
    return _act(
        request,
        pk,
        form_class=None if waking else CtaSnoozeForm,
        form_key="snooze_form",
        act=lambda cta, data: services.cta_snooze(
            cta=cta, until=data.get("until"), user=request.user
        ),
        said=lambda cta: (
            f"Snoozed until {formatting.day(cta.snoozed_until)}."
            if cta.snoozed_until
            else "Back in the open list."
        ),
    )


@login_required
@require_POST
def cta_due(request, pk: int):
    return _act(
        request,
        pk,
        form_class=CtaDueForm,
        form_key="due_form",
        act=lambda cta, data: services.cta_due_date_set(
            cta=cta, due_on=data["due_on"], user=request.user
        ),
        said=lambda cta: f"Now due {formatting.day(cta.due_on)}.",
    )


@login_required
@require_POST
def cta_step_set(request, pk: int):
    """A playbook checkbox: `done` present ticks the step, absent unticks it."""
    step = get_object_or_404(
        CtaStep.objects.select_related("cta").filter(
            cta__in=selectors.ctas_visible_to(request.user)
        ),
        pk=pk,
    )
    services.cta_step_set(step=step, done=bool(request.POST.get("done")), user=request.user)
    if not is_htmx(request):
        return redirect(step.cta)
    return _render_cta(request, step.cta_id)
