"""Reflections are kept sealed for their writer and reach the partner only on `share`."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from service.app import AppContext
from service.clock import ManualClock
from service.reflections.checkins import PURPOSE
from service.storage.models import InboundStatus, OutboundMessage, Reflection
from service.storage.sealing import unseal
from tests.integration.test_flow import activated, deliver, plain, receive, sent_to
from tests.mail import reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"


async def test_a_reflection_is_private_unless_its_writer_shares_it(
    app: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await activated(app)
    invitation = (await sent_to(app, SAM, "invitation"))[-1]
    deliver(app, reply_to(invitation, sender=SAM, body="phase out"))
    await receive(app)
    sam_closure = (await sent_to(app, SAM, "closure"))[0]
    zoe_closure = (await sent_to(app, ZOE, "closure"))[0]
    # They answer the next day (the signing day's mail is behind them, and an answer that
    # says only "kept for you alone" would not be another email on a day already full).
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=1))
    deliver(app, reply_to(sam_closure, sender=SAM, body="PRIVATE-7f3a I never felt heard."))
    deliver(
        app,
        reply_to(zoe_closure, sender=ZOE, body="SHARED-91bc Proud of the abstract.\nshare"),
    )
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]

    sam_row, zoe_row = await Reflection.all().order_by("id")
    assert b"PRIVATE-7f3a" not in bytes(sam_row.sealed)  # sealed at rest
    assert unseal(app.secret, bytes(sam_row.sealed), PURPOSE) == "PRIVATE-7f3a I never felt heard."
    assert not sam_row.shared and zoe_row.shared and zoe_row.topic.startswith("closure")
    # Zoë's shared reflection reaches Sam; Sam's private one reaches nobody.
    (shared,) = await sent_to(app, SAM, "reflection_shared")
    assert "SHARED-91bc Proud of the abstract." in plain(shared)
    assert "share" not in plain(shared).split("abstract.")[1].split("\n")[0]
    for row in await OutboundMessage.all():
        assert b"PRIVATE-7f3a" not in bytes(row.raw_bytes), row.kind
    assert "PRIVATE-7f3a" not in caplog.text and "SHARED-91bc" not in caplog.text
    # Each writer is told what became of it.
    assert "kept for you alone" in plain((await sent_to(app, SAM, "understood"))[-1])
    assert "Sam Okafor receives it too" in plain((await sent_to(app, ZOE, "understood"))[-1])


async def test_the_exercises_reach_the_right_person_and_answers_stay_private(
    app: AppContext,
) -> None:
    from datetime import timedelta

    from service.clock import ManualClock
    from service.outbox.sender import send_due

    await activated(app)
    # The mentor's reflection comes with the start; the mentee's map a week later.
    assert await sent_to(app, SAM, "mentor_reflection") == []
    (reflection,) = await sent_to(app, ZOE, "mentor_reflection")
    assert "Before your first meeting with Sam Okafor" in plain(reflection)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await send_due(app)
    assert await OutboundMessage.filter(kind="mentoring_map", status="sent").count() == 0
    clock.advance(timedelta(days=8))
    await send_due(app)
    (mapping,) = await sent_to(app, SAM, "mentoring_map")
    assert "Sponsorship:" in plain(mapping)

    deliver(
        app,
        reply_to(
            mapping,
            sender=SAM,
            body="Career guidance: Dr. Zoë O'Brien\nSponsorship: nobody\n"
            "Emotional support: MAP-SECRET-5d2 my sister",
        ),
    )
    deliver(app, reply_to(reflection, sender=ZOE, body="MENTOR-NOTE-88e My first mentor listened."))
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    answer = plain((await sent_to(app, SAM, "understood"))[-1])
    assert "Career guidance: Dr. Zoë O'Brien" in answer
    assert "Not covered yet: Research or clinical skills, Sponsorship" in answer
    assert "mentoring team" in answer
    topics = sorted(r.topic.rstrip("0123456789") for r in await Reflection.all())
    assert topics == ["map", "reflect"]
    for row in await OutboundMessage.filter(kind__not="understood"):
        assert b"MAP-SECRET-5d2" not in bytes(row.raw_bytes)
        assert b"MENTOR-NOTE-88e" not in bytes(row.raw_bytes)
    assert await sent_to(app, ZOE, "reflection_shared") == []


async def test_two_noes_in_a_row_to_the_productive_question_offer_a_way_out_privately(
    app: AppContext,
) -> None:
    from service.clock import ManualClock
    from service.mail.kinds import About, Topic
    from service.mail.tokens import ReplyToken, reply_address
    from service.meetings.planning import plan_meetings
    from service.storage.models import Meeting, Pairing

    await activated(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await plan_meetings(app)
    pairing = await Pairing.get()
    first = await Meeting.get(pairing_id=pairing.id, number=1)
    clock.set(first.ends_at)  # the horizon moves on: meeting 3 is issued
    await plan_meetings(app)
    meetings = await Meeting.filter(pairing_id=pairing.id).order_by("number")
    assert [m.number for m in meetings] == [1, 2, 3]

    def after(meeting: Meeting, body: str) -> bytes:
        """Sam's answer to the after-meeting prompt of `meeting`, answered by number."""
        token = ReplyToken(pairing.id, pairing.mentee_id, About(Topic.AFTER_MEETING, meeting.id))
        address = reply_address(app.secret, app.settings.service_address, token)
        return (
            f"From: {SAM}\r\nTo: {address}\r\nSubject: Re: After your meeting\r\n"
            f"Message-ID: <after{meeting.id}@university.example>\r\n\r\n{body}\r\n"
        ).encode()

    # The first meeting's questions are others: its "3. no" does not count.
    for meeting in meetings:
        deliver(app, after(meeting, "1. yes\n2. yes\n3. no, not lately\n4. yes"))
        assert await receive(app) == [InboundStatus.PROCESSED]
    said = [plain(raw) for raw in await sent_to(app, SAM, "understood")][-3:]
    assert ["twice in a row" in text for text in said] == [False, False, True]
    assert "write phase out" in said[-1]
    # Nobody else hears of it.
    for row in await OutboundMessage.all():
        if SAM not in row.recipients:
            assert b"twice in a row" not in bytes(row.raw_bytes), row.kind


