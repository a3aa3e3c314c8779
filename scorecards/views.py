"""Admin-only scorecard settings: list, draft editing, publishing.

A draft's impact preview scores accounts, so it lives with the scores
(`healthscores.views.scorecard_preview`): scorecards sit below healthscores and never call it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from users.permissions import require_admin

from .forms import (
    BandForm,
    BandFormSet,
    MeasureForm,
    MeasureFormSet,
    ScorecardCreateForm,
    VersionNotesForm,
)
from .hooks import scorecard_coverage
from .models import Scorecard, ScorecardVersion
from .selectors import scorecard_list as scorecards_with_versions
from .selectors import version_queryset
from .services import (
    scorecard_create,
    scorecard_version_draft_create,
    scorecard_version_publish,
    scorecard_version_update,
)


def _filled(formset):
    """Rows to keep: existing rows not marked for deletion, and extra rows someone filled in."""
    keep = []
    for i, form in enumerate(formset.forms):
        if form.cleaned_data.get("DELETE"):
            continue
        if i >= formset.initial_form_count() and not form.has_changed():
            continue
        keep.append(form)
    return keep


@login_required
def scorecard_list(request):
    require_admin(request)
    form = ScorecardCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scorecard = scorecard_create(
                name=form.cleaned_data["name"],
                segment=form.cleaned_data["segment"],
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            draft = scorecard.versions.get()
            return redirect("scorecards:version_edit", pk=draft.pk)
    return render(
        request, "scorecards/list.html", {"scorecards": scorecards_with_versions(), "form": form}
    )


@login_required
def scorecard_detail(request, pk: int):
    require_admin(request)
    scorecard = get_object_or_404(Scorecard.objects.select_related("segment"), pk=pk)
    versions = (
        version_queryset()
        .select_related("published_by")
        .filter(scorecard=scorecard)
        .order_by("-number")
    )
    return render(request, "scorecards/detail.html", {"scorecard": scorecard, "versions": versions})


@login_required
@require_POST
def version_draft(request, pk: int):
    require_admin(request)
    scorecard = get_object_or_404(Scorecard, pk=pk)
    draft = scorecard_version_draft_create(scorecard=scorecard, user=request.user)
    return redirect("scorecards:version_edit", pk=draft.pk)


@login_required
def version_edit(request, pk: int):
    require_admin(request)
    version = get_object_or_404(version_queryset(), pk=pk)
    if not version.is_draft:
        messages.info(request, "Published and archived versions are read-only; start a draft.")
        return redirect("scorecards:detail", pk=version.scorecard_id)
    if request.method == "POST":
        notes = VersionNotesForm(request.POST)
        measures = MeasureFormSet(request.POST, prefix="measures")
        bands = BandFormSet(request.POST, prefix="bands")
        publishing = request.POST.get("action") == "publish"
        if notes.is_valid() and measures.is_valid() and bands.is_valid():
            try:
                scorecard_version_update(
                    version=version,
                    notes=notes.cleaned_data["notes"],
                    measures=[f.as_measure() for f in _filled(measures)],
                    bands=[f.as_band() for f in _filled(bands)],
                    new_days=notes.cleaned_data.get("new_days"),
                )
                if publishing:
                    scorecard_version_publish(version=version, user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    notes.add_error(None, message)
            else:
                if publishing:
                    messages.success(request, _published_message(version))
                    return redirect("scorecards:detail", pk=version.scorecard_id)
                messages.success(request, "Draft saved. Preview its impact before publishing.")
                return redirect("scorecards:version_edit", pk=version.pk)
    else:
        notes = VersionNotesForm(initial={"notes": version.notes, "new_days": version.new_days})
        measures = MeasureFormSet(
            prefix="measures", initial=[MeasureForm.initial_from(m) for m in version.measures.all()]
        )
        bands = BandFormSet(
            prefix="bands",
            initial=[
                {"key": b.key, "label": b.label, "min_score": b.min_score, "colour": b.colour}
                for b in version.bands.all()
            ],
        )
    return render(
        request,
        "scorecards/edit.html",
        {
            "version": version,
            "notes_form": notes,
            "measures": measures,
            "bands": bands,
            "band_form_class": BandForm,
        },
    )


@login_required
@require_POST
def version_publish(request, pk: int):
    require_admin(request)
    version = get_object_or_404(ScorecardVersion, pk=pk)
    try:
        scorecard_version_publish(version=version, user=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("scorecards:version_edit", pk=version.pk)
    messages.success(request, _published_message(version))
    return redirect("scorecards:detail", pk=version.scorecard_id)


def _published_message(version: ScorecardVersion) -> str:
    return (
        f"Version {version.number} published. Tonight's run scores with it; "
        "press Recompute now on the score runs page to apply it today."
    )


@login_required
def version_coverage(request, pk: int):
    """The editor's coverage panel (loaded after the page): per measure, the share of the
    scorecard's accounts with data today and what each missing-data choice does to the rest."""
    require_admin(request)
    version = get_object_or_404(ScorecardVersion.objects.select_related("scorecard"), pk=pk)
    coverage = scorecard_coverage(version=version, as_of=timezone.localdate())
    return render(request, "scorecards/_coverage.html", {"coverage": coverage})
