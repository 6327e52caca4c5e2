"""Coordinators act by email: replies to their digest, or new mail from their address.

    nudge 12 · pause 12 · resume 12 · close 12 · details 12
    digest now · digest daily|weekly|monthly|off · import (a CSV attached) · unsubscribe

Only a coordinator of the pairing's program may act on it. Every command is answered with
what was done (`coordinator_reply`); mail from anyone else changes nothing and gets one
refusal a day at most (the caller's job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.enrolment import import_roster
from service.coordinators.digest import (
    COORDINATOR_HELP,
    summarise,
    to_coordinator,
)
from service.coordinators.digest_rules import Period, digest_flags
from service.inbox.outcome import Outcome
from service.mail.reading.parse import ParsedMessage
from service.meetings.pausing import pause_pairing, resume_pairing
from service.outbox.writer import OutboxWriter, recipient_context
from service.phase_out.closing import begin_phase_out
from service.program.people import Cast
from service.program.roster import read_roster
from service.program.schedule import format_date, format_span
from service.storage.models import (
    Coordinator,
    DigestEvery,
    InboundMessage,
    InboundStatus,
    Meeting,
    MeetingAnswer,
    Pairing,
    PairingState,
    Program,
    Task,
    TaskState,
)

_COMMAND = re.compile(
    r"^(?P<verb>nudge|pause|resume|close|details)\s*#?\s*(?P<number>\d+)\.?$"
    r"|^digest\s+(?P<digest>now|daily|weekly|monthly|off)\.?$"
    r"|^(?P<other>import|unsubscribe|help)\.?$",
    re.IGNORECASE,
)
_ATTEMPT = re.compile(r"^(?:nudge|pause|resume|close|details|digest|import)\b", re.IGNORECASE)
MAX_CSV = 20 * 1024 * 1024
# Pairs one email may import. An import is one transaction, applied by the job that reads the
# email: much larger ones would outlast the job's time limit (and be tried again, for ever),
# and on SQLite keep every other writer waiting. Larger rosters go in parts, or through the
# `mentormail import` command, which has no such limit.
EMAIL_IMPORT_ROWS = 5_000


@dataclass
class Answer:
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_commands(text: str) -> tuple[list[re.Match[str]], list[str]]:
    """The commands, one a line, and the lines that look like one but are not."""
    found: list[re.Match[str]] = []
    unknown: list[str] = []
    for raw_line in text.splitlines()[:200]:
        line = raw_line.strip().lstrip("-*• ").strip()[:200]
        match = _COMMAND.match(line)
        if match:
            found.append(match)
        elif _ATTEMPT.match(line):
            unknown.append(line)
    return found, unknown


async def coordinator_mail(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    parsed: ParsedMessage,
    row: InboundMessage,
    raw: bytes,
    now: datetime,
    *,
    unsubscribe: bool = False,
) -> Outcome:
    """Apply a coordinator's commands; answers with what was done."""
    programs = await Coordinator.filter(email=coordinator.email).using_db(connection)
    program_ids = {c.program_id for c in programs}
    commands, unknown = read_commands(parsed.visible_text)
    answer = Answer(problems=[f"{line} (not understood)" for line in unknown])
    wants_digest = False
    if unsubscribe or (not commands and "unsubscribe" in parsed.subject.lower()):
        await _set_digest(connection, programs, DigestEvery.OFF)
        answer.done.append("You will receive no more digests. Write digest weekly to resume.")
    for match in commands:
        if match.group("verb"):
            number = int(match.group("number"))
            pairing = (
                await Pairing.filter(id=number).select_for_update().using_db(connection).first()
            )
            if pairing is None or pairing.program_id not in program_ids:
                answer.problems.append(
                    f"{match.group(0)} (there is no pairing {number} in a program you coordinate)"
                )
                continue
            await _on_pairing(
                connection, outbox, coordinator, match.group("verb").lower(), pairing, answer, now
            )
        elif match.group("digest"):
            choice = match.group("digest").lower()
            if choice == "now":
                wants_digest = True
            else:
                await _set_digest(connection, programs, DigestEvery(choice))
                answer.done.append(
                    f"Your digest now comes {choice}."
                    if choice != "off"
                    else ("You will receive no more digests.")
                )
        elif match.group("other").lower() == "import":
            await _import(connection, outbox, coordinator, raw, answer, now)
        elif match.group("other").lower() == "help":
            answer.done.append("The commands you may write are below.")
        elif match.group("other").lower() == "unsubscribe":
            await _set_digest(connection, programs, DigestEvery.OFF)
            answer.done.append("You will receive no more digests. Write digest weekly to resume.")
    if wants_digest:
        await _digest_now(connection, programs, row)
        answer.done.append("Your digest, up to now, is on its way.")
    if not commands and not answer.done and not answer.problems:
        answer.problems.append("No command was found in your message.")
    await _reply(connection, outbox, coordinator, row, answer, now)
    return Outcome(InboundStatus.PROCESSED, "coordinator mail", answer.done)


async def _set_digest(
    connection: BaseDBAsyncClient, programs: list[Coordinator], every: DigestEvery
) -> None:
    for coordinator in programs:
        coordinator.digest_every = every
        await coordinator.save(using_db=connection, update_fields=["digest_every"])


