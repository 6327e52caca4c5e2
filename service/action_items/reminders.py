"""Reminders for action items: the day before they are due, then weekly while late, each
person's of one day in one email, and their late ones together in one notice a week."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from service.action_items.rules import (
    DayReminder,
    OpenTask,
    after_notice,
    day_reminders,
    in_answer,
    joins_weekly_notice,
    next_day,
    next_reminder,
    reminder_day,
)
from service.action_items.store import task_text
from service.app import AppContext
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.outbox.pacing import Pacer
from service.outbox.pacing_rules import local_day
from service.outbox.writer import OutboxWriter
from service.program.grammar import Grammar, help_text
from service.program.people import Cast
from service.program.schedule import format_date, local_instant, local_today, within_waking_hours
from service.storage.db import transaction
from service.storage.models import (
    OutboundMessage,
    OutboundStatus,
    Pairing,
    PairingState,
    Person,
    Task,
    TaskState,
)

# Reminders go while the pair meets.
REMIND_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING)


async def plan_task_reminders(app: AppContext) -> int:
    """Queue, for each person whose action items' reminders have come, one email a day
    listing those due soon and those late; returns how many emails were queued."""
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    # Made distinct and sorted here: asked to in SQL, SQLite walks the whole table by the
    # pairing's index instead of reading the few rows due by theirs.
    owners = await Task.filter(remind_at__lte=now).values_list("pairing_id", "owner_id")
    for pairing_id, owner_id in sorted(set(owners)):
        async with transaction() as connection:
            queued += await _remind_owner(connection, outbox, pairing_id, owner_id, now)
    app.count("task_reminders_queued", queued)
    return queued


async def _remind_owner(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing_id: int,
    owner_id: int,
    now: datetime,
) -> int:
    """One person's reminders come due in one pairing: their day's email(s), and when each
    task is looked at again."""
    tasks = await (
        Task.filter(pairing_id=pairing_id, owner_id=owner_id, remind_at__lte=now)
        .select_for_update()
        .order_by("number")
        .using_db(connection)
    )
    if not tasks:
        return 0
    pairing = await Pairing.get(id=pairing_id, using_db=connection)
    owner = await Person.get(id=owner_id, using_db=connection)
    reminding = pairing.state in REMIND_STATES
    open_tasks: list[OpenTask] = []
    for task in tasks:
        task.remind_at = None  # done, or the pair no longer meets: nothing more to remind of
        if reminding and task.state == TaskState.OPEN and task.due_date is not None:
            task.remind_at = next_reminder(task.due_date, owner.timezone, now)
            open_tasks.append(OpenTask(task.id, task.due_date, task.private))
    by_id = {task.id: task for task in tasks}
    waiting = await _waiting(connection, pairing_id, owner, now)
    pacer = Pacer(connection, now)
    due = {task.id: task.due for task in open_tasks}
    queued = 0
    for day in day_reminders(open_tasks, owner.timezone, now):
        joins = joins_weekly_notice(day, waiting[day.private], now)
        if joins is not None:
            for task_id in day.tasks:
                by_id[task_id].remind_at = joins
            continue
        # On a day that already brings them mail, the reminder takes a quieter one (the
        # email is named by the day it goes).
        at = await pacer.when(
            owner,
            within_waking_hours(now, owner.timezone),
            day.until(due, owner.timezone, now),
        )
        day = dataclasses.replace(day, day=local_day(at, owner.timezone))
        if await _queue_day(connection, outbox, day, pairing, owner, by_id, now, at):
            queued += 1
            for task_id in day.late:
                task = by_id[task_id]
                assert task.due_date is not None
                task.remind_at = after_notice(task.due_date, owner.timezone, at)
        else:
            # That day's email went before this reminder came: it waits for the next day's.
            for task_id in day.tasks:
                by_id[task_id].remind_at = next_day(now, owner.timezone)
    await Task.bulk_update(tasks, fields=["remind_at"], using_db=connection)
    return queued


async def _waiting(
    connection: BaseDBAsyncClient, pairing_id: int, owner: Person, now: datetime
) -> dict[bool, list[datetime]]:
    """When the owner's other late items, private and not, are next looked at."""
    today = reminder_day(now, owner.timezone)
    found: dict[bool, list[datetime]] = {False: [], True: []}
    for at, private in await (
        Task.filter(
            pairing_id=pairing_id,
            owner_id=owner.id,
            state=TaskState.OPEN,
            remind_at__gt=now,
            due_date__lt=today,
        )
        .using_db(connection)
        .values_list("remind_at", "private")
    ):
        found[bool(private)].append(at)
    return found


async def _queue_day(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    day: DayReminder,
    pairing: Pairing,
    owner: Person,
    tasks: dict[int, Task],
    now: datetime,
    at: datetime,
) -> bool:
    """The day's email, going `at`; False when one with its key was queued before."""
    cast = await Cast.load(connection, pairing)
    role = "mentor" if owner.id == cast.mentor.id else "mentee"
    partner = cast.mentee if role == "mentor" else cast.mentor
    return await outbox.add(
        connection,
        kind=kinds.KINDS[day.kind],
        dedupe_key=day.dedupe_key(pairing.id, owner.id),
        to=cast.reader(owner),
        # Replies name the tasks by number; they are about the pairing's work, not one row.
        about=About(Topic.PRIVATE if day.private else Topic.GENERAL),
        now=now,
        not_before=at,
        context={
            "partner": {"name": partner.name, "email": partner.email},
            "soon": [_listed(tasks[i], outbox.secret, day.day) for i in day.soon],
            "late": [_listed(tasks[i], outbox.secret, day.day) for i in day.late],
            "help_text": help_text(Grammar.EVERYDAY, role, today=day.day),
        },
        private=day.private,
    )


async def take_waiting_reminder(
    connection: BaseDBAsyncClient, pairing_id: int, person: Person, now: datetime, secret: bytes
) -> dict[str, list[dict[str, Any]]] | None:
    """A reminder of shared action items to `person` in this pairing that is to go today and
    has not gone, taken back to go inside the answer to their reply being written now: one
    email, not two. Returns what it lists, read again now (an item the reply marked done is
    no longer in it), or None when no such reminder waits or nothing is left to remind of."""
    today = local_today(now, person.timezone)
    taken = await (
        OutboundMessage.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pairing_id=pairing_id,
            person_id=person.id,
            kind__in=(kinds.TASK_REMINDER.name, kinds.TASK_OVERDUE.name),
            status=OutboundStatus.PENDING,
            dedupe_key__startswith="reminders:",
            not_before__lt=local_instant(today + timedelta(days=1), time.min, person.timezone),
        )
        .using_db(connection)
        .delete()
    )
    if not taken:
        return None
    tasks = await (
        Task.filter(
            pairing_id=pairing_id,
            owner_id=person.id,
            state=TaskState.OPEN,
            private=False,
            due_date__isnull=False,
        )
        .order_by("number")
        .using_db(connection)
    )
    by_id = {task.id: task for task in tasks}
    soon, late = in_answer(
        (OpenTask(task.id, task.due_date) for task in tasks if task.due_date), today
    )
    if not soon and not late:
        return None
    return {
        "soon": [_listed(by_id[i], secret, today) for i in soon],
        "late": [_listed(by_id[i], secret, today) for i in late],
    }


def _listed(task: Task, secret: bytes, day: date) -> dict[str, Any]:
    """One item as an email lists it on the reader's `day`."""
    assert task.due_date is not None
    return {
        "number": task.number,
        "text": task_text(task, secret),
        "due": format_date(task.due_date),
        "today": task.due_date == day,
    }
