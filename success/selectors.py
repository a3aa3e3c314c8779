"""Reads over success plans, CTAs and insights, for pages, the health computation and reports."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Account, Category, Interaction, Stage
from core import formatting
from healthscores.documents import measures_expand
from healthscores.models import HealthSnapshot
from success.models import (
    Cta,
    CtaStatus,
    CtaStep,
    LessonLearned,
    LessonReason,
    PlanStatus,
    PlanStep,
    SuccessPlan,
    outcome_class_for,
    step_status,
    vector_for,
)


def plan_progress_by_account(
    *, as_of: date, account_ids: Sequence[int] | None = None
) -> dict[int, dict]:
    """Per account with a plan as of `as_of`: {"progress": 0..1 share of steps done,
    "expected": 0..1 share that should be done by now, "vector": "on_track"|"lagging"|
    "off_track", "outcome_class": "successful"|"delighted_only"|"satisfied_only"|"not_yet"}.
    Set-based: a constant number of queries whatever the number of accounts.

    The plan reported is the one active on `as_of` (started, not yet closed), else the latest
    closed one (whose outcome class then applies). Extra keys: "plan_id", "status" ("active" |
    "completed" as of `as_of`), "done", "total", "overdue" (steps past due and not done).
    A closed plan is frozen at its closing date: steps due after it are not expected.
    """
    plans = SuccessPlan.objects.filter(started_on__lte=as_of)
    if account_ids is not None:
        plans = plans.filter(account_id__in=list(account_ids))
    chosen: dict[int, dict] = {}
    for row in plans.order_by("account_id", "-started_on", "-id").values(
        "id", "account_id", "closed_on", "objective_met", "scope_delivery"
    ):
        row["active"] = row["closed_on"] is None or row["closed_on"] > as_of
        current = chosen.get(row["account_id"])
        if current is None or (
            not current["active"] and (row["active"] or row["closed_on"] > current["closed_on"])
        ):
            chosen[row["account_id"]] = row
    if not chosen:
        return {}
    closes_later = Q(plan__closed_on__isnull=True) | Q(due_on__lte=F("plan__closed_on"))
    counts = {
        row["plan_id"]: row
        for row in PlanStep.objects.filter(plan__in=plans)
        .values("plan_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(completed_on__lte=as_of)),
            expected=Count("id", filter=Q(due_on__lte=as_of) & closes_later),
            overdue=Count(
                "id",
                filter=Q(due_on__lt=as_of)
                & closes_later
                & (Q(completed_on__isnull=True) | Q(completed_on__gt=as_of)),
            ),
        )
        .order_by()
    }
    result = {}
    for account_id, plan in chosen.items():
        steps = counts.get(plan["id"], {"total": 0, "done": 0, "expected": 0, "overdue": 0})
        total = steps["total"]
        progress = steps["done"] / total if total else 0.0
        expected = steps["expected"] / total if total else 0.0
        result[account_id] = {
            "progress": progress,
            "expected": expected,
            "vector": vector_for(progress, expected),
            "outcome_class": "not_yet"
            if plan["active"]
            else outcome_class_for(plan["objective_met"], plan["scope_delivery"]),
            "plan_id": plan["id"],
            "status": PlanStatus.ACTIVE.value if plan["active"] else PlanStatus.COMPLETED.value,
            "done": steps["done"],
            "total": total,
            "overdue": steps["overdue"],
        }
    return result


# --- plans for pages ---------------------------------------------------------------------------
def plans_with_progress(plans: QuerySet, *, as_of: date) -> QuerySet:
    """Annotate step counts (total, done, expected, overdue) in the same query."""
    closes_later = Q(closed_on__isnull=True) | Q(steps__due_on__lte=F("closed_on"))
    return plans.annotate(
        step_total=Count("steps"),
        step_done=Count("steps", filter=Q(steps__completed_on__lte=as_of)),
        step_expected=Count("steps", filter=Q(steps__due_on__lte=as_of) & closes_later),
        step_overdue=Count(
            "steps",
            filter=Q(steps__due_on__lt=as_of, steps__completed_on__isnull=True) & closes_later,
        ),
    )


def plan_attach_progress(plan: SuccessPlan) -> SuccessPlan:
    """Set .progress, .expected and .vector from the annotations of `plans_with_progress`."""
    total = plan.step_total
    plan.progress = plan.step_done / total if total else 0.0
    plan.expected = plan.step_expected / total if total else 0.0
    plan.vector = vector_for(plan.progress, plan.expected)
    return plan


def plans_for_user(user, *, as_of: date) -> QuerySet:
    """Plans on the accounts `user` may see, with progress annotations."""
    plans = SuccessPlan.objects.filter(account__in=Account.objects.for_user(user)).select_related(
        "account__owner", "account__segment", "template"
    )
    return plans_with_progress(plans, as_of=as_of)


def plan_for_user(user, pk: int, *, as_of: date) -> SuccessPlan | None:
    plan = plans_for_user(user, as_of=as_of).filter(pk=pk).first()
    return plan_attach_progress(plan) if plan else None


# --- CTAs ----------------------------------------------------------------------------------------
def ctas_visible_to(user) -> QuerySet:
    """The CTAs `user` may see: those on accounts they may see, and those assigned to them
    (a CTA reassigned to a teammate is theirs to work). Everything else is a 404."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Cta.objects.none()
    if user.is_admin_role:
        return Cta.objects.all()
    return Cta.objects.filter(Q(account__in=Account.objects.for_user(user)) | Q(owner=user))


