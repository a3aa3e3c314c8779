"""Lists (cursor pages, constant queries), throttling, size limits and JSON errors."""

import pytest

from tests import factories


@pytest.mark.parametrize("rows", [5, 60])
def test_account_list_runs_a_constant_number_of_queries(
    api, org, rows, django_assert_max_num_queries
):
    for i in range(rows):
        factories.AccountFactory(owner=org.csm_a1, segment=org.segment, name=f"Bulk {i}")
    # token lookup + last-used touch + the page (owner joined) — no COUNT(*), no N+1.
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/accounts/?page_size=50")
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(rows + 2, 50)


@pytest.mark.parametrize("rows", [3, 40])
def test_interaction_and_ledger_lists_run_constant_queries(
    api, org, rows, django_assert_max_num_queries
):
    account = org.accounts["csm_a1"][0]
    for _ in range(rows):
        factories.InteractionFactory(account=account)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/interactions/").status_code == 200
    with django_assert_max_num_queries(5):
        assert api.get(f"/api/v1/accounts/{account.pk}/ledger/").status_code == 200


def test_cursor_pages_walk_the_whole_list_without_counting(api, org):
    for i in range(7):
        factories.AccountFactory(owner=org.csm_a1, name=f"Page {i}")
    seen, url = [], "/api/v1/accounts/?page_size=3"
    while url:
        page = api.get(url).json()
        assert "count" not in page
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 9


def test_page_size_is_held_to_its_declared_bounds(api, org, settings):
    for size in ["0", "501", "100000", "abc", "-1"]:
        response = api.get(f"/api/v1/accounts/?page_size={size}")
        assert response.status_code == 400, size
        assert "page_size" in response.json()["errors"]
    assert api.get("/api/v1/accounts/?page_size=500").status_code == 200
    assert api.get("/api/v1/accounts/?page_size=").status_code == 200  # empty: the default


def test_a_cursor_the_server_did_not_make_is_a_404_and_a_malformed_one_a_400(api, org):
    """A cursor of the declared shape (base64 text) that no page has is a 404, as for any
    address that names nothing; one of another shape is malformed input, a 400. Both name
    `cursor`."""
    for cursor in ["garbage", "AAAA", "cD1hYmM=", "bz0xJnA9YWJj"]:
        response = api.get("/api/v1/accounts/", {"cursor": cursor})
        assert response.status_code == 404, cursor
        assert list(response.json()["errors"]) == ["cursor"]
        assert response.json()["code"] == "unknown_cursor"
    for cursor in ["not a cursor", "é", "a" * 1001, "AA==AA"]:
        response = api.get("/api/v1/accounts/", {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert list(response.json()["errors"]) == ["cursor"]


def test_throttled_token_gets_429_with_retry_after(api, org, settings):
    settings.API_THROTTLE_RATE = "3/min"
    codes = [api.get("/api/v1/segments/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/v1/segments/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response["X-RateLimit-Reset"]) <= 60


def test_every_answer_reports_the_rate_limit_left(api, org, settings):
    settings.API_THROTTLE_RATE = "10/min"
    first = api.get("/api/v1/segments/")
    second = api.get("/api/v1/segments/")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("10", "9")
    assert second["X-RateLimit-Remaining"] == "8"


def test_oversized_body_is_413_json(api, org, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api.post("/api/v1/accounts/", {"name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_filters_reject_bad_values(api, org):
    assert api.get("/api/v1/accounts/?stage=sideways").status_code == 400
    assert api.get("/api/v1/accounts/?renewal_before=tomorrow").status_code == 400
    assert api.get("/api/v1/accounts/?ordering=password").status_code == 400
    ok = api.get("/api/v1/accounts/?stage=mature&ordering=-arr")
    assert ok.status_code == 200 and len(ok.json()["results"]) == 2
