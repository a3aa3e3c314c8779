"""The contract generated clients rely on: auth prefixes, strict bodies, money as strings,
cursors the parameter takes, filters as the schema types them, and JSON for every error."""

import logging

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from integrations.services import api_token_create
from tests import factories

UNKNOWN = "zz_not_a_field"


def test_bearer_and_token_prefixes_both_authenticate(org):
    _token, key = api_token_create(user=org.csm_a1, name="gen", scopes=["read"])
    for prefix in ["Bearer", "Token", "bearer"]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{prefix} {key}")
        assert client.get("/api/v1/accounts/").status_code == 200, prefix
    anonymous = APIClient().get("/api/v1/accounts/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")


def test_every_writable_operation_rejects_an_unknown_body_field_by_name(admin_api, org):
    """GIVEN every POST/PUT/PATCH in the schema WHEN the body names a field that does not
    exist THEN the answer is a 400 naming that field (or the resource refuses earlier)."""
    account = factories.AccountFactory(owner=org.admin, external_id="strict-1")
    factories.ContactFactory(account=account, external_id="strict-c")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    named = 0
    for path, item in schema["paths"].items():
        for method in {"post", "put", "patch"} & set(item):
            url = (
                path.replace("{account_pk}", str(account.pk))
                .replace("{external_id}", "strict-1" if "accounts" in path else "strict-c")
                .replace("{id}", str(account.pk))
                .replace("{step_pk}", "1")
            )
            body = {UNKNOWN: 1, "rows": [{UNKNOWN: 1}]} if "bulk" in path else {UNKNOWN: 1}
            response = getattr(admin_api, method)(url, body, format="json")
            assert response.status_code in {207, 400, 404}, (method, url, response.content)
            if response.status_code == 400:
                assert UNKNOWN in response.json()["errors"], (method, url, response.json())
                named += 1
            if response.status_code == 207:
                assert UNKNOWN in response.json()["errors"][0]["errors"]
                named += 1
    assert named >= 20


def test_money_is_a_decimal_string_in_and_out(api):
    refused = api.post("/api/v1/accounts/", {"name": "Float Co", "arr": 1200.5}, format="json")
    assert refused.status_code == 400
    assert "arr" in refused.json()["errors"]
    for bad in ["1e3", "1.234", "", "-5"]:
        response = api.post("/api/v1/accounts/", {"name": "Bad", "arr": bad}, format="json")
        assert response.status_code == 400, bad
    created = api.post("/api/v1/accounts/", {"name": "Str Co", "arr": "1200.5"}, format="json")
    assert created.status_code == 201
    assert created.json()["arr"] == "1200.50"


def test_a_page_gives_the_cursor_the_cursor_parameter_takes(api, org):
    """GIVEN 5 visible accounts WHEN a client pages by `next_cursor` THEN it sees each once,
    and `next_cursor` is the cursor inside the `next` link."""
    seen = []
    params = {"page_size": 2}
    while True:
        page = api.get("/api/v1/accounts/", params).json()
        seen += [row["id"] for row in page["results"]]
        if page["next_cursor"] is None:
            assert page["next"] is None
            break
        assert f"cursor={page['next_cursor']}" in page["next"].replace("%3D", "=")
        params = {"page_size": 2, "cursor": page["next_cursor"]}
    assert (
        len(seen)
        == len(set(seen))
        == api.get("/api/v1/accounts/?page_size=500").json()["results"].__len__()
    )


def test_empty_filter_values_mean_no_filter(api):
    everything = api.get("/api/v1/accounts/").json()["results"]
    filtered = api.get("/api/v1/accounts/?owner=&industry=&icp_good_fit=&cursor=").json()
    assert filtered["results"] == everything


def test_id_filters_take_whole_numbers_only(api):
    for value in ["-1.79e308", "4.0", "abc", "0", "99999999999999999999"]:
        response = api.get("/api/v1/contacts/", {"account": value})
        assert response.status_code == 400, value
        assert "account" in response.json()["errors"]


def test_date_time_filters_take_any_offset_iso_8601_allows(api):
    """PostgreSQL takes offsets up to ±15:59 only; the filter converts to UTC first."""
    for value in ["2024-01-01T00:00:00+23:59", "2024-01-01T00:00:00-23:00"]:
        assert api.get("/api/v1/interactions/", {"occurred_after": value}).status_code == 200


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_unexpected_failure_is_a_json_500_whose_request_id_is_in_the_log(
    api, monkeypatch, settings, caplog, debug
):
    settings.DEBUG = debug
    api.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.api.views.accounts.visible_accounts_with_owner", broken)
    with caplog.at_level(logging.ERROR, logger="csplatform.api"):
        response = api.get("/api/v1/accounts/")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "error" and body["errors"] == {}
    assert body["request_id"] == response["X-Request-ID"]
    assert body["request_id"] in caplog.text and "RuntimeError: boom" in caplog.text


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_404_405_and_415_are_json_under_api(api, settings, debug):
    settings.DEBUG = debug
    anonymous = Client()
    assert anonymous.get("/api/v2/nothing/")["Content-Type"] == "application/json"
    assert anonymous.get("/api/")["Content-Type"] == "application/json"
    not_allowed = api.delete("/api/v1/accounts/")
    assert (not_allowed.status_code, not_allowed.json()["code"]) == (405, "method_not_allowed")
    assert "GET" in not_allowed["Allow"]
    wrong_type = api.generic("POST", "/api/v1/accounts/", "name=x", content_type="text/plain")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body",
    [
        "[" * 40 + "]" * 40,
        '{"name": "\\ud800"}',
        '{"name": "a\\u0000b"}',
        '{"name": "x", "custom_attributes": {"k": "\\u0000"}}',
        '{"name": NaN}',
    ],
    ids=["deep", "lone-surrogate", "nul", "nul-nested", "nan"],
)
def test_unstorable_json_is_a_400_parse_error(api, body):
    response = api.generic("POST", "/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_nul_in_the_path_or_query_is_a_400_naming_where(api):
    response = api.put("/api/v1/accounts/external/a%00b/", {"name": "x"}, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["path"])
    response = api.get("/api/v1/accounts/?name=a%00b")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["name"])
