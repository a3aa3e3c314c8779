"""Serializer pieces every API serializer uses."""

import copy

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.utils import extend_schema_field
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


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"},
        ]
    },
    component_name=None,
)
class LenientDecimalField(serializers.DecimalField):
    """A decimal sent as a JSON number or a string (answers always use a string)."""


# Unbound fields each ApiModelSerializer class builds from its model, deep-copied per instance
# exactly as DRF copies declared fields (the model introspection is what costs).
_FIELD_PROTOTYPES: dict[type, dict] = {}


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.DecimalField: LenientDecimalField,
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
