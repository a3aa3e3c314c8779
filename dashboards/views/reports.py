"""Reports: the index and the top-10 report with its CSV and PDF exports."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core.exports import csv_response, pdf_response

from ..forms import Top10Form
from ..selectors.reports import SHORT_TERM_WORDS, top10_csv_rows, top10_report


@login_required
def reports_index(request):
    return render(request, "dashboards/reports.html", {})


def _report(request) -> dict:
    form = Top10Form(request.GET or None)
    by = form.cleaned_data["by"] if form.is_valid() and form.cleaned_data["by"] else "ltv"
    report = top10_report(request.user, by=by, today=timezone.localdate())
    return {"form": form, "report": report, "short_term_words": sorted(SHORT_TERM_WORDS)}


@login_required
def top10(request):
    """The manager's top-10 accounts with the "something is amiss" flag."""
    return render(request, "dashboards/top10.html", _report(request))


@login_required
def top10_csv(request):
    context = _report(request)
    report = context["report"]
    return csv_response(
        top10_csv_rows(report), filename=f"top10-by-{report['by']}-{report['today']:%Y-%m-%d}.csv"
    )


@login_required
def top10_pdf(request):
    context = _report(request)
    report = context["report"]
    context["prepared_for"] = request.user
    return pdf_response(
        "dashboards/pdf/top10.html",
        context,
        filename=f"top10-by-{report['by']}-{report['today']:%Y-%m-%d}.pdf",
    )
