"""The coordinator's report: one row per pairing, and cells no spreadsheet will execute.

Pure: plain values in, rows out. A row holds what a coordinator may know (the digest's
facts and flags, the people's names and addresses, counts and dates); never a reflection, a
reply's text, a private meeting or action item, or anything of a performance conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from service.coordinators.digest_rules import PairSummary, digest_flags

Cell = str | int | date | None

COLUMNS: tuple[str, ...] = (
    "Pairing",
    "Program",
    "State",
    "Mentor",
    "Mentor email",
    "Mentee",
    "Mentee email",
    "Agreement",
    "Signed on",
    "Meetings held",
    "Meetings planned",
    "Last meeting held",
    "Next meeting",
    "Mentor's last reply",
    "Mentee's last reply",
    "Open action items",
    "Overdue action items",
    "Flags",
)

# What a spreadsheet reads as the start of a formula (or, for tab and carriage return, as a
# way to shift one into the next cell): OWASP's list for CSV injection.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PairingFacts:
    """What the report knows of one pairing beyond the digest's summary, every date already
    in the program's zone. Counts and dates leave out private meetings, private action items
    and private replies."""

    summary: PairSummary
    program: str
    mentor_email: str
    mentee_email: str
    mentor_agreed: bool
    mentee_agreed: bool
    signed_on: date | None
    held: int  # meetings held (ended, not cancelled, declined by nobody)
    planned: int  # meetings ahead in both calendars, not cancelled
    last_held: date | None
    next_meeting: date | None
    mentor_replied: date | None  # the day of their last reply
    mentee_replied: date | None
    open_items: int


def agreement(facts: PairingFacts) -> str:
    """Where the agreement stands, in words: signed, or who is still to agree."""
    if facts.signed_on is not None:
        return "signed"
    if facts.summary.state == "closed":
        return "never signed"
    waiting = [
        name
        for name, agreed in (
            (facts.summary.mentor, facts.mentor_agreed),
            (facts.summary.mentee, facts.mentee_agreed),
        )
        if not agreed
    ]
    if len(waiting) == 2:
        return "waiting for both"
    return f"waiting for {waiting[0]}" if waiting else "agreed by both"


def report_row(facts: PairingFacts, now: datetime) -> tuple[Cell, ...]:
    """One pairing's row, in the order of COLUMNS; its flags are the digest's."""
    pair = facts.summary
    return (
        pair.number,
        facts.program,
        pair.state,
        pair.mentor,
        facts.mentor_email,
        pair.mentee,
        facts.mentee_email,
        agreement(facts),
        facts.signed_on,
        facts.held,
        facts.planned,
        facts.last_held,
        facts.next_meeting,
        facts.mentor_replied,
        facts.mentee_replied,
        facts.open_items,
        pair.overdue,
        "; ".join(flag.reason for flag in digest_flags(pair, now)),
    )


def executable(value: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    return value.startswith(FORMULA_LEADS)


def neutral(value: str) -> str:
    """Text a spreadsheet shows as it is: an apostrophe before a formula's first character
    (the spreadsheets' own mark for "this is text"), anything else unchanged."""
    return "'" + value if executable(value) else value
