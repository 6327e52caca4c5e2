"""A performance conversation through real servers (SMTP into Dovecot, the worker on Redis
fetching over IMAP): the mentor's request, the private meeting, the summary, the draft and
its edit, `send`, the mentee's confirmation and corrections, the private action items, the
check-back, and the guide's advice on a "no".

And what must never happen: a word of it, or the fact of it, anywhere but the mail of the
two people concerned and the sealed store.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from tortoise import Tortoise

from service.performance.rules import TRANSITION_ADVICE
from service.storage.models import (
    Coordinator,
    InboundMessage,
    InboundStatus,
    Meeting,
    Pairing,
    PairingState,
    PerformanceConversation,
    PerformanceState,
    Program,
    Task,
    TaskState,
)
from tests.integration.conftest import Live
from tests.integration.test_replies_end_to_end import SAM, ZOE, agree_both, invitations_come
from tests.interop import calendar_payload, check_calendar_email
from tests.mail import parse, reply_to

SUMMARY_MARK = "PERF-MARK-4e1d"
PAT = "pat@society.example"
REFLECTION_MARK = "REFLECT-MARK-b07a"


def text_of(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def later(live: Live, when: datetime) -> None:
    """Time passes; the worker's periodic work runs."""
    live.clock.set(when)
    await live.run("tick", "send_outbox")


async def reply(live: Live, received: bytes, sender: str, body: str) -> None:
    await live.send(reply_to(received, sender=sender, body=body), sender)
    await live.run("poll_inbox", "send_outbox")


async def start_conversation(live: Live) -> Meeting:
    await agree_both(live)
    await live.run("poll_inbox", "send_outbox")
    assert (await Pairing.get()).state == PairingState.ACTIVE
    await invitations_come(live)
    # Only the mentor may ask; the mentee is told how to raise something instead.
    await reply(live, live.received(SAM, "invitation")[0], SAM, "performance conversation")
    assert "only a mentor can ask" in text_of(live.received(SAM, "understood")[-1])
    await reply(live, live.received(ZOE, "invitation")[0], ZOE, "performance conversation")
    (meeting,) = await Meeting.filter(private=True)
    assert meeting.number < 0
    return meeting


async def test_a_performance_conversation_from_request_to_check_back(live: Live) -> None:
    meeting = await start_conversation(live)
    for address in (SAM, ZOE):
        invitation = live.received(address, "invitation")[-1]
        check_calendar_email(invitation, address)
        calendar = calendar_payload(invitation)
        assert b"CLASS:PRIVATE" in calendar and b"SUMMARY:Private conversation" in calendar
    # The private conversation's invitation answers Zoë's request: no `understood` besides.
    assert live.received(ZOE, "understood") == []
    # Nothing is asked before the meeting has happened.
    await later(live, meeting.starts_at - timedelta(hours=1))
    assert not live.received(ZOE, "performance_summary_request")
    await later(live, meeting.ends_at + timedelta(minutes=5))
    (request,) = live.received(ZOE, "performance_summary_request")
    assert not live.received(SAM, "performance_summary_request")
    assert "Frame the conversation around your mentee's professional goals" in text_of(request)

    # The summary, with a sweeping "you always" and an item without a date.
    await reply(
        live,
        request,
        ZOE,
        "Summary: We talked about drafts arriving late.\n"
        "Expectation not met: drafts reach me a week before a deadline\n"
        "Incidents: you always send things late; the ASH abstract came on its due day\n"
        "Action item: share a writing timeline with me by Jan 15\n"
        "Action item: block two writing mornings a week",
    )
    (draft,) = live.received(ZOE, "performance_followup_draft")
    draft_text = text_of(draft)
    assert '"block two writing mornings a week" has no date' in draft_text
    assert '"you always"' in draft_text
    assert "Dear Sam," in draft_text and "share a writing timeline" in draft_text
    assert not live.received(SAM, "performance_followup")

    # `send` is held back while an item has no date; the edit fixes it, then `send` goes.
    await reply(live, draft, ZOE, "send")
    assert "was not sent yet" in text_of(live.received(ZOE, "understood")[-1])
    await reply(
        live,
        draft,
        ZOE,
        "Action items:\n- share a writing timeline with me by Jan 15\n"
        "- block two writing mornings a week by Jan 29",
    )
    second = live.received(ZOE, "performance_followup_draft")[-1]
    assert "Draft 2" in str(parse(second)["Subject"]) and "has no date" not in text_of(second)
    await reply(live, second, ZOE, "send")
    (to_sam,) = live.received(SAM, "performance_followup")
    (copy,) = live.received(ZOE, "performance_followup")
    for message in (to_sam, copy):
        headers = parse(message)
        assert SAM in str(headers["To"]) and ZOE in str(headers["Cc"])
        assert "We talked about drafts arriving late." in text_of(message)
    tasks = await Task.filter(private=True).order_by("number")
    assert [t.due_date.isoformat() for t in tasks if t.due_date] == ["2027-01-15", "2027-01-29"]
    assert all(t.text == "" and t.sealed for t in tasks)  # the words are sealed
    # The steps are numbered alike in the draft and in what Sam reads, which names the
    # action item each became (done by that number).
    for message in (second, to_sam):
        assert "  1. share a writing timeline with me" in text_of(message)
        assert "  2. block two writing mornings a week" in text_of(message)
    assert f": action item {tasks[1].number}" in text_of(to_sam)

    # Sam confirms, then corrects a detail: both reach Zoë, and Zoë alone.
    await reply(live, to_sam, SAM, "confirm")
    await reply(live, to_sam, SAM, "The abstract was late because the data came late.")
    confirmed, corrected = live.received(ZOE, "performance_reply")
    assert "confirmed the follow-up" in text_of(confirmed)
    assert "the data came late" in text_of(corrected)
    assert (await PerformanceConversation.get()).confirmed_at is not None
    # The items are Sam's tasks with reminders, and done by number like any other.
    await reply(live, to_sam, SAM, f"done {tasks[0].number}")
    assert (await Task.get(id=tasks[0].id)).state == TaskState.DONE
    await later(live, datetime.fromisoformat("2027-01-28T15:00:00+00:00"))
    reminder = live.received(SAM, "task_reminder")[-1]
    assert "block two writing mornings a week" in text_of(reminder)

    # On the last due date both are asked; the mentor's "no" brings the guide's advice.
    await later(live, datetime.fromisoformat("2027-01-29T15:00:00+00:00"))
    (check_zoe,) = live.received(ZOE, "performance_checkback")
    (check_sam,) = live.received(SAM, "performance_checkback")
    assert "share a writing timeline with me (by Friday 15 January 2027): done" in text_of(
        check_zoe
    )
    await reply(live, check_sam, SAM, "Yes, I think so.")
    await reply(live, check_zoe, ZOE, "No, not really.")
    advice = text_of(live.received(ZOE, "understood")[-1])
    assert TRANSITION_ADVICE[1][:60] in " ".join(advice.split())
    conversation = await PerformanceConversation.get()
    assert conversation.state == PerformanceState.CLOSED and conversation.improved is False
    # Sam's answer is kept for Sam: nothing of it reaches Zoë.
    assert not any(b"I think so" in m.raw for m in live.smtp.messages if ZOE in m.rcpt_tos)


