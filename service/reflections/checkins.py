"""Reflections and check-in answers: kept sealed for their writer, shared only on `share`."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.outbox.writer import OutboxWriter
from service.program.guide import WATCHED, is_no, numbered_answers
from service.program.people import Cast
from service.storage.models import Meeting, Pairing, Person, Reflection
from service.storage.sealing import REFLECTION, seal, unseal

PURPOSE = REFLECTION
# The prompts whose free-text answers are reflections (see planning's topics).
REFLECTIVE_TOPICS = ("after", "checkin", "closure", "reflect")


# Offered to the writer alone: never forwarded, never in a digest.
TWICE_NO = (
    'You answered no to "{question}" twice in a row. That is worth acting on: raise it at '
    "your next meeting; if it is time to move on, write phase out and you both get the "
    "guide's advice on ending well; to ask your program coordinator for advice in "
    "confidence, write help: followed by your note."
)


async def _twice_no(
    connection: BaseDBAsyncClient,
    secret: bytes,
    pairing: Pairing,
    person: Person,
    topic: str,
    text: str,
) -> list[str]:
    """The watched questions ("productive?", "needs met?") answered no now and in the
    writer's previous answer to the same question; after the first meeting only."""
    answers = numbered_answers(text)
    now_no = [n for n in WATCHED if is_no(answers.get(n))]
    if not now_no or not await _later_meeting(connection, topic):
        return []
    earlier = await (
        Reflection.filter(pairing_id=pairing.id, person_id=person.id, topic__startswith="after")
        .order_by("-id")
        .offset(1)
        .limit(12)
        .using_db(connection)
    )
    found: list[str] = []
    for number in now_no:
        for row in earlier:
            if not await _later_meeting(connection, row.topic):
                continue
            previous = numbered_answers(unseal(secret, bytes(row.sealed), PURPOSE)).get(number)
            if previous is not None:
                if is_no(previous):
                    found.append(WATCHED[number])
                break
    return found


async def _later_meeting(connection: BaseDBAsyncClient, topic: str) -> bool:
    """After the first meeting the questions are the guide's "after each meeting" ones."""
    meeting_id = topic.removeprefix("after")
    if not meeting_id.isdigit():
        return False
    meeting = await Meeting.get_or_none(id=int(meeting_id), using_db=connection)
    return meeting is not None and meeting.number > 1


THANKS = "Thank you for your reflection."
# Said to a reflection kept as every one is, as the email asking for it promised: a courtesy,
# which alone is no reason for an email of its own.
KEPT = f"{THANKS} It is kept for you alone."


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
    said = THANKS
    if topic.startswith("after"):
        for question in await _twice_no(connection, outbox.secret, pairing, person, topic, text):
            said += " " + TWICE_NO.format(question=question)
    if not share:
        return KEPT if said == THANKS else said + " It is kept for you alone."
    cast = await Cast.load(connection, pairing)
    partner, _role = cast.partner_of(person)
    await outbox.add(
        connection,
        kind=kinds.REFLECTION_SHARED,
        dedupe_key=f"reflection_shared:inbound:{inbound_id}",
        to=cast.reader(partner),
        now=now,
        context={
            "partner": {"name": person.name, "email": person.email},
            "text": text,
        },
    )
    return f"{said} As you asked, {partner.name} receives it too."
