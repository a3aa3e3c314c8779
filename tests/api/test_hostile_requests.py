"""A few hundred hostile requests against every operation: 0 HTML responses, 0 5xx.

The requests are built from the live schema (so a new endpoint is covered the day it lands):
every list filter gets out-of-range numbers, NUL bytes, impossible time-zone offsets and
crafted cursors; every write gets deep, invalid-Unicode, NUL-laden and oversized bodies; paths
get NUL bytes, newlines and huge ids; methods the resource lacks get 405. Each answer must be
the documented JSON error (or a success), with DEBUG on and off.
"""

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests import factories

from .conftest import token_client

HOSTILE_QUERY_VALUES = [
    "-1.79e308",
    "1e400",
    "99999999999999999999999",
    "a\x00b",
    "2024-01-01T00:00:00+23:59",
    "2024-01-01T00:00:00-16:00",
    "9999-12-31T23:59:59-23:00",
    "0000-01-01",
    "\ud800",
    "NaN",
]
BAD_CURSORS = [
    "AAAA",
    "cD0xMjM=",  # p=123 without the rest
    "cD1hYmM%3D",  # p=abc
    "cj0xJnA9JTAw",  # r=1&p=%00
    "bz0tOTk5OTk5OTk5OTk5OTk5OTk5OTk5JnA9MQ==",  # o=-99999999999999999999&p=1
    "cD0tMS43OWUzMDg=",  # p=-1.79e308
    "%00",
]
DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
HOSTILE_BODIES = [
    ("application/json", DEEP),
    ("application/json", DEEP_OBJECT),
    ("application/json", '{"name": "\\ud800", "external_id": "\\udfff"}'),
    ("application/json", '{"name": "a\\u0000b", "custom_attributes": {"k\\u0000": "v\\u0000"}}'),
    ("application/json", '{"name": 1e400, "arr": 1e999}'),
    ("application/json", '{"name": NaN, "value": Infinity}'),
    ("application/json", '{"account": -1.79e308, "id": 99999999999999999999999}'),
    ("application/json", '{"account": 9223372036854775808, "points": -9223372036854775809}'),
    ("application/json", '{"occurred_at": "2024-01-01T00:00:00+23:59", "date": "0000-00-00"}'),
    ("application/json", '{"rows": [{"name": "\\ud800"}], "items": "\\u0000"}'),
    ("application/json", "[]"),
    ("application/json", '"just a string"'),
    ("application/json", "{not json"),
    ("application/json", b"\xff\xfe\x00{"),
    ("application/json", '{"this_field_does_not_exist": 1}'),
    ("text/plain", "name=x"),
    ("application/x-www-form-urlencoded", "name=x"),
    ("multipart/form-data; boundary=x", "--x--"),
]


@pytest.fixture
def hostile_world(org, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    account = factories.AccountFactory(owner=org.admin, external_id="hostile-1")
    factories.ContactFactory(account=account, external_id="hostile-contact")
    factories.InteractionFactory(account=account, external_id="hostile-int")
    client = Client(raise_request_exception=False)
    auth = token_client(org.admin)._credentials["HTTP_AUTHORIZATION"]
    return client, auth, account


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def _concrete(path: str, account) -> str:
    """The path with every `{param}` filled by an id that exists."""
    return (
        path.replace("{account_pk}", str(account.pk))
        .replace("{external_id}", "hostile-1")
        .replace("{id}", "1")
        .replace("{step_pk}", "1")
    )


def _requests(account):
    """(method, path, query, content_type, body) for a few hundred hostile requests."""
    n = 0
    for path, method, operation in _operations():
        url = _concrete(path, account)
        params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if method == "GET":
            for i, name in enumerate(params):
                value = (
                    BAD_CURSORS[i % len(BAD_CURSORS)]
                    if name == "cursor"
                    else HOSTILE_QUERY_VALUES[(n + i) % len(HOSTILE_QUERY_VALUES)]
                )
                yield "GET", url, {name: value}, None, None
                yield "GET", url, {name: HOSTILE_QUERY_VALUES[(n + i + 3) % 10]}, None, None
            if "cursor" in params:
                for cursor in BAD_CURSORS:
                    yield "GET", url, {"cursor": cursor}, None, None
            n += 1
        else:
            for content_type, body in HOSTILE_BODIES[n % 3 :: 2]:
                yield method, url, {}, content_type, body
            n += 1
    # Paths that name nothing, or name it with bytes no database accepts.
    for path in [
        "/api/v1/accounts/external/a%00b/",
        "/api/v1/accounts/external/a\nb/",
        "/api/v1/accounts/external/%ED%A0%80/",
        "/api/v1/accounts/99999999999999999999999/",
        "/api/v1/accounts/-1/",
        "/api/v1/accounts/1e5/",
        "/api/v1/contacts/external/%00/",
        "/api/v1/nothing-here/",
        "/api/v1/accounts/\n/",
        "/api/v1/accounts",
        "/api/v2/accounts/",
        "/api/",
    ]:
        for method in ["GET", "PUT", "PATCH", "DELETE", "POST"]:
            yield method, path, {}, "application/json", '{"name": "x"}'
    for method in ["DELETE", "PUT", "PATCH", "PROPFIND", "TRACE"]:
        yield method, "/api/v1/accounts/", {}, "application/json", "{}"


def _send(client, auth, method, path, query, content_type, body):
    extra = {"HTTP_AUTHORIZATION": auth, "QUERY_STRING": _query_string(query)}
    kwargs = {"content_type": content_type} if content_type else {}
    return client.generic(method, path, data=body or "", **kwargs, **extra)


def _query_string(query: dict) -> str:
    from urllib.parse import quote

    return "&".join(
        f"{quote(k)}={quote(v, safe='%=', errors='surrogatepass')}" for k, v in query.items()
    )


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_hostile_requests_get_json_errors_and_never_a_server_error(hostile_world, settings, debug):
    """GIVEN every operation of the schema WHEN a few hundred hostile requests arrive
    THEN each answer is JSON; errors use {message, code, errors}; none is a 5xx."""
    settings.DEBUG = debug
    client, auth, account = hostile_world
    requests = list(_requests(account))
    assert len(requests) >= 300
    failures = []
    for method, path, query, content_type, body in requests:
        response = _send(client, auth, method, path, query, content_type, body)
        problem = _problem(response)
        if problem:
            failures.append(f"{method} {path!r} {query} {str(body)[:60]!r}: {problem}")
    assert failures == [], f"{len(failures)} of {len(requests)}:\n" + "\n".join(failures[:40])


def _problem(response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code} {response.content[:200]!r}"
    if response.status_code == 204:
        return None
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"{response.status_code} as {response.get('Content-Type')}"
    data = json.loads(response.content)
    if response.status_code >= 400 and not (
        isinstance(data, dict) and {"message", "code", "errors"} <= set(data)
    ):
        return f"{response.status_code} without the error shape: {data}"
    return None
