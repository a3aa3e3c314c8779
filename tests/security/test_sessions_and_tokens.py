"""Token revocation and user deactivation take effect on the very next request, with the
real cache configured (no cache window), and /admin/login/ shares the /login/ lockout."""

import pytest

from integrations.models import ApiToken
from integrations.services import api_token_revoke
from tests.api.conftest import token_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_revoked_token_is_refused_on_the_next_request(org):
    client = token_client(org.csm_a1)
    assert client.get("/api/v1/accounts/").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(user=org.csm_a1))
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_deactivated_users_token_is_refused_on_the_next_request(org):
    """GIVEN a CSM whose token just worked (and could sit in any cache) WHEN an admin
    deactivates the CSM THEN the same token cannot create anything a moment later."""
    client = token_client(org.csm_a1)
    assert client.get("/api/v1/accounts/").status_code == 200
    org.csm_a1.is_active = False
    org.csm_a1.save(update_fields=["is_active"])
    response = client.post("/api/v1/accounts/", {"name": "After deactivation"}, format="json")
    assert response.status_code == 401


def test_deactivated_users_session_ends_on_the_next_page(client, org):
    client.force_login(org.csm_a1)
    assert client.get("/").status_code == 200
    org.csm_a1.is_active = False
    org.csm_a1.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302


def _admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_admin_login_locks_out_after_repeated_failures(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert _admin_login(client, "admin1", "wrong").status_code == 200
    response = _admin_login(client, "admin1", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_and_product_login_share_one_failure_counter(client, org, settings):
    """GIVEN 2 failures on /login/ and 1 on /admin/login/ (limit 3) THEN both forms refuse the
    right password: switching forms is no way around the lockout."""
    settings.LOGIN_FAILURE_LIMIT = 3
    client.post("/login/", {"username": "admin1", "password": "wrong"})
    client.post("/login/", {"username": "admin1", "password": "wrong"})
    _admin_login(client, "admin1", "wrong")
    assert "Too many failed" in _admin_login(client, "admin1", PASSWORD).content.decode()
    response = client.post("/login/", {"username": "admin1", "password": PASSWORD})
    assert "Too many failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_works_for_staff_with_the_right_password(client, org):
    org.admin.is_staff = True
    org.admin.save(update_fields=["is_staff"])
    response = _admin_login(client, "admin1", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.admin.pk)
