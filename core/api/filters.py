"""Strict list filters: an unknown ordering or an empty filter value is a 400, not ignored."""

from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


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
    """django-filter, except that a filter given with an empty value is a 400, not ignored."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _filters_given(filterset_class, request):
            # Nothing to filter by (a detail request, a plain list): building and validating
            # the FilterSet would leave the queryset as it is, so skip that work.
            return queryset
        if filterset_class is not None:
            empty = sorted(
                name
                for name in filterset_class.base_filters
                if request.query_params.get(name) == ""
            )
            booleans = sorted(
                name
                for name, f in filterset_class.base_filters.items()
                if isinstance(f, BooleanFilter)
                and request.query_params.get(name, "true").lower() not in {"true", "false"}
            )
            if booleans:
                raise ValidationError({name: ["Use true or false."] for name in booleans})
            if empty:
                raise ValidationError(
                    {name: ["Give a value or leave the filter out."] for name in empty}
                )
        return super().filter_queryset(request, queryset, view)


def _filters_given(filterset_class, request) -> bool:
    """Whether the request names any of the FilterSet's filters (or one must always run).

    A parameter `<filter>_<suffix>` counts too, for filters whose widget splits the value.
    """
    params = list(request.query_params)
    for name, f in filterset_class.base_filters.items():
        if f.extra.get("required"):
            return True
        if any(p == name or p.startswith(name + "_") for p in params):
            return True
    return False
