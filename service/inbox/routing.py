"""Which conversation a message belongs to: its signed reply address, or else its thread.

Both ways give the same typed value: who the reply is for (a person of a pairing, or a
coordinator) and what it is about (`About`). The thread is followed only through our own
Message-IDs, and only to what that email's row recorded when it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.kinds import About
from service.mail.reading.parse import ParsedMessage, message_ids
from service.mail.tokens import ReplyToken, find_token
from service.outbox.writer import keyed
from service.storage.models import OutboundMessage


@dataclass(frozen=True)
class Route:
    token: ReplyToken | None
    # A tagged address of ours was there and its signature did not verify.
    tampered: bool = False
    by: Literal["address", "thread", "none"] = "none"


def recorded(sent: OutboundMessage) -> ReplyToken | None:
    """What a reply to this email is about, as its row recorded it: the same value its
    signed reply address carries. None for mail whose replies go to our plain address."""
    if sent.topic is None:
        return None
    about = About(sent.topic, sent.topic_ref)
    if sent.topic.for_coordinators:
        if sent.coordinator_id is None:
            return None
        return ReplyToken(0, sent.coordinator_id, about)
    if sent.pairing_id is None or sent.person_id is None:
        return None
    return ReplyToken(sent.pairing_id, sent.person_id, about)


async def route(
    connection: BaseDBAsyncClient,
    secret: bytes,
    service_address: str,
    parsed: ParsedMessage,
    *,
    delimiter: str = "+",
) -> Route:
    """The signed address the message was sent to; else, since some clients drop the
    `+tag`, the newest of our emails its thread headers name. Only our keyed Message-IDs
    count: one that could be computed (mail queued before they were keyed) routes nothing."""
    token, tampered = find_token(secret, service_address, parsed.recipients, delimiter=delimiter)
    if token is not None or tampered:
        return Route(token, tampered, "address")
    for sent in await _thread(connection, parsed.in_reply_to, parsed.references):
        token = recorded(sent)
        if token is not None and keyed(sent.message_id, sent.dedupe_key, secret, service_address):
            return Route(token, False, "thread")
    return Route(None)


async def _thread(
    connection: BaseDBAsyncClient | None, in_reply_to: str | None, references: list[str]
) -> list[OutboundMessage]:
    """Our emails the thread headers name, the one answered first."""
    ids = list(dict.fromkeys(i for i in [in_reply_to, *reversed(references)] if i))
    if not ids:
        return []
    query = OutboundMessage.filter(message_id__in=ids).only(
        "id",
        "message_id",
        "dedupe_key",
        "pairing_id",
        "person_id",
        "coordinator_id",
        "topic",
        "topic_ref",
    )
    if connection is not None:
        query = query.using_db(connection)
    found = {row.message_id: row for row in await query}
    return [found[i] for i in ids if i in found]


async def private_on_record(
    raw: bytes, secret: bytes, service_address: str, *, delimiter: str = "+"
) -> bool:
    """Whether a message is about a private matter, read from its headers alone: for a
    message whose applying failed, before anything of it is logged or kept in the clear.
    Unreadable means private, and so is a spam complaint."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        if str(headers.get_param("report-type") or "").lower() == "feedback-report":
            return True  # a spam complaint carries an email of ours, perhaps a private one
        fields = [str(headers.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
        addresses = [addr.lower() for _, addr in getaddresses(fields) if "@" in addr]
        token, tampered = find_token(secret, service_address, addresses, delimiter=delimiter)
        if token is None and not tampered:
            in_reply_to = next(iter(message_ids(str(headers.get("In-Reply-To", "")))), None)
            references = message_ids(str(headers.get("References", "")))[-20:]
            for sent in await _thread(None, in_reply_to, references):
                token = recorded(sent)
                if token is not None:
                    break
    except Exception:
        return True
    return token is not None and token.about.private
