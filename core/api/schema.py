"""OpenAPI details every operation shares: the JSON error body on every error status, the
`Idempotency-Key` request header and the response headers (rate limit, replay, request id)."""

import copy
import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .fields import number_range_regex


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Field name → list of messages (nested for nested objects or rows).",
    )
    request_id = serializers.CharField(
        required=False,
        help_text="On a 500: the id under which the failure was logged (also `X-Request-ID`).",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: see `errors` for the messages per field.",
    "401": "No or invalid credentials.",
    "403": "Authenticated, but the role or the token's scope does not allow this.",
    "404": "No such resource, or not visible to you (another CSM's account is 404).",
    "406": "The Accept header asks for a format other than JSON.",
    "409": "Conflicts with the records as they stand (a unique value is taken, others refer "
    "to it, a state forbids it) or, on a POST, the Idempotency-Key was already used with "
    "another body.",
    "413": "The request body is over the size limit.",
    "415": "The body is not JSON.",
    "429": "Rate limit reached; retry after the `Retry-After` seconds.",
    "500": "An unexpected failure; it is logged under `request_id`.",
    "503": "A backing service is briefly unavailable; retry after `Retry-After` seconds.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=["429", "503"],
    description="Seconds to wait before retrying.",
)
RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        "X-RateLimit-Limit",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests allowed per window for this token.",
    ),
    OpenApiParameter(
        "X-RateLimit-Remaining",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests left in the current window.",
    ),
    OpenApiParameter(
        "X-RateLimit-Reset",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Seconds until the window frees a request.",
    ),
]
REQUEST_ID = OpenApiParameter(
    "X-Request-ID",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=True,
    description="This request's id in the server log (send your own, 8-64 of A-Z a-z 0-9 . _ -).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 255},
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID), at most 255 characters. A retry with the "
    "same key and body within 24 h replays the first response with "
    "`Idempotent-Replayed: true`; the same key with another body is 409.",
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["200", "201", "202", "207"],
    enum=["true"],
    description="Present (`true`) when this response is the replay of an earlier request "
    "with the same Idempotency-Key.",
)


class ApiAutoSchema(AutoSchema):
    """Documents the shared error responses and headers so the schema says what the server does."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "406", "429", "500", "503"]
        if self.method in WRITE_METHODS:
            codes.append("409")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses

    def _get_parameters(self):
        # The server treats `?name=` as leaving the parameter out (see core.api.middleware),
        # so every optional query parameter declares that an empty value is allowed.
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def get_override_parameters(self):
        params = [*super().get_override_parameters(), RETRY_AFTER, *RATE_LIMIT_HEADERS, REQUEST_ID]
        if self.method == "POST":
            params += [IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED]
        return params


# --- Postprocessing: what generators and fuzzers read off the schema ---------------------------

NO_NUL = r"^[^\x00]*$"
# What Python's str.strip() removes: a required text field must keep a character after it.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NON_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
LINK_METHODS = ("get", "put", "patch", "delete", "post")


def _string_patterns() -> dict[str | None, str]:
    """The pattern each string format gets in requests: what the server takes, said in the schema.

    Dates must fall in the configured years (core.dates); a date-time one year inside them, as
    its offset may move it across a year's end. Plain strings may not hold a NUL character.
    """
    from core.dates import date_bounds

    low, high = date_bounds()
    return {
        "date": rf"^{number_range_regex(low, high, 4)}-\d\d-\d\d$",
        "date-time": rf"^{number_range_regex(low + 1, high - 1, 4)}-",
        None: NO_NUL,
    }


def _constrain_strings(schema, patterns: dict, components: dict, seen: set) -> None:
    """Add the request patterns to every string (that has none) under `schema`, and forbid
    properties a request object does not declare (the server answers 400 naming them)."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _constrain_strings(components[name], patterns, components, seen)
        return
    if schema.get("type") == "string" and "enum" not in schema and "pattern" not in schema:
        pattern = patterns.get(schema.get("format"))
        if pattern == NO_NUL and schema.get("minLength", 0) >= 1:
            pattern = NON_BLANK  # DRF trims whitespace before it checks for blank
        if pattern and not schema.get("readOnly"):
            schema["pattern"] = pattern
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    for key in ("properties",):
        for child in (schema.get(key) or {}).values():
            _constrain_strings(child, patterns, components, seen)
    for key in ("items", "additionalProperties"):
        _constrain_strings(schema.get(key), patterns, components, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key) or []:
            _constrain_strings(child, patterns, components, seen)


