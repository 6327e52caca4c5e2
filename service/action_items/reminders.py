"""Reminders for action items: the day before they are due, then weekly while late."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.rules import task_reminders
from service.action_items.store import task_text
from service.app import AppContext
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.outbox.writer import OutboxWriter
from service.program.grammar import Grammar, help_text
from service.program.people import Cast
from service.program.schedule import format_date, next_after, within_waking_hours
from service.storage.db import transaction
from service.storage.models import Pairing, PairingState, Person, Task, TaskState

# Reminders go while the pair meets.
REMIND_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING)


async def plan_task_reminders(app: AppContext) -> int:
    """Queue reminders for open action items due soon, and weekly nudges for late ones."""
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    due = await Task.filter(remind_at__lte=now).values_list("id", flat=True)
    for task_id in due:
        async with transaction() as connection:
            task = await (
                Task.filter(id=task_id, remind_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if task is None:
                continue
            pairing = await Pairing.get(id=task.pairing_id, using_db=connection)
            owner = await Person.get(id=task.owner_id, using_db=connection)
            reminders = task_reminders(task.due_date, owner.timezone) if task.due_date else []
            if task.state != TaskState.OPEN or pairing.state not in REMIND_STATES:
                task.remind_at = None
            else:
                queued += await _queue_reminder(connection, outbox, task, pairing, owner, now)
                task.remind_at = next_after((r.due for r in reminders), now)
            await task.save(using_db=connection, update_fields=["remind_at"])
    app.count("task_reminders_queued", queued)
    return queued


async def _queue_reminder(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    task: Task,
    pairing: Pairing,
    owner: Person,
    now: datetime,
) -> int:
    assert task.due_date is not None
    due = [r for r in task_reminders(task.due_date, owner.timezone) if r.due <= now < r.stale]
    if not due:
        return 0
    cast = await Cast.load(connection, pairing)
    role = "mentor" if owner.id == cast.mentor.id else "mentee"
    partner = cast.mentee if role == "mentor" else cast.mentor
    reminder = due[-1]  # only the latest one still relevant
    return int(
        await outbox.add(
            connection,
            kind=kinds.KINDS[reminder.kind],
            dedupe_key=f"{reminder.kind}:task:{task.id}:{reminder.key}",
            to=cast.reader(owner),
            about=About(Topic.PRIVATE_TASK if task.private else Topic.TASK, task.id),
            now=now,
            not_before=within_waking_hours(now, owner.timezone),
            context={
                "partner": {"name": partner.name, "email": partner.email},
                "task": {
                    "number": task.number,
                    "text": task_text(task, outbox.secret),
                    "due": format_date(task.due_date),
                },
                "help_text": help_text(Grammar.EVERYDAY, role),
            },
            private=task.private,
        )
    )
