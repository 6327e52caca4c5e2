"""Writing mail into the outbox: render, address and store, inside the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Required, TypedDict, Unpack

from tortoise.backends.base.client import BaseDBAsyncClient

from service.config import Settings
from service.mail.kinds import About, EmailKind, Topic
from service.mail.tokens import ReplyToken, reply_address
from service.mail.writing.compose import build_message, render
from service.mail.writing.greeting import greeting_of
from service.secret import keys_of
from service.storage import statements
from service.storage.models import Coordinator, OutboundMessage, OutboundStatus, Person
from service.storage.sealing import MAIL, open_mail, seal_bytes


def message_id_for(dedupe_key: str, secret: bytes, service_address: str) -> str:
    """A stable Message-ID per outbox row (a retry or a re-plan never makes a new one),
    keyed with the service's secret: nobody can compute one of ours to answer as someone
    else, and two installations never give different mail the same one."""
    digest = hmac.new(secret, b"message-id:" + dedupe_key.encode(), hashlib.sha256)
    return f"{digest.hexdigest()[:32]}@{service_address.partition('@')[2]}"


def keyed(message_id: str, dedupe_key: str, secret: bytes, service_address: str) -> bool:
    """Whether a stored row's Message-ID is the one our secret, or an old one still listed,
    gives its key (mail queued before Message-IDs were keyed has one anybody could compute)."""
    return any(
        hmac.compare_digest(message_id, message_id_for(dedupe_key, key, service_address))
        for key in keys_of(secret)
    )


def wire_bytes(row: OutboundMessage, secret: bytes) -> bytes:
    """The message as it goes on the wire, opened if it was stored sealed."""
    return open_mail(secret, bytes(row.raw_bytes), row.sealed)


@dataclass(frozen=True)
class Reader:
    """Who an email is for, as its template greets them, and whose answer a reply to it
    is: a person of a pairing, a coordinator, or someone we do not know."""

    name: str
    email: str
    role: str  # mentor, mentee, coordinator, stranger
    program: str
    pairing_id: int | None = None
    person_id: int | None = None
    coordinator_id: int | None = None
    greeting: str | None = None  # the name to greet by, where not the first given name

    @classmethod
    def participant(cls, person: Person, role: str, program: str, pairing_id: int) -> Reader:
        return cls(
            person.name, person.email, role, program, pairing_id, person.id, None, person.greeting
        )

    @classmethod
    def coordinator(cls, coordinator: Coordinator, program: str) -> Reader:
        return cls(
            COORDINATOR_NAME, coordinator.email, "coordinator", program, None, None, coordinator.id
        )

    def context(self) -> dict[str, Any]:
        """What every template is given about its reader and program."""
        return {
            "recipient": {
                "name": self.name,
                "greeting": greeting_of(self.name, self.greeting),
                "email": self.email,
                "role": self.role,
            },
            "program": {"name": self.program},
        }


COORDINATOR_NAME = "Program coordinator"


class Mail(TypedDict, total=False):
    """What `OutboxWriter.prepare` takes: one email to render and address."""

    kind: Required[EmailKind]
    dedupe_key: Required[str]
    to: Required[Reader]
    # What replies to it are about; None for a kind whose topic names no row.
    about: About | None
    context: Required[Mapping[str, Any]]
    now: Required[datetime]
    not_before: datetime | None
    calendar: tuple[bytes, str] | None
    in_reply_to: str | None
    references: Sequence[str] | None
    attachments: Sequence[tuple[str, str, bytes]]
    cc: tuple[str, str] | None
    shown_to: tuple[str, str] | None
    private: bool
    inline: Sequence[tuple[str, str, bytes]]
    extra_headers: Mapping[str, str] | None


class Prepared(NamedTuple):
    """One email rendered and addressed: an outbox row not yet stored."""

    dedupe_key: str
    kind: str
    pairing_id: int | None
    person_id: int | None
    coordinator_id: int | None
    topic: Topic | None
    topic_ref: int | None
    replies_private: bool
    message_id: str
    mail_from: str
    recipients: list[str]
    raw_bytes: bytes
    sealed: bool
    not_before: datetime
    created_at: datetime
    status: OutboundStatus = OutboundStatus.PENDING
    attempts: int = 0


def _topic(kind: EmailKind, to: Reader, about: About | None) -> About | None:
    """What replies to this email are about: as given, or the kind's own where it names
    no row (a coordinator's mail names the coordinator). Raises on a topic the kind does
    not take: a fault of ours, caught by the tests."""
    if about is None and kind.topics:
        topic = kind.topics[0]
        if topic.refers_to == "coordinator":
            about = About(topic, to.coordinator_id)
        elif topic.refers_to in ("nothing", "version"):
            about = About(topic)
        else:
            raise ValueError(f"{kind}: say which {topic.refers_to} replies are about")
    if about is not None and about.topic not in kind.topics:
        raise ValueError(f"{kind}: replies cannot be about {about.topic.name}")
    return about


def _checked(kind: EmailKind, context: Mapping[str, Any]) -> None:
    """The context holds what the kind declares, nothing more: a fault of ours otherwise."""
    given = set(context)
    if given != kind.fields:
        missing, extra = sorted(kind.fields - given), sorted(given - kind.fields)
        raise ValueError(f"{kind}: context misses {missing}, has undeclared {extra}")


class OutboxWriter:
    """Adds rendered messages to the outbox; a dedupe key already there is left alone."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.secret = secret
        # (person, kind, when it goes) of each email this writer queued, in order: what a
        # reply being applied has already sent its writer.
        self.queued: list[tuple[int | None, str, datetime]] = []

    def address_for(self, to: Reader, about: About | None) -> str:
        """The address a reply to `to` about `about` comes back to: signed for that person
        or coordinator and that topic, or the service's plain address."""
        if about is None:
            return self.settings.service_address
        if to.coordinator_id is not None:
            token = ReplyToken(0, to.coordinator_id, about)
        elif to.pairing_id is not None and to.person_id is not None:
            token = ReplyToken(to.pairing_id, to.person_id, about)
        else:
            return self.settings.service_address
        return reply_address(
            self.secret, self.settings.service_address, token, delimiter=self.settings.delimiter
        )

    def organizer_for(self, to: Reader, about: About) -> str:
        """A calendar event's ORGANIZER, which calendars answer: the reader's signed address,
        or, where calendar servers cannot mail a tagged address, the plain one (their
        answers are then found by the event's UID)."""
        if not self.settings.signed_organizer:
            return self.settings.service_address
        return self.address_for(to, about)

    async def add(self, connection: BaseDBAsyncClient, **mail: Unpack[Mail]) -> bool:
        """Queue one email (the arguments of `prepare`); returns False when this dedupe key
        was queued before."""
        exists = OutboundMessage.filter(dedupe_key=mail["dedupe_key"]).using_db(connection)
        if await exists.exists():
            return False
        await self._store(connection, [self.prepare(**mail)])
        return True

    async def add_answer(self, connection: BaseDBAsyncClient, **mail: Unpack[Mail]) -> None:
        """Queue the answer to a message being applied, whose dedupe key names that message:
        the message is applied once, in this transaction, so the key cannot be there yet."""
        await self._store(connection, [self.prepare(**mail)])

    async def _store(self, connection: BaseDBAsyncClient, rows: Sequence[Prepared]) -> None:
        await statements.insert(connection, OutboundMessage, [row._asdict() for row in rows])
        self.queued += [(row.person_id, row.kind, row.not_before) for row in rows]

    async def add_many(self, connection: BaseDBAsyncClient, rows: Sequence[Prepared]) -> int:
        """Queue prepared emails in one statement; a dedupe key already queued (before, or
        earlier in `rows`) is left out. Returns how many were queued."""
        keys = [row.dedupe_key for row in rows]
        seen = {
            str(key)
            for key in await OutboundMessage.filter(dedupe_key__in=keys)
            .using_db(connection)
            .values_list("dedupe_key", flat=True)
        }
        fresh = []
        for row in rows:
            if row.dedupe_key not in seen:
                seen.add(row.dedupe_key)
                fresh.append(row)
        await self._store(connection, fresh)
        return len(fresh)

    def prepare(
        self,
        *,
        kind: EmailKind,
        dedupe_key: str,
        to: Reader,
        context: Mapping[str, Any],
        now: datetime,
        about: About | None = None,
        not_before: datetime | None = None,
        calendar: tuple[bytes, str] | None = None,
        in_reply_to: str | None = None,
        references: Sequence[str] | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
        cc: tuple[str, str] | None = None,
        shown_to: tuple[str, str] | None = None,
        private: bool = False,
        inline: Sequence[tuple[str, str, bytes]] = (),
        extra_headers: Mapping[str, str] | None = None,
    ) -> Prepared:
        """One email rendered and addressed, as an outbox row not yet stored.

        `about` is what replies to it are about; its reply address is signed for the reader
        and that topic, and the row records both, so that a reply that lost its address is
        routed by its thread headers to the same place. `shown_to` and `cc` are the To and
        Cc headers where they name others than the reader (one letter to the mentee, the
        mentor in copy): each reader still gets their own copy, with their own reply
        address, queued by the caller. Private mail (its kind, or `private` for mail about a
        private matter, such as a private meeting's invitation) is stored sealed.

        Long for its keyword parameters, `Mail`'s fields, each used once below.
        """
        _checked(kind, context)
        about = _topic(kind, to, about)
        message_id = message_id_for(dedupe_key, self.secret, self.settings.service_address)
        rendered = render(
            kind.name, {"service_name": self.settings.service_name, **to.context(), **context}
        )
        raw = build_message(
            kind.name,
            rendered,
            from_addr=(self.settings.service_name, self.settings.service_address),
            to=shown_to or (to.name, to.email),
            reply_to=self.address_for(to, about),
            message_id=message_id,
            date=not_before or now,
            in_reply_to=in_reply_to,
            # The thread as the caller knows it, or the one message answered.
            references=references or ([in_reply_to] if in_reply_to else ()),
            calendar=calendar,
            attachments=attachments,
            cc=cc,
            inline=inline,
            extra_headers=extra_headers,
        )
        sealed = private or kind.sealed
        if sealed:
            raw = seal_bytes(self.secret, raw, MAIL)
        return Prepared(
            dedupe_key=dedupe_key,
            kind=kind.name,
            pairing_id=to.pairing_id,
            person_id=to.person_id,
            coordinator_id=to.coordinator_id,
            topic=None if about is None else about.topic,
            topic_ref=None if about is None else about.ref,
            replies_private=about is not None and about.private,
            message_id=message_id,
            mail_from=self.settings.service_address,
            recipients=[to.email],
            raw_bytes=raw,
            sealed=sealed,
            not_before=not_before or now,
            created_at=now,
        )
