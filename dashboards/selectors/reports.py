"""The top-10 report: a manager's largest accounts and whether something is amiss with them."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import Account, Category, Interaction
from core.formatting import choice_label, label

from ._common import BAND_LABELS, DECAY_LABELS, QUADRANT_SHORT, health_series, sparkline_points

TOP_N = 10
TOP_BY = {"ltv": "Lifetime value", "arr": "ARR"}

# Relationship words that describe a short-term, transactional or strained relationship.
# Matched case-insensitively on the whole word; documented in docs/ARCHITECTURE.md.
SHORT_TERM_WORDS = frozenset(
    {
        "transactional",
        "vendor",
        "supplier",
        "tense",
        "strained",
        "frustrated",
        "frustrating",
        "angry",
        "difficult",
        "price-driven",
        "price-sensitive",
        "cost-focused",
        "shopping",
        "reactive",
        "distant",
        "cold",
        "uncertain",
        "at-risk",
        "fragile",
        "one-off",
        "short-term",
    }
)
TROUBLE_CATEGORIES = frozenset(Category.negative())
AMISS_MIN_TROUBLE = 2  # of the last three interactions
CATEGORY_LETTERS = {
    Category.RELATIONSHIP_BUILDING: "a",
    Category.VALUE_ADDING: "b",
    Category.FIREFIGHTING: "c",
    Category.ESCALATION: "d",
    Category.UNVALUED_PROBLEM: "e",
}


def is_short_term_word(word: str) -> bool:
    return word.strip().lower() in SHORT_TERM_WORDS


def something_is_amiss(word: str, last_categories: list[str]) -> bool:
    """A short-term word and at least 2 of the last 3 interactions firefighting, escalation or
    solving problems the customer doesn't value (design brief, idea 6)."""
    trouble = sum(1 for c in last_categories[:3] if c in TROUBLE_CATEGORIES)
    return is_short_term_word(word) and trouble >= AMISS_MIN_TROUBLE


@dataclass
class Top10Row:
    """One line of the top-10 report."""

    rank: int
    account: Account
    last_categories: list[str] = field(default_factory=list)
    sparkline: str = ""
    amiss: bool = False

    @property
    def last_category_labels(self) -> list[tuple[str, str, str]]:
        labels = dict(Category.choices)
        return [(c, CATEGORY_LETTERS.get(c, "?"), labels.get(c, c)) for c in self.last_categories]

    @property
    def trouble_count(self) -> int:
        return sum(1 for c in self.last_categories if c in TROUBLE_CATEGORIES)

    @property
    def decay_label(self) -> str:
        return DECAY_LABELS.get(self.account.decay_status, self.account.decay_status)

    @property
    def quadrant_label(self) -> str:
        return QUADRANT_SHORT.get(self.account.quadrant, self.account.quadrant)

    @property
    def short_term(self) -> bool:
        return is_short_term_word(self.account.relationship_word)


def top10_accounts(user, *, by: str = "ltv", n: int = TOP_N) -> QuerySet[Account]:
    """The user's n largest active accounts by lifetime value (or ARR); ties broken by ARR, name."""
    order = (
        [F("lifetime_value").desc(nulls_last=True), F("arr").desc(), "name"]
        if by == "ltv"
        else [F("arr").desc(), F("lifetime_value").desc(nulls_last=True), "name"]
    )
    return (
        Account.objects.for_user(user)
        .active()
        .select_related("owner", "segment")
        .order_by(*order)[:n]
    )


def last_interaction_categories(
    account_ids: list[int], *, per_account: int = 3
) -> dict[int, list[str]]:
    """The categories of each account's last `per_account` interactions, newest first.

    One query: ROW_NUMBER() over each account's interactions, newest first, kept where <= 3.
    """
    if not account_ids:
        return {}
    rows = (
        Interaction.objects.filter(account_id__in=account_ids)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("account_id")],
                order_by=[F("occurred_at").desc(), F("id").desc()],
            )
        )
        .filter(recency__lte=per_account)
        .order_by("account_id", "recency")
        .values_list("account_id", "category")
    )
    result: dict[int, list[str]] = {}
    for account_id, category in rows:
        result.setdefault(account_id, []).append(category)
    return result


def top10_report(user, *, by: str = "ltv", today: date) -> dict:
    """The whole top-10 report: three queries (accounts, last interactions, health history)."""
    by = by if by in TOP_BY else "ltv"
    accounts = list(top10_accounts(user, by=by))
    ids = [a.pk for a in accounts]
    categories = last_interaction_categories(ids)
    series = health_series(ids, since=today - timedelta(days=30))
    rows = []
    for rank, account in enumerate(accounts, start=1):
        last = categories.get(account.pk, [])
        rows.append(
            Top10Row(
                rank=rank,
                account=account,
                last_categories=last,
                sparkline=sparkline_points([s for _, s in series.get(account.pk, [])]),
                amiss=something_is_amiss(account.relationship_word, last),
            )
        )
    return {
        "by": by,
        "by_label": TOP_BY[by],
        "rows": rows,
        "today": today,
        "amiss_count": sum(1 for r in rows if r.amiss),
        "total_ltv": sum((a.lifetime_value or Decimal(0) for a in accounts), Decimal(0)),
        "total_arr": sum((a.arr for a in accounts), Decimal(0)),
    }


# The page's column names, so a reader of the export and of the page see the same words; the
# values stay machine-readable (amounts as plain decimals in the account's currency, the trend
# as a signed integer, yes/no), which is what a spreadsheet sorts and sums.
CSV_HEADER = [
    "Rank",
    "Account",
    "CSM",
    "Relationship",
    "Last three interactions",
    "Lifetime value",
    "ARR",
    "Currency",
    "Health",
    "Health band",
    "Trend (30 days)",
    "Decay",
    "Decay score",
    "Quadrant",
    "Something is amiss",
]


def top10_csv_rows(report: dict) -> list[list]:
    """The report as CSV rows (header first), values as a spreadsheet would want them."""
    out: list[list] = [CSV_HEADER]
    for row in report["rows"]:
        a = row.account
        out.append(
            [
                row.rank,
                a.name,
                a.owner.display_name if a.owner else "",
                a.relationship_word,
                " | ".join(choice_label(c, Category.choices) for c in row.last_categories),
                "" if a.lifetime_value is None else f"{a.lifetime_value:.2f}",
                f"{a.arr:.2f}",
                a.currency,
                "" if a.health_score is None else a.health_score,
                BAND_LABELS.get(a.health_band or "", label(a.health_band)),
                "" if a.health_delta_30 is None else a.health_delta_30,
                DECAY_LABELS.get(a.decay_status or "", label(a.decay_status)).replace("—", ""),
                "" if a.decay_score is None else a.decay_score,
                QUADRANT_SHORT.get(a.quadrant or "", label(a.quadrant)) if a.quadrant else "",
                "yes" if row.amiss else "no",
            ]
        )
    return out