def _add_links(paths: dict, components: dict) -> None:
    """OpenAPI links, so a client (or a stateful fuzzer) can chain operations from what one
    answers to the operations on it:

    - `POST /things/` (201) and `PUT /things/external/{external_id}/` (200, 201): every
      operation on `/things/{id}/...` and `/things/{thing_pk}/...` (and on the same external id);
    - a list, `GET /things/` (200): the same operations, for the first record of the page
      (`$response.body#/results/0/id`; OpenAPI's runtime expressions have no wildcard), and
      those by its external id;
    - a record with a list of parts (a CTA's or a plan's `steps`), from its detail GET or its
      create: the operations on its first part (`/ctas/{id}/steps/{step_pk}/...`);
    - a created, upserted or listed account: every create whose body names one (`{"account":
      ...}` in the request body), so `POST /contacts/` gets an account that exists.
    """
    records: dict[str, list[tuple[str, str, str, str]]] = {}  # resource -> (path, method, code, id)
    for path, item in paths.items():
        base = path.removesuffix("external/{external_id}/")
        external = path.endswith("/external/{external_id}/")
        sources = []  # (method, code, pointer to the id, pointer to the external id)
        if "post" in item:
            sources.append(("post", "201", "$response.body#/id", None))
        if external and "put" in item:
            for code in ("200", "201"):
                sources.append(("put", code, "$response.body#/id", "$request.path.external_id"))
        if "get" in item and not external and _is_page(item["get"], components):
            sources.append(("get", "200", "$response.body#/results/0/id", LISTED_EXTERNAL_ID))
        for method, code, pointer, external_pointer in sources:
            response = item[method].get("responses", {}).get(code)
            if response is None:
                continue
            links = response.setdefault("links", {})
            for target_path, target_item in paths.items():
                names = _path_params(target_path)
                if target_path.startswith(base + "{"):
                    supplied = {_path_params(target_path.removeprefix(base))[0]: pointer}
                elif external_pointer and target_path.startswith(base + "external/{external_id}/"):
                    supplied = {"external_id": external_pointer}
                else:
                    continue
                for name in _path_params(path):
                    supplied.setdefault(name, f"$request.path.{name}")
                _link_all(links, path, method, target_path, target_item, names, supplied)
            resource = base.rstrip("/").rsplit("/", 1)[-1]
            if not _path_params(base):
                records.setdefault(resource, []).append((path, method, code, pointer))
        # A record's parts: from its detail GET, and from the create that answers with it.
        detail = {"get": (path, "200", "$request.path.id")} if path.endswith("/{id}/") else {}
        if "post" in item and not _path_params(path):
            detail["post"] = (path + "{id}/", "201", "$response.body#/id")
        for method, (detail_path, code, id_pointer) in detail.items():
            response = (item.get(method) or {}).get("responses", {}).get(code)
            if response is None:
                continue
            record = _resolve(_json_schema(response), components)
            for part, part_schema in (record.get("properties") or {}).items():
                if _resolve(part_schema, components).get("type") != "array":
                    continue
                prefix = f"{detail_path}{part}/{{"
                for target_path, target_item in paths.items():
                    if not target_path.startswith(prefix):
                        continue
                    names = _path_params(target_path)
                    supplied = {"id": id_pointer, names[-1]: f"$response.body#/{part}/0/id"}
                    links = response.setdefault("links", {})
                    _link_all(links, path, method, target_path, target_item, names, supplied)
    # Creates whose body names a record of a resource that another operation answers with.
    for path, item in paths.items():
        for target_method in ("post", "put"):
            target = item.get(target_method)
            if target is None:
                continue
            body = _request_properties(target, components)
            for resource, producers in records.items():
                field = resource.removesuffix("s")
                if resource not in BODY_LINKED or field not in body:
                    continue
                for source_path, method, code, pointer in producers:
                    response = paths[source_path][method]["responses"][code]
                    names = _path_params(path)
                    if names:
                        continue  # only top-level creates: nothing here names their path
                    response.setdefault("links", {})[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": {},
                        "requestBody": {field: pointer},
                    }
    _add_draft_links(paths)
    for item in paths.values():
        for operation in item.values():
            for response in (operation.get("responses") or {}).values():
                if isinstance(response, dict) and response.get("links") == {}:
                    del response["links"]


DRAFT_ACTION = "/api/v1/scorecards/{id}/draft/"
VERSIONS = "/api/v1/scorecard-versions/"
MEASURES = "/api/v1/scorecard-measures/"


def _add_draft_links(paths: dict) -> None:
    """A scorecard's draft, where its rules change: the draft action answers with the draft
    version (linked to that version's operations and to adding a measure to it, a body naming
    `version`), and a created scorecard lists its draft first (`versions/0`)."""
    measure_create = (paths.get(MEASURES) or {}).get("post")
    if measure_create is None:
        return

    def add_measure(links: dict, pointer: str) -> None:
        links[measure_create["operationId"]] = {
            "operationId": measure_create["operationId"],
            "parameters": {},
            "requestBody": {"version": pointer},
        }

    draft = (paths.get(DRAFT_ACTION) or {}).get("post")
    for code in ("200", "201"):
        response = ((draft or {}).get("responses") or {}).get(code)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_path, target_item in paths.items():
            if target_path.startswith(VERSIONS + "{id}/"):
                names = _path_params(target_path)
                supplied = {"id": "$response.body#/id"}
                _link_all(links, DRAFT_ACTION, "post", target_path, target_item, names, supplied)
        add_measure(links, "$response.body#/id")
    created = ((paths.get("/api/v1/scorecards/") or {}).get("post") or {}).get("responses", {})
    if "201" in created:
        add_measure(created["201"].setdefault("links", {}), "$response.body#/versions/0/id")


