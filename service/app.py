"""What every job needs, made once per worker and passed in: settings, clock, mail transports."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.clock import Clock
from service.config import Settings
from service.mail.transports.base import Incoming, Outgoing


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    secret: bytes
    outgoing: Outgoing
    incoming: Incoming
    # Counters the demo and the status command read; never personal data.
    stats: dict[str, int] = field(default_factory=dict)
    # Why nothing can be sent until the operator mends the settings (a refused login, a
    # certificate not trusted), while that lasts: logged when it begins and when it ends.
    sending_paused: str | None = None

    def count(self, name: str, by: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + by
