"""The manager's portfolio: health by team and CSM, the quadrant scatter, decay, renewals, ARR."""

from collections import OrderedDict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.urls import reverse

from accounts.models import Account
from healthscores.models import HealthSnapshot
from healthscores.services import compute
from users.models import Team, User

from ._common import (
    BAND_LABELS,
    BANDS,
    QUADRANT_SHORT,
    RENEWAL_HORIZON_DAYS,
)
from .book import DECAY_ORDER

WATCHLIST_LIMIT = 15
RENEWAL_LIST_LIMIT = 120
DISTRIBUTION_CSM_LIMIT = 60  # more CSMs than this (an admin's 500): one row per team only
SCATTER_LIMIT = 400  # the largest accounts by ARR; a scatter of 100,000 dots says nothing


def portfolio_accounts(user, *, team_id: int | None = None) -> QuerySet[Account]:
    """Active accounts the user may see, optionally narrowed to one team."""
    accounts = Account.objects.for_user(user).active()
    if team_id:
        accounts = accounts.filter(owner__team_id=team_id)
    return accounts


def portfolio_teams(user) -> list[Team]:
    """Teams the user may narrow the portfolio to: an admin all, a manager those they lead."""
    if user.is_admin_role:
        return list(Team.objects.order_by("name"))
    if user.is_manager:
        return list(Team.objects.filter(manager=user).order_by("name"))
    return []


def _band_counts() -> dict:
    counts = {band: Count("id", filter=Q(health_band=band)) for band in BANDS}
    counts["unscored"] = Count("id", filter=Q(health_band=""))
    return counts


def _band_arr() -> dict:
    sums = {f"arr_{band}": Sum("arr", filter=Q(health_band=band)) for band in BANDS}
    sums["arr_unscored"] = Sum("arr", filter=Q(health_band=""))
    return sums


def portfolio_summary(accounts: QuerySet[Account], *, today: date) -> dict:
    """Headline, health distribution by team and CSM, and ARR by band: one scan of the accounts.

    One `GROUP BY owner_id` over the visible accounts (hashed into one row per CSM, however
    many accounts) plus one query for those CSMs and their teams; everything else is summed
    from the per-CSM rows in Python.
    """
    horizon = today + timedelta(days=RENEWAL_HORIZON_DAYS)
    rows = list(
        accounts.values("owner_id")
        .annotate(
            total=Count("id"),
            scored=Count("health_score"),
            health_sum=Sum("health_score"),
            arr_total=Sum("arr"),
            in_decay=Count("id", filter=Q(decay_status__in=["decaying", "in_decay"])),
            renewals=Count("id", filter=Q(renewal_date__gte=today, renewal_date__lte=horizon)),
            successes=Count("id", filter=Q(quadrant="success")),
            **_band_counts(),
            **_band_arr(),
        )
        .order_by()
    )
    owner_ids = [r["owner_id"] for r in rows if r["owner_id"] is not None]
    owners = {
        u.pk: u
        for u in User.objects.filter(pk__in=owner_ids)
        .select_related("team")
        .only("pk", "username", "first_name", "last_name", "team__id", "team__name")
    }
    return {
        "headline": _headline(rows),
        "distribution": _distribution(rows, owners),
        "csms_collapsed": len(rows) > DISTRIBUTION_CSM_LIMIT,
        "arr": _arr_by_band(rows),
    }


def _total(rows: list[dict], key: str):
    return sum((r[key] or 0 for r in rows), 0)


def _headline(rows: list[dict]) -> dict:
    scored = _total(rows, "scored")
    return {
        "accounts": _total(rows, "total"),
        "arr": sum((r["arr_total"] or Decimal(0) for r in rows), Decimal(0)) if rows else None,
        "avg_health": _total(rows, "health_sum") / scored if scored else None,
        "in_decay": _total(rows, "in_decay"),
        "renewals": _total(rows, "renewals"),
        "successes": _total(rows, "successes"),
    }


def _distribution(rows: list[dict], owners: dict) -> list[dict]:
    """Accounts per band for each team and each CSM in it, teams and CSMs by name.

    Past `DISTRIBUTION_CSM_LIMIT` CSMs the teams keep only their totals (`csm_count` says how
    many CSMs), so the table stays one row per team; the team filter shows a team's CSMs.
    """
    keys = [*BANDS, "unscored"]
    csms = []
    for row in rows:
        owner = owners.get(row["owner_id"])
        team = owner.team if owner is not None else None
        full_name = f"{owner.first_name} {owner.last_name}".strip() if owner else ""
        csm = {
            "name": full_name or (owner.username if owner else "") or "Unassigned",
            "username": owner.username if owner else "",
            "team_id": team.pk if team else None,
            "team_name": team.name if team else None,
            "total": row["total"],
            "avg_health": row["health_sum"] / row["scored"] if row["scored"] else None,
            "arr": row["arr_total"] or Decimal(0),
            **{k: row[k] for k in keys},
        }
        csm["shares"] = _shares(csm, keys)
        csms.append(csm)
    csms.sort(key=lambda c: (c["team_name"] is None, c["team_name"] or "", c["username"]))
    teams: OrderedDict[object, dict] = OrderedDict()
    for csm in csms:
        team = teams.setdefault(
            csm["team_id"],
            {
                "name": csm["team_name"] or "No team",
                "csms": [],
                "total": 0,
                "arr": Decimal(0),
                **dict.fromkeys(keys, 0),
            },
        )
        team["csms"].append(csm)
        team["total"] += csm["total"]
        team["arr"] += csm["arr"]
        for k in keys:
            team[k] += csm[k]
    result = list(teams.values())
    collapse = len(csms) > DISTRIBUTION_CSM_LIMIT
    for team in result:
        team["shares"] = _shares(team, keys)
        team["csm_count"] = len(team["csms"])
        if collapse:
            team["csms"] = []
    return result


