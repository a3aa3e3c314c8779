"""The customer-facing Customer Success Scorecard: only what is meant for the customer.

Deliberately absent: the numeric score and its measures, the goodwill ledger, margins and
revenue, the relationship word, interaction summaries and any internal note.
"""

from datetime import date, timedelta

from django.db.models import Count, Q, Sum

from accounts.models import Account, Category, Channel, Interaction
from success.models import SuccessPlan, step_status

VALUE_WINDOW_DAYS = 365
BAND_MESSAGES = {
    "green": ("On track", "The partnership is healthy and delivering what you set out to do."),
    "yellow": ("Needs attention", "Some goals are behind; we have a plan to bring them back."),
    "red": ("At risk", "Goals are at risk; we are prioritising the actions below together."),
}
TREND_WORDS = [(5, "improving"), (-4, "steady")]


def _trend_word(delta: int | None) -> str:
    if delta is None:
        return ""
    for floor, word in TREND_WORDS:
        if delta >= floor:
            return word
    return "declining"


def customer_scorecard(account: Account, *, today: date) -> dict:
    """Everything the shared scorecard shows, in at most four queries."""
    status, message = BAND_MESSAGES.get(
        account.health_band, ("Getting started", "We are gathering the first signals.")
    )
    goals = [
        (label, text)
        for label, text in (
            ("Next 3 months", account.strategy_3m),
            ("Next 6 months", account.strategy_6m),
            ("Next 12 months", account.strategy_12m),
            ("Next 18 months", account.strategy_18m),
        )
        if text.strip()
    ]
    since = today - timedelta(days=VALUE_WINDOW_DAYS)
    value = Interaction.objects.filter(account=account, occurred_at__date__gte=since).aggregate(
        value_sessions=Count("id", filter=Q(category=Category.VALUE_ADDING)),
        relationship_sessions=Count("id", filter=Q(category=Category.RELATIONSHIP_BUILDING)),
        trainings=Count("id", filter=Q(channel=Channel.TRAINING)),
        reviews=Count("id", filter=Q(channel=Channel.QBR)),
        minutes=Sum("minutes", filter=Q(category__in=Category.positive())),
    )
    value["hours"] = round((value.pop("minutes") or 0) / 60)
    segment = account.segment
    return {
        "account_name": account.name,
        "status": status,
        "status_message": message,
        "band": account.health_band or "unscored",
        "trend": _trend_word(account.health_delta_30),
        "goals": goals,
        "desired_outcome": (
            {"required": segment.required_outcome, "experience": segment.appropriate_experience}
            if segment and (segment.required_outcome or segment.appropriate_experience)
            else None
        ),
        "value": value,
        "value_since": since,
        "plan": _plan(account, today=today),
        "as_of": today,
    }


def _plan(account: Account, *, today: date) -> dict | None:
    """The active success plan with its customer-facing steps (no completion notes)."""
    plan = SuccessPlan.objects.filter(account=account, status="active").first()
    if plan is None:
        return None
    steps = list(
        plan.steps.order_by("order", "due_on", "id").values(
            "title", "description", "owner_side", "due_on", "completed_on", "is_milestone"
        )
    )
    done = sum(1 for s in steps if s["completed_on"])
    due = sum(1 for s in steps if s["due_on"] <= today)
    for step in steps:
        step["status"] = step_status(
            completed_on=step["completed_on"], due_on=step["due_on"], today=today
        )
        step["overdue"] = step["status"] == "overdue"
    return {
        "name": plan.name,
        "objective": plan.objective,
        "steps": steps,
        "done": done,
        "total": len(steps),
        "progress_pct": round(100 * done / len(steps)) if steps else 0,
        "expected_pct": round(100 * due / len(steps)) if steps else 0,
        "milestones_done": sum(1 for s in steps if s["is_milestone"] and s["completed_on"]),
    }
