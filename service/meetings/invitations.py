"""A meeting as a calendar event: its invitations, updates and cancellations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.mail.kinds import About
from service.mail.writing.calendar import EventSpec, Method, Participant, build_ics
from service.meetings.prompt_rules import AGENDA_REQUEST_BEFORE, meeting_prompts
from service.outbox.pacing import Pacer
from service.outbox.writer import Mail, OutboxWriter, Prepared
from service.program.holidays import DaysOff, off_day_moved
from service.program.people import Cast, who
from service.program.schedule import (
    Slot,
    format_date,
    format_span,
    local_instant,
    within_waking_hours,
)
from service.program.terms import Terms, notice_label, web_link
from service.storage.models import (
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    Person,
    Program,
)

# A new meeting's invitation may wait for a quieter day, but comes before its agenda request;
# one whose meeting is three days or more away may always wait for the next day's morning.
INVITE_BEFORE = AGENDA_REQUEST_BEFORE + timedelta(days=1)
NEAR = timedelta(days=3)
NEXT_MORNING = timedelta(hours=36)


def invitation_wanted(start: datetime, now: datetime, tzid: str) -> datetime:
    """The earliest a new meeting's invitation goes: in its reader's daytime, unless the
    meeting is too near for the night to pass first."""
    waking = within_waking_hours(now, tzid)
    return waking if waking <= start - NEAR else now


def invitation_may_wait(start: datetime, now: datetime) -> datetime:
    """Until when a new meeting's invitation may wait for a quieter day of its reader's: the
    day before the agenda is asked for; and the next day, when the meeting is not near (the
    first meeting's, which comes with the signed agreement's email that day)."""
    return max(start - INVITE_BEFORE, min(now + NEXT_MORNING, start - NEAR))


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
    pacer: Pacer | None = None,
) -> Meeting:
    """A new meeting with its permanent UID, and an invitation to each of the two (queued
    now, or prepared into `later` for the caller to queue with others). One that falls on
    a day off of the program is moved to the nearest working day, and the invitation says
    so. A meeting a week or more ahead is no news that cannot wait: its invitation goes on
    a day that brings its reader less mail (the first one's, after the signed agreement
    that says it is on its way), before the agenda is asked for (`pacer` counts a batch's
    mail)."""
    slot, note = off_holidays(slot, cast.program)
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
    pacer = pacer or Pacer(connection, now)
    for person in (cast.mentor, cast.mentee):
        mail = calendar_mail(outbox, meeting, pairing, cast, person, "REQUEST", now, note)
        mail["not_before"] = await pacer.when(
            person,
            invitation_wanted(slot.start, now, person.timezone),
            invitation_may_wait(slot.start, now),
        )
        if later is None:
            await outbox.add(connection, **mail)
        else:
            later.append(outbox.prepare(**mail))
    return meeting


def days_off(program: Program) -> DaysOff:
    return DaysOff(program.holiday_country, program.holiday_region, program.own_holidays or {})


def off_holidays(slot: Slot, program: Program) -> tuple[Slot, str | None]:
    """The slot, moved off a day off of the program, and the words saying why."""
    local = slot.start.astimezone(ZoneInfo(slot.tzid))
    moved = off_day_moved(local.date(), days_off(program))
    if moved is None:
        return slot, None
    start = local_instant(moved.day, local.time(), slot.tzid)
    note = (
        f"{format_date(local.date())} is a day off ({moved.holiday}), so this meeting is on "
        f"{format_date(moved.day)} instead. Reply with reschedule: if another day suits you "
        "better."
    )
    return Slot(start, start + (slot.end - slot.start), slot.tzid), note


def meeting_name(meeting: Meeting) -> str:
    """How mail names a meeting: its number, or, for a performance conversation, nothing more."""
    return "private conversation" if meeting.private else f"mentoring meeting {meeting.number}"


def meeting_event(
    outbox: OutboxWriter,
    meeting: Meeting,
    cast: Cast,
    person: Person,
    description: str,
    location: str = "",
) -> EventSpec:
    """The meeting as a calendar event for one attendee: the organiser is that attendee's
    own tokened address, so their calendar's answer comes back to us about them (or the
    plain address, where the deployment says calendar servers cannot mail a tagged one)."""
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
        location=location or None,
        link=web_link(location),
        organizer=Participant(outbox.organizer_for(cast.reader(person), about), mentor.name),
        attendees=(Participant(mentor.email, mentor.name), Participant(mentee.email, mentee.name)),
    )


async def send_calendar(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    method: Method,
    now: datetime,
    *,
    note: str | None = None,
    notes: Mapping[int, str] | None = None,
    may_wait: bool = False,
) -> None:
    """The meeting's calendar email to each of the two, as it stands now; `notes` by
    person id, where each reads their own (the one who moved it reads "You moved…"). A
    version still waiting for a quieter day is replaced by this one (one email, not two).
    `may_wait`: a cancellation whose news another email brings at once (a phase-out's
    letter), which may wait for a quieter day while its meeting is not near."""
    versions = OutboundMessage.filter(
        pairing_id=pairing.id,
        kind__in=(kinds.INVITATION.name, kinds.CANCELLATION.name),
        topic_ref=meeting.id,
    ).using_db(connection)
    await versions.filter(status=OutboundStatus.PENDING, not_before__gt=now).delete()
    pacer: Pacer | None = None
    for person in (cast.mentor, cast.mentee):
        said = (notes or {}).get(person.id, note)
        mail = calendar_mail(outbox, meeting, pairing, cast, person, method, now, said)
        if may_wait:
            pacer = pacer or Pacer(connection, now)
            mail["not_before"] = await pacer.when(
                person,
                invitation_wanted(meeting.starts_at, now, person.timezone),
                invitation_may_wait(meeting.starts_at, now),
            )
        await outbox.add(connection, **mail)


def own_notes(cast: Cast, actor: Person, theirs: str, own: str) -> dict[int, str]:
    """What each of the two reads of a change one of them made: `own` for its maker."""
    return {p.id: own if p.id == actor.id else theirs for p in (cast.mentor, cast.mentee)}


async def cancel_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    now: datetime,
    reason: str | None,
    *,
    may_wait: bool = False,
) -> None:
    """METHOD:CANCEL with a higher SEQUENCE to each attendee (INTEROP rule 13); `may_wait`
    as `send_calendar` has it."""
    meeting.sequence += 1
    meeting.cancelled = True
    meeting.prompt_at = None
    await meeting.save(using_db=connection)
    await send_calendar(
        connection, outbox, meeting, pairing, cast, "CANCEL", now, note=reason, may_wait=may_wait
    )


def calendar_mail(
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    cast: Cast,
    person: Person,
    method: Method,
    now: datetime,
    note: str | None = None,
) -> Mail:
    """One attendee's email about the meeting, with its calendar, ready for the outbox: an
    invitation (REQUEST; an update once its SEQUENCE has risen, `note` saying what changed)
    or a cancellation (CANCEL, `note` saying why). Every version of the event is this one,
    so the two can never describe it differently."""
    partner, partner_role = cast.partner_of(person)
    location = Terms.from_json(pairing.terms).location
    where = {
        "label": format_span(meeting.starts_at, meeting.ends_at, person.timezone),
        "number": meeting.number,
        "name": meeting_name(meeting),
        "location": location,
        "link": web_link(location),
    }
    if method == "CANCEL":
        kind, key = kinds.CANCELLATION, "cancel"
        description = "This meeting is cancelled."
        context = {"partner": who(partner, partner_role), "meeting": where, "reason": note}
    else:
        kind, key = kinds.INVITATION, "invite"
        description = _description(meeting, cast)
        context = _invitation_context(meeting, pairing, partner, partner_role, where, note)
    event = meeting_event(outbox, meeting, cast, person, description, location)
    return Mail(
        kind=kind,
        dedupe_key=f"{key}:meeting:{meeting.id}:seq:{meeting.sequence}:person:{person.id}",
        to=cast.reader(person),
        about=About.meeting(meeting.id, private=meeting.private),
        now=now,
        calendar=(build_ics(event, method, now), method),
        private=meeting.private,
        context=context,
    )


def _description(meeting: Meeting, cast: Cast) -> str:
    if meeting.private:
        return (
            f"{cast.program.name}: a private conversation of {cast.mentor.name} (mentor) and "
            f"{cast.mentee.name} (mentee), asked for by the mentor. Just the two of you."
        )
    return (
        f"{cast.program.name}: mentoring meeting {meeting.number} of {cast.mentor.name} "
        f"(mentor) and {cast.mentee.name} (mentee). The agenda follows by email before the "
        "meeting."
    )


def _invitation_context(
    meeting: Meeting,
    pairing: Pairing,
    partner: Person,
    partner_role: str,
    where: dict[str, object],
    change_note: str | None,
) -> dict[str, object]:
    terms = Terms.from_json(pairing.terms)
    return {
        "partner": who(partner, partner_role),
        "meeting": {
            **where,
            "organiser_label": format_span(meeting.starts_at, meeting.ends_at, meeting.tzid),
            "minutes": terms.meeting_minutes,
            "private": meeting.private,
        },
        "is_update": meeting.sequence > 0,
        "change_note": change_note,
        "agenda": [],
        "reschedule_notice": notice_label(terms.reschedule_notice_hours),
    }
