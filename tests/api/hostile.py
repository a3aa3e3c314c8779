"""Hostile requests built from an OpenAPI schema, and what makes an answer to one wrong.

Plain Python (no Django at import), so the same requests run in-process
(tests/api/test_hostile_requests.py, DEBUG on and off) and against the live server under
production settings (`make contract`, .ci/contract.py). Built from the schema, so a new
endpoint is covered the day it lands.
"""

from __future__ import annotations

import json
from typing import NamedTuple
from urllib.parse import quote

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
    "bz05OTk5OTk5OTk5OTk5OTk5OTk5",  # o=99999999999999999999 (an offset past any table)
    "bz0tMQ==",  # o=-1
    "bz0xLjU=",  # o=1.5
    "cj0xJm89MTAwMDAwMDAwMCZwPTE=",  # r=1&o=1000000000&p=1
    "\n",
    "=" * 300,
]
# Page sizes and offsets a client might compute wrongly.
ODD_PAGE_SIZES = ["0", "-1", "1.5", "1e3", "99999999999999999999", " 1", "0x10", "\x00", "١"]
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
# A plausible JSON body under a content type the API does not take (415), or a JSON one
# that lies about its charset or has none at all.
WRONG_CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "text/html",
    "application/json; charset=latin-1",
    "application/json-patch+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",  # no boundary
    "",
]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"]
# Paths that name nothing, or name it with bytes no database accepts.
ODD_PATHS = [
    "/api/v1/accounts/external/a%00b/",
    "/api/v1/accounts/external/a\nb/",
    "/api/v1/accounts/external/%ED%A0%80/",
    "/api/v1/accounts/99999999999999999999999/",
    "/api/v1/accounts/-1/",
    "/api/v1/accounts/1e5/",
    "/api/v1/contacts/external/%00/",
    "/api/v1/nothing-here/",
    "/api/v1/accounts/\n/",
    "/api/v1/accounts/\r\n/",
    "/api/v1/accounts/%0a/",
    "/api/v1/accounts/%2e%2e/%2e%2e/",
    # Long, yet under the 4,094-byte request line gunicorn takes (its own 414 is not ours).
    "/api/v1/accounts/" + "9" * 3000 + "/",
    "/api/v1/accounts",
    "/api/v2/accounts/",
    "/api/",
]


class HostileRequest(NamedTuple):
    method: str
    path: str  # unquoted; `wire_path` quotes it for a real socket
    query: dict
    content_type: str | None
    body: str | bytes | None
    expect: int | None = None  # the status it must get, where one is certain

    def query_string(self) -> str:
        return "&".join(
            f"{quote(k)}={quote(v, safe='%=', errors='surrogatepass')}"
            for k, v in self.query.items()
        )

    def wire_path(self) -> str:
        """The path as sent over HTTP: control characters and non-ASCII percent-encoded."""
        return quote(self.path, safe="/%:@!$&'()*+,;=-._~")

    def body_bytes(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return self.body.encode("utf-8", "surrogatepass")

    def describe(self) -> str:
        return f"{self.method} {self.path!r} {self.query} {str(self.body)[:60]!r}"


def hostile_requests(schema: dict, *, fill: dict[str, str]) -> list[HostileRequest]:
    """Hostile requests for every operation of `schema` (OpenAPI 3 as a dict):
    every path parameter is replaced by `fill[name]` (a record that exists)."""
    out: list[HostileRequest] = []
    n = 0
    for path, operations in schema["paths"].items():
        url = path
        for name, value in fill.items():
            url = url.replace("{" + name + "}", value)
        declared = {m.upper() for m in operations if m in {x.lower() for x in METHODS}}
        for method, operation in operations.items():
            method = method.upper()
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            if method == "GET":
                # Each parameter gets one hostile value, each list three bad cursors and three
                # odd page sizes, rotating so that every value reaches several operations.
                for i, name in enumerate(params):
                    if name not in ("cursor", "page_size"):
                        value = HOSTILE_QUERY_VALUES[(n + i) % len(HOSTILE_QUERY_VALUES)]
                        out.append(HostileRequest("GET", url, {name: value}, None, None))
                for name, values in (("cursor", BAD_CURSORS), ("page_size", ODD_PAGE_SIZES)):
                    if name in params:
                        for k in range(3):
                            value = values[(3 * n + k) % len(values)]
                            out.append(HostileRequest("GET", url, {name: value}, None, None))
            else:
                for content_type, body in HOSTILE_BODIES[n % 4 :: 4]:
                    out.append(HostileRequest(method, url, {}, content_type, body))
                content_type = WRONG_CONTENT_TYPES[n % len(WRONG_CONTENT_TYPES)]
                out.append(HostileRequest(method, url, {}, content_type, '{"name": "x"}'))
            n += 1
        # Every method on every path: the ones it does not declare are a JSON 405.
        for method in METHODS:
            if method not in declared and not (method == "HEAD" and "GET" in declared):
                expect = None if method == "OPTIONS" else 405
                out.append(
                    HostileRequest(method, url, {}, "application/json", '{"name": "x"}', expect)
                )
    for path in ODD_PATHS:
        for method in ["GET", "PUT", "PATCH", "DELETE", "POST"]:
            out.append(HostileRequest(method, path, {}, "application/json", '{"name": "x"}'))
    for method in ["DELETE", "PUT", "PATCH", "PROPFIND", "TRACE"]:
        out.append(HostileRequest(method, "/api/v1/accounts/", {}, "application/json", "{}"))
    return out


def problem(request: HostileRequest, status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with this answer to a hostile request, or None: a 5xx, anything but JSON
    (HTML above all), an error without the documented {message, code, errors} shape."""
    if status >= 500:
        return f"{status} {body[:200]!r}"
    if request.expect is not None and status != request.expect:
        return f"{status}, expected {request.expect}"
    if status == 204:
        return None
    if not content_type.startswith("application/json"):
        return f"{status} as {content_type or 'no content type'}"
    if request.method == "HEAD":
        return None if not body else f"{status}: HEAD with a body"
    try:
        data = json.loads(body)
    except ValueError:
        return f"{status}: not JSON: {body[:120]!r}"
    if status >= 400 and not (
        isinstance(data, dict) and {"message", "code", "errors"} <= set(data)
    ):
        return f"{status} without the error shape: {str(data)[:200]}"
    return None
