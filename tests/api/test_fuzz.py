"""Schemathesis fuzzes the cross-field operations (tests/api/operations.py) with an admin token.

`make contract` fuzzes every other operation, with a CSM's and an admin's token, against a live
server under production settings. These ones it cannot: their rules tie fields together, so a
request the schema admits may still be refused with a 400, which its positive-data check
reports. Here every other check applies: no 5xx, every status code and response body matches
the schema, JSON content types, and invalid input (negative mode) is never accepted.
"""

import inspect

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.marks import METADATA_ATTR
from schemathesis.pytest import _test_builder
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tests.conftest import rows_kept_for_scope

from .conftest import token_client
from .operations import CROSS_FIELD_OPERATIONS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
WSGI_APP = get_wsgi_application()


@pytest.fixture
def keep_test_connection():
    """The real WSGI handler closes "old" DB connections per request, which would close the
    test's transaction on PostgreSQL; Django's own test client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _fuzz_world() -> str:
    """An org, an account with a contact, an interaction, usage, a survey and a subscription,
    so ids resolve to real rows; the Authorization header of an admin token (all scopes)."""
    org = factories.org()
    account = factories.AccountFactory(owner=org.admin, external_id="fuzz-1")
    factories.ContactFactory(account=account, external_id="fuzz-contact")
    factories.InteractionFactory(account=account, external_id="fuzz-int")
    factories.UsageMetricFactory(account=account)
    factories.SurveyResponseFactory(account=account)
    factories.SubscriptionFactory(account=account)
    _seed_health_and_success(account)
    return token_client(org.admin)._credentials["HTTP_AUTHORIZATION"]


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """Written once for the module; what a test's requests change rolls back after it."""
    with rows_kept_for_scope(django_db_blocker, _fuzz_world) as authorization:
        yield authorization


@pytest.fixture
def fuzz_auth(fuzz_world, db, settings, keep_test_connection):
    """The admin token's header; the API's rate limit out of the way."""
    settings.API_THROTTLE_RATE = "100000/min"
    return {"Authorization": fuzz_world}


def _seed_health_and_success(account) -> None:
    """A snapshot, run, back-test, plan step and CTA step so their ids resolve too."""
    from healthscores.models import ScoreRun, ScoreValidation
    from healthscores.services import health_rescore_accounts
    from scorecards.services import scorecard_default_ensure

    version = scorecard_default_ensure()
    health_rescore_accounts(account_ids=[account.pk])
    ScoreRun.objects.create(as_of=account.contract_start, trigger="backfill", status="completed")
    ScoreValidation.objects.create(
        scorecard_version=version, as_of=account.contract_start, accounts=0, churned=0
    )
    factories.PlanStepFactory(plan__account=account)
    factories.CtaFactory(account=account).steps.create(order=1, text="Call")


# The schema view needs no database, so the live schema loads at collection time.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGI_APP).include(
    operation_id=CROSS_FIELD_OPERATIONS
)

# Building an operation's test (its schema examples and coverage cases, which run as Hypothesis
# explicit examples) costs about 0.1 s of CPU; the schemathesis plugin builds all of them when the
# module is collected, so every xdist worker would pay for every operation's build before running
# a test. Built when the test runs instead, each build happens once, on the worker that runs it,
# with the same arguments and the same cases.
_build_now = _test_builder.build_operation_test


def _build_when_run(*, test_func, **kwargs):
    if not getattr(test_func, "_build_when_run", False):
        return _build_now(test_func=test_func, **kwargs)
    built = None

    def run(**fixtures):
        nonlocal built
        if built is None:
            built = _build_now(test_func=test_func, **kwargs)
            # The plugin reads what the build found (e.g. unsatisfiable examples) off the item.
            if hasattr(built, METADATA_ATTR):
                setattr(run, METADATA_ATTR, getattr(built, METADATA_ATTR))
        return built(**fixtures)

    # The built test takes the fixtures, not `case` (Hypothesis supplies that).
    signature = inspect.signature(test_func)
    run.__signature__ = signature.replace(
        parameters=[p for n, p in signature.parameters.items() if n != "case"]
    )
    run.__name__ = test_func.__name__
    return run


_test_builder.build_operation_test = _build_when_run


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_survives_fuzzing(case, fuzz_auth):
    case.call_and_validate(headers=fuzz_auth, checks=CHECKS)


test_api_survives_fuzzing._build_when_run = True
