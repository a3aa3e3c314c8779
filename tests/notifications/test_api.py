"""The notifications API: your own notifications and preferences, typed, JSON errors."""

import pytest

from notifications.models import Kind, Notification, NotificationPreference
from tests.api.conftest import token_client

from .helpers import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org):
    """csm_a1's token with read, write and ingest."""
    return token_client(org.csm_a1)


def test_you_list_only_your_own_notifications_and_can_filter_unread(api, org):
    account = org.accounts["csm_a1"][0]
    notify(org.csm_a1, 3, account=account)
    notify(org.csm_a2, 2)
    Notification.objects.filter(user=org.csm_a1).order_by("id").first().delete()
    body = api.get("/api/v1/notifications/").json()
    assert [n["title"] for n in body["results"]] == ["csm_a1 alert 2", "csm_a1 alert 1"]
    first = body["results"][0]
    assert first["kind"] == "band_red" and first["is_read"] is False
    assert first["url"].endswith(f"/accounts/{account.pk}/") and first["url"].startswith("http")
    assert first["account"] == account.pk
    api.post(f"/api/v1/notifications/{first['id']}/read/")
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["title"] for n in unread] == ["csm_a1 alert 1"]
    assert api.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_mark_read_unread_and_all_read(api, org):
    notify(org.csm_a1, 3)
    notify(org.csm_a2, 1)
    one = Notification.objects.filter(user=org.csm_a1).first()
    read = api.post(f"/api/v1/notifications/{one.pk}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    again = api.post(f"/api/v1/notifications/{one.pk}/unread/")
    assert again.json()["is_read"] is False and again.json()["read_at"] is None
    marked = api.post("/api/v1/notifications/read-all/")
    assert marked.status_code == 200 and marked.json() == {"marked": 3}
    assert Notification.objects.filter(user=org.csm_a2, read_at__isnull=True).count() == 1


def test_someone_elses_notification_is_a_json_404(api, org):
    notify(org.csm_a2, 1)
    other = Notification.objects.get()
    for response in (
        api.get(f"/api/v1/notifications/{other.pk}/"),
        api.post(f"/api/v1/notifications/{other.pk}/read/"),
    ):
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert "message" in response.json()


def test_preferences_start_from_the_defaults_and_patch_is_typed(api, org):
    body = api.get("/api/v1/notification-preferences/").json()
    assert body == {
        "in_app_kinds": Kind.alerts(),
        "email_kinds": Kind.alerts(),
        "digest_enabled": True,
        "quiet_hours": None,
        "time_zone": "",
    }
    changed = api.patch(
        "/api/v1/notification-preferences/",
        {
            "email_kinds": ["mention", "band_red", "band_red"],
            "quiet_hours": {"start": "22:00", "end": "06:30"},
            "time_zone": "America/New_York",
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["email_kinds"] == ["band_red", "mention"]
    assert changed.json()["quiet_hours"] == {"start": "22:00", "end": "06:30"}
    saved = NotificationPreference.objects.get(user=org.csm_a1)
    assert saved.time_zone == "America/New_York" and saved.in_app_kinds == Kind.alerts()
    # Someone else's preferences are untouched and still the defaults.
    other = token_client(org.csm_a2).get("/api/v1/notification-preferences/").json()
    assert other["quiet_hours"] is None


def test_quiet_hours_are_one_value_kept_by_other_changes_and_cleared_with_null(api, org):
    """GIVEN a stored quiet-hours window
    WHEN a PATCH changes another field, then a PATCH sends quiet_hours null
    THEN the window survives the first and is gone after the second (a half window cannot be
    sent: the schema's object needs both ends)."""
    url = "/api/v1/notification-preferences/"
    window = {"start": "21:30", "end": "07:00"}
    assert api.patch(url, {"quiet_hours": window}, format="json").json()["quiet_hours"] == window
    kept = api.patch(url, {"digest_enabled": False}, format="json")
    assert kept.status_code == 200 and kept.json()["quiet_hours"] == window
    cleared = api.patch(url, {"quiet_hours": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["quiet_hours"] is None
    saved = NotificationPreference.objects.get(user=org.csm_a1)
    assert saved.quiet_hours_start is None and saved.quiet_hours_end is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"email_kinds": ["everything"]}, "email_kinds"),
        ({"email_kinds": "band_red"}, "email_kinds"),
        ({"in_app_kinds": ["daily_digest"]}, "in_app_kinds"),
        ({"digest_enabled": "yes"}, "digest_enabled"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "zone": "UTC"}}, "quiet_hours"),
        ({"quiet_hours": "22:00-07:00"}, "quiet_hours"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_start"),
    ],
)
def test_bad_preferences_are_a_400_naming_the_field(api, body, field):
    response = api.patch("/api/v1/notification-preferences/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not NotificationPreference.objects.exists()


def test_a_read_only_token_reads_but_cannot_change(org):
    client = token_client(org.csm_a1, scopes=["read"])
    assert client.get("/api/v1/notifications/").status_code == 200
    assert client.post("/api/v1/notifications/read-all/").status_code == 403
    response = client.patch("/api/v1/notification-preferences/", {}, format="json")
    assert response.status_code == 403


def test_anonymous_callers_get_a_json_401(client):
    response = client.get("/api/v1/notifications/")
    assert response.status_code in (401, 403) and response.json()["message"]


def test_the_list_costs_the_same_queries_for_a_page_of_fifty(
    api, org, django_assert_max_num_queries
):
    notify(org.csm_a1, 60)
    # the token and its last-used stamp, then the page itself: nothing per row.
    with django_assert_max_num_queries(3):
        body = api.get("/api/v1/notifications/").json()
    assert len(body["results"]) == 50 and body["next"]