async def _on_pairing(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    verb: str,
    pairing: Pairing,
    answer: Answer,
    now: datetime,
) -> None:
    if verb == "pause":
        answer.done.append(
            await pause_pairing(
                connection,
                outbox,
                pairing,
                now,
                "Your program coordinator paused your mentoring meetings for now.",
            )
        )
    elif verb == "resume":
        answer.done.append(await resume_pairing(connection, outbox, pairing, now))
    elif verb == "close":
        if pairing.state in (PairingState.CLOSING, PairingState.CLOSED):
            answer.problems.append(f"close {pairing.id} (it is already {pairing.state.value})")
            return
        if pairing.state in (PairingState.INVITED, PairingState.AGREEING):
            # Never started: nothing to phase out, no record to send.
            pairing.state = PairingState.CLOSED
            pairing.closing_path = "coordinator"
            pairing.closing_at = pairing.closed_at = now
            pairing.plan_at = None
            pairing.updated_at = now
            await pairing.save(using_db=connection)
            answer.done.append(f"Pairing {pairing.id} had not started; it is closed.")
            return
        await begin_phase_out(connection, outbox, pairing, now, path="coordinator")
        answer.done.append(
            f"Pairing {pairing.id} is phasing out: one last meeting, the guide's closure "
            "questions to both, then each gets the record of their mentoring."
        )
    elif verb == "nudge":
        answer.done.append(await _nudge(connection, outbox, pairing, now))
    else:
        await _details(connection, outbox, coordinator, pairing, now)
        answer.done.append(f"The details of pairing {pairing.id} are on their way.")


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
    for person, role, partner, _ in cast.sides():
        sent += await outbox.add(
            connection,
            kind="nudge",
            dedupe_key=f"nudge:pairing:{pairing.id}:person:{person.id}:{now:%Y%m%d}",
            to=(person.name, person.email),
            person=person,
            pairing=pairing,
            now=now,
            context={
                **recipient_context(person.name, person.email, role, cast.program.name),
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
    tasks = await Task.filter(pairing_id=pairing.id, private=False).using_db(connection)
    rows = [
        {
            "label": format_span(m.starts_at, m.ends_at, program.timezone),
            "number": m.number,
            "status": "cancelled" if m.cancelled else ("held" if m.ends_at <= now else "planned"),
            "answers": said.get(m.id, []),
        }
        for m in meetings
    ]
    await to_coordinator(
        connection,
        outbox,
        coordinator,
        program,
        kind="pairing_details",
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
            "tasks": {
                "open": sum(t.state == TaskState.OPEN for t in tasks),
                "done": sum(t.state == TaskState.DONE for t in tasks),
                "overdue": sum(
                    t.state == TaskState.OPEN and t.due_date is not None and t.due_date < now.date()
                    for t in tasks
                ),
            },
        },
    )


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


async def _import(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    raw: bytes,
    answer: Answer,
    now: datetime,
) -> None:
    """The same checks as the command line: all or nothing, each error with line and field."""
    files = _csv_attachments(raw)
    if not files:
        answer.problems.append("import (no CSV file was attached)")
        return
    programs = {
        p.name
        for p in await Program.filter(coordinators__email=coordinator.email).using_db(connection)
    }
    imported = 0
    for name, data in files:
        roster = read_roster(data)
        foreign = sorted({row.program for row in roster.rows} - programs)
        if foreign:
            answer.problems.append(
                f"{name}: nothing was imported: you do not coordinate {', '.join(foreign)}"
            )
            continue
        if roster.errors:
            answer.problems.append(f"{name}: nothing was imported; fix these and send it again:")
            answer.problems += [f"{name}: {error}" for error in roster.errors[:50]]
            if len(roster.errors) > 50:
                answer.problems.append(f"… and {len(roster.errors) - 50} more")
            continue
        if imported + len(roster.rows) > EMAIL_IMPORT_ROWS:
            answer.problems.append(
                f"{name}: nothing was imported: one email imports at most "
                f"{EMAIL_IMPORT_ROWS:,} pairs, and this would make {imported + len(roster.rows):,}."
                " Send it in parts (pairs already imported are left as they are), or ask"
                " whoever runs the service to import it with `mentormail import`."
            )
            continue
        imported += len(roster.rows)
        result = await import_roster(roster, outbox, now, connection=connection)
        answer.done.append(
            f"{name}: {len(result.created)} pairing(s) imported, {result.unchanged} already "
            "there; each new pair has been sent the agreement."
        )


async def _digest_now(
    connection: BaseDBAsyncClient, programs: list[Coordinator], row: InboundMessage
) -> None:
    """Ask for each program's digest up to now; `asked_digests` makes it once this reply is
    committed (reading a large program here would hold the reply's transaction open)."""
    await (
        Coordinator.filter(id__in=[c.id for c in programs])
        .using_db(connection)
        .update(digest_asked_by=row.id)
    )


async def _reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    row: InboundMessage,
    answer: Answer,
    now: datetime,
) -> None:
    program = await Program.get(id=coordinator.program_id, using_db=connection)
    await to_coordinator(
        connection,
        outbox,
        coordinator,
        program,
        kind="coordinator_reply",
        dedupe_key=f"coordinator_reply:inbound:{row.id}",
        now=now,
        context={"done": answer.done, "problems": answer.problems, "commands": COORDINATOR_HELP},
        in_reply_to=row.message_id if not row.message_id.startswith("sha256:") else None,
    )
