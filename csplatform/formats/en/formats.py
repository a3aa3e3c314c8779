"""How Django writes a date or time nobody formatted explicitly (`{{ plan.started_on }}`): the
same style as `core.formatting.day` / `moment` ("5 Dec 2026", "5 Dec 2026, 14:03"), so a page,
PDF or e-mail never shows "April 29, 2026" beside "29 Apr 2026". Input formats stay Django's."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
