"""Admin-only settings: ICPs and criteria, trust rules and policy, segments (no Django admin)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import (
    IcpCriterionForm,
    IcpForm,
    SegmentForm,
    TrustPolicyForm,
    TrustRuleForm,
)
from accounts.models import IcpCriterion, IdealCustomerProfile, Segment, TrustPolicy, TrustRule
from accounts.services import config
from users.permissions import admin_required as role_admin_required

admin_required = role_admin_required(message="Only admins change these settings.")


@admin_required
def settings_index(request):
    return render(
        request,
        "accounts/settings/index.html",
        {
            "icps": IdealCustomerProfile.objects.select_related("segment").annotate(
                n_criteria=Count("criteria")
            ),
            "policy": TrustPolicy.current(),
            "rules": TrustRule.objects.count(),
            "segments": Segment.objects.annotate(n_accounts=Count("accounts")),
        },
    )


@admin_required
def icp_edit(request, pk: int | None = None):
    """Create or change an ICP; its criteria are listed and added on the same page."""
    icp = get_object_or_404(IdealCustomerProfile, pk=pk) if pk else IdealCustomerProfile()
    form = IcpForm(request.POST or None, instance=icp, prefix="icp")
    if request.method == "POST" and form.is_valid():
        config.icp_profile_save(icp=form.save(commit=False))
        messages.success(request, f"ICP {icp.name} saved; fit scores are being recomputed.")
        return redirect("accounts:settings_icp", pk=icp.pk)
    criteria = list(icp.criteria.all()) if icp.pk else []
    criterion_form = IcpCriterionForm(prefix="criterion") if icp.pk else None
    return render(
        request,
        "accounts/settings/icp.html",
        {"icp": icp, "form": form, "criteria": criteria, "criterion_form": criterion_form},
    )


@admin_required
@require_POST
def icp_delete(request, pk: int):
    icp = get_object_or_404(IdealCustomerProfile, pk=pk)
    config.icp_profile_delete(icp=icp)
    messages.success(request, f"ICP {icp.name} deleted.")
    return redirect("accounts:settings")


@admin_required
def icp_criterion_edit(request, pk: int, criterion_id: int | None = None):
    icp = get_object_or_404(IdealCustomerProfile, pk=pk)
    criterion = (
        get_object_or_404(IcpCriterion, pk=criterion_id, icp=icp)
        if criterion_id
        else IcpCriterion(icp=icp)
    )
    form = IcpCriterionForm(request.POST or None, instance=criterion, prefix="criterion")
    if request.method == "POST" and form.is_valid():
        config.icp_criterion_save(criterion=form.save(commit=False))
        messages.success(request, "Criterion saved; fit scores are being recomputed.")
        return redirect("accounts:settings_icp", pk=icp.pk)
    return render(
        request,
        "accounts/settings/icp.html",
        {
            "icp": icp,
            "form": IcpForm(instance=icp, prefix="icp"),
            "criteria": list(icp.criteria.all()),
            "criterion_form": form,
            "editing": criterion,
        },
    )


@admin_required
@require_POST
def icp_criterion_delete(request, pk: int, criterion_id: int):
    criterion = get_object_or_404(IcpCriterion, pk=criterion_id, icp_id=pk)
    config.icp_criterion_delete(criterion=criterion)
    messages.success(request, "Criterion removed; fit scores are being recomputed.")
    return redirect("accounts:settings_icp", pk=pk)


@admin_required
def trust_rules(request, pk: int | None = None):
    """The trust rules table with an add / edit form."""
    rule = get_object_or_404(TrustRule, pk=pk) if pk else TrustRule()
    form = TrustRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        config.trust_rule_save(rule=form.save(commit=False))
        messages.success(request, "Trust rule saved.")
        return redirect("accounts:settings_trust_rules")
    return render(
        request,
        "accounts/settings/trust_rules.html",
        {"rules": TrustRule.objects.all(), "form": form, "rule": rule},
    )


@admin_required
@require_POST
def trust_rule_delete(request, pk: int):
    config.trust_rule_delete(rule=get_object_or_404(TrustRule, pk=pk))
    messages.success(request, "Trust rule removed.")
    return redirect("accounts:settings_trust_rules")


@admin_required
def trust_policy(request):
    """The cushion: how much sustained goodwill softens a chute."""
    form = TrustPolicyForm(request.POST or None, instance=TrustPolicy.current())
    if request.method == "POST" and form.is_valid():
        config.trust_policy_save(policy=form.save(commit=False))
        messages.success(request, "Trust policy saved.")
        return redirect("accounts:settings_trust_policy")
    return render(request, "accounts/settings/trust_policy.html", {"form": form})


@admin_required
def segment_edit(request, pk: int | None = None):
    """Create or change a segment and its desired outcome."""
    segment = get_object_or_404(Segment, pk=pk) if pk else Segment()
    form = SegmentForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        config.segment_save(segment=form.save(commit=False))
        messages.success(request, f"Segment {segment.name} saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/settings/segment.html", {"form": form, "segment": segment})
