"""The cadence across daylight-saving changes in both hemispheres, month ends and leap days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from service.meetings.cadence import (
    add_months,
    meeting_day,
    meeting_slot,
    next_planning_at,
    numbers_to_plan,
)
from service.program.terms import Frequency, Terms


@pytest.mark.parametrize(
    ("first", "frequency", "number", "expected"),
    [
        (date(2026, 12, 1), Frequency("weeks", 1), 2, date(2026, 12, 8)),
        (date(2026, 12, 29), Frequency("weeks", 2), 2, date(2027, 1, 12)),
        (date(2026, 12, 1), Frequency("weeks", 3), 4, date(2027, 2, 2)),
        # Monthly keeps "the 1st Tuesday".
        (date(2026, 12, 1), Frequency("months", 1), 2, date(2027, 1, 5)),
        # A 5th Thursday (the 31st) becomes the last Thursday of February.
        (date(2026, 12, 31), Frequency("months", 1), 3, date(2027, 2, 25)),
        # Leap day: Tuesday 29 February 2028 is the last Tuesday; so are the next ones.
        (date(2028, 2, 29), Frequency("months", 1), 2, date(2028, 3, 28)),
        (date(2028, 2, 29), Frequency("months", 12), 2, date(2029, 2, 27)),
        (date(2026, 11, 10), Frequency("months", 3), 2, date(2027, 2, 9)),
        (date(2026, 11, 10), Frequency("months", 2), 7, date(2027, 11, 9)),
    ],
)
def test_meeting_days(first: date, frequency: Frequency, number: int, expected: date) -> None:
    day = meeting_day(first, frequency, number)
    assert day == expected
    assert day.weekday() == first.weekday()


@pytest.mark.parametrize(
    ("zone", "first", "frequency"),
    [
        ("America/New_York", date(2026, 2, 24), Frequency("weeks", 1)),  # across 8 March
        ("America/New_York", date(2026, 10, 20), Frequency("weeks", 2)),  # across 1 November
        ("Europe/Berlin", date(2026, 3, 10), Frequency("weeks", 1)),  # across 29 March
        ("Europe/Berlin", date(2026, 9, 15), Frequency("months", 1)),  # across 25 October
        ("Australia/Sydney", date(2026, 3, 17), Frequency("weeks", 1)),  # across 5 April
        ("Australia/Sydney", date(2026, 9, 8), Frequency("months", 1)),  # across 4 October
    ],
)
def test_daylight_saving_never_moves_the_wall_clock(
    zone: str, first: date, frequency: Frequency
) -> None:
    terms = Terms(frequency=frequency, time_of_day=time(17, 30))
    offsets = set()
    for number in range(1, 9):
        slot = meeting_slot(terms, zone, first, number)
        local = slot.start.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (17, 30)
        offsets.add(local.utcoffset())
    assert len(offsets) == 2, "the table should cross a daylight-saving change"


def test_a_meeting_in_a_skipped_hour_moves_forward_not_back() -> None:
    terms = Terms(frequency=Frequency("weeks", 1), time_of_day=time(2, 30))
    slot = meeting_slot(terms, "America/New_York", date(2026, 3, 1), 2)  # Sunday 8 March
    assert slot.start.astimezone(ZoneInfo("America/New_York")).hour == 3


def test_planning_keeps_a_rolling_horizon_and_never_repeats() -> None:
    terms = Terms(frequency=Frequency("weeks", 2), time_of_day=time(10))
    first = date(2026, 12, 3)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert numbers_to_plan(terms, "Europe/Berlin", first, set(), now) == [1, 2]
    assert numbers_to_plan(terms, "Europe/Berlin", first, {1, 2}, now) == []
    later = datetime(2026, 12, 4, tzinfo=UTC)  # meeting 1 is over
    assert numbers_to_plan(terms, "Europe/Berlin", first, {1, 2}, later) == [3]


def test_catching_up_after_downtime_issues_only_future_meetings_once() -> None:
    terms = Terms(frequency=Frequency("weeks", 1), time_of_day=time(10))
    first = date(2026, 12, 3)
    back = datetime(2027, 1, 20, tzinfo=UTC)  # the worker was down for weeks
    wanted = numbers_to_plan(terms, "Europe/Berlin", first, {1, 2}, back)
    assert len(wanted) == 2
    assert all(meeting_slot(terms, "Europe/Berlin", first, n).start > back for n in wanted)
    assert numbers_to_plan(terms, "Europe/Berlin", first, {1, 2, *wanted}, back) == []


def test_planning_stops_at_the_projected_end() -> None:
    terms = Terms(frequency=Frequency("months", 1), time_of_day=time(10))
    first = date(2026, 12, 3)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert numbers_to_plan(terms, "Europe/Berlin", first, set(), now, until=end) == [1]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Before the first meeting, and while it is still ahead: look again when it starts.
        (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 3, 9, tzinfo=UTC)),
        # Just after it started: the next one is the nearest ahead.
        (datetime(2026, 12, 3, 9, 1, tzinfo=UTC), datetime(2027, 1, 7, 9, tzinfo=UTC)),
        # No meeting left before the projected end: look again at the end.
        (datetime(2027, 2, 5, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)),
    ],
)
def test_planning_looks_again_when_the_nearest_meeting_starts(
    now: datetime, expected: datetime
) -> None:
    terms = Terms(frequency=Frequency("months", 1), time_of_day=time(10))
    end = datetime(2027, 3, 1, tzinfo=UTC)
    first = date(2026, 12, 3)  # the 1st Thursday; 10:00 in Berlin is 09:00 UTC in winter
    assert next_planning_at(terms, "Europe/Berlin", first, now, until=end) == expected


def test_months_are_added_without_running_off_short_months() -> None:
    assert add_months(datetime(2027, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2027, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2028, 2, 29, 9, tzinfo=UTC
    )
    assert add_months(datetime(2026, 11, 23, tzinfo=UTC), 12) == datetime(2027, 11, 23, tzinfo=UTC)
