"""Proving the score: back-tests against churn, suggested weights, and draft impact previews.

Both read-only computations reuse `health_compute` block by block, so a back-test at a past
date sees the data as it stood that day, exactly like a back-dated run.
"""

from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import Account
from healthscores.models import ScoreValidation
from scorecards.models import MissingPolicy, Scorecard, ScorecardVersion, VersionStatus
from scorecards.selectors import published_scorecards, version_with_rules

from .compute import AccountHealth, health_compute
from .inputs import AccountBlock, scorable_accounts


def _scope(version: ScorecardVersion) -> Q | None:
    """Accounts a scorecard version applies to: its segment, or (default) all segments without
    a published scorecard of their own."""
    scorecard = version.scorecard
    if scorecard.segment_id:
        return Q(segment_id=scorecard.segment_id)
    own = Scorecard.objects.filter(
        segment__isnull=False, versions__status=VersionStatus.PUBLISHED
    ).values("segment_id")
    return Q(segment__isnull=True) | ~Q(segment_id__in=own)


def health_compute_all(
    *, as_of: date, version: ScorecardVersion | None = None, scope: Q | None = None
) -> list[AccountHealth]:
    """Compute (without storing) every scorable account in `scope`, block by block."""
    ids = list(
        scorable_accounts(as_of).filter(scope or Q()).order_by("pk").values_list("pk", flat=True)
    )
    size = max(1, int(settings.SCORE_CHUNK_SIZE))
    scorecards = None if version is not None else published_scorecards()
    results: list[AccountHealth] = []
    for start in range(0, len(ids), size):
        block = AccountBlock(lo=ids[start], hi=ids[min(start + size, len(ids)) - 1], extra=scope)
        results.extend(
            health_compute(block=block, as_of=as_of, version=version, scorecards=scorecards)
        )
    return results


def scorecard_impact_preview(*, version: ScorecardVersion, as_of: date) -> dict:
    """Band moves across the portfolio if `version` (a draft) were published today."""
    version = version_with_rules(version.pk)
    scope = _scope(version)
    published = version.scorecard.versions.filter(status=VersionStatus.PUBLISHED).first()
    if published is None:
        # A new segment scorecard: its accounts are scored by the default until it publishes.
        published = published_scorecards().default
    after = {r.account_id: r for r in health_compute_all(as_of=as_of, version=version, scope=scope)}
    before = (
        {
            r.account_id: r
            for r in health_compute_all(
                as_of=as_of, version=version_with_rules(published.pk), scope=scope
            )
        }
        if published
        else {}
    )
    bands = list(version.bands.all())
    moves = Counter()
    up = down = same = 0
    movers = []
    for acc, new in after.items():
        old = before.get(acc)
        old_band = old.band if old else ""
        moves[(old_band, new.band)] += 1
        if old is None or old.band == new.band:
            same += 1
        else:
            order = {b.key: i for i, b in enumerate(bands)}
            if order.get(new.band, 0) > order.get(old.band, 0):
                up += 1
            else:
                down += 1
        if old is not None and new.overall != old.overall:
            movers.append((new.overall - old.overall, acc, old, new))
    movers.sort(key=lambda m: -abs(m[0]))
    names = dict(
        Account.objects.filter(pk__in=[m[1] for m in movers[:15]]).values_list("pk", "name")
    )
    old_bands = sorted({k[0] for k in moves})
    coverage = measure_coverage(version=version, results=list(after.values()))
    return {
        "as_of": as_of,
        "accounts": len(after),
        "up": up,
        "down": down,
        "same": same,
        "bands": [{"key": b.key, "label": b.label, "colour": b.colour} for b in bands],
        "matrix": [
            {"from": old, "counts": [moves.get((old, b.key), 0) for b in bands]}
            for old in old_bands
        ],
        "avg_change": round(sum(m[0] for m in movers) / len(movers), 1) if movers else 0.0,
        "movers": [
            {
                "account_id": acc,
                "name": names.get(acc, str(acc)),
                "from_score": old.overall,
                "to_score": new.overall,
                "change": new.overall - old.overall,
                "from_band": old.band,
                "to_band": new.band,
            }
            for _, acc, old, new in movers[:15]
        ],
        "published": published,
        "published_version": published.number if published else None,
        "compared_with": f"{published.scorecard.name} v{published.number}" if published else "",
        "coverage": coverage,
        "coverage_panel": {"as_of": as_of, "accounts": len(after), "measures": coverage},
    }


def scorecard_coverage(*, version: ScorecardVersion, as_of: date) -> dict:
    """Per measure of `version`: accounts with data on `as_of` among those it would score, and
    what each missing-data choice does to the others (the editor's coverage panel)."""
    version = version_with_rules(version.pk)
    results = health_compute_all(as_of=as_of, version=version, scope=_scope(version))
    rows = measure_coverage(version=version, results=results)
    return {"as_of": as_of, "accounts": len(results), "measures": rows}


MISSING_EFFECTS = {
    MissingPolicy.EXCLUDE: "left out: their score leans on the other measures, confidence drops",
    MissingPolicy.ZERO: "scored 0: they count with the full weight, pulling the score down",
    MissingPolicy.NEUTRAL: "scored 50: they count with the full weight at a neutral score",
}


