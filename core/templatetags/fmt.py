"""`{% load fmt %}`: the template face of `core.formatting` (one style for every page)."""

from django import template

from core import formatting

register = template.Library()


@register.filter
def money(value, currency="USD"):
    """`{{ account.arr|money:account.currency }}` → `$454,200`."""
    return formatting.money(value, currency)


@register.filter
def number(value, decimals=None):
    return formatting.number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def percent(value, decimals=0):
    return formatting.percent(value, int(decimals))


@register.filter
def signed_number(value):
    return formatting.signed(value)


@register.filter
def day(value):
    """`5 Dec 2026`."""
    return formatting.day(value)


@register.filter
def month(value):
    """`Dec 2026`."""
    return formatting.month(value)


@register.filter
def weekday(value):
    """`Saturday, 5 Dec 2026`."""
    return formatting.weekday(value)


@register.filter
def clock(value):
    """`14:03:07`."""
    return formatting.clock(value)


@register.filter
def moment(value):
    """`5 Dec 2026, 14:03`."""
    return formatting.moment(value)


@register.filter
def label(value):
    """`not_yet` → `Not yet`."""
    return formatting.label(value)


@register.filter
def param_value(value):
    return formatting.param_value(value)


@register.filter
def abs_value(value):
    """The size of an amount whose sign the sentence already says (`− $27,674 loss`)."""
    try:
        return abs(value)
    except TypeError:
        return value
