"""How well a score ranks churn: AUC (with a bootstrap clustered by account), lift, calibration.

Pure numpy over arrays of observations (one per account and date). Scores are the product's
whole 0-100 points, so the AUC is computed from two 101-bin histograms: exact, with ties
counted half, and cheap enough to bootstrap a million observations a few hundred times.
A lower score means more risk: the AUC is the chance that a churner scored lower than a
customer who stayed.
"""

from dataclasses import dataclass

import numpy as np

BOOTSTRAP_ROUNDS = 200
# what `summary` reports of a group (a group equal to the whole period reuses the period's)
SUMMARY_KEYS = ("observations", "accounts", "churned", "churn_rate", "auc", "auc_ci")
SUMMARY_KEYS += ("top_decile_lift",)
BOOTSTRAP_SEED = 13
TENURE_BANDS = (("new", "< 90 days", 0, 90), ("growing", "90–365 days", 90, 366))
TENURE_BANDS += (("established", "> 365 days", 366, None),)


@dataclass
class Observations:
    """Parallel arrays, one entry per (account, date) observation."""

    date_index: np.ndarray  # int: index into the back-test's dates
    account: np.ndarray  # int: account id
    segment: np.ndarray  # int: segment id, 0 for none
    tenure: np.ndarray  # float: days as a customer, nan when unknown
    label: np.ndarray  # int 0/1: churned within the horizon
    raws: np.ndarray  # float (n, measures): raw measure values, nan when missing

    def take(self, mask: np.ndarray) -> "Observations":
        return Observations(
            self.date_index[mask],
            self.account[mask],
            self.segment[mask],
            self.tenure[mask],
            self.label[mask],
            self.raws[mask],
        )

    def __len__(self) -> int:
        return len(self.label)


def _histograms(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None):
    s = np.clip(np.asarray(scores, dtype=np.int64), 0, 100)
    w = np.ones(len(s)) if weights is None else weights
    pos = np.bincount(s, weights=w * labels, minlength=101)
    neg = np.bincount(s, weights=w * (1 - labels), minlength=101)
    return pos, neg


def auc_from_histograms(pos: np.ndarray, neg: np.ndarray) -> float | None:
    """P(a churner's score < a stayer's) + half P(equal), from per-score counts."""
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos <= 0 or n_neg <= 0:
        return None
    stayers_above = np.cumsum(neg[::-1])[::-1] - neg  # stayers scoring strictly higher
    return float((pos * (stayers_above + 0.5 * neg)).sum() / (n_pos * n_neg))


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    return auc_from_histograms(*_histograms(scores, labels))


def _aucs_from_histograms(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """`auc_from_histograms` of every row of (rounds, 101) histograms; nan without both."""
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    stayers_above = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1] - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (pos * (stayers_above + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), value, np.nan)


