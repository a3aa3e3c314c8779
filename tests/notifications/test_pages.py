"""The bell, the notifications page (htmx mark read / mark all read) and preferences."""

import pytest
from django.urls import reverse

from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import notification_mark_read

from .helpers import notify

pytestmark = pytest.mark.django_db


def test_the_bell_counts_only_my_unread_notifications(client_csm, org):
    notify(org.csm_a1, 3)
    notify(org.csm_a2, 5)
    notification_mark_read(notification=Notification.objects.filter(user=org.csm_a1).first())
    html = client_csm.get(reverse("notifications:bell")).content.decode()
    assert '<span class="bell-count">2<span class="sr-only"> unread</span></span>' in html
    page = client_csm.get(reverse("dashboards:home")).content.decode()
    assert f'hx-get="{reverse("notifications:bell")}"' in page
    assert 'href="/notifications/"' in page


def test_the_page_lists_my_notifications_newest_first_in_a_bounded_number_of_queries(
    client_csm, org, django_assert_max_num_queries
):
    account = org.accounts["csm_a1"][0]
    notify(org.csm_a1, 40, account=account)
    notify(org.csm_a2, 2)
    # session + user, the page of 30 with its count, the unread count: no query per row.
    with django_assert_max_num_queries(8):
        response = client_csm.get(reverse("notifications:list"))
    html = response.content.decode()
    assert html.count('class="inbox-item unread"') == 30
    assert "csm_a1 alert 39" in html and "csm_a2 alert" not in html
    assert html.index("csm_a1 alert 39") < html.index("csm_a1 alert 38")
    assert "Unread (40)" in html


def test_marking_one_read_with_htmx_swaps_the_item_and_refreshes_the_bell(client_csm, org):
    notify(org.csm_a1, 2)
    first = Notification.objects.filter(user=org.csm_a1).order_by("id").first()
    response = client_csm.post(
        reverse("notifications:mark_read", args=[first.pk]), {"read": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    html = response.content.decode()
    assert f'id="notification-{first.pk}"' in html and "Mark unread" in html
    first.refresh_from_db()
    assert first.read_at is not None
    assert Notification.objects.filter(user=org.csm_a1, read_at__isnull=True).count() == 1


def test_mark_all_read_marks_only_mine(client_csm, org):
    notify(org.csm_a1, 3)
    notify(org.csm_a2, 2)
    response = client_csm.post(reverse("notifications:mark_all_read"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Unread (0)" in response.content.decode()
    assert not Notification.objects.filter(user=org.csm_a1, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=org.csm_a2, read_at__isnull=True).count() == 2


def test_opening_a_notification_marks_it_read_and_goes_to_the_account(client_csm, org):
    account = org.accounts["csm_a1"][0]
    notify(org.csm_a1, 1, account=account)
    notification = Notification.objects.get()
    response = client_csm.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"
    notification.refresh_from_db()
    assert notification.is_read


def test_someone_elses_notification_is_a_404(client_csm, org):
    notify(org.csm_a2, 1)
    other = Notification.objects.get()
    assert client_csm.post(reverse("notifications:mark_read", args=[other.pk])).status_code == 404
    assert client_csm.get(reverse("notifications:open", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_are_saved_from_the_page(client_csm, org):
    response = client_csm.post(
        reverse("notifications:preferences"),
        {
            "in_app_kinds": [Kind.BAND_RED, Kind.MENTION],
            "email_kinds": [Kind.BAND_RED],
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=org.csm_a1)
    assert preference.in_app_kinds == [Kind.BAND_RED, Kind.MENTION]
    assert preference.email_kinds == [Kind.BAND_RED]
    assert preference.digest_enabled is False  # the box was left unticked
    assert str(preference.quiet_hours_start) == "22:00:00"
    assert preference.time_zone == "Europe/Berlin"
    page = client_csm.get(reverse("notifications:preferences")).content.decode()
    assert 'value="22:00"' in page and '<option value="Europe/Berlin" selected>' in page


def test_half_a_quiet_hours_window_is_refused_with_a_message(client_csm, org):
    response = client_csm.post(
        reverse("notifications:preferences"), {"quiet_hours_start": "22:00", "time_zone": ""}
    )
    assert response.status_code == 200
    assert "Give both ends of the quiet hours, or neither." in response.content.decode()
    assert not NotificationPreference.objects.exists()