def measure_coverage(*, version: ScorecardVersion, results: list[AccountHealth]) -> list[dict]:
    """Per measure: how many accounts had data for it, and what its missing-data policy does to
    the others (the editor shows this next to each measure's policy)."""
    with_data = Counter(
        doc["key"] for r in results for doc in r.measures if doc.get("raw") is not None
    )
    # The accounts a measure scores: all of them, or on a lifecycle scorecard those of its part.
    scored = Counter(doc["key"] for r in results for doc in r.measures)

    def choices(measure) -> list[dict]:
        total = scored[measure.key]
        return [
            {
                "policy": policy,
                "label": label,
                "chosen": policy == measure.missing_policy,
                "counted": with_data[measure.key] if policy == MissingPolicy.EXCLUDE else total,
                "effect": MISSING_EFFECTS.get(policy, label),
            }
            for policy, label in MissingPolicy.choices
        ]

    return [
        {
            "key": m.key,
            "label": m.label,
            "missing_policy": m.missing_policy,
            "with_data": with_data[m.key],
            "without_data": scored[m.key] - with_data[m.key],
            "share_with_data": (
                round(with_data[m.key] / scored[m.key], 4) if scored[m.key] else 0.0
            ),
            "effect": MISSING_EFFECTS.get(
                m.missing_policy, dict(MissingPolicy.choices).get(m.missing_policy, "")
            ),
            "choices": choices(m),
        }
        for m in version.measures.all()
    ]


def _top_decile_lift(labels: list[int], scores: list[float]) -> float | None:
    # The back-test's definition, imported here: numpy stays out of the web process's start.
    import numpy as np

    from .backtest_metrics import top_decile_lift

    return top_decile_lift(np.array(scores, dtype=float), np.array(labels))


def _roc_auc(labels: list[int], risk: list[float]) -> tuple[float | None, list[dict]]:
    from sklearn.metrics import roc_auc_score, roc_curve

    if len(set(labels)) < 2:
        return None, []
    auc = float(roc_auc_score(labels, risk))
    fpr, tpr, _ = roc_curve(labels, risk)
    step = max(1, len(fpr) // 50)
    points = [
        {"x": round(float(f), 3), "y": round(float(t), 3)}
        for f, t in zip(fpr[::step], tpr[::step], strict=True)
    ]
    if points[-1] != {"x": 1.0, "y": 1.0}:
        points.append({"x": 1.0, "y": 1.0})
    return round(auc, 4), points


def suggested_weights(
    results: list[AccountHealth], labels: list[int], version
) -> tuple[list[dict], str]:
    """Weights learned by logistic regression of churn on the measure scores (missing = 50),
    scaled to the version's total weight; measures that do not protect against churn get 1."""
    measures = list(version.measures.all())
    rows = []
    for r in results:
        by_key = {m["key"]: m for m in r.measures}
        rows.append(
            [
                (
                    (by_key.get(m.key) or {}).get("score")
                    if (by_key.get(m.key) or {}).get("score") is not None
                    else 50.0
                )
                / 100.0
                for m in measures
            ]
        )
    current = [{"key": m.key, "label": m.label, "current_weight": m.weight} for m in measures]
    if len(set(labels)) < 2 or sum(labels) < 3 or len(labels) - sum(labels) < 3:
        return [dict(c, suggested_weight=c["current_weight"], coefficient=None) for c in current], (
            "Too few churned and retained accounts in the horizon to learn weights."
        )
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(rows, labels)
    coefficients = [float(c) for c in model.coef_[0]]
    protective = [max(0.0, -c) for c in coefficients]
    total_now = sum(m.weight for m in measures)
    if not sum(protective):
        return [
            dict(c, suggested_weight=c["current_weight"], coefficient=round(k, 3))
            for c, k in zip(current, coefficients, strict=True)
        ], ("No measure separated churned from retained accounts; keep the current weights.")
    scale = total_now / sum(protective)
    return [
        dict(c, suggested_weight=max(1.0, round(p * scale, 1)), coefficient=round(k, 3))
        for c, p, k in zip(current, protective, coefficients, strict=True)
    ], ""


@transaction.atomic
def score_validation_run(
    *, version: ScorecardVersion, as_of: date, horizon_days: int = 90, user=None
) -> ScoreValidation:
    """Back-test `version` at `as_of`: ROC AUC, top-decile lift and churn per band against the
    accounts that churned within `horizon_days`; plus suggested weights."""
    version = version_with_rules(version.pk)
    results = health_compute_all(as_of=as_of, version=version, scope=_scope(version))
    churned = set(
        Account.objects.filter(
            churned_on__gt=as_of, churned_on__lte=as_of + timedelta(days=horizon_days)
        ).values_list("pk", flat=True)
    )
    labels = [1 if r.account_id in churned else 0 for r in results]
    scores = [float(r.overall) for r in results]
    auc, curve = _roc_auc(labels, [100.0 - s for s in scores]) if results else (None, [])
    bands = []
    for band in version.bands.all():
        members = [label for r, label in zip(results, labels, strict=True) if r.band == band.key]
        bands.append(
            {
                "band": band.key,
                "label": band.label,
                "colour": band.colour,
                "accounts": len(members),
                "churned": sum(members),
                "churn_rate": round(sum(members) / len(members), 4) if members else None,
            }
        )
    weights, note = suggested_weights(results, labels, version) if results else ([], "")
    return ScoreValidation.objects.create(
        scorecard_version=version,
        as_of=as_of,
        horizon_days=horizon_days,
        accounts=len(results),
        churned=sum(labels),
        roc_auc=auc,
        top_decile_lift=_top_decile_lift(labels, scores) if results else None,
        band_rates=bands,
        suggested_weights=weights,
        roc_curve=curve,
        note=note or ("" if results else "No account was a customer on that date."),
        created_by=user,
    )
