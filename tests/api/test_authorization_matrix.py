"""Every endpoint × {own CSM, other CSM, manager, admin, read-only token, no auth}.

The target records belong to csm_a1 (team A, led by manager_a). "other" is csm_b1 (team B).
"""

import pytest
from rest_framework.test import APIClient

from integrations.models import Webhook, WebhookDelivery
from tests import factories
from tests.conftest import rows_kept_for_scope

from .conftest import token_client

WHO = ["own", "other", "manager", "admin", "read_only", "anonymous"]


def _client(org, who):
    if who == "anonymous":
        return APIClient()
    user = {
        "own": org.csm_a1,
        "other": org.csm_b1,
        "manager": org.manager_a,
        "admin": org.admin,
        "read_only": org.csm_a1,
    }[who]
    return token_client(user, scopes=["read"] if who == "read_only" else None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The org and the target records, written once for the module's 468 requests; what a
    request changes rolls back after its test."""
    with rows_kept_for_scope(django_db_blocker, _world) as built:
        yield built


@pytest.fixture
def org(world, db):
    return world[0]


@pytest.fixture
def target(world, db):
    return world[1]


def _world():
    org = factories.org()
    return org, _target(org)


def _target(org):
    account = org.accounts["csm_a1"][0]
    contact = factories.ContactFactory(account=account, external_id="m-contact")
    interaction = factories.InteractionFactory(account=account, external_id="m-int")
    usage = factories.UsageMetricFactory(account=account)
    survey = factories.SurveyResponseFactory(account=account)
    subscription = factories.SubscriptionFactory(account=account)
    hook = Webhook.objects.create(
        name="m", url="https://x.example/h", events=["cta.opened"], secret="s" * 20
    )
    delivery = WebhookDelivery.objects.create(
        webhook=hook,
        event="cta.opened",
        payload={"cta_id": 1, "account_id": account.pk, "rule": "r", "priority": "high"},
        status="failed",
    )
    from accounts.services import trust_entry_append

    entry = trust_entry_append(account=account, points=2, reason="seed", source="manual")
    health = _health_targets(account)
    return {
        **health,
        "a2": org.accounts["csm_a1"][1].pk,
        "a": account.pk,
        "ext": account.external_id,
        "c": contact.pk,
        "i": interaction.pk,
        "u": usage.pk,
        "s": survey.pk,
        "sub": subscription.pk,
        "e": entry.pk,
        "w": hook.pk,
        "d": delivery.pk,
        "seg": org.segment.pk,
    }


def _health_targets(account) -> dict:
    """A snapshot, a run, a back-test, a plan with a step and a CTA with a step."""
    from datetime import timedelta

    from django.utils import timezone

    from healthscores.models import HealthSnapshot, ScoreBacktest, ScoreRun, ScoreValidation
    from scorecards.services import scorecard_default_ensure

    version = scorecard_default_ensure()
    today = timezone.localdate()
    HealthSnapshot.objects.create(
        account=account, as_of=today, scorecard_version=version, overall=60, band="yellow",
        confidence=1, decay_score=10, decay_status="stable", quadrant="success",
        churn_risk=0.1, lifetime_value=1000,
    )  # fmt: skip
    run = ScoreRun.objects.create(as_of=today, trigger="manual", status="completed")
    validation = ScoreValidation.objects.create(
        scorecard_version=version, as_of=today - timedelta(days=200), accounts=0, churned=0
    )
    backtest = ScoreBacktest.objects.create(
        scorecard_version=version,
        start=today - timedelta(days=400),
        end=today - timedelta(days=120),
        split_on=today - timedelta(days=260),
    )
    plan = factories.SuccessPlanFactory(account=account)
    cta = factories.CtaFactory(account=account)
    return {
        "sc": version.scorecard_id,
        "sv": version.pk,
        "sm": version.measures.first().pk,
        "run": run.pk,
        "val": validation.pk,
        "bt": backtest.pk,
        "bt_start": (today - timedelta(days=400)).isoformat(),
        "bt_end": (today - timedelta(days=120)).isoformat(),
        "bt_split": (today - timedelta(days=260)).isoformat(),
        "p": plan.pk,
        "ps": factories.PlanStepFactory(plan=plan).pk,
        "cta": cta.pk,
        "cs": cta.steps.create(order=1, text="Call").pk,
        "past": (today - timedelta(days=3)).isoformat(),
        "btest": (today - timedelta(days=120)).isoformat(),
    }


# (method, path, body, expected status per WHO in order:
#  own, other, manager, admin, read_only, anonymous)
VISIBLE_READ = (200, 404, 200, 200, 200, 401)
LIST = (200, 200, 200, 200, 200, 401)
CONFIG_READ = (200, 200, 200, 200, 200, 401)
STAFF_READ = (403, 403, 200, 200, 403, 401)
# Lifecycle and privacy operations: admins only, whoever owns the record (403, not 404: the
# role decides before any record is looked up).
ADMIN_ONLY_READ = (403, 403, 403, 200, 403, 401)
ADMIN_ONLY = (403, 403, 403, 200, 403, 401)
# Validations and back-tests change nothing on accounts or scorecards: managers run them too.
MANAGER_RUNS = (403, 403, 201, 201, 403, 401)
CASES = [
    ("get", "/api/v1/accounts/", None, LIST),
    ("get", "/api/v1/accounts/{a}/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/external/{ext}/", None, VISIBLE_READ),
    ("patch", "/api/v1/accounts/{a}/", {"region": "APAC"}, (200, 404, 200, 200, 403, 401)),
    (
        "put",
        "/api/v1/accounts/external/{ext}/",
        {"name": "Renamed"},
        (200, 404, 200, 200, 403, 401),
    ),
    ("delete", "/api/v1/accounts/{a}/", None, ADMIN_ONLY),
    ("delete", "/api/v1/accounts/{a}/?permanent=true", None, ADMIN_ONLY),
    ("delete", "/api/v1/accounts/external/{ext}/", None, ADMIN_ONLY),
    ("delete", "/api/v1/accounts/external/{ext}/?permanent=true", None, ADMIN_ONLY),
    ("post", "/api/v1/accounts/{a}/restore/", {}, ADMIN_ONLY),
    ("post", "/api/v1/accounts/external/{ext}/restore/", {}, ADMIN_ONLY),
    ("get", "/api/v1/accounts/archived/", None, ADMIN_ONLY_READ),
    ("post", "/api/v1/contacts/{c}/erase/", {}, ADMIN_ONLY),
    ("post", "/api/v1/contacts/external/m-contact/erase/", {}, ADMIN_ONLY),
    ("get", "/api/v1/contacts/{c}/", None, VISIBLE_READ),
    ("get", "/api/v1/contacts/external/m-contact/", None, VISIBLE_READ),
    ("patch", "/api/v1/contacts/{c}/", {"title": "VP"}, (200, 404, 200, 200, 403, 401)),
    ("get", "/api/v1/interactions/{i}/", None, VISIBLE_READ),
    (
        "post",
        "/api/v1/interactions/",
        {"account": "{a}", "channel": "call", "category": "value_adding"},
        (201, 404, 201, 201, 403, 401),
    ),
    ("post", "/api/v1/interactions/bulk/", {"rows": []}, (200, 200, 200, 200, 403, 401)),
    ("get", "/api/v1/accounts/{a}/ledger/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/{a}/ledger/{e}/", None, VISIBLE_READ),
    (
        "post",
        "/api/v1/accounts/{a}/ledger/",
        {"points": 1, "reason": "r"},
        (201, 404, 201, 201, 403, 401),
    ),
    (
        "post",
        "/api/v1/accounts/{a}/ledger/{e}/reverse/",
        {"reason": "oops"},
        (201, 404, 201, 201, 403, 401),
    ),
    ("put", "/api/v1/accounts/{a}/ledger/{e}/", {}, (405, 405, 405, 405, 403, 401)),
    ("get", "/api/v1/subscriptions/{sub}/", None, VISIBLE_READ),
    ("post", "/api/v1/subscriptions/bulk/", {"rows": []}, (200, 200, 200, 200, 403, 401)),
    ("get", "/api/v1/health/?as_of={past}", None, LIST),
    ("get", "/api/v1/usage/{u}/", None, VISIBLE_READ),
    ("post", "/api/v1/usage/bulk/", {"rows": []}, (200, 200, 200, 200, 403, 401)),
    ("get", "/api/v1/surveys/{s}/", None, VISIBLE_READ),
    ("get", "/api/v1/segments/", None, CONFIG_READ),
    ("patch", "/api/v1/segments/{seg}/", {"description": "d"}, (403, 403, 403, 200, 403, 401)),
    ("get", "/api/v1/icp-profiles/", None, CONFIG_READ),
    ("post", "/api/v1/icp-profiles/", {"name": "M"}, (403, 403, 403, 201, 403, 401)),
    ("get", "/api/v1/webhooks/", None, (403, 403, 403, 200, 403, 401)),
    ("get", "/api/v1/webhooks/{w}/deliveries/", None, (403, 403, 403, 200, 403, 401)),
    ("post", "/api/v1/webhooks/{w}/deliveries/{d}/replay/", {}, (403, 403, 403, 201, 403, 401)),
    ("get", "/api/v1/accounts/{a}/health/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/{a}/health/history/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/{a}/health/why-changed/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/external/{ext}/health/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/external/{ext}/health/history/", None, VISIBLE_READ),
    ("get", "/api/v1/accounts/external/{ext}/health/why-changed/", None, VISIBLE_READ),
    ("get", "/api/v1/scorecards/", None, CONFIG_READ),
    ("get", "/api/v1/scorecards/{sc}/", None, CONFIG_READ),
    ("get", "/api/v1/scorecard-versions/", None, CONFIG_READ),
    ("get", "/api/v1/scorecard-versions/{sv}/", None, CONFIG_READ),
    # Admins may publish, but this version is already published (immutable): 409.
    ("post", "/api/v1/scorecard-versions/{sv}/publish/", {}, (403, 403, 403, 409, 403, 401)),
    ("patch", "/api/v1/scorecard-versions/{sv}/", {"notes": "n"}, (403, 403, 403, 409, 403, 401)),
    ("get", "/api/v1/scorecard-versions/{sv}/preview/", None, (403, 403, 403, 200, 403, 401)),
    ("post", "/api/v1/scorecards/{sc}/draft/", {}, (403, 403, 403, 201, 403, 401)),
    ("get", "/api/v1/scorecard-measures/", None, CONFIG_READ),
    ("get", "/api/v1/scorecard-measures/{sm}/", None, CONFIG_READ),
    ("patch", "/api/v1/scorecard-measures/{sm}/", {"weight": 3}, (403, 403, 403, 409, 403, 401)),
    ("delete", "/api/v1/scorecard-measures/{sm}/", None, (403, 403, 403, 409, 403, 401)),
    ("get", "/api/v1/scorecard-measure-kinds/", None, CONFIG_READ),
    ("get", "/api/v1/score-runs/", None, STAFF_READ),
    ("get", "/api/v1/score-runs/{run}/", None, STAFF_READ),
    ("post", "/api/v1/score-runs/", {"as_of": "{past}"}, (403, 403, 403, 202, 403, 401)),
    ("get", "/api/v1/score-validation/", None, STAFF_READ),
    ("get", "/api/v1/score-validation/{val}/", None, STAFF_READ),
    (
        "post",
        "/api/v1/score-validation/",
        {"scorecard_version": "{sv}", "as_of": "{btest}"},
        MANAGER_RUNS,
    ),
    ("get", "/api/v1/score-backtests/", None, STAFF_READ),
    ("get", "/api/v1/score-backtests/{bt}/", None, STAFF_READ),
    (
        "post",
        "/api/v1/score-backtests/",
        {
            "scorecard_version": "{sv}",
            "start": "{bt_start}",
            "end": "{bt_end}",
            "split_on": "{bt_split}",
        },
        (403, 403, 202, 202, 403, 401),
    ),
    # Applying a suggestion writes a scorecard draft: admins only (this one has none yet: 409).
    ("post", "/api/v1/score-backtests/{bt}/apply/", {}, (403, 403, 403, 409, 403, 401)),
    ("get", "/api/v1/success-plans/", None, LIST),
    ("get", "/api/v1/success-plans/{p}/", None, VISIBLE_READ),
    ("post", "/api/v1/success-plans/", {"account": "{a2}"}, (201, 404, 201, 201, 403, 401)),
    (
        "post",
        "/api/v1/success-plans/{p}/steps/{ps}/complete/",
        {},
        (200, 404, 200, 200, 403, 401),
    ),
    ("get", "/api/v1/ctas/", None, LIST),
    ("get", "/api/v1/ctas/{cta}/", None, VISIBLE_READ),
    ("patch", "/api/v1/ctas/{cta}/", {"status": "done"}, (200, 404, 200, 200, 403, 401)),
    ("put", "/api/v1/ctas/{cta}/", {"status": "done"}, (405, 405, 405, 405, 403, 401)),
    ("post", "/api/v1/ctas/{cta}/steps/{cs}/toggle/", {}, (200, 404, 200, 200, 403, 401)),
    ("get", "/api/v1/reports/top10/", None, LIST),
]


def _fill(value, target):
    """ "{a}"-style placeholders: ids become integers, anything else (dates) stays a string."""
    if not isinstance(value, str) or not value.startswith("{"):
        return value
    filled = value.format(**target)
    return int(filled) if filled.isdigit() else filled


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("method,path,body,expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_authorization_matrix(org, target, who, method, path, body, expected):
    client = _client(org, who)
    url = path.format(**target)
    if body is not None:
        body = {k: _fill(v, target) for k, v in body.items()}
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected[WHO.index(who)], response.content[:300]
    if who == "other" and path == "/api/v1/accounts/":
        assert target["a"] not in [row["id"] for row in response.json()["results"]]
