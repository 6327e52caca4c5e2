"""The command registry: what each command of the grammar does, for participants and for
coordinators. Its syntax, who may write it, where, and its help are the grammar's
(`service/program/grammar.py`); here each one is given its handler, and a test holds the
two together (every command has exactly one).

A participant's handler adds what it did, or could not do, to the reply's answer; some
gather (agenda topics, the agreement's lines, `share`) for the topic's handler to act on
together. A coordinator's handler adds to the coordinator's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.store import add_task, complete_task
from service.coordinators import commands as coordinating
from service.coordinators import report as reporting
from service.inbox.reply import Reply
from service.meetings.pausing import pause_pairing, resume_pairing
from service.meetings.replan import change_frequency, change_location, reschedule_meeting
from service.outbox.writer import OutboxWriter
from service.performance.conversations import request_conversation
from service.phase_out.closing import begin_phase_out
from service.program import grammar
from service.program.grammar import Command, Syntax
from service.program.terms import Change, parse_frequency, parse_location
from service.storage import statements
from service.storage.models import Coordinator, InboundMessage

Handler = Callable[[Reply, Command], Awaitable[None]]


async def _done(reply: Reply, command: Command) -> None:
    reply.record(
        *await complete_task(
            reply.connection, reply.outbox.secret, reply.pairing, command, reply.now
        )
    )


async def _task(reply: Reply, command: Command) -> None:
    reply.record(
        *await add_task(
            reply.connection, reply.outbox.secret, reply.pairing, reply.person, command, reply.now
        )
    )


async def _agenda(reply: Reply, command: Command) -> None:
    reply.agenda.append(command.args["text"])


async def _reschedule(reply: Reply, command: Command) -> None:
    # The meeting the email was about, when it is still ahead; else the next one.
    meeting = await statements.upcoming_meeting(
        reply.connection, reply.pairing.id, reply.now, reply.meeting_ref
    )
    if meeting is None:
        reply.not_understood.append(f"{command.line} (there is no upcoming meeting to move)")
        return
    done, problem = await reschedule_meeting(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        meeting,
        command.args["when"],
        reply.now,
    )
    reply.record(done, f"{command.line} ({problem})" if problem else None)


async def _frequency(reply: Reply, command: Command) -> None:
    try:
        frequency = parse_frequency(command.args["value"])
    except ValueError as exc:
        reply.not_understood.append(f"{command.line} ({exc})")
        return
    reply.applied.append(
        await change_frequency(
            reply.connection, reply.outbox, reply.pairing, reply.person, frequency, reply.now
        )
    )


async def _where(reply: Reply, command: Command) -> None:
    try:
        location = parse_location(command.args["value"])
    except ValueError as exc:
        reply.not_understood.append(f"{command.line} ({exc})")
        return
    reply.applied.append(
        await change_location(
            reply.connection, reply.outbox, reply.pairing, reply.person, location, reply.now
        )
    )


async def _phase_out(reply: Reply, command: Command) -> None:
    reply.applied.append(
        await begin_phase_out(
            reply.connection,
            reply.outbox,
            reply.pairing,
            reply.now,
            path="participant",
            by=reply.person,
        )
    )


async def _pause(reply: Reply, command: Command) -> None:
    reason = (
        f"{reply.person.name} paused your mentoring meetings for now; write resume to start "
        "them again."
    )
    reply.applied.append(
        await pause_pairing(reply.connection, reply.outbox, reply.pairing, reply.now, reason)
    )


async def _resume(reply: Reply, command: Command) -> None:
    reply.applied.append(
        await resume_pairing(reply.connection, reply.outbox, reply.pairing, reply.now)
    )


async def _performance(reply: Reply, command: Command) -> None:
    reply.record(
        *await request_conversation(
            reply.connection,
            reply.outbox,
            reply.pairing,
            reply.person,
            command.args.get("when"),
            reply.now,
        )
    )


async def _share(reply: Reply, command: Command) -> None:
    reply.share = True


async def _help(reply: Reply, command: Command) -> None:
    reply.helps.append(command)


async def _agree(reply: Reply, command: Command) -> None:
    reply.agrees = True


async def _set(reply: Reply, command: Command) -> None:
    reply.changes.append(Change(command.args["field"], command.args["value"]))
    # "Frequency: monthly. I agree" changes the line and agrees, as two lines would.
    reply.agrees = reply.agrees or "agrees" in command.args


PARTICIPANTS: dict[Syntax, Handler] = {
    grammar.SET: _set,
    grammar.DONE: _done,
    grammar.TASK: _task,
    grammar.AGENDA: _agenda,
    grammar.RESCHEDULE: _reschedule,
    grammar.FREQUENCY: _frequency,
    grammar.WHERE: _where,
    grammar.PAUSE: _pause,
    grammar.RESUME: _resume,
    grammar.PHASE_OUT: _phase_out,
    grammar.PERFORMANCE: _performance,
    grammar.SHARE: _share,
    grammar.HELP: _help,
    grammar.AGREE: _agree,
}


class Bounds:
    """How many of each command one message has applied, against each command's bound (a
    message's effects are bounded), and the lines left out beyond it, with why."""

    def __init__(self) -> None:
        self.applied: Counter[Syntax] = Counter()
        self.pairings = 0
        # The first line left out of each command, with why, and how many more were.
        self.first: dict[Syntax, str] = {}
        self.more: Counter[Syntax] = Counter()

    def refuses(self, command: Command) -> bool:
        """Whether `command` is beyond its bound; if it is, it is noted with why."""
        syntax = command.syntax
        if self.applied[syntax] >= syntax.per_message:
            why = syntax.beyond()
        elif syntax in grammar.PAIRING_COMMANDS and self.pairings >= grammar.PAIRINGS_PER_MESSAGE:
            why = f"not applied: {grammar.PAIRINGS_PER_MESSAGE} pairings a message at most"
        else:
            return False
        if syntax in self.first:
            self.more[syntax] += 1
        else:
            self.first[syntax] = f"{command.line} ({why})"
        return True

    def count(self, command: Command) -> None:
        self.applied[command.syntax] += 1
        self.pairings += command.syntax in grammar.PAIRING_COMMANDS

    def beyond(self) -> list[str]:
        """Each command left out, once, with how many more like it were."""
        return [
            line + (f", and {self.more[syntax]} more like it" if self.more[syntax] else "")
            for syntax, line in self.first.items()
        ]


