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

from service.program import natural
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
    text: str  # without a list's bullet or number; one sentence of it, when it has several
    command: Command | None = None
    attempt: bool = False
    # Why a line that writes a command was not acted on (a question, a negation, a
    # condition, a quotation, a loose sentence for something that cannot be undone), and
    # the commands to write to do it: the writer is asked.
    held: str = ""
    asks: tuple[Command, ...] = ()
    index: int = 0  # which line of the reply it is (a line may give several)
    pleasantry: bool = False  # a greeting, thanks or signature: nothing to do or pass on


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
        """Lines that are not commands: a prompt's answer (a line held back is the writer's
        words too: "I have not done 4 yet" answers a follow-up)."""
        return [line.text for line in self.lines if line.command is None and not line.attempt]

    @property
    def held(self) -> list[Line]:
        """Lines that write a command but were not acted on, with why."""
        return [line for line in self.lines if line.held]

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
                if line.command is None and not line.attempt and not line.held and keep(line.text)
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


# "Frequency: monthly. I agree": the agreement said after the value, on the same line.
_AGREED_AFTER = re.compile(r"\s*[.,;!]\s*(?:and\s+)?i\s+agree[.!]?\s*$", re.IGNORECASE)


def _form_line(line: str) -> dict[str, str] | None:
    match = _FIELD_LINE.fullmatch(line)
    if match is None:
        return None
    label = " ".join(match.group("label").lower().split())
    value = match.group("value")
    found = _AGREED_AFTER.search(value)
    if found is None or not value[: found.start()].strip():
        return {"field": AGREEMENT_FIELDS[label], "value": value}
    return {"field": AGREEMENT_FIELDS[label], "value": value[: found.start()], "agrees": "yes"}


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
# Sentences are read for natural phrasings only this long, this many to a line and to a
# reply: no one writes a command in a longer one, and a hostile message stays cheap to read.
NATURAL_SENTENCE = 300
NATURAL_PER_LINE = 12
NATURAL_PER_REPLY = 200


def _clean(line: str) -> str:
    line = line.strip()
    # "1. done 2" and "- agenda: x" are the same commands; "[x] 2" keeps its box.
    if not line.startswith("[") and _BULLET.match(line):
        line = _BULLET.sub("", line, count=1)
    return line.strip()


# A list's heading: the bulleted lines under it are its commands ("Action items:", then
# "- read the papers by Friday").
_HEADING = re.compile(
    r"(?:my\s+|our\s+|new\s+|the\s+)?(?:(?P<task>tasks|action\s+items|to-?dos?|to\s+do|"
    r"next\s+steps)|(?P<done>done|completed|finished)|(?P<agenda>agenda|agenda\s+items|"
    r"topics))\s*:",
    re.IGNORECASE,
)


def parse(text: str, grammar: Grammar = Grammar.EVERYDAY) -> ParseResult:
    """Read a reply line by line, case-insensitive: a line is a command as written ("done 2"),
    or sentences, each a command written naturally ("Yes, I agree.", "I've finished 2 and
    3"), a command held back and asked about ("should I mark 2 done?"), free text, or a line
    that looks like a command and is not one (shown back)."""
    specs = [spec for spec in GRAMMAR if grammar in spec.grammars]
    attempt = _ATTEMPT.get(grammar)
    lines: list[Line] = []
    every = text.splitlines()
    heading: str | None = None
    budget = NATURAL_PER_REPLY
    for index, raw_line in enumerate(every[:MAX_LINES]):
        written = raw_line[:MAX_LINE].strip()
        line = _clean(written)
        if not line:
            heading = None
            continue
        bulleted = line != written
        if heading is not None and bulleted and grammar is Grammar.EVERYDAY:
            lines += _read_item(written, line, heading, specs, index)
            continue
        command = _match(line, specs)
        if command is not None:
            lines.append(Line(written, line, command, index=index))
            heading = None
            continue
        found = _HEADING.fullmatch(line)
        if found is not None and grammar is Grammar.EVERYDAY:
            heading = next(name for name, value in found.groupdict().items() if value)
            lines.append(Line(written, line, index=index, pleasantry=True))
            continue
        heading = None
        if budget > 0 and len(line) <= NATURAL_PER_LINE * NATURAL_SENTENCE:
            read = _read_sentences(written, line, specs, grammar, index)
            budget -= len(read)
        else:
            read = [Line(written, line, index=index)]
        if all(one.command is None and not one.held for one in read):
            looks = attempt is not None and bool(attempt.match(line)) and len(line) < 200
            if looks:
                read = [Line(written, line, attempt=True, index=index)]
        lines += read
    return ParseResult(tuple(lines), max(0, len(every) - MAX_LINES))


