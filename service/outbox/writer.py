"""Writing mail into the outbox: render, address and store, inside the caller's transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Required, TypedDict, Unpack

from tortoise.backends.base.client import BaseDBAsyncClient

from service.config import Settings
from service.mail.kinds import PRIVATE_KINDS
from service.mail.tokens import ReplyToken, reply_address
from service.mail.writing.compose import build_message, render
from service.storage import statements
from service.storage.models import OutboundMessage, OutboundStatus, Pairing, Person
from service.storage.sealing import MAIL, open_mail, seal_bytes


def message_id_for(dedupe_key: str, settings: Settings) -> str:
    """A stable Message-ID per outbox row: a retry or a re-plan never makes a new one."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    domain = settings.service_address.partition("@")[2]
    return f"{digest}@{domain}"


def wire_bytes(row: OutboundMessage, secret: bytes) -> bytes:
    """The message as it goes on the wire, opened if it was stored sealed."""
    return open_mail(secret, bytes(row.raw_bytes), row.sealed)


def recipient_context(name: str, email: str, role: str, program: str) -> dict[str, Any]:
    """What every template is given about its reader and program."""
    return {"recipient": {"name": name, "email": email, "role": role}, "program": {"name": program}}


class Mail(TypedDict, total=False):
    """What `OutboxWriter.prepare` takes: one email to render and address."""

    kind: Required[str]
    dedupe_key: Required[str]
    to: Required[tuple[str, str]]
    context: Required[Mapping[str, Any]]
    now: Required[datetime]
    person: Person | None
    pairing: Pairing | None
    topic: str
    not_before: datetime | None
    calendar: tuple[bytes, str] | None
    in_reply_to: str | None
    attachments: Sequence[tuple[str, str, bytes]]
    cc: tuple[str, str] | None
    deliver_to: str | None
    private: bool
    reply_to: str | None
    inline: Sequence[tuple[str, str, bytes]]
    extra_headers: Mapping[str, str] | None


class Prepared(NamedTuple):
    """One email rendered and addressed: an outbox row not yet stored."""

    dedupe_key: str
    kind: str
    pairing_id: int | None
    person_id: int | None
    message_id: str
    mail_from: str
    recipients: list[str]
    raw_bytes: bytes
    sealed: bool
    not_before: datetime
    created_at: datetime
    status: OutboundStatus = OutboundStatus.PENDING
    attempts: int = 0


class OutboxWriter:
    """Adds rendered messages to the outbox; a dedupe key already there is left alone."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.secret = secret

    def reply_to(self, pairing_id: int, person_id: int, topic: str) -> str:
        return reply_address(
            self.secret, self.settings.service_address, ReplyToken(pairing_id, person_id, topic)
        )

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
        kind: str,
        dedupe_key: str,
        to: tuple[str, str],
        context: Mapping[str, Any],
        now: datetime,
        person: Person | None = None,
        pairing: Pairing | None = None,
        topic: str = "general",
        not_before: datetime | None = None,
        calendar: tuple[bytes, str] | None = None,
        in_reply_to: str | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
        cc: tuple[str, str] | None = None,
        deliver_to: str | None = None,
        private: bool = False,
        reply_to: str | None = None,
        inline: Sequence[tuple[str, str, bytes]] = (),
        extra_headers: Mapping[str, str] | None = None,
    ) -> Prepared:
        """One email rendered and addressed, as an outbox row not yet stored.

        `cc` is named in the Cc header only: the person in copy gets their own copy, with
        their own reply address, queued by the caller with `deliver_to` set to them (the
        envelope's recipient; the `to` address when not given). Private mail (its kind, or `private`
        for mail about a private matter, such as a private meeting's invitation) is stored
        sealed.
        """
        message_id = message_id_for(dedupe_key, self.settings)
        if reply_to is None and pairing is not None and person is not None:
            reply_to = self.reply_to(pairing.id, person.id, topic)
        reply_to = reply_to or self.settings.service_address
        name, address = to
        rendered = render(kind, {"service_name": self.settings.service_name, **context})
        raw = build_message(
            kind,
            rendered,
            from_addr=(self.settings.service_name, self.settings.service_address),
            to=(name, address),
            reply_to=reply_to,
            message_id=message_id,
            date=not_before or now,
            in_reply_to=in_reply_to,
            references=[in_reply_to] if in_reply_to else (),
            calendar=calendar,
            attachments=attachments,
            cc=cc,
            inline=inline,
            extra_headers=extra_headers,
        )
        sealed = private or kind in PRIVATE_KINDS
        if sealed:
            raw = seal_bytes(self.secret, raw, MAIL)
        return Prepared(
            dedupe_key=dedupe_key,
            kind=kind,
            pairing_id=pairing.id if pairing is not None else None,
            person_id=person.id if person is not None else None,
            message_id=message_id,
            mail_from=self.settings.service_address,
            recipients=[deliver_to or address],
            raw_bytes=raw,
            sealed=sealed,
            not_before=not_before or now,
            created_at=now,
        )
