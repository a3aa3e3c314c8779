"""Insights for team reviews, and the lessons-learned form on a churned or lost account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from success import selectors, services
from success.filters import LessonLearnedFilter
from success.forms import LessonLearnedForm

from .common import form_errors_text, manager_required, visible_account


@login_required
@manager_required
def insights(request):
    """Per segment: what distinguishes successful from unsuccessful customers."""
    lessons = LessonLearnedFilter(
        request.GET, queryset=selectors.lessons_for_user(request.user), request=request
    )
    return render(
        request,
        "success/insights.html",
        {
            "segments": selectors.segment_insights(request.user, as_of=timezone.localdate()),
            "lessons_filter": lessons,
            "lessons": lessons.qs[:50],
        },
    )


@login_required
def lesson_new(request, account_id: int):
    """Record a lesson learned for an account that churned (or a prospect we lost)."""
    account = visible_account(request, account_id)
    form = LessonLearnedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_learned_record(
                account=account,
                kind=form.cleaned_data["kind"],
                reason_code=form.cleaned_data["reason_code"],
                notes=form.cleaned_data["notes"],
                recorded_on=form.cleaned_data["recorded_on"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, form_errors_text(exc))
        else:
            messages.success(request, "Lesson learned recorded.")
            return redirect(account)
    if request.method == "GET" and account.stage == "prospect":
        form.initial["kind"] = "lost"
    return render(request, "success/lesson_form.html", {"account": account, "form": form})
