"""What coordinators do by email, about the pairings of the programs they coordinate:
nudge, pause, resume, close, details, how often their digest comes, and imports.

Each returns what it did, or could not do, in words for the coordinator. Only a coordinator
of the pairing's program acts on it (the caller reads the pairing through `pairing_of`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.enrolment import import_roster
from service.coordinators.digest import summarise, to_coordinator
from service.coordinators.digest_rules import Period, digest_flags
from service.mail import kinds
from service.mail.writing.words import counted
from service.meetings.pausing import pause_pairing, resume_pairing
from service.outbox.writer import OutboxWriter
from service.phase_out.closing import begin_phase_out
from service.program.people import Cast
from service.program.roster import read_roster
from service.program.schedule import format_date, format_span
from service.storage.models import (
    Coordinator,
    DigestEvery,
    Meeting,
    MeetingAnswer,
    OutboundMessage,
    Pairing,
    PairingState,
    Program,
    Task,
    TaskState,
)

MAX_CSV = 20 * 1024 * 1024
# Pairs one email may import. An import is one transaction, applied by the job that reads the
# email: much larger ones would outlast the job's time limit (and be tried again, for ever),
# and on SQLite keep every other writer waiting. Larger rosters go in parts, or through the
# `mentormail import` command, which has no such limit.
EMAIL_IMPORT_ROWS = 5_000

Done = tuple[str | None, str | None]


async def pairing_of(
    connection: BaseDBAsyncClient, number: int, program_ids: set[int]
) -> Pairing | None:
    """Pairing `number`, locked, if it is in one of the programs; else None."""
    pairing = await Pairing.filter(id=number).select_for_update().using_db(connection).first()
    if pairing is None or pairing.program_id not in program_ids:
        return None
    return pairing


async def pause(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> Done:
    reason = "Your program coordinator paused your mentoring meetings for now."
    return await pause_pairing(connection, outbox, pairing, now, reason), None


async def resume(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> Done:
    return await resume_pairing(connection, outbox, pairing, now), None


async def close(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> Done:
    """Phasing out on the coordinator's path; a pair that never signed is simply closed."""
    if pairing.state in (PairingState.CLOSING, PairingState.CLOSED):
        return None, f"close {pairing.id} (it is already {pairing.state.value})"
    if pairing.state in (PairingState.INVITED, PairingState.AGREEING):
        # Never started: nothing to phase out, no record to send.
        pairing.state = PairingState.CLOSED
        pairing.closing_path = "coordinator"
        pairing.closing_at = pairing.closed_at = now
        pairing.plan_at = None
        pairing.updated_at = now
        await pairing.save(using_db=connection)
        return f"Pairing {pairing.id} had not started; it is closed.", None
    await begin_phase_out(connection, outbox, pairing, now, path="coordinator")
    return (
        f"Pairing {pairing.id} is phasing out: one last meeting, the guide's closure "
        "questions to both, then each gets the record of their mentoring.",
        None,
    )


