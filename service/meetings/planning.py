"""The planning tick: next meetings issued, and the prompts around them queued, once each."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.rules import task_reminders
from service.action_items.store import describe, task_text
from service.app import AppContext
from service.meetings.cadence import (
    add_months,
    local_day,
    meeting_slot,
    next_planning_at,
    numbers_to_plan,
)
from service.meetings.invitations import add_meeting, meeting_name
from service.meetings.pausing import projected_end_reached
from service.meetings.prompt_rules import Prompt, meeting_prompts, takes_stock, within_waking_hours
from service.outbox.writer import OutboxWriter, Prepared, recipient_context
from service.performance.conversations import ask_for_summary
from service.program import guide
from service.program.grammar import help_text
from service.program.people import Cast
from service.program.schedule import format_date, format_span, next_after
from service.program.terms import Terms
from service.storage import statements
from service.storage.db import transaction
from service.storage.models import (
    AgendaItem,
    Meeting,
    Pairing,
    PairingState,
    Person,
    Task,
    TaskState,
)

log = logging.getLogger(__name__)
# Meetings go on while the pair re-evaluates how often to meet.
MEETING_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING)
# The last meeting of a pairing that is phasing out still has its agenda and follow-up.
PROMPT_STATES = (*MEETING_STATES, PairingState.CLOSING)
HORIZON = 2  # meetings issued ahead: each its own event, so each can carry its own agenda
# Due pairings and meetings are handled this many to a transaction: what a chunk needs is
# read in one query a table, and its emails are stored in one statement.
PLAN_CHUNK = 50


def projected_end(signed_at: datetime, months: int) -> datetime:
    return add_months(signed_at, months)


async def plan_meetings(app: AppContext) -> int:
    """Issue the meetings that should now lie within each due pairing's horizon.

    Only pairings whose `plan_at` has come are read, so a tick costs what is due, not what
    the program holds. They are planned a chunk at a time under row locks (another worker
    skips locked rows and takes the next chunk), each next `plan_at` set in the same
    transaction, and a chunk's invitations stored in one statement.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    issued = 0
    # Sorted here, not by the database: asked for them in id order, SQLite reads the whole
    # table in that order rather than the few due through the plan_at index.
    due = sorted(
        p.id for p in await Pairing.filter(state__in=MEETING_STATES, plan_at__lte=now).only("id")
    )
    for start in range(0, len(due), PLAN_CHUNK):
        async with transaction() as connection:
            issued += await _plan_chunk(connection, outbox, due[start : start + PLAN_CHUNK], now)
    if issued:
        log.info("planning issued %d meeting(s)", issued)
    app.count("meetings_issued", issued)
    return issued


async def _plan_chunk(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, ids: list[int], now: datetime
) -> int:
    locked = await (
        Pairing.filter(id__in=ids, state__in=MEETING_STATES, plan_at__lte=now)
        .select_for_update(skip_locked=True)
        .only("id")
        .using_db(connection)
    )
    if not locked:
        return 0  # planned by another worker meanwhile
    pairings = await statements.pairings_with_cast(connection, [p.id for p in locked])
    # The meetings' numbers and the first one's time, not whole rows: a weekly pairing a
    # year in has over fifty meetings, and planning needs only which numbers exist.
    ids = [pairing.id for pairing in pairings]
    numbers: dict[int, set[int]] = {pairing_id: set() for pairing_id in ids}
    for pairing_id, number in await (
        Meeting.filter(pairing_id__in=ids).using_db(connection).values_list("pairing_id", "number")
    ):
        numbers[pairing_id].add(number)
    firsts = {
        pairing_id: (starts_at, tzid)
        for pairing_id, starts_at, tzid in await Meeting.filter(pairing_id__in=ids, number=1)
        .using_db(connection)
        .values_list("pairing_id", "starts_at", "tzid")
    }
    invitations: list[Prepared] = []
    planned: list[Pairing] = []
    issued = 0
    for pairing in pairings:
        cast = Cast(program=pairing.program, mentor=pairing.mentor, mentee=pairing.mentee)
        count = await _plan_pairing(
            connection,
            outbox,
            pairing,
            cast,
            (firsts.get(pairing.id), numbers[pairing.id]),
            now,
            invitations,
        )
        if count is not None:
            issued += count
            planned.append(pairing)
    await outbox.add_many(connection, invitations)
    if planned:
        await Pairing.bulk_update(planned, fields=["plan_at"], using_db=connection)
    return issued


