"""Reads for the account pages and reports: lists, timelines, ledgers, revenue history."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from users.models import User

from .models import Account, Contact, Interaction, Stage, Subscription, TrustEntry


def account_owner_choices(*, user) -> QuerySet[User]:
    """Who `user` may make an account's owner, the one rule the account page, the API and the
    CSV import apply: an admin any active user (an account an admin creates is theirs until
    they hand it on), a manager themselves or an active member of a team they lead, a CSM
    themselves."""
    active = User.objects.filter(is_active=True)
    if user.is_admin_role:
        return active
    if user.is_manager:
        return active.filter(Q(team__manager=user) | Q(pk=user.pk))
    return active.filter(pk=user.pk)


def account_list(*, user) -> QuerySet[Account]:
    """The accounts `user` may see, with what the list page shows joined in."""
    return Account.objects.for_user(user).select_related("segment", "owner")


SEARCH_LIMIT = 10
SEARCH_MIN_LENGTH = 2


def global_search(*, user, q: str) -> dict:
    """The header search: accounts (name, domain, external id) and contacts (name, e-mail) the
    user may see, ten of each at most, current customers first (two queries)."""
    q = q.strip()
    if len(q) < SEARCH_MIN_LENGTH:
        return {"q": q, "accounts": [], "contacts": [], "too_short": bool(q)}
    visible = Account.objects.for_user(user)
    accounts = list(
        visible.filter(Q(name__icontains=q) | Q(domain__icontains=q) | Q(external_id__iexact=q))
        .select_related("owner")
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    contacts = list(
        Contact.objects.filter(account__in=visible)
        .filter(Q(name__icontains=q) | Q(email__icontains=q))
        .select_related("account")
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    return {"q": q, "accounts": accounts, "contacts": contacts, "too_short": False}


def account_get(*, user, pk: int) -> Account:
    """One visible account (raises Account.DoesNotExist otherwise, which views turn into 404)."""
    return Account.objects.for_user(user).select_related("segment", "owner").get(pk=pk)


def bad_fit_accounts(*, user) -> dict[str, QuerySet[Account]]:
    """Customers we should not have signed and prospects we should not sign, worst fit first."""
    bad = account_list(user=user).filter(icp_good_fit=False).order_by("icp_fit", "name")
    return {
        "customers": bad.exclude(stage__in=[Stage.PROSPECT, Stage.CHURNED]),
        "prospects": bad.filter(stage=Stage.PROSPECT),
    }


def interaction_timeline(*, account: Account) -> QuerySet[Interaction]:
    """The account's interactions, newest first, with their ledger entry and people."""
    return (
        Interaction.objects.filter(account=account)
        .select_related("contact", "author", "trust_entry")
        .order_by("-occurred_at", "-id")
    )


def ledger_entries(*, account: Account) -> QuerySet[TrustEntry]:
    """The account's ledger, latest append first, with reversal links resolved and each
    interaction entry's summary (the ledger itself never copies it: see privacy)."""
    return (
        TrustEntry.objects.filter(account=account)
        .select_related("author", "reversed_by", "reverses", "interaction")
        .order_by("-seq")
    )


# --- revenue -----------------------------------------------------------------------------
def _month_end(day: date) -> date:
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def _months_back(today: date, months: int) -> list[date]:
    """Month-end dates, oldest first, the last one being `today` (the month so far)."""
    out, cursor = [], today.replace(day=1)
    for _ in range(months):
        out.append(cursor)
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return [min(_month_end(m), today) for m in reversed(out)]


def _active_on(subscription: Subscription, day: date) -> bool:
    return subscription.start_date <= day and (
        subscription.end_date is None or subscription.end_date >= day
    )


def mrr_history(*, account: Account, months: int = 12, today: date | None = None) -> list[dict]:
    """MRR at each month end (the last month: today), oldest first: [{"month", "mrr"}]."""
    today = today or timezone.localdate()
    subscriptions = list(account.subscriptions.all())
    return [
        {
            "month": day.replace(day=1),
            "mrr": sum((s.mrr for s in subscriptions if _active_on(s, day)), Decimal("0")),
        }
        for day in _months_back(today, months)
    ]


def mrr_movements(*, account: Account, months: int = 12, today: date | None = None) -> list[dict]:
    """Month-over-month MRR change classified as new, expansion, contraction, churn or flat."""
    history = mrr_history(account=account, months=months + 1, today=today)
    movements = []
    for before, after in zip(history, history[1:], strict=False):
        delta = after["mrr"] - before["mrr"]
        if before["mrr"] == 0 and after["mrr"] > 0:
            kind = "new"
        elif after["mrr"] == 0 and before["mrr"] > 0:
            kind = "churn"
        elif delta > 0:
            kind = "expansion"
        elif delta < 0:
            kind = "contraction"
        else:
            kind = "flat"
        movements.append(
            {"month": after["month"], "mrr": after["mrr"], "delta": delta, "kind": kind}
        )
    return movements


def churn_date(*, account: Account, today: date | None = None) -> date | None:
    """When the account stopped paying: the last subscription end, if none is active today."""
    today = today or timezone.localdate()
    subscriptions = list(account.subscriptions.all())
    if not subscriptions or any(_active_on(s, today) for s in subscriptions):
        return None
    if any(s.start_date > today for s in subscriptions):
        return None
    return max(s.end_date for s in subscriptions)


def mrr_on(*, account_ids: list[int], on: date) -> dict[int, Decimal]:
    """MRR per account on one day, in one aggregate query (for reports and scoring jobs)."""
    active = Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))
    rows = (
        Subscription.objects.filter(active, account_id__in=account_ids)
        .values("account_id")
        .annotate(total=Sum("mrr"))
        .values_list("account_id", "total")
    )
    return {account_id: Decimal("0") for account_id in account_ids} | dict(rows)
