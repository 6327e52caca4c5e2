"""The demo's simulated people at work: reading what is sent to them, answering some of it later."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from service.demo.answers import ANSWERED_KINDS, Answers
from service.demo.mail_client import HEADERS, compose_reply, decoded, plain_text
from service.demo.people import COORDINATOR, Person


@dataclass(order=True)
class Scheduled:
    due: datetime
    raw: bytes = field(compare=False)


@dataclass
class Simulation:
    """Simulated people reading what they receive and answering some of it."""

    people: dict[str, Person]
    rng: random.Random
    answers: Answers
    scheduled: list[Scheduled] = field(default_factory=list)
    replies_written: int = 0
    nudged: set[str] = field(default_factory=set)

    def receive(self, raw: bytes, now: datetime, recipient: str | None = None) -> None:
        """`recipient` is the envelope's: a copy (Cc) reaches one the To header does not name."""
        # Most mail is read and not answered: look at the raw headers before parsing it all.
        headers = HEADERS.parsebytes(raw)
        kind = str(headers["X-Mentormail-Kind"])
        if kind == "digest" and recipient == COORDINATOR:
            self.coordinate(raw, now)
            return
        person = self.people.get(recipient or parseaddr(str(headers["To"]))[1].lower())
        if person is None or kind not in ANSWERED_KINDS:
            return
        if kind == "invitation" and not self.answers.reschedules(decoded(headers["Subject"])):
            return
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = self.answers.answer(person, kind, message)
        if body is None:
            return
        hours = self.rng.uniform(2, 30) if person.persona != "slow" else self.rng.uniform(60, 120)
        when = now + timedelta(hours=hours)
        self.scheduled.append(Scheduled(when, compose_reply(person, message, body, when, self.rng)))
        self.replies_written += 1

    def coordinate(self, raw: bytes, now: datetime) -> None:
        """The coordinator reads the digest and nudges a silent pair, once each."""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        text = plain_text(message)
        silent = re.findall(r"^  #(\d+) .+\n(?:      - .+\n)*?      - no reply from", text, re.M)
        todo = [n for n in silent if n not in self.nudged]
        if not todo:
            return
        self.nudged.update(todo)
        coordinator = Person(
            "Pat Coordinator", COORDINATOR, "UTC", "coordinator", "gmail", "prompt"
        )
        when = now + timedelta(hours=self.rng.uniform(2, 20))
        body = "\n".join(f"nudge {n}" for n in todo)
        self.scheduled.append(
            Scheduled(when, compose_reply(coordinator, message, body, when, self.rng))
        )
        self.replies_written += 1

    def due(self, now: datetime) -> list[bytes]:
        ready = sorted(s for s in self.scheduled if s.due <= now)
        self.scheduled = [s for s in self.scheduled if s.due > now]
        return [s.raw for s in ready]

    def next_due(self) -> datetime | None:
        return min((s.due for s in self.scheduled), default=None)
