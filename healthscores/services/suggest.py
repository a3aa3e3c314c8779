"""Suggested weights that generalise: a regularised model turned into a readable scorecard.

Method (docs/ARCHITECTURE.md, "Validation"): each measure's raw value is expanded on learned
breakpoints (its training quantiles) into a piecewise-linear basis plus a "no data" flag; an L2
logistic regression of churn on those columns is fitted on the pooled, embargoed training
observations, its penalty chosen by cross-validation with folds grouped by account (an account never
trains and validates the same fold). A measure whose effect runs the counter-intuitive way is left
out only when that is material (its 95% interval from refits on resampled accounts lies wholly on
the reversed side), with the reason shown; the kept measures are refitted with every curve
constrained to be monotone in the direction the scorecard calls good (non-negative weights, so
collinear measures share the signal instead of cancelling out), and a measure whose constrained
curve is flat is shown as left out for lack of signal. The weight of a measure is the range of its
curve in log-odds, and its scoring curve maps raw values to 0-100 points: the overall score is then
a linear function of the model's risk, so it ranks accounts as the model does, and a CSM reads each
measure as "this much usage earns this many points".
"""

from dataclasses import dataclass

import numpy as np

from scorecards.models import MeasureStage

from .measures import MeasureRule

KNOTS = 6  # quantile breakpoints per measure (5 segments)
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
CV_FOLDS = 5
# Samples of whole accounts for large back-tests (small ones use everything): the models have a
# few dozen coefficients, so beyond these sizes more rows change the fit in the third decimal
# and cost seconds (a 100,000-account, 12-date back-test has 360,000 training observations).
CV_MAX_OBSERVATIONS = 20_000  # the penalty search
FIT_MAX_OBSERVATIONS = 60_000  # the fits
MIN_RANGE = 0.02  # a curve spanning less than this in log-odds carries no signal
BOOTSTRAP_REFITS = 30  # resamples of accounts behind the wrong-way rule's interval
BOOTSTRAP_MAX_OBSERVATIONS = 12_000
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


