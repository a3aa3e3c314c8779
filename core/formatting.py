"""One way to write numbers, money, dates and enum values for people.

Pages (through the `{% load fmt %}` filters), PDFs and CSV exports all call these functions,
so a figure reads the same everywhere: `$1,029,520`, `608,238.5`, `5 Dec 2026`, `Dec 2026`,
`5 Dec 2026, 14:03`, `Not yet`, `200,000 or more`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

DASH = "—"
MINUS = "\u2212"

# Currencies written with a symbol before the amount; any other ISO code follows the amount.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
CURRENCY_DECIMALS = {"JPY": 0}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def number(value, decimals: int | None = None) -> str:
    """Grouped thousands; `decimals=None` keeps up to one decimal only where it carries
    meaning (below 1,000) and drops a trailing `.0`."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    if decimals is None:
        decimals = 1 if abs(amount) < 1000 and amount != amount.to_integral_value() else 0
        if decimals and abs(amount) < 10 and amount != round(amount, 1):
            decimals = 2
    text = f"{abs(amount):,.{decimals}f}"
    return f"{MINUS}{text}" if amount < 0 and text.strip("0.,") else text


def money(value, currency: str | None = "USD", decimals: int = 0) -> str:
    """An amount with its currency: `$1,029,520`, `€12,400`, `1,200 CHF`."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    code = (currency or "").upper()
    digits = f"{abs(amount):,.{min(decimals, CURRENCY_DECIMALS.get(code, decimals))}f}"
    sign = MINUS if amount < 0 and digits.strip("0.,") else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits} {code}".rstrip()


def percent(value, decimals: int = 0, *, ratio: bool = False) -> str:
    """`42%`; `ratio=True` reads 0.42 as 42%."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    if ratio:
        amount *= 100
    return f"{number(amount, decimals)}%"


def signed(value) -> str:
    """A change: `+5`, `−3`, `0`."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    if amount == 0:
        return "0"
    return ("+" if amount > 0 else "") + number(amount)


def _calendar(value):
    """A date, datetime (in the site's time zone) or ISO string as a date-like value; a string
    that is not a date comes back as it is."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day(value) -> str:
    """A calendar day: `5 Dec 2026`."""
    if value is None or value == "":
        return DASH
    value = _calendar(value)
    return value if isinstance(value, str) else f"{value.day} {value:%b %Y}"


def month(value) -> str:
    """A calendar month: `Dec 2026`."""
    if value is None or value == "":
        return DASH
    value = _calendar(value)
    return value if isinstance(value, str) else f"{value:%b %Y}"


def weekday(value) -> str:
    """A day with its weekday, for a page's date line: `Saturday, 5 Dec 2026`."""
    if value is None or value == "":
        return DASH
    return f"{value:%A}, {day(value)}"


def clock(value) -> str:
    """A time of day to the second, in the site's time zone, where the day is already said
    (a run's chunks): `14:03:07`."""
    if value is None or value == "":
        return DASH
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%H:%M:%S}"


def moment(value) -> str:
    """A point in time in the site's time zone: `5 Dec 2026, 14:03`."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{day(value)}, {value:%H:%M}"


# Words written in capitals wherever a key turns into a label (`api_calls` → `API calls`).
ACRONYMS = {
    "api": "API",
    "arr": "ARR",
    "crm": "CRM",
    "csat": "CSAT",
    "csm": "CSM",
    "csv": "CSV",
    "icp": "ICP",
    "id": "ID",
    "ltv": "LTV",
    "mrr": "MRR",
    "nps": "NPS",
    "pdf": "PDF",
    "qbr": "QBR",
    "sla": "SLA",
    "sso": "SSO",
    "url": "URL",
}


def label(value) -> str:
    """An enum value or key as a person reads it: `not_yet` → `Not yet`, `red` → `Red`,
    `api_calls` → `API calls`, `icp_fit` → `ICP fit`."""
    if value is None or value == "":
        return DASH
    words = str(value).replace("_", " ").replace("-", " ").split()
    words = [ACRONYMS.get(word.lower(), word) for word in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def choice_label(value, choices) -> str:
    """The human label of `value` from a Django `choices` list (or a humanised value)."""
    for key, text in choices:
        if key == value:
            return str(text)
    return label(value)


def value_list(values, fmt=None) -> str:
    """`Education, Media` (a list as words, each item through `fmt`)."""
    fmt = fmt or (lambda v: str(v))
    return ", ".join(fmt(v) for v in values)


def value_range(low, high, fmt=number) -> str:
    """A closed or open range: `10–50`, `200,000 or more`, `up to 50`, `any`."""
    if low is None and high is None:
        return "any"
    if high is None:
        return f"{fmt(low)} or more"
    if low is None:
        return f"up to {fmt(high)}"
    return f"{fmt(low)}–{fmt(high)}"


def param_value(value) -> str:
    """A configuration value as words: True → `yes`, a list → items, a number → grouped."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(v is None or isinstance(v, int | float) for v in value):
            return value_range(*value)
        return value_list(value, param_value)
    if isinstance(value, int | float | Decimal):
        return number(value)
    if value is None:
        return DASH
    return label(value) if isinstance(value, str) and "_" in value else str(value)
