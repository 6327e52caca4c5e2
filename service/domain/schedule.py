"""When meetings happen: wall-clock times in the organiser's zone, turned into instants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.domain.agreement import Terms

# The first invitation should not ask for a meeting the day after it arrives.
FIRST_MEETING_LEAD = timedelta(days=3)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    tzid: str


def local_instant(day: date, at: time, tzid: str) -> datetime:
    """The instant of a wall-clock time in a zone, in UTC.

    A time skipped by a daylight-saving change (02:30 on a spring-forward night) moves forward
    by the gap; an ambiguous one (autumn) takes its first occurrence.
    """
    # fold=0 reads a skipped time with the offset before the change, which lands after the gap.
    return datetime.combine(day, at, tzinfo=ZoneInfo(tzid)).replace(fold=0).astimezone(UTC)


def first_meeting(terms: Terms, tzid: str, start_date: date, now: datetime) -> Slot:
    """The first agreed weekday and time on or after the program start, with some notice."""
    zone = ZoneInfo(tzid)
    earliest = max(start_date, (now + FIRST_MEETING_LEAD).astimezone(zone).date())
    day = earliest + timedelta(days=(terms.weekday - earliest.weekday()) % 7)
    start = local_instant(day, terms.time_of_day, tzid)
    if start < now + FIRST_MEETING_LEAD:
        start = local_instant(day + timedelta(days=7), terms.time_of_day, tzid)
    return Slot(start=start, end=start + timedelta(minutes=terms.meeting_minutes), tzid=tzid)


def format_span(start: datetime, end: datetime, tzid: str) -> str:
    """ "Tuesday 9 December 2026, 15:00–16:00 (America/New_York)" in the given zone."""
    zone = ZoneInfo(tzid)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = f"{local_start:%A} {local_start.day} {local_start:%B %Y}"
    if local_end.date() != local_start.date():
        return f"{day}, {local_start:%H:%M}–{local_end:%A %H:%M} ({tzid})"
    return f"{day}, {local_start:%H:%M}–{local_end:%H:%M} ({tzid})"


def format_day(when: datetime, tzid: str) -> str:
    local = when.astimezone(ZoneInfo(tzid))
    return f"{local.day} {local:%B %Y}"


def next_after(moments: Iterable[datetime], after: datetime) -> datetime | None:
    """The earliest of `moments` later than `after`: when a planner must look again."""
    return min((m for m in moments if m > after), default=None)
