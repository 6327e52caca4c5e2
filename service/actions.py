"""Action items as the replies change them: added with `task:`, completed with `done`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.domain.commands import Command
from service.domain.tasks import read_task, task_reminders
from service.models import Pairing, Person, Task, TaskState


def describe(task: Task) -> str:
    due = f" (due {task.due_date:%a %d %b %Y})" if task.due_date else ""
    return f"{task.number}. {task.text}{due}"


async def open_tasks(connection: BaseDBAsyncClient, pairing_id: int) -> list[Task]:
    return await (
        Task.filter(pairing_id=pairing_id, state=TaskState.OPEN)
        .order_by("number")
        .using_db(connection)
    )


async def add_task(
    connection: BaseDBAsyncClient,
    pairing: Pairing,
    writer: Person,
    command: Command,
    now: datetime,
) -> str:
    """Record a `task:` line; returns what was understood, in words."""
    today = now.astimezone(ZoneInfo(writer.timezone)).date()
    parsed = read_task(command.args["text"], today)
    owner_id = pairing.mentor_id if command.args.get("for") == "mentor" else writer.id
    owner = writer if owner_id == writer.id else await Person.get(id=owner_id, using_db=connection)
    reminders = task_reminders(parsed.due, owner.timezone) if parsed.due else []
    # The pairing row is locked by the caller, so numbers cannot collide.
    last = await Task.filter(pairing_id=pairing.id).order_by("-number").using_db(connection).first()
    task = await Task.create(
        using_db=connection,
        pairing=pairing,
        number=(last.number if last else 0) + 1,
        owner_id=owner_id,
        text=parsed.text[:500],
        due_date=parsed.due,
        remind_at=min((r.due for r in reminders), default=None),
        created_at=now,
    )
    whose = "your mentor's" if owner_id != writer.id else "yours"
    return f"New task {describe(task)}, {whose}."


async def complete_task(
    connection: BaseDBAsyncClient, pairing: Pairing, command: Command, now: datetime
) -> tuple[str | None, str | None]:
    """Mark a task done by number or by words; returns (applied, not understood)."""
    tasks = await open_tasks(connection, pairing.id)
    if "ref" in command.args:
        number = int(command.args["ref"])
        matches = [t for t in tasks if t.number == number]
        if not matches:
            return None, f"{command.line} (there is no open task {number})"
    else:
        words = command.args.get("text", "").casefold()
        matches = [t for t in tasks if words and words in t.text.casefold()]
        if len(matches) != 1:
            reason = "no open task matches" if not matches else "more than one open task matches"
            return None, f"{command.line} ({reason}; write done and the task's number)"
    task = matches[0]
    task.state = TaskState.DONE
    task.done_at = now
    task.remind_at = None
    await task.save(using_db=connection)
    return f"Task {describe(task)} is done. Well done!", None
