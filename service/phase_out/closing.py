"""Phasing out (guide section 4): a last meeting, the closure questions, then the record.

Three paths lead here: a participant's `phase out`, the projected end of the agreement,
and a coordinator's `close`. Each ends the same way: later meetings are cancelled, one last
meeting stays (or is set up), both get the guide's closure questions, and a few days after
the last meeting the pairing closes and each person receives the record of their mentoring.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.store import task_text
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.meetings.cadence import add_months
from service.meetings.invitations import add_meeting, cancel_meeting
from service.meetings.planning import MEETING_STATES
from service.outbox.writer import OutboxWriter
from service.program.guide import (
    CLOSURE_QUESTIONS_MENTEE,
    CLOSURE_QUESTIONS_MENTOR,
    LEAVING_GRACEFULLY,
)
from service.program.people import Cast
from service.program.schedule import first_meeting, format_span
from service.program.terms import Terms
from service.storage.db import transaction
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    PairingState,
    Person,
    Task,
    TaskState,
)
from service.storage.sealing import open_mail

log = logging.getLogger(__name__)

PATHS = ("participant", "projected_end", "coordinator")
# The record goes out a little after the last meeting, once its follow-up is written.
CLOSE_AFTER_LAST_MEETING = timedelta(days=2)


async def begin_phase_out(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    now: datetime,
    *,
    path: str,
    by: Person | None = None,
) -> str:
    """Start phasing out; returns what was done, in words for whoever asked."""
    assert path in PATHS
    if pairing.state in (PairingState.CLOSING, PairingState.CLOSED):
        return "This mentoring relationship is already phasing out."
    cast = await Cast.load(connection, pairing)
    last, cancelled = await _keep_last_meeting(connection, outbox, pairing, cast, now)
    pairing.state = PairingState.CLOSING
    pairing.closing_path = path
    pairing.closing_at = now
    pairing.plan_at = last.ends_at + CLOSE_AFTER_LAST_MEETING
    pairing.reevaluate_at = None
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    await _send_closure_questions(
        connection, outbox, pairing, cast, last, cancelled, now, path=path, by=by
    )
    log.info("pairing %s is phasing out (%s)", pairing.id, path)
    label = format_span(last.starts_at, last.ends_at, by.timezone if by else cast.mentor.timezone)
    return (
        f"Your mentoring relationship is phasing out. Meeting {last.number} on {label} is "
        "your last; you both get the guide's closure questions."
    )


async def _keep_last_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    now: datetime,
) -> tuple[Meeting, int]:
    """The next meeting stays as the last one and the later ones are cancelled, or, with none
    ahead, a last one is set up; returns it and how many were cancelled."""
    # The cadence's meetings; a private conversation already planned is left to happen.
    upcoming = await (
        Meeting.filter(pairing_id=pairing.id, cancelled=False, private=False, starts_at__gt=now)
        .order_by("starts_at")
        .using_db(connection)
    )
    reason = "Your mentoring relationship is phasing out"
    if upcoming:
        last = upcoming[0]
        for meeting in upcoming[1:]:
            await cancel_meeting(
                connection,
                outbox,
                meeting,
                pairing,
                cast,
                now,
                f"{reason}: meeting {last.number} is your last.",
                # The phasing-out letter says so at once: the calendar's own may wait.
                may_wait=True,
            )
        return last, len(upcoming) - 1
    # A last meeting to look back, say thank you and agree how to stay in touch.
    terms = Terms.from_json(pairing.terms)
    slot = first_meeting(terms, cast.mentor.timezone, now.date(), now)
    numbers = await Meeting.filter(pairing_id=pairing.id).using_db(connection).all()
    number = max((m.number for m in numbers), default=0) + 1
    return await add_meeting(connection, outbox, pairing, cast, number, slot, now), 0


async def _send_closure_questions(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    last: Meeting,
    cancelled: int,
    now: datetime,
    *,
    path: str,
    by: Person | None,
) -> None:
    """To each of the two: the guide's closure questions for their role, and the last meeting."""
    for person, role, partner, _ in cast.sides():
        await outbox.add(
            connection,
            kind=kinds.CLOSURE,
            dedupe_key=f"closure:pairing:{pairing.id}:person:{person.id}",
            to=cast.reader(person),
            about=About(Topic.CLOSURE, pairing.id),
            now=now,
            context={
                "partner": {"name": partner.name, "email": partner.email},
                "path": path,
                "started_by": None if by is None else ("you" if by.id == person.id else by.name),
                "projected_months": Terms.from_json(pairing.terms).projected_months,
                "last_meeting": {
                    "number": last.number,
                    "label": format_span(last.starts_at, last.ends_at, person.timezone),
                },
                "cancelled": cancelled,
                "questions": list(
                    CLOSURE_QUESTIONS_MENTEE if role == "mentee" else CLOSURE_QUESTIONS_MENTOR
                ),
                "advice": list(LEAVING_GRACEFULLY),
            },
        )


