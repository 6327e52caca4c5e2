"""A coordinator's mail: applied at once through their own signed address; from their
address to the plain one, held until they confirm it there."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from service.coordinators.commands import ask_digest, csv_attachment_names, set_digest
from service.inbox import rules
from service.inbox.answers import coordinator_reply
from service.inbox.commands import COORDINATORS, CoordinatorMail, apply_within_bounds
from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.mail.reading.parse import parse_message
from service.mail.tokens import ReplyToken
from service.outbox.writer import Reader
from service.program import grammar
from service.program.grammar import Command, Grammar, as_written, closest, parse
from service.program.schedule import format_date
from service.storage import statements
from service.storage.models import (
    Coordinator,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    Program,
)


async def to_coordinator_address(inbound: Inbound, token: ReplyToken) -> Outcome:
    """A reply to a digest (or its List-Unsubscribe address): from that coordinator only."""
    coordinator = await Coordinator.get_or_none(id=token.person_id, using_db=inbound.connection)
    if coordinator is None:
        return await inbound.refused(rules.COORDINATOR_GONE)
    verdict = rules.not_the_coordinator(inbound.parsed, coordinator.email)
    if verdict is not None:
        return await inbound.refused(verdict)
    if token.about.topic == Topic.CONFIRM:
        return await confirm(inbound, coordinator, token.about)
    return await apply_coordinator_mail(inbound, coordinator, token.about)


async def apply_coordinator_mail(
    inbound: Inbound, coordinator: Coordinator, about: About | None = None
) -> Outcome:
    """A coordinator's commands, one a line, each answered with what it did. `about` is
    the coordinator's address they wrote to, if they wrote to one."""
    unsubscribe = about is not None and about.topic == Topic.UNSUBSCRIBE
    connection = inbound.connection
    mail = await _mail(inbound, coordinator)
    read = parse(inbound.parsed.visible_text, Grammar.COORDINATOR)
    # Every line is answered: a command not acted on says why and what to write; a line
    # that asks for something no command does gets the commands nearest to it (the whole
    # list closes the answer).
    for line in read.held:
        write = " / ".join(as_written(command) for command in line.asks)
        mail.problems.append(f"{line.text} (not done: {line.held}; to do it, write {write})")
    for text in read.unknown + [
        line.text
        for line in read.lines
        if line.command is None and not line.attempt and not line.held and not line.pleasantry
    ]:
        near = " / ".join(closest(text, Grammar.COORDINATOR, "coordinator"))
        mail.problems.append(
            f"{text} (not something we can do by email; the closest commands: {near})"
        )
    if unsubscribe or (not read.commands and "unsubscribe" in inbound.parsed.subject.lower()):
        mail.done.append(await set_digest(connection, mail.coordinating, "off"))

    async def apply(command: Command) -> None:
        await COORDINATORS[command.syntax](mail, command)

    await apply_within_bounds(read.commands, apply, mail.done, mail.problems)
    if mail.confirmed:
        mail.problems.append("confirm (there is nothing here waiting to be confirmed)")
    if mail.wants_digest:
        mail.done.append(
            await ask_digest(connection, mail.coordinating, inbound.row.id, inbound.now)
        )
    if not read.commands and not mail.done and not mail.problems:
        mail.problems.append("No command was found in your message.")
    await coordinator_reply(mail)
    return Outcome(InboundStatus.PROCESSED, "coordinator mail", mail.done, about=about)


# How long a held message waits to be confirmed, and how many requests to confirm one
# coordinator gets a day at most: someone writing with their address in From cannot use
# us to flood them.
HOLD_FOR = timedelta(days=7)
CONFIRMATIONS_A_DAY = 3


async def hold(inbound: Inbound, coordinator: Coordinator) -> Outcome:
    """Commands from a coordinator's address to the plain one: anyone can write that From,
    so nothing is done until the coordinator confirms it, by replying through their own
    signed address to the request we send to their real one."""
    read = parse(inbound.parsed.visible_text, Grammar.COORDINATOR)
    if not read.commands:
        return await inbound.refused(rules.UNSIGNED_COORDINATOR)
    connection, now = inbound.connection, inbound.now
    asked = await (
        OutboundMessage.filter(
            kind=kinds.COORDINATOR_CONFIRM.name,
            coordinator_id=coordinator.id,
            created_at__gte=now - timedelta(days=1),
        )
        .using_db(connection)
        .count()
    )
    if asked >= CONFIRMATIONS_A_DAY:
        reason = "from a coordinator's address, unconfirmed: too many requests to confirm today"
        return Outcome(InboundStatus.IGNORED, reason)
    program = await Program.get(id=coordinator.program_id, using_db=connection)
    await inbound.outbox.add(
        connection,
        kind=kinds.COORDINATOR_CONFIRM,
        dedupe_key=f"coordinator_confirm:inbound:{inbound.row.id}",
        to=Reader.coordinator(coordinator, program.name),
        about=About(Topic.CONFIRM, inbound.row.id),
        now=now,
        context={
            "commands_found": [command.line for command in read.commands],
            "attachments": csv_attachment_names(bytes(inbound.row.raw_bytes)),
            "expires": format_date((now + HOLD_FOR).date()),
        },
    )
    return Outcome(InboundStatus.HELD, "from a coordinator's address: held until confirmed")


async def confirm(inbound: Inbound, coordinator: Coordinator, about: About) -> Outcome:
    """The coordinator's answer to a request to confirm: `confirm` applies the held
    message as if it had come through their signed address."""
    read = parse(inbound.parsed.visible_text, Grammar.COORDINATOR)
    mail = await _mail(inbound, coordinator)
    for command in read.named(grammar.CONFIRM):
        await COORDINATORS[command.syntax](mail, command)
    held = await (
        InboundMessage.filter(id=about.ref, status=InboundStatus.HELD)
        .select_for_update()
        .using_db(inbound.connection)
        .first()
    )
    problem = _why_not(mail, held, inbound)
    if problem is not None or held is None:
        mail.problems.append(problem or "")
        await coordinator_reply(mail)
        return Outcome(InboundStatus.PROCESSED, "confirmation: nothing applied", about=about)
    parsed = await asyncio.to_thread(parse_message, bytes(held.raw_bytes))
    applied = await apply_coordinator_mail(
        Inbound(inbound.app, inbound.connection, inbound.outbox, held, parsed, inbound.now),
        coordinator,
    )
    await statements.update(
        inbound.connection,
        InboundMessage,
        held.id,
        {
            "status": applied.status,
            "processed_at": inbound.now,
            "reason": f"{applied.reason}, confirmed",
        },
    )
    return Outcome(
        InboundStatus.PROCESSED, "confirmation: held message applied", applied.applied, about=about
    )


async def _mail(inbound: Inbound, coordinator: Coordinator) -> CoordinatorMail:
    """The coordinator's message as it is applied, with every program they coordinate."""
    return CoordinatorMail(
        inbound.connection,
        inbound.outbox,
        coordinator,
        await Coordinator.filter(email=coordinator.email).using_db(inbound.connection),
        inbound.row,
        inbound.now,
    )


def _why_not(mail: CoordinatorMail, held: InboundMessage | None, inbound: Inbound) -> str | None:
    """Why a confirmation applies nothing, in words for the coordinator; None when it does."""
    if not mail.confirmed:
        return "Nothing was done: write confirm to apply the commands you sent."
    if held is None or held.from_addr != mail.coordinator.email:
        return "There is no request of yours waiting to be confirmed: it was applied already."
    if held.received_at < inbound.now - HOLD_FOR:
        return "Nothing was done: the request lapsed. Please send the commands again."
    return None
