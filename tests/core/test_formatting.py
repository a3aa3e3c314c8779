"""One way to write figures for people: money, numbers, dates, enum values, ranges."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from core import formatting


def test_money_groups_thousands_and_names_its_currency():
    assert formatting.money(Decimal("342800.00"), "USD") == "$342,800"
    assert formatting.money(1029520, "EUR") == "€1,029,520"
    assert formatting.money(1200.5, "CHF") == "1,200 CHF"
    assert formatting.money(-9004, "USD") == "\u2212$9,004"
    assert formatting.money(None, "USD") == "—"


def test_numbers_are_grouped_and_keep_a_decimal_only_where_it_means_something():
    assert formatting.number(608238.5) == "608,238"
    assert formatting.number(6.5) == "6.5"
    assert formatting.number(0.28) == "0.28"
    assert formatting.number(42.0) == "42"
    assert formatting.number(22858) == "22,858"
    assert formatting.number(-36) == "\u221236"
    assert formatting.signed(5) == "+5" and formatting.signed(0) == "0"


def test_dates_read_in_one_style_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert formatting.day(date(2026, 12, 5)) == "5 Dec 2026"
    assert formatting.day("2027-04-19") == "19 Apr 2027"
    late_utc = datetime(2026, 12, 5, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert formatting.moment(late_utc) == "6 Dec 2026, 00:30"
    assert formatting.day(None) == "—"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("not_yet", "Not yet"),
        ("red", "Red"),
        ("in_decay", "In decay"),
        ("", "—"),
        ("api_calls", "API calls"),
        ("icp_fit", "ICP fit"),
        ("days_since_qbr", "Days since QBR"),
        ("nps", "NPS"),
        ("identity_checks", "Identity checks"),
    ],
)
def test_enum_values_read_as_words(raw, text):
    assert formatting.label(raw) == text


def test_configuration_values_read_as_words_not_python():
    assert formatting.param_value([200000, None]) == "200,000 or more"
    assert formatting.param_value([None, 50]) == "up to 50"
    assert formatting.param_value([10, 50]) == "10–50"
    assert formatting.param_value(["Education", "Media"]) == "Education, Media"
    assert formatting.param_value(True) == "yes"
    assert formatting.param_value("active_users") == "Active users"


def test_templates_use_the_same_functions():
    html = Template(
        "{% load fmt %}{{ arr|money:'USD' }} · {{ when|day }} · {{ outcome|label }}"
    ).render(Context({"arr": 454200, "when": date(2027, 4, 19), "outcome": "not_yet"}))
    assert html == "$454,200 · 19 Apr 2027 · Not yet"


def test_months_weekdays_and_clock_times_share_the_day_style():
    assert formatting.month(date(2026, 12, 5)) == "Dec 2026"
    assert formatting.month("2026-08-01") == "Aug 2026"
    assert formatting.weekday(date(2026, 12, 5)) == "Saturday, 5 Dec 2026"
    assert formatting.clock(datetime(2026, 12, 5, 14, 3, 7)) == "14:03:07"
    assert formatting.month(None) == formatting.clock(None) == "—"