async def _plan_pairing(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    meetings: tuple[tuple[datetime, str] | None, set[int]],
    now: datetime,
    invitations: list[Prepared],
) -> int | None:
    """Meetings issued, their invitations prepared into `invitations`, `plan_at` set on the
    object for the caller to store; None when the pairing reached its end instead.
    `meetings`: the first meeting's start and zone, and the numbers already issued."""
    first, numbers = meetings
    if first is None or pairing.signed_at is None:
        pairing.plan_at = None  # nothing to plan from; activation sets it again
        return 0
    terms = Terms.from_json(pairing.terms)
    end = projected_end(pairing.signed_at, terms.projected_months)
    if now >= end:
        await projected_end_reached(connection, outbox, pairing, now)
        return None
    first_start, tzid = first
    anchor_day = pairing.anchor_day or local_day(first_start, tzid)
    wanted = numbers_to_plan(
        terms,
        tzid,
        anchor_day,
        numbers,
        now,
        horizon=HORIZON,
        until=end,
        first_number=pairing.anchor_number,
    )
    for number in wanted:
        slot = meeting_slot(terms, tzid, anchor_day, number, pairing.anchor_number)
        await add_meeting(connection, outbox, pairing, cast, number, slot, now, later=invitations)
    pairing.plan_at = next_planning_at(
        terms, tzid, anchor_day, now, until=end, first_number=pairing.anchor_number
    )
    return len(wanted)


async def plan_prompts(app: AppContext) -> int:
    """Queue the prompts now due around each meeting, each reaching people in their daytime.

    Only meetings whose `prompt_at` has come are read, a chunk at a time under row locks
    (another worker skips locked rows and takes the next chunk), and each meeting's next
    `prompt_at` is set in the same transaction as its prompts.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    # Sorted here, not by the database (see plan_meetings).
    due = sorted(m.id for m in await Meeting.filter(prompt_at__lte=now).only("id"))
    for start in range(0, len(due), PLAN_CHUNK):
        async with transaction() as connection:
            queued += await _prompt_chunk(connection, outbox, due[start : start + PLAN_CHUNK], now)
    app.count("prompts_queued", queued)
    return queued


@dataclass
class _Loaded:
    """What a chunk of meetings' prompts read, one query per table."""

    pairings: dict[int, Pairing]
    casts: dict[int, Cast]
    open_tasks: dict[int, list[Task]]
    agenda: dict[int, list[AgendaItem]]

    @classmethod
    async def load(cls, connection: BaseDBAsyncClient, meetings: list[Meeting]) -> _Loaded:
        pairing_ids = {meeting.pairing_id for meeting in meetings}
        pairings = {
            pairing.id: pairing
            for pairing in await statements.pairings_with_cast(connection, sorted(pairing_ids))
        }
        casts = {
            pairing_id: Cast(program=p.program, mentor=p.mentor, mentee=p.mentee)
            for pairing_id, p in pairings.items()
        }
        tasks: dict[int, list[Task]] = {pairing_id: [] for pairing_id in pairing_ids}
        for task in (
            await Task.filter(pairing_id__in=pairing_ids, state=TaskState.OPEN)
            .order_by("number")
            .using_db(connection)
        ):
            tasks[task.pairing_id].append(task)
        agenda: dict[int, list[AgendaItem]] = {meeting.id: [] for meeting in meetings}
        for item in (
            await AgendaItem.filter(meeting_id__in=list(agenda)).order_by("id").using_db(connection)
        ):
            agenda[item.meeting_id].append(item)
        return cls(pairings, casts, tasks, agenda)


