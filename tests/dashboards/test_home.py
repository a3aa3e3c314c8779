"""The CSM home: my book, what needs attention today, headline figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from healthscores.models import HealthAlert
from tests import factories
from tests.dashboards.conftest import count_queries

pytestmark = pytest.mark.django_db
HOME = reverse("dashboards:home")


def test_home_lists_only_the_accounts_the_csm_owns(client_csm):
    response = client_csm.get(HOME)
    body = response.content.decode()
    assert "csm_a1 account 1" in body
    assert "csm_a2 account 1" not in body
    assert "csm_b1 account 1" not in body


def test_home_requires_a_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_book_is_sorted_server_side_by_the_chosen_column(client_csm, org):
    low, high = org.accounts["csm_a1"]
    low.health_score, low.health_band = 20, "red"
    high.health_score, high.health_band = 90, "green"
    low.save()
    high.save()
    ascending = client_csm.get(HOME, {"sort": "health"})
    descending = client_csm.get(HOME, {"sort": "-health"})
    assert ascending.context["book"]["rows"] == [low, high]
    assert descending.context["book"]["rows"] == [high, low]
    assert 'aria-sort="descending"' in descending.content.decode()


def test_book_is_paginated_on_the_server(client_csm, org, grow_book):
    grow_book(org.csm_a1, 30)
    first = client_csm.get(HOME, {"sort": "name"})
    second = client_csm.get(HOME, {"sort": "name", "page": 2})
    assert first.context["book"]["page"].paginator.count == 32
    assert len(first.context["book"]["rows"]) == 25
    assert len(second.context["book"]["rows"]) == 7
    assert "Page 2 of 2" in second.content.decode()


def test_unknown_sort_band_and_page_fall_back_instead_of_failing(client_csm):
    response = client_csm.get(HOME, {"sort": "password", "band": "purple", "page": "zzz"})
    assert response.status_code == 200
    assert response.context["book"]["sort"] == "health"


def test_filters_narrow_the_book_by_band_and_name(client_csm, org):
    red, green = org.accounts["csm_a1"]
    red.health_score, red.health_band = 30, "red"
    green.health_score, green.health_band = 80, "green"
    red.save()
    green.save()
    assert client_csm.get(HOME, {"band": "red"}).context["book"]["rows"] == [red]
    assert client_csm.get(HOME, {"q": "account 2"}).context["book"]["rows"] == [green]
    empty = client_csm.get(HOME, {"q": "no such account"}).content.decode()
    assert "No accounts match these filters" in empty


def test_htmx_sorting_returns_just_the_book_fragment(client_csm):
    response = client_csm.get(HOME, {"sort": "-arr"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="book")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="book"')
    assert "Needs attention today" not in body


def test_empty_book_says_so(client, org):
    lonely = factories.UserFactory(username="new_csm")
    client.force_login(lonely)
    body = client.get(HOME).content.decode()
    assert "No accounts in your book yet" in body


def test_attention_lists_decay_renewals_not_green_and_band_drops(client_csm, org):
    """GIVEN one account decaying, one renewing in 30 days while yellow, one that fell from
    green to yellow this week, one that fell and recovered, and one green renewal
    WHEN the CSM opens home
    THEN each reason lists its account; the recovered and the green renewal are not listed."""
    today = timezone.localdate()
    decaying, renewing = org.accounts["csm_a1"]
    decaying.decay_status, decaying.decay_score = "in_decay", 81
    decaying.renewal_date = today + timedelta(days=300)
    decaying.save()
    renewing.renewal_date, renewing.health_band, renewing.health_score = (
        today + timedelta(days=30),
        "yellow",
        55,
    )
    renewing.save()
    dropped = factories.AccountFactory(
        owner=org.csm_a1,
        name="Fell this week",
        health_score=62,
        health_band="yellow",
        renewal_date=today + timedelta(days=200),
    )
    recovered = factories.AccountFactory(
        owner=org.csm_a1, name="Back to green", health_score=75, health_band="green"
    )
    for account, days_ago in [(dropped, 2), (recovered, 3)]:
        HealthAlert.objects.create(
            account=account,
            as_of=today - timedelta(days=days_ago),
            kind="band_drop",
            from_value="green",
            to_value="yellow",
            score=62,
            message="Band dropped",
        )
    factories.AccountFactory(
        owner=org.csm_a1,
        name="Green renewal",
        health_score=88,
        health_band="green",
        renewal_date=today + timedelta(days=20),
    )
    response = client_csm.get(HOME)
    sections = {s.key: s for s in response.context["attention"]}
    assert [a.name for a in sections["decay"].items] == [decaying.name]
    assert [a.name for a in sections["renewals"].items] == [renewing.name]
    assert [a.account.name for a in sections["band_drops"].items] == [dropped.name]
    body = response.content.decode()
    assert "Decay alerts" in body and "In decay" in body


def test_stale_manual_measures_need_attention_until_a_fresh_value_is_entered(client_csm, org):
    from scorecards.models import ManualMeasureValue

    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    old = ManualMeasureValue.objects.create(
        account=account,
        measure_key="csm_pulse",
        score=70,
        reason="QBR went well",
        valid_from=today - timedelta(days=120),
        valid_until=today - timedelta(days=30),
    )
    sections = {s.key: s for s in client_csm.get(HOME).context["attention"]}
    assert [v.pk for v in sections["stale_measures"].items] == [old.pk]
    ManualMeasureValue.objects.create(
        account=account,
        measure_key="csm_pulse",
        score=60,
        reason="Re-assessed",
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=90),
    )
    sections = {s.key: s for s in client_csm.get(HOME).context["attention"]}
    assert sections["stale_measures"].total == 0


def test_home_query_count_does_not_grow_with_the_book(client_csm, org, grow_book):
    # Budget: session + user, headline aggregate, attention (1 aggregate, band-drop count,
    # 3 short lists, stale count + list), book (count, page, snapshots), CTAs when present.
    small = count_queries(client_csm, HOME)
    grow_book(org.csm_a1, 40, decay_status="decaying", health_band="red", health_score=20)
    large = count_queries(client_csm, HOME)
    assert large == small
    assert large <= 20
