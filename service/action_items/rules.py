"""Action items: reading one from a reply, when its reminders fall due, and how a person's
reminders of one day make one email."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from service.program.schedule import format_date, local_instant, next_after, within_waking_hours
from service.program.when import Written, read_when

# The deadline runs to the end of the line; a comma ends it, but for a year ("Jan 12, 2027").
_DEADLINE = re.compile(
    r"^(?P<text>.+?)\s+(?:by|before|due(?: on| by)?)\s+(?P<when>[^,;]{2,40}(?:,\s*\d{4})?)$",
    re.IGNORECASE,
)
# Said often, and not read by the date reader.
_END_OF = re.compile(r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<span>week|month)", re.I)
_FOR_MENTOR = re.compile(r"\s*\(?\bfor (?:the |my )?mentor\b\)?\s*", re.IGNORECASE)
REMIND_AT = time(9, 0)
# A day's reminder may wait for a quieter day of its reader's: one of items due soon until
# the morning they fall due, one of late items only for two days.
DUE_MORNING = time(8, 0)
LATE_MAY_WAIT = timedelta(days=2)
# Weekly while each item's first four weeks late last, then the coordinator's digest takes
# over; a person's late items are listed together, in one notice a week.
OVERDUE_NUDGES = 4


@dataclass(frozen=True)
class TaskText:
    text: str
    due: date | None
    # Why the deadline written was not taken, for the writer (the task is kept without one).
    problem: str | None = None
    # A deadline the words leave open ("by 3/1", "by Dec 20" on Dec 22): asked about, and
    # the task is not added until the writer says which day; `when` is the words read.
    asked: Written | None = None
    when: str = ""


@dataclass(frozen=True)
class Reminder:
    kind: str  # "task_reminder" or "task_overdue"
    due: datetime
    stale: datetime


@dataclass(frozen=True)
class OpenTask:
    """What the day's reminders read of one open action item with a due date."""

    id: int
    due: date
    private: bool = False


@dataclass(frozen=True)
class DayReminder:
    """One email to one person of a pairing for one local day: every task of theirs whose
    reminder has come, those due soon and those late. A private action item (from a
    performance conversation) never shares an email with the others, whose mail and replies
    are kept in the clear."""

    day: date
    private: bool
    soon: tuple[int, ...]
    late: tuple[int, ...]

    @property
    def kind(self) -> str:
        """Named by the most pressing thing it holds: a task about to fall due."""
        return "task_reminder" if self.soon else "task_overdue"

    @property
    def tasks(self) -> tuple[int, ...]:
        return self.soon + self.late

    def until(self, due: dict[int, date], tzid: str, now: datetime) -> datetime:
        """The latest this email may wait for a quieter day (`due`: each task's due date):
        the morning the first of its items due soon falls due, or two days for late ones."""
        if self.soon:
            return local_instant(min(due[i] for i in self.soon), DUE_MORNING, tzid)
        return now + LATE_MAY_WAIT

    def dedupe_key(self, pairing_id: int, person_id: int) -> str:
        """One key a person, pairing and local day (and privacy): a tick run again that day,
        or a retry, finds it queued and sends nothing new."""
        prefix = "private_reminders" if self.private else "reminders"
        return f"{prefix}:pairing:{pairing_id}:person:{person_id}:{self.day.isoformat()}"


def read_task(text: str, today: date, tzid: str) -> TaskText:
    """`send CV to Dr. Lee by Dec 3` -> ("send CV to Dr. Lee", 2026-12-03), dates in words
    read as the next such date from `today`, numeric ones in the order of the writer's zone
    `tzid` (where `today` is their own day)."""
    text = " ".join(_FOR_MENTOR.sub(" ", text).split())
    match = _DEADLINE.match(text)
    if match:
        when = match.group("when")
        written = deadline(when, today, tzid)
        if written.asks:
            return TaskText(match.group("text").strip(" .,"), None, asked=written, when=when)
        if written.day is not None:
            return TaskText(match.group("text").strip(" .,"), written.day)
        if written.problem is not None:
            return TaskText(text.strip(" ."), None, written.problem)
    return TaskText(text.strip(" ."), None)


