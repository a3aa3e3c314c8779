"""Suggested weights that generalise: a regularised model turned into a readable scorecard.

Method (docs/ARCHITECTURE.md, "Validation"): each measure's raw value is expanded on learned
breakpoints (its training quantiles) into a piecewise-linear basis plus a "no data" flag; an
L2 logistic regression of churn on those columns is fitted on the pooled, embargoed training
observations, its penalty chosen by cross-validation with folds grouped by account (an
account never trains and validates the same fold). Each measure's fitted curve is then made
monotone in the direction the scorecard says is good (isotonic regression); a measure whose
data points the other way is reported and left out, one without signal too, and the model is
refitted without them. The weight of a measure is the range of its curve in log-odds, and its
scoring curve maps raw values to 0-100 points: the overall score is then a linear function of
the model's risk, so it ranks accounts as the model does, and a CSM reads each measure as
"this much usage earns this many points".
"""

from dataclasses import dataclass

import numpy as np

from .measures import MeasureRule

KNOTS = 6  # quantile breakpoints per measure (5 segments)
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
CV_FOLDS = 5
CV_MAX_OBSERVATIONS = 60_000  # cross-validation sample (whole accounts); the final fit uses all
FIT_MAX_OBSERVATIONS = 300_000
MIN_RANGE = 0.02  # a curve spanning less than this in log-odds carries no signal
SEED = 13
# Newton steps on the (few) basis columns: the same L2 optimum as L-BFGS, in a handful of
# iterations however collinear the columns are (L-BFGS took hundreds on these bases).
SOLVER = "newton-cholesky"


@dataclass
class Basis:
    """One measure's columns: the knots of its piecewise-linear expansion."""

    knots: np.ndarray

    def columns(self, raw: np.ndarray) -> np.ndarray:
        missing = np.isnan(raw)
        x = np.where(missing, self.knots[0], raw)
        parts = []
        for lo, hi in zip(self.knots[:-1], self.knots[1:], strict=True):
            parts.append((np.clip(x, lo, hi) - lo) / (hi - lo))
        parts.append(missing.astype(float))
        return np.column_stack(parts)


def basis_for(raw: np.ndarray) -> Basis | None:
    """Knots at the training quantiles (the distinct values when there are few, e.g. a
    lifecycle stage); None when the measure never varies."""
    values = raw[~np.isnan(raw)]
    if len(values) == 0:
        return None
    distinct = np.unique(values)
    if len(distinct) <= KNOTS:
        knots = distinct
    else:
        knots = np.unique(np.quantile(values, np.linspace(0.02, 0.98, KNOTS)))
    if len(knots) < 2:
        return None
    return Basis(knots=knots.astype(float))


def _design(raws: np.ndarray, bases: list[Basis]) -> np.ndarray:
    return np.column_stack([b.columns(raws[:, i]) for i, b in enumerate(bases)])


def _account_sample(accounts: np.ndarray, cap: int, rng) -> np.ndarray:
    """Indices of the observations of whole accounts, about `cap` of them."""
    if len(accounts) <= cap:
        return np.arange(len(accounts))
    unique = np.unique(accounts)
    keep = rng.choice(unique, size=max(1, int(len(unique) * cap / len(accounts))), replace=False)
    return np.flatnonzero(np.isin(accounts, keep))


