"""Every day and time people write, read one way: the date reader's answer, with what it
would let through refused in words the writer is sent back.

The reader reads "Dec 31 9999" and "tomorrow at 25" without complaint: the first overflows
once turned into an instant, the second quietly becomes tomorrow. So the words are checked
for a clock that cannot be (an hour 25, a minute 75), and the day read for a window of sane
dates and for a weekday it contradicts, before anyone turns it into an instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateparser.date import DateDataParser

from service.program.schedule import format_date

PAST = timedelta(days=365)
AHEAD = timedelta(days=730)
# Longer than any day and time anyone writes, and the reader is slow on long text.
MAX_LENGTH = 120
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# "Thursday at 10" means 10:00; the reader would take the 10 for a day of the month.
_BARE_HOUR = re.compile(r"\bat\s+(\d{1,2})(?![\d:.]|\s*[ap]\.?m)", re.IGNORECASE)
_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?![\d:])(\s*[ap]\.?\s?m\b)?", re.IGNORECASE
)
_TWELVE_HOUR = re.compile(r"(?<![\d:])(\d{1,2})\s*[ap]\.?\s?m\b", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"\b(?:(?P<d0>mon)(?:day)?|(?P<d1>tue)(?:s|sday)?|(?P<d2>wed)(?:nesday)?|"
    r"(?P<d3>thu)(?:r|rs|rsday)?|(?P<d4>fri)(?:day)?|(?P<d5>sat)(?:urday)?|"
    r"(?P<d6>sun)(?:day)?)\b\.?",
    re.IGNORECASE,
)
# What the date reader raises when arithmetic on odd words leaves the calendar ("in 99999
# years"); the property test has not made it raise, and a reply must not fail if it does.
_READER_ERRORS = (ValueError, OverflowError)


@dataclass(frozen=True)
class Written:
    """What someone's words name in their own zone: a day and, when they gave one, a time.

    Nothing read (day None, problem None) is for the caller to put in its own words: an
    action item's "by the lake" is no deadline, a reschedule's needs a day and a time.
    """

    day: date | None = None
    at: time | None = None  # only when the words gave a time of day
    span: str = "day"  # how much the words name: "time", "day", "week", "month" or "year"
    problem: str | None = None  # why what was written cannot be used, for the writer


def read_when(text: str, local_now: datetime) -> Written:
    """The day (and time) `text` names, seen from `local_now`, aware in the writer's zone.

    Never raises: a clock that cannot be, a day outside a year back to two years ahead, or a
    weekday that is not the date's, comes back as a `problem`.
    """
    words = " ".join(text.split())
    if len(words) > MAX_LENGTH:
        return Written(problem=f"that is too long to be a day and a time ({MAX_LENGTH} at most)")
    impossible = impossible_clock(words)
    if impossible is not None:
        return Written(problem=impossible)
    read = _read(_BARE_HOUR.sub(r"at \1:00", words), local_now)
    if read is None:
        return Written()
    named, span = read
    problem = outside_window(named.date(), local_now.date()) or contradicted_weekday(
        words, named.date()
    )
    if problem is not None:
        return Written(problem=problem)
    if named.tzinfo is not None:
        # "3pm UTC" is 3pm there: the writer's own wall clock is what the callers use.
        named = named.astimezone(local_now.tzinfo)
    at = named.time().replace(second=0, microsecond=0) if span == "time" else None
    return Written(named.date(), at, span)


def _read(words: str, local_now: datetime) -> tuple[datetime, str] | None:
    """The reader's own answer, or None when it finds no date (or fails on the words)."""
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "DATE_ORDER": "MDY",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    try:
        data = parser.get_date_data(words)
    except _READER_ERRORS:
        return None
    if data.date_obj is None:
        return None
    return data.date_obj, data.period or "day"


def impossible_clock(words: str) -> str | None:
    """Why a time in the words cannot be on any clock ("at 25", "3:75pm", "13pm"), or None."""
    for match in _CLOCK.finditer(words):
        hour, minute, second = (int(group or 0) for group in match.group(1, 2, 3))
        if match.group(4) and not 1 <= hour <= 12:
            return f"there is no {hour} o'clock {match.group(4).strip()}: use 1 to 12, or 0 to 23"
        if hour > 23:
            return f"there is no hour {hour}: hours run from 0 to 23"
        if minute > 59 or second > 59:
            return f"there is no minute {max(minute, second)}: minutes run from 0 to 59"
    for match in _TWELVE_HOUR.finditer(words):
        hour = int(match.group(1))
        if not 1 <= hour <= 12:
            return f"there is no {match.group(0)}: with am or pm, hours run from 1 to 12"
    for match in _BARE_HOUR.finditer(words):
        hour = int(match.group(1))
        if hour > 23:
            return f"there is no hour {hour}: hours run from 0 to 23"
    return None


def outside_window(day: date, today: date) -> str | None:
    """Why `day` is too far back or ahead to be meant (from a year ago to two years ahead)."""
    if day < today - PAST:
        return f"{format_date(day)} is more than a year ago"
    if day > today + AHEAD:
        return f"{format_date(day)} is more than two years ahead"
    return None


def contradicted_weekday(words: str, day: date) -> str | None:
    """ "Tuesday Dec 9" when Dec 9 is a Wednesday: which one was meant cannot be known."""
    named = {
        int(key[1])
        for match in _WEEKDAY.finditer(words)
        for key, value in match.groupdict().items()
        if value
    }
    if not named or day.weekday() in named:
        return None
    return f"{day.day} {day:%B} {day.year} is a {WEEKDAY_NAMES[day.weekday()]}"