def _shares(row: dict, keys: list[str]) -> list[dict]:
    total = row["total"] or 1
    return [
        {
            "key": k,
            "label": BAND_LABELS.get(k, "Not scored"),
            "count": row[k],
            "pct": round(100 * row[k] / total, 1),
        }
        for k in keys
        if row[k]
    ]


def _arr_by_band(rows: list[dict]) -> dict:
    """ARR and account count per band; red and yellow ARR is "at risk"."""
    bands = []
    for key in [*BANDS, ""]:
        name = key or "unscored"
        bands.append(
            {
                "key": name,
                "label": BAND_LABELS[key],
                "arr": sum((r[f"arr_{name}"] or Decimal(0) for r in rows), Decimal(0)),
                "accounts": _total(rows, name),
                "at_risk": key in ("red", "yellow"),
            }
        )
    total = sum((b["arr"] for b in bands), Decimal(0))
    at_risk = sum((b["arr"] for b in bands if b["at_risk"]), Decimal(0))
    return {
        "bands": bands,
        "total": total,
        "at_risk": at_risk,
        "at_risk_pct": round(100 * at_risk / total, 1) if total else 0,
    }


def decay_watchlist(accounts: QuerySet[Account], *, limit: int = WATCHLIST_LIMIT) -> list[Account]:
    """Accounts decaying or in decay, worst first."""
    return list(
        accounts.filter(decay_status__in=["decaying", "in_decay"])
        .select_related("owner")
        .order_by(*DECAY_ORDER)[:limit]
    )


def renewals_calendar(
    accounts: QuerySet[Account], *, today: date, by: str = "week", limit: int = RENEWAL_LIST_LIMIT
) -> dict:
    """Renewals in the next 90 days bucketed by week (or month), with ARR and ARR not green.

    Two queries: the bucket totals (GROUP BY) and the first `limit` renewals to list.
    """
    horizon = today + timedelta(days=RENEWAL_HORIZON_DAYS)
    upcoming = accounts.filter(renewal_date__gte=today, renewal_date__lte=horizon)
    trunc = TruncMonth if by == "month" else TruncWeek
    totals = (
        upcoming.annotate(bucket=trunc("renewal_date"))
        .values("bucket")
        .annotate(
            n=Count("id"),
            arr_total=Sum("arr"),
            arr_not_green=Coalesce(
                Sum("arr", filter=~Q(health_band="green")),
                Value(Decimal(0)),
                output_field=DecimalField(),
            ),
        )
        .order_by("bucket")
    )
    buckets: OrderedDict[date, dict] = OrderedDict()
    for row in totals:
        start = row["bucket"].date() if hasattr(row["bucket"], "date") else row["bucket"]
        buckets[start] = {**row, "arr": row["arr_total"], "start": start, "accounts": []}
    listed = list(upcoming.select_related("owner").order_by("renewal_date", "name")[:limit])
    for account in listed:
        key = (
            account.renewal_date.replace(day=1)
            if by == "month"
            else (account.renewal_date - timedelta(days=account.renewal_date.weekday()))
        )
        if key in buckets:
            buckets[key]["accounts"].append(account)
    for start, bucket in buckets.items():
        bucket["end"] = (
            (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            if by == "month"
            else start + timedelta(days=6)
        )
        bucket["unlisted"] = bucket["n"] - len(bucket["accounts"])
    return {
        "by": by,
        "buckets": list(buckets.values()),
        "horizon": horizon,
        "total": sum(b["n"] for b in buckets.values()),
    }


def quadrant_thresholds() -> dict:
    """Where the quadrant lines sit: the health app's happy / profitable thresholds."""
    return {"happy_at": compute.HAPPY_AT, "profitable_at": compute.PROFITABLE_MARGIN_PCT}


def quadrant_scatter(accounts: QuerySet[Account], *, limit: int = SCATTER_LIMIT) -> dict:
    """Dots for the customer happiness x company happiness scatter, each linking to its account.

    x is the margin as % of revenue and y the customer happiness (0-100), both from the
    account's latest health snapshot; the colour is its quadrant. One query over the largest
    accounts by ARR, each snapshot found by its (account, as_of) unique index.
    """
    datasets: OrderedDict[str, list] = OrderedDict((k, []) for k in QUADRANT_SHORT)

    def latest(field_name: str):
        return Subquery(
            HealthSnapshot.objects.filter(
                account_id=OuterRef("pk"), as_of=OuterRef("health_as_of")
            ).values(field_name)[:1],
            output_field=FloatField(),
        )

    rows = (
        accounts.filter(health_as_of__isnull=False)
        .annotate(happiness=latest("customer_happiness"), margin=latest("company_happiness"))
        .order_by("-arr", "id")
        .values("pk", "name", "happiness", "margin", "quadrant")[:limit]
    )
    for row in rows:
        if row["happiness"] is None or row["margin"] is None:
            continue
        datasets.setdefault(row["quadrant"] or "", []).append(
            {
                "x": round(max(-100.0, min(100.0, row["margin"])), 1),
                "y": round(row["happiness"], 1),
                "name": row["name"],
                "url": reverse("accounts:detail", args=[row["pk"]]),
            }
        )
    count = sum(len(v) for v in datasets.values())
    return {"datasets": datasets, "count": count, "limit": limit, **quadrant_thresholds()}
