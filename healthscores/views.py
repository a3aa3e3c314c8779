"""Health pages: score runs (with "Recompute now"), validation, a scorecard draft's impact
preview, and manual score entry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from core import formatting
from scorecards.models import ScorecardVersion
from scorecards.selectors import manual_measures_for_account
from scorecards.services import manual_measure_value_set, scorecard_version_draft_create
from users.permissions import require_admin, require_manager

from . import selectors
from .forms import BacktestForm, ManualValueForm, ValidationForm
from .models import RunTrigger, ScoreBacktest, ScoreRun, ScoreValidation
from .services import score_run_start, score_validation_run, scorecard_impact_preview

# Runs and validation are for admins and managers. Managers and admins run validations and
# back-tests (they change nothing); starting a score run or changing a scorecard is for admins.


@login_required
def run_list(request):
    require_manager(request)
    runs = selectors.runs_recent()
    template = (
        "healthscores/_runs_table.html"
        if request.headers.get("HX-Request")
        else "healthscores/runs.html"
    )
    return render(
        request,
        template,
        {"runs": runs, "any_running": any(not r.is_finished for r in runs)},
    )


@login_required
def run_detail(request, pk: int):
    require_manager(request)
    run = get_object_or_404(ScoreRun, pk=pk)
    return render(
        request,
        "healthscores/run_detail.html",
        {
            "run": run,
            "progress": selectors.run_progress(run),
            "chunks": run.chunks.order_by("lo_id")[:500],
        },
    )


@login_required
@require_POST
def run_recompute(request):
    require_admin(request)
    run = score_run_start(
        as_of=timezone.localdate(),
        trigger=RunTrigger.MANUAL,
        requested_by=request.user,
        force=True,
    )
    messages.success(request, f"Recompute for {formatting.day(run.as_of)} started (run {run.pk}).")
    return redirect("healthscores:runs")


@login_required
def validation_list(request):
    require_manager(request)
    form = ValidationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = score_validation_run(
            version=form.cleaned_data["version"],
            as_of=form.cleaned_data["as_of"],
            horizon_days=form.cleaned_data["horizon_days"],
            user=request.user,
        )
        return redirect("healthscores:validation_detail", pk=result.pk)
    return render(
        request,
        "healthscores/validation.html",
        {"form": form, "validations": selectors.validations_recent()},
    )


def _validation_charts(result: ScoreValidation) -> tuple[dict, dict]:
    bands = {
        "type": "bar",
        "data": {
            "labels": [b["label"] for b in result.band_rates],
            "datasets": [
                {
                    "label": "Churn rate within the horizon (%)",
                    "data": [round(100 * (b["churn_rate"] or 0), 1) for b in result.band_rates],
                    "backgroundColor": [b["colour"] for b in result.band_rates],
                }
            ],
        },
        "options": {
            "maintainAspectRatio": False,
            "scales": {"y": {"beginAtZero": True, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }
    roc = {
        "type": "scatter",
        "data": {
            "datasets": [
                {
                    "label": "ROC",
                    "data": result.roc_curve,
                    "showLine": True,
                    "borderColor": "#2f5bea",
                    "pointRadius": 0,
                },
                {
                    "label": "Chance",
                    "data": [{"x": 0, "y": 0}, {"x": 1, "y": 1}],
                    "showLine": True,
                    "borderColor": "#98a2b3",
                    "borderDash": [4, 4],
                    "pointRadius": 0,
                },
            ]
        },
        "options": {
            "maintainAspectRatio": False,
            "scales": {
                "x": {
                    "min": 0,
                    "max": 1,
                    "title": {"display": True, "text": "false positive rate"},
                },
                "y": {"min": 0, "max": 1, "title": {"display": True, "text": "true positive rate"}},
            },
        },
    }
    return bands, roc


@login_required
def validation_detail(request, pk: int):
    require_manager(request)
    result = get_object_or_404(
        ScoreValidation.objects.select_related("scorecard_version__scorecard"), pk=pk
    )
    bands_chart, roc_chart = _validation_charts(result)
    return render(
        request,
        "healthscores/validation_detail.html",
        {"result": result, "bands_chart": bands_chart, "roc_chart": roc_chart},
    )


@login_required
@require_POST
def validation_apply(request, pk: int):
    """Copy the suggested weights into the scorecard's draft; nothing changes until published."""
    require_admin(request)
    result = get_object_or_404(
        ScoreValidation.objects.select_related("scorecard_version__scorecard"), pk=pk
    )
    weights = {w["key"]: w["suggested_weight"] for w in result.suggested_weights}
    draft = scorecard_version_draft_create(
        scorecard=result.scorecard_version.scorecard,
        user=request.user,
        source=result.scorecard_version,
        weights=weights,
        notes=f"Weights suggested by validation {result.pk} ({formatting.day(result.as_of)}).",
    )
    messages.success(request, "Suggested weights copied into the draft. Review, then publish.")
    return redirect("scorecards:version_edit", pk=draft.pk)