def account_folds(groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds grouped by account: an account's observations at every date are
    all in training or all held out, so the held-out fold never sees a known account."""
    from sklearn.model_selection import GroupKFold

    folds = min(CV_FOLDS, len(np.unique(groups)))
    return list(GroupKFold(n_splits=folds).split(groups, groups, groups))


def penalty_choose(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, list]:
    """The inverse L2 penalty C with the best mean AUC over folds grouped by account."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    folds = account_folds(groups)
    aucs: dict[float, list[float]] = {c: [] for c in C_GRID}
    for train, held in folds:
        if y[train].min() == y[train].max() or y[held].min() == y[held].max():
            continue
        x_train, y_train, x_held = x[train], y[train], x[held]
        # One model per fold along the penalty path, each fit starting from the last one's
        # coefficients (the same optimum, in fewer Newton steps).
        model = LogisticRegression(max_iter=500, solver=SOLVER, warm_start=True)
        for c in C_GRID:
            model.set_params(C=c).fit(x_train, y_train)
            aucs[c].append(roc_auc_score(y[held], model.decision_function(x_held)))
    scores = [
        {"c": c, "auc": round(float(np.mean(aucs[c])), 4) if aucs[c] else None} for c in C_GRID
    ]
    best = max(scores, key=lambda s: (s["auc"] or 0, -s["c"]))
    return best["c"], scores


def _isotonic(values: np.ndarray, increasing: bool) -> tuple[np.ndarray, float]:
    from sklearn.isotonic import IsotonicRegression

    steps = np.arange(len(values), dtype=float)
    fitted = IsotonicRegression(increasing=increasing).fit_transform(steps, values)
    return fitted, float(((fitted - values) ** 2).sum())


def weights_suggest(
    rules: list[MeasureRule], raws: np.ndarray, labels: np.ndarray, accounts: np.ndarray
) -> dict:
    """Suggested rules from training observations: per measure its weight, scoring curve and
    missing policy, or why it is left out; plus the penalty search."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(SEED)
    if labels.sum() < 10 or (1 - labels).sum() < 10:
        return {"measures": [], "note": "Too few churned or retained observations to learn from."}
    left_out: dict[str, str] = {}
    bases: dict[int, Basis] = {}
    for i, rule in enumerate(rules):
        basis = basis_for(raws[:, i])
        if basis is None:
            left_out[rule.key] = "No variation in the training period."
        else:
            bases[i] = basis
    fit_rows = _account_sample(accounts, FIT_MAX_OBSERVATIONS, rng)
    cv_rows = _account_sample(accounts[fit_rows], CV_MAX_OBSERVATIONS, rng)
    c_value, search = None, []
    curves: dict[int, np.ndarray] = {}
    missing_h: dict[int, float] = {}
    for _ in range(len(rules)):  # refit until no measure points the wrong way
        used = [i for i in bases if rules[i].key not in left_out]
        if not used:
            break
        x = _design(raws[fit_rows][:, used], [bases[i] for i in used])
        y, groups = labels[fit_rows], accounts[fit_rows]
        if c_value is None:
            c_value, search = penalty_choose(x[cv_rows], y[cv_rows], groups[cv_rows])
        model = LogisticRegression(C=c_value, max_iter=1000, solver=SOLVER).fit(x, y)
        coef, col = model.coef_[0], 0
        dropped = False
        for i in used:
            width = len(bases[i].knots) - 1
            beta, beta_missing = coef[col : col + width], coef[col + width]
            col += width + 1
            # health (points) rises where churn log-odds fall
            health = -np.concatenate([[0.0], np.cumsum(beta)])
            good_up = rules[i].higher_is_better
            fitted, err = _isotonic(health, increasing=good_up)
            _, err_other = _isotonic(health, increasing=not good_up)
            if err_other < err and np.ptp(health) >= MIN_RANGE:
                way = "more" if good_up else "less"
                left_out[rules[i].key] = (
                    f"Counter-intuitive: in the training period, with the other measures "
                    f"held equal, accounts with {way} of it churned more, not less. Left out; "
                    "check the data or the measure's direction."
                )
                dropped = True
            elif np.ptp(fitted) < MIN_RANGE:
                left_out[rules[i].key] = "No signal in the training period (flat curve)."
                dropped = True
            else:
                curves[i], missing_h[i] = fitted, -beta_missing
        if not dropped:
            break
        curves.clear()
        missing_h.clear()
    measures = []
    total_range = sum(float(np.ptp(c)) for c in curves.values()) or 1.0
    weight_total = sum(r.weight for r in rules)
    for i, rule in enumerate(rules):
        if i not in curves:
            measures.append(
                {
                    "key": rule.key,
                    "label": rule.label,
                    "current_weight": rule.weight,
                    "left_out": left_out.get(rule.key, "Not fitted."),
                }
            )
            continue
        fitted, knots = curves[i], bases[i].knots
        low, span = float(fitted.min()), float(np.ptp(fitted))
        points = [
            [round(float(k), 4), round(100.0 * (h - low) / span, 1)]
            for k, h in zip(knots, fitted, strict=True)
        ]
        missing_score = 100.0 * (missing_h[i] - low) / span
        measures.append(
            {
                "key": rule.key,
                "label": rule.label,
                "current_weight": rule.weight,
                "weight": max(0.1, round(weight_total * span / total_range, 1)),
                "log_odds_range": round(span, 4),
                "curve": points,
                "bad": points[0][0] if rule.higher_is_better else points[-1][0],
                "good": points[-1][0] if rule.higher_is_better else points[0][0],
                "missing_policy": "zero" if missing_score < 25 else "neutral",
                "missing_score": round(float(np.clip(missing_score, -999, 999)), 1),
            }
        )
    kept = [m for m in measures if "curve" in m]
    note = "" if kept else "No measure carried signal in the intuitive direction."
    return {
        "measures": measures,
        "c": c_value,
        "penalty_search": search,
        "training_observations": int(len(fit_rows)),
        "note": note,
    }


def rules_from_suggestion(rules: list[MeasureRule], suggestion: dict) -> list[MeasureRule]:
    """The suggested measures as scoring reads them (left-out measures dropped)."""
    from dataclasses import replace

    by_key = {m["key"]: m for m in suggestion.get("measures", []) if "curve" in m}
    out = []
    for rule in rules:
        m = by_key.get(rule.key)
        if m is None:
            continue
        curve = tuple((float(x), float(y)) for x, y in m["curve"])
        out.append(
            replace(
                rule,
                weight=m["weight"],
                bad=m["bad"],
                good=m["good"],
                missing_policy=m["missing_policy"],
                curve=curve,
                params={**rule.params, "curve": m["curve"]},
            )
        )
    return out
