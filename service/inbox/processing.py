"""Inbound mail: store raw bytes first, then apply each message once (a batch of them in one
transaction, each on its own should the batch fail)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from service.app import AppContext
from service.coordinators.commands import coordinator_mail
from service.inbox.outcome import Outcome
from service.inbox.replies import PRIVATE_TOPICS, agreement_reply, general_reply
from service.mail.reading.authentication import dmarc_failed
from service.mail.reading.parse import ParsedMessage, parse_message, reads_as_absence_notice
from service.mail.tokens import ReplyToken, find_token
from service.meetings.calendar_answers import calendar_answer
from service.outbox.deliverability import apply_bounce, heard_from
from service.outbox.writer import OutboxWriter, recipient_context
from service.performance.conversations import TOPICS as PERFORMANCE_TOPICS
from service.program.grammar import parse_commands
from service.storage import statements
from service.storage.db import transaction, transient
from service.storage.models import (
    Coordinator,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    PairingState,
    Person,
    Refusal,
)
from service.storage.sealing import MAIL, seal_bytes

log = logging.getLogger(__name__)

MAX_RAW_BYTES = 25 * 1024 * 1024


def inbound_message_id(raw: bytes) -> str:
    """The Message-ID, or a hash of the bytes when there is none: the key for exactly-once."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
        value = str(headers.get("Message-ID") or "")
    except Exception:
        value = ""
    value = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).strip("<>")
    if value and len(value) <= 200:
        return value
    return "sha256:" + hashlib.sha256(raw).hexdigest()


async def store_fetched(ctx: AppContext) -> list[int]:
    """Fetch a batch, store what is new, commit, then acknowledge it on the server."""
    fetched = await ctx.incoming.fetch(ctx.settings.fetch_batch)
    if not fetched:
        return []
    now = ctx.clock.now()
    new_ids: list[int] = []
    message_ids = [inbound_message_id(item.raw) for item in fetched]
    async with transaction() as connection:
        known = {
            str(message_id)
            for message_id in await InboundMessage.filter(message_id__in=message_ids)
            .using_db(connection)
            .values_list("message_id", flat=True)
        }
        rows = []
        for item, message_id in zip(fetched, message_ids, strict=True):
            if message_id in known:
                continue  # stored before, or twice in this batch
            known.add(message_id)
            rows.append(
                InboundMessage(
                    message_id=message_id,
                    raw_bytes=item.raw[:MAX_RAW_BYTES],
                    source_key=item.key[:100],
                    received_at=now,
                    reason=None if len(item.raw) <= MAX_RAW_BYTES else "truncated: over 25 MB",
                )
            )
        if rows:
            await InboundMessage.bulk_create(rows, using_db=connection)
            stored = dict(
                await InboundMessage.filter(message_id__in=[row.message_id for row in rows])
                .using_db(connection)
                .values_list("message_id", "id")
            )
            new_ids = [int(stored[row.message_id]) for row in rows]
    # Only after the commit: a crash before this line means a re-fetch, deduplicated above.
    await ctx.incoming.ack([item.key for item in fetched])
    ctx.count("inbound_stored", len(new_ids))
    return new_ids


async def process_inbound(ctx: AppContext, inbound_id: int) -> InboundStatus | None:
    """Apply one stored message. Returns None when it was already handled, PENDING when the
    database was busy or away (it is tried again later), FAILED when applying it began
    MAX_UNFINISHED times before and never came back."""
    try:
        starts = (await _begin([inbound_id])).get(inbound_id)
    except Exception as exc:
        return await _not_applied(ctx, inbound_id, exc, begun=False)
    if starts is None:
        return None
    if starts > MAX_UNFINISHED:
        log.error(
            "inbound %s failed: applying it began %s times and never finished",
            inbound_id,
            MAX_UNFINISHED,
        )
        return await _fail(ctx, inbound_id, UNFINISHED_REASON)
    outbox = OutboxWriter(ctx.settings, ctx.secret)
    now = ctx.clock.now()
    try:
        async with transaction() as connection:
            claimed = await _claim(connection, [inbound_id])
            outcome = await _apply(ctx, connection, outbox, claimed.get(inbound_id), now)
    except Exception as exc:
        return await _not_applied(ctx, inbound_id, exc, begun=True)
    return None if outcome is None else _applied(ctx, inbound_id, outcome)


