"""The first meeting: the agreed weekday and wall-clock time in the mentor's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from service.program.schedule import (
    LocalView,
    first_meeting,
    format_span,
    local_instant,
    local_view,
)
from service.program.terms import Terms


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local"),
    [
        # Spring forward: 02:30 does not exist in New York that night; it becomes 03:30.
        ("America/New_York", date(2026, 3, 8), time(2, 30), "2026-03-08 03:30-04:00"),
        # Fall back: 01:30 happens twice; the first one is taken.
        ("America/New_York", date(2026, 11, 1), time(1, 30), "2026-11-01 01:30-04:00"),
        ("Europe/Berlin", date(2026, 3, 29), time(15, 0), "2026-03-29 15:00+02:00"),
        ("Australia/Sydney", date(2026, 4, 5), time(15, 0), "2026-04-05 15:00+10:00"),
        ("Australia/Sydney", date(2026, 10, 4), time(9, 0), "2026-10-04 09:00+11:00"),
    ],
)
def test_local_instants_across_daylight_saving(
    zone: str, day: date, at: time, expected_local: str
) -> None:
    instant = local_instant(day, at, zone)
    assert instant.tzinfo == UTC
    local = instant.astimezone(ZoneInfo(zone))
    assert local.isoformat(sep=" ", timespec="minutes") == expected_local


def test_first_meeting_is_the_agreed_weekday_after_the_start() -> None:
    terms = Terms(weekday=3, time_of_day=time(10, 0), meeting_minutes=45)
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    slot = first_meeting(terms, "Europe/Berlin", date(2026, 12, 1), now)
    local = slot.start.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.date(), local.hour, local.minute) == (date(2026, 12, 3), 10, 0)
    assert (slot.end - slot.start).total_seconds() == 45 * 60


def test_first_meeting_leaves_a_few_days_notice_when_the_start_has_passed() -> None:
    terms = Terms(weekday=2, time_of_day=time(9, 0))
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)  # a Tuesday
    slot = first_meeting(terms, "America/New_York", date(2026, 11, 1), now)
    local = slot.start.astimezone(ZoneInfo("America/New_York"))
    assert local.date() == date(2026, 12, 9) and local.weekday() == 2


def test_times_are_shown_in_each_persons_zone() -> None:
    start = datetime(2026, 12, 1, 20, tzinfo=UTC)
    end = datetime(2026, 12, 1, 21, tzinfo=UTC)
    assert format_span(start, end, "America/New_York") == (
        "Tuesday 1 December 2026, 15:00–16:00 New York time"
    )
    assert format_span(start, end, "Asia/Tokyo") == (
        "Wednesday 2 December 2026, 05:00–06:00 Tokyo time"
    )
    assert format_span(start, end, "UTC").endswith("20:00–21:00 UTC")


@pytest.mark.parametrize(
    ("weekday", "at", "tzid", "reader_tz", "on", "expected"),
    [
        # Same zone: nothing to add.
        (0, time(9), "America/New_York", "America/New_York", date(2027, 1, 4), None),
        # A mentor's afternoon in Kolkata is a mentee's night in Chicago.
        (
            0,
            time(14),
            "Asia/Kolkata",
            "America/Chicago",
            date(2027, 1, 4),
            LocalView("Monday", "02:30", "America/Chicago", unusual=True),
        ),
        # An hour earlier in London, within working hours.
        (
            2,
            time(9),
            "Europe/Berlin",
            "Europe/London",
            date(2027, 1, 4),
            LocalView("Wednesday", "08:00", "Europe/London", unusual=False),
        ),
        # Across the date line the day changes too; the offset is the one on that date
        # (Sydney summer, California winter: 19 hours).
        (
            0,
            time(9),
            "Australia/Sydney",
            "America/Los_Angeles",
            date(2027, 1, 4),
            LocalView("Sunday", "14:00", "America/Los_Angeles", unusual=False),
        ),
        # A zone with the same offset that day reads the same.
        (1, time(15), "Europe/Paris", "Europe/Berlin", date(2027, 7, 1), None),
    ],
)
def test_the_agreed_time_in_the_readers_zone(
    weekday: int,
    at: time,
    tzid: str,
    reader_tz: str,
    on: date,
    expected: LocalView | None,
) -> None:
    terms = Terms(weekday=weekday, time_of_day=at)
    assert local_view(terms, tzid, reader_tz, on) == expected
