"""Scorecard editing through the API: create, draft, measures of every kind, bands, preview,
publish; published versions never change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scorecards.kinds import KIND_PARAMS
from scorecards.models import Measure, MeasureKind, Scorecard, ScorecardVersion, VersionStatus
from tests import factories

from .conftest import token_client

# One valid `params` per kind; a kind missing here fails the parametrised test below, so a new
# kind gets an example the day it is added.
EXAMPLE_PARAMS = {
    "icp_fit": {},
    "goodwill_balance": {"unit": "pts"},
    "decay": {},
    "interaction_mix": {"n": 12},
    "days_since_value": {"unit": "days"},
    "usage": {"metric": "logins", "aggregation": "sum", "window_days": 14, "per_seat": True},
    "survey": {"survey": "csat", "window_days": 90},
    "success_plan": {},
    "mrr_trend": {"window_days": 60},
    "manual": {"valid_days": 14},
    "tenure": {"unit": "days"},
    "lifecycle": {"new_days": 60, "established_days": 400},
    "usage_trend": {"metric": "logins", "window_days": 28, "no_rows": "missing"},
    "usage_ratio": {"metric": "replies", "denominator": "messages", "window_days": 30},
    "account_attribute": {"attribute": "mrr", "per_seat": True},
}


@pytest.fixture
def draft(org, admin_api):
    response = admin_api.post(
        "/api/v1/scorecards/",
        {"name": "Mid-Market rules", "segment": org.segment.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return ScorecardVersion.objects.get(scorecard_id=response.json()["id"], status="draft")


def _measure(version, kind, **extra):
    return {
        "version": version.pk,
        "key": f"m-{kind}".replace("_", "-"),
        "label": f"A {kind} measure",
        "kind": kind,
        "weight": 5,
        "bad": 0,
        "good": 10,
        "params": EXAMPLE_PARAMS[kind],
        **extra,
    }


def test_an_admin_token_creates_a_scorecard_whose_draft_copies_the_default_rules(draft, org):
    default = Scorecard.objects.get(is_default=True).versions.get(status="published")
    assert draft.number == 1 and draft.scorecard.segment == org.segment
    assert sorted(draft.measures.values_list("key", flat=True)) == sorted(
        default.measures.values_list("key", flat=True)
    )


@pytest.mark.parametrize("kind", MeasureKind.values)
def test_a_measure_of_every_kind_can_be_added_to_a_draft_with_its_settings(draft, admin_api, kind):
    response = admin_api.post("/api/v1/scorecard-measures/", _measure(draft, kind), format="json")
    assert response.status_code == 201, response.json()
    measure = Measure.objects.get(pk=response.json()["id"])
    assert (measure.kind, measure.params) == (kind, EXAMPLE_PARAMS[kind])
    assert measure.version == draft


def test_every_measure_kind_has_a_settings_definition():
    assert set(MeasureKind.values) <= set(KIND_PARAMS)


# Settings the server refuses with a 400 under `params.<field>` (the schema's per-kind shapes
# refuse them too: tests/api/test_schema_contract.py).
REFUSED_PARAMS = [
    ("usage", {"aggregation": "sum"}, "metric"),
    ("usage", {"metric": "logins", "aggregation": "median"}, "aggregation"),
    ("usage", {"metric": "logins", "aggregation": "sum", "n": 5}, "n"),
    ("icp_fit", {"window_days": 30}, "window_days"),
    ("interaction_mix", {"n": 0}, "n"),
    ("interaction_mix", {"n": "ten"}, "n"),
    ("survey", {"survey": "ces"}, "survey"),
    ("manual", {"valid_days": 400}, "valid_days"),
    ("usage", {"metric": "x", "aggregation": "sum", "per_seat": "yes"}, "per_seat"),
    ("usage_ratio", {"metric": "replies"}, "denominator"),
    ("usage_trend", {"metric": "logins", "no_rows": "never"}, "no_rows"),
    ("tenure", {"curve": [[0, 10]]}, "curve"),
    ("decay", {"curve": [[0, 100], [50, 40, 1]]}, "curve"),
    ("lifecycle", {"new_days": 0}, "new_days"),
    ("survey", {"window_days": None}, "window_days"),  # leave it out for the default
    ("usage", {"metric": "x" * 61, "aggregation": "sum"}, "metric"),
    ("usage", {"metric": "   ", "aggregation": "sum"}, "metric"),
    ("account_attribute", {}, "attribute"),
    ("account_attribute", {"attribute": "revenue"}, "attribute"),
    ("account_attribute", {"attribute": "custom"}, "custom_key"),
    ("account_attribute", {"attribute": "custom", "custom_key": "  "}, "custom_key"),
    ("account_attribute", {"attribute": "seats", "custom_key": "x"}, "custom_key"),
    ("account_attribute", {"attribute": "mrr", "custom_key": ""}, "custom_key"),
    ("account_attribute", {"attribute": "seats", "per_seat": True}, "per_seat"),
]


@pytest.mark.parametrize("kind,params,field", REFUSED_PARAMS)
def test_settings_that_do_not_fit_the_kind_are_400_field_errors(
    draft, admin_api, kind, params, field
):
    body = _measure(draft, kind, params=params)
    response = admin_api.post("/api/v1/scorecard-measures/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]["params"], response.json()
    assert not draft.measures.filter(key=body["key"]).exists()


def test_changing_a_measures_kind_checks_its_settings_against_the_new_kind(draft, admin_api):
    """GIVEN an interaction-mix measure WHEN a partial update names a kind without its settings,
    or settings without their kind THEN it is a 400 asking for both; the new kind's settings
    are checked against it, not against the old kind."""
    measure = draft.measures.get(kind="interaction_mix")
    url = f"/api/v1/scorecard-measures/{measure.pk}/"
    alone = admin_api.patch(url, {"kind": "usage"}, format="json")
    assert alone.status_code == 400 and "params" in alone.json()["errors"]
    alone = admin_api.patch(url, {"params": {"n": 5}}, format="json")
    assert alone.status_code == 400 and "kind" in alone.json()["errors"]
    refused = admin_api.patch(url, {"kind": "usage", "params": {"n": 10}}, format="json")
    assert refused.status_code == 400
    assert {"n", "metric", "aggregation"} <= set(refused.json()["errors"]["params"])
    changed = admin_api.patch(
        url,
        {"kind": "usage", "params": {"metric": "seats_used", "aggregation": "avg"}},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    measure.refresh_from_db()
    assert (measure.kind, measure.params) == (
        "usage",
        {"metric": "seats_used", "aggregation": "avg"},
    )


def test_a_drafts_measure_is_edited_and_deleted(draft, admin_api):
    measure = draft.measures.get(key="nps")
    url = f"/api/v1/scorecard-measures/{measure.pk}/"
    assert admin_api.patch(url, {"weight": 25, "label": "NPS"}, format="json").status_code == 200
    measure.refresh_from_db()
    assert (measure.weight, measure.label) == (25, "NPS")
    assert admin_api.patch(url, {"weight": 0}, format="json").status_code == 400
    assert admin_api.patch(url, {"weight": 1001}, format="json").status_code == 400
    # equal thresholds: a pass/fail measure (100 at or above 9, 0 below)
    assert admin_api.patch(url, {"bad": 9, "good": 9}, format="json").status_code == 200
    assert admin_api.delete(url).status_code == 204
    assert not draft.measures.filter(key="nps").exists()


def test_a_curve_score_outside_0_to_100_is_stored_as_the_nearer_end(draft, admin_api):
    body = _measure(draft, "decay", params={"curve": [[50, 140], [0, -5]]})
    response = admin_api.post("/api/v1/scorecard-measures/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["params"] == {"curve": [[0, 0], [50, 100]]}


def test_a_full_replacement_without_params_takes_the_kinds_defaults(draft, admin_api):
    measure = draft.measures.get(kind="interaction_mix")
    body = {k: v for k, v in _measure(draft, "survey").items() if k != "params"}
    response = admin_api.put(f"/api/v1/scorecard-measures/{measure.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["kind"] == "survey" and response.json()["params"] == {}


def test_a_duplicate_key_in_one_draft_is_a_409(draft, admin_api):
    body = _measure(draft, "icp_fit", key="icp_fit")
    response = admin_api.post("/api/v1/scorecard-measures/", body, format="json")
    assert response.status_code == 409  # the key is taken in this draft
    assert "key" in str(response.json()["errors"])


def test_published_versions_are_immutable_through_every_route(org, admin_api):
    published = ScorecardVersion.objects.get(scorecard__is_default=True, status="published")
    measure = published.measures.first()
    before = list(published.measures.values_list("key", "weight", "params"))
    url = f"/api/v1/scorecard-measures/{measure.pk}/"
    assert admin_api.patch(url, {"weight": 99}, format="json").status_code == 409
    assert admin_api.delete(url).status_code == 409
    assert (
        admin_api.post(
            "/api/v1/scorecard-measures/", _measure(published, "decay"), format="json"
        ).status_code
        == 409  # the version as it stands (published), not the body
    )
    bands = {"bands": [{"key": "all", "label": "All", "min_score": 0}]}
    v_url = f"/api/v1/scorecard-versions/{published.pk}/"
    assert admin_api.put(f"{v_url}bands/", bands, format="json").status_code == 409
    assert admin_api.patch(v_url, {"notes": "sneaky"}, format="json").status_code == 409
    assert admin_api.post(f"{v_url}publish/", {}, format="json").status_code == 409
    assert list(published.measures.values_list("key", "weight", "params")) == before
    assert published.bands.count() == 3


def test_grading_bands_are_replaced_as_a_set_and_checked(draft, admin_api):
    url = f"/api/v1/scorecard-versions/{draft.pk}/bands/"
    no_zero = {"bands": [{"key": "ok", "label": "OK", "min_score": 10}]}
    response = admin_api.put(url, no_zero, format="json")  # the lowest band covers from 0
    assert response.status_code == 200 and response.json()["bands"][0]["min_score"] == 0
    same = {
        "bands": [
            {"key": "a", "label": "A", "min_score": 0},
            {"key": "b", "label": "B", "min_score": 0},
        ]
    }
    assert admin_api.put(url, same, format="json").status_code == 400
    bad_colour = {"bands": [{"key": "ok", "label": "OK", "min_score": 0, "colour": "red"}]}
    response = admin_api.put(url, bad_colour, format="json")
    assert response.status_code == 400
    assert "colour" in response.json()["errors"]["bands"]["0"]
    two = {
        "bands": [
            {"key": "good", "label": "Good", "min_score": 60, "colour": "#1f9d55"},
            {"key": "poor", "label": "Poor", "min_score": 0, "colour": "#d64545"},
        ]
    }
    response = admin_api.put(url, two, format="json")
    assert response.status_code == 200, response.json()
    assert [b["key"] for b in response.json()["bands"]] == ["poor", "good"]


def test_the_draft_endpoint_returns_the_existing_draft_or_copies_the_published_rules(
    draft, admin_api
):
    url = f"/api/v1/scorecards/{draft.scorecard_id}/draft/"
    again = admin_api.post(url, {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == draft.pk
    assert (
        admin_api.post(
            f"/api/v1/scorecard-versions/{draft.pk}/publish/", {}, format="json"
        ).status_code
        == 200
    )
    fresh = admin_api.post(url, {}, format="json")
    assert fresh.status_code == 201
    assert fresh.json()["number"] == 2 and fresh.json()["status"] == "draft"


def test_publishing_a_draft_without_measures_is_refused_with_a_message(draft, admin_api):
    draft.measures.all().delete()
    response = admin_api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/", {}, format="json")
    assert response.status_code == 409  # the draft as it stands is incomplete
    assert "measure" in str(response.json()["errors"])
    assert ScorecardVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_csms_managers_and_non_admin_tokens_cannot_change_scorecards(org, draft):
    measure = draft.measures.first()
    url = f"/api/v1/scorecard-measures/{measure.pk}/"
    for client in (
        token_client(org.csm_a1),
        token_client(org.manager_a),
        token_client(org.admin, scopes=["read", "write", "ingest"]),
    ):
        assert client.patch(url, {"weight": 1}, format="json").status_code == 403
    for client in (token_client(org.csm_a1), token_client(org.manager_a)):
        assert client.get(f"/api/v1/scorecard-versions/{draft.pk}/preview/").status_code == 403
    assert token_client(org.csm_a1).get(url).status_code == 200


def test_the_preview_lists_only_accounts_whose_score_moved_and_the_coverage_of_each_measure(
    draft, admin_api, org
):
    """GIVEN a draft that weights only NPS, and one of the segment's accounts with an NPS answer
    WHEN previewed THEN that account is a mover (its score changed), and the NPS measure has
    data for one account of the six."""
    account = org.accounts["csm_a1"][0]
    factories.SurveyResponseFactory(
        account=account, kind="nps", score=10, responded_at=timezone.now() - timedelta(days=2)
    )
    for measure in draft.measures.exclude(key="nps"):
        admin_api.delete(f"/api/v1/scorecard-measures/{measure.pk}/")
    response = admin_api.get(f"/api/v1/scorecard-versions/{draft.pk}/preview/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["accounts"] == 6 and body["compared_with"] == "Default scorecard v1"
    assert all(m["from_score"] != m["to_score"] for m in body["movers"])
    assert account.pk in [m["account_id"] for m in body["movers"]]
    (nps,) = body["coverage"]
    assert (nps["key"], nps["with_data"], nps["without_data"]) == ("nps", 1, 5)
    bad = admin_api.get(f"/api/v1/scorecard-versions/{draft.pk}/preview/?as_of=someday")
    assert bad.status_code == 400 and "as_of" in bad.json()["errors"]


def test_measure_kinds_list_every_kind_with_its_settings(api):
    response = api.get("/api/v1/scorecard-measure-kinds/")
    assert response.status_code == 200
    kinds = {k["kind"]: k for k in response.json()}
    assert set(kinds) == set(MeasureKind.values)
    usage = {p["name"]: p for p in kinds["usage"]["params"]}
    assert usage["metric"]["required"] and usage["aggregation"]["choices"]


def test_the_measure_list_is_cursor_paginated_in_constant_queries(
    draft, admin_api, django_assert_max_num_queries
):
    # token lookup + last-used touch + the page: no per-row queries.
    with django_assert_max_num_queries(4):
        response = admin_api.get(f"/api/v1/scorecard-measures/?version={draft.pk}&page_size=5")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5 and response.json()["next"]