# Stored messages are applied this many to a transaction (and to a worker's job): a commit
# each cost as much as reading a reply.
PROCESS_BATCH = 25

# Applying a message that began this many times and never came back (it stopped the worker,
# or outlasted the job's time limit, each time) is not begun again: the message is failed,
# its raw bytes kept, and the messages queued with it go on without it.
MAX_UNFINISHED = 3
UNFINISHED_REASON = (
    f"applying it began {MAX_UNFINISHED} times and never finished "
    "(the worker stopped or ran out of time); see the log"
)


async def process_inbound_batch(
    ctx: AppContext, inbound_ids: Sequence[int]
) -> list[InboundStatus | None]:
    """Apply stored messages, PROCESS_BATCH to a transaction; see `_apply_together`."""
    statuses: list[InboundStatus | None] = []
    for start in range(0, len(inbound_ids), PROCESS_BATCH):
        statuses += await _apply_together(ctx, inbound_ids[start : start + PROCESS_BATCH])
    return statuses


async def _apply_together(
    ctx: AppContext, inbound_ids: Sequence[int]
) -> list[InboundStatus | None]:
    """Apply stored messages in one transaction. Should any of them fail (a fault of ours,
    the database busy or away, two workers' batches waiting on each other's pairings), or
    should any have begun before and never come back, nothing of the batch is kept and each
    message is applied on its own, as `process_inbound` does, so that one message's trouble
    stays its own."""
    try:
        begun = await _begin(inbound_ids)
    except Exception as exc:
        begun = {}
        _log_one_by_one(inbound_ids, exc)
    else:
        if not begun:
            return [None] * len(inbound_ids)
        if all(starts == 1 for starts in begun.values()):
            outbox = OutboxWriter(ctx.settings, ctx.secret)
            now = ctx.clock.now()
            try:
                async with transaction() as connection:
                    claimed = await _claim(connection, inbound_ids)
                    outcomes = [
                        await _apply(ctx, connection, outbox, claimed.get(inbound_id), now)
                        for inbound_id in inbound_ids
                    ]
            except Exception as exc:
                _log_one_by_one(inbound_ids, exc)
            else:
                return [
                    None if outcome is None else _applied(ctx, inbound_id, outcome)
                    for inbound_id, outcome in zip(inbound_ids, outcomes, strict=True)
                ]
        # Each on its own counts its own start. Should the database refuse even this, the
        # counts stay one higher, which only brings the last chance nearer.
        with contextlib.suppress(Exception):
            await _came_back(list(begun))
    # Those that began fewest times first: one that stops the worker holds up no other.
    statuses = {
        inbound_id: await process_inbound(ctx, inbound_id)
        for inbound_id in sorted(inbound_ids, key=lambda i: (begun.get(i, 0), i))
    }
    return [statuses[inbound_id] for inbound_id in inbound_ids]


def _log_one_by_one(inbound_ids: Sequence[int], exc: Exception) -> None:
    # The type only: the message of an error while applying might quote a reply.
    log.info(
        "inbound %s-%s: applied one by one (%s)",
        inbound_ids[0],
        inbound_ids[-1],
        type(exc).__name__,
    )


async def _begin(inbound_ids: Sequence[int]) -> dict[int, int]:
    """Count a start for each message still pending, committed before the work; returns how
    many times each began without coming back, this time included."""
    async with transaction() as connection:
        pending = InboundMessage.filter(id__in=inbound_ids, status=InboundStatus.PENDING).using_db(
            connection
        )
        await pending.update(attempts=F("attempts") + 1)
        rows = await pending.values_list("id", "attempts")
    return {int(inbound_id): int(starts) for inbound_id, starts in rows}


async def _came_back(inbound_ids: Sequence[int]) -> None:
    """Give back the starts `_begin` counted, once the attempt's end was seen."""
    await InboundMessage.filter(
        id__in=inbound_ids, status=InboundStatus.PENDING, attempts__gt=0
    ).update(attempts=F("attempts") - 1)


async def _claim(
    connection: BaseDBAsyncClient, inbound_ids: Sequence[int]
) -> dict[int, InboundMessage]:
    """Lock those of the messages still pending, in the caller's transaction. The claim and
    the effects commit together: whoever locks a pending row owns it (another worker waits
    for the lock, then finds it no longer pending)."""
    rows = await (
        InboundMessage.filter(id__in=inbound_ids, status=InboundStatus.PENDING)
        .order_by("id")
        .select_for_update()
        .using_db(connection)
    )
    return {row.id: row for row in rows}


