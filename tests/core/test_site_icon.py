"""The site icon: named by every page, and found at /favicon.ico by browsers on pages that name none
(the admin, JSON answers), so no page load logs a 404 in the browser's console."""

import pytest
from django.contrib.staticfiles import finders


def test_favicon_address_leads_to_the_icon_without_signing_in(client):
    # No django_db mark: a browser's icon probe must not touch the database or need a session.
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
    assert finders.find("img/favicon.svg"), "the icon the redirect names is a static file"


@pytest.mark.django_db
def test_pages_name_the_icon(client):
    html = client.get("/login/").content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html
