"""Interventions: rules that open calls-to-action (CTAs) for the owning CSM, and playbooks."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RuleKey(models.TextChoices):
    PLAN_LAGGING = "plan_lagging", "Success plan lagging"
    BAND_DROPPED = "band_dropped", "Health dropped a band"
    DECAY = "decay", "Decay rising / in decay"
    NO_VALUE = "no_value", "No value-adding interaction"
    RENEWAL_AT_RISK = "renewal_at_risk", "Renewal near and not green"
    BAD_FIT_ONBOARDING = "bad_fit_onboarding", "Bad ICP fit at onboarding"
    WORK_TO_KEEP = "work_to_keep", "Quadrant moved to work to keep"


# What `InterventionRule.threshold` means for each rule (shown on the settings page).
THRESHOLD_HELP = {
    RuleKey.PLAN_LAGGING: "percentage points the plan is behind expected (10 = lagging)",
    RuleKey.BAND_DROPPED: "not used: any drop to a lower band",
    RuleKey.DECAY: "minimum decay score (0-100) while decaying or in decay",
    RuleKey.NO_VALUE: "days without a value-adding interaction",
    RuleKey.RENEWAL_AT_RISK: "days before the renewal date",
    RuleKey.BAD_FIT_ONBOARDING: "not used: any bad-fit account in onboarding",
    RuleKey.WORK_TO_KEEP: "not used: happy-unprofitable or profitable-unhappy",
}


class Priority(models.IntegerChoices):
    URGENT = 1, "Urgent"
    HIGH = 2, "High"
    MEDIUM = 3, "Medium"
    LOW = 4, "Low"


class CtaStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"

    @classmethod
    def live(cls) -> list[str]:
        return [cls.OPEN, cls.IN_PROGRESS]


class CtaOutcome(models.TextChoices):
    """How a closed CTA ended, recorded by whoever closed it (the insights and manager reviews
    read it). "No action needed" closes as Dismissed, every other outcome as Done."""

    RESOLVED = "resolved", "Resolved"
    NO_ACTION_NEEDED = "no_action_needed", "No action needed"
    ESCALATED = "escalated", "Escalated"
    CUSTOMER_UNREACHABLE = "customer_unreachable", "Customer unreachable"
    CUSTOMER_CHURNED = "customer_churned", "Customer churned"

    @property
    def closes_as(self) -> str:
        return CtaStatus.DISMISSED if self == CtaOutcome.NO_ACTION_NEEDED else CtaStatus.DONE


class Playbook(models.Model):
    """A reusable checklist a CSM follows when a CTA opens (e.g. "Renewal rescue")."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    """One checklist item of a playbook."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["playbook_id", "order", "id"]

    def __str__(self) -> str:
        return self.text


class InterventionRule(models.Model):
    """A configurable trigger: when its condition holds for an account, a CTA opens."""

    key = models.CharField(max_length=24, choices=RuleKey.choices, unique=True)
    is_enabled = models.BooleanField(default=True)
    threshold = models.PositiveIntegerField(
        default=0, help_text="Meaning depends on the rule (see the settings page)."
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    due_in_days = models.PositiveSmallIntegerField(
        default=7,
        verbose_name="SLA (days)",
        help_text="The rule's SLA: a CTA is due this many days after the day its condition was "
        "seen (a renewal CTA no later than the renewal date).",
    )
    cooldown_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="After a CTA of this rule is closed, don't reopen it for the same account "
        "for this many days.",
    )
    playbook = models.ForeignKey(
        Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="rules"
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=Q(key__in=RuleKey.values), name="rule_key_valid"),
            models.CheckConstraint(
                condition=Q(priority__gte=1) & Q(priority__lte=4), name="rule_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return self.get_key_display()

    @property
    def threshold_help(self) -> str:
        return THRESHOLD_HELP.get(self.key, "")


class CtaQuerySet(models.QuerySet):
    """The states lists and reminders ask about, on a given day (nothing runs when a snooze
    ends: a CTA snoozed until D is awake again from D on)."""

    def live(self) -> "CtaQuerySet":
        return self.filter(status__in=CtaStatus.live())

    def awake(self, day: date) -> "CtaQuerySet":
        """Not snoozed past `day` (live or not)."""
        return self.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=day))

    def snoozed(self, day: date) -> "CtaQuerySet":
        return self.live().filter(snoozed_until__gt=day)

    def overdue(self, day: date) -> "CtaQuerySet":
        """Live, awake and past the due date: what to remind an owner of."""
        return self.live().awake(day).filter(due_on__lt=day)


