"""The inbound rules: each answers one question about a message, and when it stops the
message, says why in its own words (stored with the message) and what the sender is told.

Pure: the parsed message, what it was routed to and the settings in, a verdict out. The
pipeline (`pipeline.py`) runs them in order; the first verdict stands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from service.config import Settings
from service.mail.kinds import About, Topic
from service.mail.reading.authentication import dmarc_failed
from service.mail.reading.parse import ParsedMessage, reads_as_absence_notice
from service.mail.tokens import tag_of
from service.program.grammar import parse


@dataclass(frozen=True)
class Refusal:
    """The polite answer a refused sender gets, one a day at most per address and kind."""

    kind: str
    text: str


@dataclass(frozen=True)
class Verdict:
    status: Literal["refused", "ignored", "failed"]  # as the stored message's status says
    reason: str
    refusal: Refusal | None = None


# Before routing: the message itself.
MessageRule = Callable[[ParsedMessage, Settings], Verdict | None]


def forged_sender(parsed: ParsedMessage, settings: Settings) -> Verdict | None:
    """Our own receiving server found the From address is not the sender's: answering
    would write to its real owner."""
    if dmarc_failed(parsed.authentication, settings.authserv_id):
        return Verdict("refused", "forged sender: DMARC failed at our server")
    return None


def automatic(parsed: ParsedMessage, settings: Settings) -> Verdict | None:
    """An auto-reply, a read receipt, a report: recorded, never answered."""
    if parsed.kind == "auto_reply":
        return Verdict("ignored", "auto_reply: recorded, never answered")
    return None


def no_sender(parsed: ParsedMessage, settings: Settings) -> Verdict | None:
    """Nobody to act for, nobody to answer."""
    if parsed.from_addr is None:
        reason = "no sender address"
        if parsed.defects:
            reason += "; " + "; ".join(parsed.defects[:3])
        return Verdict("failed", reason)
    return None


def our_own(parsed: ParsedMessage, settings: Settings) -> Verdict | None:
    """Our own mail came back (a loop): never answered."""
    sender = parsed.from_addr or ""
    if tag_of(sender, settings.service_address, delimiter=settings.delimiter) is not None:
        return Verdict("ignored", "our own mail came back")
    return None


# In order. Bounces come before them all, as the pipeline's first handler: a bounce records
# what it says about an address before it is set aside.
MESSAGE_RULES: tuple[MessageRule, ...] = (forged_sender, automatic, no_sender, our_own)

TAMPERED = Verdict(
    "refused",
    "reply address token did not verify",
    Refusal(
        "tampered",
        "The reply address this message was sent to is not one we issued, so nothing was "
        "changed. Please reply to one of our emails as it is.",
    ),
)
UNROUTED = Verdict(
    "refused",
    "no reply token and no known thread",
    Refusal(
        "unrouted",
        "We could not tell which mentoring conversation your message is about, so nothing "
        "was changed. Please answer by replying to one of our emails.",
    ),
)
STRANGER = Verdict(
    "refused",
    "sender is not a participant",
    Refusal(
        "unknown_sender",
        "This address only takes replies from people in a mentoring program it runs, so "
        "your message was not read further. If you think this is a mistake, please contact "
        "your program coordinator.",
    ),
)
UNSIGNED_COORDINATOR = Verdict(
    "ignored",
    "from a coordinator's address, with no command and no signed address",
    Refusal(
        "coordinator_unsigned",
        "This address takes a coordinator's commands by reply to your digest or to one of "
        "our emails to you, so that nobody else can give them in your name. Nothing was "
        "changed.",
    ),
)
GONE = Verdict("ignored", "token names a pairing that no longer exists")
COORDINATOR_GONE = Verdict("ignored", "token names a coordinator who no longer exists")


def not_the_coordinator(parsed: ParsedMessage, email: str) -> Verdict | None:
    """A coordinator's address takes commands from that coordinator alone."""
    if parsed.from_addr != email:
        return Verdict(
            "refused",
            "sender is not the coordinator this address is for",
            Refusal(
                "wrong_sender",
                "This address takes commands from a program's coordinators only, so nothing "
                "was changed.",
            ),
        )
    return None


@dataclass(frozen=True)
class Routed:
    """A participant's message once routed: whose conversation, about what."""

    parsed: ParsedMessage
    person_email: str  # whom the conversation is with
    pairing_closed: bool
    about: About


# After routing: whether this message may act in this conversation.
ReplyRule = Callable[[Routed], Verdict | None]


def not_theirs(message: Routed) -> Verdict | None:
    """A conversation acts for its own person only: anyone else is refused."""
    if message.parsed.from_addr != message.person_email:
        return Verdict(
            "refused",
            "sender is not the person this address is for",
            Refusal(
                "wrong_sender",
                "This conversation belongs to another address, so nothing was changed. If "
                "you take part in a mentoring pair, please answer from the address our "
                "emails reach you at.",
            ),
        )
    return None


def absence_notice(message: Routed) -> Verdict | None:
    """An out-of-office notice its sender did not mark: answering it would start a loop."""
    text = message.parsed.visible_text
    if reads_as_absence_notice(text) and not parse(text).commands:
        return Verdict("ignored", "auto_reply: reads as an absence notice, never answered")
    return None


def pairing_ended(message: Routed) -> Verdict | None:
    """Its reply addresses have expired: nothing is applied to a pairing that has ended
    (but for the agreement's, whose handler explains a pair closed before it began)."""
    if message.pairing_closed and message.about.topic != Topic.AGREEMENT:
        return Verdict(
            "refused",
            "pairing has ended",
            Refusal(
                "ended",
                "Thank you for writing. This mentoring pair has ended, so nothing was "
                "changed; your program coordinator can help with anything further.",
            ),
        )
    return None


# In order, once `not_theirs` has passed and the writer was heard from (their address works).
REPLY_RULES: tuple[ReplyRule, ...] = (absence_notice, pairing_ended)