async def test_needs_not_met_twice_when_taking_stock_offers_the_way_out(app: AppContext) -> None:
    from service.clock import ManualClock
    from service.mail.kinds import About, Topic
    from service.mail.tokens import ReplyToken, reply_address
    from service.meetings.planning import plan_meetings
    from service.meetings.prompts import plan_prompts
    from service.program.guide import NEEDS_MET
    from service.storage.models import Meeting, Pairing

    await activated(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    pairing = await Pairing.get()
    for number in (1, 2):
        await plan_meetings(app)
        clock.set((await Meeting.get(pairing_id=pairing.id, number=number)).ends_at)
    await plan_meetings(app)
    meetings = await Meeting.filter(pairing_id=pairing.id).order_by("number")
    assert [m.number for m in meetings][:4] == [1, 2, 3, 4]
    # Meeting 2's after-meeting email asks the mentee to take stock, numbered on from 5.
    clock.set(meetings[1].ends_at + timedelta(hours=3))
    await plan_prompts(app)
    asked = plain((await sent_to(app, SAM, "after_meeting"))[-1])
    assert f"{NEEDS_MET}. Are my needs being met?" in asked and "take stock" in asked

    def after(meeting: Meeting, body: str) -> bytes:
        token = ReplyToken(pairing.id, pairing.mentee_id, About(Topic.AFTER_MEETING, meeting.id))
        address = reply_address(app.secret, app.settings.service_address, token)
        return (
            f"From: {SAM}\r\nTo: {address}\r\nSubject: Re: After your meeting\r\n"
            f"Message-ID: <needs{meeting.id}@university.example>\r\n\r\n{body}\r\n"
        ).encode()

    # Taking stock after meetings 2 and 4; meeting 3 in between did not ask.
    for meeting, body in (
        (meetings[1], f"1. yes\n{NEEDS_MET}. not really"),
        (meetings[2], "1. yes\n2. yes"),
        (meetings[3], f"{NEEDS_MET}. No, they are not."),
    ):
        deliver(app, after(meeting, body))
        assert await receive(app) == [InboundStatus.PROCESSED]
    said = [plain(raw) for raw in await sent_to(app, SAM, "understood")][-3:]
    assert ["Are my needs being met?" in text for text in said] == [False, False, True]
    for row in await OutboundMessage.all():
        if SAM not in row.recipients:
            assert b"needs being met" not in bytes(row.raw_bytes), row.kind


async def test_a_help_note_reaches_the_coordinator_and_nobody_else(app: AppContext) -> None:
    from service.outbox.sender import send_due
    from service.storage.models import Pairing, PairingState
    from tests.integration.test_flow import import_csv

    csv = (
        "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
        "mentee_timezone,start_date,coordinator_email\n"
        f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
        f"Sam Okafor,{SAM},Europe/Berlin,2026-12-01,coord@society.example\n"
    ).encode()
    await import_csv(app, csv)
    await send_due(app)
    for address in (SAM, ZOE):
        request = (await sent_to(app, address, "agreement_request"))[0]
        deliver(app, reply_to(request, sender=address, body="I agree"))
    await receive(app)
    assert (await Pairing.get()).state == PairingState.ACTIVE
    invitation = (await sent_to(app, SAM, "invitation"))[-1]
    deliver(
        app,
        reply_to(invitation, sender=SAM, body="help: HELP-4471 we have not met since October"),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    (note,) = await sent_to(app, "coord@society.example", "help_note")
    assert "HELP-4471 we have not met since October" in plain(note)
    assert "Sam Okafor, mentee in pairing" in plain(note)
    (answer,) = await sent_to(app, SAM, "help")
    assert "passed on to your program coordinator" in plain(answer)
    for row in await OutboundMessage.all():
        if row.kind != "help_note":
            assert b"HELP-4471" not in bytes(row.raw_bytes), row.kind
