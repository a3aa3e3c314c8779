"""Serializers for the success API: plans with progress and steps, CTAs with their checklist."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import VisibleRelatedField, visible_accounts
from core.api.fields import (
    ApiModelSerializer,
    ApiSerializer,
    BoundedDateField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from success.models import (
    Cta,
    CtaNote,
    CtaOutcome,
    CtaStatus,
    CtaStep,
    PlanStep,
    PlanTemplate,
    SuccessPlan,
)
from success.models.plans import vector_for
from success.services.ctas import BULK_MAX, DUE_MAX_DAYS, NOTE_MAX_LENGTH, SNOOZE_MAX_DAYS
from users.models import User

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


class SuccessPlanCreateSerializer(ApiSerializer):
    account = AccountIdField(visible=visible_accounts)
    template = TemplateIdField(
        visible=lambda user: PlanTemplate.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active template of the account's segment; omit for a blank plan.",
    )
    started_on = BoundedDateField(
        earliest=EARLIEST,
        latest=lambda: timezone.localdate() + timedelta(days=366),
        required=False,
        help_text="Default: today; at most a year ahead.",
    )
    name = StrictCharField(max_length=160, required=False, allow_blank=True, default="")
    objective = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class StepCompleteSerializer(ApiSerializer):
    completed_on = BoundedDateField(
        earliest=EARLIEST,
        latest=timezone.localdate,
        required=False,
        help_text="Default: today; not in the future.",
    )
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class CtaStepSerializer(ApiModelSerializer):
    done_by = serializers.CharField(
        source="done_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CtaStep
        fields = ["id", "order", "text", "done_at", "done_by"]
        read_only_fields = fields


class CtaNoteSerializer(ApiModelSerializer):
    """A note on a CTA, with the users its @mentions resolved to."""

    author = serializers.CharField(
        source="author.username", read_only=True, default=None, allow_null=True
    )
    mentions = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = CtaNote
        fields = ["id", "author", "body", "mentions", "created_at"]
        read_only_fields = fields


class CtaSerializer(ApiModelSerializer):
    """A call-to-action: why (with evidence as of its day), how urgent, by when, who works it,
    how it ended, its playbook steps and notes."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.CharField(
        source="owner.username", read_only=True, default=None, allow_null=True
    )
    rule = serializers.CharField(source="rule.key", read_only=True, default=None, allow_null=True)
    evidence = serializers.DictField(read_only=True)
    evidence_as_of = serializers.DateField(
        read_only=True, help_text="The day the evidence and the numbers in `reason` were seen."
    )
    outcome = serializers.ChoiceField(
        choices=CtaOutcome.choices,
        allow_blank=True,
        read_only=True,
        help_text="How it ended; blank while live (and on CTAs closed before outcomes existed).",
    )
    is_snoozed = serializers.SerializerMethodField(
        help_text="Live and snoozed past today: left out of `?status=live` until then."
    )
    step_total = serializers.IntegerField(read_only=True)
    step_done = serializers.IntegerField(read_only=True)
    steps = CtaStepSerializer(many=True, read_only=True)
    notes = CtaNoteSerializer(many=True, read_only=True)

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
            "evidence_as_of",
            "priority",
            "due_on",
            "status",
            "snoozed_until",
            "is_snoozed",
            "opened_at",
            "closed_at",
            "outcome",
            "close_note",
            "step_total",
            "step_done",
            "steps",
            "notes",
        ]
        read_only_fields = fields

    def get_is_snoozed(self, cta) -> bool:
        return cta.is_snoozed_on(timezone.localdate())


class CtaUpdateSerializer(ApiSerializer):
    """PATCH: the status and/or the due date (every field optional, as PATCH means: an
    empty body changes nothing and answers the CTA as it is)."""

    status = serializers.ChoiceField(
        choices=CtaStatus.choices,
        required=False,
        help_text="done or dismissed closes the CTA (outcome resolved / no_action_needed; "
        "POST close/ to record another outcome); open reopens it.",
    )
    due_on = BoundedDateField(
        earliest=date(2000, 1, 1),
        latest=lambda: timezone.localdate() + timedelta(days=DUE_MAX_DAYS),
        required=False,
        help_text="From the day it opened to a year ahead; live CTAs only.",
    )


class CtaCloseSerializer(ApiSerializer):
    outcome = serializers.ChoiceField(
        choices=CtaOutcome.choices,
        help_text="How it ended; no_action_needed closes as dismissed, the others as done.",
    )
    note = StrictCharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class CtaNoteCreateSerializer(ApiSerializer):
    body = StrictCharField(
        max_length=NOTE_MAX_LENGTH,
        help_text="The note; each @username must be an active user who may see the CTA.",
    )


@extend_schema_field(OpenApiTypes.STR)
class AssigneeField(serializers.CharField):
    """An active user, by username (a string field, so the schema says a username is never
    empty: DRF's slug field read "" as null and refused a value the schema allowed)."""

    default_error_messages = {"does_not_exist": "No active user is called {value}."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("help_text", "The username of the active user who will work it.")
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        username = super().run_validation(data)  # the string checks (length, blank) first
        user = User.objects.filter(is_active=True, username=username).first()
        if user is None:
            self.fail("does_not_exist", value=username)
        return user

    def to_representation(self, value):
        return value.username


class CtaReassignSerializer(ApiSerializer):
    owner = AssigneeField()


class CtaSnoozeSerializer(ApiSerializer):
    until = BoundedDateField(
        earliest_of=lambda: timezone.localdate() + timedelta(days=1),
        latest=lambda: timezone.localdate() + timedelta(days=SNOOZE_MAX_DAYS),
        allow_null=True,
        help_text="Hidden from the open lists until this day (tomorrow to a year ahead); "
        "null wakes it now.",
    )


class CtaStepSetSerializer(ApiSerializer):
    done = StrictBooleanField(
        required=False,
        help_text="true ticks the step (records who and when); left out, nothing changes.",
    )


class CtaIdsField(serializers.ListField):
    child = StrictIntegerField(min_value=1, max_value=2**31 - 1)

    def __init__(self, **kwargs):
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", BULK_MAX)
        kwargs.setdefault("help_text", f"Up to {BULK_MAX} CTA ids.")
        super().__init__(**kwargs)


class CtaBulkCloseSerializer(ApiSerializer):
    ids = CtaIdsField()
    outcome = serializers.ChoiceField(choices=CtaOutcome.choices)
    note = StrictCharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class CtaBulkReassignSerializer(ApiSerializer):
    ids = CtaIdsField()
    owner = AssigneeField()


class CtaBulkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    error = serializers.CharField(help_text="Why this one was not changed; blank when ok.")


class CtaBulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    results = CtaBulkItemSerializer(many=True)
