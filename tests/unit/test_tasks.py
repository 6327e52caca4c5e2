"""Action items read from replies, and their reminders."""

from __future__ import annotations

from datetime import date

import pytest

from service.action_items.rules import read_task, task_reminders

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
    task = read_task(text, TODAY)
    assert (task.text, task.due) == (expected_text, expected_due)


def test_end_of_week_and_month_from_any_day() -> None:
    saturday, december_31 = date(2026, 11, 28), date(2026, 12, 31)
    assert read_task("a by end of week", saturday).due == saturday
    assert read_task("a by the end of the month", december_31).due == december_31
    assert read_task("a by end of this month", date(2027, 2, 3)).due == date(2027, 2, 28)


def test_reminders_before_and_weekly_after() -> None:
    reminders = task_reminders(date(2026, 12, 3), "Europe/Berlin")
    before, *late = reminders
    assert before.kind == "task_reminder"
    assert before.due.date() == date(2026, 12, 2) and before.due.hour == 9
    assert [r.due.date() for r in late] == [
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
        date(2026, 12, 25),
    ]
    assert len({r.key for r in reminders}) == len(reminders)
    assert all(r.stale > r.due for r in reminders)
