"""The commands people write in replies: each one's syntax, who may write it, where, and its
help. A reply is read once, line by line, into commands and free text.

What each command does is the inbox's command registry (`service/inbox/commands.py`), keyed
by these specs: the tick's emails list the commands too, and pure rules cannot import the
code that applies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from service.program.terms import FORM_LABELS
from service.program.when import example_when


class Grammar(StrEnum):
    """Which commands a reply may hold, by what it answers."""

    EVERYDAY = "everyday"  # anything about the pairing's meetings and work
    AGREEMENT = "agreement"  # the agreement form: its lines, "I agree", help
    COORDINATOR = "coordinator"  # a coordinator's commands about their pairings
    FORM = "form"  # a form read whole (the performance summary): no commands


PARTICIPANTS = frozenset({"mentor", "mentee"})


@dataclass(frozen=True, eq=False)
class Syntax:
    """One command: how it is written, who may write it and where, what it does in words.

    Compared by identity: it is the key the command registry finds its handler by."""

    name: str  # as `mentormail inspect` names it
    example: str
    help: str
    parse: Callable[[str], dict[str, str] | None]
    grammars: frozenset[Grammar] = frozenset({Grammar.EVERYDAY})
    # Who is offered it in the lists of commands (anyone may write any command).
    roles: frozenset[str] = PARTICIPANTS
    # A reply that holds it is about a private matter: stored sealed.
    private: bool = False
    # How many of it one message applies; those beyond are listed back, not applied. What
    # one email can cause is bounded by these.
    per_message: int = 1
    # The example when it names a day: made from the reader's own today, so its weekday and
    # date agree and the day is still ahead when the email is read.
    dated: Callable[[date], str] | None = None

    def example_on(self, today: date) -> str:
        return self.dated(today) if self.dated is not None else self.example

    def beyond(self) -> str:
        """Why one of it beyond `per_message` was not applied, in words for the writer."""
        if self.per_message == 1:
            return f"not applied: one {self.name} a message, and the first was"
        return f"not applied: one message applies {self.per_message} at most; send the rest apart"


@dataclass(frozen=True)
class Command:
    syntax: Syntax
    args: dict[str, str] = field(default_factory=dict)
    line: str = ""

    @property
    def name(self) -> str:
        return self.syntax.name


@dataclass(frozen=True)
class Line:
    """One line of a reply as read: a command, free text, or a line that looks like a
    command and is not one (shown back as not understood)."""

    written: str  # as the writer wrote it, stripped ("3. no" keeps its number)
    text: str  # without a list's bullet or number
    command: Command | None = None
    attempt: bool = False


@dataclass(frozen=True)
class ParseResult:
    lines: tuple[Line, ...]
    # Lines past MAX_LINES, not read at all.
    unread: int = 0

    @property
    def commands(self) -> list[Command]:
        return [line.command for line in self.lines if line.command is not None]

    @property
    def free_text(self) -> list[str]:
        """Lines that are not commands: a prompt's answer."""
        return [line.text for line in self.lines if line.command is None and not line.attempt]

    @property
    def unknown(self) -> list[str]:
        """Lines that look like a command attempt but did not parse."""
        return [line.text for line in self.lines if line.attempt]

    def named(self, *syntaxes: Syntax) -> list[Command]:
        return [c for c in self.commands if c.syntax in syntaxes]

    def free_lines_as(self, syntax: Syntax, arg: str, keep: Callable[[str], bool]) -> ParseResult:
        """The same reply with its free lines that `keep` takes read as `syntax` commands
        (in answer to an agenda request, a plain line is a topic), in place."""
        return ParseResult(
            tuple(
                Line(line.written, line.text, Command(syntax, {arg: line.text}, line.text))
                if line.command is None and not line.attempt and keep(line.text)
                else line
                for line in self.lines
            ),
            self.unread,
        )


def _pattern(regex: str, *names: str) -> Callable[[str], dict[str, str] | None]:
    compiled = re.compile(regex, re.IGNORECASE)

    def parse(line: str) -> dict[str, str] | None:
        match = compiled.fullmatch(line)
        if match is None:
            return None
        return {name: (match.group(name) or "").strip() for name in names if match.group(name)}

    return parse


