"""A coordinator's roster becomes programs, people and pairings, each pair asked to agree."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.requests import request_agreement
from service.outbox.writer import OutboxWriter
from service.program.holidays import DaysOff, country_of_zone
from service.program.roster import Person as RosterPerson
from service.program.roster import Roster, RosterRow
from service.program.terms import Terms
from service.storage.db import transaction
from service.storage.models import Coordinator, Pairing, PairingState, Person, Program


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    unchanged: int = 0
    programs: set[str] = field(default_factory=set)
    coordinators_not_added: set[str] = field(default_factory=set)
    # Programs made by this import, with the days off they were given: said back, so that
    # a guess from the time zone can be mended (`mentormail holidays`).
    new_programs: dict[str, str] = field(default_factory=dict)


def default_terms(row: RosterRow) -> Terms:
    """The program's defaults, with what the coordinator's CSV says for this pair."""
    changes: dict[str, Any] = {
        "frequency": row.frequency,
        "meeting_minutes": row.meeting_minutes,
        "weekday": row.weekday,
        "time_of_day": row.time_of_day,
        "location": row.location,
    }
    return replace(Terms(), **{k: v for k, v in changes.items() if v is not None})


async def _person(connection: BaseDBAsyncClient, row_person: RosterPerson, now: datetime) -> Person:
    person = await Person.get_or_none(email=row_person.email, using_db=connection)
    if person is None:
        person = await Person.create(
            using_db=connection,
            email=row_person.email,
            name=row_person.name,
            greeting=row_person.greeting,
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
    add_coordinators: bool = True,
) -> ImportResult:
    """All or nothing: the caller has checked `roster.errors` is empty. Re-importing is a no-op.

    Inside the caller's transaction when `connection` is given, else in one of its own.
    A roster that came by email adds no coordinator (`add_coordinators` False): its
    `coordinator_email` cells that name nobody coordinating already are listed back.
    """
    if roster.errors:
        raise ValueError("a roster with errors cannot be imported")
    if connection is not None:
        return await _import_rows(connection, roster, outbox, now, add_coordinators)
    async with transaction() as own:
        return await _import_rows(own, roster, outbox, now, add_coordinators)


async def _import_rows(
    connection: BaseDBAsyncClient,
    roster: Roster,
    outbox: OutboxWriter,
    now: datetime,
    add_coordinators: bool,
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
                # Public holidays of the country that zone lies in, until told otherwise
                # (`mentormail holidays`); the import says which.
                holiday_country=country_of_zone(row.mentor.timezone),
                created_at=now,
            )
            result.new_programs[program.name] = DaysOff(program.holiday_country).label
        if row.coordinator_email and add_coordinators:
            await Coordinator.get_or_create(
                program=program,
                email=row.coordinator_email,
                defaults={"created_at": now},
                using_db=connection,
            )
        elif row.coordinator_email and not await Coordinator.exists(
            program=program, email=row.coordinator_email, using_db=connection
        ):
            result.coordinators_not_added.add(row.coordinator_email)
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