# The records a create's body may name from another operation's answer. Not contacts: a body
# naming an account and a contact needs the contact to work there, which a link cannot know.
BODY_LINKED = ("accounts",)

# The first listed record's external id (null for a record without one: a link then supplies
# nothing).
LISTED_EXTERNAL_ID = "$response.body#/results/0/external_id"


def _link_all(links, path, method, target_path, target_item, names, supplied) -> None:
    """Link to every operation of `target_path` whose parameters `supplied` names."""
    if not set(names) <= set(supplied):
        return  # a step id or the like: nothing here supplies it
    for target_method in LINK_METHODS:
        target = target_item.get(target_method)
        if target is None or (target_path, target_method) == (path, method):
            continue
        links[target["operationId"]] = {
            "operationId": target["operationId"],
            "parameters": {name: supplied[name] for name in names},
        }


def _resolve(schema: dict | None, components: dict) -> dict:
    schema = schema or {}
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _json_schema(response: dict) -> dict:
    return (response.get("content") or {}).get("application/json", {}).get("schema") or {}


def _is_page(operation: dict, components: dict) -> bool:
    page = _resolve(_json_schema(operation.get("responses", {}).get("200", {})), components)
    return "results" in (page.get("properties") or {})


def _request_properties(operation: dict, components: dict) -> set[str]:
    """The property names of an operation's JSON body (of any of its shapes)."""
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = _resolve(content.get("application/json", {}).get("schema"), components)
    shapes = [_resolve(s, components) for s in schema.get("anyOf") or schema.get("oneOf") or []]
    return {name for shape in [schema, *shapes] for name in shape.get("properties") or {}}


def _name_colliding_enum_values(schema: dict) -> None:
    """x-enum-varnames for a string enum whose values would share a name in generated code
    (`GMT0` and `GMT+0` both become GMT0), spelling +, - and / out."""
    values = schema.get("enum")
    if schema.get("type") != "string" or not values or "x-enum-varnames" in schema:
        return
    plain = [re.sub(r"\W+", "_", str(v)).strip("_").upper() for v in values]
    if len(set(plain)) == len(plain):
        return
    names = []
    for value in values:
        spelled = str(value).replace("+", "_PLUS_").replace("-", "_MINUS_").replace("/", "_")
        name = re.sub(r"\W+", "_", spelled).strip("_").upper() or "BLANK"
        name = name if name[0].isalpha() else f"VALUE_{name}"
        while name in names:
            name += "_"
        names.append(name)
    schema["x-enum-varnames"] = names


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def contract_postprocess(result, generator, request, public):
    """drf-spectacular postprocessing hook: request strings carry the patterns the server holds
    them to, request objects forbid undeclared properties, and operations are linked."""
    components = result.get("components", {}).get("schemas", {})
    patterns = _string_patterns()
    seen: set = set()
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("query", "path"):
                    _constrain_strings(parameter.get("schema"), patterns, components, seen)
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                _constrain_strings(media.get("schema"), patterns, components, seen)
    added, replaced = {}, {}
    for name, component in components.items():
        properties = component.get("properties", {})
        if (
            name.endswith("Request")
            and not name.startswith("Patched")
            and "Row" not in name
            and {"account", "account_external_id"} <= set(properties)
            and not {"account", "account_external_id"} & set(component.get("required", []))
        ):
            # AccountRefSerializer: one of the two names the account, so the body is one of
            # two shapes (generated clients get a union of two typed models).
            variants = []
            for key, suffix in (
                ("account", "ByAccountId"),
                ("account_external_id", "ByAccountExternalId"),
            ):
                variant = copy.deepcopy(component)
                variant["required"] = [*component.get("required", []), key]
                # Each shape names the account one way: a body with both fits neither.
                other = "account_external_id" if key == "account" else "account"
                variant["properties"].pop(other)
                added[name.removesuffix("Request") + suffix + "Request"] = variant
                variants.append(
                    {"$ref": f"#/components/schemas/{name.removesuffix('Request')}{suffix}Request"}
                )
            replaced[name] = {"anyOf": variants, "description": component.get("description", "")}
        elif (
            name.startswith("Patched")
            and name.endswith("Request")
            and {"account", "account_external_id"} <= set(properties)
        ):
            # A partial update may move the record to another account, named one way only.
            component["not"] = {"required": ["account", "account_external_id"]}
    components.update(replaced)
    components.update(added)
    for component in components.values():
        _name_colliding_enum_values(component)
    _add_links(result.get("paths", {}), components)
    return result