def _task(line: str) -> dict[str, str] | None:
    match = re.fullmatch(r"(?:task|todo|action)\s*:\s*(?P<text>.+)", line, re.IGNORECASE)
    if match is None:
        return None
    text = match.group("text").strip()
    args = {"text": text}
    if re.search(r"\bfor (?:the )?mentor\b", text, re.IGNORECASE):
        args["for"] = "mentor"
    return args


# Form labels, longest first so "Goal 1" is tried before anything shorter.
AGREEMENT_FIELDS: dict[str, str] = {label.lower(): key for key, label in FORM_LABELS.items()}
_FIELD_LINE = re.compile(
    r"(?P<label>"
    + "|".join(re.escape(label) for label in sorted(AGREEMENT_FIELDS, key=len, reverse=True))
    + r")\s*[:=]\s*(?P<value>.*)",
    re.IGNORECASE,
)


def _form_line(line: str) -> dict[str, str] | None:
    match = _FIELD_LINE.fullmatch(line)
    if match is None:
        return None
    label = " ".join(match.group("label").lower().split())
    return {"field": AGREEMENT_FIELDS[label], "value": match.group("value")}


_DONE = r"(?:done|\[x\]|✓|✔|☑)"
_NUMBER = r"\s*#?\s*(?P<number>\d+)\.?"
COORDINATORS = frozenset({"coordinator"})
_OF_COORDINATORS = frozenset({Grammar.COORDINATOR})

# Participants' commands.
SET = Syntax(
    "set",
    "Frequency: every 2 weeks",
    "any line of the agreement form changes that field",
    _form_line,
    frozenset({Grammar.AGREEMENT}),
    per_message=20,
)
DONE = Syntax(
    "done",
    "done 2",
    "marks task 2 (or the task matching the words) as done",
    _pattern(rf"{_DONE}\s*(?:#\s*)?(?P<ref>\d+)\.?|{_DONE}\s*:\s*(?P<text>.+)", "ref", "text"),
    per_message=50,
)
TASK = Syntax(
    "task",
    "task: send CV to Dr. Lee by <day>",
    "adds a task for you (add 'for mentor' to give it to your mentor)",
    _task,
    per_message=20,
    dated=lambda today: f"task: send CV to Dr. Lee by {example_when(today)}",
)
AGENDA = Syntax(
    "agenda",
    "agenda: discuss fellowship options",
    "adds an item to the next meeting's agenda",
    _pattern(r"agenda\s*:\s*(?P<text>.+)", "text"),
    per_message=20,
)
RESCHEDULE = Syntax(
    "reschedule",
    "reschedule: <day and time>",
    "moves the next meeting (or the one this email is about) to that day and time",
    _pattern(r"reschedule\s*:\s*(?P<when>.+)", "when"),
    dated=lambda today: f"reschedule: {example_when(today, '3pm')}",
)
FREQUENCY = Syntax(
    "frequency",
    "frequency: monthly",
    "changes how often you meet",
    _pattern(r"frequency\s*:\s*(?P<value>.+)", "value"),
)
WHERE = Syntax(
    "where",
    "where: https://meet.example.org/your-room",
    "changes where you meet: a room, an address or a video link; both calendars follow",
    _pattern(r"(?:where|location|place)\s*:\s*(?P<value>.+)", "value"),
)
PAUSE = Syntax(
    "pause",
    "pause",
    "pauses the meetings (cancelled in both calendars) and the reminders",
    _pattern(r"pause(?P<x>)\.?", "x"),
)
RESUME = Syntax(
    "resume", "resume", "starts them again after a pause", _pattern(r"resume(?P<x>)\.?", "x")
)
PHASE_OUT = Syntax(
    "phase_out",
    "phase out",
    "begins ending the mentoring relationship gracefully",
    _pattern(r"phase[ -]?out(?P<x>)\.?", "x"),
)
PERFORMANCE = Syntax(
    "performance",
    "performance conversation",
    "plans a private conversation with your mentee about how things are going, then "
    "helps you follow it up in writing; add ': ' and a day and time to pick the time",
    _pattern(r"performance\s+(?:conversation|talk)(?:\s*:\s*(?P<when>.+?))?\.?", "when"),
    roles=frozenset({"mentor"}),
    private=True,
)
SHARE = Syntax(
    "share",
    "share",
    "sends your reflection in this reply to your mentoring partner too",
    _pattern(r"share(?P<x>)\.?", "x"),
    per_message=10,
)
HELP = Syntax(
    "help",
    "help",
    "sends you this list",
    _pattern(r"help\.?|help\s*:\s*(?P<text>.+)", "text"),
    frozenset({Grammar.EVERYDAY, Grammar.AGREEMENT}),
    per_message=10,
)
AGREE = Syntax(
    "agree",
    "I agree",
    "agrees to the agreement as it stands with your changes",
    _pattern(r"(?:i\s+agree(?:\s+to\s+(?:the|this)(?:\s+\w+)?)?|agreed)[.!]?(?P<x>)", "x"),
    frozenset({Grammar.AGREEMENT}),
    per_message=10,
)

