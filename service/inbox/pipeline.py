"""What one stored message comes to: its rules in order, then its handler.

bounce?                      scored per recipient, set aside
spam complaint?              believed when about our email to that person: mail stops
forged, automatic, no sender, our own mail     (rules.MESSAGE_RULES)
route: signed address, else thread            tampered → refused
  a coordinator's address → that coordinator's commands
  a calendar answer → its meeting by UID, its invited ATTENDEE by the signed address,
                      From or Reply-To; never answered (one not placed: as below)
  nothing → a coordinator writing from their address, else refused politely
not theirs, absence notice, pairing ended      (rules.REPLY_RULES)
the topic's handler          (topics.HANDLERS)
"""

from __future__ import annotations

from service.inbox import rules
from service.inbox.complaints import complained
from service.inbox.coordinating import hold, to_coordinator_address
from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.inbox.reply import Reply
from service.inbox.routing import Route, route
from service.inbox.topics import HANDLERS
from service.mail.kinds import About
from service.mail.tokens import ReplyToken
from service.meetings.calendar_answers import calendar_answer, invited_person, meeting_by_uid
from service.outbox.deliverability import apply_bounce, heard_from
from service.program.people import Cast
from service.storage import statements
from service.storage.models import Coordinator, InboundStatus, PairingState, Person


async def decide(inbound: Inbound) -> Outcome:
    """Everything a message does, in the caller's transaction."""
    parsed = inbound.parsed
    if parsed.kind == "bounce":
        return await _bounce(inbound)
    if parsed.kind == "complaint":
        return await complained(inbound)
    for check in rules.MESSAGE_RULES:
        verdict = check(parsed, inbound.app.settings)
        if verdict is not None:
            return await inbound.refused(verdict)
    settings = inbound.app.settings
    found = await route(
        inbound.connection,
        inbound.app.secret,
        settings.service_address,
        parsed,
        delimiter=settings.delimiter,
    )
    if found.tampered:
        return await inbound.refused(rules.TAMPERED)
    if found.token is not None and found.token.about.topic.for_coordinators:
        return await to_coordinator_address(inbound, found.token)
    if parsed.kind == "itip":
        return await _calendar(inbound, found)
    if found.token is None:
        return await _unrouted(inbound)
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
    closed = pairing.state == PairingState.CLOSED
    routed = rules.Routed(inbound.parsed, person.email, closed, about)
    verdict = rules.not_theirs(routed)
    if verdict is not None:
        return await inbound.refused(verdict, private=about.private)
    row.person_id, row.pairing_id = person.id, pairing.id
    await heard_from(connection, person, answered=True)
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


async def _calendar(inbound: Inbound, found: Route) -> Outcome:
    """A calendar's answer, however it came: its meeting by our UID, its person by the
    ATTENDEE, taken from the signed address it came to, its From or its Reply-To (calendar
    servers write From: as themselves). Calendars answer by themselves: never an
    "understood" email; an answer we cannot place is refused as any other mail would be."""
    connection, parsed = inbound.connection, inbound.parsed
    answer = parsed.answer
    assert answer is not None
    token = found.token
    meeting = await meeting_by_uid(connection, answer.uid)
    private = meeting is not None and meeting.private
    pairing_id = token.pairing_id if token is not None else None
    if meeting is not None and token is None:
        pairing_id = meeting.pairing_id
    if pairing_id is None:
        return await _unrouted(inbound, private=private)
    # Locked: both people may answer at once.
    pairing = await statements.pairing_for_update(connection, pairing_id)
    if pairing is None:
        return await inbound.refused(rules.GONE)
    cast = await Cast.load(connection, pairing)
    signed_for = None
    if token is not None and found.by == "address":
        signed_for = next((p for p in (cast.mentor, cast.mentee) if p.id == token.person_id), None)
    person = invited_person(cast, signed_for, parsed)
    if token is None:
        if person is None or meeting is None:
            return await _unrouted(inbound, private=private)
    elif person is None or meeting is None or meeting.pairing_id != pairing.id:
        # Rule 20: a forwarded invitation answered by someone else changes nothing.
        inbound.row.person_id, inbound.row.pairing_id = token.person_id, pairing.id
        reason = "from someone not invited" if person is None else "about a meeting not ours"
        about = token.about
        return Outcome(
            InboundStatus.IGNORED, f"calendar answer {reason}", private=about.private, about=about
        )
    inbound.row.person_id, inbound.row.pairing_id = person.id, pairing.id
    about = About.meeting(meeting.id, private=meeting.private)
    taken = await calendar_answer(
        connection, inbound.outbox, pairing, cast, person, meeting, answer, inbound.now
    )
    status = InboundStatus.PROCESSED if taken.applied else InboundStatus.IGNORED
    return Outcome(status, taken.reason, private=about.private, about=about)


async def _unrouted(inbound: Inbound, *, private: bool = False) -> Outcome:
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
        return await inbound.refused(rules.STRANGER, private=private)
    await heard_from(connection, known, answered=False)
    return await inbound.refused(rules.UNROUTED, private=private)
