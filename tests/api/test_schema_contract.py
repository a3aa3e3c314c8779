"""The schema says what the server does: request objects are closed, strings carry the patterns
the server holds them to, ordering is an enum, the status tells whose move it is (400 malformed,
404 a missing reference, 409 the records as they stand), and operations are linked.

`make contract` runs schemathesis and a generated client against all of it on a live server;
these tests pin each rule on its own."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import TrustEntry
from core.api.fields import date_range_pattern, number_range_regex
from scorecards.kinds import kind_params
from scorecards.models import MeasureKind


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _request_components(schema):
    refs = set()
    for item in schema["paths"].values():
        for operation in item.values():
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                refs |= set(re.findall(r"#/components/schemas/(\w+)", str(media["schema"])))
    components = schema["components"]["schemas"]
    for name in list(refs):
        refs |= set(re.findall(r"#/components/schemas/(\w+)", str(components[name])))
    return {name: components[name] for name in refs}


def test_every_request_object_forbids_the_properties_it_does_not_declare(schema):
    objects = [(name, c) for name, c in _request_components(schema).items() if "properties" in c]
    assert len(objects) > 30
    for name, component in objects:
        assert component["additionalProperties"] is False, name


def test_a_body_naming_its_account_by_id_or_external_id_is_a_union_of_two_typed_shapes(schema, api):
    contact = schema["components"]["schemas"]["ContactRequest"]
    variants = [ref["$ref"].rsplit("/", 1)[-1] for ref in contact["anyOf"]]
    required = [set(schema["components"]["schemas"][v]["required"]) for v in variants]
    assert {"account"} <= required[0] and {"account_external_id"} <= required[1]
    neither = api.post("/api/v1/contacts/", {"name": "Dana"}, format="json")
    assert neither.status_code == 400 and "account" in neither.json()["errors"]
    # Each shape names the account one way, so a body with both fits neither shape.
    assert "account_external_id" not in schema["components"]["schemas"][variants[0]]["properties"]
    assert "account" not in schema["components"]["schemas"][variants[1]]["properties"]
    patched = schema["components"]["schemas"]["PatchedContactRequest"]
    assert patched["not"] == {"required": ["account", "account_external_id"]}


def test_a_body_naming_its_account_both_ways_is_a_400_even_when_they_agree(api, org):
    mine, other = org.accounts["csm_a1"][:2]
    mine.external_id = "crm-mine"
    mine.save(update_fields=["external_id"])
    for account in [mine.pk, other.pk]:
        body = {"account": account, "account_external_id": "crm-mine", "name": "Dana"}
        response = api.post("/api/v1/contacts/", body, format="json")
        assert response.status_code == 400, account
        assert list(response.json()["errors"]) == ["account"]
    assert not mine.contacts.filter(name="Dana").exists()


@pytest.mark.parametrize(
    "low,high,width", [(1900, 2200, 4), (1901, 2199, 4), (1, 31, 2), (5, 30, 2), (0, 99, 2)]
)
def test_number_range_regex_matches_exactly_the_range(low, high, width):
    pattern = re.compile(f"^{number_range_regex(low, high, width)}$")
    for n in range(10**width):
        assert bool(pattern.match(f"{n:0{width}d}")) == (low <= n <= high), n


@pytest.mark.parametrize(
    "low,high",
    [
        (date(2000, 1, 1), date(2027, 12, 6)),
        (date(2026, 3, 15), date(2026, 3, 20)),
        (date(2026, 3, 15), date(2026, 5, 2)),
        (date(2025, 12, 31), date(2026, 1, 1)),
    ],
)
def test_date_range_pattern_matches_exactly_the_dates_in_range(low, high):
    pattern = re.compile(date_range_pattern(low, high))
    day = low - timedelta(days=400)
    while day <= high + timedelta(days=400):
        assert bool(pattern.match(day.isoformat())) == (low <= day <= high), day
        day += timedelta(days=1)


@pytest.mark.dates
def test_a_bounded_date_is_refused_exactly_where_its_schema_pattern_stops(schema, api, org):
    """GIVEN a plan's started_on (at most a year ahead) WHEN the last day the pattern admits and
    the day after are sent THEN the server takes the one and refuses the other with a 400."""
    body = schema["components"]["schemas"]["SuccessPlanCreateRequest"]
    pattern = re.compile(body["properties"]["started_on"]["pattern"])
    last = timezone.localdate() + timedelta(days=366)
    assert pattern.match(last.isoformat()) and not pattern.match(
        (last + timedelta(days=1)).isoformat()
    )
    first, second = org.accounts["csm_a1"][:2]
    late = api.post(
        "/api/v1/success-plans/",
        {"account": first.pk, "started_on": (last + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert late.status_code == 400 and "started_on" in late.json()["errors"]
    ok = api.post(
        "/api/v1/success-plans/",
        {"account": second.pk, "started_on": last.isoformat()},
        format="json",
    )
    assert ok.status_code == 201, ok.json()


def test_ordering_is_an_enum_of_exactly_the_values_the_server_takes(schema, api):
    parameters = schema["paths"]["/api/v1/accounts/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")["schema"]
    assert "-arr" in ordering["enum"] and "ARR_DESC" in ordering["x-enum-varnames"]
    for value in ordering["enum"]:
        assert api.get("/api/v1/accounts/", {"ordering": value}).status_code == 200, value
    for value in ["-arr,name", "password", "arr "]:
        assert api.get("/api/v1/accounts/", {"ordering": value}).status_code == 400, value


def test_creates_link_to_the_operations_on_what_they_created(schema):
    post = schema["paths"]["/api/v1/accounts/"]["post"]["responses"]["201"]["links"]
    assert post["accounts_retrieve"]["parameters"] == {"id": "$response.body#/id"}
    assert post["accounts_ledger_create"]["parameters"] == {"account_pk": "$response.body#/id"}
    put = schema["paths"]["/api/v1/accounts/external/{external_id}/"]["put"]["responses"]
    assert put["201"]["links"]["accounts_external_partial_update"]["parameters"] == {
        "external_id": "$request.path.external_id"
    }
    entry = schema["paths"]["/api/v1/accounts/{account_pk}/ledger/"]["post"]["responses"]["201"]
    assert entry["links"]["accounts_ledger_reverse_create"]["parameters"] == {
        "account_pk": "$request.path.account_pk",
        "id": "$response.body#/id",
    }


def test_lists_parts_and_accounts_link_onwards_so_a_fuzzer_can_chain_them(schema):
    """A list links to the operations on any record of its page, a record with steps to the
    operations on one step, and an account (created, upserted or listed) to every create whose
    body names an account."""
    paths = schema["paths"]
    listed = paths["/api/v1/ctas/"]["get"]["responses"]["200"]["links"]
    assert listed["ctas_close_create"]["parameters"] == {"id": "$response.body#/results/0/id"}
    accounts = paths["/api/v1/accounts/"]["get"]["responses"]["200"]["links"]
    assert accounts["accounts_external_retrieve"]["parameters"] == {
        "external_id": "$response.body#/results/0/external_id"
    }
    assert accounts["contacts_create"] == {
        "operationId": "contacts_create",
        "parameters": {},
        "requestBody": {"account": "$response.body#/results/0/id"},
    }
    created = paths["/api/v1/accounts/"]["post"]["responses"]["201"]["links"]
    assert created["interactions_create"]["requestBody"] == {"account": "$response.body#/id"}
    cta = paths["/api/v1/ctas/{id}/"]["get"]["responses"]["200"]["links"]
    assert cta["ctas_steps_toggle_create"]["parameters"] == {
        "id": "$request.path.id",
        "step_pk": "$response.body#/steps/0/id",
    }
    plan = paths["/api/v1/success-plans/"]["post"]["responses"]["201"]["links"]
    assert plan["success_plans_steps_complete_create"]["parameters"] == {
        "id": "$response.body#/id",
        "step_pk": "$response.body#/steps/0/id",
    }
    log = paths["/api/v1/webhooks/{id}/deliveries/"]["get"]["responses"]["200"]["links"]
    assert log["webhooks_deliveries_replay_create"]["parameters"] == {
        "id": "$request.path.id",
        "delivery_id": "$response.body#/results/0/id",
    }
    # Every link names an operation of the schema and only parameters that operation has.
    operations = {
        operation["operationId"]: operation
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for item in paths.values():
        for operation in item.values():
            for response in (operation.get("responses") or {}).values():
                for link in (response.get("links") or {}).values():
                    target = operations[link["operationId"]]
                    names = {p["name"] for p in target.get("parameters", [])}
                    assert set(link["parameters"]) <= names, link


def test_a_body_naming_a_missing_or_invisible_record_is_a_404_naming_the_field(api, org):
    theirs = org.accounts["csm_b1"][0]
    for account in [999_999, theirs.pk]:
        response = api.post(
            "/api/v1/contacts/", {"account": account, "name": "Dana"}, format="json"
        )
        assert response.status_code == 404, account
        assert response.json()["code"] == "does_not_exist"
        assert list(response.json()["errors"]) == ["account"]
    response = api.post(
        "/api/v1/contacts/", {"account_external_id": "nobody", "name": "Dana"}, format="json"
    )
    assert (response.status_code, list(response.json()["errors"])) == (
        404,
        ["account_external_id"],
    )
    malformed = api.post("/api/v1/contacts/", {"account": "x", "name": "Dana"}, format="json")
    assert malformed.status_code == 400


def test_a_taken_unique_value_or_a_second_reversal_is_a_409(api, org):
    mine, other = org.accounts["csm_a1"][:2]
    other.external_id = "taken-1"
    other.save(update_fields=["external_id"])
    response = api.patch(f"/api/v1/accounts/{mine.pk}/", {"external_id": "taken-1"}, format="json")
    assert response.status_code == 409 and "external_id" in response.json()["errors"]
    url = f"/api/v1/accounts/{mine.pk}/ledger/"
    entry = api.post(url, {"points": 3, "reason": "QBR"}, format="json").json()
    first = api.post(f"{url}{entry['id']}/reverse/", {"reason": "wrong account"}, format="json")
    again = api.post(f"{url}{entry['id']}/reverse/", {"reason": "again"}, format="json")
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["code"] == "conflict"
    assert TrustEntry.objects.filter(reverses_id=entry["id"]).count() == 1


ICP_CRITERIA_TAKEN = [
    {"attribute": "industry", "operator": "in", "value": ["SaaS", 3, True, None]},
    {"attribute": "region", "operator": "not_in", "value": [""]},
    {"attribute": "arr", "operator": "between", "value": [1000, None]},
    {"attribute": "employee_count", "operator": "between", "value": [None, 2.5]},
    {"attribute": "segment", "operator": "eq", "value": False},
    {"attribute": "industry", "operator": "eq", "value": 1e300},
    {"attribute": "arr", "operator": "gte", "value": -5},
    {"attribute": "custom", "custom_key": "plan", "operator": "lte", "value": 0.5, "weight": 9},
    {"attribute": "custom", "custom_key": " tier ", "operator": "eq", "value": "gold"},
]
ICP_CRITERIA_REFUSED = [
    {"attribute": "industry", "operator": "eq", "value": ["SaaS"]},
    {"attribute": "industry", "operator": "eq", "value": None},
    {"attribute": "arr", "operator": "between", "value": [1, 2, 3]},
    {"attribute": "arr", "operator": "gte", "value": "5"},
    {"attribute": "industry", "operator": "in", "value": "SaaS"},
    {"attribute": "region", "operator": "not_in", "value": []},
    {"attribute": "custom", "operator": "eq", "value": 1},
    {"attribute": "custom", "custom_key": "  ", "operator": "eq", "value": 1},
    {"attribute": "industry", "operator": "eq", "value": ""},
]


def test_an_icp_criterion_is_one_of_the_shapes_its_operator_takes(schema, org):
    """GIVEN the request schema's criterion shapes (one per operator family, and a custom
    attribute with its key) WHEN an admin sends criteria that fit one, or none THEN the first are
    created and the others are a 400 naming `value` or `custom_key`, so a generated body is a
    valid one (the ICP operations are fuzzed)."""
    from .conftest import token_client

    components = schema["components"]["schemas"]
    variants = [
        components[ref["$ref"].rsplit("/", 1)[-1]]
        for ref in components["IcpCriterionRequest"]["oneOf"]
    ]
    operators = [
        components[v["properties"]["operator"]["$ref"].rsplit("/", 1)[-1]]["enum"] for v in variants
    ]
    assert sorted(o for group in operators for o in group) == sorted(
        ["in", "not_in", "between", "eq", "gte", "lte"] * 2
    )
    api = token_client(org.admin)
    for n, criterion in enumerate(ICP_CRITERIA_TAKEN):
        response = api.post(
            "/api/v1/icp-profiles/", {"name": f"Fit {n}", "criteria": [criterion]}, format="json"
        )
        assert response.status_code == 201, (criterion, response.json())
    for criterion in ICP_CRITERIA_REFUSED:
        response = api.post(
            "/api/v1/icp-profiles/", {"name": "Unfit", "criteria": [criterion]}, format="json"
        )
        assert response.status_code == 400, criterion
        assert {"value", "custom_key"} & set(str(response.json()["errors"]).split("'")), criterion


def test_a_full_replacement_names_its_account_as_the_schema_requires(api, org):
    mine = org.accounts["csm_a1"][0]
    created = api.post("/api/v1/contacts/", {"account": mine.pk, "name": "Dana"}, format="json")
    assert created.status_code == 201
    url = f"/api/v1/contacts/{created.json()['id']}/"
    replaced = api.put(url, {"name": "Dana Roe"}, format="json")
    assert replaced.status_code == 400 and list(replaced.json()["errors"]) == ["account"]
    assert api.get(url).json()["name"] == "Dana"
    assert api.patch(url, {"name": "Dana Roe"}, format="json").status_code == 200
    body = {"account": mine.pk, "name": "Dana Poe"}
    assert api.put(url, body, format="json").status_code == 200


def test_a_measure_body_is_one_of_the_shapes_its_kind_takes(schema):
    """GIVEN the request schema's measure shapes (one per kind) THEN every settings example the
    server takes fits its kind's shape, and every one it refuses with a 400 does not, so a
    generated body is one the server takes (the measure operations are fuzzed)."""
    from jsonschema import Draft4Validator

    from .test_scorecards_api import EXAMPLE_PARAMS, REFUSED_PARAMS

    components = schema["components"]["schemas"]
    mapping = components["MeasureRequest"]["discriminator"]["mapping"]
    assert set(mapping) == set(MeasureKind.values)
    shapes = {kind: components[ref.rsplit("/", 1)[-1]] for kind, ref in mapping.items()}
    for kind, shape in shapes.items():
        assert shape["properties"]["kind"]["enum"] == [kind]
        # A kind with a required setting needs its params (left out, they are the defaults).
        assert ("params" in shape["required"]) == any(p.required for p in kind_params(kind))
        params = Draft4Validator(shape["properties"]["params"])
        assert params.is_valid(EXAMPLE_PARAMS[kind]), kind
    for kind, settings, _field in REFUSED_PARAMS:
        assert not Draft4Validator(shapes[kind]["properties"]["params"]).is_valid(settings)
    # A partial update sends kind and params together, or neither.
    patched = [
        components[ref["$ref"].rsplit("/", 1)[-1]]
        for ref in components["PatchedMeasureRequest"]["oneOf"]
    ]
    assert not {"kind", "params"} & set(patched[0]["properties"])
    assert all(shape["required"] == ["kind", "params"] for shape in patched[1:])


def test_an_escalation_without_a_severity_is_recorded_at_severity_unknown(api, org, schema):
    """GIVEN the schema's nullable, optional `severity` WHEN an escalation comes without one
    (or with null), singly or in bulk THEN it is logged at severity unknown and scored by the
    category's own rule (-18 by default); a severity sent with another category is ignored."""
    mine = org.accounts["csm_a1"][0]
    body = {"account": mine.pk, "channel": "ticket", "category": "escalation"}
    for extra in ({}, {"severity": None}):
        created = api.post("/api/v1/interactions/", {**body, **extra}, format="json")
        assert created.status_code == 201, created.json()
        assert created.json()["severity"] is None
        assert created.json()["goodwill_points"] == -18
    bulk = api.post(
        "/api/v1/interactions/bulk/",
        {"rows": [{**body, "external_id": "zd-1", "severity": None}]},
        format="json",
    )
    assert bulk.status_code == 200 and bulk.json()["errors"] == [], bulk.json()
    assert (
        api.post("/api/v1/interactions/", {**body, "severity": 3}, format="json").json()[
            "goodwill_points"
        ]
        == -28
    )
    call = {**body, "category": "value_adding", "severity": 2}
    ignored = api.post("/api/v1/interactions/", call, format="json")
    assert ignored.status_code == 201 and ignored.json()["severity"] is None


