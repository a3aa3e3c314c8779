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
    """`ordering=<field>` or `-<field>`: one of the view's `ordering_fields`, else a 400.

    The schema lists the allowed values as an enum, so a value it admits is one the server
    takes (and generated clients get an enum). One field per request: the cursor pages by it.
    """

    ordering_fields = ["id"]  # for a view that names none

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param)
        if param:
            allowed = self._choices(view)
            if param not in allowed:
                raise ValidationError(
                    {self.ordering_param: [f"Order by one of: {', '.join(allowed)}."]}
                )
        return super().get_ordering(request, queryset, view)

    def _choices(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        names = [item if isinstance(item, str) else item[0] for item in fields]
        return [value for name in names for value in (name, f"-{name}")]

    def get_schema_operation_parameters(self, view):
        choices = self._choices(view)
        names = [c.lstrip("-").upper() + ("_DESC" if c.startswith("-") else "") for c in choices]
        # x-enum-varnames: generated clients name `-arr` ARR_DESC rather than VALUE_5.
        schema = {"type": "string", "enum": choices, "x-enum-varnames": names}
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field (prefix `-` for descending).",
                "schema": schema,
            }
        ]


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
