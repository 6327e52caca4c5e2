"""Reflections and check-in answers: kept sealed for their writer, shared only on `share`."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.domain.guide import PRODUCTIVE, is_no, numbered_answers
from service.models import Meeting, Pairing, Person, Reflection
from service.outbox import OutboxWriter, recipient_context
from service.pairings import Cast
from service.privacy import seal, unseal

PURPOSE = "reflection"
# The prompts whose free-text answers are reflections (see planning's topics).
REFLECTIVE_TOPICS = ("after", "checkin", "closure", "reflect")


# Offered to the writer alone: never forwarded, never in a digest.
TWICE_NO = (
    'You answered no to "Is this relationship continuing to be productive?" twice in a '
    "row. That is worth acting on: raise it at your next meeting; if it is time to move on, "
    "write phase out and you both get the guide's advice on ending well; to ask your program "
    "coordinator for advice in confidence, write help: followed by your note."
)


async def _unproductive_twice(
    connection: BaseDBAsyncClient,
    secret: bytes,
    pairing: Pairing,
    person: Person,
    topic: str,
    text: str,
) -> bool:
    """A "no" to the productive question now and in the writer's previous answer."""
    if not is_no(numbered_answers(text).get(PRODUCTIVE)) or not await _later_meeting(
        connection, topic
    ):
        return False
    earlier = await (
        Reflection.filter(pairing_id=pairing.id, person_id=person.id, topic__startswith="after")
        .order_by("-id")
        .offset(1)
        .using_db(connection)
        .first()
    )
    if earlier is None or not await _later_meeting(connection, earlier.topic):
        return False
    previous = unseal(secret, bytes(earlier.sealed), PURPOSE)
    return is_no(numbered_answers(previous).get(PRODUCTIVE))


async def _later_meeting(connection: BaseDBAsyncClient, topic: str) -> bool:
    """After the first meeting the questions are the guide's "after each meeting" ones."""
    meeting_id = topic.removeprefix("after")
    if not meeting_id.isdigit():
        return False
    meeting = await Meeting.get_or_none(id=int(meeting_id), using_db=connection)
    return meeting is not None and meeting.number > 1


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
    said = "Thank you for your reflection."
    if topic.startswith("after") and await _unproductive_twice(
        connection, outbox.secret, pairing, person, topic, text
    ):
        said += " " + TWICE_NO
    if not share:
        return said + " It is kept for you alone."
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
    return f"{said} As you asked, {partner.name} receives it too."
