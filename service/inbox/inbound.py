"""One stored message while it is applied, and the outcome of a rule that stops it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.app import AppContext
from service.inbox import rules
from service.inbox.answers import refuse
from service.inbox.outcome import Outcome
from service.mail.reading.parse import ParsedMessage
from service.outbox.writer import OutboxWriter
from service.storage.models import InboundMessage, InboundStatus


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
