"""Back-tests over time: a scorecard version scored at many past dates, judged on later churn.

`score_backtest_create` checks the request and queues it; a worker runs
`score_backtest_process`, which, for every date, reads each scorable account's measure inputs
as of that date (the same set-based selectors as the nightly run, only those the version's
measures need, a block of accounts at a time), scores it, and labels it with churn in the
`horizon_days` after the date. Nothing after a date is read for its features, nothing after
date + horizon for its label. Dates before the split train, the rest test; training
observations whose label window reaches into the test period are embargoed. The report and
the suggested weights are written together at the end, or not at all.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Segment
from core import formatting
from healthscores.models import BacktestStatus, ScoreBacktest
from scorecards.models import (
    Band,
    Measure,
    MeasureKind,
    MeasureStage,
    ScorecardVersion,
    VersionStatus,
)
from scorecards.selectors import version_with_rules

from . import backtest_metrics as metrics
from .inputs import (
    AccountBlock,
    ChunkInputs,
    accounts_for_block,
    interaction_inputs,
    ledger_aggregates,
    manual_values,
    plan_progress,
    scorable_accounts,
    snapshot_trend_sums,
    subscription_rows,
    survey_aggregates,
    usage_aggregates_many,
    usage_first_dates,
)
from .measures import MeasureRule, measure_rules
from .observations import observations_collect
from .suggest import lifecycle_suggest, rules_from_suggestion
from .validation import _scope

logger = logging.getLogger(__name__)

MAX_DATES = 60
MIN_STEP_DAYS, MAX_STEP_DAYS = 1, 365
MIN_HORIZON_DAYS, MAX_HORIZON_DAYS = 7, 730
EARLIEST_DATE = date(2000, 1, 1)
INTERACTION_KINDS = {MeasureKind.DECAY, MeasureKind.DAYS_SINCE_VALUE, MeasureKind.INTERACTION_MIX}
LEDGER_KINDS = {MeasureKind.GOODWILL, MeasureKind.DECAY}


def backtest_dates(start: date, end: date, step_days: int) -> list[date]:
    dates, day = [], start
    while day <= end:
        dates.append(day)
        day += timedelta(days=step_days)
    return dates


@transaction.atomic
def score_backtest_create(
    *,
    version: ScorecardVersion,
    start: date,
    end: date,
    split_on: date,
    step_days: int = 28,
    horizon_days: int = 90,
    new_days: int | None = None,
    user=None,
    today: date | None = None,
    enqueue: bool = True,
) -> ScoreBacktest:
    """Check a back-test request (field errors as a ValidationError) and queue it on a worker
    (unless `enqueue` is false: the management command runs it in its own process)."""
    today = today or timezone.localdate()
    errors = backtest_request_errors(
        version=version,
        start=start,
        end=end,
        split_on=split_on,
        step_days=step_days,
        horizon_days=horizon_days,
        today=today,
    )
    if new_days is not None and not 1 <= new_days <= 3650:
        errors["new_days"] = ["Use a number of days from 1 to 3650."]
    if errors:
        raise ValidationError(errors)
    backtest = ScoreBacktest.objects.create(
        scorecard_version=version,
        start=start,
        end=end,
        step_days=step_days,
        horizon_days=horizon_days,
        split_on=split_on,
        new_days=new_days,
        created_by=user,
    )
    if enqueue:
        from healthscores.tasks import score_backtest

        transaction.on_commit(lambda: score_backtest.delay(backtest.pk))
    return backtest


def backtest_request_errors(
    *,
    version: ScorecardVersion,
    start: date,
    end: date,
    split_on: date,
    step_days: int,
    horizon_days: int,
    today: date,
) -> dict[str, list[str]]:
    """Field errors of a back-test request (empty when it can run): the API, the page and
    the management command all get these, named by the API's field names."""
    errors: dict[str, list[str]] = {}
    if not version.measures.exists():
        errors["scorecard_version"] = ["This scorecard version has no measures to test."]
    if not MIN_STEP_DAYS <= step_days <= MAX_STEP_DAYS:
        errors["step_days"] = [
            f"The step must be between {MIN_STEP_DAYS} and {MAX_STEP_DAYS} days."
        ]
    if not MIN_HORIZON_DAYS <= horizon_days <= MAX_HORIZON_DAYS:
        errors["horizon_days"] = [
            f"The horizon must be between {MIN_HORIZON_DAYS} and {MAX_HORIZON_DAYS} days."
        ]
    for name, day in (("start", start), ("end", end), ("split_on", split_on)):
        if day < EARLIEST_DATE:
            errors[name] = [f"Pick a date on or after {EARLIEST_DATE}."]
        elif day > today:
            errors[name] = [f"Pick a past date (today is {today})."]
    if errors:
        return errors
    if start > end:
        return {"end": [f"The range must end on or after its start ({start})."]}
    dates = backtest_dates(start, end, step_days)
    if len(dates) > MAX_DATES:
        errors["step_days"] = [
            f"{len(dates)} dates from {start} to {end}: at most {MAX_DATES}; take a longer step "
            "or a shorter range."
        ]
    elif not (dates[0] < split_on <= dates[-1]):
        errors["split_on"] = [
            f"The split date must fall inside the range, after its first date "
            f"({dates[0]}) and on or before its last ({dates[-1]}), so both periods "
            "have dates."
        ]
    if end + timedelta(days=horizon_days) > today:
        errors["horizon_days"] = [
            f"The horizon after the last date ends on {end + timedelta(days=horizon_days)}, "
            f"after today ({today}): churn there is not known yet. End the range by "
            f"{today - timedelta(days=horizon_days)}."
        ]
    elif not errors and not _any_customer(version, dates):
        errors["start"] = [
            "No account this scorecard applies to was a customer at any date of the range."
        ]
    return errors


