"""The settings index: links to the admin pages each app provides (no Django admin)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

# (title, what it configures, URL names to try in order). A page that does not exist yet is
# listed as "not available", so this index never links to a 404.
SETTINGS_PAGES = [
    (
        "Scorecards",
        "How health is judged: measures, weights, bands. Edit a draft, preview, publish.",
        ["scorecards:list"],
    ),
    (
        "Ideal Customer Profile",
        "The weighted criteria every account's fit is scored against.",
        ["accounts:settings", "accounts:icp_list"],
    ),
    (
        "Trust rules",
        "Default goodwill points per interaction category, sentiment and severity; the cushion.",
        ["accounts:settings_trust_rules", "accounts:trust_rules"],
    ),
    (
        "Segments",
        "Customer segments and their desired outcome: required outcome + appropriate experience.",
        ["accounts:settings", "accounts:segment_list"],
    ),
    (
        "Success plan templates",
        "The standard plan per segment: granular steps owned by the customer, by us or jointly.",
        ["success:template_list"],
    ),
    (
        "Intervention rules",
        "When a call-to-action opens for the CSM: plan lagging, band dropped, decay rising…",
        ["success:rule_settings", "success:rule_list"],
    ),
    (
        "Trust policy",
        "The starting trust of a new customer and the cushion that protects long-held goodwill.",
        ["accounts:settings_trust_policy"],
    ),
    (
        "Playbooks",
        "Step-by-step responses a CTA can carry: what to do when a rule fires.",
        ["success:playbook_list"],
    ),
    (
        "Score runs",
        "Nightly and on-demand health runs: progress, failures, back-dated runs.",
        ["healthscores:runs"],
    ),
    (
        "Score validation",
        "Back-test a scorecard against what happened next; suggested weights.",
        ["healthscores:validation"],
    ),
    (
        "API tokens",
        "Tokens for integrations: scoped, hashed at rest, revocable.",
        ["integrations:tokens"],
    ),
    (
        "Webhooks",
        "Outbound, HMAC-signed notifications for band changes, decay alerts and CTAs.",
        ["integrations:webhook_list", "integrations:webhooks"],
    ),
]


def settings_pages() -> list[dict]:
    pages = []
    for title, description, names in SETTINGS_PAGES:
        url = None
        for name in names:
            try:
                url = reverse(name)
                break
            except NoReverseMatch:
                continue
        pages.append({"title": title, "description": description, "url": url})
    return pages


@login_required
def settings_index(request):
    """Admins see every settings page; others see what is configured and who to ask."""
    return render(
        request,
        "dashboards/settings.html",
        {"pages": settings_pages(), "can_configure": request.user.is_admin_role},
    )
