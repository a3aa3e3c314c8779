"""Serializer pieces every API serializer uses."""

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class StrictCharField(serializers.CharField):
    """A CharField that checks max_length before trimming whitespace, as the schema says."""

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None and not isinstance(data, str):
            self.fail("invalid")
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictSlugField(serializers.SlugField):
    """A slug exactly as sent: a JSON string of letters, digits, - and _ (no number turned into
    text, no surrounding space trimmed, no trailing newline let through by Python's `$`), as
    the schema's pattern says."""

    def __init__(self, **kwargs):
        kwargs["trim_whitespace"] = False
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None and not isinstance(data, str):
            self.fail("invalid")
        if isinstance(data, str) and data and not re.fullmatch(r"[-a-zA-Z0-9_]+", data):
            self.fail("invalid")
        return super().run_validation(data)


class StrictFloatField(serializers.FloatField):
    """Only JSON numbers: "1.5" and true are rejected."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false: 0, 1, "yes" and friends are rejected rather than guessed."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """Only JSON integers: "5", 5.5 and true are rejected."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """An exact amount as a JSON string ("1200.50"), in requests as in responses.

    The schema types it as a string with format `decimal` and the pattern below, and the
    server holds input to that same pattern: a JSON number is refused (a float cannot carry
    every amount exactly), so what the schema says is the rule.
    """

    default_error_messages = {
        **serializers.DecimalField.default_error_messages,
        "not_a_string": 'Send the amount as a string, e.g. "1200.50".',
        "pattern": 'Use digits with at most {decimal_places} decimal places, e.g. "1200.50".',
    }

    @property
    def pattern(self) -> str:
        whole = (self.max_digits or 30) - (self.decimal_places or 0)
        places = self.decimal_places
        fraction = rf"(\.\d{{1,{places}}})?" if places else ""
        signed = self.min_value is None or self.min_value < 0
        top = self.max_value
        digits = len(str(int(top))) - 1 if top is not None and top >= 1 else 0
        if not signed and digits and top == 10**digits:
            # A ceiling of 10, 100, ...: fewer whole digits, or the ceiling itself (a percentage).
            zeros = rf"(\.0{{1,{places}}})?" if places else ""
            return rf"^(\d{{1,{digits}}}{fraction}|{int(top)}{zeros})$"
        return rf"^{'-?' if signed else ''}\d{{1,{whole}}}{fraction}$"

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if not re.match(self.pattern, data):
            self.fail("pattern", decimal_places=self.decimal_places)
        return super().to_internal_value(data)


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "decimal", "pattern": self.target.pattern}


class BoundedDateField(serializers.DateField):
    """A date from `earliest` to `latest()` (evaluated per request, e.g. "up to today"); the
    schema states the range as a pattern, so a date it admits is one the server takes."""

    def __init__(
        self,
        *,
        earliest: date | None = None,
        earliest_of: Callable[[], date] | None = None,
        latest: Callable[[], date] | None = None,
        **kwargs,
    ):
        self.earliest, self.earliest_of, self.latest = earliest, earliest_of, latest
        super().__init__(**kwargs)

    def bounds(self) -> tuple[date, date]:
        from core.dates import date_bounds

        low, high = date_bounds()
        earliest = self.earliest_of() if self.earliest_of else self.earliest or date(low, 1, 1)
        return earliest, self.latest() if self.latest else date(high, 12, 31)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        low, high = self.bounds()
        if not low <= parsed <= high:
            raise serializers.ValidationError(f"Pick a date between {low} and {high}.")
        return parsed


class BoundedDateFieldSchema(OpenApiSerializerFieldExtension):
    target_class = BoundedDateField

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string", "format": "date"}
        if direction == "request":
            schema["pattern"] = date_range_pattern(*self.target.bounds())
        return schema


def number_range_regex(low: int, high: int, width: int) -> str:
    """A compact regex for the zero-padded numbers low..high of `width` digits, e.g. 1901..2199
    as `(190[1-9]|19[1-9]\\d|2[0-1]\\d\\d)`."""
    blocks = []  # (prefix digits, free trailing digits)
    start = low
    while start <= high:
        free = 0
        while start % 10 ** (free + 1) == 0 and start + 10 ** (free + 1) - 1 <= high:
            free += 1
        blocks.append((f"{start:0{width}d}"[: width - free], free))
        start += 10**free
    merged: list[list] = []  # [head, first last digit, last last digit, free]
    for prefix, free in blocks:
        head, digit = prefix[:-1], int(prefix[-1]) if prefix else 0
        last = merged[-1] if merged else None
        if last and prefix and last[0] == head and last[3] == free and last[2] == digit - 1:
            last[2] = digit
        else:
            merged.append([head, digit, digit, free] if prefix else ["", None, None, free])
    parts = []
    for head, first, last, free in merged:
        digit = "" if first is None else (str(first) if first == last else f"[{first}-{last}]")
        parts.append(head + digit + r"\d" * free)
    return "(" + "|".join(parts) + ")"


def date_range_pattern(low: date, high: date) -> str:
    """A regex matching the ISO dates (YYYY-MM-DD) from `low` to `high` (format `date` rules
    out the days a month does not have)."""

    def one_of(numbers, width=2) -> str:
        numbers = list(numbers)
        return number_range_regex(numbers[0], numbers[-1], width)

    def days(year, month, first, last) -> str:
        return f"{year:04d}-{month:02d}-{one_of(range(first, last + 1))}"

    def months(year, first, last) -> list[str]:
        return [rf"{year:04d}-{one_of(range(first, last + 1))}-\d\d"] if first <= last else []

    parts = []
    if low.year == high.year and low.month == high.month:
        parts.append(days(low.year, low.month, low.day, high.day))
    elif low.year == high.year:
        parts.append(days(low.year, low.month, low.day, 31))
        parts += months(low.year, low.month + 1, high.month - 1)
        parts.append(days(high.year, high.month, 1, high.day))
    else:
        parts.append(days(low.year, low.month, low.day, 31))
        parts += months(low.year, low.month + 1, 12)
        if high.year - low.year > 1:
            years = one_of(range(low.year + 1, high.year), width=4)
            parts.append(rf"{years}-\d\d-\d\d")
        parts += months(high.year, 1, high.month - 1)
        parts.append(days(high.year, high.month, 1, high.day))
    return "^(" + "|".join(parts) + ")$"


ID_MAX = 2**63 - 1  # PostgreSQL's bigint


class BoundedPrimaryKeyRelatedField(relations.PrimaryKeyRelatedField):
    """An id in a body: above the largest id a table can hold it is malformed (400); a whole
    number that names no row is a missing reference (`does_not_exist`, a 404)."""

    default_error_messages = {
        **relations.PrimaryKeyRelatedField.default_error_messages,
        "out_of_range": f"Ids run from 1 to {ID_MAX}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and data > ID_MAX:
            self.fail("out_of_range")
        return super().to_internal_value(data)


class BoundedPrimaryKeyRelatedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = BoundedPrimaryKeyRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "integer"}
        return {"type": "integer", "maximum": ID_MAX}


class RejectUnknownFieldsMixin:
    """A body naming a field the serializer does not have is a 400 naming it, not ignored.

    Read-only fields are known (a client may send back what it read); they are still ignored.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not known; remove it."] for name in unknown}
                )
        return super().to_internal_value(data)


class ApiSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The base of every API serializer that is not a model serializer."""


class EmptyBodySerializer(ApiSerializer):
    """The body of an action that takes no input: `{}` or nothing; any field is a 400."""


# Unbound fields each ApiModelSerializer class builds from its model, deep-copied per instance
# exactly as DRF copies declared fields (the model introspection is what costs).
_FIELD_PROTOTYPES: dict[type, dict] = {}


class ApiModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    serializer_related_field = BoundedPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.DecimalField: MoneyField,
        models.FloatField: StrictFloatField,
    }

    def get_fields(self):
        """DRF's fields, introspected from the model once per class and copied per serializer."""
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES[type(self)] = super().get_fields()
        return copy.deepcopy(prototypes)

    def to_representation(self, instance):
        """DRF's `to_representation`, with plain column fields read straight off the instance.

        A field whose source is one concrete column (or a foreign key answered by its id) is read
        with one getattr, skipping DRF's generic attribute walk; every other field (nested,
        method, dotted or `*` sources) goes through DRF as usual. The output is the same.
        """
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = self._build_representation_plan()
        ret = {}
        for name, field, attname, pk_only in plan:
            if attname is not None:
                value = getattr(instance, attname)
                if value is None:
                    ret[name] = None
                elif pk_only:
                    ret[name] = value
                else:
                    ret[name] = field.to_representation(value)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        return ret

    def _build_representation_plan(self) -> list[tuple]:
        """(name, field, column attname or None, answered by the pk) for each readable field."""
        meta = self.Meta.model._meta
        plan = []
        for field in self._readable_fields:
            plan.append((field.field_name, field, *_column_of(field, meta)))
        return plan


def _column_of(field, meta) -> tuple[str | None, bool]:
    """The model attribute a field reads unchanged, if it is that simple (else None)."""
    if len(field.source_attrs) != 1:
        return None, False
    try:
        model_field = meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None, False
    if not model_field.concrete or getattr(model_field, "attname", None) is None:
        return None, False
    cls = type(field)
    if isinstance(field, relations.PrimaryKeyRelatedField):
        simple = (
            field.pk_field is None
            and model_field.many_to_one
            and cls.get_attribute is relations.RelatedField.get_attribute
            and cls.use_pk_only_optimization
            is relations.PrimaryKeyRelatedField.use_pk_only_optimization
            and cls.to_representation is relations.PrimaryKeyRelatedField.to_representation
        )
        return (model_field.attname, True) if simple else (None, False)
    if isinstance(field, relations.RelatedField | serializers.BaseSerializer):
        return None, False
    if model_field.is_relation or cls.get_attribute is not serializers.Field.get_attribute:
        return None, False
    return model_field.attname, False