def ctas_for_user(user) -> QuerySet:
    """CTAs `user` may see, with their checklist counts and whether `user` may open the
    account too (not so for a CTA assigned to them on a teammate's account)."""
    visible_accounts = Account.objects.for_user(user).filter(pk=OuterRef("account_id"))
    return _with_step_counts(ctas_visible_to(user)).annotate(
        account_visible=Exists(visible_accounts)
    )


def _with_step_counts(ctas: QuerySet) -> QuerySet:
    return ctas.select_related("account", "owner", "rule").annotate(
        step_total=Count("steps", distinct=True),
        step_done=Count("steps", filter=Q(steps__done_at__isnull=False), distinct=True),
    )


def open_ctas_for(user, *, limit: int = 10) -> list[Cta]:
    """The live, awake CTAs `user` owns (a manager: also their teams'), most urgent first.

    Two queries: the first `limit` ids from the CTA table alone (sorted and limited), then only
    those CTAs with their checklist counts, so the GROUP BY never runs over every live CTA.
    """
    order = ("priority", "due_on", "id")
    live = Cta.objects.live().awake(timezone.localdate())
    if not user.is_admin_role:  # an admin sees every account: no visibility filter to apply
        # `owner_id IN (subquery)`, not an OR across the owner->team join, so the
        # (owner, status, priority, due_on) index serves it. A CTA assigned to the user is
        # theirs even on an account they do not own.
        from users.models import User

        owners = User.objects.filter(Q(pk=user.pk) | Q(team__manager=user)).values("pk")
        live = live.filter(owner_id__in=owners).filter(
            Q(account__in=Account.objects.for_user(user)) | Q(owner=user)
        )
    first = list(live.order_by(*order).values_list("pk", flat=True)[:limit])
    return list(_with_step_counts(Cta.objects.filter(pk__in=first)).order_by(*order))


def cta_for_user(user, pk: int) -> Cta | None:
    """One CTA with everything its page shows (steps, notes with their mentions)."""
    from success.models import CtaNote

    notes = CtaNote.objects.select_related("author").prefetch_related("mentions")
    return (
        ctas_visible_to(user)
        .filter(pk=pk)
        .select_related("account__segment", "owner", "rule", "playbook", "closed_by")
        .prefetch_related(
            Prefetch("steps", queryset=CtaStep.objects.select_related("done_by")),
            Prefetch("notes", queryset=notes),
        )
        .first()
    )


