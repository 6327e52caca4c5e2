"""Where a pair meets, through real servers (SMTP into Dovecot, the worker on Redis reading
over IMAP): the agreement's `Where:` line becomes every invitation's LOCATION, read by each
calendar parser, and `where:` written later updates both calendars."""

from __future__ import annotations

from email.message import EmailMessage

from service.agreement.enrolment import import_roster
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import Meeting, OutboundMessage, Pairing, PairingState
from tests.integration.conftest import Live
from tests.integration.test_replies_end_to_end import invitations_come
from tests.interop import (
    calendar_payload,
    check_calendar_email,
    check_sequence_rises,
    check_with_icaljs,
)
from tests.mail import parse, reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time,location\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,Sam Okafor,{SAM},"
    "Europe/Berlin,2027-01-04,every 2 weeks,Thursday,10:00,Room 4.12\n"
).encode()
LINK = "https://meet.example.org/j/8123?pwd=a1b2"


def plain(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def location_of(raw: bytes) -> str:
    [read] = check_with_icaljs([calendar_payload(raw)])
    return str(read["location"])


async def test_where_they_meet_is_in_every_invitation_and_either_may_change_it(
    live: Live,
) -> None:
    await import_roster(
        read_roster(CSV, live.clock.now().date()),
        OutboxWriter(live.app.settings, live.app.secret),
        live.clock.now(),
    )
    await live.run("send_outbox")
    request = live.received(SAM, "agreement_request")[0]
    assert "Where: Room 4.12" in plain(request), "the roster's place, in the form"
    # Sam would rather meet by video, and says so in the form.
    await live.send(reply_to(request, sender=SAM, body=f"Where: {LINK}\nI agree"), SAM)
    await live.run("poll_inbox", "send_outbox")
    # Sam's change reaches Zoë on her next morning with room for it (her day had the form).
    (changed,) = await OutboundMessage.filter(kind="agreement_request", status="pending")
    live.clock.set(changed.not_before)
    await live.run("send_outbox")
    again = live.received(ZOE, "agreement_request")[-1]
    await live.send(reply_to(again, sender=ZOE, body="I agree"), ZOE)
    await live.run("poll_inbox", "send_outbox")
    assert (await Pairing.get()).state == PairingState.ACTIVE
    # The invitation may wait for a quieter day.
    await invitations_come(live)

    for address in (SAM, ZOE):
        [invitation] = live.received(address, "invitation")
        check_calendar_email(invitation, address)  # icalendar, vobject, ics, recurring
        assert location_of(invitation) == LINK  # and ical.js
        assert f"Where: {LINK}" in plain(invitation)
        assert f'href="{LINK}"' in str(parse(invitation).get_body(("html",)).get_content())

    # Later Zoë books a room; both calendars follow, and say who moved it from where.
    await live.run("tick", "send_outbox")  # the second meeting is issued too
    meetings = await Meeting.filter(cancelled=False).order_by("number")
    assert len(meetings) == 2
    answers = len(live.received(ZOE, "understood"))
    await live.send(
        reply_to(live.received(ZOE, "invitation")[0], sender=ZOE, body="where: Room 4.12"), ZOE
    )
    await live.run("poll_inbox", "send_outbox")
    for address in (SAM, ZOE):
        invitations = live.received(address, "invitation")
        # The first meeting's invitation, then both updated: the second's first version,
        # still waiting for a quieter day, gave way to its update (one email, not two).
        assert len(invitations) == 3, "the first meeting's, then each meeting's updated"
        check_sequence_rises([parse(m) for m in invitations])
        who = "You" if address == ZOE else "Dr. Zoë O'Brien"
        for update in invitations[1:]:
            check_calendar_email(update, address)
            assert location_of(update) == "Room 4.12"
            assert f"{who} changed where you meet: {LINK} → Room 4.12." in plain(update)
    # Her updated invitations are her answer ("You changed where you meet"): one email for
    # one event, no `understood` besides.
    assert len(live.received(ZOE, "understood")) == answers
    assert [m.sequence for m in await Meeting.all().order_by("number")] == [1, 1]