def _any_customer(version: ScorecardVersion, dates: list[date]) -> bool:
    scope = _scope(version)
    return any(scorable_accounts(day).filter(scope).exists() for day in dates)


@dataclass
class Needs:
    """Which inputs the version's measures read (a back-test loads nothing else)."""

    usage: list
    surveys: list
    mixes: list[int]
    interactions: bool
    ledger: bool
    manual: bool
    plans: bool
    trend: bool

    @classmethod
    def of(cls, rules: list[MeasureRule]) -> "Needs":
        kinds = {r.kind for r in rules}
        usage = [r.usage for r in rules if r.usage] + [
            r.usage_denominator for r in rules if r.usage_denominator
        ]
        return cls(
            usage=usage,
            surveys=[r.survey for r in rules if r.survey],
            mixes=[r.mix_n for r in rules if r.kind == MeasureKind.INTERACTION_MIX],
            interactions=bool(kinds & INTERACTION_KINDS),
            ledger=bool(kinds & LEDGER_KINDS),
            manual=MeasureKind.MANUAL in kinds,
            plans=MeasureKind.SUCCESS_PLAN in kinds,
            trend=MeasureKind.DECAY in kinds,
        )


def measure_inputs_load(block: AccountBlock, as_of: date, needs: Needs) -> ChunkInputs:
    """The inputs of the block's measures as of `as_of`: a fixed number of queries."""
    inputs = ChunkInputs(as_of=as_of)
    inputs.accounts = accounts_for_block(block, as_of)
    if not inputs.accounts:
        return inputs
    inputs.subscriptions = subscription_rows(block, as_of)
    if needs.usage:
        inputs.usage = usage_aggregates_many(block, as_of, needs.usage)
        inputs.usage_first = usage_first_dates(block, as_of, [s.metric for s in needs.usage])
    if needs.interactions:
        inputs.interactions, inputs.mix = interaction_inputs(block, as_of, needs.mixes)
        tz = timezone.get_current_timezone()
        for row in inputs.interactions.values():
            last = row["last_value_at"]
            row["last_value_on"] = None if last is None else last.astimezone(tz).date()
    if needs.ledger:
        inputs.ledger = ledger_aggregates(block, as_of)
    for spec in needs.surveys:
        inputs.surveys.setdefault(
            (spec.kind, spec.window_days), survey_aggregates(block, as_of, spec)
        )
    if needs.manual:
        inputs.manual = manual_values(block, as_of)
    if needs.plans:
        inputs.plans = plan_progress(block, as_of, [a["id"] for a in inputs.accounts])
    if needs.trend:
        scored = AccountBlock(ids=tuple(a["id"] for a in inputs.accounts))
        inputs.trend = snapshot_trend_sums(scored, as_of)
    return inputs


