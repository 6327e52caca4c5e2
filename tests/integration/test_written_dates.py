"""Days, times and words people write that would crash a reply or mislead its reader, through
the inbound path on SQLite and PostgreSQL (a coordinator's roster through real servers): each is
answered with its reason, and the message is processed, not failed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from service.app import AppContext
from service.meetings.planning import plan_meetings
from service.outbox.sender import send_due
from service.storage.models import (
    InboundStatus,
    Meeting,
    Pairing,
    PerformanceConversation,
    Person,
    Task,
)
from tests.integration.conftest import Live
from tests.integration.test_coordinators import COLUMNS, PAT, confirmed, start, text_of, with_csv
from tests.integration.test_flow import activated, deliver, import_csv, plain, receive, sent_to
from tests.integration.test_replies_end_to_end import agree_both
from tests.mail import calendar_answer, reply_to

ZOE = "zoe@hospital.example"  # the mentor, in New York: behind UTC
SAM = "sam@university.example"  # the mentee, in Berlin: ahead of it


async def answered(app: AppContext, sender: str, received: bytes, body: str) -> str:
    """`body` sent in reply to `received`; the answer's text, once the reply was processed."""
    deliver(app, reply_to(received, sender=sender, body=body))
    assert await receive(app) == [InboundStatus.PROCESSED]
    answer = (await sent_to(app, sender, "understood"))[-1]
    return " ".join(plain(answer).split())


async def test_a_reschedule_no_calendar_or_clock_has_is_answered_and_moves_nothing(
    app: AppContext,
) -> None:
    pairing = await activated(app)
    await plan_meetings(app)
    first = await Meeting.get(pairing_id=pairing.id, number=1)
    invite = {who: (await sent_to(app, who, "invitation"))[0] for who in (ZOE, SAM)}
    # One reschedule a message: each in its own reply.
    cases = [
        (ZOE, "reschedule: Dec 31 9999 11pm", "Friday 31 December 9999 is more than two years"),
        (SAM, "reschedule: Jan 1 0001 12:30am", "Monday 1 January 1 is more than a year ago"),
        (ZOE, "reschedule: tomorrow at 25", "there is no hour 25: hours run from 0 to 23"),
        (SAM, "reschedule: 3:75pm", "there is no minute 75"),
        (ZOE, "reschedule: Tuesday Dec 9", "Tuesday was written, but 9 December 2026 is a Wed"),
    ]
    for sender, body, reason in cases:
        text = await answered(app, sender, invite[sender], body)
        assert f"{body} ({reason}" in text
        assert (await Meeting.get(id=first.id)).starts_at == first.starts_at, body


async def test_a_performance_conversation_at_no_sane_time_is_answered(app: AppContext) -> None:
    pairing = await activated(app)
    await plan_meetings(app)
    invite = (await sent_to(app, ZOE, "invitation"))[0]
    text = await answered(app, ZOE, invite, "performance conversation: Dec 31 9999 11pm")
    assert "Friday 31 December 9999 is more than two years ahead" in text
    # The same mentor ahead of UTC, on the first day there is.
    await Person.filter(email=ZOE).update(timezone="Asia/Tokyo")
    text = await answered(app, ZOE, invite, "performance conversation: Jan 1 0001 12:30am")
    assert "Monday 1 January 1 is more than a year ago" in text
    assert await PerformanceConversation.filter(pairing_id=pairing.id).count() == 0


