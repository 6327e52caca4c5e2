"""Action items read from replies, and their reminders."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.tasks import read_task, task_reminders

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected_text", "expected_due"),
    [
        ("send CV to Dr. Lee by Dec 3", "send CV to Dr. Lee", date(2026, 12, 3)),
        ("draft the aims by Friday", "draft the aims", date(2026, 11, 27)),
        ("book the room for mentor by 12/10", "book the room", date(2026, 12, 10)),
        ("read the review before 2027-01-15", "read the review", date(2027, 1, 15)),
        ("email the committee", "email the committee", None),
        ("stand by for news", "stand by for news", None),  # "by" + not a date stays text
    ],
)
def test_reading_tasks(text: str, expected_text: str, expected_due: date | None) -> None:
    task = read_task(text, TODAY)
    assert (task.text, task.due) == (expected_text, expected_due)


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
