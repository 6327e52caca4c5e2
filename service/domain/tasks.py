"""Action items: reading one from a reply, and when its reminders fall due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

_DEADLINE = re.compile(
    r"^(?P<text>.+?)\s+(?:by|before|due(?: on| by)?)\s+(?P<when>[^,;]{2,40})$", re.IGNORECASE
)
_FOR_MENTOR = re.compile(r"\s*\(?\bfor (?:the |my )?mentor\b\)?\s*", re.IGNORECASE)
REMIND_AT = time(9, 0)
OVERDUE_NUDGES = 4  # weekly, then the coordinator's digest takes over


@dataclass(frozen=True)
class TaskText:
    text: str
    due: date | None


@dataclass(frozen=True)
class Reminder:
    kind: str  # "task_reminder" or "task_overdue"
    key: str  # part of the dedupe key: one per reminder, ever
    due: datetime
    stale: datetime


def read_task(text: str, today: date) -> TaskText:
    """`send CV to Dr. Lee by Dec 3` -> ("send CV to Dr. Lee", 2026-12-03), dates in words
    read as the next such date from `today` (in the writer's own zone)."""
    text = " ".join(_FOR_MENTOR.sub(" ", text).split())
    match = _DEADLINE.match(text)
    if match:
        parsed = dateparser.parse(
            match.group("when"),
            languages=["en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": datetime.combine(today, time(12)),
                "DATE_ORDER": "MDY",
            },
        )
        if parsed is not None and today - timedelta(days=1) <= parsed.date() <= today + timedelta(
            days=730
        ):
            return TaskText(match.group("text").strip(" .,"), parsed.date())
    return TaskText(text.strip(" ."), None)


def _local(day: date, tzid: str) -> datetime:
    return datetime.combine(day, REMIND_AT, tzinfo=ZoneInfo(tzid))


def task_reminders(due: date, tzid: str) -> list[Reminder]:
    """A reminder the day before the due date, then a nudge a week at most once it is late."""
    reminders = [
        Reminder(
            "task_reminder",
            "before",
            _local(due - timedelta(days=1), tzid),
            _local(due + timedelta(days=1), tzid),
        )
    ]
    for week in range(OVERDUE_NUDGES):
        start = _local(due + timedelta(days=1 + 7 * week), tzid)
        reminders.append(Reminder("task_overdue", f"late{week}", start, start + timedelta(days=7)))
    return reminders
