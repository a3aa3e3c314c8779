"""Over a thousand hostile requests against every operation: 0 HTML responses, 0 5xx.

The requests (tests/api/hostile.py) are built from the live schema, so a new endpoint is
covered the day it lands: every list filter gets out-of-range numbers, NUL bytes, impossible
time-zone offsets and crafted cursors, page sizes and offsets; every write gets deep,
invalid-Unicode, NUL-laden and oversized bodies and a wrong content type; paths get NUL bytes,
newlines and huge ids; every method is tried on every path (the ones it lacks are a 405). Each
answer must be the documented JSON error (or a success), with DEBUG on and off here, and under
production settings against a live server in `make contract`.
"""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests import factories

from .conftest import token_client
from .hostile import HostileRequest, hostile_requests, problem


@pytest.fixture
def hostile_world(org, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    account = factories.AccountFactory(owner=org.admin, external_id="hostile-1")
    factories.ContactFactory(account=account, external_id="hostile-contact")
    factories.InteractionFactory(account=account, external_id="hostile-int")
    client = Client(raise_request_exception=False)
    auth = token_client(org.admin)._credentials["HTTP_AUTHORIZATION"]
    return client, auth, account


def _send(client, auth, request: HostileRequest):
    extra = {"HTTP_AUTHORIZATION": auth, "QUERY_STRING": request.query_string()}
    kwargs = {"content_type": request.content_type} if request.content_type is not None else {}
    return client.generic(request.method, request.path, data=request.body or "", **kwargs, **extra)


@pytest.mark.slow
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_hostile_requests_get_json_errors_and_never_a_server_error(hostile_world, settings, debug):
    """GIVEN every operation of the schema WHEN over a thousand hostile requests arrive
    THEN each answer is JSON; errors use {message, code, errors}; none is a 5xx."""
    settings.DEBUG = debug
    client, auth, account = hostile_world
    schema = SchemaGenerator().get_schema(request=None, public=True)
    fill = {"account_pk": str(account.pk), "external_id": "hostile-1"}
    requests = hostile_requests(
        schema, fill={**fill, "id": "1", "step_pk": "1", "delivery_id": "1"}
    )
    assert len(requests) >= 1000
    failures = []
    for request in requests:
        response = _send(client, auth, request)
        wrong = problem(
            request, response.status_code, response.get("Content-Type", ""), response.content
        )
        if wrong:
            failures.append(f"{request.describe()}: {wrong}")
    assert failures == [], f"{len(failures)} of {len(requests)}:\n" + "\n".join(failures[:40])