async def _apply(
    ctx: AppContext,
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    row: InboundMessage | None,
    now: datetime,
) -> Outcome | None:
    """Read, apply and record one claimed message inside the caller's transaction; None when
    it was no longer pending."""
    if row is None:
        return None
    parsed = parse_message(bytes(row.raw_bytes))
    outcome = await _decide(ctx, connection, outbox, row, parsed, now)
    private: dict[str, Any] = {}
    if outcome.private:
        # Kept, as every message is, but readable only with the service's key.
        private = {
            "raw_bytes": seal_bytes(ctx.secret, bytes(row.raw_bytes), MAIL),
            "sealed": True,
        }
    await statements.update(
        connection,
        InboundMessage,
        row.id,
        {
            "status": outcome.status,
            "processed_at": now,
            "kind": parsed.kind,
            "reason": "private reply" if outcome.private else outcome.reason,
            "from_addr": (parsed.from_addr or "")[:254] or None,
            "person_id": row.person_id,
            "pairing_id": row.pairing_id,
            **private,
        },
    )
    return outcome


def _applied(ctx: AppContext, inbound_id: int, outcome: Outcome) -> InboundStatus:
    """Counted and logged once committed."""
    ctx.count(f"inbound_{outcome.status.value}")
    reason = "private reply" if outcome.private else outcome.reason or "-"
    log.info("inbound %s: %s (%s)", inbound_id, outcome.status.value, reason)
    return outcome.status


async def _not_applied(
    ctx: AppContext, inbound_id: int, exc: Exception, *, begun: bool
) -> InboundStatus:
    """A message whose transaction failed: left pending when the database was busy or away,
    failed (raw bytes and a reason kept) when the fault was ours."""
    if transient(exc):
        # The database was busy or away: nothing was applied, the message stays pending
        # and the tick queues it again.
        log.warning(
            "inbound %s left pending: the database was busy or away (%s)",
            inbound_id,
            type(exc).__name__,
        )
        ctx.count("inbound_deferred")
        if begun:
            # This start came back; if the database refuses even that, the count stays.
            with contextlib.suppress(Exception):
                await _came_back([inbound_id])
        return InboundStatus.PENDING
    return await _fail(ctx, inbound_id, "internal error while applying; see the log", exc)


async def _fail(
    ctx: AppContext, inbound_id: int, reason: str, exc: Exception | None = None
) -> InboundStatus:
    """A fault of ours: the message keeps its raw bytes and the reason, the worker goes on."""
    row = await InboundMessage.get(id=inbound_id)
    if _about_private_matter(ctx, bytes(row.raw_bytes)):
        # Not even an exception's message: it might quote the reply.
        # Nor where: a module's name would tell what kind of private matter it was.
        # The message is kept sealed; it can be replayed with the key to find the fault.
        if exc is not None:
            log.error("inbound %s failed (%s) in a private reply", inbound_id, type(exc).__name__)
        sealed = seal_bytes(ctx.secret, bytes(row.raw_bytes), MAIL)
        await InboundMessage.filter(id=inbound_id).update(raw_bytes=sealed, sealed=True)
    elif exc is not None:
        log.exception("inbound %s failed", inbound_id, exc_info=exc)
    await InboundMessage.filter(id=inbound_id).update(status=InboundStatus.FAILED, reason=reason)
    ctx.count("inbound_failed")
    return InboundStatus.FAILED


