"""Pausing a pairing's meetings and reminders, and resuming them."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.writing.words import counted
from service.meetings.cadence import local_day
from service.meetings.invitations import cancel_meeting
from service.outbox.writer import OutboxWriter
from service.program.people import Cast
from service.program.schedule import first_meeting, format_span
from service.program.terms import Terms
from service.storage.models import Meeting, Pairing, PairingState

log = logging.getLogger(__name__)


async def pause_pairing(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    now: datetime,
    reason: str,
) -> str:
    """Meetings and reminders stop: the upcoming meetings are cancelled in both calendars."""
    if pairing.state not in (PairingState.ACTIVE, PairingState.REEVALUATING):
        return f"pairing {pairing.id} is {pairing.state.value}, so it was not paused"
    cast = await Cast.load(connection, pairing)
    upcoming = await Meeting.filter(
        pairing_id=pairing.id, cancelled=False, private=False, starts_at__gt=now
    ).using_db(connection)
    for meeting in upcoming:
        await cancel_meeting(connection, outbox, meeting, pairing, cast, now, reason)
    pairing.state = PairingState.PAUSED
    pairing.plan_at = None
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    return (
        f"Pairing {pairing.id} ({cast.mentor.name} and {cast.mentee.name}) is paused; "
        f"{counted(len(upcoming), 'upcoming meeting')} cancelled in both calendars."
    )


async def resume_pairing(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> str:
    """Meetings start again on the agreed cadence, from the next agreed weekday and time."""
    if pairing.state != PairingState.PAUSED:
        return f"pairing {pairing.id} is {pairing.state.value}, not paused: nothing to resume"
    cast = await Cast.load(connection, pairing)
    terms = Terms.from_json(pairing.terms)
    slot = first_meeting(terms, cast.mentor.timezone, now.date(), now)
    last = await (
        Meeting.filter(pairing_id=pairing.id).order_by("-number").using_db(connection).first()
    )
    pairing.anchor_day = local_day(slot.start, slot.tzid)
    pairing.anchor_number = (last.number if last and last.number > 0 else 0) + 1
    pairing.state = PairingState.ACTIVE
    pairing.plan_at = now  # the next tick issues the series from there
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    label = format_span(slot.start, slot.end, cast.mentor.timezone)
    return (
        f"Pairing {pairing.id} ({cast.mentor.name} and {cast.mentee.name}) is resumed; the "
        f"next meeting is {label}, and both get the invitation."
    )
