"""Success plans: per-segment templates, per-account plans with granular steps, share links."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.share_tokens import ShareLinkQuerySet, ShareLinkState

# The success vector compares the share of steps done with the share that should be done by now
# (steps whose due date has passed). gap = expected - progress:
#   gap <= LAGGING_GAP               -> "on_track"
#   LAGGING_GAP < gap <= OFF_TRACK_GAP -> "lagging"
#   gap > OFF_TRACK_GAP              -> "off_track"
LAGGING_GAP = 0.10
OFF_TRACK_GAP = 0.30


def vector_for(progress: float, expected: float) -> str:
    """The success vector for a plan with `progress` done of `expected` due (both 0..1)."""
    gap = expected - progress
    if gap <= LAGGING_GAP + 1e-9:
        return "on_track"
    if gap <= OFF_TRACK_GAP + 1e-9:
        return "lagging"
    return "off_track"


class OwnerSide(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    US = "us", "Us"
    JOINT = "joint", "Joint"


class StepScope(models.TextChoices):
    OUR_SCOPE = "our_scope", "Our scope"
    CUSTOMER_OBJECTIVE = "customer_objective", "Customer objective"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class ScopeDelivery(models.TextChoices):
    EARLY = "early", "Early (beat our scope)"
    ON_TIME = "on_time", "On time"
    LATE = "late", "Late"
    NOT_DELIVERED = "not_delivered", "Not delivered"


def outcome_class_for(objective_met: bool | None, scope_delivery: str) -> str:
    """Success is not satisfaction (design brief, idea 3).

    objective met                        -> "successful" (whatever our scope did)
    objective failed, scope early        -> "delighted_only" (we beat our scope)
    objective failed, scope on time/late -> "satisfied_only" (we delivered our scope)
    anything else (undecided, or objective failed and scope not delivered) -> "not_yet"
    """
    if objective_met is True:
        return "successful"
    if objective_met is False:
        if scope_delivery == ScopeDelivery.EARLY:
            return "delighted_only"
        if scope_delivery in (ScopeDelivery.ON_TIME, ScopeDelivery.LATE):
            return "satisfied_only"
    return "not_yet"


class _StepFields(models.Model):
    """What a template step and a plan step have in common."""

    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Customer-facing: shown on the shared plan."
    )
    owner_side = models.CharField(max_length=8, choices=OwnerSide.choices, default=OwnerSide.JOINT)
    scope = models.CharField(
        max_length=20,
        choices=StepScope.choices,
        default=StepScope.OUR_SCOPE,
        help_text="Our deliverable, or part of the customer's own objective.",
    )
    is_milestone = models.BooleanField(
        default=False, help_text="Completing it appends a goodwill ladder."
    )
    ladder_points = models.PositiveSmallIntegerField(
        default=5, help_text="Goodwill gained when this milestone is completed."
    )
    chute_points = models.PositiveSmallIntegerField(
        default=3, help_text="Goodwill lost (once) when the step passes its due date undone."
    )

    class Meta:
        abstract = True


class PlanTemplate(models.Model):
    """The standard success plan for a segment: the granular steps to its desired outcome."""

    segment = models.ForeignKey(
        "accounts.Segment", on_delete=models.CASCADE, related_name="plan_templates"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["segment__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "name"], name="plan_template_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.segment}: {self.name}"


class PlanTemplateStep(_StepFields):
    """One step of a template, timed relative to the plan start."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="steps")
    offset_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the plan start when the step begins."
    )
    duration_days = models.PositiveSmallIntegerField(
        default=7, help_text="Expected duration; the step is due at offset + duration."
    )

    class Meta:
        ordering = ["template_id", "order", "offset_days", "id"]

    def __str__(self) -> str:
        return self.title


class SuccessPlan(models.Model):
    """An account's plan towards its desired outcome, and how it ended."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="success_plans"
    )
    template = models.ForeignKey(
        PlanTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    name = models.CharField(max_length=160)
    objective = models.TextField(
        blank=True, help_text="The customer's own objective, in their words (shared)."
    )
    started_on = models.DateField()
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    closed_on = models.DateField(null=True, blank=True)
    objective_met = models.BooleanField(
        null=True, blank=True, help_text="Was the customer's objective met? Empty: not decided."
    )
    scope_delivery = models.CharField(max_length=14, choices=ScopeDelivery.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["account", "started_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="active"),
                name="success_plan_one_active_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="success_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="active", closed_on__isnull=True)
                | Q(status="completed", closed_on__isnull=False),
                name="success_plan_closed_on_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("success:plan_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE

    @property
    def outcome_class(self) -> str:
        if self.status != PlanStatus.COMPLETED:
            return "not_yet"
        return outcome_class_for(self.objective_met, self.scope_delivery)


class StepStatus(models.TextChoices):
    """Where a plan step stands; every page, PDF and export reads it from `step_status`."""

    DONE = "done", "Done"
    OVERDUE = "overdue", "Overdue"
    PLANNED = "planned", "Planned"


def step_status(*, completed_on, due_on, today) -> str:
    """The one definition of a step's status: done once completed, overdue after its due day."""
    if completed_on is not None:
        return StepStatus.DONE
    return StepStatus.OVERDUE if due_on < today else StepStatus.PLANNED


class PlanStep(_StepFields):
    """One step of an account's plan: who does it, by when, and when it was done."""

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="steps")
    starts_on = models.DateField()
    due_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    completion_note = models.TextField(blank=True, help_text="Internal: never shared.")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ledger lines this step produced; each is appended at most once.
    ladder_entry = models.ForeignKey(
        "accounts.TrustEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chute_entry = models.ForeignKey(
        "accounts.TrustEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["plan_id", "order", "due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="plan_step_open_due",
                condition=Q(completed_on__isnull=True, chute_entry__isnull=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("starts_on")), name="plan_step_due_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return step_status(completed_on=self.completed_on, due_on=self.due_on, today=today) == (
            StepStatus.OVERDUE
        )

    @property
    def status(self) -> str:
        return step_status(
            completed_on=self.completed_on, due_on=self.due_on, today=timezone.localdate()
        )

    @property
    def completed_late(self) -> bool:
        return self.completed_on is not None and self.completed_on > self.due_on


class PlanShare(ShareLinkState, models.Model):
    """A read-only, expiring, revocable link that shows a plan to the customer without a login.

    The token itself is shown once, when the link is created; only its digest is stored. Fields
    and states are named as on the other share link, `dashboards.ScorecardShare`.
    """

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="shares")
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"share of plan {self.plan_id} until {self.expires_at:%Y-%m-%d}"