async def _prompt_chunk(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, ids: list[int], now: datetime
) -> int:
    meetings = await (
        Meeting.filter(id__in=ids, prompt_at__lte=now)
        .select_for_update(skip_locked=True)
        .order_by("id")
        .using_db(connection)
    )
    if not meetings:
        return 0  # handled by another worker meanwhile
    loaded = await _Loaded.load(connection, meetings)
    queued = 0
    rows: list[Prepared] = []
    for meeting in meetings:
        pairing = loaded.pairings[meeting.pairing_id]
        if meeting.private:
            # A performance conversation's meeting brings one prompt: the mentor's summary.
            if meeting.cancelled or pairing.state not in PROMPT_STATES:
                meeting.prompt_at = None
            elif now < meeting.ends_at:
                meeting.prompt_at = meeting.ends_at  # moved later meanwhile
            else:
                queued += await ask_for_summary(connection, outbox, meeting, pairing, now)
                meeting.prompt_at = None
            continue
        terms = Terms.from_json(pairing.terms)
        prompts = meeting_prompts(
            meeting.number, meeting.starts_at, meeting.ends_at, terms.frequency
        )
        if meeting.cancelled or pairing.state not in PROMPT_STATES:
            meeting.prompt_at = None
        else:
            rows += _prompts(outbox, meeting, pairing, terms, prompts, loaded, now)
            meeting.prompt_at = next_after((p.due for p in prompts), now)
    queued += await outbox.add_many(connection, rows)
    await Meeting.bulk_update(meetings, fields=["prompt_at"], using_db=connection)
    return queued


def _prompts(
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    terms: Terms,
    prompts: list[Prompt],
    loaded: _Loaded,
    now: datetime,
) -> list[Prepared]:
    due = [p for p in prompts if p.due <= now < p.stale]
    if not due:
        return []  # a catch-up after the moment passed: too late to help
    rows = []
    cast = loaded.casts[pairing.id]
    open_items = [describe(t, outbox.secret) for t in loaded.open_tasks[pairing.id]]
    for prompt in due:
        for person, role, partner, _ in cast.sides():
            if prompt.audience not in (role, "both"):
                continue
            send_at = within_waking_hours(now, person.timezone)
            if send_at >= prompt.stale:
                continue
            rows.append(
                outbox.prepare(
                    kind=prompt.kind,
                    dedupe_key=f"{prompt.kind}:meeting:{meeting.id}:person:{person.id}",
                    to=(person.name, person.email),
                    person=person,
                    pairing=pairing,
                    topic=f"{TOPICS[prompt.kind]}{meeting.id}",
                    now=now,
                    not_before=send_at,
                    context=prompt_context(
                        prompt.kind,
                        meeting,
                        terms,
                        cast,
                        person,
                        role,
                        partner,
                        open_items,
                        [item.text for item in loaded.agenda[meeting.id]],
                    ),
                )
            )
    return rows


TOPICS = {
    "agenda_request": "agenda",
    "agenda": "agenda",
    "after_meeting": "after",
    "mentor_checkin": "checkin",
}


