"""Changing how often a pair meets: keep the next meeting, cancel the rest, re-plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.domain.agreement import Frequency, Terms
from service.domain.cadence import local_day, meeting_day
from service.domain.schedule import first_meeting, format_span
from service.mail.calendar import build_ics
from service.models import Meeting, Pairing, Person
from service.outbox import OutboxWriter, recipient_context
from service.pairings import Cast, meeting_event


async def cancel_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    now: datetime,
    reason: str | None,
) -> None:
    """METHOD:CANCEL with a higher SEQUENCE to each attendee (INTEROP rule 13)."""
    meeting.sequence += 1
    meeting.cancelled = True
    meeting.prompt_at = None
    await meeting.save(using_db=connection)
    for person, role, partner, _ in cast.sides():
        topic = f"meeting{meeting.id}"
        event = meeting_event(outbox, meeting, pairing, cast, person, "This meeting is cancelled.")
        await outbox.add(
            connection,
            kind="cancellation",
            dedupe_key=f"cancel:meeting:{meeting.id}:seq:{meeting.sequence}:person:{person.id}",
            to=(person.name, person.email),
            person=person,
            pairing=pairing,
            topic=topic,
            now=now,
            calendar=(build_ics(event, "CANCEL", now), "CANCEL"),
            context={
                **recipient_context(person.name, person.email, role, cast.program.name),
                "partner": {"name": partner.name, "email": partner.email},
                "meeting": {
                    "label": format_span(meeting.starts_at, meeting.ends_at, person.timezone),
                    "number": meeting.number,
                },
                "reason": reason,
            },
        )


async def change_frequency(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    writer: Person,
    frequency: Frequency,
    now: datetime,
) -> str:
    """Re-plan the cadence from the next meeting on; returns what was done, in words.

    The next meeting stays as it is (people have planned around it); the ones issued after it
    are cancelled, and the planning tick issues the new series from there.
    """
    terms = Terms.from_json(pairing.terms)
    if frequency == terms.frequency:
        return f"You keep meeting {frequency.label}."
    cast = await Cast.load(connection, pairing)
    meetings = await Meeting.filter(pairing_id=pairing.id).order_by("number").using_db(connection)
    upcoming = [m for m in meetings if not m.cancelled and m.starts_at > now]
    reason = f"{writer.name} changed how often you meet to {frequency.label}."
    for meeting in upcoming[1:]:
        await cancel_meeting(connection, outbox, meeting, pairing, cast, now, reason)
    next_number = max((m.number for m in meetings), default=0) + 1
    new_terms = replace(terms, frequency=frequency)
    if upcoming:
        kept = upcoming[0]
        pairing.anchor_day = meeting_day(local_day(kept.starts_at, kept.tzid), frequency, 2)
    else:
        slot = first_meeting(new_terms, cast.mentor.timezone, now.date(), now)
        pairing.anchor_day = local_day(slot.start, slot.tzid)
    pairing.anchor_number = next_number
    pairing.terms = new_terms.to_json()
    pairing.plan_at = now  # the next tick issues the new series
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    cancelled = len(upcoming) - 1 if upcoming else 0
    note = (
        f"; {cancelled} later meeting(s) were cancelled and will be re-issued" if cancelled else ""
    )
    return f"From now on you meet {frequency.label}{note}."
