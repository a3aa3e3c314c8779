"""Demo history for every demo account: ICPs, contacts, a year of interactions with their
goodwill ledger, subscriptions, 180 days of daily usage and surveys.

Healthy accounts mostly see relationship-building and value-adding touches; decaying accounts
slide into firefighting and escalations over the last 90 days (churned ones before churning).
Everything is written in bulk through the services, and only for accounts that have no history
yet, so re-running is safe and cheap.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Account,
    Category,
    Channel,
    Contact,
    EntrySource,
    IcpCriterion,
    IdealCustomerProfile,
    Interaction,
    Stage,
    Subscription,
    SurveyResponse,
    TrustPolicy,
    UsageMetric,
)
from accounts.services.customer_signals import usage_bulk_upsert
from accounts.services.icp import icp_scores_refresh
from accounts.services.interactions import interactions_bulk_upsert
from accounts.services.ledger import PendingEntry, trust_entries_bulk_append
from core.progress import Progress

FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Greg", "Hana", "Ivan", "Jo", "Kofi"]
FIRST += ["Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma"]
LAST = ["Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Horvat", "Ito"]
LAST += ["Jansen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okoye", "Patel", "Rossi"]
TITLES = ["VP Operations", "Head of IT", "CFO", "Team Lead", "Operations Manager", "Analyst"]
TITLES += ["Director of Customer Experience", "CTO", "Product Owner"]

# Category weights (relationship building, value adding, firefighting, escalation, unvalued).
HEALTHY_MIX = [30, 42, 14, 3, 11]
DECAY_MIX = [12, 14, 38, 16, 20]
CATEGORIES = [
    Category.RELATIONSHIP_BUILDING,
    Category.VALUE_ADDING,
    Category.FIREFIGHTING,
    Category.ESCALATION,
    Category.UNVALUED_PROBLEM,
]
CHANNELS = {
    Category.RELATIONSHIP_BUILDING: [Channel.MEETING, Channel.CALL, Channel.ONSITE, Channel.QBR],
    Category.VALUE_ADDING: [Channel.TRAINING, Channel.QBR, Channel.MEETING, Channel.CALL],
    Category.FIREFIGHTING: [Channel.TICKET, Channel.CALL, Channel.CHAT, Channel.EMAIL],
    Category.ESCALATION: [Channel.CALL, Channel.EMAIL, Channel.MEETING],
    Category.UNVALUED_PROBLEM: [Channel.TICKET, Channel.EMAIL, Channel.CHAT],
}
SUMMARIES = {
    Category.RELATIONSHIP_BUILDING: ["Quarterly catch-up with the sponsor", "Lunch with the team"],
    Category.VALUE_ADDING: ["Workflow review saved them a manual step", "Admin training session"],
    Category.FIREFIGHTING: ["Sync job failed overnight", "Login issues for a region"],
    Category.ESCALATION: ["Outage escalated to their VP", "Data export wrong for month-end"],
    Category.UNVALUED_PROBLEM: ["Rebuilt a report nobody opens", "Custom field cleanup"],
}
WEEKLY_TOUCHES = {"Enterprise": 2.0, "Mid-Market": 1.2, "SMB": 0.6}
METRICS = {"Enterprise": 3, "Mid-Market": 3, "SMB": 2}
METRIC_NAMES = ["active_users", "reports_run", "api_calls"]
ADD_ONS = ["Analytics add-on", "Premium support", "Extra workspace"]
USAGE_DAYS = 180


def _icps() -> None:
    """A default ICP plus a stricter one for Enterprise (created once)."""
    default, created = IdealCustomerProfile.objects.get_or_create(
        name="Core ICP",
        defaults={
            "description": "Digital-first mid-size companies in our home regions.",
            "is_default": True,
            "good_fit_threshold": 60,
        },
    )
    if created:
        IcpCriterion.objects.bulk_create(
            [
                IcpCriterion(
                    icp=default,
                    attribute="industry",
                    operator="in",
                    value=["SaaS", "Fintech", "Healthcare", "Logistics"],
                    weight=3,
                ),
                IcpCriterion(
                    icp=default, attribute="employee_count", operator="between", value=[50, 5000]
                ),
                IcpCriterion(
                    icp=default, attribute="region", operator="in", value=["NA", "EMEA"], weight=2
                ),
                IcpCriterion(icp=default, attribute="arr", operator="gte", value=10000, weight=2),
            ]
        )
    from accounts.models import Segment

    enterprise = Segment.objects.filter(name="Enterprise").first()
    if enterprise:
        icp, created = IdealCustomerProfile.objects.get_or_create(
            name="Enterprise ICP",
            defaults={"segment": enterprise, "good_fit_threshold": 70},
        )
        if created:
            IcpCriterion.objects.bulk_create(
                [
                    IcpCriterion(
                        icp=icp,
                        attribute="industry",
                        operator="not_in",
                        value=["Education", "Media"],
                        weight=2,
                    ),
                    IcpCriterion(
                        icp=icp, attribute="employee_count", operator="gte", value=2000, weight=2
                    ),
                    IcpCriterion(
                        icp=icp, attribute="arr", operator="between", value=[200000, None]
                    ),
                ]
            )


def _aware(day, hour: int):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed_history(*, rng, today, stdout) -> None:
    _icps()
    icp_scores_refresh()
    accounts = list(
        Account.objects.filter(external_id__startswith="demo-", ledger_seq=0)
        .exclude(pk__in=Interaction.objects.values("account_id"))
        .select_related("segment")
        .order_by("pk")
    )
    if not accounts:
        stdout.write("account history: already seeded")
        return
    decaying = {a.pk for a in accounts if _decays(a, rng)}
    contacts = _contacts(accounts, rng)
    _starting_trust(accounts)
    rows = []
    with Progress("account history", len(accounts), stream=stdout) as progress:
        for account in accounts:
            rows.extend(_interactions(account, account.pk in decaying, contacts, rng, today))
            if len(rows) >= 5000:
                interactions_bulk_upsert(rows=rows, notify=False)
                rows = []
            progress.advance()
    interactions_bulk_upsert(rows=rows, notify=False)
    _subscriptions(accounts, rng, today)
    _usage(accounts, decaying, rng, today)
    _surveys(accounts, decaying, contacts, rng, today)
    stdout.write(
        f"account history: {len(accounts)} accounts, {len(decaying)} decaying, "
        f"{Interaction.objects.count()} interactions"
    )


def _decays(account: Account, rng) -> bool:
    if account.stage == Stage.PROSPECT:
        return False
    if account.stage == Stage.CHURNED:
        return True
    odds = 0.45 if account.relationship_word in {"tense", "frustrated", "vendor"} else 0.18
    return rng.random() < odds


def _contacts(accounts, rng) -> dict[int, list[Contact]]:
    new = []
    for account in accounts:
        for n in range(rng.randint(2, 5)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            new.append(
                Contact(
                    account=account,
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}@{account.domain or 'example.com'}",
                    title=rng.choice(TITLES),
                    is_champion=n == 0,
                    is_decision_maker=n == 1,
                    is_user=n != 1,
                    external_id=f"{account.external_id}-c{n + 1}",
                )
            )
    Contact.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    by_account: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(account__in=accounts):
        by_account.setdefault(contact.account_id, []).append(contact)
    return by_account


def _start(account: Account, today):
    start = account.contract_start or (today - timedelta(days=120))
    return max(start, today - timedelta(days=365))


@transaction.atomic  # the bulk append locks the accounts' rows
def _starting_trust(accounts) -> None:
    points = TrustPolicy.current().starting_balance
    trust_entries_bulk_append(
        pending=[
            PendingEntry(
                account_id=a.pk,
                points=points,
                reason="Starting trust: a new customer extends a little goodwill.",
                source=EntrySource.MILESTONE,
                occurred_at=_aware(a.contract_start or _start(a, timezone.localdate()), 9),
                apply_cushion=False,
            )
            for a in accounts
            if a.stage != Stage.PROSPECT and points
        ],
        notify=False,
    )


def _interactions(account, decays: bool, contacts, rng, today) -> list[dict]:
    segment = account.segment.name if account.segment else "SMB"
    end = account.churned_on or today
    if account.stage == Stage.PROSPECT:
        start, per_week = today - timedelta(days=60), 0.4
    else:
        start, per_week = _start(account, today), WEEKLY_TOUCHES.get(segment, 1.0)
    decay_from = end - timedelta(days=90)
    people = contacts.get(account.pk, [])
    rows, day, n = [], start, 0
    while day <= end:
        day += timedelta(days=max(1, int(rng.expovariate(per_week / 7))))
        if day > end:
            break
        late = decays and day >= decay_from
        weights = DECAY_MIX if late else HEALTHY_MIX
        if account.stage == Stage.PROSPECT:
            weights = [60, 40, 0, 0, 0]
        category = rng.choices(CATEGORIES, weights=weights)[0]
        if category in (Category.FIREFIGHTING, Category.ESCALATION):
            sentiment = rng.choice([-2, -1, -1, 0] if late else [-1, 0, 0, 1])
        else:
            sentiment = rng.choice([-1, 0, 1, 1] if late else [0, 1, 1, 2, 2])
        n += 1
        rows.append(
            {
                "account": account,
                "external_id": f"{account.external_id}-i{n}",
                "occurred_at": _aware(day, rng.randint(8, 17)),
                "channel": rng.choice(CHANNELS[category]),
                "category": category,
                "sentiment": sentiment,
                "severity": (
                    rng.choice([2, 3, 3, 4] if late else [1, 1, 2, 3])
                    if category == Category.ESCALATION
                    else None
                ),
                "minutes": rng.choice([15, 30, 30, 45, 60, 90, 120]),
                "work_type": "chargeable" if rng.random() < 0.15 else "support",
                "contact": rng.choice(people) if people else None,
                "summary": rng.choice(SUMMARIES[category]),
            }
        )
    return rows


def _subscriptions(accounts, rng, today) -> None:
    have = set(
        Subscription.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    new = []
    for account in accounts:
        if account.stage == Stage.PROSPECT or account.pk in have or not account.contract_start:
            continue
        mrr, start, ext = account.mrr, account.contract_start, account.external_id
        shape = rng.random()
        if account.stage == Stage.CHURNED and account.churned_on:
            new.append(_sub(account, "Platform", start, mrr, f"{ext}-s1", end=account.churned_on))
        elif shape < 0.3 and (today - start).days > 120:
            # Expansion: an add-on bought some months ago.
            since = today - timedelta(days=rng.randint(30, min(330, (today - start).days - 1)))
            base = (mrr * Decimal("0.75")).quantize(Decimal("0.01"))
            new.append(_sub(account, "Platform", start, base, f"{ext}-s1"))
            new.append(_sub(account, rng.choice(ADD_ONS), since, mrr - base, f"{ext}-s2"))
        elif shape < 0.45 and (today - start).days > 120:
            # Contraction: seats cut at a renewal.
            cut = today - timedelta(days=rng.randint(30, min(300, (today - start).days - 1)))
            before = (mrr * Decimal("1.3")).quantize(Decimal("0.01"))
            new.append(_sub(account, "Platform", start, before, f"{ext}-s1", end=cut))
            new.append(_sub(account, "Platform", cut + timedelta(days=1), mrr, f"{ext}-s2"))
        else:
            new.append(_sub(account, "Platform", start, mrr, f"{ext}-s1"))
    Subscription.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)


def _sub(account, product, start, mrr, external_id, end=None) -> Subscription:
    return Subscription(
        account=account,
        product=product,
        start_date=start,
        end_date=end,
        mrr=mrr,
        external_id=external_id,
    )


def _usage(accounts, decaying, rng, today) -> None:
    have = set(
        UsageMetric.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    rows = []
    for account in accounts:
        if account.stage == Stage.PROSPECT or account.pk in have:
            continue
        segment = account.segment.name if account.segment else "SMB"
        seats = account.seats or 20
        end = account.churned_on or today
        metrics = METRIC_NAMES[: METRICS.get(segment, 2)]
        trend = rng.uniform(-0.0005, 0.002)
        for offset in range(USAGE_DAYS, -1, -1):
            day = today - timedelta(days=offset)
            if day > end:
                break
            level = 1 + trend * (USAGE_DAYS - offset)
            if account.pk in decaying and (end - day).days < 90:
                level *= 1 - 0.5 * (90 - (end - day).days) / 90
            if day.weekday() >= 5:
                level *= 0.35
            active = max(0.0, seats * 0.6 * level * rng.uniform(0.85, 1.15))
            values = {"active_users": round(active), "reports_run": round(active * 1.7)}
            values["api_calls"] = round(active * 40 * rng.uniform(0.7, 1.3))
            for metric in metrics:
                rows.append(
                    {"account": account, "metric": metric, "date": day, "value": values[metric]}
                )
        if len(rows) >= 20000:
            usage_bulk_upsert(rows=rows)
            rows = []
    usage_bulk_upsert(rows=rows)


def _surveys(accounts, decaying, contacts, rng, today) -> None:
    have = set(
        SurveyResponse.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    new = []
    for account in accounts:
        if account.stage == Stage.PROSPECT or account.pk in have:
            continue
        end = account.churned_on or today
        people = contacts.get(account.pk) or [None]
        for quarter in range(4):
            day = end - timedelta(days=20 + 91 * quarter)
            if account.contract_start and day < account.contract_start:
                break
            late = account.pk in decaying and quarter == 0
            score = rng.choice([2, 4, 5, 6, 6, 7]) if late else rng.choice([7, 8, 9, 9, 10, 10])
            new.append(
                SurveyResponse(
                    account=account,
                    contact=rng.choice(people),
                    kind="nps",
                    score=score,
                    comment="Too many fires lately." if late else "",
                    responded_at=_aware(day, 11),
                    external_id=f"{account.external_id}-nps{quarter + 1}",
                )
            )
        for k in range(rng.randint(3, 8)):
            day = end - timedelta(days=rng.randint(1, 300))
            if account.contract_start and day < account.contract_start:
                continue
            late = account.pk in decaying and (end - day).days < 90
            new.append(
                SurveyResponse(
                    account=account,
                    kind="csat",
                    score=rng.choice([1, 2, 3, 3, 4]) if late else rng.choice([3, 4, 4, 5, 5]),
                    responded_at=_aware(day, 15),
                    external_id=f"{account.external_id}-csat{k + 1}",
                )
            )
    SurveyResponse.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
