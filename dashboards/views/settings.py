"""The settings index: links to the admin pages each app provides (no Django admin)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

# (title, what it configures, URL names to try in order, who may open it: "admin", "manager"
# for managers and admins, "anyone" signed in). A page that does not exist yet is listed as
# "not available", and a page the user may not open is not a link, so this index never links
# to a 403 or a 404.
SETTINGS_PAGES = [
    (
        "Scorecards",
        "How health is judged: measures, weights, bands. Edit a draft, preview, publish.",
        ["scorecards:list"],
        "admin",
    ),
    (
        "Ideal Customer Profile",
        "The weighted criteria every account's fit is scored against.",
        ["accounts:settings", "accounts:icp_list"],
        "admin",
    ),
    (
        "Trust rules",
        "Default goodwill points per interaction category, sentiment and severity; the cushion.",
        ["accounts:settings_trust_rules", "accounts:trust_rules"],
        "admin",
    ),
    (
        "Segments",
        "Customer segments and their desired outcome: required outcome + appropriate experience.",
        ["accounts:settings", "accounts:segment_list"],
        "admin",
    ),
    (
        "Success plan templates",
        "The standard plan per segment: granular steps owned by the customer, by us or jointly.",
        ["success:template_list"],
        "admin",
    ),
    (
        "Intervention rules",
        "When a call-to-action opens for the CSM: plan lagging, band dropped, decay rising…",
        ["success:rule_settings", "success:rule_list"],
        "admin",
    ),
    (
        "Trust policy",
        "The starting trust of a new customer and the cushion that protects long-held goodwill.",
        ["accounts:settings_trust_policy"],
        "admin",
    ),
    (
        "Playbooks",
        "Step-by-step responses a CTA can carry: what to do when a rule fires.",
        ["success:playbook_list"],
        "admin",
    ),
    (
        "Score runs",
        "Nightly and on-demand health runs: progress, failures, back-dated runs.",
        ["healthscores:runs"],
        "manager",
    ),
    (
        "Score validation",
        "Back-test a scorecard against what happened next; suggested weights.",
        ["healthscores:validation"],
        "manager",
    ),
    (
        "API tokens",
        "Tokens for integrations: scoped, hashed at rest, revocable.",
        ["integrations:tokens"],
        "anyone",
    ),
    (
        "Webhooks",
        "Outbound, HMAC-signed notifications for band changes, decay alerts and CTAs; each "
        "webhook's delivery log, with replays.",
        ["integrations:webhook_list", "integrations:webhooks"],
        "admin",
    ),
    (
        "Archived accounts",
        "Accounts taken out of the books: restore them, or delete them for good.",
        ["accounts:settings_archived"],
        "admin",
    ),
]


def may_open(user, who: str) -> bool:
    if who == "anyone":
        return True
    if who == "manager":
        return user.is_admin_role or user.is_manager
    return user.is_admin_role


def settings_pages(user) -> list[dict]:
    pages = []
    for title, description, names, who in SETTINGS_PAGES:
        url = None
        for name in names:
            try:
                url = reverse(name)
                break
            except NoReverseMatch:
                continue
        pages.append(
            {
                "title": title,
                "description": description,
                "url": url if url and may_open(user, who) else None,
                "exists": url is not None,
            }
        )
    return pages


@login_required
def settings_index(request):
    """Links to the settings pages the user may open; the rest listed plainly, with who to ask."""
    pages = settings_pages(request.user)
    return render(
        request,
        "dashboards/settings.html",
        {
            "open_pages": [p for p in pages if p["url"]],
            "closed_pages": [p for p in pages if not p["url"]],
            "can_configure": request.user.is_admin_role,
        },
    )
