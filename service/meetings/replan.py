"""Changing how often a pair meets (keep the next meeting, cancel the rest, re-plan), where
they meet, and when one meeting is."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.writing.words import counted
from service.meetings.cadence import local_day, meeting_day
from service.meetings.invitations import cancel_meeting, own_notes, send_calendar
from service.meetings.reschedule_rules import check_move, read_new_time
from service.outbox.writer import OutboxWriter
from service.program.people import Cast
from service.program.schedule import first_meeting, format_moment, format_span
from service.program.terms import Frequency, Terms, notice_label
from service.storage.models import Meeting, MeetingAnswer, Pairing, Person


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
    upcoming = [m for m in meetings if not m.cancelled and not m.private and m.starts_at > now]
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
        f"; {counted(cancelled, 'later meeting')} cancelled, to be issued again"
        if cancelled
        else ""
    )
    return f"From now on you meet {frequency.label}{note}."


async def change_location(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    writer: Person,
    location: str,
    now: datetime,
) -> str:
    """Where the pair meets from now on: the agreement says so, and every meeting still to
    come gets an updated invitation (the same UID, a higher SEQUENCE) to both, with the new
    LOCATION. Returns what was done, in words for the writer."""
    terms = Terms.from_json(pairing.terms)
    if location == terms.location:
        return f"You keep meeting at {location}." if location else "No place was set."
    pairing.terms = replace(terms, location=location).to_json()
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    upcoming = await (
        Meeting.filter(pairing_id=pairing.id, cancelled=False, starts_at__gt=now)
        .order_by("starts_at")
        .using_db(connection)
    )
    old = terms.location or "(no place set)"
    change = f"changed where you meet: {old} → {location or '(no place set)'}."
    if upcoming:
        cast = await Cast.load(connection, pairing)
        notes = own_notes(cast, writer, f"{writer.name} {change}", f"You {change}")
        for meeting in upcoming:
            meeting.sequence += 1
            await meeting.save(using_db=connection, update_fields=["sequence"])
            await send_calendar(
                connection, outbox, meeting, pairing, cast, "REQUEST", now, notes=notes
            )
    where = f"at {location}" if location else "with no place set"
    sent = (
        f"; {counted(len(upcoming), 'meeting')} to come, updated in both calendars"
        if upcoming
        else ""
    )
    return f"From now on you meet {where} (it was {old}){sent}."


async def move_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    meeting: Meeting,
    start: datetime,
    end: datetime,
    note: str,
    now: datetime,
    *,
    mover: Person,
    own_note: str,
) -> Cast:
    """Give a meeting a new time: the same UID with a higher SEQUENCE, to both, each told
    what it was in their own zone; `mover` reads `own_note`, the other `note`."""
    old_start, old_end = meeting.starts_at, meeting.ends_at
    meeting.starts_at, meeting.ends_at = start, end
    meeting.sequence += 1
    # The prompts follow the meeting; the next tick queues what is due at the new time.
    meeting.prompt_at = now
    await meeting.save(using_db=connection)
    # Calendar answers were about the old time: both are asked again (attendees are reset).
    await MeetingAnswer.filter(meeting_id=meeting.id).using_db(connection).delete()
    cast = await Cast.load(connection, pairing)
    notes = {
        person.id: f"{own_note if person.id == mover.id else note} It was "
        f"{format_span(old_start, old_end, person.timezone)}."
        for person in (cast.mentor, cast.mentee)
    }
    await send_calendar(connection, outbox, meeting, pairing, cast, "REQUEST", now, notes=notes)
    return cast


async def reschedule_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    writer: Person,
    meeting: Meeting,
    text: str,
    now: datetime,
) -> tuple[str | None, str | None]:
    """`reschedule: Dec 9 3pm`: move one meeting and send both an updated invitation.

    Returns (what was done, what could not be done), in words for the writer.
    """
    terms = Terms.from_json(pairing.terms)
    keep = meeting.starts_at.astimezone(ZoneInfo(writer.timezone)).time()
    new_time = read_new_time(text, now, writer.timezone, keep)
    if new_time.start is None:
        return None, new_time.problem
    following = await (
        Meeting.filter(
            pairing_id=pairing.id, cancelled=False, private=False, starts_at__gt=meeting.starts_at
        )
        .order_by("starts_at")
        .using_db(connection)
        .first()
    )
    check = check_move(
        new_time.start,
        old_start=meeting.starts_at,
        now=now,
        following=following.starts_at if following else None,
        notice_hours=terms.reschedule_notice_hours,
    )
    if check.problem is not None:
        when = format_moment(new_time.start, writer.timezone)
        return None, f"meeting {meeting.number} was not moved to {when}: {check.problem}"
    length = meeting.ends_at - meeting.starts_at
    note, own = f"{writer.name} moved this meeting.", "You moved this meeting."
    if check.late:
        late = (
            f" This is less notice than the agreed {notice_label(terms.reschedule_notice_hours)}."
        )
        note, own = note + late, own + late
    cast = await move_meeting(
        connection,
        outbox,
        pairing,
        meeting,
        new_time.start,
        new_time.start + length,
        note,
        now,
        mover=writer,
        own_note=own,
    )
    partner, _ = cast.partner_of(writer)
    label = format_span(meeting.starts_at, meeting.ends_at, writer.timezone)
    done = f"Meeting {meeting.number} is moved to {label}; you both get an updated invitation."
    if check.late:
        done += (
            f" That is less notice than the agreed {notice_label(terms.reschedule_notice_hours)},"
            f" so please also tell {partner.name} directly."
        )
    return done, None
