"""No `|safe` on user-supplied text (stored XSS), a Content-Security-Policy on every page, and
API responses that no cache may keep."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from healthscores.models import ScoreValidation
from scorecards.services import scorecard_default_ensure

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PAYLOAD = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


def test_no_template_marks_anything_safe():
    """`|safe` and `{% autoescape off %}` hand the browser raw text; user text must never get
    there. Data for charts goes through `json_script`, which escapes <, > and &."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"\|\s*safe\b|autoescape\s+off", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


@pytest.mark.django_db
def test_band_label_with_markup_is_shown_as_text_on_the_validation_page(client, org):
    """GIVEN a scorecard band labelled with a script WHEN a manager opens a back-test of it
    THEN the label is escaped in the table and in the chart data: no script runs."""
    version = scorecard_default_ensure()
    result = ScoreValidation.objects.create(
        scorecard_version=version,
        as_of=date(2026, 1, 1),
        accounts=3,
        churned=1,
        band_rates=[
            {"band": "red", "label": PAYLOAD, "colour": "#d92d20", "accounts": 3, "churned": 1,
             "churn_rate": 0.33},
        ],
    )  # fmt: skip
    client.force_login(org.manager_a)
    html = client.get(f"/health/validation/{result.pk}/").content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)" in html  # the chart's JSON
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html  # the table cell


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, org):
    client.force_login(org.csm_a1)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.django_db
def test_login_and_admin_pages_carry_the_policy(client):
    assert "script-src 'self'" in client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/admin/login/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_api_responses_are_never_stored_by_a_cache(org):
    from tests.api.conftest import token_client

    api = token_client(org.csm_a1)
    for path in ("/api/v1/accounts/", "/api/v1/no-such-thing/"):
        response = api.get(path)
        assert response["Cache-Control"] == "no-store", path
    assert "no-store" in api.get("/api/schema/")["Cache-Control"]
