"""Demo segments and customer accounts with plausible names, industries, ARR and renewals."""

from datetime import timedelta
from decimal import Decimal

from accounts.models import Account, Segment, Stage
from core.progress import Progress
from users.models import User

SEGMENTS = {
    "Enterprise": (
        "Global deployments, 1,000+ employees.",
        "Company-wide rollout live in every region within 9 months; measurable process savings.",
        "Named CSM, quarterly business reviews, executive sponsor, on-site onboarding.",
    ),
    "Mid-Market": (
        "Growing companies, 200-1,000 employees.",
        "Two core teams live and reporting weekly within 90 days.",
        "Pooled CSM, monthly check-ins, guided onboarding programme.",
    ),
    "SMB": (
        "Small teams, under 200 employees.",
        "First workflow automated within 30 days; self-serve adoption.",
        "Digital-led: in-app guides, webinars, chat support.",
    ),
}
TEAM_SEGMENT = {"Enterprise": "Enterprise", "Mid-Market": "Mid-Market", "Scale": "SMB"}
PREFIXES = [
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Aperture",
    "Black Mesa",
    "Oscorp",
    "Pied Piper",
    "Monarch",
    "Gringotts",
    "Massive",
    "Dunder",
    "Blue Sun",
    "Nakatomi",
    "Zenith",
    "Polar",
    "Summit",
    "Harbor",
    "Evergreen",
    "Silverline",
    "Bluepeak",
    "Redwood",
    "Ironclad",
    "Brightwave",
    "Quantum",
    "Orbit",
    "Cobalt",
    "Lumen",
    "Atlas",
    "Beacon",
    "Crescent",
]
SUFFIXES = [
    "Systems",
    "Logistics",
    "Health",
    "Analytics",
    "Foods",
    "Bank",
    "Retail",
    "Energy",
    "Labs",
    "Media",
    "Motors",
    "Insurance",
    "Software",
    "Partners",
    "Networks",
]
INDUSTRIES = [
    "SaaS",
    "Fintech",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Logistics",
    "Education",
    "Media",
]
REGIONS = ["NA", "EMEA", "APAC", "LATAM"]
WORDS_GOOD = ["partner", "trusted", "strategic", "collaborative", "loyal"]
WORDS_SHORT = ["transactional", "vendor", "tense", "frustrated", "price-driven"]
# Monthly support cost as a share of MRR (cost-to-serve input for the margin).
SUPPORT_COST_SHARES = [0, 0.02, 0.05, 0.05, 0.1, 0.1, 0.15, 0.2, 0.3, 0.6, 0.9, 1.1]
ARR_RANGE = {
    "Enterprise": (120_000, 900_000),
    "Mid-Market": (30_000, 150_000),
    "SMB": (4_000, 30_000),
}
EMPLOYEES = {"Enterprise": (1_000, 40_000), "Mid-Market": (200, 1_000), "SMB": (10, 200)}


def seed(*, rng, today, stdout, accounts: int = 300, **_) -> None:
    segments = {}
    for name, (description, required, experience) in SEGMENTS.items():
        segments[name], _ = Segment.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "required_outcome": required,
                "appropriate_experience": experience,
            },
        )
    csms = list(User.objects.filter(role="csm", team__isnull=False).select_related("team"))
    existing = set(
        Account.objects.filter(external_id__startswith="demo-").values_list(
            "external_id", flat=True
        )
    )
    to_create = []
    with Progress("accounts", accounts, stream=stdout) as progress:
        for i in range(accounts):
            external_id = f"demo-{i + 1:04d}"
            # Draw every random number even for existing rows so re-runs stay deterministic.
            csm = csms[i % len(csms)] if csms else None
            segment_name = TEAM_SEGMENT.get(csm.team.name, "SMB") if csm else "SMB"
            low, high = ARR_RANGE[segment_name]
            arr = Decimal(round(rng.uniform(low, high), -2))
            name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)}"
            stage = rng.choices(
                [
                    Stage.PROSPECT,
                    Stage.ONBOARDING,
                    Stage.ADOPTION,
                    Stage.MATURE,
                    Stage.RENEWAL,
                    Stage.CHURNED,
                ],
                weights=[6, 12, 25, 40, 12, 5],
            )[0]
            start = today - timedelta(days=rng.randint(60, 1500))
            renewal = today + timedelta(days=rng.randint(5, 360))
            emp_low, emp_high = EMPLOYEES[segment_name]
            word = rng.choice(WORDS_GOOD if rng.random() < 0.7 else WORDS_SHORT)
            industry = rng.choice(INDUSTRIES)
            region = rng.choice(REGIONS)
            employees = rng.randint(emp_low, emp_high)
            seats = max(5, employees // rng.randint(3, 12))
            churned = today - timedelta(days=rng.randint(1, 60)) if stage == Stage.CHURNED else None
            support_share = Decimal(str(rng.choice(SUPPORT_COST_SHARES)))
            discount = Decimal(rng.choice([0, 0, 5, 10, 20, 35]))
            if external_id not in existing:
                to_create.append(
                    Account(
                        name=name,
                        external_id=external_id,
                        domain=name.lower().replace(" ", "") + ".example",
                        industry=industry,
                        employee_count=employees,
                        region=region,
                        segment=segments[segment_name],
                        stage=stage,
                        owner=csm,
                        arr=arr,
                        mrr=(arr / 12).quantize(Decimal("0.01")),
                        seats=seats,
                        contract_start=None if stage == Stage.PROSPECT else start,
                        renewal_date=None if stage in (Stage.PROSPECT, Stage.CHURNED) else renewal,
                        churned_on=churned,
                        relationship_word=word,
                        strategy_3m="Stabilise the rollout and close open tickets.",
                        strategy_6m="Expand to a second department.",
                        strategy_12m="Executive sponsorship and a multi-year renewal.",
                        strategy_18m="Become a reference customer in their industry.",
                        hourly_cost=Decimal("95"),
                        # Most accounts cost little to serve; about one in six is a heavy
                        # support load or deeply discounted, so the quadrant has all four.
                        monthly_support_cost=(arr / 12 * support_share).quantize(Decimal("1")),
                        discount_pct=discount,
                    )
                )
            progress.advance()
    Account.objects.bulk_create(to_create, batch_size=500)
    stdout.write(f"accounts: {len(to_create)} created, {len(existing)} already there")
    from accounts.demo_history import seed_history

    seed_history(rng=rng, today=today, stdout=stdout)
