"""A churn simulator: subscription accounts whose usage and churn follow a hidden engagement.

Each account has a latent weekly engagement: an AR(1) walk around its own level, lower while
it onboards, and with a small chance each week of a lasting decline. Four product-usage
metrics are noisy, correlated read-outs of it (logins and messages scale with seats, replies
are a share of messages, reports only weakly follow engagement). Weekly usage is dated at the
week's end, as the API's back-fill rules ask.

- **behaviour**: the weekly churn hazard rises as engagement is low, as it fell over the last
  eight weeks, and in the first 90 days (then the first year);
- **control**: the same accounts and usage, but each account churns at a random week with the
  same average hazard, whatever it does: any score should rank it at chance (AUC ~ 0.5), the
  guard against a validation that reads the future;
- **outside** (`PROFILES["outside"]`, a year of usage in `make validate-bench`): a variant
  closer to the outside data set of issue 13, harder to predict: churn follows engagement
  weakly except in the first 90 days, account size and price per seat carry part of it (which
  no usage measure sees), and usage is a noisier read-out.

Deterministic for a seed. Pure numpy; `bench/validate.py` loads it through the API.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

METRICS = ("logins", "messages", "replies", "reports")
RANDOM_WEEKLY_HAZARD = 0.0105  # the control's churn: about 13% in 90 days, like the behaviour set


@dataclass
class SimAccount:
    external_id: str
    name: str
    seats: int
    contract_start: date
    churned_on: date | None
    mrr: float


@dataclass
class SimData:
    accounts: list[SimAccount] = field(default_factory=list)
    usage: list[tuple[str, str, date, float]] = field(default_factory=list)  # ext, metric, day, v
    first_week: date | None = None
    last_week: date | None = None


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Profile:
    """How strongly churn follows behaviour, and how noisily usage shows it."""

    intercept: float = -7.0
    engagement: float = 1.0  # churn log-odds per unit of engagement (lower = riskier)
    engagement_new: float = 0.0  # extra weight of engagement in the first 90 days
    change: float = 1.3  # ... per unit of fall over the last 8 weeks
    new: float = 1.0  # extra log-odds in the first 90 days
    first_year: float = 0.4  # ... and in the first year
    small: float = 0.0  # extra log-odds per unit of log seats below the median
    cheap: float = 0.0  # extra log-odds per unit of log price per seat below the median
    usage_noise: float = 0.3  # weekly noise of each metric (log scale)
    style_noise: float = 0.35  # each account's own usage style per metric (log scale)
    price_spread: float = 0.0  # spread of the price per seat (log scale)


PROFILES = {
    "behaviour": Profile(),
    # Closer to the outside set of issue 13 (about 1,400 accounts, a year of weekly usage,
    # 90-day labels; references there 0.63-0.66 overall, 0.73-0.76 under 90 days): churn
    # follows behaviour more weakly and mostly in the first 90 days, account attributes
    # (size, price) carry some of it, and usage is a noisier read-out of engagement.
    "outside": Profile(
        intercept=-6.0,
        engagement=0.3,
        engagement_new=0.9,
        change=0.4,
        new=0.6,
        first_year=0.2,
        small=0.8,
        cheap=0.8,
        usage_noise=0.7,
        style_noise=0.6,
        price_spread=0.5,
    ),
    # Harder still: on our seeds the one above came out easier than the outside set
    # (references 0.70-0.76); here usage barely matters after 90 days and size and price
    # more (references about 0.64-0.70 on seeds 9-11).
    "outside_hard": Profile(
        intercept=-5.6,
        engagement=0.15,
        engagement_new=0.85,
        change=0.3,
        new=0.4,
        first_year=0.1,
        small=1.2,
        cheap=1.2,
        usage_noise=0.9,
        style_noise=0.6,
        price_spread=0.5,
    ),
}


def simulate(
    *,
    accounts: int = 1500,
    weeks: int = 78,
    end: date,
    seed: int = 7,
    random_churn: bool = False,
    prefix: str = "sim",
    profile: Profile | None = None,
) -> SimData:
    """Weekly usage of `accounts` accounts for `weeks` weeks ending on `end` (a week's end),
    and their churn dates (behaviour-driven, or random with `random_churn`)."""
    profile = profile or PROFILES["behaviour"]
    rng = np.random.default_rng(seed)
    week_ends = [end - timedelta(weeks=weeks - 1 - w) for w in range(weeks)]
    first = week_ends[0]
    # A third were customers before the first week (up to three years); the rest sign during
    # the simulated period, until 16 weeks before its end, so every date has new accounts.
    older = rng.random(accounts) < 0.35
    start_offset = np.where(
        older,
        -rng.integers(7, 3 * 365, accounts),
        rng.integers(0, (weeks - 16) * 7, accounts),
    )
    starts = [first + timedelta(days=int(d)) for d in start_offset]
    level = rng.normal(0.0, 0.8, accounts)
    seats = np.maximum(2, np.round(rng.lognormal(2.6, 0.7, accounts))).astype(int)
    metric_bias = rng.normal(0.0, profile.style_noise, (accounts, len(METRICS)))
    # price per seat, from a stream of its own: the other draws stay as they were
    price_rng = np.random.default_rng(seed + 10_000)
    price = 40.0 * np.exp(price_rng.normal(0.0, profile.price_spread, accounts))
    small = np.maximum(0.0, np.median(np.log(seats)) - np.log(seats))
    cheap = np.maximum(0.0, np.median(np.log(price)) - np.log(price))
    # Weeks since start at each simulated week (negative before the start).
    data = SimData(first_week=first, last_week=week_ends[-1])
    engagement = np.zeros((accounts, weeks))
    # Start the walk a year before the first week so older accounts are in their steady state.
    burn_in = 52
    e = level - 1.2 * (start_offset >= -burn_in * 7)  # still onboarding when the walk starts
    drop = np.zeros(accounts)
    history = []
    for w in range(-burn_in, weeks):
        day_index = w * 7
        tenure_weeks = (day_index - start_offset) / 7.0
        onboarding = np.clip(1.0 - tenure_weeks / 13.0, 0.0, 1.0)  # ramps up over 90 days
        declines = rng.random(accounts) < 0.012
        drop = drop + declines * rng.uniform(0.8, 1.8, accounts)
        target = level - 1.2 * onboarding - drop
        e = target + 0.8 * (e - target) + rng.normal(0.0, 0.3, accounts)
        history.append(e.copy())
        if w >= 0:
            engagement[:, w] = e
    history = np.array(history).T  # accounts x (burn_in + weeks)
    churn_week = np.full(accounts, -1)
    alive = np.ones(accounts, dtype=bool)
    for w in range(weeks):
        day_index = w * 7
        tenure_days = day_index - start_offset
        active = alive & (tenure_days >= 0)
        e_now = history[:, burn_in + w]
        change = e_now - history[:, burn_in + w - 8]
        new = tenure_days < 90
        logit = (
            profile.intercept
            - (profile.engagement + profile.engagement_new * new) * e_now
            - profile.change * np.minimum(change, 0.5)
            + profile.new * new
            + profile.first_year * (tenure_days < 365)
            + profile.small * small
            + profile.cheap * cheap
        )
        hazard = _sigmoid(logit)
        if random_churn:
            hazard = np.full(accounts, RANDOM_WEEKLY_HAZARD)
        churns = active & (rng.random(accounts) < hazard)
        churn_week[churns] = w
        alive &= ~churns
    for i in range(accounts):
        ext = f"{prefix}-{i:05d}"
        churned_on = week_ends[churn_week[i]] if churn_week[i] >= 0 else None
        data.accounts.append(
            SimAccount(
                external_id=ext,
                name=f"{prefix.title()} account {i}",
                seats=int(seats[i]),
                contract_start=starts[i],
                churned_on=churned_on,
                mrr=float(round(seats[i] * price[i], 2)),
            )
        )
        for w, week_end in enumerate(week_ends):
            week_start = week_end - timedelta(days=6)
            if week_start < starts[i] or (churned_on is not None and week_end > churned_on):
                continue
            ew = engagement[i, w]
            noise = rng.normal(0.0, profile.usage_noise, len(METRICS))
            logins = rng.poisson(seats[i] * np.exp(0.4 + 0.6 * ew + metric_bias[i, 0] + noise[0]))
            messages = rng.poisson(
                seats[i] * np.exp(-0.2 + 0.5 * ew + metric_bias[i, 1] + noise[1])
            )
            replies = rng.binomial(messages, _sigmoid(-0.4 + 0.6 * ew + noise[2]))
            reports = rng.poisson(np.exp(0.8 + 0.25 * ew + metric_bias[i, 3] + noise[3]))
            for metric, value in zip(METRICS, (logins, messages, replies, reports), strict=True):
                data.usage.append((ext, metric, week_end, float(value)))
    return data
