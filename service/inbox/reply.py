"""One participant's routed reply while it is applied: what its topic's handler and its
commands read, and what they add to the answer its writer gets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.kinds import About
from service.mail.reading.parse import ParsedMessage
from service.outbox.writer import OutboxWriter
from service.program.grammar import MAX_LINES, Command, Grammar, ParseResult, parse
from service.program.terms import Change
from service.storage.models import InboundMessage, Pairing, Person, Program

# "Hi Zoë," or "Thanks!" is not an answer to anything.
SMALL_TALK = re.compile(r"^(?:hi|hello|dear|hey|thanks|thank you|best|cheers)\b.{0,40}$", re.I)


@dataclass
class Reply:
    connection: BaseDBAsyncClient
    outbox: OutboxWriter
    row: InboundMessage
    parsed: ParsedMessage
    pairing: Pairing  # its row locked for the transaction
    program: Program
    person: Person
    about: About
    now: datetime
    read: ParseResult = field(default_factory=lambda: ParseResult(()))
    grammar: Grammar = Grammar.EVERYDAY
    applied: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    # What the commands gathered for the topic's handler to act on together.
    agenda: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    helps: list[Command] = field(default_factory=list)
    agrees: bool = False
    share: bool = False
    private: bool = False
    # Where the outbox writer's list of queued mail stood when this reply began.
    queued_from: int = 0

    def __post_init__(self) -> None:
        self.private = self.private or self.about.private
        self.queued_from = len(self.outbox.queued)

    def sent_writer(self, kinds: Sequence[str]) -> bool:
        """Whether applying this reply has queued its writer an email of one of `kinds`
        that goes now (not one waiting for a quieter day)."""
        return any(
            person_id == self.person.id and kind in kinds and at <= self.now
            for person_id, kind, at in self.outbox.queued[self.queued_from :]
        )

    def parse(self, grammar: Grammar) -> ParseResult:
        """Read the reply once, for the commands `grammar` allows."""
        self.grammar = grammar
        self.read = parse(self.parsed.visible_text, grammar)
        if self.read.unread:
            self.not_understood.append(
                f"The last {self.read.unread} line(s) of your message were not read: "
                f"{MAX_LINES} lines a message at most."
            )
        # A reply that starts a private matter is as private as the matter.
        self.private = self.private or any(c.syntax.private for c in self.read.commands)
        return self.read

    @property
    def role(self) -> str:
        return "mentor" if self.person.id == self.pairing.mentor_id else "mentee"

    @property
    def meeting_ref(self) -> int | None:
        """The meeting the answered email was about, if it was about one."""
        return self.about.ref if self.about.topic.refers_to == "meeting" else None

    @property
    def free_lines(self) -> list[str]:
        """Free text that says something: greetings and thanks left out."""
        return [line for line in self.read.free_text if not SMALL_TALK.match(line)]

    @property
    def own_words(self) -> list[str]:
        """The writer's lines as written ("3. no" keeps its number), commands left out."""
        return [line.written for line in self.read.lines if line.command is None]

    def record(self, done: str | None, problem: str | None) -> None:
        """What a step did, or could not do, in words for the writer."""
        if done:
            self.applied.append(done)
        if problem:
            self.not_understood.append(problem)
