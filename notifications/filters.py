"""One FilterSet per model, shared by the page and the API."""

import django_filters

from .models import Kind, Notification


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or only read (false)"
    )
    kind = django_filters.ChoiceFilter(choices=Kind.choices, empty_label="Any kind")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
