"""Dates people write that could mean more than one day are asked about, never guessed; what
is understood is said in full, with its weekday and the writer's zone; the examples emails
give are real days ahead."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.action_items.rules import read_task
from service.agreement.rules import Agreement, answer
from service.agreement.times import Zones, form_rows
from service.mail.writing.compose import render
from service.meetings.reschedule_rules import read_new_time
from service.program.grammar import Grammar, help_text
from service.program.schedule import format_moment, format_span
from service.program.terms import Change, Terms
from service.program.when import read_when, spelled_out

KEEP = time(10, 0)


def _local(year: int, month: int, day: int, tzid: str, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(tzid))


# The examples of the issue, each read wrong before.


def test_a_deadline_two_days_gone_is_asked_about_not_moved_a_year_ahead() -> None:
    # Written on Tuesday 22 December 2026 in New York; it became "due Mon 20 Dec 2027".
    task = read_task("send the abstract by Dec 20", date(2026, 12, 22), "America/New_York")
    assert task.due is None and task.asked is not None
    assert task.asked.problem == "Sunday 20 December 2026 has passed; did you mean next year?"
    assert task.asked.readings == (date(2027, 12, 20),)


def test_a_weekday_the_date_contradicts_is_asked_about_with_both_readings() -> None:
    # "Tue Dec 9 3pm", the old emails' example: 9 December 2026 is a Wednesday.
    now = _local(2026, 12, 4, "America/New_York").astimezone(UTC)
    new = read_new_time("Tue Dec 9 3pm", now, "America/New_York", KEEP)
    assert new.start is None and new.problem is not None
    assert new.problem.startswith("Tuesday was written, but 9 December 2026 is a Wednesday.")
    assert (
        "'reschedule: Wednesday 9 December 2026 15:00' or "
        "'reschedule: Tuesday 8 December 2026 15:00' (New York time)"
    ) in new.problem


def test_a_berlin_writers_dotted_date_is_day_first() -> None:
    written = read_when("03.01. 10:00", _local(2026, 12, 4, "Europe/Berlin"))
    assert (written.day, written.at, written.asks) == (date(2027, 1, 3), time(10, 0), False)


def test_a_berlin_writers_slashed_date_is_asked_about() -> None:
    # Germany writes 03.01.; "3/1" from Berlin could be either, and became 1 March before.
    now = _local(2026, 12, 4, "Europe/Berlin").astimezone(UTC)
    new = read_new_time("3/1 10am", now, "Europe/Berlin", KEEP)
    assert new.start is None and new.problem is not None
    assert new.problem == (
        "3/1 could be Sunday 3 January 2027 or Monday 1 March 2027. Nothing was done. Which "
        "did you mean? Write 'reschedule: Sunday 3 January 2027 10:00' or "
        "'reschedule: Monday 1 March 2027 10:00' (Berlin time)"
    )


# Day and month order, by the writer's zone.


@pytest.mark.parametrize(
    ("tzid", "text", "day"),
    [
        ("America/New_York", "3/1", date(2027, 3, 1)),  # the United States: month first
        ("Europe/Paris", "3/1", date(2027, 1, 3)),  # France: day first
        ("Europe/London", "3/1/27", date(2027, 1, 3)),
        ("Asia/Tokyo", "3/1", date(2027, 3, 1)),  # Japan: year, month, day
        ("Europe/Berlin", "3.1.2027", date(2027, 1, 3)),
        # A number above 12 settles it, whatever the zone.
        ("America/New_York", "13/1", date(2027, 1, 13)),
        ("UTC", "1/13", date(2027, 1, 13)),
        ("UTC", "3/3", date(2027, 3, 3)),
    ],
)
def test_numeric_dates_read_in_the_writers_order(tzid: str, text: str, day: date) -> None:
    written = read_when(text, _local(2026, 12, 4, tzid))
    assert (written.day, written.problem, written.readings) == (day, None, ())


@pytest.mark.parametrize(
    ("tzid", "text"),
    [
        ("UTC", "3/1"),  # no country, no habit
        ("Europe/Berlin", "3/1"),  # Germany does not write dates with a slash
        ("America/New_York", "03.01."),  # nor the United States with dots
    ],
)
def test_numeric_dates_the_writers_habit_does_not_settle_are_asked_about(
    tzid: str, text: str
) -> None:
    written = read_when(text, _local(2026, 12, 4, tzid))
    assert written.day is None
    assert written.readings == (date(2027, 1, 3), date(2027, 3, 1))
    assert written.problem == (f"{text} could be Sunday 3 January 2027 or Monday 1 March 2027")


# Dates in the past.


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Dec 22", date(2026, 12, 22)),  # today is today, not next year's
        ("Jan 5", date(2027, 1, 5)),  # nearer next year than this year: meant next year
        ("Dec 20 2027", date(2027, 12, 20)),  # a year written is a year meant
        ("Friday", date(2026, 12, 25)),
    ],
)
def test_dates_that_leave_no_doubt_are_taken(text: str, day: date) -> None:
    written = read_when(text, _local(2026, 12, 22, "America/New_York"))
    assert (written.day, written.problem) == (day, None)


@pytest.mark.parametrize(
    ("text", "gone", "meant"),
    [
        ("Dec 20", "Sunday 20 December 2026", date(2027, 12, 20)),
        ("Sep 1 3pm", "Tuesday 1 September 2026", date(2027, 9, 1)),
        ("12/11", "Friday 11 December 2026", date(2027, 12, 11)),
    ],
)
def test_a_date_already_gone_this_year_is_asked_about(text: str, gone: str, meant: date) -> None:
    written = read_when(text, _local(2026, 12, 22, "America/New_York"))
    assert written.day is None
    assert written.problem == f"{gone} has passed; did you mean next year?"
    assert written.readings == (meant,)


@pytest.mark.parametrize(
    ("tzid", "text"),
    [
        ("Europe/Berlin", "3/1 10am"),
        ("America/New_York", "Tue Dec 9 3pm"),
        ("America/New_York", "Dec 20"),
        ("UTC", "12/11 09:30"),
    ],
)
def test_each_reading_offered_reads_back_as_itself(tzid: str, text: str) -> None:
    now = _local(2026, 12, 4, tzid) if "Dec 20" not in text else _local(2026, 12, 22, tzid)
    written = read_when(text, now)
    assert written.readings
    for day in written.readings:
        again = read_when(spelled_out(day, written.at), now)
        assert (again.day, again.at, again.problem) == (day, written.at, None)


# What is understood is said in full: weekday, date, time and the writer's zone.


def test_times_are_said_with_their_weekday_and_a_zone_people_say() -> None:
    start = datetime(2026, 12, 9, 20, tzinfo=UTC)
    assert format_moment(start, "America/New_York") == (
        "Wednesday 9 December 2026, 15:00 New York time"
    )
    assert format_span(start, start + timedelta(hours=1), "Europe/Berlin") == (
        "Wednesday 9 December 2026, 21:00–22:00 Berlin time"
    )
    assert "America/" not in format_span(start, start, "America/Los_Angeles")


# The examples emails give.

_EXAMPLE = re.compile(r"reschedule: (?P<wd>\w{3}) (?P<mon>\w{3}) (?P<day>\d{1,2}) 3pm")


@pytest.mark.parametrize("today", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 730, 3)])
def test_the_examples_are_real_days_ahead_whose_weekday_is_right(today: date) -> None:
    offered = dict(help_text(Grammar.EVERYDAY, "mentor", today=today))
    [example] = [e for e in offered if e.startswith("reschedule:")]
    found = _EXAMPLE.fullmatch(example)
    assert found is not None, example
    ahead = [today + timedelta(days=n) for n in range(1, 15)]
    [day] = [d for d in ahead if f"{d:%b} {d.day}" == f"{found['mon']} {found['day']}"]
    assert f"{day:%a}" == found["wd"] and day.weekday() < 5
    # And it works when written back, as the example says.
    now = datetime.combine(today, time(9), tzinfo=ZoneInfo("Europe/Berlin"))
    new = read_new_time(example.removeprefix("reschedule: "), now, "Europe/Berlin", KEEP)
    assert new.start is not None
    assert new.start.astimezone(ZoneInfo("Europe/Berlin")).date() == day
    [task] = [e for e in offered if e.startswith("task:")]
    assert task.endswith(f"by {day:%a %b} {day.day}")


def test_an_email_rendered_on_a_fixed_day_gives_an_example_of_that_calendar() -> None:
    context = {
        "service_name": "mentormail",
        "recipient": {
            "name": "Sam",
            "greeting": "Sam",
            "email": "sam@university.example",
            "role": "mentee",
        },
        "program": {"name": "Hematology 2027"},
        "subject": "Re: Your next meeting",
        "applied": ["Task 1 added."],
        "not_understood": ["could we move it?"],  # the commands are listed then
        "held": [],
        "passed_on": None,
        "notes": [],
        "reminders": None,
        "gathered": None,
        "help_text": help_text(Grammar.EVERYDAY, "mentee", today=date(2026, 12, 4)),
    }
    rendered = render("understood", context)
    # Friday 4 December 2026: five days on is Wednesday 9 December.
    for part in (rendered.text, rendered.html):
        assert "reschedule: Wed Dec 9 3pm" in part
        assert "task: send CV to Dr. Lee by Wed Dec 9" in part
        assert "Tue Dec 9" not in part and "Dec 3" not in part


# The agreement's Weekday and Time, in the writer's zone.

PARIS, LOS_ANGELES = "Europe/Paris", "America/Los_Angeles"
TERMS = Terms(weekday=1, time_of_day=time(15, 0))  # Tuesdays at 15:00 in Paris
CURRENT = Agreement(TERMS, 1, False, False)
START = date(2026, 12, 1)


def _mentee_writes(*changes: Change) -> tuple[Terms, list[str], list[str]]:
    answered = answer(CURRENT, "mentee", changes, False, 1, Zones(PARIS, LOS_ANGELES, PARIS, START))
    return answered.agreement.terms, answered.applied, answered.problems


def test_a_time_written_by_the_mentee_is_read_in_the_mentees_zone() -> None:
    terms, applied, problems = _mentee_writes(Change("time", "4:30pm"))
    # 16:30 on a Tuesday in Los Angeles is 01:30 on the Wednesday in Paris.
    assert (terms.weekday, terms.time_of_day) == (2, time(1, 30))
    assert applied == [
        "Changed the meeting time: Tuesdays at 16:30 Los Angeles time "
        "(Wednesdays at 01:30 Paris time)"
    ]
    assert problems == []


def test_a_weekday_and_time_written_together_are_read_together() -> None:
    terms, applied, _ = _mentee_writes(Change("weekday", "Monday"), Change("time", "9am"))
    assert (terms.weekday, terms.time_of_day) == (0, time(18, 0))
    assert applied == [
        "Changed the meeting time: Mondays at 09:00 Los Angeles time (Mondays at 18:00 Paris time)"
    ]


@pytest.mark.parametrize(
    ("value", "paris"),
    [
        ("4:30pm Paris time", time(16, 30)),
        ("16:30 your time", time(16, 30)),
        ("8am mine", time(17)),
    ],
)
def test_a_time_may_name_either_persons_zone(value: str, paris: time) -> None:
    terms, _, problems = _mentee_writes(Change("time", value))
    assert terms.time_of_day == paris and problems == []


def test_a_time_in_a_zone_neither_lives_in_is_asked_about_and_nothing_changes() -> None:
    terms, applied, problems = _mentee_writes(Change("time", "4:30pm EST"))
    assert terms == TERMS and applied == []
    assert problems == [
        "Time: '4:30pm EST' was not changed: it names a zone that is not yours (Los Angeles "
        "time) or your partner's (Paris time). Which time is meant? Write the time as it is "
        "for you, as in 'Time: 16:30' (Los Angeles time)."
    ]


def test_the_form_shows_each_person_the_time_where_they_are_and_reads_back_unchanged() -> None:
    zones = Zones(PARIS, LOS_ANGELES, PARIS, START)
    rows = dict(form_rows(TERMS, zones))
    assert (rows["Weekday"], rows["Time"]) == ("Tuesday", "06:00 (Los Angeles time)")
    terms, applied, _ = _mentee_writes(Change("weekday", "Tuesday"), Change("time", rows["Time"]))
    assert terms == TERMS and applied == []


def test_a_weekday_is_not_changed_alone_when_its_time_cannot_be_read() -> None:
    # Read alone it would be a Monday in Paris, not the Monday in Los Angeles meant.
    terms, applied, problems = _mentee_writes(Change("weekday", "Monday"), Change("time", "noon"))
    assert terms == TERMS and applied == []
    assert problems == [
        "Weekday: 'Monday' was not changed: the weekday and time change together, and the "
        "Time line could not be read.",
        "Time: 'noon' was not changed: use a time such as 15:00 or 3pm.",
    ]
