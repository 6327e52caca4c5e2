"""Privacy markers planted in what must stay private, then searched everywhere else.

Every participant answers their reflection prompts with a marker of their own; one mentor
holds a performance conversation whose summary carries a marker, and the mentee answers
the follow-up with another. Then a month of the program runs, coordinators' digests and
all. A leak is a marker (or, in a digest, the fact of a performance conversation) in:
anyone else's mail, a digest, a log line, a stored reason, or the database in the clear.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from tortoise import Tortoise

from bench.common import active_program, service
from reliability.common import START, mailroom, process_all, reply
from service.app import AppContext
from service.clock import ManualClock
from service.jobs.functions import plan
from service.mail.transports.imap import ImapIncoming
from service.outbox.writer import wire_bytes
from service.storage.models import InboundMessage, Meeting, OutboundMessage, Pairing, Person
from tests.mail import parse
from tests.servers import Dovecot

PERF = "PERF-MARK-7c2e"
PERF_REPLY = "PERFREPLY-MARK-19ad"
REFLECTIVE = ("after_meeting", "mentor_reflection", "mentor_checkin", "mentoring_map")


def reflection_mark(person: Person) -> str:
    return f"REFLECT-MARK-{person.id:04d}"


class Logged(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")


async def latest(app: AppContext, person: Person, kind: str) -> bytes | None:
    row = await OutboundMessage.filter(person_id=person.id, kind=kind).order_by("-id").first()
    return wire_bytes(row, app.secret) if row else None


async def answer(app: AppContext, dovecot: Dovecot, person: Person, kind: str, body: str) -> bool:
    original = await latest(app, person, kind)
    if original is None:
        return False
    dovecot.deliver(reply(original, person.email, body))
    await process_all(app)
    return True


async def _conversation(app: AppContext, dovecot: Dovecot, clock: ManualClock) -> int:
    """One mentor's performance conversation, from request to the mentee's answer."""
    pairing = await Pairing.all().order_by("id").first()
    assert pairing is not None
    mentor = await Person.get(id=pairing.mentor_id)
    mentee = await Person.get(id=pairing.mentee_id)
    await answer(app, dovecot, mentor, "invitation", "performance conversation")
    meeting = await Meeting.filter(private=True).first()
    if meeting is None:
        return 0
    clock.set(meeting.ends_at + timedelta(minutes=5))
    await plan(app)
    await process_all(app)
    steps = int(
        await answer(
            app,
            dovecot,
            mentor,
            "performance_summary_request",
            f"Summary: {PERF} deadlines slipped\nAction item: share a timeline by Feb 26",
        )
    )
    steps += await answer(app, dovecot, mentor, "performance_followup_draft", "send")
    steps += await answer(
        app, dovecot, mentee, "performance_followup", f"confirm\nThe data came late. {PERF_REPLY}"
    )
    return steps


async def _scenario(folder: Path, dovecot: Dovecot, pairs: int) -> dict[str, float]:
    logged = Logged()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(logged)
    root.setLevel(logging.DEBUG)
    clock = ManualClock(START)
    try:
        async with service(folder, None, None, clock) as app:
            await active_program(app, pairs, clock.now())
            clock.set(START + timedelta(days=1))
            await process_all(app)
            app.incoming = ImapIncoming(dovecot.imap_url())
            steps = await _conversation(app, dovecot, clock)
            people = await Person.all()
            planted = 0
            for day in range(2, 36):
                clock.set(START + timedelta(days=day, hours=6))
                await plan(app)
                await process_all(app)
                for person in people:
                    for kind in REFLECTIVE:
                        row = await OutboundMessage.filter(person_id=person.id, kind=kind).first()
                        if (
                            row is None
                            or await InboundMessage.filter(
                                person_id=person.id, reason="private reply"
                            ).exists()
                        ):
                            continue
                        planted += await answer(
                            app, dovecot, person, kind, f"It went well. {reflection_mark(person)}"
                        )
            leaks, delivered = await _leaks(app, people, logged.lines)
    finally:
        root.removeHandler(logged)
        root.setLevel(previous)
    return {
        "privacy_conversation_steps": steps,
        "privacy_reflections_planted": planted,
        "privacy_leaks": leaks,
        # Markers found where they belong: the search does find what it looks for.
        "privacy_marks_delivered": delivered,
    }


async def _leaks(app: AppContext, people: list[Person], log_lines: list[str]) -> tuple[int, int]:
    """(leaks, markers found in the mail of the people they belong to)."""
    pairing = await Pairing.all().order_by("id").first()
    assert pairing is not None
    two = {p.email for p in people if p.id in (pairing.mentor_id, pairing.mentee_id)}
    allowed = {PERF: two, PERF_REPLY: two} | {reflection_mark(p): {p.email} for p in people}
    leaks = delivered = 0
    for row in await OutboundMessage.all():
        message = parse(wire_bytes(row, app.secret))
        said = "\n".join(
            str(part.get_content())
            for part in message.walk()
            if part.get_content_maintype() == "text"
        )
        for mark, readers in allowed.items():
            if mark in said:
                if set(row.recipients) <= readers:
                    delivered += 1
                else:
                    leaks += 1
        if row.kind == "digest" and "performance" in said.lower():
            leaks += 1
    logged = "\n".join(log_lines)
    leaks += sum(1 for mark in allowed if mark in logged)
    leaks += "performance" in logged.lower()
    for reason in await InboundMessage.all().values_list("reason", flat=True):
        leaks += any(mark in str(reason) for mark in allowed)
    for model in Tortoise.apps["models"].values():
        for stored in await model.all().values():
            for value in stored.values():
                data = value if isinstance(value, bytes) else str(value).encode()
                leaks += sum(1 for mark in allowed if mark.encode() in data)
    return leaks, delivered


def run(pairs: int) -> dict[str, float]:
    with mailroom() as dovecot, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), dovecot, pairs))
