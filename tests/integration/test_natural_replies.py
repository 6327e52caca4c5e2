"""Replies written the way people write, through real servers (SMTP into Dovecot, the worker
on Redis fetching over IMAP, PostgreSQL or SQLite): agreeing in a sentence, a "not yet" that
changes nothing and is asked about, a line for the partner passed on to them, and a
coordinator's request in their own words answered with what they may ask for."""

from __future__ import annotations

from datetime import timedelta

from service.agreement.enrolment import import_roster
from service.agreement.rules import NOTHING_FOUND
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import Meeting, Pairing, PairingState, Task, TaskState
from tests.integration.conftest import Live
from tests.integration.test_coordinators import FIRST_DIGEST, PAT, command, text_of
from tests.integration.test_coordinators import start as start_with_coordinator
from tests.mail import reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2027-01-04,every 2 weeks,Thursday,10:00\n"
).encode()


async def requested(live: Live) -> None:
    outbox = OutboxWriter(live.app.settings, live.app.secret)
    await import_roster(read_roster(CSV, live.clock.now().date()), outbox, live.clock.now())
    await live.run("send_outbox")


async def answer(live: Live, received: bytes, sender: str, body: str, style: str) -> str:
    """Reply from `sender`'s client; the text of the answer they get."""
    before = len(live.received(sender, "understood"))
    await live.send(reply_to(received, sender=sender, body=body, style=style), sender)
    await live.run("poll_inbox", "send_outbox")
    answers = live.received(sender, "understood")
    assert len(answers) == before + 1, f"no answer to {body!r}"
    return text_of(answers[-1])


async def test_agreeing_in_a_sentence_and_a_not_yet_through_real_servers(live: Live) -> None:
    await requested(live)
    sam_request = live.received(SAM, "agreement_request")[0]
    zoe_request = live.received(ZOE, "agreement_request")[0]

    # "Not yet" changes nothing, and Sam is asked, with what to write to agree.
    text = await answer(live, sam_request, SAM, "I don't agree yet, I need to read it.", "html")
    assert (await Pairing.get()).mentee_agreed_at is None
    assert "I don't agree yet" in text and "Not done: it says not to" in text
    assert "To do it, reply with: I agree" in text

    text = await answer(live, sam_request, SAM, "Yes, I agree", "gmail")
    assert (await Pairing.get()).mentee_agreed_at is not None
    assert "You agreed to the agreement" in text

    # Zoë writes in French first, then "I agree": signed. The signed agreement is her answer
    # (one email for one event), and nothing quotes the service's own sentence as hers.
    answers = len(live.received(ZOE, "understood"))
    await live.send(
        reply_to(zoe_request, sender=ZOE, body="J'accepte. I agree", style="outlook"), ZOE
    )
    await live.run("poll_inbox", "send_outbox")
    pairing = await Pairing.get()
    assert pairing.state == PairingState.ACTIVE and pairing.signed_at is not None
    assert len(live.received(ZOE, "understood")) == answers
    (signed,) = live.received(ZOE, "agreement_signed")
    assert NOTHING_FOUND not in text_of(signed) and "could not understand" not in text_of(signed)
    assert live.received(SAM, "agreement_signed")


async def test_a_line_for_the_partner_reaches_them_and_the_writer_is_told(live: Live) -> None:
    await requested(live)
    for address, body in ((SAM, "Looks good, I agree. Sam"), (ZOE, "I agree, thanks")):
        await live.send(
            reply_to(live.received(address, "agreement_request")[0], sender=address, body=body),
            address,
        )
    await live.run("poll_inbox", "send_outbox")
    assert (await Pairing.get()).state == PairingState.ACTIVE

    # The invitation may wait for a quieter day, but comes six days before the meeting.
    first = await Meeting.get(number=1)
    live.clock.set(max(live.clock.now(), first.starts_at - timedelta(days=6)))
    await live.run("send_outbox")
    invitation = live.received(SAM, "invitation")[0]
    body = (
        "Hi Zoë,\nAction items:\n- read the two papers by Friday\n\n"
        "Also can we meet on zoom instead? Thanks!\nshould I mark 1 done?\nBest, Sam"
    )
    text = await answer(live, invitation, SAM, body, "gmail")
    # The action item is added; the question about it is asked back, not acted on.
    assert await Task.filter(state=TaskState.OPEN).count() == 1
    assert await Task.filter(state=TaskState.DONE).count() == 0
    assert "should I mark 1 done?" in text and "To do it, reply with: done 1" in text
    # The line for Zoë reaches her, and Sam's answer says it went to her.
    assert "Passed on to Dr. Zoë O'Brien" in text
    assert "Also can we meet on zoom instead?" in text.split("Passed on to")[1]
    (note,) = live.received(ZOE, "partner_note")
    note_text = text_of(note)
    assert "Also can we meet on zoom instead?" in note_text
    # Greetings, thanks and the signature are nobody's business; the task is not a note.
    assert "Best, Sam" not in note_text and "read the two papers" not in note_text
    assert "mark 1 done" not in note_text  # a question about our records, not for Zoë

    # Sam says yes to what was asked back: task 1 is done, as if "done 1" had been written.
    asked_back = live.received(SAM, "understood")[-1]
    text = await answer(live, asked_back, SAM, "Yes please, thanks!", "outlook")
    assert await Task.filter(state=TaskState.DONE).count() == 1
    assert "Task 1" in text or "task 1" in text, text

    # Zoë answers the note: Sam gets her answer the same way.
    await live.send(reply_to(note, sender=ZOE, body="Zoom works for me, see you Thursday."), ZOE)
    await live.run("poll_inbox", "send_outbox")
    (back,) = live.received(SAM, "partner_note")
    assert "Zoom works for me" in text_of(back)


async def test_a_coordinator_asking_in_their_own_words_gets_what_they_may_ask_for(
    live: Live,
) -> None:
    await start_with_coordinator(live)
    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    (digest,) = live.received(PAT, "digest")
    await command(live, digest, "Hi,\nplease send me a list of everyone who has not signed\nThanks")
    text = text_of(live.received(PAT, "coordinator_reply")[-1])
    assert "please send me a list of everyone who has not signed" in text
    assert "the closest commands: digest now" in text
    assert "Hi," not in text.split("HOW TO ANSWER")[0]
