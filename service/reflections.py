"""Reflections and check-in answers: kept sealed for their writer, shared only on `share`."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.models import Pairing, Person, Reflection
from service.outbox import OutboxWriter, recipient_context
from service.pairings import Cast
from service.privacy import seal

PURPOSE = "reflection"
# The prompts whose free-text answers are reflections (see planning's topics).
REFLECTIVE_TOPICS = ("after", "checkin", "closure", "reflect")


async def keep_reflection(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    topic: str,
    lines: list[str],
    *,
    share: bool,
    inbound_id: int,
    now: datetime,
) -> str:
    """Store the answer sealed; with `share`, send it to the partner. Returns what was done."""
    text = "\n".join(lines).strip()
    await Reflection.create(
        using_db=connection,
        pairing=pairing,
        person=person,
        topic=topic[:40],
        sealed=seal(outbox.secret, text, PURPOSE),
        shared=share,
        created_at=now,
    )
    if not share:
        return "Thank you for your reflection. It is kept for you alone."
    cast = await Cast.load(connection, pairing)
    partner, role = cast.partner_of(person)
    await outbox.add(
        connection,
        kind="reflection_shared",
        dedupe_key=f"reflection_shared:inbound:{inbound_id}",
        to=(partner.name, partner.email),
        person=partner,
        pairing=pairing,
        now=now,
        context={
            **recipient_context(partner.name, partner.email, role, cast.program.name),
            "partner": {"name": person.name, "email": person.email},
            "text": text,
        },
    )
    return f"Thank you for your reflection. As you asked, {partner.name} receives it too."
