"""Calendar answers: accepted or declined meetings, and new times proposed from a calendar."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.mail.kinds import About, Topic
from service.mail.reading.itip import CalendarAnswer, answered_by, why_ignored
from service.mail.reading.parse import ParsedMessage
from service.meetings.invitations import meeting_name
from service.meetings.replan import move_meeting
from service.meetings.reschedule_rules import MAX_AHEAD
from service.outbox.writer import OutboxWriter
from service.program.people import Cast
from service.program.schedule import format_span
from service.storage.models import (
    Meeting,
    MeetingAnswer,
    Pairing,
    Person,
    ProposalState,
    TimeProposal,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    """Whether a calendar's answer changed anything, and what, for the log."""

    applied: bool
    reason: str


# "accept", "Accepted.", "yes, that works": the answer to a proposed time.
ACCEPT = re.compile(r"^(?:accept(?:ed)?|yes|ok(?:ay)?|agreed?)\b", re.IGNORECASE)


async def meeting_by_uid(connection: BaseDBAsyncClient, uid: str) -> Meeting | None:
    """The meeting a calendar's answer is about: our UIDs are random (uuid4), so one names
    one meeting of one installation, and nobody can compute another."""
    return await Meeting.filter(uid=uid).using_db(connection).first()


def invited_person(cast: Cast, signed_for: Person | None, parsed: ParsedMessage) -> Person | None:
    """Which of the two answered (`itip.answered_by`): None when the answer is not one we
    take from them."""
    answer = parsed.answer
    assert answer is not None
    email = answered_by(
        answer,
        invited=(cast.mentor.email, cast.mentee.email),
        signed_for=signed_for.email if signed_for is not None else None,
        sender=parsed.from_addr,
        reply_to=parsed.reply_to,
    )
    return next((p for p in (cast.mentor, cast.mentee) if p.email == email), None)


async def calendar_answer(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    meeting: Meeting,
    answer: CalendarAnswer,
    now: datetime,
) -> Taken:
    """Record a REPLY (INTEROP rules 15–17) or offer a COUNTER to the other person (18):
    `person` answered (`invited_person`) about `meeting`, a meeting of their `pairing`."""
    if meeting.cancelled:
        return Taken(False, f"calendar answer to cancelled meeting {meeting.id}")
    ignored = why_ignored(
        answer,
        uid=meeting.uid,
        attendees=(cast.mentor.email, cast.mentee.email),
        sender=person.email,
    )
    if ignored is not None:
        return Taken(False, f"calendar answer {ignored}")
    if answer.method == "COUNTER":
        return await _proposal(connection, outbox, pairing, cast, person, meeting, answer, now)
    return await _reply(connection, outbox, pairing, cast, person, meeting, answer, now)


async def _reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    meeting: Meeting,
    answer: CalendarAnswer,
    now: datetime,
) -> Taken:
    """Accepted, declined or maybe: the newest answer written stands; a decline is passed
    on to the other person."""
    assert answer.partstat is not None
    answered_at = answer.stamp or now
    existing = await MeetingAnswer.get_or_none(
        meeting_id=meeting.id, person_id=person.id, using_db=connection
    )
    if existing is not None and existing.answered_at > answered_at:
        # Rule 17: answers arrive out of order; the newest written one stands.
        log.info("meeting %s: an older calendar answer arrived late, kept the newer", meeting.id)
        return Taken(False, "older than the calendar answer on record")
    declined_now = answer.partstat == "DECLINED" and (
        existing is None or existing.partstat != "DECLINED"
    )
    if existing is None:
        await MeetingAnswer.create(
            using_db=connection,
            meeting=meeting,
            person=person,
            partstat=answer.partstat,
            comment=answer.comment,
            answered_at=answered_at,
            received_at=now,
        )
    else:
        existing.partstat = answer.partstat
        existing.comment = answer.comment
        existing.answered_at = answered_at
        existing.received_at = now
        await existing.save(using_db=connection)
    if declined_now:
        await _tell_partner_declined(
            connection, outbox, pairing, cast, person, meeting, answer, now
        )
    return Taken(True, f"meeting {meeting.id}: {answer.partstat.lower()}")


