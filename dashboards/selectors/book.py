"""The CSM home: my book of accounts, what needs attention today, headline figures."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum

from accounts.models import Account
from healthscores.models import HealthAlert
from scorecards.models import ManualMeasureValue

from ._common import (
    BANDS,
    DECAY_STATUSES,
    RENEWAL_HORIZON_DAYS,
    health_series,
    sparkline_points,
)

BOOK_PAGE_SIZE = 25
ATTENTION_LIMIT = 8
SPARKLINE_DAYS = 30
BAND_DROP_DAYS = 7

DECAY_ALERT_Q = Q(decay_status__in=["decaying", "in_decay"])
# Worst decay first, the larger account first among equals: the order of the partial index
# dashboards_account_decay_idx (declared on Account), shared with the portfolio's watchlist.
DECAY_ORDER = (F("decay_score").desc(nulls_last=True), "-arr", "name")

# Sort key in the URL -> model field. Every one of these fields is indexed or cheap to sort.
BOOK_SORTS = {
    "name": "name",
    "health": "health_score",
    "trend": "health_delta_30",
    "decay": "decay_score",
    "goodwill": "goodwill_balance",
    "renewal": "renewal_date",
    "icp": "icp_fit",
    "arr": "arr",
}
DEFAULT_BOOK_SORT = "health"


def book_accounts(user) -> QuerySet[Account]:
    """The accounts on a user's home page: those they may see that we currently serve."""
    return Account.objects.for_user(user).active()


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """('health', descending?) from `?sort=-health`; unknown keys fall back to the default."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in BOOK_SORTS:
        return DEFAULT_BOOK_SORT, False
    return key, descending


def book_page(
    user,
    *,
    today: date,
    sort: str | None = None,
    page_number: str | int | None = 1,
    q: str = "",
    band: str = "",
    decay: str = "",
    per_page: int = BOOK_PAGE_SIZE,
    book_size: int | None = None,
) -> dict:
    """One page of the user's book, sorted and filtered server-side, each row with its sparkline.

    Three queries whatever the size of the book: the count, the page, the page's snapshots.
    `book_size` (the unfiltered book's size, e.g. from `book_headline`) saves the count when no
    filter is applied.
    """
    key, descending = parse_sort(sort)
    field_name = BOOK_SORTS[key]
    order = (
        F(field_name).desc(nulls_last=True) if descending else F(field_name).asc(nulls_last=True)
    )
    accounts = book_accounts(user).select_related("segment")
    if q:
        accounts = accounts.filter(name__icontains=q.strip())
    if band == "none":
        accounts = accounts.filter(health_band="")
    elif band in BANDS:
        accounts = accounts.filter(health_band=band)
    if decay in DECAY_STATUSES:
        accounts = accounts.filter(decay_status=decay)
    accounts = accounts.order_by(order, "name", "id")
    paginator = Paginator(accounts, per_page)
    filtered = bool(q) or band == "none" or band in BANDS or decay in DECAY_STATUSES
    if book_size is not None and not filtered:
        paginator.count = book_size  # a cached_property: the known size saves the COUNT(*)
    page: Page = paginator.get_page(page_number)
    rows = list(page.object_list)
    series = health_series([a.pk for a in rows], since=today - timedelta(days=SPARKLINE_DAYS))
    for account in rows:
        values = [score for _, score in series.get(account.pk, [])]
        account.sparkline = sparkline_points(values)
        account.sparkline_label = (
            f"Health over the last {SPARKLINE_DAYS} days: {values[0]:.0f} to {values[-1]:.0f}"
            if len(values) >= 2
            else ""
        )
    page.object_list = rows
    return {"page": page, "sort": key, "descending": descending, "rows": rows}


def book_headline(user, *, today: date) -> dict:
    """Headline figures of the book and the attention counts, in one aggregate query."""
    horizon = today + timedelta(days=RENEWAL_HORIZON_DAYS)
    return book_accounts(user).aggregate(
        accounts=Count("id"),
        arr=Sum("arr"),
        avg_health=Avg("health_score"),
        red=Count("id", filter=Q(health_band="red")),
        in_decay=Count("id", filter=DECAY_ALERT_Q),
        renewals=Count("id", filter=Q(renewal_date__gte=today, renewal_date__lte=horizon)),
        renewals_not_green=Count("id", filter=_renewal_not_green_q(today)),
        goodwill=Sum("goodwill_balance"),
    )


def _renewal_not_green_q(today: date) -> Q:
    horizon = today + timedelta(days=RENEWAL_HORIZON_DAYS)
    return Q(renewal_date__gte=today, renewal_date__lte=horizon) & ~Q(health_band="green")


@dataclass
class AttentionSection:
    """One reason an account needs the CSM today, with the first few accounts and the total."""

    key: str
    title: str
    explanation: str
    total: int = 0
    items: list = field(default_factory=list)


def attention_today(
    user, *, today: date, limit: int = ATTENTION_LIMIT, headline: dict | None = None
) -> list[AttentionSection]:
    """What needs attention today: band drops, decay alerts, renewals near and not green,
    stale manual measures. One short list per reason; the decay and renewal totals come from
    `book_headline` (pass it in to save its query)."""
    book = book_accounts(user)
    renewal_q = _renewal_not_green_q(today)
    decay_q = DECAY_ALERT_Q
    headline = headline if headline is not None else book_headline(user, today=today)
    counts = {"decay": headline["in_decay"], "renewals": headline["renewals_not_green"]}
    sections = [
        band_drops(book, today=today, limit=limit),
        AttentionSection(
            "decay",
            "Decay alerts",
            "Goodwill is being used up faster than it is rebuilt.",
            total=counts["decay"],
            items=list(book.filter(decay_q).order_by(*DECAY_ORDER)[:limit]),
        ),
        AttentionSection(
            "renewals",
            f"Renewals in {RENEWAL_HORIZON_DAYS} days, not green",
            "Renewing soon while health is yellow, red or not scored.",
            total=counts["renewals"],
            items=list(book.filter(renewal_q).order_by("renewal_date", "name")[:limit]),
        ),
    ]
    sections.append(stale_manual_measures(user, today=today, limit=limit))
    return sections


def band_drops(book: QuerySet[Account], *, today: date, limit: int) -> AttentionSection:
    """Accounts whose band dropped in the last 7 days and that are still in the lower band.

    Read from the health app's band-drop alerts (one count, one short list).
    """
    section = AttentionSection(
        "band_drops", "Band drops", "Health fell into a worse band in the last 7 days."
    )
    drops = HealthAlert.objects.filter(
        kind="band_drop",
        as_of__gte=today - timedelta(days=BAND_DROP_DAYS),
        account__in=book.values("pk"),
        account__health_band=F("to_value"),
    )
    section.total = drops.values("account_id").distinct().count()
    seen, items = set(), []
    for drop in drops.select_related("account").order_by("-as_of", "-id")[: limit * 2]:
        if drop.account_id not in seen and len(items) < limit:
            seen.add(drop.account_id)
            items.append(drop)
    section.items = items
    return section


def stale_manual_measures(user, *, today: date, limit: int) -> AttentionSection:
    """Manual measures whose latest value has expired, so health treats them as missing.

    A value is stale when it expired and no later value for the same account and measure was
    entered (a NOT EXISTS, not a loop).
    """
    newer = ManualMeasureValue.objects.filter(
        account_id=OuterRef("account_id"),
        measure_key=OuterRef("measure_key"),
        valid_from__gt=OuterRef("valid_from"),
    )
    stale = ManualMeasureValue.objects.filter(
        account__in=book_accounts(user).values("pk"), valid_until__lt=today
    ).filter(~Exists(newer))
    return AttentionSection(
        "stale_measures",
        "Stale manual measures",
        "A manual measure's validity ran out, so health treats it as missing: enter a fresh value.",
        total=stale.count(),
        items=list(stale.select_related("account").order_by("valid_until", "id")[:limit]),
    )
