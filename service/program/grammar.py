"""The reply grammar: commands people write in replies, as a small registry of parsers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from service.program.terms import FORM_LABELS


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, str] = field(default_factory=dict)
    line: str = ""


@dataclass(frozen=True)
class ParseResult:
    commands: list[Command]
    free_text: list[str]  # lines that are not commands: a prompt's answer
    unknown: list[str]  # lines that look like a command attempt but did not parse


@dataclass(frozen=True)
class CommandSpec:
    name: str
    example: str
    help: str
    parse: Callable[[str], dict[str, str] | None]
    contexts: frozenset[str] = frozenset({"general"})
    # Who is offered it in the lists of commands (anyone may write any command).
    roles: frozenset[str] = frozenset({"mentor", "mentee"})
    # Parsed everywhere, but only offered in help and applied once the service implements it.
    available: bool = True


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


_DONE = r"(?:done|\[x\]|✓|✔|☑)"
GENERAL = frozenset({"general"})
BOTH = frozenset({"general", "agreement"})

REGISTRY: tuple[CommandSpec, ...] = (
    CommandSpec(
        "done",
        "done 2",
        "marks task 2 (or the task matching the words) as done",
        _pattern(rf"{_DONE}\s*(?:#\s*)?(?P<ref>\d+)\.?|{_DONE}\s*:\s*(?P<text>.+)", "ref", "text"),
    ),
    CommandSpec(
        "task",
        "task: send CV to Dr. Lee by Dec 3",
        "adds a task for you (add 'for mentor' to give it to your mentor)",
        _task,
    ),
    CommandSpec(
        "agenda",
        "agenda: discuss fellowship options",
        "adds an item to the next meeting's agenda",
        _pattern(r"agenda\s*:\s*(?P<text>.+)", "text"),
    ),
    CommandSpec(
        "reschedule",
        "reschedule: Tue Dec 9 3pm",
        "moves the next meeting (or the one this email is about) to that day and time",
        _pattern(r"reschedule\s*:\s*(?P<when>.+)", "when"),
    ),
    CommandSpec(
        "frequency",
        "frequency: monthly",
        "changes how often you meet",
        _pattern(r"frequency\s*:\s*(?P<value>.+)", "value"),
    ),
    CommandSpec(
        "pause",
        "pause",
        "pauses the meetings (cancelled in both calendars) and the reminders",
        _pattern(r"pause(?P<x>)\.?", "x"),
    ),
    CommandSpec(
        "resume",
        "resume",
        "starts them again after a pause",
        _pattern(r"resume(?P<x>)\.?", "x"),
    ),
    CommandSpec(
        "phase_out",
        "phase out",
        "begins ending the mentoring relationship gracefully",
        _pattern(r"phase[ -]?out(?P<x>)\.?", "x"),
    ),
    CommandSpec(
        "performance",
        "performance conversation",
        "plans a private conversation with your mentee about how things are going, then "
        "helps you follow it up in writing; add ': Tue Dec 9 3pm' to pick the time",
        _pattern(r"performance\s+(?:conversation|talk)(?:\s*:\s*(?P<when>.+?))?\.?", "when"),
        roles=frozenset({"mentor"}),
    ),
    CommandSpec(
        "share",
        "share",
        "sends your reflection in this reply to your mentoring partner too",
        _pattern(r"share(?P<x>)\.?", "x"),
    ),
    CommandSpec(
        "help",
        "help",
        "sends you this list",
        _pattern(r"help\.?|help\s*:\s*(?P<text>.+)", "text"),
        BOTH,
    ),
    CommandSpec(
        "agree",
        "I agree",
        "agrees to the agreement as it stands with your changes",
        _pattern(r"(?:i\s+agree(?:\s+to\s+(?:the|this)(?:\s+\w+)?)?|agreed)[.!]?(?P<x>)", "x"),
        frozenset({"agreement"}),
    ),
)

# Form labels, longest first so "Goal 1" is tried before anything shorter.
AGREEMENT_FIELDS: dict[str, str] = {label.lower(): key for key, label in FORM_LABELS.items()}
_FIELD_LINE = re.compile(
    r"(?P<label>"
    + "|".join(re.escape(label) for label in sorted(AGREEMENT_FIELDS, key=len, reverse=True))
    + r")\s*[:=]\s*(?P<value>.*)",
    re.IGNORECASE,
)
# Something shaped like "word: …" or a lone verb we know: worth showing back when unparsed.
_ATTEMPT = re.compile(
    r"(?:done|task|todo|agenda|reschedule|frequency|pause|resume|phase|help|goal|performance)\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-*•·]|\d+[.)])\s+")
MAX_LINES = 500
MAX_LINE = 1000


def _clean(line: str) -> str:
    line = line.strip()
    # "1. done 2" and "- agenda: x" are the same commands; "[x] 2" keeps its box.
    if not line.startswith("[") and _BULLET.match(line):
        line = _BULLET.sub("", line, count=1)
    return line.strip().rstrip("\u200b")


def parse_commands(text: str, context: str = "general") -> ParseResult:
    """Read one command per line, case-insensitive; the rest is free text or shown back."""
    commands: list[Command] = []
    free: list[str] = []
    unknown: list[str] = []
    for raw_line in text.splitlines()[:MAX_LINES]:
        line = _clean(raw_line[:MAX_LINE])
        if not line:
            continue
        if context == "agreement":
            match = _FIELD_LINE.fullmatch(line)
            if match is not None:
                key = AGREEMENT_FIELDS[" ".join(match.group("label").lower().split())]
                commands.append(Command("set", {"field": key, "value": match.group("value")}, line))
                continue
        command = _match(line, context)
        if command is not None:
            commands.append(command)
        elif _ATTEMPT.match(line) and len(line) < 200:
            unknown.append(line)
        else:
            free.append(line)
    return ParseResult(commands, free, unknown)


def _match(line: str, context: str) -> Command | None:
    for spec in REGISTRY:
        if context not in spec.contexts:
            continue
        args = spec.parse(line)
        if args is not None:
            return Command(spec.name, {k: v for k, v in args.items() if k != "x"}, line)
    return None


def is_available(name: str) -> bool:
    return any(spec.name == name and spec.available for spec in REGISTRY)


@dataclass(frozen=True)
class CommandHelp:
    """What the reader may write: a line each in plain text; the HTML part lists the entries."""

    entries: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return "\n".join(f"{example:<38} {meaning}" for example, meaning in self.entries)


def help_text(context: str = "general", role: str | None = None) -> CommandHelp:
    """The commands the reader (in `role`, when known) may write here, from the registry."""
    entries: list[tuple[str, str]] = []
    if context == "agreement":
        entries.append(
            ("Frequency: every 2 weeks", "any line of the agreement form changes that field")
        )
    entries += [
        (spec.example, spec.help)
        for spec in REGISTRY
        if context in spec.contexts and spec.available and (role is None or role in spec.roles)
    ]
    return CommandHelp(tuple(entries))
