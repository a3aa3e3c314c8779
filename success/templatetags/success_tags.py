"""`{% load success_tags %}`: open CTAs for the home page, the account page's success panel,
and small filters for vectors and outcome classes."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core import formatting
from success import selectors

register = template.Library()

VECTOR = {
    "on_track": ("On track", "band-green"),
    "lagging": ("Lagging", "band-yellow"),
    "off_track": ("Off track", "band-red"),
}
OUTCOME = {
    "successful": ("Successful", "band-green"),
    "delighted_only": ("Delighted only", "band-yellow"),
    "satisfied_only": ("Satisfied only", "band-yellow"),
    "not_yet": ("Not yet", ""),
}
PRIORITY_CLASS = {1: "band-red", 2: "band-yellow", 3: "", 4: ""}


@register.inclusion_tag("success/tags/open_ctas.html")
def open_ctas_for(user, limit: int = 10):
    """The user's live CTAs, most urgent first (for the home page)."""
    return {"ctas": selectors.open_ctas_for(user, limit=limit), "today": timezone.localdate()}


@register.inclusion_tag("success/tags/account_panel.html", takes_context=True)
def account_success_panel(context, account):
    """Desired outcome, current plan progress and vector, live CTAs, lessons learned."""
    today = timezone.localdate()
    summary = selectors.account_success_summary(account, as_of=today)
    return {**summary, "account": account, "request": context.get("request"), "today": today}


@register.filter
def vector_label(value: str) -> str:
    return VECTOR.get(value, (value or "—", ""))[0]


@register.filter
def vector_class(value: str) -> str:
    return VECTOR.get(value, ("", ""))[1]


@register.filter
def outcome_label(value: str) -> str:
    return OUTCOME.get(value, (value or "—", ""))[0]


@register.filter
def outcome_css(value: str) -> str:
    return OUTCOME.get(value, ("", ""))[1]


@register.filter
def priority_class(value: int) -> str:
    return PRIORITY_CLASS.get(value, "")


@register.filter
def pct(value) -> str:
    """0..1 share -> "45%"."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)}%"


@register.filter
def key_label(value: str) -> str:
    """An evidence key as words: "days_to_renewal" -> "Days to renewal", "icp_fit" -> "ICP fit"."""
    return formatting.label(value)


@register.filter
def cta_overdue(cta, today) -> bool:
    return cta.is_overdue_on(today)


@register.filter
def cta_snoozed(cta, today) -> bool:
    return cta.is_snoozed_on(today)


@register.filter
def note_html(note) -> str:
    """A note's text, escaped, with line breaks, and its resolved @mentions emphasised."""
    from success.services.ctas import MENTION

    names = {person.username.lower() for person in note.mentions.all()}
    parts, position = [], 0
    for match in MENTION.finditer(note.body):
        name = match.group(1).rstrip(".")
        parts.append(note.body[position : match.start()])
        if name.lower() in names:
            parts.append(format_html('<strong class="mention">@{}</strong>', name))
            parts.append(match.group(1)[len(name) :])
        else:
            parts.append(match.group(0))
        position = match.end()
    parts.append(note.body[position:])
    return linebreaksbr(format_html_join("", "{}", ((part,) for part in parts)))