# Evidence keys whose value the account still carries today: (account field, how to write it).
LIVE_EVIDENCE = {
    "decay_score": "decay_score",
    "decay_status": "decay_status",
    "to_status": "decay_status",
    "goodwill_balance": "goodwill_balance",
    "health_band": "health_band",
    "to_band": "health_band",
    "health_score": "health_score",
    "score": "health_score",
    "icp_fit": "icp_fit",
    "quadrant": "quadrant",
    "to_quadrant": "quadrant",
    "stage": "stage",
    "renewal_date": "renewal_date",
}
# Evidence keys whose value today is worked out from the account (the days left change daily).
COMPUTED_EVIDENCE = {
    "days_to_renewal": lambda account, today: (
        (account.renewal_date - today).days if account.renewal_date else None
    ),
}
RATIO_EVIDENCE = {"progress", "expected"}
HIDDEN_EVIDENCE = {"as_of", "plan_id"}


def _evidence_value(key: str, value) -> str:
    if value is None or value == "":
        return formatting.DASH
    if key in RATIO_EVIDENCE:
        return formatting.percent(value, ratio=True)
    if key.endswith(("_date", "_at")):
        return formatting.day(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return formatting.number(value)
    return formatting.label(value)


def cta_evidence(cta: Cta) -> dict:
    """The numbers a CTA opened on, as of the day they were seen, beside the account's value
    today where it has one, so the page never shows a stale figure as if it were current."""
    account = cta.account
    today = timezone.localdate()
    rows = []
    for key, value in (cta.evidence or {}).items():
        if key in HIDDEN_EVIDENCE:
            continue
        field = LIVE_EVIDENCE.get(key)
        if field:
            live, known = getattr(account, field), True
        elif key in COMPUTED_EVIDENCE:
            live, known = COMPUTED_EVIDENCE[key](account, today), True
        else:
            live, known = None, False
        if known and key.endswith("_date") and live is not None:
            changed = live.isoformat() != str(value)
        else:
            changed = known and live != value
        rows.append(
            {
                "label": formatting.label(key),
                "then": _evidence_value(key, value),
                "now": _evidence_value(key, live) if known else "",
                "changed": changed,
            }
        )
    return {"as_of": cta.evidence_as_of, "rows": rows, "has_live": any(r["now"] for r in rows)}


def cta_assignable_users() -> QuerySet:
    """Who a CTA can be handed to: every active user."""
    from users.models import User

    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


# --- the account panel -------------------------------------------------------------------------
def account_success_summary(account: Account, *, as_of: date) -> dict:
    """Desired outcome, the current plan with its vector, and live CTAs for an account page."""
    plan = (
        plans_with_progress(SuccessPlan.objects.filter(account=account), as_of=as_of)
        .order_by(
            # the active plan first, then the most recently closed one
            F("closed_on").desc(nulls_first=True),
            "-started_on",
        )
        .first()
    )
    ctas = list(
        Cta.objects.filter(account=account, status__in=CtaStatus.live())
        .select_related("owner")
        .order_by("priority", "due_on")
    )
    return {
        "segment": account.segment,
        "plan": plan_attach_progress(plan) if plan else None,
        "ctas": ctas,
        "lessons": list(account.lessons_learned.select_related("recorded_by")[:5]),
    }


# --- insights --------------------------------------------------------------------------------
# An account is "successful" when its latest closed plan met the customer's objective, and
# "unsuccessful" when it churned or its latest closed plan failed the objective (even if we
# satisfied or delighted: success is not satisfaction). Everyone else is still "in_progress".
INSIGHT_GROUPS = ("successful", "unsuccessful")
INTERACTION_WINDOW_DAYS = 365


def _with_success_group(qs: QuerySet, account_path: str = "") -> QuerySet:
    prefix = f"{account_path}__" if account_path else ""
    latest_objective = Subquery(
        SuccessPlan.objects.filter(
            account=OuterRef(f"{account_path}_id" if account_path else "pk"),
            status=PlanStatus.COMPLETED,
        )
        .order_by("-closed_on", "-id")
        .values("objective_met")[:1]
    )
    return qs.annotate(latest_objective=latest_objective).annotate(
        group=Case(
            When(**{f"{prefix}stage": Stage.CHURNED}, then=Value("unsuccessful")),
            When(latest_objective=True, then=Value("successful")),
            When(latest_objective=False, then=Value("unsuccessful")),
            default=Value("in_progress"),
            output_field=CharField(),
        )
    )


def _row(label: str, values: dict, *, fmt: str = "num") -> dict:
    good, bad = values.get("successful"), values.get("unsuccessful")
    diff = good - bad if good is not None and bad is not None else None
    return {"label": label, "successful": good, "unsuccessful": bad, "difference": diff, "fmt": fmt}


def _pct(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def segment_insights(user, *, as_of: date) -> list[dict]:
    """Per segment: what distinguishes successful from unsuccessful customers (health measure
    scores, ICP attributes, interaction mix, plan completion) plus lessons learned.
    A constant number of queries over the accounts `user` may see."""
    visible = Account.objects.for_user(user)
    segments: dict = {}

    def seg(segment_id, name=None) -> dict:
        if segment_id not in segments:
            segments[segment_id] = {
                "segment_id": segment_id,
                "name": name or "No segment",
                "counts": dict.fromkeys((*INSIGHT_GROUPS, "in_progress"), 0),
                "raw": {},
                "mix": {},
                "measures": {},
                "lessons": {},
            }
        return segments[segment_id]

    account_rows = (
        _with_success_group(visible)
        .values("segment_id", "segment__name", "group")
        .annotate(
            n=Count("id"),
            health=Avg("health_score"),
            decay=Avg("decay_score"),
            goodwill=Avg("goodwill_balance"),
            icp_fit=Avg("icp_fit"),
            good_fit=Count("id", filter=Q(icp_good_fit=True)),
            fit_known=Count("id", filter=Q(icp_good_fit__isnull=False)),
            arr=Avg("arr"),
            employees=Avg("employee_count"),
        )
        .order_by()
    )
    for row in account_rows:
        entry = seg(row["segment_id"], row["segment__name"])
        entry["counts"][row["group"]] += row["n"]
        entry["raw"][row["group"]] = row

    since = timezone.make_aware(
        datetime.combine(as_of - timedelta(days=INTERACTION_WINDOW_DAYS), time.min)
    )
    mix_rows = (
        _with_success_group(
            Interaction.objects.filter(account__in=visible, occurred_at__gte=since), "account"
        )
        .values("account__segment_id", "group", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in mix_rows:
        mix = seg(row["account__segment_id"])["mix"].setdefault(row["group"], {})
        mix[row["category"]] = row["n"]

    step_rows = (
        _with_success_group(PlanStep.objects.filter(plan__account__in=visible), "plan__account")
        .values("plan__account__segment_id", "group")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(completed_on__isnull=False)),
            on_time=Count("id", filter=Q(completed_on__lte=F("due_on"))),
        )
        .order_by()
    )
    for row in step_rows:
        seg(row["plan__account__segment_id"])["raw"].setdefault(row["group"], {})["steps"] = row

    _collect_measures(visible, seg)

    for row in (
        LessonLearned.objects.filter(account__in=visible)
        .values("account__segment_id", "reason_code")
        .annotate(n=Count("id"))
        .order_by("-n")
    ):
        seg(row["account__segment_id"])["lessons"][row["reason_code"]] = row["n"]

    return [_insight_tables(entry) for _, entry in sorted(segments.items(), key=_segment_order)]


def _segment_order(item) -> tuple:
    return (item[1]["name"] == "No segment", item[1]["name"])


def _collect_measures(visible: QuerySet, seg) -> None:
    """Average each health measure's score from every account's latest snapshot."""
    latest = Subquery(
        HealthSnapshot.objects.filter(account=OuterRef("pk")).order_by("-as_of").values("pk")[:1]
    )
    snapshots = _with_success_group(
        HealthSnapshot.objects.filter(pk__in=visible.annotate(snap=latest).values("snap")),
        "account",
    ).values_list("account__segment_id", "group", "measures", "scorecard_version_id")
    for segment_id, group, measures, version_id in snapshots.iterator(chunk_size=2000):
        store = seg(segment_id)["measures"]
        # Stored compact: labels and the missing flag come back from the scorecard version.
        for measure in measures_expand(measures, version_id, sentences=False):
            score = measure.get("score")
            if score is None or measure.get("missing"):
                continue
            label = measure.get("label") or measure.get("key") or "?"
            total, count = store.setdefault(label, {}).get(group, (0.0, 0))
            store[label][group] = (total + float(score), count + 1)


def _insight_tables(entry: dict) -> dict:
    raw = entry["raw"]

    def avg(field):
        return {g: raw[g][field] for g in INSIGHT_GROUPS if g in raw and field in raw[g]}

    def share(part_field, whole_field):
        return {
            g: _pct(raw[g][part_field], raw[g][whole_field])
            for g in INSIGHT_GROUPS
            if g in raw and part_field in raw[g]
        }

    def steps(part):
        return {
            g: _pct(raw[g]["steps"][part], raw[g]["steps"]["total"])
            for g in INSIGHT_GROUPS
            if "steps" in raw.get(g, {})
        }

    profile = [
        _row("Health score", avg("health")),
        _row("Decay score", avg("decay")),
        _row("Goodwill balance", avg("goodwill")),
        _row("ICP fit", avg("icp_fit")),
        _row("Good ICP fit (% of accounts)", share("good_fit", "fit_known"), fmt="pct"),
        _row("Employees", avg("employees")),
        _row("ARR", {g: float(v) for g, v in avg("arr").items() if v is not None}, fmt="money"),
        _row("Plan steps completed", steps("done"), fmt="pct"),
        _row("Plan steps completed on time", steps("on_time"), fmt="pct"),
    ]
    measures = [
        _row(
            label,
            {g: total / count for g, (total, count) in per_group.items() if count},
        )
        for label, per_group in sorted(entry["measures"].items())
    ]
    mix_totals = {g: sum(entry["mix"].get(g, {}).values()) for g in INSIGHT_GROUPS}
    mix = [
        _row(
            label,
            {
                g: _pct(entry["mix"][g].get(value, 0), mix_totals[g])
                for g in INSIGHT_GROUPS
                if mix_totals[g]
            },
            fmt="pct",
        )
        | {"category": value}
        for value, label in Category.choices
    ]
    lessons = [
        {"code": code, "label": LessonReason(code).label, "count": n}
        for code, n in entry["lessons"].items()
    ]
    return {
        "segment_id": entry["segment_id"],
        "name": entry["name"],
        "counts": entry["counts"],
        "profile": profile,
        "measures": measures,
        "mix": mix,
        "lessons": lessons,
        "comparable": all(entry["counts"][g] for g in INSIGHT_GROUPS),
    }


def lessons_for_user(user) -> QuerySet:
    """Lessons learned on the accounts `user` may see, newest first."""
    return LessonLearned.objects.filter(account__in=Account.objects.for_user(user)).select_related(
        "account__segment", "recorded_by"
    )


# --- what the customer sees --------------------------------------------------------------------
def plan_for_customer(plan: SuccessPlan) -> dict:
    """The customer-facing view of a plan: the objective and who does what by when.

    Nothing internal: no completion notes, ledger points, health, vector or CTAs.
    """
    steps = list(plan.steps.all())
    today = timezone.localdate()
    sides = {side: [] for side in ("customer", "us", "joint")}
    for step in steps:
        sides[step.owner_side].append(
            {
                "title": step.title,
                "description": step.description,
                "starts_on": step.starts_on,
                "due_on": step.due_on,
                "done": step.completed_on is not None,
                "completed_on": step.completed_on,
                "status": step_status(
                    completed_on=step.completed_on, due_on=step.due_on, today=today
                ),
            }
        )
    done = sum(1 for step in steps if step.completed_on is not None)
    return {
        "account_name": plan.account.name,
        "plan_name": plan.name,
        "objective": plan.objective,
        "experience": plan.account.segment.appropriate_experience if plan.account.segment else "",
        "started_on": plan.started_on,
        "closed": not plan.is_active,
        "done": done,
        "total": len(steps),
        "percent": round(100 * done / len(steps)) if steps else 0,
        "customer_steps": sides["customer"],
        "our_steps": sides["us"],
        "joint_steps": sides["joint"],
    }
