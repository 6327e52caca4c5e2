"""`mentormail inspect`: how a raw message or a bare body is understood, as plain data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from service.mail.reading.itip import CalendarAnswer
from service.mail.reading.parse import parse_message
from service.program.grammar import Grammar, as_written, parse


def _answer(answer: CalendarAnswer) -> dict[str, Any]:
    shown = asdict(answer)
    for key in ("recurrence_id", "proposed_start", "proposed_end"):
        shown[key] = shown[key].isoformat() if shown[key] else None
    del shown["stamp"]
    return shown


def inspect_bytes(raw: bytes) -> dict[str, Any]:
    """The shape documented in DESIGN §6; touches no database and sends nothing."""
    parsed = parse_message(raw)
    everyday = parse(parsed.visible_text)
    found = everyday.commands
    # Agreement replies ("I agree", "Frequency: monthly") are shown whenever they parse.
    agreement = parse(parsed.visible_text, Grammar.AGREEMENT)
    found += [c for c in agreement.commands if c.name in ("agree", "set")]
    commands = [{"name": c.name, "args": c.args} for c in found]
    # Sentences that name a command and are not acted on: the writer would be asked.
    held = [
        {"line": line.text, "why": line.held, "write": [as_written(c) for c in line.asks]}
        for line in everyday.held
    ]
    held += [
        {"line": line.text, "why": line.held, "write": [as_written(c) for c in line.asks]}
        for line in agreement.held
        if any(c.name == "agree" for c in line.asks)
    ]
    return {
        "kind": parsed.kind,
        "from": parsed.from_addr,
        "visible_text": parsed.visible_text,
        "signature": parsed.signature,
        "commands": commands,
        "held": held,
        "itip": None if parsed.answer is None else _answer(parsed.answer),
        "bounce": None
        if parsed.bounce is None
        else {"recipients": [asdict(r) for r in parsed.bounce.recipients]},
        # Its identifiers alone: the original it carries may be a private email of ours.
        "complaint": None if parsed.complaint is None else asdict(parsed.complaint),
    }