@login_required
@require_POST
def manual_value(request, pk: int):
    account = get_object_or_404(Account.objects.for_user(request.user), pk=pk)
    form = ManualValueForm(request.POST)
    measures = {m.key: m for m in manual_measures_for_account(account)}
    if not form.is_valid() or form.cleaned_data["measure_key"] not in measures:
        messages.error(request, "Enter a score from 0 to 100 and a reason for a manual measure.")
        return redirect(account.get_absolute_url())
    try:
        manual_measure_value_set(
            account=account,
            measure=measures[form.cleaned_data["measure_key"]],
            score=form.cleaned_data["score"],
            reason=form.cleaned_data["reason"],
            author=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, "Saved. The health score updates within a minute.")
    return redirect(account.get_absolute_url())


@login_required
def backtest_list(request):
    """Back-tests over time: start one (managers and admins), see the recent ones."""
    require_manager(request)
    form = BacktestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from .services.backtest import score_backtest_create

        data = form.cleaned_data
        try:
            backtest = score_backtest_create(
                version=data["version"],
                start=data["start"],
                end=data["end"],
                step_days=data["step_days"],
                horizon_days=data["horizon_days"],
                split_on=data["split_on"],
                new_days=data.get("new_days"),
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = "version" if field == "scorecard_version" else field
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("healthscores:backtest_detail", pk=backtest.pk)
    return render(
        request,
        "healthscores/backtests.html",
        {"form": form, "backtests": selectors.backtests_recent()},
        # A rejected request is a 400, its field errors on the form (nothing was queued).
        status=400 if form.errors else 200,
    )


@login_required
def backtest_detail(request, pk: int):
    require_manager(request)
    backtest = get_object_or_404(
        ScoreBacktest.objects.select_related("scorecard_version__scorecard", "applied_version"),
        pk=pk,
    )
    context = {"backtest": backtest, "report": backtest.report, **selectors.backtest_view(backtest)}
    return render(request, "healthscores/backtest_detail.html", context)


@login_required
@require_POST
def backtest_apply(request, pk: int):
    require_admin(request)
    from .services.backtest import backtest_suggestion_apply

    backtest = get_object_or_404(ScoreBacktest, pk=pk)
    try:
        draft = backtest_suggestion_apply(backtest=backtest, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("healthscores:backtest_detail", pk=pk)
    messages.success(request, f"Draft v{draft.number} created with the suggested weights.")
    return redirect(draft.scorecard.get_absolute_url())


@login_required
def why_changed(request, pk: int):
    """Why the account's health moved over 7, 30 or 90 days (htmx swaps it into the panel)."""
    account = get_object_or_404(Account.objects.for_user(request.user), pk=pk)
    days = why_days(request.GET.get("days"))
    change = selectors.health_change(account.pk, days=days)
    return render(
        request, "healthscores/_why_changed.html", why_context(account, change, days=days)
    )


def why_days(raw) -> int:
    try:
        days = int(raw)
    except (TypeError, ValueError):
        return selectors.WHY_DEFAULT_DAYS
    return days if days in selectors.WHY_PERIODS else selectors.WHY_DEFAULT_DAYS


def why_context(account, change, *, days: int) -> dict:
    """The "why it changed" fragment's context (the panel and the htmx view share it)."""
    labels = {}
    if change and change["earlier"]:
        for snapshot in (change["earlier"], change["latest"]):
            if snapshot.scorecard_version_id:
                labels |= {b.key: b.label for b in snapshot.scorecard_version.bands.all()}
    return {
        "account": account,
        "change": change,
        "days": days,
        "periods": selectors.WHY_PERIODS,
        "from_band": labels.get(change["earlier"].band) if labels else None,
        "to_band": labels.get(change["latest"].band) if labels else None,
    }


@login_required
def scorecard_preview(request, pk: int):
    """What a scorecard version would do to today's bands if it were published now."""
    require_admin(request)
    version = get_object_or_404(ScorecardVersion.objects.select_related("scorecard"), pk=pk)
    preview = scorecard_impact_preview(version=version, as_of=timezone.localdate())
    return render(
        request, "healthscores/scorecard_preview.html", {"version": version, "preview": preview}
    )
