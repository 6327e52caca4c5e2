"""How mail leaves and arrives: the two small interfaces every transport implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class SendError(Exception):
    """A message could not be handed over. `permanent` says whether trying again can help;
    `configuration` that nothing will go until the operator mends the settings (a refused
    login, a certificate not trusted), and `unreached` that no mail server answered at all:
    neither says anything about the message itself."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: int | None = None,
        refused: dict[str, str] | None = None,
        configuration: bool = False,
        unreached: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent and not configuration and not unreached
        self.configuration = configuration
        self.unreached = unreached
        self.code = code
        self.refused = refused or {}


@dataclass(frozen=True)
class Fetched:
    key: str  # what ack() takes: "<uidvalidity>:<uid>" for IMAP, the file key for a Maildir
    raw: bytes


class Outgoing(Protocol):
    connections: int  # messages it can hand over at once

    async def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> dict[str, str]:
        """Hand one message over; returns recipients refused for good (empty when none)."""
        ...

    async def close(self) -> None: ...


class Incoming(Protocol):
    async def fetch(self, limit: int = 100) -> list[Fetched]:
        """Messages not acknowledged yet, oldest first; fetching never marks them."""
        ...

    async def ack(self, keys: Sequence[str]) -> None:
        """Mark messages as taken; called only after they are safely stored."""
        ...

    async def wait_for_mail(self, timeout: float) -> bool:
        """Return when new mail may be there (True) or after `timeout` seconds (False)."""
        ...

    async def close(self) -> None: ...
