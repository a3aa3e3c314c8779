"""List filters: an unknown ordering or a malformed value is a 400.

An empty value (`?status=`) never reaches them: `core.api.middleware` drops it, so it means
"no filter", as OpenAPI tools and form-built URLs send it.
"""

import re
from datetime import UTC, datetime

from django import forms
from django_filters import BooleanFilter, NumberFilter
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

ID_MAX = 2**63 - 1  # PostgreSQL's bigint


class WholeNumberField(forms.IntegerField):
    """Digits only: "4.0" and "1e3" are not ids (Django's IntegerField would take them)."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?\d+", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(NumberFilter):
    """A filter by a row's id: a whole number from 1 (typed as an integer in the schema)."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class StrictOrderingFilter(OrderingFilter):
    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = self.remove_invalid_fields(queryset, fields, view, request)
            if len(valid) != len(fields):
                allowed = sorted(name for name, _ in self.get_valid_fields(queryset, view))
                raise ValidationError(
                    {self.ordering_param: [f"Order by one of: {', '.join(allowed)} (- for desc)."]}
                )
        return super().get_ordering(request, queryset, view)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, with booleans held to true/false and date-times compared in UTC."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        given = request.query_params
        if not _filters_given(filterset_class, given):
            # Nothing to filter by (a detail request, a plain list): building and validating
            # the FilterSet would leave the queryset as it is, so skip that work.
            return queryset
        booleans = sorted(
            name
            for name, f in filterset_class.base_filters.items()
            if isinstance(f, BooleanFilter)
            and given.get(name, "true").lower() not in {"true", "false"}
        )
        if booleans:
            raise ValidationError({name: ["Use true or false."] for name in booleans})
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        filterset.form.cleaned_data = {
            name: _in_utc(value) for name, value in filterset.form.cleaned_data.items()
        }
        return filterset.qs


def _filters_given(filterset_class, params) -> bool:
    """Whether the request names any of the FilterSet's filters (or one must always run).

    A parameter `<filter>_<suffix>` counts too, for filters whose widget splits the value.
    """
    for name, f in filterset_class.base_filters.items():
        if f.extra.get("required"):
            return True
        if any(p == name or p.startswith(name + "_") for p in params):
            return True
    return False


def _in_utc(value):
    """A date-time (or a range of them) moved to UTC: any offset ISO 8601 allows (up to
    ±23:59) is a valid filter, though PostgreSQL only takes offsets up to ±15:59."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, slice):
        return slice(_in_utc(value.start), _in_utc(value.stop), value.step)
    return value