def _side_by_side(work, items: list) -> list:
    """`work` of every item, in order, on two threads: the fits are NumPy and BLAS work that
    releases the GIL, so a suggestion uses both cores of a small worker machine."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(work, items))


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

    def path(fold) -> dict[float, float] | None:
        train, held = fold
        if y[train].min() == y[train].max() or y[held].min() == y[held].max():
            return None
        x_train, y_train, x_held = x[train], y[train], x[held]
        # One model per fold along the penalty path, each fit starting from the last one's
        # coefficients (the same optimum, in fewer Newton steps).
        model = LogisticRegression(max_iter=500, solver=SOLVER, warm_start=True)
        found = {}
        for c in C_GRID:
            model.set_params(C=c).fit(x_train, y_train)
            found[c] = roc_auc_score(y[held], model.decision_function(x_held))
        return found

    aucs: dict[float, list[float]] = {c: [] for c in C_GRID}
    for found in _side_by_side(path, account_folds(groups)):
        for c, value in (found or {}).items():
            aucs[c].append(value)
    scores = [
        {"c": c, "auc": round(float(np.mean(aucs[c])), 4) if aucs[c] else None} for c in C_GRID
    ]
    best = max(scores, key=lambda s: (s["auc"] or 0, -s["c"]))
    return best["c"], scores


def _monotone_fit(
    x: np.ndarray, y: np.ndarray, bounds: list, c: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """L2 logistic regression (sklearn's objective: C x log-loss + half the squared weights,
    intercept unpenalised) with each coefficient kept within its bounds: the segment slopes of
    a measure may only lower churn risk in the direction the scorecard calls good. `start`
    (coefficients, then the intercept): where the search begins, e.g. the unconstrained fit
    clipped to the bounds (the same optimum, in fewer steps)."""
    from scipy.optimize import minimize

    n, p = x.shape
    scale = 1.0 / n

    def loss(theta):
        w, b = theta[:p], theta[p]
        z = x @ w + b
        value = c * float(np.sum(np.logaddexp(0.0, z) - y * z)) + 0.5 * float(w @ w)
        residual = c * (1.0 / (1.0 + np.exp(-z)) - y)
        grad = np.concatenate([x.T @ residual + w, [residual.sum()]])
        return value * scale, grad * scale

    if start is None:
        prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        start = np.zeros(p + 1)
        start[p] = np.log(prior / (1 - prior))
    result = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
        options={"maxiter": 2000},
    )
    return result.x[:p], float(result.x[p])


def _columns(bases: dict, used: list[int]) -> list[tuple[int, int]]:
    """(first column, number of segment columns) of each used measure in the design."""
    out, col = [], 0
    for i in used:
        width = len(bases[i].knots) - 1
        out.append((col, width))
        col += width + 1  # the segments, then the "no data" flag
    return out


def _intuitive_effects(coef: np.ndarray, spans: list[tuple[int, int]], rules, used) -> np.ndarray:
    """Per measure: how much lower churn log-odds are at the top of its training range (98th
    percentile) than at the bottom (2nd), in the direction the scorecard calls good, with the
    other measures held equal. Negative = the measure points the counter-intuitive way."""
    effects = []
    for (col, width), i in zip(spans, used, strict=True):
        change = float(coef[col : col + width].sum())  # log-odds, bottom to top of the range
        effects.append(-change if rules[i].higher_is_better else change)
    return np.array(effects)


def _reversal_intervals(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float, spans, rules, used, rng
) -> np.ndarray:
    """95% intervals (rows: low, high) of each measure's intuitive effect, from refits on
    resamples of whole accounts (an account's dates are not independent observations)."""
    from sklearn.linear_model import LogisticRegression

    unique, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    members = [order[bounds[k] : bounds[k + 1]] for k in range(len(unique))]
    resamples = [rng.integers(0, len(unique), len(unique)) for _ in range(BOOTSTRAP_REFITS)]

    def refit(picked) -> np.ndarray | None:
        rows = np.concatenate([members[k] for k in picked])
        if y[rows].min() == y[rows].max():
            return None
        model = LogisticRegression(C=c, max_iter=500, solver=SOLVER).fit(x[rows], y[rows])
        return _intuitive_effects(model.coef_[0], spans, rules, used)

    draws = [d for d in _side_by_side(refit, resamples) if d is not None]
    if not draws:
        return np.full((2, len(used)), np.nan)
    return np.quantile(np.array(draws), [0.025, 0.975], axis=0)


def _reversed_reason(rule: MeasureRule, effect: float, interval: tuple[float, float]) -> str:
    way = "more" if rule.higher_is_better else "less"
    return (
        f"Counter-intuitive: in the training period, with the other measures held equal, "
        f"accounts with {way} of it churned more, not less (effect {effect:+.2f} in log-odds "
        f"of churn across its range, 95% interval by account {interval[0]:+.2f} to "
        f"{interval[1]:+.2f}: it excludes no effect). Left out; check the data or the "
        "measure's direction."
    )


def weights_suggest(
    rules: list[MeasureRule], raws: np.ndarray, labels: np.ndarray, accounts: np.ndarray
) -> dict:
    """Suggested rules from training observations: per measure its weight, scoring curve and
    missing policy, or why it is left out; plus the penalty search.

    Three steps. (1) An unconstrained L2 fit on every measure with variation, the penalty
    chosen by cross-validation grouped by account. (2) The wrong-way rule: a measure whose
    fitted effect runs against the direction the scorecard calls good is left out only when
    the reversal is material, i.e. its 95% interval from refits on resampled accounts lies
    wholly on the reversed side; a measure reversed by its point estimate alone (typically
    collinear with a stronger one) stays. (3) A refit of the kept measures with every curve
    constrained to be monotone in the intuitive direction, so each weight is >= 0 and a
    collinear measure takes the share of signal it carries; a measure whose constrained
    curve is flat is shown as left out for lack of signal, never floored to a weight.
    """
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
    y, groups = labels[fit_rows], accounts[fit_rows]
    c_value, search = None, []
    curves: dict[int, np.ndarray] = {}
    missing_h: dict[int, float] = {}
    effects: dict[str, dict] = {}
    used = list(bases)
    if used:
        x = _design(raws[fit_rows][:, used], [bases[i] for i in used])
        c_value, search = penalty_choose(x[cv_rows], y[cv_rows], groups[cv_rows])
        spans = _columns(bases, used)
        free = LogisticRegression(C=c_value, max_iter=1000, solver=SOLVER).fit(x, y)
        point = _intuitive_effects(free.coef_[0], spans, rules, used)
        if (point < 0).any():
            boot_rows = _account_sample(groups, BOOTSTRAP_MAX_OBSERVATIONS, rng)
            intervals = _reversal_intervals(
                x[boot_rows], y[boot_rows], groups[boot_rows], c_value, spans, rules, used, rng
            )
        else:
            intervals = np.full((2, len(used)), np.nan)
        for k, i in enumerate(used):
            low, high = intervals[0, k], intervals[1, k]
            effects[rules[i].key] = {
                "effect": round(float(point[k]), 4),
                "interval": None
                if np.isnan(low)
                else [round(float(low), 4), round(float(high), 4)],
            }
            if point[k] < 0 and not np.isnan(high) and high < 0:
                left_out[rules[i].key] = _reversed_reason(rules[i], point[k], (low, high))
        kept = [i for i in used if rules[i].key not in left_out]
        if kept:
            x = _design(raws[fit_rows][:, kept], [bases[i] for i in kept])
            bounds = []
            for i in kept:
                width = len(bases[i].knots) - 1
                slope = (None, 0.0) if rules[i].higher_is_better else (0.0, None)
                bounds += [slope] * width + [(None, None)]
            # start from the unconstrained fit's coefficients of the kept measures, clipped
            where = dict(zip(used, spans, strict=True))
            columns = np.concatenate(
                [np.arange(where[i][0], where[i][0] + where[i][1] + 1) for i in kept]
            )
            low = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
            high = np.array([np.inf if b[1] is None else b[1] for b in bounds])
            start = np.append(np.clip(free.coef_[0][columns], low, high), free.intercept_[0])
            coef, intercept = _monotone_fit(x, y.astype(float), bounds, c_value, start)
            for (col, width), i in zip(_columns(bases, kept), kept, strict=True):
                beta, beta_missing = coef[col : col + width], coef[col + width]
                # health (points) rises where churn log-odds fall
                health = -np.concatenate([[0.0], np.cumsum(beta)])
                if np.ptp(health) < MIN_RANGE:
                    left_out[rules[i].key] = (
                        "No signal in the intuitive direction once the other measures are held "
                        "equal (a flat curve: weight 0). Left out."
                    )
                else:
                    curves[i], missing_h[i] = health, -beta_missing
    measures = []
    total_range = sum(float(np.ptp(c)) for c in curves.values()) or 1.0
    # The churn log-odds of the kept measures' model at its worst and best accounts (every
    # curve at its bottom, then at its top): the score's 0 and 100 points (`risk_scale`).
    worst = (intercept - sum(float(c.min()) for c in curves.values())) if curves else None
    weight_total = sum(r.weight for r in rules)
    for i, rule in enumerate(rules):
        effect = effects.get(rule.key)
        if i not in curves:
            measures.append(
                {
                    "key": rule.key,
                    "label": rule.label,
                    "current_weight": rule.weight,
                    "left_out": left_out.get(rule.key, "Not fitted."),
                    **({"effect": effect} if effect else {}),
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
                **({"effect": effect} if effect else {}),
            }
        )
    kept_measures = [m for m in measures if "curve" in m]
    note = "" if kept_measures else "No measure carried signal in the intuitive direction."
    out = {
        "measures": measures,
        "c": c_value,
        "penalty_search": search,
        "training_observations": int(len(fit_rows)),
        "note": note,
    }
    if curves:
        out["log_odds"] = {
            "worst": round(float(worst), 4),
            "best": round(float(worst - total_range), 4),
        }
        out["risk_scale"] = risk_scale(out["log_odds"]["worst"], out["log_odds"]["best"])
    return out


def risk_scale(worst: float, best: float) -> list[dict]:
    """What a suggested score means: the fitted chance of churn within the horizon at every
    tenth point, when 0 points are the log-odds `worst` and 100 points `best` (the overall
    score of a suggestion is linear in the model's log-odds)."""
    rows = []
    for score in range(0, 101, 10):
        log_odds = worst + (best - worst) * score / 100.0
        rows.append({"score": score, "churn": round(float(1.0 / (1.0 + np.exp(-log_odds))), 4)})
    return rows


def _new_part_key(key: str, taken: set[str]) -> str:
    """The key of a new-accounts copy of a measure for all accounts: `<key>-new` (unique)."""
    base = f"{key[:36]}-new"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{key[:33]}-new{n}", n + 1
    return candidate


def lifecycle_suggest(
    rules: list[MeasureRule],
    raws: np.ndarray,
    labels: np.ndarray,
    accounts: np.ndarray,
    tenure: np.ndarray,
    new_days: int | None,
) -> dict:
    """The suggestion for a scorecard, fitted separately for new accounts (tenure under
    `new_days`) and established ones when `new_days` is given, else on all accounts together.

    Each suggested measure names its `source_key` (the measure it was learned from) and its
    `stage`; a measure for all accounts fitted in both parts becomes two: the established one
    keeps its key, the new one is `<key>-new`. A part with too few churners to learn from gets
    the fit on all accounts (its note says so)."""
    if not new_days:
        suggestion = weights_suggest(rules, raws, labels, accounts)
        by_key = {rule.key: rule for rule in rules}
        for m in suggestion["measures"]:
            m["source_key"], m["stage"] = m["key"], by_key[m["key"]].stage
        return suggestion
    is_new = np.nan_to_num(tenure, nan=np.inf) < new_days
    taken = {rule.key for rule in rules}
    measures, parts, pooled, scales = [], {}, None, {}
    for part, mask in ((MeasureStage.NEW, is_new), (MeasureStage.ESTABLISHED, ~is_new)):
        index = [i for i, rule in enumerate(rules) if rule.stage in (MeasureStage.ALL, part)]
        part_rules = [rules[i] for i in index]
        fitted = weights_suggest(part_rules, raws[mask][:, index], labels[mask], accounts[mask])
        note = fitted.get("note", "")
        if not any("curve" in m for m in fitted["measures"]):
            if pooled is None:
                pooled = weights_suggest(rules, raws, labels, accounts)
            pooled_by_key = {m["key"]: m for m in pooled["measures"]}
            fitted = {**pooled, "measures": [dict(pooled_by_key[r.key]) for r in part_rules]}
            note = (
                f"Too little to learn from in this part alone ({int(mask.sum())} observations, "
                f"{int(labels[mask].sum())} churned): it takes the fit on all accounts."
            )
        scales[part] = fitted.get("log_odds")
        for m, rule in zip(fitted["measures"], part_rules, strict=True):
            m["source_key"], m["stage"] = rule.key, part
            if part == MeasureStage.NEW and rule.stage == MeasureStage.ALL:
                m["key"] = _new_part_key(rule.key, taken)
                taken.add(m["key"])
            measures.append(m)
        parts[part] = {
            "observations": int(mask.sum()),
            "churned": int(labels[mask].sum()),
            "c": fitted.get("c"),
            "penalty_search": fitted.get("penalty_search", []),
            "note": note,
        }
    kept = [m for m in measures if "curve" in m]
    out = {
        "new_days": int(new_days),
        "measures": measures,
        "parts": parts,
        "c": parts[MeasureStage.ESTABLISHED]["c"],
        "penalty_search": parts[MeasureStage.ESTABLISHED]["penalty_search"],
        "training_observations": int(len(labels)),
        "note": "" if kept else "No measure carried signal in the intuitive direction.",
    }
    if all(scales.values()):
        out.update(_common_scale(measures, parts, scales))
    return out


def _common_scale(measures: list[dict], parts: dict, scales: dict) -> dict:
    """Put the parts of a lifecycle suggestion on one risk scale, in place: the same score
    means the same fitted chance of churn whichever part scores the account.

    Each part's model is fitted on its own accounts, so its log-odds already carry its base
    rate (new accounts churn more at the same usage). 0 points become the worst log-odds of
    either part and 100 the best of either; a part's measures then award points from the
    part's floor (its own worst account) to its ceiling (its best), every curve of the part
    squeezed onto that span. Weights within a part stay its curves' log-odds ranges, so a
    part's overall score is still linear in its model's log-odds, with the same slope in
    both parts: pooled, the scores rank new and established accounts by one risk."""
    worst = max(scale["worst"] for scale in scales.values())
    best = min(scale["best"] for scale in scales.values())
    span = (worst - best) or 1.0
    for part, scale in scales.items():
        floor = float(100.0 * (worst - scale["worst"]) / span)
        ceiling = float(100.0 * (worst - scale["best"]) / span)
        parts[part]["points"] = [round(floor, 1), round(ceiling, 1)]
        for m in measures:
            if m["stage"] != part or "curve" not in m:
                continue
            m["curve"] = [
                [x, round(floor + (ceiling - floor) * y / 100.0, 1)] for x, y in m["curve"]
            ]
            missing = floor + (ceiling - floor) * m["missing_score"] / 100.0
            m["missing_score"] = round(float(np.clip(missing, -999, 999)), 1)
            m["missing_policy"] = "zero" if missing < 25 else "neutral"
    return {
        "log_odds": {"worst": round(worst, 4), "best": round(best, 4)},
        "risk_scale": risk_scale(worst, best),
        "calibration": (
            "Both parts on one risk scale: the same score means the same fitted chance of "
            "churn for a new and an established account (points of each part in `parts`)."
        ),
    }


def rules_from_suggestion(
    rules: list[MeasureRule], suggestion: dict
) -> tuple[list[MeasureRule], list[int]]:
    """The suggested measures as scoring reads them (left-out measures dropped), and for each
    the column of the source measure's raw values it reads."""
    from dataclasses import replace

    column = {rule.key: i for i, rule in enumerate(rules)}
    out, columns = [], []
    for m in suggestion.get("measures", []):
        source = m.get("source_key", m["key"])
        if "curve" not in m or source not in column:
            continue
        rule = rules[column[source]]
        curve = tuple((float(x), float(y)) for x, y in m["curve"])
        out.append(
            replace(
                rule,
                key=m["key"],
                stage=m.get("stage", rule.stage),
                weight=m["weight"],
                bad=m["bad"],
                good=m["good"],
                missing_policy=m["missing_policy"],
                curve=curve,
                params={**rule.params, "curve": m["curve"]},
            )
        )
        columns.append(column[source])
    return out, columns
