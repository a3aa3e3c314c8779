"""FilterSets for the accounts API (querysets are already narrowed to what the caller sees)."""

import django_filters as filters

from accounts.models import (
    Account,
    Contact,
    IdealCustomerProfile,
    Interaction,
    Segment,
    Subscription,
    SurveyResponse,
    TrustEntry,
    UsageMetric,
)
from core.api.filters import IdFilter


class AccountFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    segment = IdFilter(field_name="segment_id")
    owner = IdFilter(field_name="owner_id")
    health_band = filters.CharFilter()
    decay_status = filters.CharFilter()
    renewal_before = filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    renewal_after = filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields = ["stage", "region", "industry", "external_id", "icp_good_fit", "quadrant"]


class ContactFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    email = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["external_id", "is_champion", "is_decision_maker"]


class InteractionFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    occurred_after = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["category", "channel", "work_type", "external_id"]


class TrustEntryFilter(filters.FilterSet):
    occurred_after = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = TrustEntry
        fields = ["kind", "source"]


class SubscriptionFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    active_on = filters.DateFilter(method="filter_active_on")

    class Meta:
        model = Subscription
        fields = ["product", "external_id"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value).exclude(end_date__lt=value)


class UsageMetricFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = UsageMetric
        fields = ["metric"]


class SurveyResponseFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    responded_after = filters.IsoDateTimeFilter(field_name="responded_at", lookup_expr="gte")

    class Meta:
        model = SurveyResponse
        fields = ["kind", "external_id"]


class SegmentFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Segment
        fields: list[str] = []


class IdealCustomerProfileFilter(filters.FilterSet):
    segment = IdFilter(field_name="segment_id")

    class Meta:
        model = IdealCustomerProfile
        fields = ["is_active", "is_default"]
