"""Signing in and out with the product's own pages, and login lockout."""

import pytest
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_csm_signs_in_and_lands_on_home(client, org):
    response = client.post("/login/", {"username": "csm_a1", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "My book" in response.content.decode()


def test_wrong_password_shows_an_error_not_a_crash(client, org):
    response = client.post("/login/", {"username": "csm_a1", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/login/", {"username": "csm_a1", "password": "wrong"})
    response = client.post("/login/", {"username": "csm_a1", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(client, org):
    client.force_login(org.csm_a1)
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_password_reset_sends_an_email_with_a_working_link(client, org):
    response = client.post("/password-reset/", {"email": org.csm_a1.email}, follow=True)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
