"""Interventions: evaluate the rules (set-based) and open CTAs, due by each rule's SLA.

Working a CTA once it is open (notes, reassign, snooze, close) is `success.services.ctas`."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import Account, Category, Stage
from core import formatting as fmt
from core.events import publish
from success.models import (
    Cta,
    CtaStatus,
    CtaStep,
    InterventionRule,
    PlaybookStep,
    Priority,
    RuleKey,
)
from success.models.interventions import DEFAULT_RULES

BAND_RANK = {"red": 0, "yellow": 1, "green": 2}
DECAY_RANK = {"stable": 0, "decaying": 1, "in_decay": 2}
WORK_TO_KEEP = ("happy_unprofitable", "profitable_unhappy")
QUADRANT_LABEL = {
    "happy_unprofitable": "happy but unprofitable",
    "profitable_unhappy": "profitable but unhappy",
}
# One candidate per account: account_id -> (owner_id, reason, evidence)
Candidates = dict[int, tuple[int | None, str, dict]]


def intervention_rules_ensure() -> list[InterventionRule]:
    """All rule rows, creating any missing one with its defaults."""
    rules = {rule.key: rule for rule in InterventionRule.objects.select_related("playbook")}
    for key, (threshold, priority, due, cooldown) in DEFAULT_RULES.items():
        if key not in rules:
            rules[key], _ = InterventionRule.objects.get_or_create(
                key=key,
                defaults={
                    "threshold": threshold,
                    "priority": priority,
                    "due_in_days": due,
                    "cooldown_days": cooldown,
                },
            )
    return sorted(rules.values(), key=lambda rule: rule.key)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- opening -------------------------------------------------------------------------------
def _blocked_accounts(rule: InterventionRule, account_ids: Sequence[int]) -> set[int]:
    """Accounts with a live CTA of this rule, or one closed within the rule's cool-down."""
    recent = timezone.now() - timedelta(days=rule.cooldown_days)
    return set(
        Cta.objects.filter(rule=rule, account_id__in=account_ids)
        .filter(Q(status__in=CtaStatus.live()) | Q(closed_at__gte=recent))
        .values_list("account_id", flat=True)
    )


def cta_due_on(*, rule: InterventionRule, evidence: dict, opened_on: date | None = None) -> date:
    """The rule's SLA counted from the day its condition was seen (the evidence's as_of, else
    the day it opens): a renewal CTA is due no later than the renewal date, and nothing is due
    before the day it opens (`opened_on`, today by default)."""
    opened_on = opened_on or timezone.localdate()
    seen = _evidence_day(evidence.get("as_of")) or opened_on
    due = seen + timedelta(days=rule.due_in_days)
    renewal = _evidence_day(evidence.get("renewal_date"))
    if rule.key == RuleKey.RENEWAL_AT_RISK and renewal is not None:
        due = min(due, renewal)
    return max(due, opened_on)


def _evidence_day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _cta_for(rule: InterventionRule, account_id: int, owner_id, reason: str, evidence) -> Cta:
    return Cta(
        account_id=account_id,
        rule=rule,
        owner_id=owner_id,
        title=rule.get_key_display(),
        reason=reason,
        evidence=evidence,
        priority=rule.priority,
        due_on=cta_due_on(rule=rule, evidence=evidence),
        playbook_id=rule.playbook_id,
    )


def _after_open(rule: InterventionRule, ctas: list[Cta]) -> None:
    """Copy the playbook checklist onto new CTAs and announce them."""
    if rule.playbook_id and ctas:
        steps = list(PlaybookStep.objects.filter(playbook_id=rule.playbook_id))
        CtaStep.objects.bulk_create(
            [CtaStep(cta=cta, order=step.order, text=step.text) for cta in ctas for step in steps]
        )
    opened = [
        {
            "cta_id": cta.pk,
            "account_id": cta.account_id,
            "rule": rule.key,
            "priority": Priority(cta.priority).label.lower(),
        }
        for cta in ctas
    ]
    if len(opened) == 1:
        publish("cta.opened", **opened[0])
    elif opened:
        publish("ctas.opened", ctas=opened)  # many at once (a rule run): one event


