"""What applying one inbound message came to: its status, why, and what was done."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.models import InboundStatus


@dataclass
class Outcome:
    status: InboundStatus
    reason: str | None = None
    applied: list[str] = field(default_factory=list)
