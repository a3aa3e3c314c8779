"""With Redis stopped, the web keeps answering: a real gunicorn on a private redis-server that
the test stops. The API authenticates from PostgreSQL, counts its rate limit there, writes
what it is asked to (its events wait in the outbox) and answers JSON — never an HTML 500;
pages render too."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from core.models import OutboxMessage
from integrations.services import api_token_create
from tests import factories

from .conftest import BASE_DIR, slow_fault

pytestmark = [pytest.mark.services]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(private_redis, workers_on):
    """gunicorn (2 processes) on the test database, with Redis = the private server."""
    env = dict(workers_on(private_redis.url).env)  # the test database and the private Redis
    env["REDIS_URL"] = private_redis.url.rsplit("/", 1)[0] + "/1"
    port = _free_port()
    log = open(BASE_DIR / "artifacts" / "faults-web.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "csplatform.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz/", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        pytest.fail("gunicorn did not start; see artifacts/faults-web.log")
    yield url
    os.killpg(proc.pid, 15)
    proc.wait(timeout=20)
    log.close()


def _login(session: requests.Session, url: str, username: str) -> None:
    page = session.get(f"{url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{url}/login/",
        {"username": username, "password": factories.PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
    )
    assert response.status_code == 200 and "/login/" not in response.url


@slow_fault
def test_with_redis_stopped_the_api_and_pages_keep_answering(private_redis, web):
    """GIVEN a running site WHEN its Redis stops THEN 60 API requests (reads and writes) all
    answer JSON without a 5xx, the writes are stored with their events pending in the outbox,
    and a signed-in user's pages still render."""
    org = factories.org()
    # The server hashes with the production hashers (the tests' fast MD5 one is theirs only).
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    org.csm_a1.password = PBKDF2PasswordHasher().encode(factories.PASSWORD, "faultdrillsalt")
    org.csm_a1.save(update_fields=["password"])
    account = org.accounts["csm_a1"][0]
    key = api_token_create(user=org.csm_a1, name="crm", scopes=["read", "write", "ingest"])[1]
    api = requests.Session()
    api.headers["Authorization"] = f"Token {key}"
    browser = requests.Session()
    _login(browser, web, "csm_a1")
    assert api.get(f"{web}/api/v1/accounts/").status_code == 200

    private_redis.stop()
    answers = []
    for n in range(20):
        for method, path, body in (
            ("GET", "/api/v1/accounts/", None),
            ("GET", f"/api/v1/accounts/{account.pk}/", None),
            ("POST", "/api/v1/interactions/",
             {"account": account.pk, "channel": "call", "category": "value_adding",
              "summary": f"during the outage {n}"}),
        ):  # fmt: skip
            response = api.request(method, f"{web}{path}", json=body, timeout=30)
            answers.append((method, path, response.status_code, response.headers["Content-Type"]))
    assert all(ct.startswith("application/json") for *_, ct in answers), answers
    assert [a for a in answers if a[2] >= 500] == []
    assert {a[2] for a in answers if a[0] == "POST"} == {201}
    stored = OutboxMessage.objects.filter(event="account.inputs_changed")
    assert stored.count() >= 20
    for path in ("/", f"/accounts/{account.pk}/"):
        page = browser.get(f"{web}{path}", timeout=30)
        assert page.status_code == 200, (path, page.status_code)
