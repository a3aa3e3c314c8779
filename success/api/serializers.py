"""Serializers for the success API: plans with progress and steps, CTAs with their checklist."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import VisibleRelatedField, visible_accounts
from core.api.fields import ApiModelSerializer, ApiSerializer, StrictCharField
from success.models import Cta, CtaStatus, CtaStep, PlanStep, PlanTemplate, SuccessPlan
from success.models.plans import vector_for

EARLIEST = date(2000, 1, 1)


class PlanStepSerializer(ApiModelSerializer):
    class Meta:
        model = PlanStep
        fields = [
            "id",
            "order",
            "title",
            "description",
            "owner_side",
            "scope",
            "is_milestone",
            "ladder_points",
            "chute_points",
            "starts_on",
            "due_on",
            "completed_on",
            "completion_note",
        ]
        read_only_fields = fields


class SuccessPlanSerializer(ApiModelSerializer):
    """A plan with its progress: the share of steps done against the share due by today."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    outcome_class = serializers.CharField(read_only=True)
    scope_delivery = serializers.CharField(
        read_only=True, help_text="early, on_time, late, not_delivered; blank until closed."
    )
    step_total = serializers.IntegerField(read_only=True)
    step_done = serializers.IntegerField(read_only=True)
    step_overdue = serializers.IntegerField(read_only=True)
    progress = serializers.SerializerMethodField(help_text="Share of steps done (0-1).")
    expected = serializers.SerializerMethodField(help_text="Share of steps due by today (0-1).")
    vector = serializers.SerializerMethodField(help_text="on_track, lagging or off_track.")
    steps = PlanStepSerializer(many=True, read_only=True)

    class Meta:
        model = SuccessPlan
        fields = [
            "id",
            "account",
            "account_name",
            "template",
            "name",
            "objective",
            "started_on",
            "status",
            "closed_on",
            "objective_met",
            "scope_delivery",
            "outcome_class",
            "outcome_note",
            "step_total",
            "step_done",
            "step_overdue",
            "progress",
            "expected",
            "vector",
            "steps",
            "created_at",
        ]
        read_only_fields = fields

    def get_progress(self, plan) -> float:
        return round(plan.step_done / plan.step_total, 4) if plan.step_total else 0.0

    def get_expected(self, plan) -> float:
        return round(plan.step_expected / plan.step_total, 4) if plan.step_total else 0.0

    def get_vector(self, plan) -> str:
        return vector_for(self.get_progress(plan), self.get_expected(plan))


@extend_schema_field(OpenApiTypes.INT)
class AccountIdField(VisibleRelatedField):
    """An account id you can see; others look exactly like missing ids."""


@extend_schema_field(OpenApiTypes.INT)
class TemplateIdField(VisibleRelatedField):
    """An active plan template's id."""


def _bounded(value: date, *, latest: date) -> date:
    if not EARLIEST <= value <= latest:
        raise serializers.ValidationError(f"Pick a date between {EARLIEST} and {latest}.")
    return value


class SuccessPlanCreateSerializer(ApiSerializer):
    account = AccountIdField(visible=visible_accounts)
    template = TemplateIdField(
        visible=lambda user: PlanTemplate.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active template of the account's segment; omit for a blank plan.",
    )
    started_on = serializers.DateField(required=False, help_text="Default: today.")
    name = StrictCharField(max_length=160, required=False, allow_blank=True, default="")
    objective = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_started_on(self, value: date) -> date:
        return _bounded(value, latest=timezone.localdate() + timedelta(days=366))


class StepCompleteSerializer(ApiSerializer):
    completed_on = serializers.DateField(required=False, help_text="Default: today.")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_completed_on(self, value: date) -> date:
        return _bounded(value, latest=timezone.localdate())


class CtaStepSerializer(ApiModelSerializer):
    done_by = serializers.CharField(
        source="done_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CtaStep
        fields = ["id", "order", "text", "done_at", "done_by"]
        read_only_fields = fields


class CtaSerializer(ApiModelSerializer):
    """A call-to-action: why (with evidence), how urgent, by when, and its playbook steps."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.CharField(
        source="owner.username", read_only=True, default=None, allow_null=True
    )
    rule = serializers.CharField(source="rule.key", read_only=True, default=None, allow_null=True)
    evidence = serializers.DictField(read_only=True)
    step_total = serializers.IntegerField(read_only=True)
    step_done = serializers.IntegerField(read_only=True)
    steps = CtaStepSerializer(many=True, read_only=True)

    class Meta:
        model = Cta
        fields = [
            "id",
            "account",
            "account_name",
            "owner",
            "rule",
            "title",
            "reason",
            "evidence",
            "priority",
            "due_on",
            "status",
            "opened_at",
            "closed_at",
            "step_total",
            "step_done",
            "steps",
        ]
        read_only_fields = fields


class CtaStatusSerializer(ApiSerializer):
    status = serializers.ChoiceField(
        choices=CtaStatus.choices, help_text="done or dismissed closes the CTA; open reopens it."
    )