@transaction.atomic
def cta_open(
    *, rule: InterventionRule, account: Account, reason: str, evidence: dict | None = None
) -> tuple[Cta | None, bool]:
    """Get-or-create the live CTA of `rule` for `account`.

    Returns (the live CTA, created?). Returns (None, False) when the rule is disabled or a CTA
    of this rule was closed for the account within the cool-down.
    """
    if not rule.is_enabled:
        return None, False
    live = Cta.objects.filter(rule=rule, account=account, status__in=CtaStatus.live()).first()
    if live:
        return live, False
    if _blocked_accounts(rule, [account.pk]):
        return None, False
    cta = _cta_for(rule, account.pk, account.owner_id, reason, evidence or {})
    try:
        with transaction.atomic():
            cta.save()
    except IntegrityError:  # a concurrent writer opened it first
        return Cta.objects.get(rule=rule, account=account, status__in=CtaStatus.live()), False
    _after_open(rule, [cta])
    return cta, True


@transaction.atomic
def ctas_open_many(*, rule: InterventionRule, candidates: Candidates) -> int:
    """Open CTAs of one rule for many accounts in a constant number of queries."""
    if not rule.is_enabled or not candidates:
        return 0
    ids = list(candidates)
    blocked = _blocked_accounts(rule, ids)
    fresh = [account_id for account_id in ids if account_id not in blocked]
    if not fresh:
        return 0
    new = [_cta_for(rule, account_id, *candidates[account_id]) for account_id in fresh]
    try:
        with transaction.atomic():
            opened = Cta.objects.bulk_create(new, batch_size=500)
    except IntegrityError:
        # A concurrent writer opened some of them first: fall back to get-or-create per account.
        accounts = Account.objects.in_bulk(fresh)
        opened = []
        for account_id in fresh:
            _owner, reason, evidence = candidates[account_id]
            cta, created = cta_open(
                rule=rule, account=accounts[account_id], reason=reason, evidence=evidence
            )
            if created:
                opened.append(cta)
        return len(opened)
    _after_open(rule, opened)
    return len(opened)


# --- the rules, set-based ------------------------------------------------------------------
def _accounts(account_ids: Sequence[int] | None):
    accounts = Account.objects.active()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    return accounts


def _candidates_plan_lagging(rule, as_of, account_ids) -> Candidates:
    from success.selectors import plan_progress_by_account

    progress = plan_progress_by_account(as_of=as_of, account_ids=account_ids)
    behind = {
        account_id: row
        for account_id, row in progress.items()
        if row["status"] == "active" and (row["expected"] - row["progress"]) * 100 > rule.threshold
    }
    owners = dict(_accounts(list(behind)).values_list("pk", "owner_id"))
    return {
        account_id: (
            owners[account_id],
            f"The success plan is {row['progress']:.0%} done against {row['expected']:.0%} "
            f"expected by {fmt.day(as_of)} ({fmt.label(row['vector']).lower()}); "
            f"{row['overdue']} step(s) overdue.",
            {
                "plan_id": row["plan_id"],
                "progress": round(row["progress"], 3),
                "expected": round(row["expected"], 3),
                "vector": row["vector"],
                "overdue_steps": row["overdue"],
                "as_of": as_of.isoformat(),
            },
        )
        for account_id, row in behind.items()
        if account_id in owners
    }


def _candidates_decay(rule, as_of, account_ids) -> Candidates:
    rows = (
        _accounts(account_ids)
        .filter(
            Q(decay_status="in_decay") | Q(decay_status="decaying", decay_score__gte=rule.threshold)
        )
        .values_list("pk", "owner_id", "decay_status", "decay_score", "goodwill_balance")
    )
    return {
        pk: (
            owner,
            f"Decay score {fmt.number(score)} ({fmt.label(status).lower()}); "
            f"goodwill balance {fmt.number(balance)}.",
            {
                "decay_status": status,
                "decay_score": score,
                "goodwill_balance": balance,
                "as_of": as_of.isoformat(),
            },
        )
        for pk, owner, status, score, balance in rows
    }


def _candidates_no_value(rule, as_of, account_ids) -> Candidates:
    days = rule.threshold or 45
    cutoff = _day_start(as_of - timedelta(days=days))
    rows = (
        _accounts(account_ids)
        .annotate(
            last_value=Max(
                "interactions__occurred_at",
                filter=Q(
                    interactions__category=Category.VALUE_ADDING,
                    interactions__occurred_at__lt=_day_start(as_of + timedelta(days=1)),
                ),
            )
        )
        .filter(Q(last_value__lt=cutoff) | Q(last_value__isnull=True))
        # An account younger than the window has not had the chance yet.
        .filter(
            Q(contract_start__isnull=True) | Q(contract_start__lte=as_of - timedelta(days=days))
        )
        .values_list("pk", "owner_id", "last_value")
    )
    return {
        pk: (
            owner,
            f"No value-adding interaction in the last {days} days"
            + (f" (last on {fmt.day(last)})." if last else " (none ever)."),
            {
                "days": days,
                "last_value_adding_at": last.isoformat() if last else None,
                "as_of": as_of.isoformat(),
            },
        )
        for pk, owner, last in rows
    }