# A day's replies say "by Friday" and "next week" over and over, and reading one takes the
# date reader about a millisecond: the answer depends on nothing but the words and the day.
@lru_cache(maxsize=2048)
def deadline(when: str, today: date, tzid: str) -> Written:
    """The day `when` names, seen from `today` in `tzid`; or why it cannot be a deadline (it
    is gone, or more than two years ahead); or the days it could be, to ask which. Nothing
    read (no day, no problem) when the words name no day."""
    end = _END_OF.fullmatch(when.strip())
    if end is not None:
        if end.group("span").lower() == "week":
            # The working week's end: this Friday, or today from Friday on.
            return Written(today + timedelta(days=max(0, 4 - today.weekday())))
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Written(following - timedelta(days=1))
    written = read_when(when, datetime.combine(today, time(12), tzinfo=ZoneInfo(tzid)))
    if written.day is not None and written.day < today - timedelta(days=1):
        return Written(problem=f"{format_date(written.day)} has passed")
    return written


def _local(day: date, tzid: str) -> datetime:
    # In UTC: stored and compared with other instants, SQLite compares the text it keeps.
    return local_instant(day, REMIND_AT, tzid)


def task_reminders(due: date, tzid: str) -> list[Reminder]:
    """A reminder the day before the due date, then a nudge a week at most once it is late."""
    reminders = [
        Reminder(
            "task_reminder",
            _local(due - timedelta(days=1), tzid),
            _local(due + timedelta(days=1), tzid),
        )
    ]
    for week in range(OVERDUE_NUDGES):
        start = _local(due + timedelta(days=1 + 7 * week), tzid)
        reminders.append(Reminder("task_overdue", start, start + timedelta(days=7)))
    return reminders


def reminder_day(now: datetime, tzid: str) -> date:
    """The person's own day an email queued now reaches them: after 20:00, the next one."""
    return within_waking_hours(now, tzid).astimezone(ZoneInfo(tzid)).date()


def day_reminders(tasks: Iterable[OpenTask], tzid: str, now: datetime) -> list[DayReminder]:
    """The emails a person's reminders make now: each task's latest reminder still relevant
    (the day before: due soon; then weekly: late), at most one email for their shared tasks
    and one for their private ones, in the order given."""
    found: dict[bool, tuple[list[int], list[int]]] = {}
    for task in tasks:
        current = [r for r in task_reminders(task.due, tzid) if r.due <= now < r.stale]
        if current:
            soon, late = found.setdefault(task.private, ([], []))
            (soon if current[-1].kind == "task_reminder" else late).append(task.id)
    day = reminder_day(now, tzid)
    return [
        DayReminder(day, private, tuple(soon), tuple(late))
        for private, (soon, late) in sorted(found.items())
    ]


def in_answer(tasks: Iterable[OpenTask], today: date) -> tuple[list[int], list[int]]:
    """What an answer that takes a waiting reminder's place lists, read from the items open
    now: those due today or tomorrow, and those late for no more than the weeks their
    reminders run (the digest has the older ones)."""
    soon: list[int] = []
    late: list[int] = []
    for task in tasks:
        if today <= task.due <= today + timedelta(days=1):
            soon.append(task.id)
        elif today - timedelta(days=7 * OVERDUE_NUDGES) <= task.due < today:
            late.append(task.id)
    return soon, late


def next_reminder(due: date, tzid: str, now: datetime) -> datetime | None:
    """When a task reminded now (or whose reminders have all gone stale) is looked at again."""
    return next_after((r.due for r in task_reminders(due, tzid)), now)


def joins_weekly_notice(
    day: DayReminder, waiting: Iterable[datetime], now: datetime
) -> datetime | None:
    """When an email of late items only waits to go with the person's next notice of their
    other late items (of the same pairing and privacy), `waiting` being when those are
    looked at again: their overdue notices come together, once a week. None: it goes now
    (it holds an item due soon, or no such notice comes within the week)."""
    if day.soon:
        return None
    return min((at for at in waiting if now < at < now + timedelta(days=7)), default=None)


def after_notice(due: date, tzid: str, now: datetime) -> datetime | None:
    """When a late item listed in an email now is looked at again: its next weekly nudge,
    and never sooner than a week on (it may have joined another item's notice)."""
    following = next_reminder(due, tzid, now)
    if following is None:
        return None
    return max(following, _local(reminder_day(now, tzid) + timedelta(days=7), tzid))


def next_day(now: datetime, tzid: str) -> datetime:
    """When a task whose reminder came after that day's email was queued is looked at again:
    the next day's reminders, where it is listed with whatever else falls due then."""
    return _local(reminder_day(now, tzid) + timedelta(days=1), tzid)