async def nudge(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> Done:
    return await _nudge(connection, outbox, pairing, now), None


async def details(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> Done:
    await _details(connection, outbox, coordinator, pairing, now)
    return f"The details of pairing {pairing.id} are on their way.", None


async def set_digest(
    connection: BaseDBAsyncClient, coordinating: list[Coordinator], every: str
) -> str:
    """How often each of the coordinator's programs' digests comes to them."""
    choice = DigestEvery(every.lower())
    for coordinator in coordinating:
        coordinator.digest_every = choice
        await coordinator.save(using_db=connection, update_fields=["digest_every"])
    if choice == DigestEvery.OFF:
        return "You will receive no more digests. Write digest weekly to resume."
    return f"Your digest now comes {choice.value}."


# A digest up to now reads the whole program: one an hour, however often it is asked for.
DIGEST_NOW_EVERY = timedelta(hours=1)


async def ask_digest(
    connection: BaseDBAsyncClient,
    coordinating: list[Coordinator],
    inbound_id: int,
    now: datetime,
) -> str:
    """Ask for each program's digest up to now; `asked_digests` makes it once this message
    is committed (reading a large program here would hold its transaction open)."""
    ids = [c.id for c in coordinating]
    if any(c.digest_asked_by is not None for c in coordinating):
        return "Your digest, up to now, is already on its way."
    recent = await (
        OutboundMessage.filter(
            kind=kinds.DIGEST.name,
            coordinator_id__in=ids,
            dedupe_key__contains=":now:",
            created_at__gte=now - DIGEST_NOW_EVERY,
        )
        .using_db(connection)
        .exists()
    )
    if recent:
        return "A digest up to now went out less than an hour ago; ask again after that."
    await (
        Coordinator.filter(id__in=[c.id for c in coordinating])
        .using_db(connection)
        .update(digest_asked_by=inbound_id)
    )
    return "Your digest, up to now, is on its way."


async def _nudge(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> str:
    """A friendly reminder to both, naming what is pending (nothing private)."""
    if pairing.state in (PairingState.CLOSED,):
        return f"pairing {pairing.id} is closed: nobody was nudged"
    cast = await Cast.load(connection, pairing)
    period = Period("now", now, now)
    summary = (await summarise([await _with_people(connection, pairing)], period, now))[pairing.id]
    pending = [f.reason for f in digest_flags(summary, now) if not f.reason.startswith("asked")]
    open_items = (
        await Task.filter(pairing_id=pairing.id, private=False, state=TaskState.OPEN)
        .using_db(connection)
        .count()
    )
    upcoming = await (
        Meeting.filter(pairing_id=pairing.id, cancelled=False, private=False, starts_at__gt=now)
        .order_by("starts_at")
        .using_db(connection)
        .first()
    )
    sent = 0
    for person, _role, partner, _ in cast.sides():
        sent += await outbox.add(
            connection,
            kind=kinds.NUDGE,
            dedupe_key=f"nudge:pairing:{pairing.id}:person:{person.id}:{now:%Y%m%d}",
            to=cast.reader(person),
            now=now,
            context={
                "partner": {"name": partner.name, "email": partner.email},
                "state": pairing.state.value,
                "pending": pending,
                "open_items": open_items,
                "next_meeting": (
                    format_span(upcoming.starts_at, upcoming.ends_at, person.timezone)
                    if upcoming
                    else None
                ),
            },
        )
    if not sent:
        return f"Pairing {pairing.id} was already nudged today."
    return f"{cast.mentor.name} and {cast.mentee.name} (pairing {pairing.id}) got a friendly nudge."


async def _with_people(connection: BaseDBAsyncClient, pairing: Pairing) -> Pairing:
    return await (
        Pairing.filter(id=pairing.id).select_related("mentor", "mentee").using_db(connection).get()
    )


async def _details(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    pairing: Pairing,
    now: datetime,
) -> None:
    """The pairing's non-private history: dates, meetings and answers, counts of tasks."""
    cast = await Cast.load(connection, pairing)
    program = cast.program
    rows = await _meeting_rows(connection, pairing, cast, now)
    tasks = await Task.filter(pairing_id=pairing.id, private=False).using_db(connection)
    await to_coordinator(
        connection,
        outbox,
        coordinator,
        program,
        kind=kinds.PAIRING_DETAILS,
        dedupe_key=f"pairing_details:pairing:{pairing.id}:coordinator:{coordinator.id}:{now:%Y%m%d%H%M%S}",
        now=now,
        context={
            "pairing": {
                "number": pairing.id,
                "state": pairing.state.value,
                "mentor": {"name": cast.mentor.name, "email": cast.mentor.email},
                "mentee": {"name": cast.mentee.name, "email": cast.mentee.email},
                "created": format_date(pairing.created_at.date()),
                "signed": format_date(pairing.signed_at.date()) if pairing.signed_at else None,
                "closing_path": pairing.closing_path,
            },
            "meetings": rows,
            "tasks": _task_counts(tasks, now),
        },
    )


async def _meeting_rows(
    connection: BaseDBAsyncClient, pairing: Pairing, cast: Cast, now: datetime
) -> list[dict[str, Any]]:
    """The pairing's non-private meetings, each with its status and the calendar answers."""
    meetings = await (
        Meeting.filter(pairing_id=pairing.id, private=False)
        .order_by("starts_at")
        .using_db(connection)
    )
    answers = (
        await MeetingAnswer.filter(meeting_id__in=[m.id for m in meetings])
        .using_db(connection)
        .values_list("meeting_id", "person_id", "partstat")
    )
    said: dict[int, list[str]] = {}
    for meeting_id, person_id, partstat in answers:
        who = cast.mentor.name if person_id == cast.mentor.id else cast.mentee.name
        said.setdefault(int(meeting_id), []).append(f"{who}: {str(partstat).lower()}")
    return [
        {
            "label": format_span(m.starts_at, m.ends_at, cast.program.timezone),
            "number": m.number,
            "status": "cancelled" if m.cancelled else ("held" if m.ends_at <= now else "planned"),
            "answers": said.get(m.id, []),
        }
        for m in meetings
    ]


def _task_counts(tasks: list[Task], now: datetime) -> dict[str, int]:
    """Shared action items: open, done, and open past their due date."""
    return {
        "open": sum(t.state == TaskState.OPEN for t in tasks),
        "done": sum(t.state == TaskState.DONE for t in tasks),
        "overdue": sum(
            t.state == TaskState.OPEN and t.due_date is not None and t.due_date < now.date()
            for t in tasks
        ),
    }


def csv_attachment_names(raw: bytes) -> list[str]:
    """The names of the CSV files a message carries (for asking whether it was sent)."""
    return [name for name, _ in _csv_attachments(raw)]


def _csv_attachments(raw: bytes) -> list[tuple[str, bytes]]:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    found: list[tuple[str, bytes]] = []
    for part in message.walk():
        name = part.get_filename() or ""
        kind = part.get_content_type()
        if part.is_multipart() or not (name.lower().endswith(".csv") or kind == "text/csv"):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((name or "pairs.csv", payload[:MAX_CSV]))
    return found


async def import_attached(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    raw: bytes,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """The CSVs attached to a coordinator's message, with the same checks as the command
    line: all or nothing, each error with line and field. Returns (done, problems)."""
    done: list[str] = []
    problems: list[str] = []
    files = _csv_attachments(raw)
    if not files:
        return [], ["import (no CSV file was attached)"]
    programs = {
        p.name
        for p in await Program.filter(coordinators__email=coordinator.email).using_db(connection)
    }
    imported = 0
    for name, data in files:
        roster = read_roster(data, now.date())
        foreign = sorted({row.program for row in roster.rows} - programs)
        if foreign:
            problems.append(
                f"{name}: nothing was imported: you do not coordinate {', '.join(foreign)}"
            )
            continue
        if roster.errors:
            problems.append(f"{name}: nothing was imported; fix these and send it again:")
            problems += [f"{name}: {error}" for error in roster.errors[:50]]
            if len(roster.errors) > 50:
                problems.append(f"… and {len(roster.errors) - 50} more")
            continue
        if imported + len(roster.rows) > EMAIL_IMPORT_ROWS:
            problems.append(
                f"{name}: nothing was imported: one email imports at most "
                f"{EMAIL_IMPORT_ROWS:,} pairs, and this would make {imported + len(roster.rows):,}."
                " Send it in parts (pairs already imported are left as they are), or ask"
                " whoever runs the service to import it with `mentormail import`."
            )
            continue
        imported += len(roster.rows)
        result = await import_roster(
            roster, outbox, now, connection=connection, add_coordinators=False
        )
        done.append(
            f"{name}: {counted(len(result.created), 'pairing')} imported, "
            f"{result.unchanged} already there; each new pair has been sent the agreement."
        )
        done += [
            f"{program}: meetings avoid {days_off} (from its time zone); whoever runs the "
            "service may change that with `mentormail holidays`."
            for program, days_off in sorted(result.new_programs.items())
        ]
        if result.coordinators_not_added:
            problems.append(
                f"{name}: coordinator_email {', '.join(sorted(result.coordinators_not_added))}"
                " was not made a coordinator: an emailed import adds no coordinator (whoever"
                " runs the service adds them with `mentormail coordinator add`)."
            )
    return done, problems
