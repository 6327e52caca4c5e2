"""The meeting cadence: which day and wall-clock time each numbered meeting falls on."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.program.schedule import Slot, local_instant
from service.program.terms import Frequency, Terms


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + (day.month - 1) + months
    return index // 12, index % 12 + 1


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it is shorter."""
    year, month = _add_months(moment.date(), months)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _ordinal(day: date) -> int:
    """Which weekday of its month `day` is: 1..4, or -1 for the last (a 5th, or a 4th that is
    also the last), so that 'the 5th Tuesday' becomes 'the last Tuesday' in shorter months."""
    n = (day.day - 1) // 7 + 1
    return -1 if day.day + 7 > calendar.monthrange(day.year, day.month)[1] else n


def _weekday_in_month(year: int, month: int, weekday: int, ordinal: int) -> date:
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    return date(year, month, days[ordinal - 1] if ordinal > 0 else days[-1])


def meeting_day(first_day: date, frequency: Frequency, number: int) -> date:
    """The local date of meeting `number` (1 is the first) in a series starting `first_day`.

    Weekly cadences step whole weeks; monthly ones keep the same weekday of the month
    ("the 2nd Tuesday"), which never runs off the end of a short month.
    """
    if number < 1:
        raise ValueError("meetings are numbered from 1")
    step = number - 1
    if frequency.unit == "weeks":
        return first_day + timedelta(weeks=frequency.n * step)
    year, month = _add_months(first_day, frequency.n * step)
    return _weekday_in_month(year, month, first_day.weekday(), _ordinal(first_day))


def meeting_slot(
    terms: Terms, tzid: str, first_day: date, number: int, first_number: int = 1
) -> Slot:
    """Meeting `number` at the agreed wall-clock time in the organiser's zone, whatever the
    daylight-saving offset is on that day; the series starts with `first_number` on
    `first_day`."""
    day = meeting_day(first_day, terms.frequency, number - first_number + 1)
    start = local_instant(day, terms.time_of_day, tzid)
    return Slot(start=start, end=start + timedelta(minutes=terms.meeting_minutes), tzid=tzid)


def local_day(instant: datetime, tzid: str) -> date:
    return instant.astimezone(ZoneInfo(tzid)).date()


def faster(frequency: Frequency) -> Frequency:
    """One step more often: quarterly -> every 2 months -> monthly -> every 2 weeks -> weekly."""
    ladder = _LADDER
    index = ladder.index(frequency) if frequency in ladder else _nearest(frequency)
    return ladder[max(index - 1, 0)]


def slower(frequency: Frequency) -> Frequency:
    ladder = _LADDER
    index = ladder.index(frequency) if frequency in ladder else _nearest(frequency)
    return ladder[min(index + 1, len(ladder) - 1)]


_LADDER = (
    Frequency("weeks", 1),
    Frequency("weeks", 2),
    Frequency("months", 1),
    Frequency("months", 2),
    Frequency("months", 3),
)


def _nearest(frequency: Frequency) -> int:
    return min(
        range(len(_LADDER)), key=lambda i: abs(_LADDER[i].approx_days - frequency.approx_days)
    )


def numbers_to_plan(
    terms: Terms,
    tzid: str,
    first_day: date,
    planned: set[int],
    now: datetime,
    *,
    horizon: int = 2,
    until: datetime | None = None,
    first_number: int = 1,
) -> list[int]:
    """Meeting numbers to issue now so that `horizon` meetings lie ahead of `now`.

    Planning is idempotent: numbers already planned are never returned again, and meetings
    whose time has passed while the worker was down are not issued late.
    """
    wanted: list[int] = []
    number = first_number
    ahead = 0
    while ahead < horizon and number < first_number + 10_000:
        slot = meeting_slot(terms, tzid, first_day, number, first_number)
        if until is not None and slot.start >= until:
            break
        if slot.start > now:
            ahead += 1
            if number not in planned:
                wanted.append(number)
        number += 1
    return wanted


def next_planning_at(
    terms: Terms,
    tzid: str,
    first_day: date,
    now: datetime,
    *,
    until: datetime,
    first_number: int = 1,
) -> datetime:
    """When planning must look at a pairing again: when the nearest meeting ahead starts
    (the horizon then has room for one more), or at `until`, the projected end."""
    number = first_number
    while number < first_number + 10_000:
        slot = meeting_slot(terms, tzid, first_day, number, first_number)
        if slot.start >= until:
            break
        if slot.start > now:
            return slot.start
        number += 1
    return until
