"""What one stored message comes to: its rules in order, then its handler.

bounce?                      scored per recipient, set aside
forged, automatic, no sender, our own mail     (rules.MESSAGE_RULES)
route: signed address, else thread            tampered → refused
  a coordinator's address → that coordinator's commands
  nothing → a coordinator writing from their address, else refused politely
a calendar answer            its meeting's attendee, never answered
not theirs, absence notice, pairing ended      (rules.REPLY_RULES)
the topic's handler          (topics.HANDLERS)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.app import AppContext
from service.coordinators.commands import ask_digest, set_digest
from service.inbox import rules
from service.inbox.answers import coordinator_reply, refuse
from service.inbox.commands import COORDINATORS, CoordinatorMail
from service.inbox.outcome import Outcome
from service.inbox.reply import Reply
from service.inbox.routing import route
from service.inbox.topics import HANDLERS
from service.mail.kinds import About, Topic
from service.mail.reading.parse import ParsedMessage
from service.mail.tokens import ReplyToken
from service.meetings.calendar_answers import calendar_answer
from service.outbox.deliverability import apply_bounce, heard_from
from service.outbox.writer import OutboxWriter
from service.program.grammar import Grammar, parse
from service.storage import statements
from service.storage.models import Coordinator, InboundMessage, InboundStatus, PairingState, Person


@dataclass
class Inbound:
    """One stored message being applied, inside the caller's transaction."""

    app: AppContext
    connection: BaseDBAsyncClient
    outbox: OutboxWriter
    row: InboundMessage
    parsed: ParsedMessage
    now: datetime

    async def refused(self, verdict: rules.Verdict, *, private: bool = False) -> Outcome:
        """The verdict's outcome, its polite answer queued (one a day at most)."""
        if verdict.refusal is not None:
            await refuse(
                self.connection,
                self.outbox,
                self.parsed,
                verdict.refusal.kind,
                verdict.refusal.text,
                self.now,
            )
        return Outcome(InboundStatus(verdict.status), verdict.reason, private=private)


async def decide(inbound: Inbound) -> Outcome:
    """Everything a message does, in the caller's transaction."""
    parsed = inbound.parsed
    if parsed.kind == "bounce":
        return await _bounce(inbound)
    for check in rules.MESSAGE_RULES:
        verdict = check(parsed, inbound.app.settings)
        if verdict is not None:
            return await inbound.refused(verdict)
    settings = inbound.app.settings
    found = await route(inbound.connection, inbound.app.secret, settings.service_address, parsed)
    if found.tampered:
        return await inbound.refused(rules.TAMPERED)
    if found.token is None:
        return await _unrouted(inbound)
    if found.token.about.topic.for_coordinators:
        return await _to_coordinator_address(inbound, found.token)
    return await _participant(inbound, found.token)


async def _bounce(inbound: Inbound) -> Outcome:
    """A bounce scores the addresses it names; it is never answered."""
    disabled = []
    if inbound.parsed.bounce is not None:
        disabled = await apply_bounce(
            inbound.connection,
            inbound.parsed.bounce,
            inbound.now,
            inbound.app.settings.bounce_threshold,
        )
    note = f"; mail stopped for {len(disabled)} person(s)" if disabled else ""
    return Outcome(InboundStatus.IGNORED, f"bounce: recorded, never answered{note}")


async def _participant(inbound: Inbound, token: ReplyToken) -> Outcome:
    connection, row = inbound.connection, inbound.row
    person = await statements.person(connection, token.person_id)
    # Locked: both people may answer at once, and each answer reads and rewrites its terms.
    pairing = await statements.pairing_for_update(connection, token.pairing_id)
    if person is None or pairing is None:
        return await inbound.refused(rules.GONE)
    about = token.about
    if inbound.parsed.kind == "itip":
        # Calendars answer by themselves: never a refusal, never an "understood" email.
        row.person_id, row.pairing_id = person.id, pairing.id
        taken = await calendar_answer(
            connection, inbound.outbox, pairing, person, inbound.parsed, inbound.now
        )
        status = InboundStatus.PROCESSED if taken.applied else InboundStatus.IGNORED
        return Outcome(status, taken.reason, private=about.private, about=about)
    closed = pairing.state == PairingState.CLOSED
    routed = rules.Routed(inbound.parsed, person.email, closed, about)
    verdict = rules.not_theirs(routed)
    if verdict is not None:
        return await inbound.refused(verdict, private=about.private)
    row.person_id, row.pairing_id = person.id, pairing.id
    await heard_from(connection, person)
    for check in rules.REPLY_RULES:
        verdict = check(routed)
        if verdict is not None:
            return await inbound.refused(verdict, private=about.private)
    reply = Reply(
        connection,
        inbound.outbox,
        row,
        inbound.parsed,
        pairing,
        pairing.program,
        person,
        about,
        inbound.now,
    )
    return await HANDLERS[about.topic](reply)


async def _unrouted(inbound: Inbound) -> Outcome:
    """No address of ours and no thread of ours: a coordinator writing from their own
    address, someone we know who wrote afresh, or a stranger."""
    connection, sender = inbound.connection, inbound.parsed.from_addr
    coordinator = await Coordinator.filter(email=sender).order_by("id").using_db(connection).first()
    if coordinator is not None:
        # A new email from a coordinator's own address: commands, an import.
        return await _coordinator(inbound, coordinator)
    known = await Person.get_or_none(email=sender, using_db=connection)
    if known is None:
        return await inbound.refused(rules.STRANGER)
    await heard_from(connection, known)
    return await inbound.refused(rules.UNROUTED)


async def _to_coordinator_address(inbound: Inbound, token: ReplyToken) -> Outcome:
    """A reply to a digest (or its List-Unsubscribe address): from that coordinator only."""
    coordinator = await Coordinator.get_or_none(id=token.person_id, using_db=inbound.connection)
    if coordinator is None:
        return await inbound.refused(rules.COORDINATOR_GONE)
    verdict = rules.not_the_coordinator(inbound.parsed, coordinator.email)
    if verdict is not None:
        return await inbound.refused(verdict)
    return await _coordinator(inbound, coordinator, token.about)


async def _coordinator(
    inbound: Inbound, coordinator: Coordinator, about: About | None = None
) -> Outcome:
    """A coordinator's commands, one a line, each answered with what it did. `about` is
    the coordinator's address they wrote to, if they wrote to one."""
    unsubscribe = about is not None and about.topic == Topic.UNSUBSCRIBE
    connection = inbound.connection
    mail = CoordinatorMail(
        connection,
        inbound.outbox,
        coordinator,
        await Coordinator.filter(email=coordinator.email).using_db(connection),
        inbound.row,
        inbound.now,
    )
    read = parse(inbound.parsed.visible_text, Grammar.COORDINATOR)
    mail.problems += [f"{line} (not understood)" for line in read.unknown]
    if unsubscribe or (not read.commands and "unsubscribe" in inbound.parsed.subject.lower()):
        mail.done.append(await set_digest(connection, mail.coordinating, "off"))
    for command in read.commands:
        await COORDINATORS[command.syntax](mail, command)
    if mail.wants_digest:
        mail.done.append(await ask_digest(connection, mail.coordinating, inbound.row.id))
    if not read.commands and not mail.done and not mail.problems:
        mail.problems.append("No command was found in your message.")
    await coordinator_reply(mail)
    return Outcome(InboundStatus.PROCESSED, "coordinator mail", mail.done, about=about)