def prompt_context(
    kind: str,
    meeting: Meeting,
    terms: Terms,
    cast: Cast,
    person: Person,
    role: str,
    partner: Person,
    open_items: list[str],
    agenda_items: list[str],
) -> dict[str, Any]:
    context: dict[str, Any] = {
        **recipient_context(person.name, person.email, role, cast.program.name),
        "partner": {"name": partner.name, "email": partner.email},
        "meeting": {
            "label": format_span(meeting.starts_at, meeting.ends_at, person.timezone),
            "number": meeting.number,
            "name": meeting_name(meeting),
        },
        "help_text": help_text("general", role),
    }
    if kind == "agenda_request":
        first = meeting.number == 1
        context |= {
            "goals": list(terms.goals),
            "open_items": open_items,
            "checklist": list(guide.FIRST_MEETING_CHECKLIST) if first else [],
            "talking_points": list(guide.FIRST_MEETING_TALKING_POINTS) if first else [],
        }
    elif kind == "agenda":
        context |= {"items": agenda_items, "goals": list(terms.goals), "open_items": []}
    elif kind == "after_meeting":
        questions = guide.AFTER_FIRST_MEETING if meeting.number == 1 else guide.AFTER_EACH_MEETING
        stock = meeting.number > 1 and takes_stock(meeting.number, terms.frequency)
        context["questions"] = list(questions) + (list(guide.ONGOING_SUCCESS) if stock else [])
        # Where the taking-stock questions start in the numbered list (0: not this time).
        context["stock_from"] = len(questions) + 1 if stock else 0
    elif kind == "mentor_checkin":
        context["questions"] = list(guide.MENTOR_CHECKIN)
    return context


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
            if task.state != TaskState.OPEN or pairing.state not in MEETING_STATES:
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
            kind=reminder.kind,
            dedupe_key=f"{reminder.kind}:task:{task.id}:{reminder.key}",
            to=(owner.name, owner.email),
            person=owner,
            pairing=pairing,
            topic=f"task{task.id}",
            now=now,
            not_before=within_waking_hours(now, owner.timezone),
            context={
                **recipient_context(owner.name, owner.email, role, cast.program.name),
                "partner": {"name": partner.name, "email": partner.email},
                "task": {
                    "number": task.number,
                    "text": task_text(task, outbox.secret),
                    "due": format_date(task.due_date),
                },
                "help_text": help_text("general", role),
            },
            private=task.private,
        )
    )


async def plan_reevaluations(app: AppContext) -> int:
    """At the agreed point, ask both whether to keep, increase or decrease the frequency."""
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    due = await Pairing.filter(state=PairingState.ACTIVE, reevaluate_at__lte=now).values_list(
        "id", flat=True
    )
    for pairing_id in due:
        async with transaction() as connection:
            pairing = await (
                Pairing.filter(id=pairing_id, state=PairingState.ACTIVE, reevaluate_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None or pairing.signed_at is None:
                continue
            terms = Terms.from_json(pairing.terms)
            point = add_months(pairing.signed_at, terms.reevaluate_months)
            if point > now:  # the agreed point moved later: look again then
                pairing.reevaluate_at = point
                await pairing.save(using_db=connection, update_fields=["reevaluate_at"])
                continue
            pairing.state = PairingState.REEVALUATING
            pairing.reevaluate_at = None
            pairing.updated_at = now
            await pairing.save(using_db=connection)
            cast = await Cast.load(connection, pairing)
            held = (
                await Meeting.filter(
                    pairing_id=pairing.id, cancelled=False, private=False, ends_at__lt=now
                )
                .using_db(connection)
                .count()
            )
            for person, role, partner, _ in cast.sides():
                queued += await outbox.add(
                    connection,
                    kind="reevaluation",
                    dedupe_key=f"reevaluation:pairing:{pairing.id}:person:{person.id}",
                    to=(person.name, person.email),
                    person=person,
                    pairing=pairing,
                    topic=f"reeval{pairing.id}",
                    now=now,
                    not_before=within_waking_hours(now, person.timezone),
                    context={
                        **recipient_context(person.name, person.email, role, cast.program.name),
                        "partner": {"name": partner.name, "email": partner.email},
                        "months": terms.reevaluate_months,
                        "frequency": terms.frequency.label,
                        "held": held,
                        "goals": list(terms.goals),
                        "help_text": help_text("general", role),
                    },
                )
    app.count("reevaluations_queued", queued)
    return queued
