"""What every job needs, made once per worker and passed in: settings, clock, mail transports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from service.clock import Clock
from service.config import Settings
from service.mail.transports.base import Incoming, Outgoing


@dataclass(frozen=True)
class Pause:
    """A time sending waited, ended: for whom it mattered to hear of it."""

    problem: str  # the last reason given, the server's code first where there was one
    since: datetime
    until: datetime
    settings: bool  # it waited (at least once) for the settings, not for a server to answer


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
    paused_since: datetime | None = None
    paused_for_settings: bool = False
    # Pauses over, until the coordinators are told of them.
    pauses_ended: list[Pause] = field(default_factory=list)

    def count(self, name: str, by: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + by

    def pause_sending(self, problem: str, settings: bool) -> bool:
        """Sending waits for `problem`; True when this is news (a new reason)."""
        news = self.sending_paused != problem
        if self.paused_since is None:
            self.paused_since = self.clock.now()
        self.sending_paused = problem
        self.paused_for_settings = self.paused_for_settings or settings
        return news

    def resume_sending(self) -> Pause | None:
        """Mail goes out again: the pause that ended, if there was one."""
        if self.sending_paused is None or self.paused_since is None:
            return None
        ended = Pause(
            self.sending_paused, self.paused_since, self.clock.now(), self.paused_for_settings
        )
        self.sending_paused, self.paused_since, self.paused_for_settings = None, None, False
        self.pauses_ended.append(ended)
        return ended