async def test_a_goal_reaches_the_partner_without_characters_that_hide_or_reverse_it(
    app: AppContext,
) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, SAM, "agreement_request"))[0]
    goal = "Submit the \u202etcartsba\u202c\u200b to the \u2066annual\u2069 meeting\ufeff"
    deliver(app, reply_to(request, sender=SAM, body=f"Goal 1: {goal}"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    pairing = await Pairing.get()
    assert pairing.terms["goals"] == ["Submit the tcartsba to the annual meeting"]
    to_zoe = (await sent_to(app, ZOE, "agreement_request"))[-1]
    message = message_from_bytes(to_zoe, policy=policy.default)
    texts = [
        str(part.get_content())  # type: ignore[attr-defined]
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]
    assert texts and all("Submit the tcartsba to the annual meeting" in text for text in texts)
    for hidden in ("\u202e", "\u202c", "\u200b", "\u2066", "\u2069", "\ufeff"):
        assert not any(hidden in text for text in texts), hex(ord(hidden))


async def test_an_emailed_roster_starting_in_year_9999_is_refused_with_line_and_field(
    live: Live,
) -> None:
    # Imported, its pairing's first meeting would leave the calendar when both agree.
    await start(live)
    before = await Pairing.all().count()
    far = (
        COLUMNS + "Hematology 2027,Dr. Lee,lee@x.example,Asia/Tokyo,"
        "Kai Tanaka,kai@x.example,Asia/Tokyo,9999-12-31,monthly,Monday,10:00,\n"
    ).encode()
    await confirmed(live, with_csv(far, PAT))
    answer = " ".join(text_of(live.received(PAT, "coordinator_reply")[-1]).split())
    assert "nothing was imported" in answer
    assert "line 2, start_date: '9999-12-31' is more than two years ahead" in answer
    assert await Pairing.all().count() == before


async def test_a_calendar_proposing_the_last_day_there_is_changes_nothing(app: AppContext) -> None:
    await activated(app)
    await plan_meetings(app)
    meeting = await Meeting.get(number=1)
    invite = (await sent_to(app, ZOE, "invitation"))[0]
    start = meeting.starts_at + timedelta(days=1)
    # Set aside with its reason, as a proposal of a time that has passed is; never failed.
    for client, zone in (
        # New York's wall clock on the last evening there is: past the calendar in UTC, so
        # the proposal has no time that can be read.
        ("outlook", "Eastern Standard Time"),
        # The last hour in UTC: past the calendar in Berlin, where the offer would be written.
        ("google", None),
    ):
        raw = calendar_answer(
            invite, sender=ZOE, partstat="TENTATIVE", client=client, proposed=(start, start)
        )
        deliver(app, last_day_proposed(raw, start, zone))
        assert await receive(app) == [InboundStatus.IGNORED], client
    assert await sent_to(app, SAM, "time_proposed") == []
    assert (await Meeting.get(id=meeting.id)).starts_at == meeting.starts_at


def last_day_proposed(raw: bytes, start: datetime, zone: str | None) -> bytes:
    """A calendar's proposal of `start` made one of 31 December 9999, 23:00 (in `zone`)."""
    message = message_from_bytes(raw, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() not in ("text/calendar", "application/ics"):
            continue
        ics = part.get_payload(decode=True)
        assert isinstance(ics, bytes)
        for local in (start.astimezone(ZoneInfo("Europe/Berlin")), start.astimezone(UTC)):
            ics = ics.replace(f"{local:%Y%m%dT%H%M%S}".encode(), b"99991231T230000")
        if zone is not None:
            ics = ics.replace(b"W. Europe Standard Time", zone.encode())
        assert b"99991231T230000" in ics
        part.set_payload(ics)  # type: ignore[no-untyped-call]
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "8bit"
    return message.as_bytes()


async def test_a_date_that_could_be_two_days_is_asked_about_and_the_answer_is_applied(
    live: Live,
) -> None:
    """Through SMTP, Dovecot, Redis and the database: Sam, in Berlin, writes on Monday 28
    December 2026 a deadline already gone this year and a slashed date Germany does not
    write; both are asked about and nothing is done. Sent back as offered, both are applied
    and said in full."""
    await agree_both(live)
    await live.run("poll_inbox")
    meeting = await Meeting.get(number=1)
    invitations = len(live.received(SAM, "invitation"))
    await live.send(
        reply_to(
            # The signed agreement: the first invitation may still wait for a quieter day.
            live.received(SAM, "agreement_signed")[0],
            sender=SAM,
            body="task: send my CV by Dec 20\nreschedule: 8/1 15:00",
        ),
        SAM,
    )
    await live.run("poll_inbox")
    asked = " ".join(text_of(live.received(SAM, "understood")[-1]).split())
    assert (
        "task: send my CV by Dec 20 (Sunday 20 December 2026 has passed; did you mean next "
        "year? Nothing was done. If so, write 'task: send my CV by Monday 20 December 2027' "
        "(Berlin time))"
    ) in asked
    assert (
        "reschedule: 8/1 15:00 (8/1 could be Friday 8 January 2027 or Sunday 1 August 2027. "
        "Nothing was done. Which did you mean? Write 'reschedule: Friday 8 January 2027 "
        "15:00' or 'reschedule: Sunday 1 August 2027 15:00' (Berlin time))"
    ) in asked
    assert await Task.all().count() == 0
    assert (await Meeting.get(id=meeting.id)).starts_at == meeting.starts_at
    assert len(live.received(SAM, "invitation")) == invitations

    # The answer's own example is a real day ahead on this calendar, its weekday right.
    example = re.search(r"reschedule: (\w{3}) (\w{3}) (\d{1,2}) 3pm", asked)
    assert example is not None
    day = next(
        d
        for d in (date(2026, 12, 29) + timedelta(days=n) for n in range(14))
        if f"{d:%b} {d.day}" == f"{example[2]} {example[3]}"
    )
    assert f"{day:%a}" == example[1]

    await live.send(
        reply_to(
            live.received(SAM, "understood")[-1],
            sender=SAM,
            body="task: send my CV by Monday 20 December 2027\n"
            "reschedule: Friday 8 January 2027 15:00",
        ),
        SAM,
    )
    await live.run("poll_inbox")
    done = " ".join(text_of(live.received(SAM, "understood")[-1]).split())
    assert "New task 1. send my CV (due Monday 20 December 2027, Berlin time), yours." in done
    assert (
        "Meeting 1 is moved to Friday 8 January 2027, 15:00–16:00 Berlin time; you both get "
        "an updated invitation."
    ) in done
    assert (await Task.get()).due_date == date(2027, 12, 20)
    moved = await Meeting.get(id=meeting.id)
    assert moved.starts_at == datetime(2027, 1, 8, 14, 0, tzinfo=UTC)
    # Zoë's first invitation was still waiting for a quieter day: the update replaced it.
    (updated,) = live.received(ZOE, "invitation")
    assert "Friday 8 January 2027" in plain(updated)


APART = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,weekday,time\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},Europe/Paris,"
    f"Ben Carter,{SAM},America/Los_Angeles,2026-12-01,Tuesday,15:00\n"
).encode()


async def test_an_agreement_time_is_read_where_its_writer_lives(app: AppContext) -> None:
    """A mentee in Los Angeles and a mentor in Paris: "Time: 4:30pm" is half past four in Los
    Angeles, said in both zones; a zone neither lives in is asked about."""
    await import_csv(app, APART)
    await send_due(app)
    request = (await sent_to(app, SAM, "agreement_request"))[0]
    form = plain(request).replace("\r\n", "\n")
    assert "\nWeekday: Tuesday\n" in form and "\nTime: 06:00 (Los Angeles time)\n" in form

    text = await answered(app, SAM, request, "Time: 4:30pm")
    assert (
        "Changed the meeting time: Tuesdays at 16:30 Los Angeles time "
        "(Wednesdays at 01:30 Paris time)"
    ) in text
    terms = (await Pairing.get()).terms
    assert (terms["weekday"], terms["time"]) == (2, "01:30")
    await send_due(app)
    to_zoe = plain((await sent_to(app, ZOE, "agreement_request"))[-1]).replace("\r\n", "\n")
    assert "\nWeekday: Wednesday\n" in to_zoe and "\nTime: 01:30 (Paris time)\n" in to_zoe

    text = await answered(app, SAM, request, "Time: 9am EST")
    assert "Time: '9am EST' was not changed: it names a zone that is not yours" in text
    assert (await Pairing.get()).terms == terms
