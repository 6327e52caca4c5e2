"""What applying one inbound message came to: its status, why, and what was done."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.mail.kinds import About
from service.storage.models import InboundStatus


@dataclass
class Outcome:
    status: InboundStatus
    reason: str | None = None
    applied: list[str] = field(default_factory=list)
    # About a private matter (a reflection, a performance conversation): the stored message
    # is sealed and its reason says no more than this.
    private: bool = False
    # Stored sealed, its reason still shown (our own words): a spam complaint carries an
    # email of ours, which may have been private.
    sealed: bool = False
    # What it was handled as, once routed.
    about: About | None = None
