"""Action items: reading one from a reply, and when its reminders fall due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from service.program.schedule import format_date
from service.program.when import read_when

# The deadline runs to the end of the line; a comma ends it, but for a year ("Jan 12, 2027").
_DEADLINE = re.compile(
    r"^(?P<text>.+?)\s+(?:by|before|due(?: on| by)?)\s+(?P<when>[^,;]{2,40}(?:,\s*\d{4})?)$",
    re.IGNORECASE,
)
# Said often, and not read by the date reader.
_END_OF = re.compile(r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<span>week|month)", re.I)
_FOR_MENTOR = re.compile(r"\s*\(?\bfor (?:the |my )?mentor\b\)?\s*", re.IGNORECASE)
REMIND_AT = time(9, 0)
OVERDUE_NUDGES = 4  # weekly, then the coordinator's digest takes over


@dataclass(frozen=True)
class TaskText:
    text: str
    due: date | None
    # Why the deadline written was not taken, for the writer (the task is kept without one).
    problem: str | None = None


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
        due, problem = deadline(match.group("when"), today)
        if due is not None:
            return TaskText(match.group("text").strip(" .,"), due)
        if problem is not None:
            return TaskText(text.strip(" ."), None, problem)
    return TaskText(text.strip(" ."), None)


# A day's replies say "by Friday" and "next week" over and over, and reading one takes the
# date reader about a millisecond: the answer depends on nothing but the words and the day.
@lru_cache(maxsize=2048)
def deadline(when: str, today: date) -> tuple[date | None, str | None]:
    """The day `when` names, seen from `today`, or why it cannot be a deadline (it is gone,
    or more than two years ahead); (None, None) when the words name no day."""
    end = _END_OF.fullmatch(when.strip())
    if end is not None:
        if end.group("span").lower() == "week":
            # The working week's end: this Friday, or today from Friday on.
            return today + timedelta(days=max(0, 4 - today.weekday())), None
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1), None
    written = read_when(when, datetime.combine(today, time(12), tzinfo=UTC))
    if written.day is None:
        return None, written.problem
    if written.day < today - timedelta(days=1):
        return None, f"{format_date(written.day)} has passed"
    return written.day, None


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
