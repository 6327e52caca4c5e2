"""The pairing lifecycle as the jobs run it: import, agreement, activation, first invitation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.db import transaction
from service.domain.agreement import GROUND_RULES, WEEKDAYS, Terms, notice_label
from service.domain.cadence import add_months
from service.domain.prompts import meeting_prompts
from service.domain.roster import Person as RosterPerson
from service.domain.roster import Roster, RosterRow
from service.domain.schedule import Slot, first_meeting, format_day, format_span, local_view
from service.exercises import queue_exercises
from service.mail.calendar import EventSpec, Participant, build_ics
from service.models import (
    Coordinator,
    Meeting,
    Pairing,
    PairingState,
    Person,
    Program,
)
from service.outbox import Mail, OutboxWriter, Prepared, recipient_context


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    unchanged: int = 0
    programs: set[str] = field(default_factory=set)


def default_terms(row: RosterRow) -> Terms:
    """The program's defaults, with what the coordinator's CSV says for this pair."""
    changes: dict[str, Any] = {
        "frequency": row.frequency,
        "meeting_minutes": row.meeting_minutes,
        "weekday": row.weekday,
        "time_of_day": row.time_of_day,
    }
    return replace(Terms(), **{k: v for k, v in changes.items() if v is not None})


async def _person(connection: BaseDBAsyncClient, row_person: RosterPerson, now: datetime) -> Person:
    person = await Person.get_or_none(email=row_person.email, using_db=connection)
    if person is None:
        person = await Person.create(
            using_db=connection,
            email=row_person.email,
            name=row_person.name,
            timezone=row_person.timezone,
            created_at=now,
        )
    return person


async def import_roster(
    roster: Roster,
    outbox: OutboxWriter,
    now: datetime,
    *,
    connection: BaseDBAsyncClient | None = None,
) -> ImportResult:
    """All or nothing: the caller has checked `roster.errors` is empty. Re-importing is a no-op.

    Inside the caller's transaction when `connection` is given, else in one of its own.
    """
    if roster.errors:
        raise ValueError("a roster with errors cannot be imported")
    if connection is not None:
        return await _import_rows(connection, roster, outbox, now)
    async with transaction() as own:
        return await _import_rows(own, roster, outbox, now)


async def _import_rows(
    connection: BaseDBAsyncClient, roster: Roster, outbox: OutboxWriter, now: datetime
) -> ImportResult:
    result = ImportResult()
    for row in roster.rows:
        result.programs.add(row.program)
        program = await Program.get_or_none(name=row.program, using_db=connection)
        if program is None:
            program = await Program.create(
                using_db=connection,
                name=row.program,
                coordinator_email=row.coordinator_email,
                # Digests go at the program's local hour: the first mentor's zone, until
                # someone says otherwise.
                timezone=row.mentor.timezone,
                created_at=now,
            )
        if row.coordinator_email:
            await Coordinator.get_or_create(
                program=program,
                email=row.coordinator_email,
                defaults={"created_at": now},
                using_db=connection,
            )
        mentor = await _person(connection, row.mentor, now)
        mentee = await _person(connection, row.mentee, now)
        existing = await Pairing.get_or_none(
            program=program, mentor=mentor, mentee=mentee, using_db=connection
        )
        if existing is not None:
            result.unchanged += 1
            continue
        pairing = await Pairing.create(
            using_db=connection,
            program=program,
            mentor=mentor,
            mentee=mentee,
            state=PairingState.AGREEING,
            start_date=row.start_date,
            terms=default_terms(row).to_json(),
            created_at=now,
            updated_at=now,
        )
        await request_agreement(connection, outbox, pairing, program, mentor, mentee, now)
        result.created.append(pairing.id)
    return result


def _who(person: Person, role: str) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "role": role}


def terms_context(terms: Terms, tzid: str, reader_tz: str, on: date) -> dict[str, Any]:
    """The terms for a template; `local` is the agreed time in the reader's own zone."""
    local = local_view(terms, tzid, reader_tz, on)
    return {
        "goals": list(terms.goals),
        "meeting_minutes": terms.meeting_minutes,
        "frequency_label": terms.frequency.label,
        "first_months": "4–6",
        "reevaluate_months": terms.reevaluate_months,
        "projected_months": terms.projected_months,
        "reschedule_notice": notice_label(terms.reschedule_notice_hours),
        "reschedule_channel": terms.reschedule_channel,
        "weekday_label": WEEKDAYS[terms.weekday].capitalize(),
        "time_label": terms.time_of_day.strftime("%H:%M"),
        "timezone": tzid,
        "local": None if local is None else asdict(local),
    }