def overall_scores(
    rules: list[MeasureRule],
    raws: np.ndarray,
    *,
    tenure: np.ndarray | None = None,
    new_days: int | None = None,
    columns: list[int] | None = None,
) -> np.ndarray:
    """The overall 0-100 score of every observation, rounded as a snapshot stores it: the same
    arithmetic as `measures.score_measures`, over arrays. With `new_days` (a lifecycle
    scorecard) a measure for new or established accounts counts only for the observations
    whose `tenure` puts them in its part (`measures.lifecycle_part`). `columns[i]` is the
    column of `raws` rule i reads (default: column i)."""
    n = raws.shape[0]
    weighted = np.zeros(n)
    counted = np.zeros(n)
    is_new = np.zeros(n, dtype=bool)
    if new_days and tenure is not None:
        is_new = np.nan_to_num(tenure, nan=np.inf) < new_days
    for i, rule in enumerate(rules):
        raw = raws[:, i if columns is None else columns[i]]
        missing = np.isnan(raw)
        if rule.curve:
            xs = np.array([p[0] for p in rule.curve])
            ys = np.array([p[1] for p in rule.curve])
            score = np.clip(np.interp(np.where(missing, 0.0, raw), xs, ys), 0, 100)
        elif rule.good == rule.bad:  # a pass/fail threshold (normalise's step)
            score = np.where(np.where(missing, rule.bad, raw) >= rule.good, 100.0, 0.0)
        else:
            share = (np.where(missing, rule.bad, raw) - rule.bad) / (rule.good - rule.bad)
            score = np.clip(share, 0.0, 1.0) * 100.0
        if rule.missing_policy == "zero":
            score, counts = np.where(missing, 0.0, score), np.ones(n, dtype=bool)
        elif rule.missing_policy == "neutral":
            score, counts = np.where(missing, 50.0, score), np.ones(n, dtype=bool)
        else:
            counts = ~missing
        if new_days and rule.stage != MeasureStage.ALL:
            counts = counts & (is_new if rule.stage == MeasureStage.NEW else ~is_new)
        weighted += np.where(counts, score * rule.weight, 0.0)
        counted += np.where(counts, rule.weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = np.where(counted > 0, weighted / np.where(counted > 0, counted, 1), 50.0)
    return np.round(overall)


def split_periods(
    obs: metrics.Observations, dates: list[date], split_on: date, horizon_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, test, embargoed) masks: test is every date on or after the split; train the
    dates before it whose label window (date, date + horizon] ends by the split."""
    day = np.array([d.toordinal() for d in dates])[obs.date_index]
    test = day >= split_on.toordinal()
    embargoed = ~test & (day + horizon_days > split_on.toordinal())
    return ~test & ~embargoed, test, embargoed


def backtest_compute(backtest: ScoreBacktest, on_progress=None) -> tuple[dict, dict]:
    """The report of the version's own score and the suggestion (judged the same way)."""
    from threadpoolctl import threadpool_limits

    # One BLAS thread: a worker process shares the cores with the other worker processes
    # and the database; two OpenBLAS threads on a busy 2-core machine made the model fits
    # several times slower, not faster (BENCHMARKS.md, back-test benchmark).
    with threadpool_limits(limits=1):
        return _backtest_compute(backtest, on_progress or (lambda share: None))


def _backtest_compute(backtest: ScoreBacktest, on_progress) -> tuple[dict, dict]:
    version = version_with_rules(backtest.scorecard_version_id)
    rules = measure_rules(version.measures.all())
    dates = backtest_dates(backtest.start, backtest.end, backtest.step_days)
    clock = time.perf_counter()
    seconds = {}
    obs = observations_collect(
        rules=rules,
        scope=_scope(version),
        dates=dates,
        horizon_days=backtest.horizon_days,
        # Reading the inputs is about half of the work, judging and fitting the rest.
        on_date=lambda done, total: on_progress(0.5 * done / total),
    )
    seconds["observations"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    train, test, embargoed = split_periods(obs, dates, backtest.split_on, backtest.horizon_days)
    bands = [
        {"key": b.key, "label": b.label, "colour": b.colour, "min_score": b.min_score}
        for b in version.bands.all()
    ]
    segments = dict(Segment.objects.values_list("pk", "name"))
    names = [d.isoformat() for d in dates]

    resample = metrics.AccountResample(obs.account)  # one bootstrap for every group
    new_days = backtest.new_days or version.new_days

    # What judging a score reads of the observations: everything but the raw values (copied
    # by every group's `take` otherwise, a second of copying in a large back-test).
    light = metrics.Observations(
        obs.date_index, obs.account, obs.segment, obs.tenure, obs.label, np.zeros((len(obs), 0))
    )

    def period(scores: np.ndarray, mask: np.ndarray) -> dict:
        part = light.take(mask)
        out = metrics.period_report(
            scores[mask], part, dates=names, bands=bands, segments=segments, resample=resample
        )
        if new_days:  # each part of a lifecycle scorecard, as scoring chooses it
            out["lifecycle"] = metrics.lifecycle_parts(
                scores[mask], part, new_days, resample=resample
            )
        return out

    def judged(scores: np.ndarray) -> dict:
        # the two periods side by side (the bootstrap's sparse products release the GIL)
        with ThreadPoolExecutor(max_workers=2) as pool:
            train_report = pool.submit(period, scores, train)
            test_report = pool.submit(period, scores, test)
            return {"train": train_report.result(), "test": test_report.result()}

    current_scores = overall_scores(rules, obs.raws, tenure=obs.tenure, new_days=version.new_days)
    fit = obs.take(train)

    def suggest_and_judge() -> tuple[dict, dict]:
        took = {}
        clock = time.perf_counter()
        suggestion = lifecycle_suggest(
            rules, fit.raws, fit.label, fit.account, fit.tenure, new_days=new_days
        )
        took["suggestion"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        suggested_rules, columns = rules_from_suggestion(rules, suggestion)
        if suggested_rules:
            scores = overall_scores(
                suggested_rules,
                obs.raws,
                tenure=obs.tenure,
                new_days=suggestion.get("new_days"),
                columns=columns,
            )
            suggestion["judged"] = judged(scores)
            # paired: the same resamples of accounts judge both scores on the test period
            suggestion["versus_current"] = metrics.test_period_comparison(
                scores[test], current_scores[test], light.take(test), resample=resample
            )
        took["judging the suggestion"] = round(time.perf_counter() - clock, 2)
        return suggestion, took

    # The suggestion (fits) and the report of the current score (bootstrap) need nothing of
    # each other: side by side on two threads (NumPy, SciPy's sparse products and the
    # solvers release the GIL), so a back-test uses both cores of a small worker machine.
    pool = ThreadPoolExecutor(max_workers=1)
    suggesting = pool.submit(suggest_and_judge)

    try:
        report = {
            "dates": names,
            "periods": {
                "train": {
                    "dates": [n for d, n in zip(dates, names, strict=True) if d < backtest.split_on]
                },
                "test": {
                    "dates": [
                        n for d, n in zip(dates, names, strict=True) if d >= backtest.split_on
                    ]
                },
            },
            "embargoed": int(embargoed.sum()),
            "observations": len(obs),
            "new_days": new_days,
            "current": judged(current_scores),
            "measures": [
                _coverage(rule, obs.raws[:, i], train, test) for i, rule in enumerate(rules)
            ],
        }
        seconds["report"] = round(time.perf_counter() - clock, 2)
        on_progress(0.6)
        suggestion, took = suggesting.result()
    finally:
        pool.shutdown()  # waits for the thread: nothing runs on after a failure
    on_progress(0.9)
    # How long each step took (the benchmark reports it; a slow back-test says where it went;
    # the suggestion ran beside the report).
    report["seconds"] = {**seconds, **took}
    return report, suggestion


def _coverage(rule: MeasureRule, raw: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict:
    """How much data the measure had in each period."""
    have = ~np.isnan(raw)
    return {
        "key": rule.key,
        "label": rule.label,
        "kind": rule.kind,
        "weight": rule.weight,
        "coverage_train": round(float(have[train].mean()), 4) if train.any() else None,
        "coverage_test": round(float(have[test].mean()), 4) if test.any() else None,
    }


def score_backtest_process(*, backtest_id: int) -> ScoreBacktest:
    """Run a queued back-test: progress as dates finish; report and suggestion at the end."""
    backtest = ScoreBacktest.objects.get(pk=backtest_id)
    if backtest.status == BacktestStatus.DONE:
        return backtest  # a redelivered task: the report exists
    ScoreBacktest.objects.filter(pk=backtest.pk).update(
        status=BacktestStatus.RUNNING, progress=0.0, error="", heartbeat_at=timezone.now()
    )

    def on_progress(share: float) -> None:
        # Also a heartbeat: a back-test whose worker died stops beating, and the sweeper
        # (`score_backtests_sweep`) fails it instead of leaving it "running" for ever.
        ScoreBacktest.objects.filter(pk=backtest.pk).update(
            progress=round(share, 3), heartbeat_at=timezone.now()
        )

    try:
        report, suggestion = backtest_compute(backtest, on_progress=on_progress)
        # Report and suggestion in one statement: both or neither. A failure to write them
        # is a failure of the back-test like any other.
        ScoreBacktest.objects.filter(pk=backtest.pk).update(
            status=BacktestStatus.DONE,
            progress=1.0,
            report=report,
            suggestion=suggestion,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("back-test %s failed", backtest.pk)
        ScoreBacktest.objects.filter(pk=backtest.pk).update(
            status=BacktestStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:300],
            report=None,
            suggestion=None,
            finished_at=timezone.now(),
        )
    backtest.refresh_from_db()
    return backtest


def score_backtests_sweep(*, now=None) -> list[int]:
    """Fail the back-tests whose worker stopped showing progress (killed, out of memory,
    restarted without redelivery): status failed with a message, no report (beat, every few
    minutes). A redelivered task that later finishes still writes its whole report."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BACKTEST_STALE_SECONDS)
    ids = list(
        ScoreBacktest.objects.filter(status=BacktestStatus.RUNNING, heartbeat_at__lt=stale)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    minutes = max(1, round(settings.BACKTEST_STALE_SECONDS / 60))
    ScoreBacktest.objects.filter(pk__in=ids, status=BacktestStatus.RUNNING).update(
        status=BacktestStatus.FAILED,
        error=(
            f"The worker running it stopped (no progress for {minutes} minutes: killed or "
            "restarted); no report was written. Start the back-test again."
        ),
        report=None,
        suggestion=None,
        finished_at=now,
    )
    for pk in ids:
        logger.warning("back-test %s failed: its worker stopped showing progress", pk)
    return ids


def _part_label(suggestion: dict, measure: dict) -> str:
    if not suggestion.get("new_days"):
        return ""
    return " (new accounts)" if measure.get("stage") == MeasureStage.NEW else " (established)"


@transaction.atomic
def backtest_suggestion_apply(*, backtest: ScoreBacktest, user=None) -> ScorecardVersion:
    """A new draft of the scorecard with the suggested weights and scoring curves; measures
    the suggestion left out are not copied (the notes say which and why)."""
    backtest = ScoreBacktest.objects.select_for_update().get(pk=backtest.pk)
    suggestion = backtest.suggestion or {}
    kept = {m["key"]: m for m in suggestion.get("measures", []) if "curve" in m}
    if backtest.status != BacktestStatus.DONE or not kept:
        raise ValidationError("This back-test has no suggested weights to apply.", code="conflict")
    if suggestion.get("new_days"):
        for part in (MeasureStage.NEW, MeasureStage.ESTABLISHED):
            if not any(m.get("stage") == part for m in kept.values()):
                raise ValidationError(
                    f"The suggestion kept no measure for {part} accounts (none carried signal "
                    "in the intuitive direction): a scorecard by lifecycle needs both parts."
                )
    source = backtest.scorecard_version
    scorecard = source.scorecard
    draft = scorecard.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"{scorecard} already has a draft (v{draft.number}); publish or delete it first.",
            code="conflict",
        )
    number = (scorecard.versions.order_by("-number").values_list("number", flat=True).first()) + 1
    left_out = [m for m in suggestion["measures"] if "left_out" in m]
    notes = (
        f"Weights and scoring curves suggested by back-test {backtest.pk} "
        f"(trained on dates before {formatting.day(backtest.split_on)})."
    )
    if left_out:
        notes += " Left out: " + "; ".join(
            f"{m['label']}{_part_label(suggestion, m)}: {m['left_out']}" for m in left_out
        )
    new_days = suggestion.get("new_days") or source.new_days
    draft = ScorecardVersion.objects.create(
        scorecard=scorecard, number=number, created_by=user, notes=notes, new_days=new_days
    )
    measures = []
    for m in source.measures.order_by("position", "id"):
        for s in kept.values():
            if s.get("source_key", s["key"]) != m.key:
                continue
            stage = s.get("stage", m.stage)
            measures.append(
                Measure(
                    version=draft,
                    key=s["key"],
                    label=f"{m.label[:84]} (new accounts)" if s["key"] != m.key else m.label,
                    kind=m.kind,
                    weight=s["weight"],
                    params={**(m.params or {}), "curve": s["curve"]},
                    bad=s["bad"],
                    good=s["good"],
                    missing_policy=s["missing_policy"],
                    position=len(measures),
                    stage=stage if new_days else MeasureStage.ALL,
                )
            )
    Measure.objects.bulk_create(measures)
    Band.objects.bulk_create(
        Band(version=draft, key=b.key, label=b.label, min_score=b.min_score, colour=b.colour)
        for b in source.bands.all()
    )
    backtest.applied_version = draft
    backtest.save(update_fields=["applied_version"])
    return draft
