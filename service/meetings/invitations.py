"""A meeting as a calendar event: its invitations, updates and cancellations."""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.mail.kinds import About
from service.mail.writing.calendar import EventSpec, Participant, build_ics
from service.meetings.prompt_rules import meeting_prompts
from service.outbox.writer import Mail, OutboxWriter, Prepared
from service.program.people import Cast, who
from service.program.schedule import Slot, format_span
from service.program.terms import Terms, notice_label
from service.storage.models import Meeting, Pairing, Person


async def add_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    number: int,
    slot: Slot,
    now: datetime,
    *,
    later: list[Prepared] | None = None,
) -> Meeting:
    """A new meeting with its permanent UID, and an invitation to each of the two (queued
    now, or prepared into `later` for the caller to queue with others)."""
    domain = outbox.settings.service_address.partition("@")[2]
    frequency = Terms.from_json(pairing.terms).frequency
    prompts = meeting_prompts(number, slot.start, slot.end, frequency)
    meeting = await Meeting.create(
        using_db=connection,
        pairing=pairing,
        number=number,
        uid=f"{uuid.uuid4()}@{domain}",
        sequence=0,
        starts_at=slot.start,
        ends_at=slot.end,
        tzid=slot.tzid,
        prompt_at=min(p.due for p in prompts),
        created_at=now,
    )
    for person, role, partner, _ in cast.sides():
        mail = invitation_mail(outbox, meeting, pairing, cast, person, role, partner, now)
        if later is None:
            await outbox.add(connection, **mail)
        else:
            later.append(outbox.prepare(**mail))
    return meeting


def meeting_name(meeting: Meeting) -> str:
    """How mail names a meeting: its number, or, for a performance conversation, nothing more."""
    return "private conversation" if meeting.private else f"mentoring meeting {meeting.number}"


def meeting_event(
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    description: str,
) -> EventSpec:
    """The meeting as a calendar event for one attendee: the organiser is that attendee's
    own tokened address, so their calendar's answer comes back to us about them."""
    mentor, mentee = cast.mentor, cast.mentee
    about = About.meeting(meeting.id, private=meeting.private)
    title = "Private conversation" if meeting.private else f"Mentoring meeting {meeting.number}"
    return EventSpec(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        tzid=meeting.tzid,
        summary=f"{title}: {mentor.name} and {mentee.name}",
        private=meeting.private,
        description=description,
        organizer=Participant(outbox.address_for(cast.reader(person), about), mentor.name),
        attendees=(Participant(mentor.email, mentor.name), Participant(mentee.email, mentee.name)),
    )


async def send_invitation(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    role: str,
    partner: Person,
    now: datetime,
    *,
    change_note: str | None = None,
) -> None:
    """One iMIP REQUEST per attendee; the organiser is that attendee's own tokened address."""
    await outbox.add(
        connection,
        **invitation_mail(
            outbox, meeting, pairing, cast, person, role, partner, now, change_note=change_note
        ),
    )


def invitation_mail(
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    role: str,
    partner: Person,
    now: datetime,
    *,
    change_note: str | None = None,
) -> Mail:
    """The invitation of one attendee, with its calendar, ready for the outbox."""
    terms = Terms.from_json(pairing.terms)
    if meeting.private:
        description = (
            f"{cast.program.name}: a private conversation of {cast.mentor.name} (mentor) and "
            f"{cast.mentee.name} (mentee), asked for by the mentor. Just the two of you."
        )
    else:
        description = (
            f"{cast.program.name}: mentoring meeting {meeting.number} of {cast.mentor.name} "
            f"(mentor) and {cast.mentee.name} (mentee). The agenda follows by email before the "
            "meeting."
        )
    event = meeting_event(outbox, meeting, pairing, cast, person, description)
    ics = build_ics(event, "REQUEST", now)
    return Mail(
        kind=kinds.INVITATION,
        dedupe_key=f"invite:meeting:{meeting.id}:seq:{meeting.sequence}:person:{person.id}",
        to=cast.reader(person),
        about=About.meeting(meeting.id, private=meeting.private),
        now=now,
        calendar=(ics, "REQUEST"),
        private=meeting.private,
        context={
            "partner": who(partner, "mentee" if role == "mentor" else "mentor"),
            "meeting": {
                "label": format_span(meeting.starts_at, meeting.ends_at, person.timezone),
                "organiser_label": format_span(meeting.starts_at, meeting.ends_at, meeting.tzid),
                "minutes": terms.meeting_minutes,
                "number": meeting.number,
                "name": meeting_name(meeting),
                "private": meeting.private,
            },
            "is_update": meeting.sequence > 0,
            "change_note": change_note,
            "agenda": [],
            "reschedule_notice": notice_label(terms.reschedule_notice_hours),
        },
    )
