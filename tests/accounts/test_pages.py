"""Account pages: visibility, change rights, htmx logging, query budgets, admin settings."""

import pytest
from django.urls import reverse

from accounts.models import Interaction, TrustEntry, TrustPolicy, TrustRule
from accounts.services import trust_entry_append
from tests import factories

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


# --- who sees and changes what -----------------------------------------------------------
def account_pages(account, entry=None):
    """Every account-scoped URL: (method, url, data)."""
    pages = [
        ("get", reverse("accounts:detail", args=[account.pk]), None),
        ("get", reverse("accounts:edit", args=[account.pk]), None),
        ("get", reverse("accounts:timeline", args=[account.pk]), None),
        ("get", reverse("accounts:ledger", args=[account.pk]), None),
        ("post", reverse("accounts:edit", args=[account.pk]), {"name": "Hijacked"}),
        (
            "post",
            reverse("accounts:interaction_create", args=[account.pk]),
            {"category": "value_adding", "channel": "call", "sentiment": 1, "minutes": 10},
        ),
        (
            "post",
            reverse("accounts:ledger_entry_create", args=[account.pk]),
            {"source": "manual", "points": 5, "reason": "sneaky"},
        ),
    ]
    if entry is not None:
        pages.append(
            (
                "post",
                reverse("accounts:ledger_entry_reverse", args=[account.pk, entry.pk]),
                {"reason": "sneaky"},
            )
        )
    return pages


@pytest.mark.parametrize(
    ("viewer", "owner", "visible"),
    [
        ("csm_a1", "csm_a1", True),
        ("csm_a1", "csm_a2", False),  # a teammate's account
        ("csm_a1", "csm_b1", False),
        ("manager_a", "csm_a2", True),  # their team
        ("manager_a", "csm_b1", False),  # another team
        ("admin", "csm_b1", True),
    ],
)
def test_account_pages_follow_the_visibility_rule(client, org, viewer, owner, visible):
    """GIVEN an account WHEN someone outside its visibility opens or changes it THEN 404 and
    nothing changes; inside it every page answers."""
    account = org.accounts[owner][0]
    entry = trust_entry_append(account=account, points=3, reason="seed", source="manual")
    login(client, getattr(org, viewer))
    for method, url, data in account_pages(account, entry):
        response = getattr(client, method)(url, data or {})
        if visible:
            assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 404, (url, response.status_code)
    account.refresh_from_db()
    if not visible:
        assert account.name != "Hijacked"
        assert TrustEntry.objects.filter(account=account).count() == 1
        assert not Interaction.objects.filter(account=account).exists()


def test_the_quick_form_cannot_log_on_an_invisible_account(client, org):
    theirs = org.accounts["csm_b1"][0]
    login(client, org.csm_a1)
    response = client.post(
        reverse("accounts:interaction_log"),
        {
            "account": theirs.pk,
            "category": "value_adding",
            "channel": "call",
            "sentiment": 0,
            "minutes": 5,
        },
    )
    assert response.status_code == 200 and "account" in response.context["interaction_form"].errors
    assert not Interaction.objects.exists()


def test_list_shows_only_visible_accounts(client, org):
    login(client, org.manager_a)
    names = [a.name for a in client.get(reverse("accounts:list")).context["page"]]
    assert sorted(names) == sorted(
        a.name for key in ("csm_a1", "csm_a2") for a in org.accounts[key]
    )


