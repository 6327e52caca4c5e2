"""When meetings happen: wall-clock times in the organiser's zone, turned into instants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.program.locales import zone_label
from service.program.terms import Terms

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


# A meeting outside these local hours is worth pointing out to the person it falls on.
USUAL_HOURS = (time(7, 0), time(21, 0))


@dataclass(frozen=True)
class LocalView:
    """The agreed weekday and time as someone in another zone lives them."""

    weekday: str  # "Monday"
    time_label: str  # "02:30"
    tzid: str
    unusual: bool  # outside USUAL_HOURS there


def local_view(terms: Terms, tzid: str, reader_tz: str, on: date) -> LocalView | None:
    """How the agreed time reads in the reader's zone, from the first meeting day on or after
    `on`; None when it reads the same as in the agreement's own zone."""
    day = on + timedelta(days=(terms.weekday - on.weekday()) % 7)
    there = local_instant(day, terms.time_of_day, tzid).astimezone(ZoneInfo(reader_tz))
    if there.weekday() == terms.weekday and there.time() == terms.time_of_day:
        return None
    earliest, latest = USUAL_HOURS
    return LocalView(
        weekday=f"{there:%A}",
        time_label=f"{there:%H:%M}",
        tzid=reader_tz,
        unusual=not earliest <= there.time() <= latest,
    )


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
    """ "Tuesday 9 December 2026, 15:00–16:00 New York time" in the given zone."""
    zone = ZoneInfo(tzid)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = format_date(local_start.date())
    if local_end.date() != local_start.date():
        return f"{day}, {local_start:%H:%M}–{local_end:%A %H:%M} {zone_label(tzid)}"
    return f"{day}, {local_start:%H:%M}–{local_end:%H:%M} {zone_label(tzid)}"


def format_moment(when: datetime, tzid: str) -> str:
    """ "Tuesday 9 December 2026, 15:00 New York time" in the given zone."""
    local = when.astimezone(ZoneInfo(tzid))
    return f"{format_date(local.date())}, {local:%H:%M} {zone_label(tzid)}"


def format_date(day: date) -> str:
    """ "Tuesday 8 December 2026": how every email names a day."""
    # The year as a number: strftime pads years before 1000 on some systems and not others.
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def local_today(when: datetime, tzid: str) -> date:
    """The day it is at `when` where `tzid` is."""
    return when.astimezone(ZoneInfo(tzid)).date()


def format_day(when: datetime, tzid: str) -> str:
    local = when.astimezone(ZoneInfo(tzid))
    return f"{local.day} {local:%B %Y}"


def next_after(moments: Iterable[datetime], after: datetime) -> datetime | None:
    """The earliest of `moments` later than `after`: when a planner must look again."""
    return min((m for m in moments if m > after), default=None)


def within_waking_hours(
    when: datetime, tzid: str, start_hour: int = 8, end_hour: int = 20
) -> datetime:
    """`when`, or the next moment of the person's own daytime (08:00–20:00 local by default)."""
    zone = ZoneInfo(tzid)
    local = when.astimezone(zone)
    opening = time(start_hour)
    if local.time() < opening:
        day = local.date()
    elif local.hour >= end_hour:
        day = local.date() + timedelta(days=1)
    else:
        return when
    return datetime.combine(day, opening, tzinfo=zone).astimezone(when.tzinfo)