async def test_what_is_said_stays_with_the_two_of_them(
    live: Live, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    meeting = await start_conversation(live)
    # A private reflection of Zoë's, and a summary carrying a marker of its own.
    await later(live, meeting.ends_at + timedelta(minutes=5))
    reflection = live.received(ZOE, "mentor_reflection")[0]
    await reply(live, reflection, ZOE, f"A mentor who listened. {REFLECTION_MARK}")
    request = live.received(ZOE, "performance_summary_request")[0]
    await reply(
        live,
        request,
        ZOE,
        f"Summary: {SUMMARY_MARK} deadlines\nAction item: share a timeline by Jan 15",
    )

    # A fault while applying a private reply: the error report names no word of it.
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot read {args[0]!r}")

    monkeypatch.setattr("service.performance.conversations.read_summary", broken)
    draft = live.received(ZOE, "performance_followup_draft")[-1]
    await reply(live, draft, ZOE, f"Summary: {SUMMARY_MARK} again")
    failed = await InboundMessage.get(status=InboundStatus.FAILED)
    assert failed.sealed and "internal error" in (failed.reason or "")
    monkeypatch.undo()
    await reply(live, draft, ZOE, "send")
    assert live.received(SAM, "performance_followup")

    # The program's coordinator gets the week's digest: not a word of it, nor that it was.
    program = await Program.get()
    await Coordinator.create(program=program, email=PAT, created_at=live.clock.now())
    await later(live, datetime.fromisoformat("2027-01-04T13:05:00+00:00"))
    (digest,) = live.received(PAT, "digest")
    said = "\n".join(
        str(part.get_content())
        for part in parse(digest).walk()
        if part.get_content_type() in ("text/plain", "text/html")
    ).lower()
    assert "performance" not in said and "private conversation" not in said
    assert "Dr. Zo" in text_of(digest)  # the pairing is there, as any other
    # The mail: the summary reached Zoë and Sam only; the reflection reached no one.
    for message in live.smtp.messages:
        if message.mail_from in (SAM, ZOE):
            continue  # what they wrote to us, on its way in
        if SUMMARY_MARK.encode() in message.raw:
            assert set(message.rcpt_tos) <= {SAM, ZOE}, message.rcpt_tos
        assert REFLECTION_MARK.encode() not in message.raw, message.rcpt_tos
    # No log line of the service names the marker, or that a performance conversation
    # happened at all (the test's SMTP server, standing in for the world, logs what it likes).
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("mail.log")
    )
    assert "inbound" in logged  # the worker's lines are there to search
    assert SUMMARY_MARK not in logged and REFLECTION_MARK not in logged
    assert "performance" not in logged.lower(), logged
    # The database holds both only sealed: no table, no column has either in the clear.
    for model in Tortoise.apps["models"].values():
        for row in await model.all().values():
            for value in row.values():
                data = value if isinstance(value, bytes) else str(value).encode()
                for mark in (SUMMARY_MARK, REFLECTION_MARK):
                    assert mark.encode() not in data, (model.__name__, mark)
