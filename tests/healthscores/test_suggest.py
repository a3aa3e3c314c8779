"""The suggestion's wrong-way rule: a reversal by point estimate is not enough to leave a
measure out; a material one (its interval by account on the reversed side) is."""

import numpy as np

from healthscores.services.measures import MeasureRule
from healthscores.services.suggest import weights_suggest


def _rule(key: str, higher_is_better: bool = True) -> MeasureRule:
    bad, good = (0.0, 1.0) if higher_is_better else (1.0, 0.0)
    return MeasureRule(
        key=key,
        label=key.title(),
        kind="usage",
        weight=10,
        bad=bad,
        good=good,
        missing_policy="exclude",
        unit="",
        params={},
    )


def _observations(seed: int, accounts: int = 600, dates: int = 6):
    """Accounts seen at several dates: churn falls with a latent engagement read by
    `logins`; `sessions` is a noisier read-out of logins (collinear and harmless: no signal
    of its own once logins are known); `discount` is independent of engagement and
    raises churn although the scorecard says more of it is better."""
    rng = np.random.default_rng(seed)
    account = np.repeat(np.arange(accounts), dates)
    level = np.repeat(rng.normal(0, 1, accounts), dates)
    engagement = level + rng.normal(0, 0.4, len(account))
    logins = engagement + rng.normal(0, 0.3, len(account))
    sessions = 0.5 * logins + rng.normal(0, 0.8, len(account))
    discount = np.repeat(rng.normal(0, 1, accounts), dates)
    logit = -2.2 - 1.1 * engagement + 0.9 * discount
    label = (rng.random(len(account)) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return np.column_stack([logins, sessions, discount]), label, account


def test_a_collinear_measure_stays_and_a_materially_reversed_one_is_left_out():
    """GIVEN logins, a collinear copy whose own point estimate is slightly reversed, and a
    measure that truly raises churn while the scorecard calls more of it good WHEN weights are
    suggested THEN the copy keeps a weight >= 0 (its interval reaches zero) and only the truly
    reversed one is left out, with the reason and its interval shown."""
    raws, labels, accounts = _observations(seed=7)
    rules = [_rule("logins"), _rule("sessions"), _rule("discount")]
    suggestion = weights_suggest(rules, raws, labels, accounts)
    by_key = {m["key"]: m for m in suggestion["measures"]}
    sessions, discount = by_key["sessions"], by_key["discount"]
    # the old rule (point estimate) would have dropped the copy
    assert sessions["effect"]["effect"] < 0
    low, high = sessions["effect"]["interval"]
    assert low < 0 < high
    assert "left_out" not in sessions and sessions["weight"] > 0
    assert "left_out" not in by_key["logins"] and by_key["logins"]["weight"] > sessions["weight"]
    assert discount["left_out"].startswith("Counter-intuitive")
    assert discount["effect"]["interval"][1] < 0 and "95% interval" in discount["left_out"]
    for m in (by_key["logins"], sessions):  # monotone curves from 0 to 100 points
        points = [p[1] for p in m["curve"]]
        assert points == sorted(points) and points[0] == 0 and points[-1] == 100


def test_a_measure_whose_direction_is_declared_right_is_never_left_out_as_reversed():
    """The same data with `discount` declared lower-is-better: it is kept with a weight."""
    raws, labels, accounts = _observations(seed=7)
    rules = [_rule("logins"), _rule("sessions"), _rule("discount", higher_is_better=False)]
    by_key = {m["key"]: m for m in weights_suggest(rules, raws, labels, accounts)["measures"]}
    assert by_key["discount"]["weight"] > 0 and by_key["discount"]["effect"]["effect"] > 0
    points = [p[1] for p in by_key["discount"]["curve"]]
    assert points == sorted(points, reverse=True)