def _candidates_renewal(rule, as_of, account_ids) -> Candidates:
    days = rule.threshold or 90
    rows = (
        _accounts(account_ids)
        .filter(renewal_date__gte=as_of, renewal_date__lte=as_of + timedelta(days=days))
        .exclude(health_band="green")
        .values_list("pk", "owner_id", "renewal_date", "health_band", "health_score")
    )
    return {
        pk: (
            owner,
            f"Renewal on {fmt.day(renewal)} ({(renewal - as_of).days} days) and health is "
            f"{fmt.label(band) if band else 'not scored'}"
            f"{f' ({fmt.number(score)})' if score is not None else ''}.",
            {
                "renewal_date": renewal.isoformat(),
                "days_to_renewal": (renewal - as_of).days,
                "health_band": band,
                "health_score": score,
                "as_of": as_of.isoformat(),
            },
        )
        for pk, owner, renewal, band, score in rows
    }


def _candidates_bad_fit(rule, as_of, account_ids) -> Candidates:
    rows = (
        _accounts(account_ids)
        .filter(stage=Stage.ONBOARDING, icp_good_fit=False)
        .values_list("pk", "owner_id", "icp_fit")
    )
    return {
        pk: (
            owner,
            f"Onboarding a customer outside our ideal profile (ICP fit {fmt.number(fit)}).",
            {"icp_fit": fit, "stage": Stage.ONBOARDING.value, "as_of": as_of.isoformat()},
        )
        for pk, owner, fit in rows
    }


def _candidates_work_to_keep(rule, as_of, account_ids) -> Candidates:
    rows = (
        _accounts(account_ids)
        .filter(quadrant__in=WORK_TO_KEEP)
        .values_list("pk", "owner_id", "quadrant")
    )
    return {
        pk: (
            owner,
            f"The account is {QUADRANT_LABEL[quadrant]}: work to keep.",
            {"quadrant": quadrant, "as_of": as_of.isoformat()},
        )
        for pk, owner, quadrant in rows
    }


SET_BASED_RULES = {
    RuleKey.PLAN_LAGGING: _candidates_plan_lagging,
    RuleKey.DECAY: _candidates_decay,
    RuleKey.NO_VALUE: _candidates_no_value,
    RuleKey.RENEWAL_AT_RISK: _candidates_renewal,
    RuleKey.BAD_FIT_ONBOARDING: _candidates_bad_fit,
    RuleKey.WORK_TO_KEEP: _candidates_work_to_keep,
}


