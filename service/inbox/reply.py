"""One participant's routed reply while it is applied: what its topic's handler and its
commands read, and what they add to the answer its writer gets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.kinds import About
from service.mail.reading.parse import ParsedMessage
from service.mail.writing.words import counted
from service.outbox.writer import OutboxWriter
from service.program.grammar import (
    MAX_LINES,
    Command,
    Grammar,
    ParseResult,
    as_written,
    closest,
    parse,
)
from service.program.natural import pleasantry
from service.program.terms import Change
from service.storage.models import InboundMessage, Pairing, Person, Program


def small_talk(text: str) -> bool:
    """ "Hi Zoë,", "Thanks!" or a signature is not an answer to anything."""
    return pleasantry(text)


@dataclass(frozen=True)
class Held:
    """A line that wrote a command and was not acted on: why, and what to write to do it."""

    line: str
    why: str
    write: tuple[str, ...]
    names: tuple[str, ...] = ()  # the commands it named

    def as_context(self) -> dict[str, object]:
        return {"line": self.line, "why": self.why, "write": list(self.write)}


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
    # The writer's own lines not understood, each with why or the closest commands.
    not_understood: list[str] = field(default_factory=list)
    # Lines that wrote a command and were not acted on: the writer is asked.
    held: list[Held] = field(default_factory=list)
    # The writer's lines passed on to their partner, and to whom.
    passed_on: list[str] = field(default_factory=list)
    passed_to: str = ""
    # What the service has to say about the reply as a whole, in its own words (never
    # shown as a line the writer wrote).
    notes: list[str] = field(default_factory=list)
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
            self.notes.append(
                f"The last {counted(self.read.unread, 'line')} of your message were not read: "
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
        """Free text that says something: greetings, thanks and signatures left out."""
        return [
            line.text
            for line in self.read.lines
            if line.command is None and not line.attempt and not line.held and not line.pleasantry
        ]

    @property
    def own_words(self) -> list[str]:
        """The writer's lines as written ("3. no" keeps its number), commands left out; a
        line that also held a command keeps its other sentences."""
        words: dict[int, list[str]] = {}
        whole: dict[int, str] = {}
        commands: set[int] = set()
        for line in self.read.lines:
            whole[line.index] = line.written
            if line.command is not None:
                commands.add(line.index)
            else:
                words.setdefault(line.index, []).append(line.text)
        return [
            " ".join(words[index]) if index in commands else whole[index] for index in sorted(words)
        ]

    def hold(self) -> None:
        """Ask about the lines that wrote a command and were not acted on."""
        for line in self.read.held:
            self.held.append(
                Held(
                    line.text,
                    line.held,
                    tuple(as_written(c) for c in line.asks),
                    tuple(c.name for c in line.asks),
                )
            )

    def not_understood_lines(self, lines: list[str]) -> None:
        """Lines nothing was done with, each with the commands it comes closest to."""
        for line in lines:
            near = " / ".join(closest(line, self.grammar, self.role))
            self.not_understood.append(f"{line} (the closest commands: {near})")

    @property
    def answered_anything(self) -> bool:
        return bool(
            self.applied or self.not_understood or self.held or self.passed_on or self.notes
        )

    def record(self, done: str | None, problem: str | None) -> None:
        """What a step did, or could not do, in words for the writer."""
        if done:
            self.applied.append(done)
        if problem:
            self.not_understood.append(problem)
