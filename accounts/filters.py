"""FilterSets for the accounts app, shared by the pages and the REST API (one per model)."""

import django_filters
from django.db.models import F, Q

from users.models import Role, User

from .models import (
    Account,
    Category,
    Contact,
    Interaction,
    Segment,
    Stage,
    Subscription,
    SurveyResponse,
    TrustEntry,
    UsageMetric,
)


class AccountFilter(django_filters.FilterSet):
    """Account list filters: name search, customer status, segment, stage, owning CSM, ICP fit,
    and the sort order."""

    FIT_CHOICES = [("good", "Good fit"), ("bad", "Bad fit"), ("unscored", "Not scored")]
    # "Current customers" is the book the home page counts (`AccountQuerySet.active`).
    STATUS_CHOICES = [
        ("current", "Current customers"),
        ("prospect", "Prospects"),
        ("churned", "Churned"),
        ("all", "All accounts"),
    ]
    # Sortable columns: (field, the `sort` value). Ties break on name, then id, so pages of
    # equal values do not shuffle between requests.
    SORTS = {
        "name": ("name",),
        "arr": ("arr", "name"),
        "health": ("health_score", "name"),
        "goodwill": ("goodwill_balance", "name"),
        "fit": ("icp_fit", "name"),
        "renewal": ("renewal_date", "name"),
    }

    q = django_filters.CharFilter(method="filter_q", label="Search")
    segment = django_filters.ModelChoiceFilter(
        queryset=Segment.objects.all(), empty_label="Any segment"
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="Any stage")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(role__in=[Role.CSM, Role.MANAGER]),
        label="CSM",
        empty_label="Any CSM",
    )
    fit = django_filters.ChoiceFilter(
        choices=FIT_CHOICES, method="filter_fit", label="ICP fit", empty_label="Any fit"
    )
    external_id = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label="Customers", empty_label=None
    )
    sort = django_filters.CharFilter(method="filter_sort", label="Sort")

    class Meta:
        model = Account
        fields = ["q", "status", "segment", "stage", "owner", "fit", "external_id", "sort"]

    def filter_status(self, queryset, name, value):
        if value == "current":
            return queryset.active()
        if value in (Stage.PROSPECT, Stage.CHURNED):
            return queryset.filter(stage=value)
        return queryset

    def filter_sort(self, queryset, name, value):
        key = value.lstrip("-")
        if key not in self.SORTS:
            return queryset
        fields = self.SORTS[key]
        descending = value.startswith("-")
        if not Account._meta.get_field(fields[0]).null:
            # No NULLs to place: a plain ORDER BY lets PostgreSQL walk the column's index
            # (either way) and stop after a page, instead of sorting every visible account.
            first = F(fields[0]).desc() if descending else F(fields[0]).asc()
        elif descending:
            first = F(fields[0]).desc(nulls_last=True)
        else:
            first = F(fields[0]).asc(nulls_last=True)
        return queryset.order_by(first, *fields[1:], "pk")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(external_id__iexact=value) | Q(domain__icontains=value)
        )

    def filter_fit(self, queryset, name, value):
        if value == "good":
            return queryset.filter(icp_good_fit=True)
        if value == "bad":
            return queryset.filter(icp_good_fit=False)
        return queryset.filter(icp_fit__isnull=True)


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Contact
        fields = ["account", "is_champion", "is_decision_maker", "is_user", "external_id"]


class InteractionFilter(django_filters.FilterSet):
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["account", "category", "channel", "work_type", "author", "external_id"]


class TrustEntryFilter(django_filters.FilterSet):
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = TrustEntry
        fields = ["account", "kind", "source"]


class SubscriptionFilter(django_filters.FilterSet):
    active_on = django_filters.DateFilter(method="filter_active_on")

    class Meta:
        model = Subscription
        fields = ["account", "product", "external_id"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(
            Q(start_date__lte=value), Q(end_date__isnull=True) | Q(end_date__gte=value)
        )


class UsageMetricFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = UsageMetric
        fields = ["account", "metric"]


class SurveyResponseFilter(django_filters.FilterSet):
    responded_after = django_filters.IsoDateTimeFilter(field_name="responded_at", lookup_expr="gte")

    class Meta:
        model = SurveyResponse
        fields = ["account", "kind", "contact"]
