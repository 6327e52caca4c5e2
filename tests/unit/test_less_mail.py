"""The rules that keep each person's mail few: mail that can wait goes on a quieter day,
questions left unanswered are held, answers stay in the writer's thread."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.action_items.rules import OVERDUE_NUDGES, DayReminder, OpenTask, in_answer
from service.demo.summary import mail_load
from service.mail.writing.compose import MAX_REFERENCES, reply_subject, thread_references
from service.meetings.invitations import invitation_may_wait, invitation_wanted
from service.meetings.prompt_rules import BACK_OFF_AFTER, backing_off, meeting_prompts
from service.outbox.pacing_rules import paced
from service.program.terms import Frequency

BERLIN = "Europe/Berlin"
# Tuesday 8 December 2026, 10:00 in Berlin.
TUESDAY = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def morning(day: int) -> datetime:
    """08:00 in Berlin on that day of December 2026."""
    return datetime(2026, 12, day, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("counts", "until", "expected"),
    [
        # A day with nothing yet: at once.
        ({}, TUESDAY + timedelta(days=2), TUESDAY),
        # Something already that day: the next morning that has nothing.
        ({date(2026, 12, 8): 1}, TUESDAY + timedelta(days=2), morning(9)),
        ({date(2026, 12, 8): 2, date(2026, 12, 9): 1}, TUESDAY + timedelta(days=2), morning(10)),
        # May not wait: at once, however full the day.
        ({date(2026, 12, 8): 5}, TUESDAY, TUESDAY),
        # Every day it may wait for is busy: the quietest of them, the earliest on a tie.
        ({date(2026, 12, 8): 3, date(2026, 12, 9): 2}, morning(9), morning(9)),
        ({date(2026, 12, 8): 2, date(2026, 12, 9): 2}, morning(9), TUESDAY),
    ],
)
def test_mail_that_can_wait_goes_on_the_readers_next_quiet_day(
    counts: dict[date, int], until: datetime, expected: datetime
) -> None:
    assert paced(TUESDAY, until, BERLIN, counts) == expected


def test_the_reader_s_own_day_decides_not_utc() -> None:
    # 23:30 UTC on the 8th is already the 9th in Tokyo: the 8th's mail is no reason to wait.
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
    assert paced(late, late + timedelta(days=2), "Asia/Tokyo", {date(2026, 12, 8): 3}) == late
    busy = {date(2026, 12, 9): 1}
    tokyo_morning = datetime(2026, 12, 9, 23, 0, tzinfo=UTC)  # 08:00 on the 10th in Tokyo
    assert paced(late, late + timedelta(days=2), "Asia/Tokyo", busy) == tokyo_morning


def test_the_morning_after_keeps_its_hour_across_a_clock_change() -> None:
    # Berlin's clocks go forward on 28 March 2027: the morning after is 08:00 CEST.
    saturday = datetime(2027, 3, 27, 10, 0, tzinfo=UTC)
    at = paced(saturday, saturday + timedelta(days=3), BERLIN, {date(2027, 3, 27): 1})
    assert at == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)


def test_questions_left_unanswered_ask_once_then_are_held() -> None:
    assert [backing_off(n) for n in range(BACK_OFF_AFTER + 3)] == [
        *(["send"] * BACK_OFF_AFTER),
        "ask",
        "hold",
        "hold",
    ]


def test_questions_may_wait_and_the_agenda_may_not() -> None:
    start = datetime(2026, 12, 14, 14, tzinfo=UTC)
    prompts = meeting_prompts(2, start, start + timedelta(hours=1), Frequency("weeks", 1))
    assert {p.kind: p.may_wait for p in prompts} == {
        "agenda_request": True,
        "agenda": False,
        "after_meeting": True,
        "mentor_checkin": True,
    }


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("Re: Your mentoring agreement", "Re: Your mentoring agreement"),
        ("RE: RE: Your next meeting", "Re: Your next meeting"),
        ("AW: Re[2]: Your next meeting", "Re: Your next meeting"),
        ("Questions for Thursday", "Re: Questions for Thursday"),
        ("Renewal: re: our plan", "Re: Renewal: re: our plan"),
        ("Re: line\r\nBcc: someone@example.com", "Re: line Bcc: someone@example.com"),
        ("", None),
        ("Re:", None),
    ],
)
def test_an_answer_is_re_their_subject_once(theirs: str, ours: str | None) -> None:
    assert reply_subject(theirs) == ours


def test_an_answer_s_references_carry_the_thread_and_its_message() -> None:
    assert thread_references([], "b@x") == ["b@x"]
    assert thread_references(["a@x", "b@x"], "c@x") == ["a@x", "b@x", "c@x"]
    long = [f"{n}@x" for n in range(40)]
    kept = thread_references(long, "new@x")
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "0@x" and kept[-2:] == ["39@x", "new@x"]


def test_the_demo_counts_every_person_s_weeks_and_their_busiest_local_day() -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    end = start + timedelta(days=14)
    zones = {1: "UTC", 2: "Asia/Tokyo", 3: "UTC"}
    sent = [(1, start + timedelta(hours=h)) for h in (0, 1, 2, 3)]  # four on one day
    # Late on the 2nd in UTC, but two different days in Tokyo.
    sent += [(2, datetime(2026, 12, 2, 14, tzinfo=UTC)), (2, datetime(2026, 12, 2, 16, tzinfo=UTC))]
    load = mail_load(sent, zones, start, end)
    # Six person-weeks: 4, 0 (person 1), 2, 0 (person 2), 0, 0 (person 3).
    assert (load.week_median, load.week_max, load.day_max, load.days_over_3) == (0, 4, 4, 1)


def test_a_day_s_reminder_may_wait_until_the_morning_its_first_item_falls_due() -> None:
    soon = DayReminder(date(2026, 12, 8), False, soon=(1, 2), late=())
    due = {1: date(2026, 12, 11), 2: date(2026, 12, 10)}
    # 08:00 in Berlin on the 10th, the earlier of the two.
    assert soon.until(due, BERLIN, TUESDAY) == morning(10)
    late = DayReminder(date(2026, 12, 8), False, soon=(), late=(3,))
    assert late.until({3: date(2026, 12, 1)}, BERLIN, TUESDAY) == TUESDAY + timedelta(days=2)
    # On a busy Tuesday, an item due Thursday is reminded on Wednesday morning.
    at = paced(TUESDAY, soon.until(due, BERLIN, TUESDAY), BERLIN, {date(2026, 12, 8): 1})
    assert at == morning(9)


def test_an_answer_lists_the_items_due_today_or_tomorrow_and_the_recently_late() -> None:
    today = date(2026, 12, 8)
    tasks = [
        OpenTask(1, today),
        OpenTask(2, today + timedelta(days=1)),
        OpenTask(3, today + timedelta(days=2)),  # not yet
        OpenTask(4, today - timedelta(days=1)),
        OpenTask(5, today - timedelta(days=7 * OVERDUE_NUDGES + 1)),  # the digest's now
    ]
    assert in_answer(tasks, today) == ([1, 2], [4])


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Six days or more ahead: until the day before its agenda is asked for.
        (TUESDAY + timedelta(days=10), TUESDAY + timedelta(days=4)),
        # Four days ahead: the next day, three days before the meeting.
        (TUESDAY + timedelta(days=4), TUESDAY + timedelta(days=1)),
        # A week ahead: the next day's morning, after the signed agreement's day.
        (TUESDAY + timedelta(days=6), TUESDAY + timedelta(hours=36)),
        # Two days ahead: no waiting.
        (TUESDAY + timedelta(days=2), TUESDAY - timedelta(days=1)),
    ],
)
def test_an_invitation_whose_meeting_is_not_near_may_wait_a_day(
    start: datetime, expected: datetime
) -> None:
    assert invitation_may_wait(start, TUESDAY) == expected
    busy = {date(2026, 12, 8): 2}
    at = paced(TUESDAY, invitation_may_wait(start, TUESDAY), BERLIN, busy)
    assert (at == morning(9)) == (start - TUESDAY > timedelta(days=3))


def test_an_invitation_goes_in_its_reader_s_daytime_unless_the_meeting_is_near() -> None:
    night = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)  # 03:30 in Berlin
    assert invitation_wanted(night + timedelta(days=7), night, BERLIN) == morning(8)
    assert invitation_wanted(night + timedelta(days=1), night, BERLIN) == night
