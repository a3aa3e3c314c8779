"""Sane bounds for every date and datetime a user can type: years `DATE_INPUT_MIN_YEAR` to
`DATE_INPUT_MAX_YEAR` (1900..2200 by default). Year 1 or 9999 is a typo or a probe, and near
those ends date arithmetic (a horizon, a timezone shift) overflows into a 500."""

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError


def date_bounds() -> tuple[int, int]:
    return settings.DATE_INPUT_MIN_YEAR, settings.DATE_INPUT_MAX_YEAR


def validate_sane_date(value: date | datetime | None) -> None:
    """Refuse a date or datetime outside the configured years (a field message, never a 500)."""
    if value is None or not isinstance(value, date):
        return
    low, high = date_bounds()
    if not low <= value.year <= high:
        raise ValidationError(
            f"Enter a date between the years {low} and {high}.", code="date_out_of_range"
        )


def install_date_bounds() -> None:
    """Give every Django model, form and DRF serializer field for dates the bound as a default
    validator, so forms, ModelForms, django-filter filters, serializers and services that
    clean through the model field all check it without each declaration remembering to."""
    from django import forms
    from django.db import models
    from rest_framework import serializers

    for field_class in (
        models.DateField,
        models.DateTimeField,
        forms.DateField,
        forms.DateTimeField,
        serializers.DateField,
        serializers.DateTimeField,
    ):
        validators = list(getattr(field_class, "default_validators", []))
        if validate_sane_date not in validators:
            field_class.default_validators = [*validators, validate_sane_date]