def interventions_evaluate(
    *, as_of: date, account_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Run every enabled state rule over the accounts (all by default), set-based; returns the
    number of CTAs opened per rule. "Health dropped a band" reacts to its event only."""
    opened = {}
    for rule in intervention_rules_ensure():
        finder = SET_BASED_RULES.get(rule.key)
        if finder is None or not rule.is_enabled:
            continue
        opened[rule.key] = ctas_open_many(rule=rule, candidates=finder(rule, as_of, account_ids))
    return opened


def _rule(key: str) -> InterventionRule | None:
    return InterventionRule.objects.filter(key=key, is_enabled=True).first()


def _account(account_id: int) -> Account | None:
    return Account.objects.active().filter(pk=account_id).first()


# --- event reactions -----------------------------------------------------------------------
# Each builder turns one health event's payload into the CTA it calls for: (rule key, reason,
# evidence), or None. The single events and the score run's batch share them.
def _band_changed_cta(*, from_band, to_band, score=None, as_of=None, **_):
    if BAND_RANK.get(to_band, 99) >= BAND_RANK.get(from_band, -1):
        return None
    reason = f"Health dropped from {fmt.label(from_band)} to {fmt.label(to_band)}" + (
        f" (score {fmt.number(score)})." if score is not None else "."
    )
    evidence = {"from_band": from_band, "to_band": to_band, "score": score, "as_of": as_of}
    return RuleKey.BAND_DROPPED, reason, evidence


def _decay_alert_cta(*, from_status, to_status, decay_score=None, as_of=None, **_):
    if to_status not in ("decaying", "in_decay"):
        return None
    if DECAY_RANK.get(to_status, 0) <= DECAY_RANK.get(from_status, 0):
        return None
    reason = (
        f"Decay rising: {fmt.label(from_status).lower() if from_status else 'unknown'} → "
        f"{fmt.label(to_status).lower()}"
        + (f" (decay score {fmt.number(decay_score)})." if decay_score is not None else ".")
    )
    evidence = {
        "from_status": from_status,
        "to_status": to_status,
        "decay_score": decay_score,
        "as_of": as_of,
    }
    return RuleKey.DECAY, reason, evidence


def _quadrant_changed_cta(*, from_quadrant, to_quadrant, as_of=None, **_):
    if to_quadrant not in WORK_TO_KEEP:
        return None
    reason = (
        f"Moved from {fmt.label(from_quadrant).lower() if from_quadrant else 'unscored'} to "
        f"{QUADRANT_LABEL[to_quadrant]}: work to keep."
    )
    evidence = {"from_quadrant": from_quadrant, "to_quadrant": to_quadrant, "as_of": as_of}
    return RuleKey.WORK_TO_KEEP, reason, evidence


HEALTH_EVENT_CTAS = {
    "health.band_changed": _band_changed_cta,
    "health.decay_alert": _decay_alert_cta,
    "health.quadrant_changed": _quadrant_changed_cta,
}


def _open_for_event(event: str, account_id: int, payload: dict) -> None:
    wanted = HEALTH_EVENT_CTAS[event](**payload)
    if wanted is None:
        return
    key, reason, evidence = wanted
    rule, account = _rule(key), _account(account_id)
    if rule and account:
        cta_open(rule=rule, account=account, reason=reason, evidence=evidence)


def on_band_changed(*, account_id, **payload) -> None:
    """health.band_changed: open "health dropped a band" when the band went down."""
    _open_for_event("health.band_changed", account_id, payload)


def on_decay_alert(*, account_id, **payload) -> None:
    """health.decay_alert: open the decay CTA when decay is rising into decaying / in decay."""
    _open_for_event("health.decay_alert", account_id, payload)


def on_quadrant_changed(*, account_id, **payload) -> None:
    """health.quadrant_changed: open "work to keep" when the account moved into it."""
    _open_for_event("health.quadrant_changed", account_id, payload)


def on_alerts_raised(*, alerts: list[dict], **_) -> None:
    """health.alerts_raised (a score run's alerts in one event): the CTAs the single events
    would open, per rule in a constant number of queries however many accounts moved."""
    wanted: dict[str, dict[int, tuple[str, dict]]] = {}
    for alert in alerts:
        builder = HEALTH_EVENT_CTAS.get(alert.get("event"))
        payload = {k: v for k, v in alert.items() if k not in ("event", "account_id")}
        found = builder(**payload) if builder else None
        if found is not None:
            key, reason, evidence = found
            wanted.setdefault(key, {}).setdefault(alert["account_id"], (reason, evidence))
    if not wanted:
        return
    ids = {account_id for found in wanted.values() for account_id in found}
    owners = dict(Account.objects.active().filter(pk__in=ids).values_list("pk", "owner_id"))
    rules = {r.key: r for r in InterventionRule.objects.filter(key__in=wanted, is_enabled=True)}
    for key, found in wanted.items():
        if key in rules:
            candidates = {
                account_id: (owners[account_id], reason, evidence)
                for account_id, (reason, evidence) in found.items()
                if account_id in owners
            }
            ctas_open_many(rule=rules[key], candidates=candidates)


def on_run_completed(*, as_of, run_id=None, **_) -> None:
    """health.run_completed: evaluate every rule over all accounts (in a Celery task)."""
    from success.tasks import interventions_evaluate_task

    as_of = as_of if isinstance(as_of, str) else as_of.isoformat()
    interventions_evaluate_task.delay(as_of=as_of, run_id=run_id)


def run_is_current(*, run_id: int | None, as_of: date) -> bool:
    """Whether a finished score run is the portfolio as it stands, so the rules may act on it.

    A back-fill (history rebuilt for past days), or any run older than one that has already
    finished, is history: the rules read each account's current health, so evaluating them
    "as of" that older day would open CTAs today that quote the old day's figures and dates.
    """
    from healthscores.models import RunStatus, RunTrigger, ScoreRun

    finished = [RunStatus.COMPLETED, RunStatus.PARTIAL]
    if run_id is not None:
        run = ScoreRun.objects.filter(pk=run_id).only("trigger").first()
        if run is not None and run.trigger == RunTrigger.BACKFILL:
            return False
    return not ScoreRun.objects.filter(as_of__gt=as_of, status__in=finished).exists()
