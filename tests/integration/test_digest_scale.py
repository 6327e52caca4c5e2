"""A national program's digest: 40,000 pairings, more than one statement may name, on SQLite
and PostgreSQL. The email names the most urgent pairings wherever they are in the program,
counts the rest, and counts a person's unanswered prompts from the database."""

from __future__ import annotations

from datetime import timedelta

from tortoise import connections

from bench.tick import NOW, SIGNED, populate
from service.app import AppContext
from service.coordinators.digest import ATTENTION_ROWS, digests_due
from service.outbox.writer import OutboxWriter
from service.storage.models import (
    Coordinator,
    HelpNote,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    Program,
)
from tests.mail import parse

PAIRINGS = 40_000  # PostgreSQL's client takes at most 32,767 values in one statement
# A Monday's digest, five weeks after every pair signed and met once: all are overdue a meeting.
DIGEST_AT = NOW + timedelta(days=7)


async def prompts(pairing: Pairing, replied_after: int | None = None) -> None:
    """Five agenda requests to the mentee, a week apart; a reply after the `replied_after`th."""
    for n in range(1, 6):
        sent = SIGNED + timedelta(days=4 * n)
        await OutboundMessage.create(
            dedupe_key=f"agenda:{pairing.id}:{n}",
            kind="agenda_request",
            pairing_id=pairing.id,
            person_id=pairing.mentee_id,
            message_id=f"<agenda-{pairing.id}-{n}@mentormail.example>",
            mail_from="mentorship@mentormail.example",
            recipients=[f"mentee{pairing.id}@university.example"],
            raw_bytes=b"Subject: agenda\r\n\r\nWhat would you like to talk about?\r\n",
            status=OutboundStatus.SENT,
            not_before=sent,
            created_at=sent,
            sent_at=sent,
        )
        if n == replied_after:
            await InboundMessage.create(
                message_id=f"<reply-{pairing.id}-{n}@university.example>",
                raw_bytes=b"Subject: Re: agenda\r\n\r\nThe abstract.\r\n",
                status=InboundStatus.PROCESSED,
                pairing_id=pairing.id,
                person_id=pairing.mentee_id,
                received_at=sent + timedelta(hours=3),
                processed_at=sent + timedelta(hours=3),
            )


async def test_a_digest_of_forty_thousand_pairings(app: AppContext) -> None:
    dialect = connections.get("default").capabilities.dialect
    await populate(PAIRINGS, 0, postgres=dialect == "postgres")
    program = await Program.get(name="Bench tick")
    for email in ("pat@society.example", "lee@society.example"):
        await Coordinator.create(program=program, email=email, created_at=SIGNED)
    pairings = await Pairing.filter(program=program).order_by("id").select_related("mentee")
    first, silent, answered, last = pairings[0], pairings[5], pairings[6], pairings[-1]
    await prompts(silent)
    await prompts(answered, replied_after=3)
    # The most urgent pairing is the program's last: far beyond the first chunk read.
    await HelpNote.create(
        pairing=last,
        person_id=last.mentee_id,
        text="We have not met since the agreement.",
        created_at=DIGEST_AT - timedelta(days=2),
    )

    assert await digests_due(OutboxWriter(app.settings, app.secret), DIGEST_AT) == 2

    pat, lee = await OutboundMessage.filter(kind="digest").order_by("id")
    assert (pat.recipients, lee.recipients) == (["pat@society.example"], ["lee@society.example"])
    texts = [parse(bytes(row.raw_bytes)).get_body(preferencelist=("plain",)) for row in (pat, lee)]
    assert str(texts[0]) == str(texts[1])  # the same digest for both
    message = parse(bytes(pat.raw_bytes))
    assert "40000 pairings need you" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Pairings              40000 (40000 active)" in text
    assert "Need your attention   40000" in text
    attention = text.split("NEEDS YOUR ATTENTION", 1)[1].split("ALL PAIRINGS", 1)[0]
    named = [line for line in attention.splitlines() if line.startswith("  #")]
    assert len(named) == ATTENTION_ROWS
    # Most urgent first: the call for help, then the silence, then by number.
    assert named[0].startswith(f"  #{last.id} ")
    assert "asked for help: We have not met since the agreement." in attention
    assert named[1].startswith(f"  #{silent.id} ")
    mentee = silent.mentee.name
    assert f"no reply from {mentee} to the last 5 prompts" in attention
    assert f"no reply from {answered.mentee.name}" not in attention  # two since the reply
    assert named[2].startswith(f"  #{first.id} ")
    assert f"… and {PAIRINGS - ATTENTION_ROWS} more that need you" in attention
    table = text.split("ALL PAIRINGS", 1)[1]
    met = SIGNED + timedelta(days=2)  # the one meeting each pair has held
    assert table.count(f"last meeting {met.day} {met:%b}") == 60
    assert f"… and {PAIRINGS - 60} more" in table
