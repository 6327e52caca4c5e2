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

from service.inbox import rules
from service.inbox.coordinating import hold, to_coordinator_address
from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.inbox.reply import Reply
from service.inbox.routing import route
from service.inbox.topics import HANDLERS
from service.mail.tokens import ReplyToken
from service.meetings.calendar_answers import calendar_answer
from service.outbox.deliverability import apply_bounce, heard_from
from service.storage import statements
from service.storage.models import Coordinator, InboundStatus, PairingState, Person


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
        return await to_coordinator_address(inbound, found.token)
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
        # A new email from a coordinator's address: anyone can write that From, so its
        # commands wait for the coordinator to confirm them.
        return await hold(inbound, coordinator)
    known = await Person.get_or_none(email=sender, using_db=connection)
    if known is None:
        return await inbound.refused(rules.STRANGER)
    await heard_from(connection, known)
    return await inbound.refused(rules.UNROUTED)
