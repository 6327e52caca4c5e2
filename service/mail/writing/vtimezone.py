"""VTIMEZONE components with yearly rules, built from the system's current time zone data.

Packaged VTIMEZONE collections go stale (one we measured still gives Mexico City daylight
saving time, abolished in 2022), so the rules are derived here from zoneinfo for the year of
the event, and written as yearly RRULEs, which every calendar client applies correctly.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in `year` at which the zone's offset changes, to the minute."""
    found: list[datetime] = []
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    moment = start
    while moment < end:
        after = moment + step
        if moment.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = moment, after
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if low.astimezone(zone).utcoffset() == middle.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        moment = after
    return found


def _weekday_rule(day: date) -> tuple[int, int]:
    """(n, weekday) such that `day` is the n-th (or, n == -1, the last) weekday of its month."""
    n = (day.day - 1) // 7 + 1
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1] and n >= 4:
        return -1, day.weekday()
    return n, day.weekday()


def _nth_weekday(year: int, month: int, n: int, weekday: int) -> date:
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    return date(year, month, days[n - 1] if n > 0 else days[-1])


@cache
def vtimezone_ical(tzid: str, year: int) -> bytes:
    """The VTIMEZONE's bytes, written once per zone and year."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("TZID", tzid)
    moments = _transitions(zone, year)
    if not moments:
        local = datetime(year, 7, 1, tzinfo=UTC).astimezone(zone)
        offset = local.utcoffset() or timedelta(0)
        standard = TimezoneStandard()
        standard.add("TZNAME", local.tzname() or tzid)
        standard.add("TZOFFSETFROM", offset)
        standard.add("TZOFFSETTO", offset)
        standard.add("DTSTART", datetime(1970, 1, 1))
        component.add_component(standard)
        return bytes(component.to_ical())
    for moment in moments:
        before = (moment - timedelta(minutes=1)).astimezone(zone)
        after = moment.astimezone(zone)
        offset_from = before.utcoffset() or timedelta(0)
        offset_to = after.utcoffset() or timedelta(0)
        # DTSTART is the wall-clock time of the change, read in the offset before it.
        wall = (moment + offset_from).replace(tzinfo=None)
        n, weekday = _weekday_rule(wall.date())
        part = TimezoneDaylight() if after.dst() else TimezoneStandard()
        part.add("TZNAME", after.tzname() or tzid)
        part.add("TZOFFSETFROM", offset_from)
        part.add("TZOFFSETTO", offset_to)
        first = _nth_weekday(1970, wall.month, n, weekday)
        part.add("DTSTART", datetime.combine(first, wall.time()))
        part.add(
            "RRULE", {"FREQ": "YEARLY", "BYMONTH": wall.month, "BYDAY": f"{n}{_DAYS[weekday]}"}
        )
        component.add_component(part)
    return bytes(component.to_ical())
