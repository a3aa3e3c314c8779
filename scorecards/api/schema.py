"""A measure's body in the schema: one shape per kind, so the schema says which settings
(`params`) each kind takes, with their types, bounds and choices (scorecards.kinds).

drf-spectacular sees one serializer with a free-form `params`; this postprocessing hook (run
before core.api.schema.contract_postprocess, which adds string patterns and forbids undeclared
properties) replaces the request bodies:

- `MeasureRequest` (create, replace): one of `<Kind>MeasureRequest`, told apart by `kind`;
  `params` is required where the kind has a required setting.
- `PatchedMeasureRequest` (partial update): one of `PatchedMeasureFieldsRequest` (neither
  `kind` nor `params`) and `Patched<Kind>MeasureRequest` (both: a kind's settings cannot be
  checked without it, and a new kind needs its own settings).
"""

import copy

from scorecards.kinds import Param, kind_params
from scorecards.models import AccountAttribute, MeasureKind

from .serializers import WEIGHT_MAX

REF = "#/components/schemas/"


def _param_schema(param: Param) -> dict:
    """One setting as JSON Schema: what `Param.clean` accepts."""
    if param.type is list:  # a scoring curve
        schema = {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "number"},
                "description": "[raw value, score]; a score outside 0-100 is stored as 0 or 100.",
            },
        }
    elif param.type is bool:
        schema = {"type": "boolean"}
    elif param.type is str:
        schema = {"type": "string"}
        if param.choices:
            schema["enum"] = [value for value, _ in param.choices]
        elif param.max_length is not None:
            schema["maxLength"] = param.max_length
        if param.required:
            schema["minLength"] = 1
    else:
        schema = {"type": "integer" if param.type is int else "number"}
        if param.min_value is not None:
            schema["minimum"] = param.min_value
        if param.max_value is not None:
            schema["maximum"] = param.max_value
    description = param.help_text or param.label
    if param.default not in (None, ""):
        default = str(param.default).lower() if param.type is bool else param.default
        description += f" Default (when left out): {default}."
    schema["description"] = schema.get("description", description)
    return schema


def params_schema(kind: str) -> dict:
    params = kind_params(kind)
    schema = {
        "type": "object",
        "description": f"The settings of a {MeasureKind(kind).label} measure.",
        "properties": {param.name: _param_schema(param) for param in params},
        "additionalProperties": False,
    }
    required = [param.name for param in params if param.required]
    if required:
        schema["required"] = required
    if kind == MeasureKind.ACCOUNT_ATTRIBUTE:
        return _attribute_shapes(schema)
    return schema


def _attribute_shapes(schema: dict) -> dict:
    """An account attribute's settings, one shape per rule of kinds._attribute_errors: a custom
    attribute names its key (and only it does), the seats are never divided by the seats."""
    custom, seats, other = (copy.deepcopy(schema) for _ in range(3))
    custom["properties"]["attribute"]["enum"] = [AccountAttribute.CUSTOM.value]
    custom["properties"]["custom_key"]["minLength"] = 1
    custom["required"] = ["attribute", "custom_key"]
    seats["properties"]["attribute"]["enum"] = [AccountAttribute.SEATS.value]
    seats["properties"].pop("custom_key")
    seats["properties"]["per_seat"]["enum"] = [False]
    other["properties"]["attribute"]["enum"] = [
        value
        for value in AccountAttribute.values
        if value not in (AccountAttribute.CUSTOM, AccountAttribute.SEATS)
    ]
    other["properties"].pop("custom_key")
    return {"oneOf": [custom, seats, other], "description": schema["description"]}


def _camel(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _weight(schema: dict) -> None:
    schema["properties"]["weight"].update(
        minimum=0,
        exclusiveMinimum=True,
        maximum=WEIGHT_MAX,
        description="Relative weight, above 0.",
    )


def measure_body_variants(result, generator, request, public):
    """drf-spectacular postprocessing hook: the measure bodies, one shape per kind."""
    components = result.get("components", {}).get("schemas", {})
    full, patched = components.get("MeasureRequest"), components.get("PatchedMeasureRequest")
    if full is None or patched is None:
        return result
    description = full.get("description", "")
    variants, mapping = [], {}
    for kind in MeasureKind.values:
        name = f"{_camel(kind)}MeasureRequest"
        variant = copy.deepcopy(full)
        variant["properties"]["kind"] = {"type": "string", "enum": [kind]}
        variant["properties"]["params"] = params_schema(kind)
        _weight(variant)
        if any(param.required for param in kind_params(kind)):
            variant["required"] = sorted({*variant.get("required", []), "params"})
        components[name] = variant
        mapping[kind] = REF + name
        variants.append({"$ref": REF + name})
    components["MeasureRequest"] = {
        "oneOf": variants,
        "discriminator": {"propertyName": "kind", "mapping": mapping},
        "description": description,
    }
    fields = copy.deepcopy(patched)
    for name in ("kind", "params"):
        fields["properties"].pop(name)
    _weight(fields)
    fields["description"] = description + " Neither `kind` nor `params`: the other fields."
    components["PatchedMeasureFieldsRequest"] = fields
    shapes = [{"$ref": REF + "PatchedMeasureFieldsRequest"}]
    for kind in MeasureKind.values:
        name = f"Patched{_camel(kind)}MeasureRequest"
        variant = copy.deepcopy(patched)
        variant["properties"]["kind"] = {"type": "string", "enum": [kind]}
        variant["properties"]["params"] = params_schema(kind)
        variant["required"] = ["kind", "params"]
        _weight(variant)
        components[name] = variant
        shapes.append({"$ref": REF + name})
    components["PatchedMeasureRequest"] = {"oneOf": shapes, "description": description}
    return result
