"""Calendar answers from Outlook, Google and Apple: recorded per person, declines passed on,
proposed times offered to the other person and applied when they accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from service.app import AppContext
from service.meetings.planning import plan_meetings
from service.storage.models import (
    InboundStatus,
    Meeting,
    MeetingAnswer,
    OutboundMessage,
    TimeProposal,
)
from tests.integration.conftest import make_settings
from tests.integration.test_flow import activated, deliver, plain, receive, sent_to
from tests.interop import check_calendar_email, check_sequence_rises
from tests.mail import calendar_answer, parse, reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"


async def invitation_for(app: AppContext, address: str, number: int) -> tuple[Meeting, bytes]:
    meeting = await Meeting.get(number=number)
    for raw in reversed(await sent_to(app, address, "invitation")):
        if f"meeting{meeting.id}" in str(parse(raw)["Reply-To"]):
            return meeting, raw
    raise AssertionError(f"no invitation to meeting {number} for {address}")


async def test_answers_from_outlook_and_google_are_recorded_newest_first(app: AppContext) -> None:
    await activated(app)
    answered_before = await OutboundMessage.filter(kind__in=["understood", "refusal"]).count()
    meeting, to_sam = await invitation_for(app, SAM, 1)
    _, to_zoe = await invitation_for(app, ZOE, 1)
    now = datetime.now(UTC)
    deliver(app, calendar_answer(to_sam, sender=SAM, client="outlook", written=now))
    deliver(
        app,
        calendar_answer(to_zoe, sender=ZOE, partstat="TENTATIVE", client="google", comment="Maybe"),
    )
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    answers = {a.person_id: a for a in await MeetingAnswer.filter(meeting_id=meeting.id)}
    by_address = {(await a.person).email: (a.partstat, a.comment) for a in answers.values()}
    assert by_address == {SAM: ("ACCEPTED", None), ZOE: ("TENTATIVE", "Maybe")}
    # Outlook's answers can arrive out of order: an older one does not undo a newer one.
    older = calendar_answer(
        to_sam, sender=SAM, partstat="DECLINED", client="outlook", written=now - timedelta(hours=1)
    )
    deliver(app, older)
    assert await receive(app) == [InboundStatus.IGNORED]
    assert (await MeetingAnswer.get(meeting_id=meeting.id, person__email=SAM)).partstat == (
        "ACCEPTED"
    )
    # A calendar is not a person: nothing answers it.
    answered = await OutboundMessage.filter(kind__in=["understood", "refusal"]).count()
    assert answered == answered_before


async def test_a_decline_is_passed_on_to_the_other_person(app: AppContext) -> None:
    await activated(app)
    _, to_sam = await invitation_for(app, SAM, 1)
    deliver(
        app,
        calendar_answer(
            to_sam, sender=SAM, partstat="DECLINED", client="apple", comment="Clinic overran"
        ),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    (note,) = await sent_to(app, ZOE, "meeting_declined")
    text = plain(note)
    assert "Sam Okafor declined your mentoring meeting 1" in text
    assert "Clinic overran" in text and "reschedule:" in text
    assert await sent_to(app, SAM, "meeting_declined") == []


async def test_a_proposed_time_moves_the_meeting_once_the_other_person_accepts(
    app: AppContext,
) -> None:
    pairing = await activated(app)
    await plan_meetings(app)
    meeting, to_zoe = await invitation_for(app, ZOE, 2)
    start = meeting.starts_at + timedelta(days=1, hours=2)
    proposal = calendar_answer(
        to_zoe,
        sender=ZOE,
        partstat="TENTATIVE",
        client="outlook",
        comment="Could we do the next day?",
        proposed=(start, start + (meeting.ends_at - meeting.starts_at)),
    )
    deliver(app, proposal)
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Meeting.get(id=meeting.id)).starts_at == meeting.starts_at  # not yet
    (offer,) = await sent_to(app, SAM, "time_proposed")
    assert "Could we do the next day?" in plain(offer)
    assert "Dr. Zoë O'Brien proposes to move your mentoring meeting 2" in plain(offer)

    answers = len(await sent_to(app, SAM, "understood"))
    deliver(app, reply_to(offer, sender=SAM, body="Accept"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    moved = await Meeting.get(id=meeting.id)
    assert moved.starts_at == start and moved.sequence == meeting.sequence + 1
    assert (await TimeProposal.get()).state == "accepted"
    said = {
        SAM: "Moved to the time Dr. Zoë O'Brien proposed, as you accepted. It was ",
        ZOE: "Moved to the time you proposed; Sam Okafor accepted. It was ",
    }
    for address, words in said.items():
        invitations = [
            raw
            for raw in await sent_to(app, address, "invitation")
            if f"meeting{meeting.id}" in str(parse(raw)["Reply-To"])
        ]
        check_calendar_email(invitations[-1], address)
        check_sequence_rises([parse(raw) for raw in invitations])
        assert words in plain(invitations[-1])
    # The updated invitation answers Sam's "Accept", which did nothing else: no `understood`.
    assert len(await sent_to(app, SAM, "understood")) == answers
    assert pairing.id == moved.pairing_id


async def test_an_answer_from_someone_not_invited_changes_nothing(app: AppContext) -> None:
    await activated(app)
    answered_before = await OutboundMessage.filter(kind__in=["understood", "refusal"]).count()
    _, to_sam = await invitation_for(app, SAM, 1)
    # Sam forwarded the invitation; a colleague's calendar answered it.
    deliver(app, calendar_answer(to_sam, sender="colleague@university.example", client="google"))
    assert await receive(app) == [InboundStatus.IGNORED]
    assert await MeetingAnswer.all().count() == 0
    answered = await OutboundMessage.filter(kind__in=["understood", "refusal"]).count()
    assert answered == answered_before


SERVER = "no-reply@cloud.university.example"  # Sam's university calendar, on Nextcloud


def plain_address(app: AppContext) -> str:
    return app.settings.service_address


def with_delimiter(app: AppContext, delimiter: str) -> None:
    """The deployment's MENTORMAIL_ADDRESS_DELIMITER, set before any mail is written."""
    settings = app.settings
    app.settings = make_settings(
        settings.data_dir,
        settings.resolved_database_url,
        MENTORMAIL_ADDRESS_DELIMITER=delimiter,
    )