async def apply_within_bounds(
    commands: list[Command],
    apply: Callable[[Command], Awaitable[None]],
    done: list[str],
    problems: list[str],
) -> None:
    """Apply `commands` in the order written, each as often as its bound allows; `apply`
    adds to `done` and `problems`. A command that failed outright (a problem and nothing
    done: a date not understood, no such pairing) does not count towards its bound, so the
    writer hears its own reason rather than that the bound was reached."""
    bounds = Bounds()
    for command in commands:
        if bounds.refuses(command):
            continue
        done_before, problems_before = len(done), len(problems)
        await apply(command)
        if len(done) > done_before or len(problems) == problems_before:
            bounds.count(command)
    problems += bounds.beyond()


async def apply_commands(reply: Reply, commands: list[Command] | None = None) -> None:
    """Apply the reply's commands (or `commands`) in the order they were written, each as
    often as its bound allows."""

    async def apply(command: Command) -> None:
        await PARTICIPANTS[command.syntax](reply, command)

    await apply_within_bounds(
        reply.read.commands if commands is None else commands,
        apply,
        reply.applied,
        reply.not_understood,
    )


@dataclass
class CoordinatorMail:
    """A coordinator's message while it is applied: who wrote it, what they coordinate,
    and the answer they get."""

    connection: BaseDBAsyncClient
    outbox: OutboxWriter
    coordinator: Coordinator
    coordinating: list[Coordinator]  # their place in each program they coordinate
    row: InboundMessage
    now: datetime
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    wants_digest: bool = False
    confirmed: bool = False
    # Files the answer carries: (name, MIME type, bytes).
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)

    @property
    def program_ids(self) -> set[int]:
        return {c.program_id for c in self.coordinating}


CoordinatorHandler = Callable[[CoordinatorMail, Command], Awaitable[None]]


async def _on_pairing(mail: CoordinatorMail, command: Command) -> None:
    number = int(command.args["number"])
    pairing = await coordinating.pairing_of(mail.connection, number, mail.program_ids)
    if pairing is None:
        mail.problems.append(
            f"{command.line} (there is no pairing {number} in a program you coordinate)"
        )
        return
    act = _ON_PAIRING[command.syntax]
    done, problem = await act(mail.connection, mail.outbox, mail.coordinator, pairing, mail.now)
    if done:
        mail.done.append(done)
    if problem:
        mail.problems.append(problem)


_ON_PAIRING = {
    grammar.NUDGE: coordinating.nudge,
    grammar.PAUSE_PAIRING: coordinating.pause,
    grammar.RESUME_PAIRING: coordinating.resume,
    grammar.CLOSE_PAIRING: coordinating.close,
    grammar.DETAILS: coordinating.details,
}


async def _digest_now(mail: CoordinatorMail, command: Command) -> None:
    mail.wants_digest = True


async def _digest_every(mail: CoordinatorMail, command: Command) -> None:
    mail.done.append(
        await coordinating.set_digest(mail.connection, mail.coordinating, command.args["every"])
    )


async def _import(mail: CoordinatorMail, command: Command) -> None:
    done, problems = await coordinating.import_attached(
        mail.connection, mail.outbox, mail.coordinator, bytes(mail.row.raw_bytes), mail.now
    )
    mail.done += done
    mail.problems += problems


async def _report(mail: CoordinatorMail, command: Command) -> None:
    done, files = await reporting.by_email(mail.coordinating, mail.now)
    mail.done.append(done)
    mail.attachments += files


async def _unsubscribe(mail: CoordinatorMail, command: Command) -> None:
    mail.done.append(await coordinating.set_digest(mail.connection, mail.coordinating, "off"))


async def _confirm(mail: CoordinatorMail, command: Command) -> None:
    mail.confirmed = True


async def _coordinator_help(mail: CoordinatorMail, command: Command) -> None:
    mail.done.append("The commands you may write are below.")


COORDINATORS: dict[Syntax, CoordinatorHandler] = {
    grammar.NUDGE: _on_pairing,
    grammar.PAUSE_PAIRING: _on_pairing,
    grammar.RESUME_PAIRING: _on_pairing,
    grammar.CLOSE_PAIRING: _on_pairing,
    grammar.DETAILS: _on_pairing,
    grammar.DIGEST_NOW: _digest_now,
    grammar.DIGEST_EVERY: _digest_every,
    grammar.IMPORT: _import,
    grammar.REPORT: _report,
    grammar.UNSUBSCRIBE: _unsubscribe,
    grammar.CONFIRM: _confirm,
    grammar.COORDINATOR_HELP: _coordinator_help,
}
