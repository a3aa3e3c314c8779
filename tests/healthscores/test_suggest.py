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


def _lifecycle_observations(seed: int, accounts: int = 1500, dates: int = 6):
    """Accounts seen at several dates, a third of them new (tenure under 90 days): at the same
    usage a new account churns about three times as often, and its usage matters more."""
    rng = np.random.default_rng(seed)
    account = np.repeat(np.arange(accounts), dates)
    new = np.repeat(rng.random(accounts) < 0.35, dates)
    tenure = np.where(new, rng.integers(0, 90, len(account)), rng.integers(90, 900, len(account)))
    engagement = np.repeat(rng.normal(0, 1, accounts), dates) + rng.normal(0, 0.4, len(account))
    logins = engagement + rng.normal(0, 0.3, len(account))
    logit = -2.8 + 1.2 * new - (0.6 + 0.6 * new) * engagement
    label = (rng.random(len(account)) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return np.column_stack([logins]), label, account, tenure.astype(float), new


def test_the_parts_of_a_lifecycle_suggestion_share_one_risk_scale():
    """GIVEN new accounts that churn more than established ones at the same usage WHEN weights
    are suggested by lifecycle THEN the new part's points end below the established part's
    (its best account is riskier), the same score means about the same churn in both parts,
    and the pooled scores rank churn better than the parts scaled 0-100 each on their own."""
    from healthscores.services.backtest import overall_scores
    from healthscores.services.backtest_metrics import auc
    from healthscores.services.suggest import lifecycle_suggest, rules_from_suggestion

    raws, labels, accounts, tenure, new = _lifecycle_observations(seed=3)
    rules = [_rule("logins")]
    suggestion = lifecycle_suggest(rules, raws, labels, accounts, tenure, new_days=90)
    parts = suggestion["parts"]
    assert parts["new"]["points"][1] < parts["established"]["points"][1]
    assert parts["established"]["points"][0] > parts["new"]["points"][0]
    assert parts["new"]["points"][0] >= 0 and parts["established"]["points"][1] <= 100
    churn = [row["churn"] for row in suggestion["risk_scale"]]
    assert churn == sorted(churn, reverse=True)  # more points, less risk
    suggested, columns = rules_from_suggestion(rules, suggestion)
    scores = overall_scores(suggested, raws, tenure=tenure, new_days=90, columns=columns)
    # read through the one risk scale, the points of either part give its churn rate
    worst, best = suggestion["log_odds"]["worst"], suggestion["log_odds"]["best"]
    risk = 1 / (1 + np.exp(-(worst + (best - worst) * scores / 100)))
    for mask in (new, ~new):
        assert abs(risk[mask].mean() - labels[mask].mean()) < 0.02
    assert labels[new].mean() > 2 * labels[~new].mean()
    # each part on its own 0-100 scale (the previous suggestion) ranks the pool worse
    own = np.zeros(len(labels))
    for mask in (new, ~new):
        apart = weights_suggest(rules, raws[mask], labels[mask], accounts[mask])
        part_rules, part_columns = rules_from_suggestion(rules, apart)
        own[mask] = overall_scores(part_rules, raws[mask], columns=part_columns)
    assert auc(scores, labels) > auc(own, labels) + 0.02
    # within each part the order is the part's own fit: the same ranking
    for mask in (new, ~new):
        assert abs(auc(scores[mask], labels[mask]) - auc(own[mask], labels[mask])) < 0.01