def _about_private_matter(ctx: AppContext, raw: bytes) -> bool:
    """Whether a reply's address names a private topic (reflections, performance)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        fields = [str(headers.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
        addresses = [addr for _, addr in getaddresses(fields) if "@" in addr]
        token, _ = find_token(ctx.secret, ctx.settings.service_address, addresses)
    except Exception:
        return True  # unreadable: keep it sealed rather than guess
    return token is not None and _private_topic(token.topic)


def _private_topic(topic: str) -> bool:
    """Reflections, check-ins, the map and performance conversations: their replies sealed."""
    match = re.fullmatch(r"([a-z]+?)\d+", topic)
    return bool(match and match.group(1) in PRIVATE_TOPICS + PERFORMANCE_TOPICS)


async def _route(
    ctx: AppContext, connection: BaseDBAsyncClient, parsed: ParsedMessage
) -> tuple[ReplyToken | None, bool]:
    token, tampered = find_token(ctx.secret, ctx.settings.service_address, parsed.recipients)
    if token is not None or tampered:
        return token, tampered
    # Some clients drop the +tag: fall back to the thread headers against what we sent.
    ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    for message_id in ids:
        sent = await OutboundMessage.get_or_none(message_id=message_id, using_db=connection)
        if sent is not None and sent.pairing_id is not None and sent.person_id is not None:
            return ReplyToken(sent.pairing_id, sent.person_id, _topic_of(sent)), False
    return None, False


# What a reply to each kind of email is about, when it comes back without its token.
_TOPIC_BY_KIND = {
    "agenda_request": "agenda",
    "agenda": "agenda",
    "after_meeting": "after",
    "mentor_checkin": "checkin",
    "invitation": "meeting",
}


def _topic_of(sent: OutboundMessage) -> str:
    if sent.kind.startswith("agreement"):
        version = re.search(r":v(\d+):", sent.dedupe_key)
        return "agreement" + (version.group(1) if version else "")
    meeting = re.search(r":meeting:(\d+):", sent.dedupe_key)
    if sent.kind in _TOPIC_BY_KIND and meeting:
        return _TOPIC_BY_KIND[sent.kind] + meeting.group(1)
    if sent.kind == "reevaluation":
        return f"reeval{sent.pairing_id}"
    return "general"


async def _decide(
    ctx: AppContext,
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    row: InboundMessage,
    parsed: ParsedMessage,
    now: datetime,
) -> Outcome:
    if dmarc_failed(parsed.authentication, ctx.settings.authserv_id):
        # The From address is not the sender's: answering would write to its real owner.
        return Outcome(InboundStatus.REFUSED, "forged sender: DMARC failed at our server")
    if parsed.kind == "bounce":
        disabled = []
        if parsed.bounce is not None:
            disabled = await apply_bounce(
                connection, parsed.bounce, now, ctx.settings.bounce_threshold
            )
        note = f"; mail stopped for {len(disabled)} person(s)" if disabled else ""
        return Outcome(InboundStatus.IGNORED, f"bounce: recorded, never answered{note}")
    if parsed.kind == "auto_reply":
        return Outcome(InboundStatus.IGNORED, "auto_reply: recorded, never answered")
    if parsed.from_addr is None:
        reason = "no sender address"
        if parsed.defects:
            reason += "; " + "; ".join(parsed.defects[:3])
        return Outcome(InboundStatus.FAILED, reason)
    if parsed.from_addr == ctx.settings.service_address or parsed.from_addr.startswith(
        ctx.settings.service_address.partition("@")[0] + "+"
    ):
        return Outcome(InboundStatus.IGNORED, "our own mail came back")
    token, tampered = await _route(ctx, connection, parsed)
    if tampered:
        await _refuse(
            connection,
            outbox,
            parsed,
            "tampered",
            now,
            "The reply address this message was sent to is not one we issued, so "
            "nothing was changed. Please reply to one of our emails as it is.",
        )
        return Outcome(InboundStatus.REFUSED, "reply address token did not verify")
    if token is not None and token.pairing_id == 0:
        return await _from_coordinator(ctx, connection, outbox, token, row, parsed, now)
    if token is None:
        coordinator = await (
            Coordinator.filter(email=parsed.from_addr).order_by("id").using_db(connection).first()
        )
        if coordinator is not None:
            # A new email from a coordinator's own address: commands, an import.
            return await coordinator_mail(
                connection, outbox, coordinator, parsed, row, bytes(row.raw_bytes), now
            )
        return await _unrouted(connection, outbox, parsed, now)
    person = await statements.person(connection, token.person_id)
    # Lock the pairing: both people may answer at once, and each answer reads and rewrites
    # its terms.
    pairing = await statements.pairing_for_update(connection, token.pairing_id)
    if person is None or pairing is None:
        return Outcome(InboundStatus.IGNORED, "token names a pairing that no longer exists")
    if parsed.kind == "itip":
        # Calendars answer by themselves: never a refusal, never an "understood" email.
        row.person_id = person.id
        row.pairing_id = pairing.id
        return await calendar_answer(connection, outbox, pairing, person, parsed, now)
    if parsed.from_addr != person.email:
        await _refuse(
            connection,
            outbox,
            parsed,
            "wrong_sender",
            now,
            "This conversation belongs to another address, so nothing was changed. "
            "If you take part in a mentoring pair, please answer from the address "
            "our emails reach you at.",
        )
        return Outcome(InboundStatus.REFUSED, "sender is not the person this address is for")
    row.person_id = person.id
    row.pairing_id = pairing.id
    await heard_from(connection, person)
    if reads_as_absence_notice(parsed.visible_text) and not (
        parse_commands(parsed.visible_text, "general").commands
    ):
        # An out-of-office notice its sender did not mark: answering it would start a loop.
        return Outcome(
            InboundStatus.IGNORED,
            "auto_reply: reads as an absence notice, never answered",
            private=_private_topic(token.topic),
        )
    if pairing.state == PairingState.CLOSED and not token.topic.startswith("agreement"):
        # Its reply addresses have expired: nothing is applied to a pairing that has ended.
        await _refuse(
            connection,
            outbox,
            parsed,
            "ended",
            now,
            "Thank you for writing. This mentoring pair has ended, so nothing was changed; "
            "your program coordinator can help with anything further.",
        )
        return Outcome(
            InboundStatus.REFUSED, "pairing has ended", private=_private_topic(token.topic)
        )
    if token.topic.startswith("agreement"):
        version = int(token.topic.removeprefix("agreement") or pairing.terms_version)
        return await agreement_reply(
            connection, outbox, pairing, person, parsed, row, now, answered_version=version
        )
    return await general_reply(
        connection,
        outbox,
        pairing,
        person,
        parsed,
        row,
        now,
        topic=token.topic,
        program=pairing.program,
    )


async def _from_coordinator(
    ctx: AppContext,
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    token: ReplyToken,
    row: InboundMessage,
    parsed: ParsedMessage,
    now: datetime,
) -> Outcome:
    """A reply to a digest (or its List-Unsubscribe address): from that coordinator only."""
    coordinator = await Coordinator.get_or_none(id=token.person_id, using_db=connection)
    if coordinator is None:
        return Outcome(InboundStatus.IGNORED, "token names a coordinator who no longer exists")
    if parsed.from_addr != coordinator.email:
        await _refuse(
            connection,
            outbox,
            parsed,
            "wrong_sender",
            now,
            "This address takes commands from a program's coordinators only, so nothing "
            "was changed.",
        )
        return Outcome(InboundStatus.REFUSED, "sender is not the coordinator this address is for")
    return await coordinator_mail(
        connection,
        outbox,
        coordinator,
        parsed,
        row,
        bytes(row.raw_bytes),
        now,
        unsubscribe=token.topic.startswith("unsub"),
    )


async def _refuse(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    parsed: ParsedMessage,
    kind: str,
    now: datetime,
    reason: str,
) -> None:
    """At most one refusal per address, kind and day; never quoting what they wrote."""
    address = parsed.from_addr
    assert address is not None
    day = now.date()
    seen = await Refusal.get_or_none(address=address, kind=kind, day=day, using_db=connection)
    if seen is not None:
        seen.count += 1
        await seen.save(using_db=connection)
        return
    await Refusal.create(using_db=connection, address=address, kind=kind, day=day)
    name = parsed.from_name or address
    await outbox.add(
        connection,
        kind="refusal",
        dedupe_key=f"refusal:{address}:{kind}:{day.isoformat()}",
        to=(name, address),
        now=now,
        context={
            # A stranger has no program; the service speaks for itself.
            **recipient_context(name, address, "stranger", outbox.settings.service_name),
            "reason": reason,
        },
    )


async def _unrouted(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, parsed: ParsedMessage, now: datetime
) -> Outcome:
    assert parsed.from_addr is not None
    known = await Person.get_or_none(email=parsed.from_addr, using_db=connection)
    if known is not None:
        await heard_from(connection, known)
        await _refuse(
            connection,
            outbox,
            parsed,
            "unrouted",
            now,
            "We could not tell which mentoring conversation your message is about, "
            "so nothing was changed. Please answer by replying to one of our emails.",
        )
        return Outcome(InboundStatus.REFUSED, "no reply token and no known thread")
    await _refuse(
        connection,
        outbox,
        parsed,
        "unknown_sender",
        now,
        "This address only takes replies from people in a mentoring program it runs, "
        "so your message was not read further. If you think this is a mistake, "
        "please contact your program coordinator.",
    )
    return Outcome(InboundStatus.REFUSED, "sender is not a participant")
