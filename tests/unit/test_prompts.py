"""Prompts around a meeting and the quiet hours they respect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.meetings.prompt_rules import meeting_prompts
from service.program.schedule import within_waking_hours
from service.program.terms import Frequency

START = datetime(2026, 12, 10, 15, tzinfo=UTC)
END = START + timedelta(hours=1)


def kinds(number: int, frequency: Frequency) -> list[str]:
    return [p.kind for p in meeting_prompts(number, START, END, frequency)]


def test_before_and_after_each_meeting() -> None:
    prompts = {p.kind: p for p in meeting_prompts(1, START, END, Frequency("months", 1))}
    assert prompts["agenda_request"].due == START - timedelta(days=5)
    assert prompts["agenda_request"].audience == "mentee"
    assert prompts["agenda"].due == START - timedelta(days=1)
    assert prompts["agenda"].audience == "both"
    assert prompts["after_meeting"].due == END + timedelta(hours=2)
    assert all(p.stale > p.due for p in prompts.values())


@pytest.mark.parametrize(
    ("frequency", "checkins"),
    [
        (Frequency("weeks", 1), [2, 4]),
        (Frequency("months", 1), [2, 4]),
        (Frequency("months", 2), [1, 2, 3, 4]),  # two meetings span more than a quarter
        (Frequency("months", 3), [1, 2, 3, 4]),
    ],
)
def test_mentor_checkin_every_other_meeting_or_quarterly(
    frequency: Frequency, checkins: list[int]
) -> None:
    assert [n for n in range(1, 5) if "mentor_checkin" in kinds(n, frequency)] == checkins


@pytest.mark.parametrize(
    ("utc", "zone", "expected_local"),
    [
        (datetime(2026, 12, 10, 3, tzinfo=UTC), "Europe/Berlin", "2026-12-10 08:00"),
        (datetime(2026, 12, 10, 12, tzinfo=UTC), "Europe/Berlin", "2026-12-10 13:00"),
        (datetime(2026, 12, 10, 20, tzinfo=UTC), "Europe/Berlin", "2026-12-11 08:00"),
        (datetime(2026, 12, 10, 23, tzinfo=UTC), "America/New_York", "2026-12-10 18:00"),
        (datetime(2026, 12, 11, 2, tzinfo=UTC), "America/New_York", "2026-12-11 08:00"),
        # The night the clocks go forward in Sydney still opens at 08:00 local.
        (datetime(2026, 10, 3, 14, tzinfo=UTC), "Australia/Sydney", "2026-10-04 08:00"),
    ],
)
def test_waking_hours(utc: datetime, zone: str, expected_local: str) -> None:
    result = within_waking_hours(utc, zone)
    assert result >= utc
    assert result.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == expected_local