def _read_item(
    written: str, line: str, heading: str, specs: list[Syntax], index: int
) -> list[Line]:
    """One bulleted line under a list's heading, read as that list's command."""
    as_command = {"task": f"task: {line}", "agenda": f"agenda: {line}"}.get(heading)
    if heading == "done":
        as_command = f"done {line}" if re.fullmatch(r"#?\d+\.?", line) else f"done: {line}"
    assert as_command is not None
    command = _match(as_command, specs)
    if command is None:
        return [Line(written, line, index=index)]
    command = Command(command.syntax, command.args, written)
    # A done item is read for what holds it back ("- not 3 yet"); a task's words are its own.
    why = natural.held(line, []) if heading == "done" else None
    if why is not None:
        return [Line(written, line, held=why, asks=(command,), index=index)]
    return [Line(written, line, command, index=index)]


def _read_sentences(
    written: str, line: str, specs: list[Syntax], grammar: Grammar, index: int
) -> list[Line]:
    """A line that is not a command as written, sentence by sentence."""
    by_name = {spec.name: spec for spec in specs}
    examples = tuple(spec.help.lower() for spec in specs)
    read: list[Line] = []
    every = natural.sentences(line)
    if len(every) > NATURAL_PER_LINE:
        every = [*every[: NATURAL_PER_LINE - 1], " ".join(every[NATURAL_PER_LINE - 1 :])]
    for sentence in every:
        if len(sentence) > NATURAL_SENTENCE:
            read.append(Line(written, sentence, index=index))
            continue
        if natural.pleasantry(sentence):
            read.append(Line(written, sentence, index=index, pleasantry=True))
            continue
        found = _written(sentence, specs, grammar)
        commands = [
            Command(
                one.syntax if isinstance(one.syntax, Syntax) else by_name[one.name],
                one.args,
                sentence,
            )
            for one in found
            if isinstance(one.syntax, Syntax) or one.name in by_name
        ]
        if commands:
            why = natural.held(sentence, found, examples)
            if why is None:
                read += [Line(written, sentence, command, index=index) for command in commands]
            else:
                read.append(Line(written, sentence, held=why, asks=tuple(commands), index=index))
            continue
        loose = [
            Command(by_name[one.name], one.args, sentence)
            for one in natural.loosely(sentence)
            if one.name in by_name and (one.name != "done" or one.args.get("ref"))
        ]
        if loose:
            why = natural.held(sentence, [], examples) or "it does not say it plainly"
            read.append(Line(written, sentence, held=why, asks=tuple(loose), index=index))
            continue
        read.append(Line(written, sentence, index=index))
    if all(one.command is None and not one.held for one in read):
        # Free text stays the line it was written as: an agenda topic, an answer, a note.
        return [Line(written, line, index=index, pleasantry=all(one.pleasantry for one in read))]
    return read


def _written(sentence: str, specs: list[Syntax], grammar: Grammar) -> list[natural.Found]:
    """The commands a sentence writes: as written, once what surrounds them politely is left
    out ("Yes, I agree."), naturally ("I've finished 2"), or in one of its clauses ("Looks
    good, I agree")."""
    core = natural.core(sentence)
    for text in (sentence, core, natural.unled(sentence)):
        command = _match(text, specs)
        if command is not None:
            return [natural.Found(command.name, command.args, _span(command), command.syntax)]
    found = natural.read(sentence, grammar.value)
    if found:
        return found
    for clause in natural.clauses(core):
        command = _match(natural.core(clause), specs)
        if command is not None:
            return [natural.Found(command.name, command.args, _span(command), command.syntax)]
        found = natural.read(clause, grammar.value)
        if found:
            return found
    return []


