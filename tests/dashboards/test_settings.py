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
    for page in settings_pages():
        assert page["title"] in body
        if page["url"]:
            assert f'href="{page["url"]}"' in body
    assert "/admin/" not in body


def test_settings_index_never_links_a_missing_page():
    for page, (_, _, names) in zip(settings_pages(), SETTINGS_PAGES, strict=True):
        resolvable = []
        for name in names:
            with contextlib.suppress(NoReverseMatch):
                resolvable.append(reverse(name))
        assert page["url"] == (resolvable[0] if resolvable else None)


def test_csm_is_told_settings_belong_to_admins(client_csm, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client_csm.get(reverse("dashboards:settings")).content.decode()
    assert "Settings are changed by admins" in body