async def ends_due(outbox: OutboxWriter, now: datetime) -> int:
    """Start phasing out the pairings whose agreed length is over; returns how many.

    The planning tick issues no meeting past the projected end and leaves such a pairing
    due: here its last meeting is set up, both get the guide's closure questions, and it
    closes after that meeting.
    """
    ended = 0
    # The pairings due for planning, and of them those whose length is over: read in one
    # query, and only those locked.
    due = await Pairing.filter(
        state__in=MEETING_STATES, plan_at__lte=now, signed_at__isnull=False
    ).values_list("id", "signed_at", "terms")
    over = [
        int(pairing_id)
        for pairing_id, signed_at, terms in due
        if now >= add_months(signed_at, Terms.from_json(terms).projected_months)
    ]
    for pairing_id in over:
        async with transaction() as connection:
            pairing = await (
                Pairing.filter(id=pairing_id, state__in=MEETING_STATES, plan_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None:
                continue  # phased out by another worker meanwhile
            log.info("pairing %s reached its projected end", pairing.id)
            await begin_phase_out(connection, outbox, pairing, now, path="projected_end")
            ended += 1
    return ended


async def close_due(outbox: OutboxWriter, now: datetime) -> int:
    """Close the pairings whose last meeting is behind them; returns how many."""
    closed = 0
    due = await Pairing.filter(state=PairingState.CLOSING, plan_at__lte=now).values_list(
        "id", flat=True
    )
    for pairing_id in due:
        async with transaction() as connection:
            pairing = (
                await Pairing.filter(id=pairing_id, state=PairingState.CLOSING, plan_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None:
                continue  # closed by another worker meanwhile
            await close_pairing(connection, outbox, pairing, now)
            closed += 1
    return closed


async def close_pairing(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> None:
    """The pairing is over: each person gets the record of their own mentoring."""
    cast = await Cast.load(connection, pairing)
    pairing.state = PairingState.CLOSED
    pairing.closed_at = now
    pairing.plan_at = None
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    meetings = await (
        Meeting.filter(pairing_id=pairing.id, cancelled=False, starts_at__lte=now)
        .order_by("starts_at")
        .using_db(connection)
    )
    tasks = await Task.filter(pairing_id=pairing.id).order_by("number").using_db(connection)
    terms = Terms.from_json(pairing.terms)
    for person, _role, partner, _ in cast.sides():
        record = await personal_record(connection, outbox.secret, pairing, person)
        await outbox.add(
            connection,
            kind=kinds.CLOSURE_ARCHIVE,
            dedupe_key=f"closure_archive:pairing:{pairing.id}:person:{person.id}",
            to=cast.reader(person),
            now=now,
            attachments=[("mentoring-record.mbox", "application/mbox", record)],
            # The record holds their reflections and any private conversation: sealed too.
            private=True,
            context={
                "partner": {"name": partner.name, "email": partner.email},
                "goals": list(terms.goals),
                "frequency": terms.frequency.label,
                "signed_on": _day(pairing.signed_at, person),
                "closed_on": _day(now, person),
                "meetings": [
                    format_span(m.starts_at, m.ends_at, person.timezone) for m in meetings
                ],
                "done": [_task(t, outbox.secret) for t in tasks if t.state == TaskState.DONE],
                "open": [_task(t, outbox.secret) for t in tasks if t.state == TaskState.OPEN],
            },
        )
    log.info("pairing %s closed (%s)", pairing.id, pairing.closing_path or "-")


def _day(when: datetime | None, person: Person) -> str:
    if when is None:
        return "-"
    return format_span(when, when, person.timezone).partition(",")[0]


def _task(task: Task, secret: bytes) -> dict[str, Any]:
    return {"number": task.number, "text": task_text(task, secret)}


async def personal_record(
    connection: BaseDBAsyncClient, secret: bytes, pairing: Pairing, person: Person
) -> bytes:
    """An mbox of this person's mail in the pairing: what we sent them and what they wrote.

    Only their own side: the partner's replies (reflections, check-in answers) never go in.
    """
    sent = await OutboundMessage.filter(
        pairing_id=pairing.id, person_id=person.id, status=OutboundStatus.SENT
    ).using_db(connection)
    written = await InboundMessage.filter(
        pairing_id=pairing.id, person_id=person.id, status=InboundStatus.PROCESSED
    ).using_db(connection)
    stored = [(row.sent_at or row.created_at, row.raw_bytes, row.sealed) for row in sent]
    stored += [(row.received_at, row.raw_bytes, row.sealed) for row in written]
    # Opening a year's sealed mail and writing it to a file take a while: off the event loop.
    return await asyncio.to_thread(_mbox, secret, stored)


def _mbox(secret: bytes, stored: list[tuple[datetime, bytes, bool]]) -> bytes:
    """The messages, opened, in the order of their dates, as an mbox file's bytes."""
    dated = sorted(
        [(when, open_mail(secret, raw, sealed)) for when, raw, sealed in stored],
        key=lambda item: item[0],
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "record.mbox"
        box = mailbox.mbox(path, create=True)
        try:
            for _, raw in dated:
                box.add(raw)
            box.flush()
        finally:
            box.close()
        return path.read_bytes()
