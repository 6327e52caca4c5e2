"""Every day and time people write: read one way, refused in words when it cannot be meant."""

from __future__ import annotations

import sys
import unicodedata
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.mail.reading.invisible import without_invisible
from service.program.when import AHEAD, PAST, read_when

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=ZoneInfo("America/New_York"))  # a Thursday


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Dec 31 9999 11pm", "Friday 31 December 9999 is more than two years ahead"),
        ("Jan 1 0001 12:30am", "Monday 1 January 1 is more than a year ago"),
        ("Dec 9 2024", "Monday 9 December 2024 is more than a year ago"),
        ("tomorrow at 25", "there is no hour 25: hours run from 0 to 23"),
        ("Dec 9 25:00", "there is no hour 25: hours run from 0 to 23"),
        ("3:75pm", "there is no minute 75: minutes run from 0 to 59"),
        ("13pm tomorrow", "there is no 13pm: with am or pm, hours run from 1 to 12"),
        ("x" * 200, "that is too long to be a day and a time (120 at most)"),
    ],
)
def test_what_cannot_be_meant_is_refused_with_its_reason(text: str, problem: str) -> None:
    assert read_when(text, NOW).problem == problem


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("Wed Dec 9 3pm", date(2026, 12, 9), time(15, 0)),
        ("Friday at 10", date(2026, 12, 4), time(10, 0)),
        ("tomorrow at noon", date(2026, 12, 4), time(12, 0)),
        ("12:30am Dec 9", date(2026, 12, 9), time(0, 30)),
        ("Dec 10", date(2026, 12, 10), None),
        # A time said in another zone is the writer's own wall clock after conversion.
        ("Dec 9 3pm UTC", date(2026, 12, 9), time(10, 0)),
    ],
)
def test_days_and_times_are_read_in_the_writers_zone(text: str, day: date, at: time) -> None:
    written = read_when(text, NOW)
    assert written.problem is None
    assert (written.day, written.at) == (day, at)


def test_words_that_name_no_day_are_left_to_the_caller() -> None:
    written = read_when("by the lake", NOW)
    assert written.day is None and written.problem is None


_hostile_words = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{} {} {} {}{}".format,
        st.sampled_from(["", "Tue", "Tuesday", "tomorrow", "next", "in", "at", "on the"]),
        st.sampled_from(["Dec", "Jan", "Feb 29", "February", "31", "0", "day", "weeks"]),
        st.integers(-10, 100_000).map(str) | st.sampled_from(["0001", "9999", "00", "1e9"]),
        st.integers(0, 99).map(str) | st.text(max_size=4),
        st.sampled_from(["", ":00", ":75", "pm", "am", " UTC", " +14:00", "\u202e", "h"]),
    ),
)
_zones = st.sampled_from(sorted(available_timezones()))
_nows = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(_hostile_words, _zones, _nows)
def test_no_words_in_any_zone_raise_or_name_a_day_outside_the_window(
    text: str, tzid: str, now: datetime
) -> None:
    local_now = now.replace(tzinfo=UTC).astimezone(ZoneInfo(tzid))
    written = read_when(text, local_now)
    if written.day is not None:
        assert local_now.date() - PAST <= written.day <= local_now.date() + AHEAD
        assert written.problem is None
        # And it can be made an instant: the step that overflowed before.
        at = written.at if written.at is not None else time(10)
        datetime.combine(written.day, at, tzinfo=ZoneInfo(tzid)).astimezone(UTC)
    assert written.problem is None or isinstance(written.problem, str)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Finish \u202eforward\u202c draft", "Finish forward draft"),
        ("\ufeffagenda: a\u200bb \u2066x\u2069", "agenda: ab x"),
        ("tab\tand\nline", "tab\tand\nline"),
        ("👩\u200d💻 and می\u200cخواهم", "👩\u200d💻 and می\u200cخواهم"),
    ],
)
def test_characters_nobody_sees_are_taken_out(written: str, read: str) -> None:
    assert without_invisible(written) == read


def test_every_format_and_control_character_is_taken_out_and_nothing_else() -> None:
    every = "".join(chr(p) for p in range(sys.maxunicode + 1) if not 0xD800 <= p <= 0xDFFF)
    kept = "\t\n\r\u200c\u200d"
    expected = "".join(
        ch for ch in every if ch in kept or unicodedata.category(ch) not in ("Cf", "Cc")
    )
    assert without_invisible(every) == expected