def organizer(invitation: bytes) -> str:
    ics = next(p for p in parse(invitation).walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    return str(event["ORGANIZER"]).removeprefix("mailto:")


async def declined_by_sam(app: AppContext, meeting: Meeting) -> None:
    """Sam's decline is on record and Zoë heard of it."""
    answer = await MeetingAnswer.get(meeting_id=meeting.id, person__email=SAM)
    assert answer.partstat == "DECLINED"
    (note,) = await sent_to(app, ZOE, "meeting_declined")
    assert "Sam Okafor declined your mentoring meeting 1" in plain(note)


@pytest.mark.parametrize("to", ["organizer", "plain"])
async def test_a_calendar_server_answering_for_the_attendee_is_heard(
    app: AppContext, to: str
) -> None:
    """Nextcloud and Baikal send From: themselves and Reply-To: the attendee, to the
    ORGANIZER (or, where they mangle it, to the plain address)."""
    await activated(app)
    meeting, to_sam = await invitation_for(app, SAM, 1)
    address = plain_address(app) if to == "plain" else None
    deliver(
        app,
        calendar_answer(to_sam, sender=SAM, partstat="DECLINED", client="nextcloud", to=address),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    await declined_by_sam(app, meeting)
    # A calendar is not a person: nothing answers it.
    assert [r for r in await OutboundMessage.all() if SERVER in r.recipients] == []


async def test_a_calendar_server_answering_for_a_stranger_is_refused(app: AppContext) -> None:
    await activated(app)
    meeting, to_sam = await invitation_for(app, SAM, 1)
    stranger = "mallory@elsewhere.example"
    # Sam's ATTENDEE, the right UID, but the server answers for someone else.
    forged = calendar_answer(
        to_sam,
        sender=SAM,
        partstat="DECLINED",
        client="nextcloud",
        to=plain_address(app),
        answering_for=stranger,
    )
    deliver(app, forged)
    # A stranger's calendar answering the invitation Sam forwarded, to his ORGANIZER.
    forwarded = calendar_answer(to_sam, sender=stranger, partstat="DECLINED", client="nextcloud")
    deliver(app, forwarded)
    assert await receive(app) == [InboundStatus.REFUSED, InboundStatus.IGNORED]
    assert await MeetingAnswer.filter(meeting_id=meeting.id).count() == 0
    assert await sent_to(app, ZOE, "meeting_declined") == []


async def test_with_the_dash_delimiter_the_organizer_is_one_sabredav_can_answer(
    app: AppContext,
) -> None:
    with_delimiter(app, "-")
    await activated(app)
    meeting, to_sam = await invitation_for(app, SAM, 1)
    local, _, domain = plain_address(app).partition("@")
    address = organizer(to_sam)
    assert address.startswith(f"{local}-{meeting.pairing_id}-") and address.endswith(domain)
    assert "+" not in address and str(parse(to_sam)["Reply-To"]).strip("<>") == address
    deliver(app, calendar_answer(to_sam, sender=SAM, partstat="DECLINED", client="nextcloud"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    await declined_by_sam(app, meeting)


async def test_with_no_delimiter_answers_to_the_plain_organizer_are_found_by_uid(
    app: AppContext,
) -> None:
    with_delimiter(app, "none")
    await activated(app)
    meeting, to_sam = await invitation_for(app, SAM, 1)
    _, to_zoe = await invitation_for(app, ZOE, 1)
    assert organizer(to_sam) == organizer(to_zoe) == plain_address(app)
    # Replies to the email itself still have their signed address.
    assert "+" in str(parse(to_sam)["Reply-To"])
    deliver(app, calendar_answer(to_sam, sender=SAM, partstat="DECLINED", client="apple"))
    deliver(app, calendar_answer(to_zoe, sender=ZOE, client="nextcloud"))
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    await declined_by_sam(app, meeting)
    zoe = await MeetingAnswer.get(meeting_id=meeting.id, person__email=ZOE)
    assert zoe.partstat == "ACCEPTED"
