"""One FilterSet per model, shared by the pages and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.api.filters import IdFilter
from success.models import (
    Cta,
    CtaOutcome,
    CtaStatus,
    LessonLearned,
    LessonReason,
    PlanStatus,
    Priority,
    RuleKey,
    SuccessPlan,
)


class CtaFilter(django_filters.FilterSet):
    """Status ("live" = open or in progress and not snoozed), priority, rule, owner ("mine"),
    outcome and account."""

    status = django_filters.ChoiceFilter(
        choices=[
            ("live", "Open or in progress"),
            ("snoozed", "Snoozed"),
            ("overdue", "Overdue"),
            *CtaStatus.choices,
        ],
        method="filter_status",
        empty_label="Any status",
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    rule = django_filters.ChoiceFilter(
        field_name="rule__key", choices=RuleKey.choices, empty_label="Any rule", label="Rule"
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only mine")
    outcome = django_filters.ChoiceFilter(choices=CtaOutcome.choices, empty_label="Any outcome")
    account = IdFilter(field_name="account_id")
    q = django_filters.CharFilter(method="filter_q", label="Search")

    class Meta:
        model = Cta
        fields = ["status", "priority", "rule", "mine", "outcome", "account", "q"]

    def filter_status(self, queryset, name, value):
        """ "live" leaves out snoozed CTAs until their day comes; "snoozed" lists only them;
        "overdue" is live, awake and past its due date."""
        today = timezone.localdate()
        if value == "live":
            return queryset.live().awake(today)
        if value == "snoozed":
            return queryset.snoozed(today)
        if value == "overdue":
            return queryset.overdue(today)
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(owner=user)
        return queryset

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(account__name__icontains=value) | Q(title__icontains=value))


class SuccessPlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, empty_label="Any status")
    segment = IdFilter(field_name="account__segment_id")
    account = IdFilter(field_name="account_id")
    q = django_filters.CharFilter(method="filter_q", label="Search")

    class Meta:
        model = SuccessPlan
        fields = ["status", "segment", "account", "q"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(account__name__icontains=value) | Q(name__icontains=value))


class LessonLearnedFilter(django_filters.FilterSet):
    reason_code = django_filters.ChoiceFilter(choices=LessonReason.choices)
    segment = IdFilter(field_name="account__segment_id")
    kind = django_filters.ChoiceFilter(choices=LessonLearned.Kind.choices)

    class Meta:
        model = LessonLearned
        fields = ["reason_code", "segment", "kind"]