class AccountResample:
    """Bootstrap resamples of whole accounts (an account seen at twelve dates is one unit of
    evidence, not twelve), drawn once and shared by every group a back-test reports: a
    group's interval is its AUC under resamples of the whole sample.

    Each group's score histograms (churners, stayers) per account are built once; a round's
    histograms are then its resample counts times those (one sparse product for all rounds),
    not a pass over every observation per round."""

    def __init__(self, accounts: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS):
        self.accounts = np.unique(accounts)
        n = len(self.accounts)
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        # float32: exact for the integer counts and sums involved, half the memory traffic.
        self.counts = np.empty((n, rounds), dtype=np.float32)
        for r in range(rounds if n else 0):
            self.counts[:, r] = np.bincount(rng.integers(0, n, n), minlength=n)

    def positions(self, accounts: np.ndarray) -> np.ndarray:
        """Where the observations' accounts are among this resample's."""
        return np.searchsorted(self.accounts, accounts)

    def rounds(
        self, scores: np.ndarray, labels: np.ndarray, cluster: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (churners, stayers) score histograms of every resample, (rounds, 101) each.
        Histograms add up: a group's are the sum of its disjoint parts'."""
        from scipy.sparse import csr_matrix

        s = np.clip(np.asarray(scores, dtype=np.int64), 0, 100)
        shape = (101, len(self.accounts))
        pos, neg = (
            csr_matrix((weight.astype(np.float32), (s, cluster)), shape=shape)
            for weight in (labels, 1 - labels)
        )
        return (pos @ self.counts).T.astype(float), (neg @ self.counts).T.astype(float)

    def interval(
        self,
        scores: np.ndarray,
        labels: np.ndarray,
        cluster: np.ndarray,
        rounds: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[float, float] | None:
        """95% interval of the AUC of these observations (`cluster`: their `positions`;
        `rounds`: their resample histograms when already known)."""
        if len(scores) == 0 or labels.min() == labels.max():
            return None
        aucs = _aucs_from_histograms(*(rounds or self.rounds(scores, labels, cluster)))
        values = aucs[~np.isnan(aucs)]
        if not len(values):
            return None
        low, high = np.percentile(values, [2.5, 97.5])
        return round(float(low), 4), round(float(high), 4)


def auc_interval(
    scores: np.ndarray, labels: np.ndarray, accounts: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS
) -> tuple[float, float] | None:
    """95% interval of the AUC, resampling these observations' accounts with replacement."""
    if len(scores) == 0 or labels.min() == labels.max():
        return None
    resample = AccountResample(accounts, rounds)
    return resample.interval(scores, labels, resample.positions(accounts))


def top_decile_lift(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Churn rate among the lowest-scored tenth over the overall churn rate (ties at the cut
    taken in observation order, as a stable sort would)."""
    n = len(scores)
    if n == 0 or labels.sum() == 0:
        return None
    k = max(1, int(np.ceil(n / 10)))
    cut = np.partition(scores, k - 1)[k - 1]  # the k-th lowest score
    below = scores < cut
    at_cut = np.flatnonzero(scores == cut)[: k - int(below.sum())]
    churned = labels[below].sum() + labels[at_cut].sum()
    return round(float(churned / k / labels.mean()), 2)


def calibration(scores: np.ndarray, labels: np.ndarray) -> list[dict]:
    """Churn rate per score decile, lowest scores first (ties stay in one decile)."""
    if len(scores) == 0:
        return []
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, 11)))
    which = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, max(0, len(edges) - 2))
    rows = []
    for i in range(max(1, len(edges) - 1)):
        mask = which == i
        if mask.any():
            rows.append(
                {
                    "from": int(scores[mask].min()),
                    "to": int(scores[mask].max()),
                    "observations": int(mask.sum()),
                    "churned": int(labels[mask].sum()),
                    "churn_rate": round(float(labels[mask].mean()), 4),
                }
            )
    return rows


def band_rates(scores: np.ndarray, labels: np.ndarray, bands: list[dict]) -> list[dict]:
    """Churn rate per band ({key, label, colour, min_score}, any order)."""
    ordered = sorted(bands, key=lambda b: b["min_score"])
    mins = np.array([b["min_score"] for b in ordered])
    which = np.searchsorted(mins, scores, side="right") - 1
    rows = []
    for i, band in enumerate(ordered):
        mask = which == i
        n = int(mask.sum())
        rows.append(
            {
                "band": band["key"],
                "label": band["label"],
                "colour": band["colour"],
                "observations": n,
                "churned": int(labels[mask].sum()),
                "churn_rate": round(float(labels[mask].mean()), 4) if n else None,
            }
        )
    return rows


def summary(
    scores: np.ndarray,
    obs: Observations,
    *,
    resample: AccountResample | None = None,
    rounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """AUC (with its account-clustered interval), lift and churn of one group of observations
    (`rounds`: its resample histograms when already known)."""
    labels = obs.label
    value = auc(scores, labels)
    resample = resample or AccountResample(obs.account)
    cluster = resample.positions(obs.account)
    return {
        "observations": len(labels),
        "accounts": int(np.count_nonzero(np.bincount(cluster, minlength=len(resample.accounts)))),
        "churned": int(labels.sum()),
        "churn_rate": round(float(labels.mean()), 4) if len(labels) else None,
        "auc": None if value is None else round(value, 4),
        "auc_ci": resample.interval(scores, labels, cluster, rounds),
        "top_decile_lift": top_decile_lift(scores, labels),
    }


def period_report(
    scores: np.ndarray,
    obs: Observations,
    *,
    dates: list[str],
    bands: list[dict],
    segments: dict[int, str],
    resample: AccountResample | None = None,
) -> dict:
    """Everything a period (training or test) reports about one score. The resample
    histograms of the tenure bands are computed once and summed for the whole period when the
    bands cover it (as the only segment's are the period's): the same interval, less work."""
    resample = resample or AccountResample(obs.account)
    tenure_masks, tenure_rounds = [], []
    for _key, _label, low, high in TENURE_BANDS:
        mask = (obs.tenure >= low) & (obs.tenure < (high if high is not None else np.inf))
        tenure_masks.append(mask)
        tenure_rounds.append(
            resample.rounds(scores[mask], obs.label[mask], resample.positions(obs.account[mask]))
            if mask.any()
            else None
        )
    whole = None
    if sum(int(m.sum()) for m in tenure_masks) == len(scores) and all(
        r is not None for r in tenure_rounds
    ):
        whole = tuple(sum(r[k] for r in tenure_rounds) for k in (0, 1))
    report = summary(scores, obs, resample=resample, rounds=whole)
    report["bands"] = band_rates(scores, obs.label, bands)
    report["calibration"] = calibration(scores, obs.label)
    report["per_date"] = []
    for i in np.unique(obs.date_index).tolist():
        mask = obs.date_index == i
        value = auc(scores[mask], obs.label[mask])
        report["per_date"].append(
            {
                "as_of": dates[i],
                "observations": int(mask.sum()),
                "churned": int(obs.label[mask].sum()),
                "auc": None if value is None else round(value, 4),
            }
        )
    report["tenure"] = []
    for (key, label, _low, _high), mask, rounds in zip(
        TENURE_BANDS, tenure_masks, tenure_rounds, strict=True
    ):
        report["tenure"].append(
            {
                "key": key,
                "label": label,
                **summary(scores[mask], obs.take(mask), resample=resample, rounds=rounds),
            }
        )
    report["segments"] = []
    overall = {k: report[k] for k in SUMMARY_KEYS}
    for segment in np.unique(obs.segment).tolist():
        mask = obs.segment == segment
        name = segments.get(segment, "No segment")
        found = overall if mask.all() else summary(scores[mask], obs.take(mask), resample=resample)
        report["segments"].append({"segment": segment or None, "name": name, **found})
    return report


def lifecycle_parts(
    scores: np.ndarray,
    obs: Observations,
    new_days: int,
    *,
    resample: AccountResample | None = None,
) -> list[dict]:
    """The summary of each part of a lifecycle scorecard: new accounts (tenure under
    `new_days`) and established ones (the rest, unknown tenure included, as scoring does)."""
    is_new = np.nan_to_num(obs.tenure, nan=np.inf) < new_days
    return [
        {"key": key, "label": label, **summary(scores[mask], obs.take(mask), resample=resample)}
        for key, label, mask in (
            ("new", f"New (< {new_days} days)", is_new),
            ("established", f"Established (≥ {new_days} days)", ~is_new),
        )
    ]


def auc_difference(
    scores: np.ndarray,
    baseline: np.ndarray,
    labels: np.ndarray,
    accounts: np.ndarray,
    *,
    resample: AccountResample | None = None,
) -> dict | None:
    """How much better `scores` rank churn than `baseline` on the same observations: the AUC
    difference with its 95% interval, both scores judged on the same resamples of whole
    accounts (paired), so the interval is that of the difference, not two overlapping ones."""
    from scipy.sparse import csr_matrix

    if len(scores) == 0 or labels.min() == labels.max():
        return None
    resample = resample or AccountResample(accounts)
    cluster = resample.positions(accounts)
    shape = (101, len(resample.accounts))
    aucs = []
    for values in (scores, baseline):
        s = np.clip(np.asarray(values, dtype=np.int64), 0, 100)
        pos = csr_matrix((labels.astype(np.float32), (s, cluster)), shape=shape)
        neg = csr_matrix(((1 - labels).astype(np.float32), (s, cluster)), shape=shape)
        aucs.append(
            _aucs_from_histograms(
                (pos @ resample.counts).T.astype(float), (neg @ resample.counts).T.astype(float)
            )
        )
    differences = aucs[0] - aucs[1]
    differences = differences[~np.isnan(differences)]
    if not len(differences):
        return None
    low, high = np.percentile(differences, [2.5, 97.5])
    return {
        "difference": round(float(auc(scores, labels) - auc(baseline, labels)), 4),
        "ci": [round(float(low), 4), round(float(high), 4)],
    }


def test_period_comparison(
    scores: np.ndarray,
    baseline: np.ndarray,
    obs: Observations,
    *,
    resample: AccountResample | None = None,
) -> dict:
    """The suggestion against the version on the test period: overall and per tenure band."""
    overall = auc_difference(scores, baseline, obs.label, obs.account, resample=resample)
    out = {"overall": overall, "tenure": []}
    for key, label, low, high in TENURE_BANDS:
        mask = (obs.tenure >= low) & (obs.tenure < (high if high is not None else np.inf))
        found = auc_difference(
            scores[mask], baseline[mask], obs.label[mask], obs.account[mask], resample=resample
        )
        out["tenure"].append(
            {"key": key, "label": label, **(found or {"difference": None, "ci": None})}
        )
    return out
