"""Action items read from replies, and their reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.action_items.rules import (
    OpenTask,
    day_reminders,
    next_day,
    next_reminder,
    read_task,
    task_reminders,
)

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected_text", "expected_due"),
    [
        ("send CV to Dr. Lee by Dec 3", "send CV to Dr. Lee", date(2026, 12, 3)),
        ("draft the aims by Friday", "draft the aims", date(2026, 11, 27)),
        ("book the room for mentor by 12/10", "book the room", date(2026, 12, 10)),
        ("read the review before 2027-01-15", "read the review", date(2027, 1, 15)),
        ("submit the abstract by November 30, 2026", "submit the abstract", date(2026, 11, 30)),
        ("call the lab by Friday, then rest", "call the lab by Friday, then rest", None),
        ("finish the figures by the end of the month", "finish the figures", date(2026, 11, 30)),
        ("write to Dr. Lee by end of week", "write to Dr. Lee", date(2026, 11, 27)),
        ("email the committee", "email the committee", None),
        ("stand by for news", "stand by for news", None),  # "by" + not a date stays text
    ],
)
def test_reading_tasks(text: str, expected_text: str, expected_due: date | None) -> None:
    task = read_task(text, TODAY, "America/New_York")
    assert (task.text, task.due) == (expected_text, expected_due)


def test_end_of_week_and_month_from_any_day() -> None:
    saturday, december_31 = date(2026, 11, 28), date(2026, 12, 31)
    assert read_task("a by end of week", saturday, "UTC").due == saturday
    assert read_task("a by the end of the month", december_31, "UTC").due == december_31
    assert read_task("a by end of this month", date(2027, 2, 3), "UTC").due == date(2027, 2, 28)


def test_reminders_before_and_weekly_after() -> None:
    reminders = task_reminders(date(2026, 12, 3), "Europe/Berlin")
    before, *late = reminders
    assert before.kind == "task_reminder"
    local = before.due.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.date() == date(2026, 12, 2) and local.hour == 9
    assert [r.due.date() for r in late] == [
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
        date(2026, 12, 25),
    ]
    assert all(r.stale > r.due for r in reminders)


BERLIN = "Europe/Berlin"
# 10:30 in Berlin on Wednesday 9 December: the morning's reminders have come.
MORNING = datetime(2026, 12, 9, 9, 30, tzinfo=UTC)


def test_a_day_s_reminders_make_one_email_with_every_task_due_soon_and_late() -> None:
    tomorrow = [OpenTask(n, date(2026, 12, 10)) for n in range(1, 21)]
    # Due on the 1st: a week late, nudged again today.
    late = [OpenTask(n, date(2026, 12, 1)) for n in range(21, 26)]
    (email,) = day_reminders(tomorrow + late, BERLIN, MORNING)
    assert email.soon == tuple(range(1, 21)) and email.late == tuple(range(21, 26))
    assert email.kind == "task_reminder" and not email.private
    assert email.day == date(2026, 12, 9)
    assert email.dedupe_key(4, 7) == "reminders:pairing:4:person:7:2026-12-09"


def test_private_action_items_have_an_email_of_their_own() -> None:
    tasks = [OpenTask(1, date(2026, 12, 10)), OpenTask(2, date(2026, 12, 1), private=True)]
    shared, private = day_reminders(tasks, BERLIN, MORNING)
    assert (shared.private, shared.soon, shared.late) == (False, (1,), ())
    assert (private.private, private.soon, private.late) == (True, (), (2,))
    assert private.kind == "task_overdue"
    assert shared.dedupe_key(4, 7) != private.dedupe_key(4, 7)


def test_tasks_whose_reminder_has_not_come_wait() -> None:
    # The 20th's reminder comes on the 19th; October's last nudge was stale in November.
    tasks = [OpenTask(1, date(2026, 12, 20)), OpenTask(2, date(2026, 10, 20))]
    assert day_reminders(tasks, BERLIN, MORNING) == []
    assert day_reminders(tasks, BERLIN, MORNING + timedelta(days=10))[0].soon == (1,)


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2026, 12, 9, 6, 59, tzinfo=UTC), date(2026, 12, 9)),  # 07:59 local
        (datetime(2026, 12, 9, 18, 59, tzinfo=UTC), date(2026, 12, 9)),  # 19:59
        (datetime(2026, 12, 9, 19, 0, tzinfo=UTC), date(2026, 12, 10)),  # 20:00: tomorrow's
        (datetime(2026, 12, 9, 23, 30, tzinfo=UTC), date(2026, 12, 10)),  # after midnight
    ],
)
def test_the_day_is_the_one_the_email_reaches_its_reader(now: datetime, day: date) -> None:
    (email,) = day_reminders([OpenTask(1, date(2026, 12, 9))], BERLIN, now)
    assert email.day == day


def test_a_task_come_due_after_the_day_s_email_waits_for_the_next_day_s() -> None:
    afternoon = MORNING + timedelta(hours=5)
    assert next_day(afternoon, BERLIN) == datetime(2026, 12, 10, 8, tzinfo=UTC)  # 09:00 local
    # A spring-forward night: still 09:00 local the next day.
    march = datetime(2027, 3, 27, 14, tzinfo=UTC)
    assert next_day(march, BERLIN) == datetime(2027, 3, 28, 7, tzinfo=UTC)
    # The reminder due tomorrow is still relevant then: it goes in tomorrow's email.
    (email,) = day_reminders([OpenTask(1, date(2026, 12, 10))], BERLIN, next_day(afternoon, BERLIN))
    assert email.soon == (1,)


def test_a_task_reminded_is_looked_at_again_at_its_next_reminder() -> None:
    assert next_reminder(date(2026, 12, 10), BERLIN, MORNING) == datetime(
        2026, 12, 11, 8, tzinfo=UTC
    )
    last = task_reminders(date(2026, 12, 10), BERLIN)[-1]
    assert next_reminder(date(2026, 12, 10), BERLIN, last.due) is None