# Coordinators' commands, about the pairings of the programs they coordinate.
NUDGE = Syntax(
    "nudge",
    "nudge 12",
    "a friendly reminder to pairing 12, naming what is pending",
    _pattern(rf"nudge{_NUMBER}", "number"),
    _OF_COORDINATORS,
    COORDINATORS,
    per_message=10,
)
PAUSE_PAIRING = Syntax(
    "pause",
    "pause 12 / resume 12",
    "pauses pairing 12's meetings and reminders, or starts them again",
    _pattern(rf"pause{_NUMBER}", "number"),
    _OF_COORDINATORS,
    COORDINATORS,
    per_message=10,
)
RESUME_PAIRING = Syntax(
    "resume",
    "resume 12",
    "starts pairing 12's meetings again after a pause",
    _pattern(rf"resume{_NUMBER}", "number"),
    _OF_COORDINATORS,
    frozenset(),  # offered together with pause
    per_message=10,
)
CLOSE_PAIRING = Syntax(
    "close",
    "close 12",
    "begins ending pairing 12 gracefully (a last meeting, then the record)",
    _pattern(rf"close{_NUMBER}", "number"),
    _OF_COORDINATORS,
    COORDINATORS,
    per_message=10,
)
DETAILS = Syntax(
    "details",
    "details 12",
    "pairing 12's history, without anything private",
    _pattern(rf"details{_NUMBER}", "number"),
    _OF_COORDINATORS,
    COORDINATORS,
    per_message=10,
)
DIGEST_NOW = Syntax(
    "digest",
    "digest now",
    "this digest again, up to now",
    _pattern(r"digest\s+(?P<every>now)\.?", "every"),
    _OF_COORDINATORS,
    COORDINATORS,
)
DIGEST_EVERY = Syntax(
    "digest",
    "digest daily / weekly / monthly / off",
    "how often you receive it",
    _pattern(r"digest\s+(?P<every>daily|weekly|monthly|off)\.?", "every"),
    _OF_COORDINATORS,
    COORDINATORS,
    per_message=10,
)
IMPORT = Syntax(
    "import",
    "import",
    "with a CSV of pairs attached: imports them, or says what to fix",
    _pattern(r"import(?P<x>)\.?", "x"),
    _OF_COORDINATORS,
    COORDINATORS,
)
UNSUBSCRIBE = Syntax(
    "unsubscribe",
    "unsubscribe",
    "no more digests",
    _pattern(r"unsubscribe(?P<x>)\.?", "x"),
    _OF_COORDINATORS,
    frozenset(),  # the digest's own unsubscribe link offers it
    per_message=10,
)
CONFIRM = Syntax(
    "confirm",
    "confirm",
    "applies the commands you sent from your address",
    _pattern(r"(?:yes,?\s+)?(?:i\s+)?confirm(?:ed)?[.!]?(?P<x>)", "x"),
    _OF_COORDINATORS,
    frozenset(),  # offered in the email that asks for it
    per_message=10,
)
REPORT = Syntax(
    "report",
    "report",
    "every pairing in a spreadsheet (CSV and Excel), nothing private",
    _pattern(r"report(?P<x>)\.?", "x"),
    _OF_COORDINATORS,
    COORDINATORS,
)
COORDINATOR_HELP = Syntax(
    "help",
    "help",
    "sends you this list",
    _pattern(r"help(?P<x>)\.?", "x"),
    _OF_COORDINATORS,
    frozenset(),
    per_message=10,
)

