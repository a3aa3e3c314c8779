"""Demo success data: segment plan templates, playbooks, plans in every state, CTAs and
lessons learned for churned accounts. Idempotent: accounts that already have a plan are left
alone, templates and playbooks are matched by name."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Segment, Stage
from core.progress import Progress
from success.models import (
    Cta,
    CtaNote,
    CtaOutcome,
    CtaStatus,
    CtaStep,
    InterventionRule,
    LessonLearned,
    LessonReason,
    PlanStatus,
    PlanStep,
    PlanTemplate,
    PlanTemplateStep,
    Playbook,
    PlaybookStep,
    RuleKey,
    ScopeDelivery,
    SuccessPlan,
)
from success.services import cta_due_on, interventions_evaluate

# (title, owner side, scope, offset days, duration days, milestone)
TEMPLATES = {
    "Enterprise": (
        "Enterprise rollout",
        [
            ("Executive kick-off and success criteria signed", "joint", "our_scope", 0, 14, True),
            ("Technical architecture review", "us", "our_scope", 7, 21, False),
            ("SSO and data connectors configured", "us", "our_scope", 21, 30, False),
            ("Regional admins nominated", "customer", "customer_objective", 14, 21, False),
            ("Admin training delivered", "us", "our_scope", 45, 14, False),
            ("Pilot region live", "joint", "customer_objective", 60, 30, True),
            (
                "Process owners adopt weekly reporting",
                "customer",
                "customer_objective",
                90,
                45,
                False,
            ),
            ("All regions live", "joint", "customer_objective", 150, 90, True),
            ("Savings measured and reviewed at QBR", "joint", "customer_objective", 240, 30, True),
        ],
    ),
    "Mid-Market": (
        "Mid-Market 90-day onboarding",
        [
            ("Kick-off call and goals agreed", "joint", "our_scope", 0, 7, True),
            ("Workspace configured", "us", "our_scope", 3, 10, False),
            ("Data imported", "customer", "customer_objective", 7, 14, False),
            ("Team leads trained", "us", "our_scope", 14, 14, False),
            ("First team live", "joint", "customer_objective", 30, 21, True),
            ("Second team live", "customer", "customer_objective", 45, 30, False),
            ("Weekly reporting in use", "customer", "customer_objective", 60, 30, True),
        ],
    ),
    "SMB": (
        "SMB 30-day quick start",
        [
            ("Welcome webinar attended", "customer", "customer_objective", 0, 7, False),
            ("Guided setup completed", "joint", "our_scope", 2, 7, False),
            ("First workflow automated", "customer", "customer_objective", 7, 14, True),
            ("Check-in chat", "us", "our_scope", 21, 5, False),
            (
                "Self-serve adoption: 3 weekly active users",
                "customer",
                "customer_objective",
                21,
                14,
                True,
            ),
        ],
    ),
}

PLAYBOOKS = {
    RuleKey.PLAN_LAGGING: (
        "Plan catch-up",
        [
            "Review overdue steps with the champion",
            "Agree new dates or remove steps",
            "Offer help on the customer's blocked steps",
            "Update the shared plan link",
        ],
    ),
    RuleKey.BAND_DROPPED: (
        "Health drop review",
        [
            "Read 'why it changed' on the account page",
            "Call the champion within 48 hours",
            "Log the call with its category and sentiment",
        ],
    ),
    RuleKey.DECAY: (
        "Decay recovery",
        [
            "List the last five chutes and their causes",
            "Escalate open tickets internally",
            "Book a value-adding session",
            "Ask the sponsor for a candid health check",
        ],
    ),
    RuleKey.NO_VALUE: (
        "Re-engage with value",
        [
            "Prepare a usage insight for the customer",
            "Book a value review meeting",
            "Share one best practice from a similar customer",
        ],
    ),
    RuleKey.RENEWAL_AT_RISK: (
        "Renewal rescue",
        [
            "Confirm the decision maker and date",
            "Present outcomes achieved against the plan",
            "Agree a rescue plan with the manager",
            "Prepare the commercial options",
        ],
    ),
    RuleKey.BAD_FIT_ONBOARDING: (
        "Bad-fit onboarding review",
        [
            "Review the ICP gaps with the account executive",
            "Agree a narrower first objective with the customer",
            "Set expectations in writing",
        ],
    ),
    RuleKey.WORK_TO_KEEP: (
        "Work to keep",
        [
            "Check cost-to-serve drivers (minutes, support load, discounts)",
            "Ask for a happiness check (NPS/CSAT)",
            "Decide: grow value, reprice or reduce effort",
        ],
    ),
}

# state -> weight; completed states are used for mature accounts, failed ones for churned.
ACTIVE_STATES = {"on_track": 5, "lagging": 3, "off_track": 2}
COMPLETED_STATES = {"successful": 5, "delighted_only": 2, "satisfied_only": 2}
LESSONS = [
    (LessonReason.POOR_FIT, "Outside our ICP: the team was too small to need the workflow."),
    (LessonReason.OBJECTIVE_NOT_MET, "We delivered the rollout, but their process never changed."),
    (LessonReason.CHAMPION_LEFT, "Our champion left; nobody else owned the programme."),
    (LessonReason.PRICE, "Budget review judged the price too high for the value seen."),
    (LessonReason.COMPETITOR, "Moved to a competitor bundled with their CRM."),
    (LessonReason.ONBOARDING_FAILED, "Data import stalled for months; adoption never started."),
]


def _templates(stdout) -> dict[int, PlanTemplate]:
    by_segment = {}
    for segment in Segment.objects.filter(name__in=TEMPLATES):
        name, steps = TEMPLATES[segment.name]
        template, created = PlanTemplate.objects.get_or_create(
            segment=segment,
            name=name,
            defaults={"description": f"The standard success plan for {segment.name} customers."},
        )
        if created:
            PlanTemplateStep.objects.bulk_create(
                PlanTemplateStep(
                    template=template,
                    order=order,
                    title=title,
                    owner_side=side,
                    scope=scope,
                    offset_days=offset,
                    duration_days=duration,
                    is_milestone=milestone,
                    ladder_points=8 if milestone else 5,
                    chute_points=5 if milestone else 3,
                )
                for order, (title, side, scope, offset, duration, milestone) in enumerate(steps, 1)
            )
        by_segment[segment.pk] = template
    return by_segment


def _playbooks() -> None:
    rules = {rule.key: rule for rule in InterventionRule.objects.all()}
    for key, (name, steps) in PLAYBOOKS.items():
        playbook, created = Playbook.objects.get_or_create(name=name)
        if created:
            PlaybookStep.objects.bulk_create(
                PlaybookStep(playbook=playbook, order=order, text=text)
                for order, text in enumerate(steps, 1)
            )
        rule = rules.get(key)
        if rule is not None and rule.playbook_id is None:
            rule.playbook = playbook
            rule.save(update_fields=["playbook"])


def _plan_rows(local, account, template, state, today):
    """A plan and its steps placed in time so the plan lands in `state`."""
    tpl_steps = list(template.steps.all())
    span = max(s.offset_days + s.duration_days for s in tpl_steps)
    completed = state in COMPLETED_STATES or state == "failed"
    if completed:
        started = today - timedelta(days=span + local.randint(20, 200))
    else:
        started = today - timedelta(days=local.randint(span // 3, max(span // 3 + 1, span - 5)))
    plan = SuccessPlan(
        account=account,
        template=template,
        name=template.name,
        objective=account.segment.required_outcome,
        started_on=started,
        created_by=account.owner,
    )
    steps = []
    for tpl in tpl_steps:
        starts_on = started + timedelta(days=tpl.offset_days)
        due_on = starts_on + timedelta(days=tpl.duration_days)
        done = None
        if state == "delighted_only" and tpl.scope == "our_scope":
            done = due_on - timedelta(days=local.randint(3, 10))
        elif completed:
            done = due_on + timedelta(days=local.choice([-2, -1, 0, 0, 0, 3]))
            if tpl.scope == "our_scope" and state in ("satisfied_only", "failed"):
                done = min(due_on, done)
            if state in ("satisfied_only", "delighted_only", "failed") and (
                tpl.scope == "customer_objective" and local.random() < 0.5
            ):
                done = None  # the customer's side stalled
        elif due_on <= today:
            keep = {"on_track": 1.0, "lagging": 0.6, "off_track": 0.2}[state]
            if local.random() < keep:
                done = due_on - timedelta(days=local.randint(0, 3))
        elif state == "on_track" and starts_on <= today and local.random() < 0.4:
            done = today - timedelta(days=local.randint(0, 2))
        steps.append(
            PlanStep(
                plan=plan,
                order=tpl.order,
                title=tpl.title,
                description=tpl.description,
                owner_side=tpl.owner_side,
                scope=tpl.scope,
                is_milestone=tpl.is_milestone,
                ladder_points=tpl.ladder_points,
                chute_points=tpl.chute_points,
                starts_on=starts_on,
                due_on=due_on,
                completed_on=min(done, today) if done else None,
                completed_by=account.owner if done else None,
            )
        )
    if completed:
        plan.status = PlanStatus.COMPLETED
        plan.closed_on = min(today, started + timedelta(days=span + local.randint(5, 15)))
        plan.objective_met = state == "successful"
        plan.scope_delivery = {
            "successful": local.choice([ScopeDelivery.ON_TIME, ScopeDelivery.EARLY]),
            "delighted_only": ScopeDelivery.EARLY,
            "satisfied_only": ScopeDelivery.ON_TIME,
            "failed": local.choice([ScopeDelivery.ON_TIME, ScopeDelivery.LATE]),
        }[state]
        plan.outcome_note = {
            "successful": "Objective met: the customer confirmed it at the QBR.",
            "delighted_only": "We delivered early and beyond scope, but adoption stalled.",
            "satisfied_only": "Our scope landed on time; their objective was not reached.",
            "failed": "The customer left before their objective was reached.",
        }[state]
    return plan, steps


def seed(*, rng, today, stdout, **_) -> None:
    # Our own streams, independent of how much earlier steps drew from `rng`, so a re-run
    # makes exactly the same choices for every account.
    local = random.Random("success-demo")
    templates = _templates(stdout)
    _playbooks()
    accounts = list(
        Account.objects.exclude(stage=Stage.PROSPECT)
        .filter(segment_id__in=templates, external_id__startswith="demo-")
        .exclude(success_plans__isnull=False)
        .select_related("segment", "owner")
        .order_by("external_id")
    )
    plans, steps_by_plan = [], []
    with Progress("success plans", len(accounts), stream=stdout) as progress:
        for account in accounts:
            # Per-account randomness: an account skipped once is skipped on every re-run.
            local = random.Random(f"success-demo:{account.external_id}")
            if account.stage == Stage.CHURNED:
                state = local.choice(["failed", "satisfied_only", "delighted_only"])
            elif account.stage in (Stage.MATURE, Stage.RENEWAL) and local.random() < 0.5:
                state = local.choices(list(COMPLETED_STATES), list(COMPLETED_STATES.values()))[0]
            elif local.random() < 0.85:
                state = local.choices(list(ACTIVE_STATES), list(ACTIVE_STATES.values()))[0]
            else:
                progress.advance()
                continue  # a few accounts have no plan yet
            plan, steps = _plan_rows(local, account, templates[account.segment_id], state, today)
            plans.append(plan)
            steps_by_plan.append(steps)
            progress.advance()
    with transaction.atomic():
        SuccessPlan.objects.bulk_create(plans, batch_size=500)
        for plan, steps in zip(plans, steps_by_plan, strict=True):
            for step in steps:
                step.plan_id = plan.pk
        PlanStep.objects.bulk_create(
            [step for steps in steps_by_plan for step in steps], batch_size=1000
        )
        _lessons(local, today)
    stdout.write(
        f"success: {len(plans)} plans created, {LessonLearned.objects.count()} lessons learned"
    )


def seed_ctas(*, today, stdout, **_) -> None:
    """The intervention rules over the demo book, after today's health is scored (a CTA quotes
    the health, decay and plan figures it was opened on), and some CTA history."""
    opened = sum(interventions_evaluate(as_of=today).values())
    if opened and not CtaNote.objects.exists():  # first run only, so a re-run changes nothing
        _work_some_ctas(random.Random("success-demo-ctas"))
    stdout.write(f"success: {opened} CTAs opened")


def _lessons(local, today) -> None:
    churned = Account.objects.filter(
        stage=Stage.CHURNED, external_id__startswith="demo-", lessons_learned__isnull=True
    ).select_related("owner")
    LessonLearned.objects.bulk_create(
        LessonLearned(
            account=account,
            kind=LessonLearned.Kind.CHURNED,
            reason_code=code,
            notes=notes,
            recorded_on=account.churned_on or today,
            recorded_by=account.owner,
        )
        for account in churned
        for code, notes in [local.choice(LESSONS)]
    )


def _work_some_ctas(local) -> None:
    """Give the demo CTAs some history: opened over the last two weeks (so each is due by its
    rule's SLA from its own day, some overdue), a few in progress with ticked steps and a note
    mentioning the manager, a few snoozed, a few closed with an outcome."""
    fresh = list(
        Cta.objects.filter(status=CtaStatus.OPEN, closed_at__isnull=True)
        .select_related("rule", "owner__team")
        .prefetch_related("steps")
        .order_by("id")
    )
    now = timezone.now()
    today = timezone.localdate()
    ticked, notes = [], []
    for cta in fresh:
        opened_on = today - timedelta(days=local.randint(0, 14))
        cta.opened_at = now - timedelta(days=(today - opened_on).days)
        if cta.rule is not None:  # the SLA from its own (earlier) day; the numbers stay today's
            undated = {k: v for k, v in cta.evidence.items() if k != "as_of"}
            cta.due_on = cta_due_on(rule=cta.rule, evidence=undated, opened_on=opened_on)
    for cta in fresh[::4]:
        steps = list(cta.steps.all())
        for step in steps[: max(1, len(steps) // 2)]:
            step.done_at, step.done_by_id = now, cta.owner_id
            ticked.append(step)
        cta.status = CtaStatus.IN_PROGRESS
        manager = cta.owner.team.manager if cta.owner and cta.owner.team else None
        if manager is not None:
            notes.append(
                (
                    CtaNote(
                        cta=cta,
                        author=cta.owner,
                        body=f"Called the champion; @{manager.username} could you join the "
                        "follow-up next week?",
                    ),
                    manager,
                )
            )
    for cta in fresh[1::11]:
        cta.snoozed_until = today + timedelta(days=local.randint(2, 10))
    for cta in fresh[2::9]:
        cta.status, cta.closed_at, cta.closed_by_id = CtaStatus.DONE, now, cta.owner_id
        cta.outcome = local.choice([CtaOutcome.RESOLVED, CtaOutcome.RESOLVED, CtaOutcome.ESCALATED])
        cta.close_note = "Agreed next steps with the sponsor."
        cta.snoozed_until = None
    CtaStep.objects.bulk_update(ticked, ["done_at", "done_by"], batch_size=500)
    Cta.objects.bulk_update(
        fresh,
        [
            "opened_at",
            "due_on",
            "status",
            "closed_at",
            "closed_by",
            "outcome",
            "close_note",
            "snoozed_until",
        ],
        batch_size=500,
    )
    CtaNote.objects.bulk_create([note for note, _ in notes], batch_size=500)
    CtaNote.mentions.through.objects.bulk_create(
        [CtaNote.mentions.through(ctanote_id=note.pk, user_id=who.pk) for note, who in notes],
        batch_size=500,
    )
