"""Calendar answers as each kind of calendar sends them, through the inbound path on
embedded defaults (SQLite, the local mail folders): each heard once, a forged one never.

The styles, each a decline of one invitation: a server that names only itself and sends to
the signed ORGANIZER; the attendee's own client writing to the plain address (a tag lost);
Nextcloud and SabreDAV, `From:` the server and `Reply-To:` the attendee, to the plain
address; and the same server style where the deployment's delimiter is `-` (the ORGANIZER
`mentorship-<token>@…`) or `none` (the ORGANIZER the plain address). The forgeries: a
server answering for a stranger with a participant's ATTENDEE and the right UID, and a
stranger's calendar answering an invitation forwarded to it, to the participant's ORGANIZER.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import datetime
from mailbox import Maildir
from pathlib import Path

from bench.common import roster, service
from reliability.common import START, process_all
from service.agreement.activation import activate
from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.config import Delimiter
from service.outbox.writer import OutboxWriter, wire_bytes
from service.program.roster import read_roster
from service.storage.db import transaction
from service.storage.models import Meeting, MeetingAnswer, OutboundMessage, Pairing, Person
from tests.mail import calendar_answer

SERVER = "no-reply@cloud.university.example"
STRANGER = "mallory@elsewhere.example"

# (the invitation, the answering person's address, the plain address) → the answer's bytes
Style = Callable[[bytes, str, str], bytes]


def _own_organizer(invitation: bytes, sender: str, plain: str) -> bytes:
    """Only the signed ORGANIZER it was sent to says whose answer it is."""
    return calendar_answer(
        invitation, sender=sender, partstat="DECLINED", client="nextcloud", answering_for=SERVER
    )


def _from_attendee(invitation: bytes, sender: str, plain: str) -> bytes:
    return calendar_answer(invitation, sender=sender, partstat="DECLINED", client="apple", to=plain)


def _server_for_attendee(invitation: bytes, sender: str, plain: str) -> bytes:
    return calendar_answer(
        invitation, sender=sender, partstat="DECLINED", client="nextcloud", to=plain
    )


def _server_to_organizer(invitation: bytes, sender: str, plain: str) -> bytes:
    return calendar_answer(invitation, sender=sender, partstat="DECLINED", client="nextcloud")


def _server_for_stranger(invitation: bytes, sender: str, plain: str) -> bytes:
    return calendar_answer(
        invitation,
        sender=sender,
        partstat="DECLINED",
        client="nextcloud",
        to=plain,
        answering_for=STRANGER,
    )


def _stranger_forwarded(invitation: bytes, sender: str, plain: str) -> bytes:
    return calendar_answer(invitation, sender=STRANGER, partstat="DECLINED", client="nextcloud")


# Figure name, delimiter, style: each on a pairing of its own.
HEARD: tuple[tuple[str, Delimiter, Style], ...] = (
    ("calendar_server_reply_recorded_organizer", "+", _own_organizer),
    ("calendar_server_reply_recorded_attendee", "+", _from_attendee),
    ("calendar_server_reply_recorded_nextcloud", "+", _server_for_attendee),
    ("calendar_server_reply_recorded_dash", "-", _server_to_organizer),
    ("calendar_server_reply_recorded_none", "none", _server_to_organizer),
)
FORGED: tuple[Style, ...] = (_server_for_stranger, _stranger_forwarded)


async def _invitation(app: AppContext, mentee: Person) -> tuple[Meeting, bytes]:
    row = (
        await OutboundMessage.filter(person_id=mentee.id, kind="invitation").order_by("id").first()
    )
    assert row is not None, f"no invitation for {mentee.email}"
    assert row.topic_ref is not None
    return await Meeting.get(id=row.topic_ref), wire_bytes(row, app.secret)


async def _declines(app: AppContext, pairing: Pairing, style: Style) -> tuple[bool, bool]:
    """The mentee's decline sent in this style: whether it is on record, and whether the
    mentor was told of it."""
    mentor, mentee = await pairing.mentor, await pairing.mentee
    meeting, invitation = await _invitation(app, mentee)
    told_before = await _told(mentor)
    Maildir(app.settings.inbox_dir).add(
        style(invitation, mentee.email, app.settings.service_address)
    )
    await process_all(app)
    recorded = await MeetingAnswer.filter(
        meeting_id=meeting.id, person_id=mentee.id, partstat="DECLINED"
    ).exists()
    return recorded, await _told(mentor) > told_before


async def _told(person: Person) -> int:
    return await OutboundMessage.filter(person_id=person.id, kind="meeting_declined").count()


async def _program(
    app: AppContext, delimiter: Delimiter, pairs: int, now: datetime
) -> list[Pairing]:
    """`pairs` pairs of their own program, agreed, their invitations written on a deployment
    with this delimiter."""
    # As if the deployment had set MENTORMAIL_ADDRESS_DELIMITER (its address holds none).
    app.settings = app.settings.model_copy(update={"address_delimiter": delimiter})
    outbox = OutboxWriter(app.settings, app.secret)
    tag = {"+": "plus", "-": "dash", "none": "none", ".": "dot"}[delimiter]
    csv = roster(pairs, now.date(), program=f"Calendars {tag}").decode()
    for domain in ("@hospital.example", "@university.example"):
        csv = csv.replace(domain, f".{tag}{domain}")  # people of their own
    await import_roster(read_roster(csv.encode(), now.date()), outbox, now)
    pairings = await Pairing.filter(program__name=f"Calendars {tag}").order_by("id")
    for pairing in pairings:
        async with transaction() as connection:
            pairing.mentor_agreed_at = pairing.mentee_agreed_at = now
            await activate(connection, outbox, pairing, now)
    return pairings


async def _scenario(folder: Path) -> dict[str, int]:
    figures: dict[str, int] = {}
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        for delimiter in ("+", "-", "none"):
            heard = [(name, style) for name, d, style in HEARD if d == delimiter]
            styles = [style for _, style in heard] + (list(FORGED) if delimiter == "+" else [])
            pairings = await _program(app, delimiter, len(styles), clock.now())
            results = [
                await _declines(app, pairing, style)
                for pairing, style in zip(pairings, styles, strict=True)
            ]
            for (name, _), (recorded, told) in zip(heard, results, strict=False):
                figures[name] = int(recorded and told)
            if delimiter == "+":
                figures["calendar_forged_reply_accepted"] = sum(
                    int(recorded or told) for recorded, told in results[len(heard) :]
                )
    return figures


def run() -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder)))