class Cta(models.Model):
    """A call-to-action for a CSM: why (with evidence), how urgent, by when, and what to do."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="ctas")
    rule = models.ForeignKey(
        InterventionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="ctas"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ctas",
        help_text="Who works the CTA: the account's CSM when it opened, or whoever it was "
        "reassigned to.",
    )
    title = models.CharField(max_length=200)
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=CtaStatus.choices, default=CtaStatus.OPEN)
    playbook = models.ForeignKey(
        Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="ctas"
    )
    snoozed_until = models.DateField(
        null=True,
        blank=True,
        help_text="Hidden from the open lists until this day; it comes back by itself then.",
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=24, choices=CtaOutcome.choices, blank=True)
    close_note = models.TextField(blank=True)

    objects = CtaQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "due_on", "id"]
        verbose_name = "CTA"
        indexes = [
            models.Index(fields=["owner", "status", "priority", "due_on"]),
            models.Index(fields=["account", "status"]),
        ]
        constraints = [
            # Never two live CTAs for the same rule and account (get-or-create relies on it).
            models.UniqueConstraint(
                fields=["account", "rule"],
                condition=Q(status__in=["open", "in_progress"], rule__isnull=False),
                name="cta_one_live_per_rule_and_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CtaStatus.values), name="cta_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1) & Q(priority__lte=4), name="cta_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", *CtaOutcome.values]), name="cta_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("success:cta_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in CtaStatus.live()

    def is_snoozed_on(self, day: date) -> bool:
        """Snoozed (hidden from open lists) on `day`: it wakes on `snoozed_until` itself."""
        return self.is_live and self.snoozed_until is not None and self.snoozed_until > day

    def is_overdue_on(self, day: date) -> bool:
        return self.is_live and self.due_on < day

    @property
    def evidence_as_of(self) -> date:
        """The day the evidence (and the numbers in the reason) were observed."""
        raw = (self.evidence or {}).get("as_of")
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw[:10])
            except ValueError:
                pass
        return timezone.localdate(self.opened_at) if self.opened_at else timezone.localdate()


class CtaNote(models.Model):
    """A comment on a CTA; `@username` in the body mentions a user who may see the CTA."""

    cta = models.ForeignKey(Cta, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="cta_mentions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cta_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class CtaStep(models.Model):
    """A playbook step copied onto a CTA, ticked off by the CSM."""

    cta = models.ForeignKey(Cta, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["cta_id", "order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# Defaults for the rule rows (also written by migration 0002): threshold, priority, due, cooldown.
DEFAULT_RULES = {
    RuleKey.PLAN_LAGGING: (10, Priority.HIGH, 7, 14),
    RuleKey.BAND_DROPPED: (0, Priority.HIGH, 5, 14),
    RuleKey.DECAY: (40, Priority.HIGH, 7, 30),
    RuleKey.NO_VALUE: (45, Priority.MEDIUM, 14, 30),
    RuleKey.RENEWAL_AT_RISK: (90, Priority.URGENT, 7, 30),
    RuleKey.BAD_FIT_ONBOARDING: (0, Priority.MEDIUM, 14, 90),
    RuleKey.WORK_TO_KEEP: (0, Priority.MEDIUM, 14, 60),
}
