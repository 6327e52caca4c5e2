"""Reading a new meeting time from a reply, and when a move is refused or late."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.meetings.reschedule_rules import check_move, read_new_time

NOW = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # Wednesday 16:30 in Berlin
KEEP = time(10, 0)


@pytest.mark.parametrize(
    ("text", "tzid", "local"),
    [
        ("Tue Dec 8 3pm", "Europe/Berlin", datetime(2026, 12, 8, 15, 0)),
        ("Thursday at 10", "Europe/Berlin", datetime(2026, 12, 3, 10, 0)),
        ("Thursday, 2:30 pm", "America/New_York", datetime(2026, 12, 3, 14, 30)),
        ("tomorrow at noon", "Europe/Berlin", datetime(2026, 12, 3, 12, 0)),
        ("December 14 09:15", "Australia/Sydney", datetime(2026, 12, 14, 9, 15)),
        # A day alone keeps the meeting's time of day.
        ("Dec 10", "Europe/Berlin", datetime(2026, 12, 10, 10, 0)),
        # Across the spring change in New York: 10:00 local, whatever the offset.
        ("March 16 2027 10am", "America/New_York", datetime(2027, 3, 16, 10, 0)),
    ],
)
def test_new_times_are_read_in_the_writers_zone(text: str, tzid: str, local: datetime) -> None:
    result = read_new_time(text, NOW, tzid, KEEP)
    assert result.problem is None and result.start is not None
    assert result.start.tzinfo is not None
    assert result.start.astimezone(ZoneInfo(tzid)).replace(tzinfo=None) == local


@pytest.mark.parametrize("text", ["sometime next week", "when you can", "in 2 weeks", ""])
def test_vague_times_ask_for_a_day_and_a_time(text: str) -> None:
    result = read_new_time(text, NOW, "Europe/Berlin", KEEP)
    assert result.start is None
    # The example is a real day ahead, its weekday right: Monday 7 December 2026.
    assert result.problem is not None and "'reschedule: Mon Dec 7 3pm'" in result.problem


OLD = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
FOLLOWING = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (OLD + timedelta(days=1), None),
        (OLD, "the meeting is already at that time"),
        (NOW - timedelta(hours=1), "that time has already passed"),
        (FOLLOWING, "that is not before the following meeting"),
        (NOW + timedelta(days=200), "that is more than four months ahead"),
    ],
)
def test_moves_that_cannot_be_made_say_why(start: datetime, problem: str | None) -> None:
    check = check_move(start, old_start=OLD, now=NOW, following=FOLLOWING, notice_hours=48)
    assert check.problem == problem
    assert check.late is False


def test_a_move_inside_the_agreed_notice_is_made_and_marked_late() -> None:
    now = OLD - timedelta(hours=20)
    check = check_move(
        OLD + timedelta(days=2), old_start=OLD, now=now, following=None, notice_hours=48
    )
    assert check.problem is None and check.late is True
