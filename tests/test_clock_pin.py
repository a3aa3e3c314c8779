"""Date-sensitive tests (marker `dates`) start at the session's first moment, so a date their
module read at import agrees with the dates the test and the code read, even when the run
crosses midnight (tests/conftest.py, `_date_sensitive_clock`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import SESSION_START

TODAY = timezone.localdate()  # read at import, as date-sensitive modules do


def test_a_date_sensitive_test_starts_at_the_session_start_whenever_it_runs(request):
    """GIVEN this module reads the date (so it is marked `dates`) WHEN its test runs, however
    late in the session THEN the clock reads the session's first moment (plus the seconds the
    test has run), on the day the module was imported."""
    assert request.node.get_closest_marker("dates") is not None
    assert timedelta(0) <= timezone.now() - SESSION_START[0] < timedelta(seconds=30)
    assert timezone.localdate() == TODAY


@pytest.mark.parametrize("moment", ["2026-01-31T23:59:59+00:00"])
def test_a_test_that_moves_the_clock_itself_still_can(time_machine, moment):
    from datetime import datetime

    time_machine.move_to(datetime.fromisoformat(moment), tick=False)
    assert timezone.now().isoformat() == moment