def test_a_usage_upsert_documents_created_and_replaced(api, org, schema):
    """POST /usage/ answers 201 for a new day's value and 200 for a replaced one, both in the
    schema."""
    responses = schema["paths"]["/api/v1/usage/"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
    row = {"account": org.accounts["csm_a1"][0].pk, "metric": "seats", "date": "2026-03-01"}
    assert api.post("/api/v1/usage/", {**row, "value": 1}, format="json").status_code == 201
    again = api.post("/api/v1/usage/", {**row, "value": 2}, format="json")
    assert again.status_code == 200 and again.json()["value"] == 2


def test_a_subscription_ending_before_it_starts_is_a_400(api, org):
    """The one cross-field rule of POST /subscriptions/ (make contract leaves only its
    positive-data check out: .ci/schemathesis.toml)."""
    body = {
        "account": org.accounts["csm_a1"][0].pk,
        "product": "Seats",
        "start_date": "2026-02-01",
        "end_date": "2026-01-31",
        "mrr": "10.00",
    }
    refused = api.post("/api/v1/subscriptions/", body, format="json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["end_date"]
    body["end_date"] = "2026-02-01"
    assert api.post("/api/v1/subscriptions/", body, format="json").status_code == 201


def test_a_subscription_upsert_says_whether_it_created_or_replaced(api, org, schema):
    """POST /subscriptions/ upserts like POST /usage/: 201 for a new one, 200 for a replaced one."""
    assert {"200", "201"} <= set(schema["paths"]["/api/v1/subscriptions/"]["post"]["responses"])
    body = {
        "account": org.accounts["csm_a1"][0].pk,
        "external_id": "sub-upsert-1",
        "product": "Seats",
        "start_date": "2026-02-01",
        "mrr": "10.00",
    }
    assert api.post("/api/v1/subscriptions/", body, format="json").status_code == 201
    again = api.post("/api/v1/subscriptions/", {**body, "mrr": "12.50"}, format="json")
    assert again.status_code == 200 and again.json()["mrr"] == "12.50"