# A coordinator's commands about pairings: ten pairings a message in all, whatever the mix
# (closing one sends up to four emails).
PAIRING_COMMANDS = frozenset({NUDGE, PAUSE_PAIRING, RESUME_PAIRING, CLOSE_PAIRING, DETAILS})
PAIRINGS_PER_MESSAGE = 10

GRAMMAR: tuple[Syntax, ...] = (
    SET,
    DONE,
    TASK,
    AGENDA,
    RESCHEDULE,
    FREQUENCY,
    WHERE,
    PAUSE,
    RESUME,
    PHASE_OUT,
    PERFORMANCE,
    SHARE,
    HELP,
    AGREE,
    NUDGE,
    PAUSE_PAIRING,
    RESUME_PAIRING,
    CLOSE_PAIRING,
    DETAILS,
    DIGEST_NOW,
    DIGEST_EVERY,
    IMPORT,
    REPORT,
    UNSUBSCRIBE,
    CONFIRM,
    COORDINATOR_HELP,
)

# Something shaped like a command we know but not one: worth showing back when unparsed.
_ATTEMPT = {
    Grammar.EVERYDAY: re.compile(
        r"(?:done|task|todo|agenda|reschedule|frequency|pause|resume|phase|help|goal|"
        r"performance)\b",
        re.IGNORECASE,
    ),
    Grammar.COORDINATOR: re.compile(
        r"(?:nudge|pause|resume|close|details|digest|import|confirm)\b", re.IGNORECASE
    ),
}
_ATTEMPT[Grammar.AGREEMENT] = _ATTEMPT[Grammar.EVERYDAY]
_BULLET = re.compile(r"^(?:[-*•·]|\d+[.)])\s+")
MAX_LINES = 500
MAX_LINE = 1000


def _clean(line: str) -> str:
    line = line.strip()
    # "1. done 2" and "- agenda: x" are the same commands; "[x] 2" keeps its box.
    if not line.startswith("[") and _BULLET.match(line):
        line = _BULLET.sub("", line, count=1)
    return line.strip()


def parse(text: str, grammar: Grammar = Grammar.EVERYDAY) -> ParseResult:
    """Read one command per line, case-insensitive; the rest is free text or shown back."""
    specs = [spec for spec in GRAMMAR if grammar in spec.grammars]
    attempt = _ATTEMPT.get(grammar)
    lines: list[Line] = []
    every = text.splitlines()
    for raw_line in every[:MAX_LINES]:
        written = raw_line[:MAX_LINE].strip()
        line = _clean(written)
        if not line:
            continue
        command = _match(line, specs)
        if command is not None:
            lines.append(Line(written, line, command))
        else:
            looks = attempt is not None and bool(attempt.match(line)) and len(line) < 200
            lines.append(Line(written, line, attempt=looks))
    return ParseResult(tuple(lines), max(0, len(every) - MAX_LINES))


def _match(line: str, specs: list[Syntax]) -> Command | None:
    for spec in specs:
        args = spec.parse(line)
        if args is not None:
            return Command(spec, {k: v for k, v in args.items() if k != "x"}, line)
    return None


@dataclass(frozen=True)
class CommandHelp:
    """What the reader may write: a line each in plain text; the HTML part lists the entries."""

    entries: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return "\n".join(f"{example:<38} {meaning}" for example, meaning in self.entries)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries)


def help_text(grammar: Grammar, role: str | None, *, today: date) -> CommandHelp:
    """The commands the reader (in `role`, when known) may write here, from the grammar, the
    examples that name a day made from `today`, the reader's own."""
    return CommandHelp(
        tuple(
            (spec.example_on(today), spec.help)
            for spec in GRAMMAR
            if grammar in spec.grammars and (role is None or role in spec.roles)
        )
    )
