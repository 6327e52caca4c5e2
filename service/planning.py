"""The planning tick: next meetings issued, and the prompts around them queued, once each."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.actions import describe, open_tasks, task_text
from service.app import AppContext
from service.db import transaction
from service.domain import guide
from service.domain.agreement import Terms
from service.domain.cadence import (
    add_months,
    local_day,
    meeting_slot,
    next_planning_at,
    numbers_to_plan,
)
from service.domain.commands import help_text
from service.domain.prompts import Prompt, meeting_prompts, takes_stock, within_waking_hours
from service.domain.schedule import format_date, format_span, next_after
from service.domain.tasks import task_reminders
from service.lifecycle import projected_end_reached
from service.models import (
    AgendaItem,
    Meeting,
    Pairing,
    PairingState,
    Person,
    Task,
    TaskState,
)
from service.outbox import OutboxWriter, recipient_context
from service.pairings import Cast, add_meeting, meeting_name
from service.performance import ask_for_summary

log = logging.getLogger(__name__)
# Meetings go on while the pair re-evaluates how often to meet.
MEETING_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING)
# The last meeting of a pairing that is phasing out still has its agenda and follow-up.
PROMPT_STATES = (*MEETING_STATES, PairingState.CLOSING)
HORIZON = 2  # meetings issued ahead: each its own event, so each can carry its own agenda


def projected_end(signed_at: datetime, months: int) -> datetime:
    return add_months(signed_at, months)


async def plan_meetings(app: AppContext) -> int:
    """Issue the meetings that should now lie within each due pairing's horizon.

    Only pairings whose `plan_at` has come are read, so a tick costs what is due, not what
    the program holds. Each is planned under its row lock, and its next `plan_at` is set in
    the same transaction.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    issued = 0
    due = await Pairing.filter(state__in=MEETING_STATES, plan_at__lte=now).values_list(
        "id", flat=True
    )
    for pairing_id in due:
        async with transaction() as connection:
            # The row lock makes two workers planning at once wait for each other.
            pairing = (
                await Pairing.filter(id=pairing_id, state__in=MEETING_STATES, plan_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None:
                continue  # planned by another worker meanwhile
            issued += await _plan_pairing(connection, outbox, pairing, now)
    if issued:
        log.info("planning issued %d meeting(s)", issued)
    app.count("meetings_issued", issued)
    return issued


async def _plan_pairing(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> int:
    meetings = await Meeting.filter(pairing_id=pairing.id).using_db(connection)
    first = next((m for m in meetings if m.number == 1), None)
    if first is None or pairing.signed_at is None:
        pairing.plan_at = None  # nothing to plan from; activation sets it again
        await pairing.save(using_db=connection, update_fields=["plan_at"])
        return 0
    terms = Terms.from_json(pairing.terms)
    end = projected_end(pairing.signed_at, terms.projected_months)
    if now >= end:
        await projected_end_reached(connection, outbox, pairing, now)
        return 0
    anchor_day = pairing.anchor_day or local_day(first.starts_at, first.tzid)
    wanted = numbers_to_plan(
        terms,
        first.tzid,
        anchor_day,
        {m.number for m in meetings},
        now,
        horizon=HORIZON,
        until=end,
        first_number=pairing.anchor_number,
    )
    if wanted:
        cast = await Cast.load(connection, pairing)
        for number in wanted:
            slot = meeting_slot(terms, first.tzid, anchor_day, number, pairing.anchor_number)
            await add_meeting(connection, outbox, pairing, cast, number, slot, now)
    pairing.plan_at = next_planning_at(
        terms, first.tzid, anchor_day, now, until=end, first_number=pairing.anchor_number
    )
    await pairing.save(using_db=connection, update_fields=["plan_at"])
    return len(wanted)


async def plan_prompts(app: AppContext) -> int:
    """Queue the prompts now due around each meeting, each reaching people in their daytime.

    Only meetings whose `prompt_at` has come are read; each is handled under its row lock and
    its next `prompt_at` set in the same transaction.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    due = await Meeting.filter(prompt_at__lte=now).values_list("id", flat=True)
    for meeting_id in due:
        async with transaction() as connection:
            meeting = await (
                Meeting.filter(id=meeting_id, prompt_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if meeting is None:
                continue  # handled by another worker meanwhile
            pairing = await Pairing.get(id=meeting.pairing_id, using_db=connection)
            if meeting.private:
                # A performance conversation's meeting brings one prompt: the mentor's summary.
                if meeting.cancelled or pairing.state not in PROMPT_STATES:
                    meeting.prompt_at = None
                elif now < meeting.ends_at:
                    meeting.prompt_at = meeting.ends_at  # moved later meanwhile
                else:
                    queued += await ask_for_summary(connection, outbox, meeting, pairing, now)
                    meeting.prompt_at = None
                await meeting.save(using_db=connection, update_fields=["prompt_at"])
                continue
            terms = Terms.from_json(pairing.terms)
            prompts = meeting_prompts(
                meeting.number, meeting.starts_at, meeting.ends_at, terms.frequency
            )
            if meeting.cancelled or pairing.state not in PROMPT_STATES:
                meeting.prompt_at = None
            else:
                queued += await _queue_prompts(
                    connection, outbox, meeting, pairing, terms, prompts, now
                )
                meeting.prompt_at = next_after((p.due for p in prompts), now)
            await meeting.save(using_db=connection, update_fields=["prompt_at"])
    app.count("prompts_queued", queued)
    return queued


async def _queue_prompts(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    terms: Terms,
    prompts: list[Prompt],
    now: datetime,
) -> int:
    due = [p for p in prompts if p.due <= now < p.stale]
    if not due:
        return 0  # a catch-up after the moment passed: too late to help
    queued = 0
    cast = await Cast.load(connection, pairing)
    for prompt in due:
        for person, role, partner, _ in cast.sides():
            if prompt.audience not in (role, "both"):
                continue
            send_at = within_waking_hours(now, person.timezone)
            if send_at >= prompt.stale:
                continue
            queued += await outbox.add(
                connection,
                kind=prompt.kind,
                dedupe_key=f"{prompt.kind}:meeting:{meeting.id}:person:{person.id}",
                to=(person.name, person.email),
                person=person,
                pairing=pairing,
                topic=f"{TOPICS[prompt.kind]}{meeting.id}",
                now=now,
                not_before=send_at,
                context=await prompt_context(
                    connection,
                    outbox.secret,
                    prompt.kind,
                    meeting,
                    terms,
                    cast,
                    person,
                    role,
                    partner,
                ),
            )
    return queued


TOPICS = {
    "agenda_request": "agenda",
    "agenda": "agenda",
    "after_meeting": "after",
    "mentor_checkin": "checkin",
}


async def prompt_context(
    connection: BaseDBAsyncClient,
    secret: bytes,
    kind: str,
    meeting: Meeting,
    terms: Terms,
    cast: Cast,
    person: Person,
    role: str,
    partner: Person,
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
    open_items = [describe(t, secret) for t in await open_tasks(connection, meeting.pairing_id)]
    if kind == "agenda_request":
        first = meeting.number == 1
        context |= {
            "goals": list(terms.goals),
            "open_items": open_items,
            "checklist": list(guide.FIRST_MEETING_CHECKLIST) if first else [],
            "talking_points": list(guide.FIRST_MEETING_TALKING_POINTS) if first else [],
        }
    elif kind == "agenda":
        items = await AgendaItem.filter(meeting_id=meeting.id).order_by("id").using_db(connection)
        context |= {"items": [i.text for i in items], "goals": list(terms.goals), "open_items": []}
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