async def _tell_partner_declined(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    meeting: Meeting,
    answer: CalendarAnswer,
    now: datetime,
) -> None:
    partner, _role = cast.partner_of(person)
    await outbox.add(
        connection,
        kind=kinds.MEETING_DECLINED,
        dedupe_key=f"declined:meeting:{meeting.id}:seq:{meeting.sequence}:by:{person.id}",
        to=cast.reader(partner),
        about=About.meeting(meeting.id, private=meeting.private),
        now=now,
        context={
            "partner": {"name": person.name, "email": person.email},
            "meeting": _meeting_for(meeting, partner),
            "comment": answer.comment,
            "example": _next_day_example(meeting, partner),
        },
        private=meeting.private,
    )


def _meeting_for(meeting: Meeting, reader: Person) -> dict[str, object]:
    return {
        "number": meeting.number,
        "name": meeting_name(meeting),
        "label": format_span(meeting.starts_at, meeting.ends_at, reader.timezone),
    }


def _next_day_example(meeting: Meeting, person: Person) -> str:
    """ "Fri Dec 4 15:00": the same time a day later, as a `reschedule:` example."""
    day = meeting.starts_at.astimezone(ZoneInfo(person.timezone)) + timedelta(days=1)
    return f"{day:%a %b} {day.day} {day:%H:%M}"


async def _proposal(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    meeting: Meeting,
    answer: CalendarAnswer,
    now: datetime,
) -> Taken:
    start, end = answer.proposed_start, answer.proposed_end
    assert start is not None
    if start <= now:
        return Taken(False, "proposed time has passed")
    if start > now + MAX_AHEAD:
        # As far as a written reschedule may go; the last day there is has no room for its end.
        return Taken(False, "proposed time is more than four months ahead")
    if end is None or end <= start:
        end = start + (meeting.ends_at - meeting.starts_at)
    # A newer proposal replaces an older one that nobody accepted.
    await (
        TimeProposal.filter(meeting_id=meeting.id, state=ProposalState.OPEN)
        .using_db(connection)
        .update(state=ProposalState.SUPERSEDED)
    )
    proposal = await TimeProposal.create(
        using_db=connection,
        meeting=meeting,
        proposer=person,
        starts_at=start,
        ends_at=end,
        comment=answer.comment,
        created_at=now,
    )
    partner, _role = cast.partner_of(person)
    await outbox.add(
        connection,
        kind=kinds.TIME_PROPOSED,
        dedupe_key=f"proposal:{proposal.id}:to:{partner.id}",
        to=cast.reader(partner),
        about=About(Topic.PRIVATE_PROPOSAL if meeting.private else Topic.PROPOSAL, proposal.id),
        now=now,
        context={
            "partner": {"name": person.name, "email": person.email},
            "meeting": _meeting_for(meeting, partner),
            "proposed": {"label": format_span(start, end, partner.timezone)},
            "comment": answer.comment,
        },
        private=meeting.private,
    )
    return Taken(True, f"meeting {meeting.id}: new time proposed")


async def answer_proposal(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    proposal_id: int,
    visible_text: str,
    now: datetime,
) -> tuple[str | None, str | None] | None:
    """`accept` in answer to a proposed time moves the meeting; returns (done, problem), or
    None when the reply does not accept (other commands in it are applied as usual)."""
    lines = [line.strip() for line in visible_text.splitlines() if line.strip()]
    if not any(ACCEPT.match(line) for line in lines):
        return None
    proposal = (
        await TimeProposal.filter(id=proposal_id, meeting__pairing_id=pairing.id)
        .using_db(connection)
        .first()
    )
    if proposal is None:
        return None, "accept (there is no proposed time to accept here)"
    if proposal.proposer_id == person.id:
        return None, "accept (this is your own proposal; it waits for the other person)"
    meeting = await Meeting.get(id=proposal.meeting_id, using_db=connection)
    if proposal.state != ProposalState.OPEN or meeting.cancelled:
        return None, "accept (this proposal was replaced or the meeting was cancelled)"
    if proposal.starts_at <= now:
        return None, "accept (the proposed time has passed)"
    proposer = await Person.get(id=proposal.proposer_id, using_db=connection)
    await move_meeting(
        connection,
        outbox,
        pairing,
        meeting,
        proposal.starts_at,
        proposal.ends_at,
        f"Moved to the time you proposed; {person.name} accepted.",
        now,
        mover=person,
        own_note=f"Moved to the time {proposer.name} proposed, as you accepted.",
    )
    proposal.state = ProposalState.ACCEPTED
    await proposal.save(using_db=connection)
    label = format_span(meeting.starts_at, meeting.ends_at, person.timezone)
    return (
        f"Meeting {meeting.number} is moved to {label}; you both get an updated invitation.",
        None,
    )