def test_a_csm_cannot_reassign_their_account_but_a_manager_can(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    assert (
        "owner"
        not in client.get(reverse("accounts:edit", args=[account.pk])).context["form"].fields
    )
    login(client, org.manager_a)
    form = client.get(reverse("accounts:edit", args=[account.pk])).context["form"]
    assert set(form.fields["owner"].queryset) == {org.csm_a1, org.csm_a2, org.manager_a}


def test_editing_an_account_saves_and_rescoring_keeps_the_ledger(client, org):
    account = org.accounts["csm_a1"][0]
    trust_entry_append(account=account, points=7, reason="x", source="manual")
    login(client, org.csm_a1)
    response = client.post(
        reverse("accounts:edit", args=[account.pk]),
        {
            "name": "Renamed",
            "stage": "mature",
            "arr": "1000",
            "mrr": "100",
            "currency": "EUR",
            "hourly_cost": "100",
            "monthly_support_cost": "0",
            "discount_pct": "0",
            "strategy_12m": "Go global",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.strategy_12m, account.goodwill_balance) == (
        "Renamed",
        "Go global",
        7,
    )


def test_settings_pages_are_for_admins_only(client, org):
    urls = [
        reverse("accounts:settings"),
        reverse("accounts:settings_icp_new"),
        reverse("accounts:settings_trust_rules"),
        reverse("accounts:settings_trust_policy"),
        reverse("accounts:settings_segment_new"),
    ]
    login(client, org.manager_a)
    assert {client.get(url).status_code for url in urls} == {403}
    assert (
        client.post(reverse("accounts:settings_trust_policy"), {"max_cushion": "0.9"}).status_code
        == 403
    )
    login(client, org.admin)
    assert {client.get(url).status_code for url in urls} == {200}


# --- the account page --------------------------------------------------------------------
def test_logging_an_interaction_with_htmx_returns_the_item_and_new_balance(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    response = client.post(
        reverse("accounts:interaction_create", args=[account.pk]),
        {
            "category": "escalation",
            "channel": "call",
            "sentiment": -2,
            "severity": 4,
            "minutes": 60,
            "work_type": "support",
            "summary": "Outage",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="cat cat-escalation"' in html and "Outage" in html
    assert '<span id="goodwill-balance" hx-swap-oob="true">−40</span>' in html
    assert 'id="ledger-panel" hx-swap-oob="true"' in html
    assert Interaction.objects.get().author == org.csm_a1
    # The first one removes "No interactions yet"; a second has no such line to remove (an
    # out-of-band delete without its target is an htmx error in the browser's console).
    assert 'id="timeline-empty" hx-swap-oob="delete"' in html
    again = client.post(
        reverse("accounts:interaction_create", args=[account.pk]),
        {
            "category": "value_adding",
            "channel": "call",
            "sentiment": 1,
            "minutes": 30,
            "work_type": "support",
            "summary": "Training",
        },
        HTTP_HX_REQUEST="true",
    )
    assert again.status_code == 200 and "Training" in again.content.decode()
    assert "timeline-empty" not in again.content.decode()


def test_an_invalid_interaction_rerenders_the_form_in_place(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    response = client.post(
        reverse("accounts:interaction_create", args=[account.pk]),
        {
            "category": "escalation",
            "channel": "call",
            "sentiment": 0,
            "minutes": 5,
            "work_type": "support",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#interaction-form"
    assert "needs a severity" in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_manual_entry_needs_a_reason_and_an_incident_is_cushioned(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    url = reverse("accounts:ledger_entry_create", args=[account.pk])
    response = client.post(
        url, {"source": "manual", "points": 5, "reason": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Retarget"] == "#ledger-form" and not TrustEntry.objects.exists()
    response = client.post(url, {"source": "incident", "points": 5, "reason": "x"})
    assert "negative points" in response.content.decode()
    response = client.post(
        url, {"source": "milestone", "points": 8, "reason": "Go-live"}, HTTP_HX_REQUEST="true"
    )
    assert "Go-live" in response.content.decode()
    account.refresh_from_db()
    assert account.goodwill_balance == 8
    # The overview's figure and the sticky summary follow the ledger, not only its panel.
    assert '<span id="goodwill-balance" hx-swap-oob="true">8</span>' in response.content.decode()
    assert '<span id="summary-goodwill" hx-swap-oob="true">+8</span>' in response.content.decode()


def test_the_reverse_button_reverses_once(client, org):
    account = org.accounts["csm_a1"][0]
    entry = trust_entry_append(account=account, points=-12, reason="wrong", source="manual")
    login(client, org.csm_a1)
    url = reverse("accounts:ledger_entry_reverse", args=[account.pk, entry.pk])
    first = client.post(url, {"reason": "logged twice"}, HTTP_HX_REQUEST="true")
    assert "reversed" in first.content.decode()
    second = client.post(url, {"reason": "again"}, HTTP_HX_REQUEST="true")
    assert "already been reversed" in second.content.decode()
    account.refresh_from_db()
    assert account.goodwill_balance == 0 and TrustEntry.objects.count() == 2


def test_detail_page_has_the_extension_blocks_and_category_colours(client, org):
    account = org.accounts["csm_a1"][0]
    factories.ContactFactory(account=account, name="Pat Champion", is_champion=True)
    from accounts.services import interaction_log

    interaction_log(account=account, category="firefighting", channel="ticket", sentiment=-1)
    login(client, org.csm_a1)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "cat cat-firefighting" in html and "Pat Champion" in html
    assert 'id="interaction-form"' in html and 'id="ledger-panel"' in html


def test_the_ledger_offers_one_reverse_dialog_and_no_reason_field_per_row(client, org):
    """GIVEN an account with three ledger entries
    WHEN its CSM opens the account page, then follows one row's "Reverse…" without JavaScript
    THEN the rows hold links, not forms; the page holds one reverse dialog, opened for that
    entry with its own form action."""
    account = org.accounts["csm_a1"][0]
    entries = [
        trust_entry_append(account=account, points=p, reason=f"entry {p}", source="manual")
        for p in (3, 4, 5)
    ]
    login(client, org.csm_a1)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert page.count('class="reverse-link"') == 3
    assert page.count('id="reverse-dialog"') == 1 and 'placeholder="why reverse?"' not in page
    opened = client.get(reverse("accounts:detail", args=[account.pk]), {"reverse": entries[1].pk})
    html = opened.content.decode()
    action = reverse("accounts:ledger_entry_reverse", args=[account.pk, entries[1].pk])
    assert f'action="{action}"' in html and "<dialog" in html and " open>" in html


def test_the_account_page_has_one_element_per_id(client, org):
    import re
    from collections import Counter

    account = org.accounts["csm_a1"][0]
    trust_entry_append(account=account, points=3, reason="x", source="manual")
    login(client, org.csm_a1)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []


# --- query budgets -----------------------------------------------------------------------
def grow(org, n):
    for i in range(n):
        account = factories.AccountFactory(owner=org.csm_a1, segment=org.segment)
        trust_entry_append(account=account, points=i, reason="x", source="manual")


@pytest.mark.parametrize("extra", [0, 30])
def test_account_list_queries_do_not_grow_with_data(
    client, org, extra, django_assert_max_num_queries
):
    grow(org, extra)
    login(client, org.admin)
    # session + user, count, page rows (owner and segment joined), filter choices (segments,
    # owners): constant however many accounts exist.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:list"), {"stage": "mature"})
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 30])
def test_bad_fit_queries_do_not_grow_with_data(client, org, extra, django_assert_max_num_queries):
    grow(org, extra)
    from accounts.models import Account

    Account.objects.update(icp_fit=10, icp_good_fit=False, icp_detail={"missed": []})
    login(client, org.admin)
    with django_assert_max_num_queries(8):  # session, user, two counts, two pages
        assert client.get(reverse("accounts:bad_fit")).status_code == 200


def test_detail_queries_do_not_grow_with_history(client, org):
    """GIVEN an account page WHEN 30 interactions, entries and contacts are added THEN the
    page runs the same number of queries (the health and success panels included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import interaction_log

    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    url = reverse("accounts:detail", args=[account.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def grow_history(n: int) -> None:
        for i in range(n):
            interaction_log(
                account=account, category="value_adding", channel="call", sentiment=i % 3 - 1
            )
            factories.ContactFactory(account=account)
            factories.SubscriptionFactory(account=account)

    grow_history(2)
    before = count()
    grow_history(30)
    # The accounts part: session, user, account, contacts, timeline and ledger (count + page
    # each), subscriptions, contact choices; the panels other apps render add a fixed few.
    assert count() == before <= 30


def test_list_filters_by_fit_and_search(client, org):
    from accounts.models import Account

    good = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=good.pk).update(icp_fit=90, icp_good_fit=True)
    login(client, org.admin)
    page = client.get(reverse("accounts:list"), {"fit": "good"}).context["page"]
    assert [a.pk for a in page] == [good.pk]
    page = client.get(reverse("accounts:list"), {"q": "csm_b1 account 2"}).context["page"]
    assert [a.name for a in page] == ["csm_b1 account 2"]
    partial = client.get(
        reverse("accounts:list"),
        {"q": "csm_b1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="account-table",
    )
    assert partial.content.decode().lstrip().startswith('<div id="account-table">')


# --- admin settings write through services -------------------------------------------------
def test_admin_edits_the_cushion_and_a_trust_rule(client, org):
    login(client, org.admin)
    response = client.post(
        reverse("accounts:settings_trust_policy"),
        {
            "cushion_window_days": 90,
            "full_cushion_balance": 50,
            "max_cushion": "1.5",
            "starting_balance": 10,
        },
    )
    assert "up to (not including) 1" in response.content.decode()
    client.post(
        reverse("accounts:settings_trust_policy"),
        {
            "cushion_window_days": 90,
            "full_cushion_balance": 50,
            "max_cushion": "0.4",
            "starting_balance": 5,
        },
    )
    policy = TrustPolicy.current()
    assert (policy.cushion_window_days, str(policy.max_cushion)) == (90, "0.40")
    rule = TrustRule.objects.get(category="escalation", severity=4)
    client.post(
        reverse("accounts:settings_trust_rule", args=[rule.pk]),
        {"category": "escalation", "severity": 4, "points": -60, "description": "critical"},
    )
    rule.refresh_from_db()
    assert rule.points == -60


def test_admin_builds_an_icp_and_accounts_are_scored(
    client, org, django_capture_on_commit_callbacks
):
    login(client, org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:settings_icp_new"),
            {
                "icp-name": "Core",
                "icp-is_default": "on",
                "icp-is_active": "on",
                "icp-good_fit_threshold": 50,
            },
        )
    from accounts.models import Account, IdealCustomerProfile

    icp = IdealCustomerProfile.objects.get()
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:settings_criterion_new", args=[icp.pk]),
            {
                "criterion-attribute": "employee_count",
                "criterion-operator": "between",
                "criterion-low": "100",
                "criterion-weight": 1,
            },
        )
    assert icp.criteria.get().value == [100.0, None]
    assert set(Account.objects.values_list("icp_fit", flat=True)) == {100}
    bad = client.post(
        reverse("accounts:settings_criterion_new", args=[icp.pk]),
        {"criterion-attribute": "custom", "criterion-operator": "in", "criterion-weight": 1},
    )
    errors = bad.context["criterion_form"].errors
    assert "custom_key" in errors and "value_text" in errors


def test_import_page_previews_then_confirms(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", f"account,name\n{account.external_id},Pat\n".encode())
    preview = client.post(reverse("accounts:import"), {"kind": "contacts", "file": upload})
    assert "All rows are valid" in preview.content.decode()
    from accounts.models import Contact

    assert not Contact.objects.exists()
    content = preview.context["form"].initial["content"]
    confirm = client.post(
        reverse("accounts:import"), {"kind": "contacts", "content": content, "confirm": "1"}
    )
    assert confirm.status_code == 302 and Contact.objects.get().name == "Pat"
    denied = client.post(
        reverse("accounts:import"), {"kind": "accounts", "content": "external_id,name\nx,y\n"}
    )
    assert "Only admins" in denied.content.decode()


def test_the_quick_form_lists_a_bounded_menu_but_accepts_any_visible_account(
    client, org, monkeypatch
):
    """GIVEN an admin who sees every account but owns none, and a menu capped at 2
    WHEN they open the quick form and log on an account not in the menu
    THEN the menu stays at 2 accounts and the interaction is still logged."""
    from accounts.forms import InteractionForm

    monkeypatch.setattr(InteractionForm, "MENU_SIZE", 2)
    form = InteractionForm(user=org.admin)
    options = [value for value, _ in form.fields["account"].widget.choices if value != ""]
    assert len(options) == 2
    outside = next(a for accounts in org.accounts.values() for a in accounts if a.pk not in options)
    login(client, org.admin)
    response = client.post(
        reverse("accounts:interaction_log"),
        {
            "account": outside.pk,
            "category": "value_adding",
            "channel": "call",
            "sentiment": 1,
            "minutes": 5,
            "work_type": "support",
        },
    )
    assert response.status_code == 302, response.context["interaction_form"].errors
    assert Interaction.objects.filter(account=outside).count() == 1


def test_a_list_larger_than_the_count_cap_says_so_and_every_page_stays_reachable(
    client, org, monkeypatch
):
    """GIVEN a count cap smaller than the admin's list WHEN they open it THEN it reads "N+
    accounts" and "Page 1 of M+" (the count stopped at the cap), Next leads on past the cap,
    and a search under the cap keeps its exact count."""
    from accounts.models import Account
    from core import paginator

    monkeypatch.setattr(paginator, "COUNT_CAP", 2)
    monkeypatch.setattr("accounts.views.pages.PAGE_SIZE", 1)
    total = Account.objects.active().count()
    assert total > 4
    login(client, org.admin)
    page = client.get(reverse("accounts:list")).content.decode()
    assert "2+ accounts" in page and "Page 1 of 2+" in page
    deep = client.get(reverse("accounts:list"), {"page": 4})
    assert deep.context["page"].number == 4 and deep.context["page"].has_next()
    last = client.get(reverse("accounts:list"), {"page": total})
    assert last.context["page"].number == total and not last.context["page"].has_next()
    exact = client.get(reverse("accounts:list"), {"q": "csm_b1 account 2"}).content.decode()
    assert "1 account<" in exact and "Page 1 of" not in exact
