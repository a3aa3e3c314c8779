"""Reads for the bell, the notifications page and the digests."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, QuerySet
from django.urls import reverse

from accounts.models import Account
from core import formatting as fmt
from healthscores.models import AlertKind, HealthAlert
from success.models import Cta, InterventionRule, RuleKey
from users.models import User

from .models import Notification, NotificationPreference

DIGEST_ROWS = 10
GREEN = "green"
RED = "red"


def preference_for(user: User) -> NotificationPreference:
    """The person's preferences (an unsaved row with the defaults if they never chose)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def inbox(user: User) -> QuerySet[Notification]:
    """The person's in-app notifications, newest first (never anyone else's)."""
    return Notification.objects.filter(user=user, in_app=True).order_by("-id")


def unread_count(user: User) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def renewal_window_days() -> int:
    """N of "renewals within N days not green": the renewal rule's threshold (90 by default)."""
    rule = InterventionRule.objects.filter(key=RuleKey.RENEWAL_AT_RISK).only("threshold").first()
    return rule.threshold if rule and rule.threshold else 90


def _account_row(account: Account, **extra) -> dict:
    return {
        "name": account.name,
        "url": reverse("accounts:detail", args=[account.pk]),
        "band": fmt.label(account.health_band) if account.health_band else fmt.DASH,
        "score": fmt.number(account.health_score),
        **extra,
    }


def _renewals(accounts: QuerySet[Account], today: date) -> list[dict]:
    days = renewal_window_days()
    due = (
        accounts.filter(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days))
        .exclude(health_band=GREEN)
        .order_by("renewal_date", "name")[:DIGEST_ROWS]
    )
    return [_account_row(a, renews=fmt.day(a.renewal_date)) for a in due]


def daily_digest_content(*, user: User, today: date) -> dict | None:
    """A CSM's day: CTAs due or overdue, accounts in red, renewals near and not green, and
    unread notifications. None when there is nothing to say."""
    book = Account.objects.for_user(user).active()
    ctas = (
        Cta.objects.live()
        .awake(today)
        .filter(owner=user, due_on__lte=today)
        .select_related("account")
        .order_by("due_on", "priority", "id")[:DIGEST_ROWS]
    )
    cta_rows = [
        {
            "title": cta.title,
            "account": cta.account.name,
            "url": cta.get_absolute_url(),
            "due": fmt.day(cta.due_on),
            "overdue": cta.due_on < today,
        }
        for cta in ctas
    ]
    red = [_account_row(a) for a in book.filter(health_band=RED).order_by("-arr", "name")[:10]]
    renewals = _renewals(book, today)
    unread = unread_count(user)
    if not (cta_rows or red or renewals or unread):
        return None
    parts = [
        f"{len(cta_rows)} CTA{'s' if len(cta_rows) != 1 else ''} due" if cta_rows else "",
        f"{len(red)} in red" if red else "",
        f"{len(renewals)} renewal{'s' if len(renewals) != 1 else ''} at risk" if renewals else "",
        f"{unread} unread" if unread else "",
    ]
    return {
        "headline": ", ".join(p for p in parts if p),
        "day": fmt.day(today),
        "ctas": cta_rows,
        "red": red,
        "renewals": renewals,
        "renewal_days": renewal_window_days(),
        "unread": unread,
        "inbox_url": reverse("notifications:list"),
    }


def weekly_digest_content(*, user: User, today: date) -> dict | None:
    """A manager's week across their teams: health by band, accounts that dropped to red in
    the last 7 days, overdue CTAs per CSM, renewals near and not green."""
    accounts = Account.objects.for_user(user).active()
    bands = dict(
        accounts.values_list("health_band").annotate(n=Count("pk")).values_list("health_band", "n")
    )
    if not bands:
        return None
    week_ago = today - timedelta(days=7)
    drops = (
        HealthAlert.objects.filter(
            account__in=accounts,
            kind=AlertKind.BAND_DROP,
            to_value=RED,
            as_of__gt=week_ago,
            as_of__lte=today,
        )
        .select_related("account", "account__owner")
        .order_by("-as_of", "account__name")[:DIGEST_ROWS]
    )
    dropped = [
        _account_row(
            alert.account,
            on=fmt.day(alert.as_of),
            owner=alert.account.owner.display_name if alert.account.owner else fmt.DASH,
        )
        for alert in drops
    ]
    overdue = (
        Cta.objects.overdue(today)
        .filter(account__in=accounts)
        .values("owner__username", "owner__first_name", "owner__last_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "owner__username")
    )
    overdue_rows = [
        {
            "owner": " ".join(p for p in (r["owner__first_name"], r["owner__last_name"]) if p)
            or r["owner__username"]
            or "Nobody",
            "count": r["n"],
        }
        for r in overdue
    ]
    renewals = _renewals(accounts, today)
    total = sum(bands.values())
    band_rows = [
        {"band": fmt.label(b) if b else "Not scored", "count": bands[b]}
        for b in (
            [RED, "yellow", GREEN] + sorted(k for k in bands if k not in {RED, "yellow", GREEN})
        )
        if b in bands
    ]
    headline = (
        f"{fmt.number(bands.get(RED, 0))} of {fmt.number(total)} accounts in red,"
        f" {len(dropped)} dropped this week"
    )
    return {
        "headline": headline,
        "day": fmt.day(today),
        "bands": band_rows,
        "dropped": dropped,
        "overdue": overdue_rows,
        "overdue_total": sum(r["count"] for r in overdue_rows),
        "renewals": renewals,
        "renewal_days": renewal_window_days(),
        "portfolio_url": reverse("dashboards:portfolio"),
    }