async def request_agreement(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    program: Program,
    mentor: Person,
    mentee: Person,
    now: datetime,
    *,
    only: Person | None = None,
) -> None:
    """Send the agreement form (of the current terms version) to both, or to `only`."""
    terms = Terms.from_json(pairing.terms)
    for person, role, partner, partner_role in (
        (mentor, "mentor", mentee, "mentee"),
        (mentee, "mentee", mentor, "mentor"),
    ):
        if only is not None and person.id != only.id:
            continue
        partner_agreed = (
            pairing.mentee_agreed_at if role == "mentor" else pairing.mentor_agreed_at
        ) is not None
        await outbox.add(
            connection,
            kind="agreement_request",
            dedupe_key=f"agreement_request:pairing:{pairing.id}:v{pairing.terms_version}"
            f":person:{person.id}",
            to=(person.name, person.email),
            person=person,
            pairing=pairing,
            # The version in the token tells an answer to an older form from one to this.
            topic=f"agreement{pairing.terms_version}",
            now=now,
            context={
                **recipient_context(person.name, person.email, role, program.name),
                "partner": _who(partner, partner_role),
                "terms": terms_context(terms, mentor.timezone, person.timezone, pairing.start_date),
                "ground_rules": list(GROUND_RULES),
                "form": [{"label": label, "value": value} for label, value in terms.form()],
                "partner_agreed": partner_agreed,
            },
        )


@dataclass(frozen=True)
class Cast:
    """The people of one pairing and their program, loaded once per decision."""

    program: Program
    mentor: Person
    mentee: Person

    @classmethod
    async def load(cls, connection: BaseDBAsyncClient, pairing: Pairing) -> Cast:
        row = await (
            Pairing.filter(id=pairing.id)
            .select_related("program", "mentor", "mentee")
            .using_db(connection)
            .get()
        )
        return cls(program=row.program, mentor=row.mentor, mentee=row.mentee)

    def sides(self) -> tuple[tuple[Person, str, Person, str], ...]:
        """(person, role, partner, partner's role) for each of the two."""
        return (
            (self.mentor, "mentor", self.mentee, "mentee"),
            (self.mentee, "mentee", self.mentor, "mentor"),
        )

    def partner_of(self, person: Person) -> tuple[Person, str]:
        """The other person of the pairing, and their role."""
        if person.id == self.mentor.id:
            return self.mentee, "mentee"
        return self.mentor, "mentor"


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


async def activate(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> Meeting:
    """Both have agreed: sign, plan the first meeting and invite both, in one transaction."""
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    terms = Terms.from_json(pairing.terms)
    pairing.state = PairingState.ACTIVE
    pairing.signed_at = now
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    assert pairing.mentor_agreed_at is not None and pairing.mentee_agreed_at is not None
    slot = first_meeting(terms, mentor.timezone, pairing.start_date, now)
    for person, role, partner, partner_role in cast.sides():
        await outbox.add(
            connection,
            kind="agreement_signed",
            dedupe_key=f"agreement_signed:pairing:{pairing.id}:person:{person.id}",
            to=(person.name, person.email),
            person=person,
            pairing=pairing,
            topic="agreement",
            now=now,
            context={
                **recipient_context(person.name, person.email, role, cast.program.name),
                "partner": _who(partner, partner_role),
                "terms": terms_context(terms, mentor.timezone, person.timezone, pairing.start_date),
                "ground_rules": list(GROUND_RULES),
                "mentor": {"name": mentor.name},
                "mentee": {"name": mentee.name},
                "mentor_signed_on": format_day(pairing.mentor_agreed_at, mentor.timezone),
                "mentee_signed_on": format_day(pairing.mentee_agreed_at, mentee.timezone),
                "first_meeting": format_span(slot.start, slot.end, person.timezone),
            },
        )
    meeting = await add_meeting(connection, outbox, pairing, cast, 1, slot, now)
    await queue_exercises(
        connection, outbox, pairing, cast, format_span(slot.start, slot.end, mentor.timezone), now
    )
    # The next tick issues the rest of the horizon; the re-evaluation is asked at its point.
    pairing.plan_at = now
    pairing.reevaluate_at = add_months(now, terms.reevaluate_months)
    await pairing.save(using_db=connection, update_fields=["plan_at", "reevaluate_at"])
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
    topic = f"meeting{meeting.id}"
    mentor, mentee = cast.mentor, cast.mentee
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
        organizer=Participant(outbox.reply_to(pairing.id, person.id, topic), mentor.name),
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
    topic = f"meeting{meeting.id}"
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
        kind="invitation",
        dedupe_key=f"invite:meeting:{meeting.id}:seq:{meeting.sequence}:person:{person.id}",
        to=(person.name, person.email),
        person=person,
        pairing=pairing,
        topic=topic,
        now=now,
        calendar=(ics, "REQUEST"),
        private=meeting.private,
        context={
            **recipient_context(person.name, person.email, role, cast.program.name),
            "partner": _who(partner, "mentee" if role == "mentor" else "mentor"),
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


# Pairings read at a time when a whole program is walked: a statement then names at most
# this many (a database takes some 32,000 values a statement, a program may have 100,000
# pairings), and memory holds no more.
CHUNK = 1000


async def pairings_by_number(
    program_id: int | None = None, *related: str
) -> AsyncIterator[list[Pairing]]:
    """Every pairing (of one program, when given) in order of number, CHUNK at a time,
    with the `related` rows read alongside."""
    after = 0
    while True:
        query = Pairing.filter(id__gt=after)
        if program_id is not None:
            query = query.filter(program_id=program_id)
        chunk = await query.order_by("id").limit(CHUNK).select_related(*related)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].id
