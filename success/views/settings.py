"""Success settings for admins: plan templates per segment, intervention rules, playbooks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from success.forms import (
    InterventionRuleFormSet,
    PlanTemplateForm,
    PlanTemplateStepFormSet,
    PlaybookForm,
    PlaybookStepFormSet,
)
from success.models import InterventionRule, PlanTemplate, Playbook
from success.services import intervention_rules_ensure

from .common import admin_required


@login_required
@admin_required
def template_list(request):
    templates = PlanTemplate.objects.select_related("segment").prefetch_related("steps")
    return render(request, "success/settings/template_list.html", {"templates": templates})


def _edit_with_steps(request, *, instance, form_class, formset_class, template, done_url):
    form = form_class(request.POST or None, instance=instance)
    formset = formset_class(request.POST or None, instance=instance or form_class._meta.model())
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            obj = form.save()
            formset.instance = obj
            formset.save()
        messages.success(request, f"“{obj}” saved.")
        return redirect(done_url)
    status = 422 if request.method == "POST" else 200
    return render(
        request, template, {"form": form, "formset": formset, "object": instance}, status=status
    )


@login_required
@admin_required
def template_edit(request, pk: int | None = None):
    """Create or edit a plan template and its steps on one page."""
    return _edit_with_steps(
        request,
        instance=get_object_or_404(PlanTemplate, pk=pk) if pk else None,
        form_class=PlanTemplateForm,
        formset_class=PlanTemplateStepFormSet,
        template="success/settings/template_form.html",
        done_url="success:template_list",
    )


@login_required
@admin_required
def playbook_list(request):
    playbooks = Playbook.objects.prefetch_related("steps", "rules")
    return render(request, "success/settings/playbook_list.html", {"playbooks": playbooks})


@login_required
@admin_required
def playbook_edit(request, pk: int | None = None):
    return _edit_with_steps(
        request,
        instance=get_object_or_404(Playbook, pk=pk) if pk else None,
        form_class=PlaybookForm,
        formset_class=PlaybookStepFormSet,
        template="success/settings/playbook_form.html",
        done_url="success:playbook_list",
    )


@login_required
@admin_required
def rule_settings(request):
    """Every intervention rule on one page: enabled, threshold, priority, due, cool-down."""
    intervention_rules_ensure()
    formset = InterventionRuleFormSet(
        request.POST or None, queryset=InterventionRule.objects.order_by("key")
    )
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, "Intervention rules saved.")
        return redirect("success:rule_settings")
    status = 422 if request.method == "POST" else 200
    return render(request, "success/settings/rules.html", {"formset": formset}, status=status)
