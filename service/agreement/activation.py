"""Both have agreed: the pairing is signed, its first meeting planned and its exercises sent."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.requests import drop_waiting_forms, terms_context
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.meetings.cadence import add_months, local_day
from service.meetings.invitations import add_meeting, off_holidays
from service.outbox.writer import OutboxWriter
from service.program.people import Cast, who
from service.program.schedule import (
    first_meeting,
    format_day,
    format_span,
    within_waking_hours,
)
from service.program.terms import GROUND_RULES, Terms
from service.reflections.exercises import queue_exercises
from service.storage.models import Meeting, Pairing, PairingState, Person


async def activate(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    now: datetime,
    writer: Person | None = None,
) -> Meeting:
    """Both have agreed: sign, plan the first meeting and invite both, in one transaction.
    The signed agreement answers the `writer`'s "I agree" at once, and reaches the other in
    their own daytime."""
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    terms = Terms.from_json(pairing.terms)
    pairing.state = PairingState.ACTIVE
    pairing.signed_at = now
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    await drop_waiting_forms(connection, pairing.id)
    assert pairing.mentor_agreed_at is not None and pairing.mentee_agreed_at is not None
    agreed = first_meeting(terms, mentor.timezone, pairing.start_date, now)
    # The cadence counts from the agreed day, even when the first meeting moves off a
    # holiday (to the `slot` its invitation gives).
    pairing.anchor_day = local_day(agreed.start, agreed.tzid)
    slot, _ = off_holidays(agreed, cast.program)
    for person, _role, partner, partner_role in cast.sides():
        await outbox.add(
            connection,
            kind=kinds.AGREEMENT_SIGNED,
            dedupe_key=f"agreement_signed:pairing:{pairing.id}:person:{person.id}",
            to=cast.reader(person),
            about=About(Topic.AGREEMENT),
            now=now,
            not_before=now
            if writer is not None and person.id == writer.id
            else within_waking_hours(now, person.timezone),
            context={
                "partner": who(partner, partner_role),
                "terms": terms_context(terms, mentor.timezone, person.timezone, pairing.start_date),
                "ground_rules": list(GROUND_RULES),
                "mentor": {"name": mentor.name},
                "mentee": {"name": mentee.name},
                "mentor_signed_on": format_day(pairing.mentor_agreed_at, mentor.timezone),
                "mentee_signed_on": format_day(pairing.mentee_agreed_at, mentee.timezone),
                "first_meeting": format_span(slot.start, slot.end, person.timezone),
            },
        )
    meeting = await add_meeting(connection, outbox, pairing, cast, 1, agreed, now)
    await queue_exercises(
        connection, outbox, pairing, cast, format_span(slot.start, slot.end, mentor.timezone), now
    )
    # The next tick issues the rest of the horizon; the re-evaluation is asked at its point.
    pairing.plan_at = now
    pairing.reevaluate_at = add_months(now, terms.reevaluate_months)
    await pairing.save(
        using_db=connection, update_fields=["plan_at", "reevaluate_at", "anchor_day"]
    )
    return meeting
