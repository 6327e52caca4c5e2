"""Action items as the replies change them: added with `task:`, completed with `done`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.rules import read_task, task_reminders
from service.program.grammar import Command
from service.program.locales import zone_label
from service.program.schedule import format_date
from service.program.when import ask
from service.storage import statements
from service.storage.models import Pairing, Person, Task, TaskState
from service.storage.sealing import TASK, seal, unseal


def task_text(task: Task, secret: bytes) -> str:
    """What the action item says, opened when it is a private one."""
    if task.private and task.sealed is not None:
        return unseal(secret, bytes(task.sealed), TASK)
    return task.text


def describe(task: Task, secret: bytes, tzid: str | None = None) -> str:
    """ "3. send CV (due Friday 11 December 2026)", and the zone of that day when given."""
    zone = f", {zone_label(tzid)}" if tzid else ""
    due = f" (due {format_date(task.due_date)}{zone})" if task.due_date else ""
    return f"{task.number}. {task_text(task, secret)}{due}"


async def open_tasks(connection: BaseDBAsyncClient, pairing_id: int) -> list[Task]:
    return await (
        Task.filter(pairing_id=pairing_id, state=TaskState.OPEN)
        .order_by("number")
        .using_db(connection)
    )


async def create_task(
    connection: BaseDBAsyncClient,
    pairing: Pairing,
    owner: Person,
    text: str,
    due: date | None,
    now: datetime,
    *,
    secret: bytes | None = None,
) -> Task:
    """A numbered action item with its reminders; sealed when `secret` is given (private).

    The pairing row is locked by the caller, so numbers cannot collide.
    """
    reminders = task_reminders(due, owner.timezone) if due else []
    return await Task.create(
        using_db=connection,
        pairing=pairing,
        number=await statements.last_task_number(connection, pairing.id) + 1,
        owner_id=owner.id,
        text="" if secret else text[:500],
        private=secret is not None,
        sealed=seal(secret, text[:500], TASK) if secret else None,
        due_date=due,
        remind_at=min((r.due for r in reminders), default=None),
        created_at=now,
    )


async def add_task(
    connection: BaseDBAsyncClient,
    secret: bytes,
    pairing: Pairing,
    writer: Person,
    command: Command,
    now: datetime,
) -> tuple[str | None, str | None]:
    """Record a `task:` line; returns (what was understood, what was not), in words. A
    deadline that could be more than one day is asked about and the task is not added."""
    today = now.astimezone(ZoneInfo(writer.timezone)).date()
    parsed = read_task(command.args["text"], today, writer.timezone)
    if parsed.asked is not None:
        line = command.line
        at = line.rfind(parsed.when)
        before, after = (line[:at], line[at + len(parsed.when) :]) if at >= 0 else (line, "")
        return None, f"{line} ({ask(parsed.asked, before, writer.timezone, after)})"
    owner_id = pairing.mentor_id if command.args.get("for") == "mentor" else writer.id
    owner = writer if owner_id == writer.id else await Person.get(id=owner_id, using_db=connection)
    task = await create_task(connection, pairing, owner, parsed.text, parsed.due, now)
    whose = "your mentor's" if owner_id != writer.id else "yours"
    if parsed.problem is not None:
        described = describe(task, secret)
        return f"New task {described}, {whose}, without a due date: {parsed.problem}.", None
    return f"New task {describe(task, secret, writer.timezone)}, {whose}.", None


async def complete_task(
    connection: BaseDBAsyncClient, secret: bytes, pairing: Pairing, command: Command, now: datetime
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
        matches = [t for t in tasks if words and words in task_text(t, secret).casefold()]
        if len(matches) != 1:
            reason = "no open task matches" if not matches else "more than one open task matches"
            return None, f"{command.line} ({reason}; write done and the task's number)"
    task = matches[0]
    task.state = TaskState.DONE
    task.done_at = now
    task.remind_at = None
    await task.save(using_db=connection)
    return f"Task {describe(task, secret)} is done. Well done!", None