def _span(command: Command) -> str:
    """The words a command's arguments were read from: not read for what holds it back."""
    return next(
        (command.args[key] for key in ("text", "when", "value") if command.args.get(key)), ""
    )


def as_written(command: Command) -> str:
    """The line that writes `command` as the lists of commands show it: what to write to do
    what a held sentence asked."""
    args = command.args
    if command.syntax is DONE:
        return f"done {args['ref']}" if args.get("ref") else f"done: {args.get('text', '')}"
    if command.syntax in (TASK, AGENDA):
        return f"{command.name}: {args['text']}"
    if command.syntax is RESCHEDULE:
        return f"reschedule: {args['when']}" if args.get("when") else RESCHEDULE.example
    if command.syntax is SET:
        return command.line
    if args.get("number"):
        return f"{command.name} {args['number']}"
    if args.get("every"):
        return f"digest {args['every'].lower()}"
    return command.syntax.example


# Words that point to a command, for "the closest commands" to a line not understood.
_NEAR: tuple[tuple[str, tuple[Syntax, ...]], ...] = (
    (r"done|finish|complet|tick|mark", (DONE,)),
    (r"task|to-?do|action|remind me", (TASK,)),
    (r"agenda|discuss|talk about|topic", (AGENDA,)),
    (
        r"reschedul|move|postpone|another time|earlier|later|zoom|teams|in person|call",
        (RESCHEDULE,),
    ),
    (r"often|weekly|monthly|frequen", (FREQUENCY,)),
    (r"pause|break|hold|busy|leave|vacation|holiday", (PAUSE, RESUME)),
    (r"resume|back|restart", (RESUME,)),
    (r"end|stop|phase|finish the mentor|wrap", (PHASE_OUT,)),
    (r"agree|accept|sign|fine with|happy with", (AGREE,)),
    (r"help|coordinator|problem|issue|question", (HELP,)),
    (r"share|send (?:it|this) to", (SHARE,)),
    (r"list|everyone|who|status|signed|overview|report|all pair|summary", (DIGEST_NOW, DETAILS)),
    (r"remind|chase|nudge|follow up", (NUDGE,)),
    (r"close|end", (CLOSE_PAIRING,)),
    (r"pause|hold|resume", (PAUSE_PAIRING,)),
    (r"csv|import|add|new pair", (IMPORT,)),
    (r"less|fewer|daily|weekly|monthly|digest|stop", (DIGEST_EVERY,)),
)


def closest(text: str, grammar: Grammar, role: str | None = None) -> list[str]:
    """The commands a line not understood comes nearest to, as written in the lists; the
    first ones of the list when nothing is near."""
    offered = [
        spec
        for spec in GRAMMAR
        if grammar in spec.grammars and (role is None or role in spec.roles)
    ]
    near: list[Syntax] = []
    for words, syntaxes in _NEAR:
        if re.search(rf"\b(?:{words})", text, re.IGNORECASE):
            near += [spec for spec in syntaxes if spec in offered and spec not in near]
    return [spec.example for spec in (near or offered)[:3]]


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


# The pairing the coordinators' examples name, until a real one of theirs is known.
EXAMPLE_PAIRING = "12"


def _about_pairing(text: str, pairing: int | None) -> str:
    return text if pairing is None else text.replace(EXAMPLE_PAIRING, str(pairing))


def help_text(
    grammar: Grammar, role: str | None, *, today: date, pairing: int | None = None
) -> CommandHelp:
    """The commands the reader (in `role`, when known) may write here, from the grammar, the
    examples that name a day made from `today`, the reader's own, and those that name a
    pairing one of the coordinator's own (`pairing`), not a number they do not have."""
    return CommandHelp(
        tuple(
            (
                _about_pairing(spec.example_on(today), pairing),
                _about_pairing(spec.help, pairing),
            )
            if spec in PAIRING_COMMANDS
            else (spec.example_on(today), spec.help)
            for spec in GRAMMAR
            if grammar in spec.grammars and (role is None or role in spec.roles)
        )
    )
