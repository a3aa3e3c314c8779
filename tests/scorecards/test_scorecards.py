"""Scorecards: the shipped default, versioning, editing drafts and the admin pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorecards.models import Scorecard, ScorecardVersion, VersionStatus
from scorecards.selectors import band_for, published_scorecards
from scorecards.services import (
    scorecard_create,
    scorecard_version_draft_create,
    scorecard_version_publish,
    scorecard_version_update,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def default():
    return Scorecard.objects.get(is_default=True)


def test_the_product_ships_a_published_default_scorecard_with_every_kind_but_none_missing(
    default,
):
    version = default.versions.get(status=VersionStatus.PUBLISHED)
    kinds = set(version.measures.values_list("kind", flat=True))
    assert {
        "icp_fit",
        "goodwill_balance",
        "decay",
        "interaction_mix",
        "days_since_value",
        "usage",
        "survey",
        "success_plan",
        "mrr_trend",
        "manual",
    } == kinds
    assert [b.key for b in version.bands.all()] == ["red", "yellow", "green"]


def test_band_for_picks_the_highest_band_whose_minimum_is_reached(default):
    bands = list(default.versions.get(status="published").bands.all())
    assert [band_for(s, bands).key for s in (0, 39, 40, 69, 70, 100)] == [
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
    ]


def test_publishing_a_draft_archives_the_previous_version_and_keeps_history(default, org):
    """GIVEN the default v1 published WHEN an admin publishes a draft v2
    THEN v2 is the one published version and v1 is archived, not deleted."""
    draft = scorecard_version_draft_create(scorecard=default, user=org.admin)
    assert draft.number == 2 and draft.measures.count() == 11
    scorecard_version_publish(version=draft, user=org.admin)
    statuses = dict(default.versions.values_list("number", "status"))
    assert statuses == {1: "archived", 2: "published"}
    assert published_scorecards().default.pk == draft.pk
    with pytest.raises(ValidationError):
        scorecard_version_publish(version=draft, user=org.admin)


def test_only_a_draft_can_be_edited_and_bands_must_start_at_zero(default, org):
    published = default.versions.get(status="published")
    measure = {
        "key": "fit",
        "label": "Fit",
        "kind": "icp_fit",
        "weight": 1,
        "bad": 0,
        "good": 100,
        "missing_policy": "exclude",
        "params": {},
    }
    with pytest.raises(ValidationError):
        scorecard_version_update(version=published, notes="", measures=[measure], bands=[])
    draft = scorecard_version_draft_create(scorecard=default, user=org.admin)
    with pytest.raises(ValidationError, match="lowest band must start at 0"):
        scorecard_version_update(
            version=draft,
            notes="",
            measures=[measure],
            bands=[{"key": "ok", "label": "OK", "min_score": 10, "colour": "#000000"}],
        )


def test_a_segment_scorecard_scores_its_segment_once_published(org):
    scorecard = scorecard_create(name="Enterprise card", segment=org.segment, user=org.admin)
    draft = scorecard.versions.get()
    assert published_scorecards().for_segment(org.segment.pk).scorecard.is_default
    scorecard_version_publish(version=draft, user=org.admin)
    assert published_scorecards().for_segment(org.segment.pk).pk == draft.pk
    with pytest.raises(ValidationError):
        scorecard_create(name="Another", segment=org.segment, user=org.admin)


def test_the_scorecard_list_costs_the_same_queries_however_many_versions(
    client, org, default, django_assert_max_num_queries
):
    client.force_login(org.admin)
    for _ in range(3):
        scorecard_version_publish(
            version=scorecard_version_draft_create(scorecard=default, user=org.admin),
            user=org.admin,
        )
    # session + user, scorecards, their versions, the segment choices of the form
    with django_assert_max_num_queries(6):
        page = client.get(reverse("scorecards:list"))
    assert page.status_code == 200 and b"Default scorecard" in page.content


def test_scorecard_pages_are_for_admins_only(client, org, default):
    client.force_login(org.csm_a1)
    assert client.get(reverse("scorecards:list")).status_code == 403
    client.force_login(org.manager_a)
    assert client.get(reverse("scorecards:detail", args=[default.pk])).status_code == 403


def test_an_admin_edits_a_draft_previews_its_impact_and_publishes_it(client, org, default):
    """GIVEN the default scorecard WHEN the admin opens a draft, changes a weight and a band,
    previews and publishes THEN the new version scores with the new rules."""
    client.force_login(org.admin)
    assert client.get(reverse("scorecards:list")).status_code == 200
    response = client.post(reverse("scorecards:version_draft", args=[default.pk]))
    draft = ScorecardVersion.objects.get(scorecard=default, status="draft")
    assert response.url == reverse("scorecards:version_edit", args=[draft.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    measures = page.context["measures"]
    data = {"notes": "Usage matters more"}
    for prefix, formset in (("measures", measures), ("bands", page.context["bands"])):
        data[f"{prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, form in enumerate(formset.forms):
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None and value is not False and name != "DELETE":
                    data[f"{prefix}-{i}-{name}"] = value
    data["measures-5-weight"] = 30
    data["bands-2-min_score"] = 65
    response = client.post(reverse("scorecards:version_edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.context and [
        response.context["measures"].errors,
        response.context["bands"].errors,
    ]
    draft.refresh_from_db()
    assert draft.measures.get(key="active_users_per_seat").weight == 30
    assert draft.measures.count() == 11
    assert draft.bands.get(key="green").min_score == 65
    factories.AccountFactory(owner=None)
    preview = client.get(reverse("healthscores:scorecard_preview", args=[draft.pk]))
    assert (
        preview.status_code == 200 and preview.context["preview"]["accounts"] == 7
    )  # the org's six + one
    html = preview.content.decode()
    # The page's <title> is its name (the coverage table is drawn once, in the page).
    assert f"<title>Impact of {default.name} v{draft.number}" in html
    assert html.count("<h2>Coverage</h2>") == 1
    client.post(reverse("scorecards:version_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "published"


def test_a_bad_edit_shows_field_errors_instead_of_failing(client, org, default):
    client.force_login(org.admin)
    client.post(reverse("scorecards:version_draft", args=[default.pk]))
    draft = ScorecardVersion.objects.get(scorecard=default, status="draft")
    response = client.post(
        reverse("scorecards:version_edit", args=[draft.pk]),
        {
            "notes": "",
            "measures-TOTAL_FORMS": 1,
            "measures-INITIAL_FORMS": 1,
            "measures-0-key": "u",
            "measures-0-label": "Usage",
            "measures-0-kind": "usage",
            "measures-0-weight": "abc",
            "measures-0-bad": 1,
            "measures-0-good": "high",
            "measures-0-missing_policy": "exclude",
            "bands-TOTAL_FORMS": 0,
            "bands-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["measures"].forms[0].errors
    assert {"weight", "good", "metric"} <= set(errors)
    assert draft.measures.count() == 11


def _edit_data(page) -> dict:
    """The editor's formsets as the browser would post them, unchanged."""
    data = {"notes": ""}
    for prefix in ("measures", "bands"):
        formset = page.context[prefix]
        data[f"{prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for i, form in enumerate(formset.forms):
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None and value is not False and name != "DELETE":
                    data[f"{prefix}-{i}-{name}"] = value
    return data


def test_the_editor_keeps_only_the_settings_of_a_measures_kind_and_publishes_in_one_step(
    client, org, default
):
    """GIVEN a draft WHEN the admin switches the interaction-mix measure to a usage ratio with
    a leftover "last N" and presses Publish THEN the draft is saved with only the ratio's
    settings and published in the same request."""
    client.force_login(org.admin)
    client.post(reverse("scorecards:version_draft", args=[default.pk]))
    draft = ScorecardVersion.objects.get(scorecard=default, status="draft")
    url = reverse("scorecards:version_edit", args=[draft.pk])
    page = client.get(url)
    html = page.content.decode()
    assert 'data-kinds="interaction_mix"' in html and "data-measure-kind" in html
    data = _edit_data(page)
    kinds = [f.initial.get("kind") for f in page.context["measures"].forms]
    index = kinds.index("interaction_mix")
    data |= {
        f"measures-{index}-kind": "usage_ratio",
        f"measures-{index}-metric": "replies",
        f"measures-{index}-denominator": "messages",
        "action": "publish",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse(
        "scorecards:detail", args=[default.pk]
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    measure = draft.measures.get(kind="usage_ratio")
    # "last N" (n=10) is gone; the unit every kind takes stays.
    assert measure.params == {"metric": "replies", "denominator": "messages", "unit": "%"}


def test_the_editor_names_a_missing_required_setting_of_the_kind(client, org, default):
    client.force_login(org.admin)
    client.post(reverse("scorecards:version_draft", args=[default.pk]))
    draft = ScorecardVersion.objects.get(scorecard=default, status="draft")
    url = reverse("scorecards:version_edit", args=[draft.pk])
    data = _edit_data(client.get(url))
    data |= {"measures-0-kind": "usage_ratio", "measures-0-metric": "replies", "action": "publish"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "denominator" in response.context["measures"].forms[0].errors
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_scorecard_page_writes_each_measures_settings_in_words(client, org, default):
    """GIVEN the shipped default scorecard WHEN an admin opens it THEN usage, survey and window
    settings read as their labels ("Aggregation: Average per day over the window",
    "Survey: NPS"), never stored values such as `avg` or `nps`."""
    client.force_login(org.admin)
    html = client.get(reverse("scorecards:detail", args=[default.pk])).content.decode()
    assert "Aggregation: Average per day over the window" in html
    assert "Survey: NPS" in html and "Window (days): 180" in html
    assert "Aggregation: avg" not in html and "Survey: nps" not in html


def test_the_editor_offers_account_attribute_measures_with_their_settings(client, org, default):
    """GIVEN a draft WHEN the admin turns a measure into "MRR per seat" (an account attribute)
    THEN the editor shows the attribute's settings and saves only those; a custom attribute
    without its key is named as the error."""
    client.force_login(org.admin)
    client.post(reverse("scorecards:version_draft", args=[default.pk]))
    draft = ScorecardVersion.objects.get(scorecard=default, status="draft")
    url = reverse("scorecards:version_edit", args=[draft.pk])
    page = client.get(url)
    html = page.content.decode()
    assert 'value="account_attribute"' in html and 'data-kinds="account_attribute"' in html
    data = _edit_data(page)
    missing_key = data | {"measures-0-kind": "account_attribute", "measures-0-attribute": "custom"}
    refused = client.post(url, missing_key | {"action": "save"})
    assert "custom_key" in refused.context["measures"].forms[0].errors
    data |= {
        "measures-0-kind": "account_attribute",
        "measures-0-attribute": "mrr",
        "measures-0-per_seat": "on",
        "action": "save",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["measures"].forms[0].errors
    measure = draft.measures.get(kind="account_attribute")
    assert {k: v for k, v in measure.params.items() if k != "unit"} == {
        "attribute": "mrr",
        "per_seat": True,
    }
