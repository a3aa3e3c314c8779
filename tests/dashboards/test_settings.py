"""The settings index links only the settings pages that exist."""

import contextlib

import pytest
from django.urls import NoReverseMatch, reverse

from dashboards.views.settings import SETTINGS_PAGES, settings_pages

pytestmark = pytest.mark.django_db


def test_admin_sees_a_link_for_every_settings_page_that_exists(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("dashboards:settings"))
    body = response.content.decode()
    for page in settings_pages(org.admin):
        assert page["title"] in body
        if page["url"]:
            assert f'href="{page["url"]}"' in body
    assert "/admin/" not in body


def test_settings_index_never_links_a_missing_page(org):
    for page, (_, _, names, _) in zip(settings_pages(org.admin), SETTINGS_PAGES, strict=True):
        resolvable = []
        for name in names:
            with contextlib.suppress(NoReverseMatch):
                resolvable.append(reverse(name))
        assert page["url"] == (resolvable[0] if resolvable else None)


def test_csm_is_told_settings_belong_to_admins(client_csm, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client_csm.get(reverse("dashboards:settings")).content.decode()
    assert "changed by admins" in body


@pytest.mark.parametrize("role", ["admin", "manager_a", "csm_a1"])
def test_every_settings_link_a_user_is_shown_opens(client, org, role):
    """GIVEN an admin, a manager or a CSM on the settings index
    WHEN they follow each link it shows them
    THEN every one opens (no 403 behind a link), and the pages they may not open are plain text."""
    user = getattr(org, role)
    client.force_login(user)
    response = client.get(reverse("dashboards:settings"))
    links = [p["url"] for p in response.context["open_pages"]]
    assert links, "everyone can open at least one settings page"
    for url in links:
        assert client.get(url).status_code == 200, url
    body = response.content.decode()
    for page in response.context["closed_pages"]:
        assert page["title"] in body
        for name in [n for t, _, names, _ in SETTINGS_PAGES if t == page["title"] for n in names]:
            with contextlib.suppress(NoReverseMatch):
                assert f'href="{reverse(name)}"' not in body
    if role == "csm_a1":
        assert [p["title"] for p in response.context["open_pages"]] == ["API tokens"]
