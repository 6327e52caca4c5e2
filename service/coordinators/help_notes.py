"""A participant's `help:` note: for their program's coordinators, in confidence."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.outbox.writer import COORDINATOR_NAME, OutboxWriter, Reader
from service.program.people import Cast
from service.storage.models import HelpNote, Pairing, Person, Program


async def pass_help_note(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    role: str,
    program: Program,
    note: str,
    inbound_id: int,
    now: datetime,
) -> None:
    """A participant's note to the program's coordinators: theirs alone, never a digest's."""
    assert program.coordinator_email
    # Kept for the program's digest (its coordinators only), and sent at once.
    await HelpNote.create(
        using_db=connection, pairing=pairing, person=person, text=note[:4000], created_at=now
    )
    cast = await Cast.load(connection, pairing)
    partner, _ = cast.partner_of(person)
    await outbox.add(
        connection,
        kind=kinds.HELP_NOTE,
        dedupe_key=f"help_note:inbound:{inbound_id}",
        to=Reader(COORDINATOR_NAME, program.coordinator_email, "coordinator", program.name),
        now=now,
        context={
            "writer": {"name": person.name, "email": person.email, "role": role},
            "partner": {"name": partner.name},
            "pairing_number": pairing.id,
            "note": note[:4000],
        },
    )
