"""Writes for success plans: create from a template, edit steps, complete, close, share."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from core.retention import rows_purge
from core.share_tokens import CreatedShare, share_token_digest, share_token_new, share_view_record
from success.models import (
    PlanShare,
    PlanStatus,
    PlanStep,
    PlanTemplate,
    ScopeDelivery,
    StepScope,
    SuccessPlan,
)

ACTIVE_PLAN_EXISTS = "This account already has an active plan; close it first."

STEP_FIELDS = (
    "order",
    "title",
    "description",
    "owner_side",
    "scope",
    "is_milestone",
    "ladder_points",
    "chute_points",
)
DEFAULT_SHARE_DAYS = 30
MAX_SHARE_DAYS = 365


def _at_noon(day: date) -> datetime:
    """A ledger timestamp for a date-only event (noon avoids time-zone date slips)."""
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


@transaction.atomic
def plan_create_from_template(
    *,
    account: Account,
    template: PlanTemplate | None,
    started_on: date,
    name: str = "",
    objective: str = "",
    user=None,
) -> SuccessPlan:
    """Start an account's plan, copying the template's steps with dates from `started_on`."""
    if template is not None and account.segment_id and template.segment_id != account.segment_id:
        raise ValidationError(
            {"template": ValidationError("Pick a template of the account's segment.", "conflict")}
        )
    if SuccessPlan.objects.filter(account=account, status=PlanStatus.ACTIVE).exists():
        raise ValidationError(ACTIVE_PLAN_EXISTS, code="conflict")
    segment = account.segment
    plan = SuccessPlan(
        account=account,
        template=template,
        name=name or (template.name if template else "Success plan"),
        objective=objective or (segment.required_outcome if segment else ""),
        started_on=started_on,
        created_by=user,
    )
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError(ACTIVE_PLAN_EXISTS, code="conflict") from None
    if template is not None:
        steps = []
        for tpl_step in template.steps.all():
            starts_on = started_on + timedelta(days=tpl_step.offset_days)
            steps.append(
                PlanStep(
                    plan=plan,
                    starts_on=starts_on,
                    due_on=starts_on + timedelta(days=tpl_step.duration_days),
                    **{field: getattr(tpl_step, field) for field in STEP_FIELDS},
                )
            )
        PlanStep.objects.bulk_create(steps)
    return plan


def _check_editable(plan: SuccessPlan) -> None:
    if not plan.is_active:
        raise ValidationError("A completed plan can no longer be edited.")


@transaction.atomic
def plan_step_save(*, plan: SuccessPlan, step: PlanStep | None = None, **fields) -> PlanStep:
    """Add a step to an active plan, or edit one of its steps (dates, owner, scope, points)."""
    _check_editable(plan)
    step = step or PlanStep(plan=plan)
    if step.plan_id != plan.pk:
        raise ValidationError("That step belongs to another plan.")
    for field, value in fields.items():
        setattr(step, field, value)
    if step.starts_on and step.due_on and step.due_on < step.starts_on:
        raise ValidationError({"due_on": ["The due date cannot be before the start date."]})
    step.full_clean(exclude=["plan", "ladder_entry", "chute_entry", "completed_by"])
    step.save()
    return step


@transaction.atomic
def plan_step_delete(*, step: PlanStep) -> None:
    """Remove a step from an active plan (ledger lines it produced stay, as ledgers do)."""
    _check_editable(step.plan)
    step.delete()


@transaction.atomic
def plan_step_complete(
    *, step: PlanStep, completed_on: date, note: str = "", user=None
) -> PlanStep:
    """Mark a step done; a milestone appends its goodwill ladder to the ledger (once)."""
    from accounts.services.ledger import trust_entry_append

    step = PlanStep.objects.select_for_update().select_related("plan__account").get(pk=step.pk)
    _check_editable(step.plan)
    if step.completed_on is not None:
        raise ValidationError("This step is already complete.")
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": ["A step cannot be completed in the future."]})
    step.completed_on = completed_on
    step.completion_note = note.strip()
    step.completed_by = user
    if step.is_milestone and step.ladder_entry_id is None and step.ladder_points:
        step.ladder_entry = trust_entry_append(
            account=step.plan.account,
            points=step.ladder_points,
            reason=f"Milestone reached: {step.title}"[:300],
            source="milestone",
            author=user,
            occurred_at=_at_noon(completed_on),
        )
    step.save()
    return step


def plan_steps_chute_overdue(*, today: date) -> int:
    """Append one chute for every active plan's step that passed its due date undone.

    Idempotent: a step that already has its chute is skipped. Returns the number appended.
    """
    due = PlanStep.objects.filter(
        plan__status=PlanStatus.ACTIVE,
        completed_on__isnull=True,
        chute_entry__isnull=True,
        chute_points__gt=0,
        due_on__lt=today,
    ).values_list("pk", flat=True)
    appended = 0
    for step_id in list(due):
        appended += _step_chute(step_id=step_id, today=today)
    return appended


@transaction.atomic
def _step_chute(*, step_id: int, today: date) -> int:
    from accounts.services.ledger import trust_entry_append

    step = (
        PlanStep.objects.select_for_update()
        .select_related("plan__account")
        .filter(pk=step_id, completed_on__isnull=True, chute_entry__isnull=True)
        .first()
    )
    if step is None:  # completed or charged meanwhile
        return 0
    step.chute_entry = trust_entry_append(
        account=step.plan.account,
        points=-step.chute_points,
        reason=f"Plan step missed its due date ({step.due_on:%Y-%m-%d}): {step.title}"[:300],
        source="milestone",
        occurred_at=_at_noon(step.due_on + timedelta(days=1)),
    )
    step.save(update_fields=["chute_entry"])
    return 1


def scope_delivery_suggest(plan: SuccessPlan) -> str:
    """How our scope was delivered, from the our-scope steps' completion vs due dates.

    all our-scope steps done, none late, and the last done before the last due date -> early;
    all done, none late -> on_time; all done, some late -> late; otherwise not_delivered.
    """
    ours = [s for s in plan.steps.all() if s.scope == StepScope.OUR_SCOPE]
    if not ours or any(s.completed_on is None for s in ours):
        return ScopeDelivery.NOT_DELIVERED
    if any(s.completed_on > s.due_on for s in ours):
        return ScopeDelivery.LATE
    if max(s.completed_on for s in ours) < max(s.due_on for s in ours):
        return ScopeDelivery.EARLY
    return ScopeDelivery.ON_TIME


@transaction.atomic
def plan_outcome_record(
    *,
    plan: SuccessPlan,
    objective_met: bool | None,
    scope_delivery: str | None = None,
    closed_on: date,
    note: str = "",
) -> SuccessPlan:
    """Close a plan (or amend a closed one) with whether the customer's objective was met and
    how our scope was delivered; together they give the outcome class."""
    if closed_on < plan.started_on:
        raise ValidationError({"closed_on": ["A plan cannot close before it started."]})
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": ["A plan cannot close in the future."]})
    if scope_delivery and scope_delivery not in ScopeDelivery.values:
        raise ValidationError({"scope_delivery": ["Unknown scope delivery."]})
    plan.scope_delivery = scope_delivery or scope_delivery_suggest(plan)
    plan.objective_met = objective_met
    plan.status = PlanStatus.COMPLETED
    plan.closed_on = closed_on
    plan.outcome_note = note.strip()
    plan.save()
    return plan


# --- sharing -------------------------------------------------------------------------------
@transaction.atomic
def plan_share_create(
    *, plan: SuccessPlan, created_by=None, days: int = DEFAULT_SHARE_DAYS
) -> CreatedShare:
    """Open a read-only link to the plan for the customer that expires after `days` (its raw
    token is shown once: only its digest is stored)."""
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ValidationError({"days": [f"A link lasts 1 to {MAX_SHARE_DAYS} days."]})
    token = share_token_new()
    share = PlanShare.objects.create(
        plan=plan,
        token_digest=share_token_digest(token),
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return CreatedShare(share=share, token=token)


@transaction.atomic
def plan_share_revoke(*, share: PlanShare) -> PlanShare:
    """Revoke a share link now; the customer's link stops working immediately."""
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
    return share


def plan_share_resolve(*, token: str) -> PlanShare | None:
    """The valid share for a raw token (counting the view), or None if unknown, expired or
    revoked."""
    share = PlanShare.objects.select_related("plan__account__segment").live_by_token(token)
    if share is not None:
        share_view_record(share=share)
    return share


def plan_shares_purge(*, now=None) -> int:
    """Delete plan share links expired or revoked more than SHARE_LINK_RETENTION_DAYS ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SHARE_LINK_RETENTION_DAYS)
    return rows_purge(PlanShare.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)))
