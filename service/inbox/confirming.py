"""A participant's "yes" to our asking: when a reply held back one command ("can we
pause?") and our answer asked them to write it, a bare "yes" (or "confirm") in reply to
that answer applies it, as a coordinator's `confirm` applies a held message.

The held command is read again from the reply we answered, found by its typed columns: the
writer, the pairing, and the time it was applied, which is the time of our answer.
"""

from __future__ import annotations

import asyncio
import re

from service.inbox.reply import Reply
from service.mail import kinds
from service.mail.reading.parse import parse_message
from service.program.grammar import Command, Line, ParseResult, parse
from service.storage.models import InboundMessage, InboundStatus, OutboundMessage
from service.storage.sealing import open_mail

YES = re.compile(
    r"(?:yes|yes please|yep|yeah|ok|okay|sure|please do|do it|go ahead|confirm(?:ed)?|"
    r"i confirm|yes,? (?:please )?(?:do it|go ahead|confirm))(?:[\s,!.]+(?:please|thanks|"
    r"thank you|do it|go ahead))*[\s!.]*",
    re.IGNORECASE,
)
TOO_MANY = (
    'Your "yes" was not applied: we asked about more than one line. Please reply with the '
    "line you mean."
)


def says_yes(read: ParseResult) -> bool:
    """Whether a reply is a bare yes (with greetings and thanks around it, at most)."""
    said = [line for line in read.lines if not line.pleasantry or YES.fullmatch(line.text)]
    yes = [line for line in read.lines if YES.fullmatch(line.text)]
    return bool(yes) and len(said) == len(yes) == 1 and not read.commands and not read.held


async def asked(reply: Reply) -> list[Command] | None:
    """The commands we asked about in the answer this reply answers, read again from the
    reply that answer was about; None when it answers no answer of ours."""
    if reply.parsed.in_reply_to is None:
        return None
    answer = (
        await OutboundMessage.filter(
            message_id=reply.parsed.in_reply_to,
            kind=kinds.UNDERSTOOD.name,
            person_id=reply.person.id,
            pairing_id=reply.pairing.id,
        )
        .using_db(reply.connection)
        .only("id", "created_at")
        .first()
    )
    if answer is None:
        return None
    answered = (
        await InboundMessage.filter(
            person_id=reply.person.id,
            pairing_id=reply.pairing.id,
            status=InboundStatus.PROCESSED,
            processed_at=answer.created_at,
        )
        .using_db(reply.connection)
        .order_by("-id")
        .first()
    )
    if answered is None:
        return None
    raw = open_mail(reply.outbox.secret, bytes(answered.raw_bytes), answered.sealed)
    parsed = await asyncio.to_thread(parse_message, raw)
    return [
        command for line in parse(parsed.visible_text, reply.grammar).held for command in line.asks
    ]


async def confirm_asked(reply: Reply) -> None:
    """A bare "yes" to our asking about one command becomes that command, as if written;
    to our asking about several, it is answered with which to write."""
    if not says_yes(reply.read):
        return
    commands = await asked(reply)
    if not commands:
        return
    if len(commands) > 1:
        reply.notes.append(TOO_MANY)
        return
    (command,) = commands
    yes = next(line for line in reply.read.lines if YES.fullmatch(line.text))
    reply.read = ParseResult(
        (Line(yes.written, yes.text, Command(command.syntax, command.args, command.line)),)
    )
