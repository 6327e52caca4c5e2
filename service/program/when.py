"""Every day and time people write, read one way: the date reader's answer, with what it
would let through refused in words the writer is sent back, and what it would guess asked.

The reader reads "Dec 31 9999" and "tomorrow at 25" without complaint: the first overflows
once turned into an instant, the second quietly becomes tomorrow. So the words are checked
for a clock that cannot be (an hour 25, a minute 75), and the day read for a window of sane
dates, before anyone turns it into an instant.

The reader also guesses: "3/1" is March 1 to it wherever the writer lives, "Dec 20" written
on Dec 22 is next year's, "Tue Dec 9" is whichever the 9th is. Those are not guessed here:
a numeric date is read in the order the writer's country writes it when that is known, and
otherwise, like a day already gone this year or a weekday the date contradicts, comes back
with its readings for the writer to choose from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateparser.date import DateDataParser

from service.program.locales import day_first, zone_label
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
# "3/1", "03.01.", "3/1/27", "03.01.2027": day and month in an order only the writer knows.
# A dot without a second dot or a year ("10.30") is a time, and left to the reader.
_NUMERIC_DATE = re.compile(
    r"(?<![\d./:-])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})"
    r"(?:(?P=sep)(?P<year>\d{4}|\d{2})(?![\d:])|(?P<dot>\.)(?!\d))?(?![\d/:-]|\.\d)"
)
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# "Dec 20" on Dec 22 is read as next year's when that is nearer than this year's, which is
# gone; a date with no year that far from both is asked about.
_YEAR = timedelta(days=300)
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
    # The days the words could mean when they do not settle one ("3/1" in a zone that does not
    # say which comes first; "Dec 20" when that was two days ago): the writer is asked, with
    # `problem` saying what is unclear, and nothing is done.
    readings: tuple[date, ...] = ()

    @property
    def asks(self) -> bool:
        return bool(self.readings)


def read_when(text: str, local_now: datetime) -> Written:
    """The day (and time) `text` names, seen from `local_now`, aware in the writer's zone.

    Never raises: a clock that cannot be, or a day outside a year back to two years ahead,
    comes back as a `problem`; words that leave the day open (the order of "3/1", a weekday
    that is not the date's, a date already gone this year) as `readings` to ask about.
    """
    words = " ".join(text.split())
    if len(words) > MAX_LENGTH:
        return Written(problem=f"that is too long to be a day and a time ({MAX_LENGTH} at most)")
    impossible = impossible_clock(words)
    if impossible is not None:
        return Written(problem=impossible)
    for numeric in _NUMERIC_DATE.finditer(words):
        if numeric.group("sep") != "." or numeric.group("year") or numeric.group("dot"):
            return _read_numeric(words, numeric, local_now)
    return _read_words(words, local_now)


def _read_numeric(words: str, numeric: re.Match[str], local_now: datetime) -> Written:
    """ "3/1 10am": each order the writer may have meant, read in words ("3 January 10am");
    one when the writer's country or the numbers settle it, else their days asked about."""
    a, b = int(numeric.group("a")), int(numeric.group("b"))
    year = numeric.group("year")
    orders = [(d, m) for d, m in dict.fromkeys([(a, b), (b, a)]) if 1 <= m <= 12 and 1 <= d <= 31]
    first = day_first(getattr(local_now.tzinfo, "key", "UTC"), numeric.group("sep"))
    if first is not None and len(orders) == 2:
        # The writer's country settles the order: "03.01." in Berlin, "3/1" in New York.
        orders = [orders[0] if first else orders[1]]
    found: list[Written] = []
    for day, month in orders:
        spelled = f"{day} {MONTH_NAMES[month - 1]}"
        if year:
            spelled += f" {int(year) + 2000 if len(year) == 2 else int(year)}"
        read = _read_words(words[: numeric.start()] + spelled + words[numeric.end() :], local_now)
        if read.day is not None or read.asks:
            found.append(read)
    if not found:
        return Written(problem=f"{numeric.group(0)} is not a date")
    if len(found) == 1:
        return found[0]
    days = tuple(dict.fromkeys(d for read in found for d in (read.readings or (read.day,)) if d))
    if len(days) == 1:
        return found[0]
    return Written(
        at=found[0].at,
        span=found[0].span,
        problem=f"{numeric.group(0)} could be {_or(days)}",
        readings=days,
    )


def _read_words(words: str, local_now: datetime) -> Written:
    read = _read(_BARE_HOUR.sub(r"at \1:00", words), local_now)
    if read is None:
        return Written()
    named, span = read
    if named.tzinfo is not None:
        # "3pm UTC" is 3pm there: the writer's own wall clock is what the callers use.
        named = named.astimezone(local_now.tzinfo)
    at = named.time().replace(second=0, microsecond=0) if span == "time" else None
    problem = outside_window(named.date(), local_now.date())
    if problem is not None:
        return Written(problem=problem)
    today = local_now.date()
    day = named.date()
    if day - today > _YEAR / 2 and span in ("day", "time"):
        # The reader prefers the future; a year's difference from its other answer is a
        # year the words left open ("Dec 20"), and a day gone two days ago is not next year's
        # by default.
        past = _read(_BARE_HOUR.sub(r"at \1:00", words), local_now, prefer="past")
        gone = past[0].date() if past is not None else day
        if gone == today:
            # "Dec 22" on Dec 22 is today, not next year's.
            return Written(today, at, span)
        if day - gone > _YEAR and today - gone < day - today and gone < today:
            return Written(
                at=at,
                span=span,
                problem=f"{format_date(gone)} has passed; did you mean next year?",
                readings=(day,),
            )
    named_days = _named_weekdays(words)
    if named_days and day.weekday() not in named_days:
        wanted = named_days[0]
        ahead, back = (wanted - day.weekday()) % 7, (day.weekday() - wanted) % 7
        nearest = day + timedelta(days=ahead) if ahead <= back else day - timedelta(days=back)
        readings = tuple(d for d in (day, nearest) if d >= today)
        return Written(
            at=at,
            span=span,
            problem=(
                f"{WEEKDAY_NAMES[wanted]} was written, but {_spelled(day)} is a "
                f"{WEEKDAY_NAMES[day.weekday()]}"
            ),
            readings=readings,
        )
    return Written(day, at, span)


def _or(days: tuple[date, ...]) -> str:
    named = [format_date(day) for day in days]
    return ", ".join(named[:-1]) + " or " + named[-1] if len(named) > 1 else named[0]


def _spelled(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def _read(words: str, local_now: datetime, prefer: str = "future") -> tuple[datetime, str] | None:
    """The reader's own answer, or None when it finds no date (or fails on the words)."""
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": prefer,
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


def _named_weekdays(words: str) -> list[int]:
    """The weekdays the words name, in their order ("Tue Dec 9": [1])."""
    return list(
        dict.fromkeys(
            int(key[1])
            for match in _WEEKDAY.finditer(words)
            for key, value in match.groupdict().items()
            if value
        )
    )


def spelled_out(day: date, at: time | None = None) -> str:
    """ "Wednesday 9 December 2026 15:00": a day (and time) as it reads back without doubt,
    for the writer to send again."""
    return f"{format_date(day)} {at:%H:%M}" if at is not None else format_date(day)


def ask(written: Written, command: str, tzid: str, after: str = "") -> str:
    """The question for words that leave the day open: what is unclear, and each reading as
    a line to send back ("reschedule: Sunday 3 January 2027 10:00"), in the writer's zone."""
    lines = [f"'{command}{spelled_out(day, written.at)}{after}'" for day in written.readings]
    which = "If so, write " if len(lines) == 1 else "Which did you mean? Write "
    asked = written.problem if (written.problem or "").endswith("?") else f"{written.problem}."
    return f"{asked} Nothing was done. {which}{' or '.join(lines)} ({zone_label(tzid)})"


def example_day(today: date) -> date:
    """A real working day a few days after `today`, for the examples emails give: its weekday
    and date agree, and it has not passed by the time the email is read."""
    day = today + timedelta(days=5)
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def example_when(today: date, at: str = "") -> str:
    """ "Wed Dec 9" (or "Wed Dec 9 3pm"): an example day from `today` as people write it."""
    day = example_day(today)
    return f"{day:%a %b} {day.day}" + (f" {at}" if at else "")
