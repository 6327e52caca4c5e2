"""A pairing from CSV to its first invitation, through the real jobs, on SQLite and PostgreSQL.

Mail goes through the embedded folder transports here; test_end_to_end.py does the same through
real SMTP and IMAP servers.
"""

from __future__ import annotations

import asyncio
import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.inbox.processing import process_inbound
from service.inbox.store import store_fetched
from service.outbox.deliverability import NOT_SENT
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter, wire_bytes
from service.program.roster import read_roster
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    Meeting,
    OutboundMessage,
    Pairing,
    PairingState,
    Person,
)
from tests.mail import delivery_report, parse, reply_to

CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,weekday,time\n"
    "Hematology 2027,Dr. Zoë O'Brien,zoe@hospital.example,America/New_York,"
    "Sam Okafor,sam@university.example,Europe/Berlin,2026-12-01,Thursday,10:00\n"
).encode()


async def import_csv(app: AppContext, data: bytes = CSV) -> list[int]:
    roster = read_roster(data, app.clock.now().date())
    assert roster.errors == []
    result = await import_roster(roster, OutboxWriter(app.settings, app.secret), app.clock.now())
    return result.created


async def sent_to(app: AppContext, address: str, kind: str) -> list[bytes]:
    rows = await OutboundMessage.filter(kind=kind).order_by("id")
    return [wire_bytes(r, app.secret) for r in rows if address in r.recipients]


def deliver(app: AppContext, raw: bytes) -> None:
    inbox = Path(app.settings.data_dir).parent / "inbox"
    mailbox.Maildir(inbox, create=True).add(raw)


async def receive(app: AppContext) -> list[InboundStatus | None]:
    ids = await store_fetched(app)
    return [await process_inbound(app, i) for i in ids]


async def test_import_queues_one_agreement_request_each_and_reimport_changes_nothing(
    app: AppContext,
) -> None:
    created = await import_csv(app)
    assert len(created) == 1
    assert await OutboundMessage.filter(kind="agreement_request").count() == 2
    assert await import_csv(app) == []
    assert await OutboundMessage.all().count() == 2
    pairing = await Pairing.get(id=created[0])
    assert pairing.state == PairingState.AGREEING


async def test_both_agree_then_signed_agreement_and_invitations_go_out(app: AppContext) -> None:
    await import_csv(app)
    assert await send_due(app) == 2
    mentor_request = (await sent_to(app, "zoe@hospital.example", "agreement_request"))[0]
    mentee_request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    message = parse(mentee_request)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Mentormail-Kind"] == "agreement_request"
    assert "+" in str(message["Reply-To"])

    deliver(
        app,
        reply_to(
            mentee_request,
            sender="sam@university.example",
            body="Goal 1: Submit an abstract to the annual meeting\nI agree",
        ),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    pairing = await Pairing.get()
    assert pairing.state == PairingState.AGREEING
    assert pairing.terms["goals"] == ["Submit an abstract to the annual meeting"]
    # The mentee changed a goal: the mentor is asked to agree to the new version, told what
    # changed and by whom rather than welcomed again.
    forms = await sent_to(app, "zoe@hospital.example", "agreement_request")
    assert len(forms) == 2
    changed = plain(forms[-1])
    assert "Sam Okafor changed the agreement:" in changed
    assert "  - Goal 1: (empty) → Submit an abstract to the annual meeting" in changed
    assert "Sam Okafor has agreed to the agreement as it now stands" in changed
    assert "Thank you for mentoring" not in changed

    app.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    deliver(app, reply_to(mentor_request, sender="zoe@hospital.example", body="I agree"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    pairing = await Pairing.get()
    assert pairing.state == PairingState.AGREEING, "the mentor agreed to the old version only"

    newest = (await sent_to(app, "zoe@hospital.example", "agreement_request"))[-1]
    deliver(app, reply_to(newest, sender="zoe@hospital.example", body="I agree"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    pairing = await Pairing.get()
    assert pairing.state == PairingState.ACTIVE and pairing.signed_at is not None

    meeting = await Meeting.get(pairing_id=pairing.id)
    assert meeting.number == 1 and meeting.sequence == 0
    for address in ("zoe@hospital.example", "sam@university.example"):
        assert len(await sent_to(app, address, "agreement_signed")) == 1
        (invite,) = await sent_to(app, address, "invitation")
        message = parse(invite)
        assert message["To"].addresses[0].addr_spec == address
        ics = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        text = ics.get_content()
        assert f"UID:{meeting.uid}" in text
        assert (
            "mailto:mentorship+" in text.split("ORGANIZER")[1].splitlines()[0]
            or "mentorship+" in text.replace("\r\n ", "").split("ORGANIZER")[1].splitlines()[0]
        )

    # "I agree" again on the old form: nothing changes, and the answer offers what may be
    # written now, not the form's lines it just said were over.
    deliver(app, reply_to(newest, sender="zoe@hospital.example", body="I agree"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    answer = plain((await sent_to(app, "zoe@hospital.example", "understood"))[-1])
    assert "already signed by both of you; nothing was changed" in answer
    assert "I agree" not in answer.split("HOW TO ANSWER")[1]
    assert "Frequency: every 2 weeks" not in answer and "reschedule:" in answer


async def test_a_reply_is_applied_once_even_when_fetched_again(app: AppContext) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    raw = reply_to(request, sender="sam@university.example", body="I agree")
    deliver(app, raw)
    deliver(app, raw)  # the same message twice, as after a crash before the acknowledgement
    statuses = await receive(app)
    assert statuses == [InboundStatus.PROCESSED]
    assert await InboundMessage.all().count() == 1
    assert await process_inbound(app, (await InboundMessage.get()).id) is None
    assert await OutboundMessage.filter(kind="understood").count() == 1


async def test_two_workers_taking_the_same_reply_at_once_apply_it_once(app: AppContext) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    deliver(app, reply_to(request, sender="sam@university.example", body="I agree"))
    [inbound_id] = await store_fetched(app)
    # Two transactions at once (on PostgreSQL, two connections): one holds the row, the
    # other waits for it and then finds it handled.
    statuses = await asyncio.gather(
        process_inbound(app, inbound_id), process_inbound(app, inbound_id)
    )
    assert sorted(statuses, key=str) == [None, InboundStatus.PROCESSED]
    assert await OutboundMessage.filter(kind="understood").count() == 1
    pairing = await Pairing.get()
    assert pairing.mentee_agreed_at is not None


async def test_a_stranger_with_a_valid_token_changes_nothing_and_hears_once_a_day(
    app: AppContext,
) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    for _ in range(3):
        deliver(app, reply_to(request, sender="mallory@elsewhere.example", body="I agree"))
    assert await receive(app) == [InboundStatus.REFUSED] * 3
    pairing = await Pairing.get()
    assert pairing.mentee_agreed_at is None
    refusals = await sent_to(app, "mallory@elsewhere.example", "refusal")
    assert len(refusals) == 1
    assert "I agree" not in parse(refusals[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_reply_without_token_is_routed_by_its_thread(app: AppContext) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    deliver(
        app, reply_to(request, sender="sam@university.example", body="I agree", use_token=False)
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Pairing.get()).mentee_agreed_at is not None


async def test_broken_mail_and_auto_replies_are_kept_and_never_answered(app: AppContext) -> None:
    await import_csv(app)
    deliver(app, b"\x00\xff\xfe garbage with no headers at all\r\n\r\n\x00")
    deliver(
        app,
        (
            b"From: Sam Okafor <sam@university.example>\r\nTo: mentorship@mentormail.example\r\n"
            b"Subject: Out of Office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo@x>\r\n\r\n"
            b"I am away until Monday.\r\n"
        ),
    )
    statuses = await receive(app)
    assert sorted(s.value for s in statuses if s) == ["failed", "ignored"]
    rows = await InboundMessage.all()
    assert all(len(bytes(r.raw_bytes)) > 0 and r.reason for r in rows)
    assert await OutboundMessage.filter(kind__in=["understood", "refusal"]).count() == 0


async def test_an_unparseable_reply_gets_help(app: AppContext) -> None:
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    deliver(
        app,
        reply_to(
            request, sender="sam@university.example", body="Frequency: whenever we feel like it"
        ),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    (answer,) = await sent_to(app, "sam@university.example", "understood")
    text = parse(answer).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "whenever we feel like it" in text
    assert "I agree" in text


async def activated(app: AppContext) -> Pairing:
    await import_csv(app)
    await send_due(app)
    for address in ("sam@university.example", "zoe@hospital.example"):
        request = (await sent_to(app, address, "agreement_request"))[0]
        deliver(app, reply_to(request, sender=address, body="I agree"))
    await receive(app)
    pairing = await Pairing.get()
    assert pairing.state == PairingState.ACTIVE
    return pairing


async def test_planning_keeps_two_meetings_ahead_and_never_repeats(app: AppContext) -> None:
    from service.meetings.planning import plan_meetings
    from tests.interop import check_calendar_email, check_sequence_rises

    pairing = await activated(app)
    assert await plan_meetings(app) == 1  # meeting 1 came with the signature; now meeting 2
    assert await plan_meetings(app) == 0, "a second tick issues nothing again"
    meetings = await Meeting.filter(pairing_id=pairing.id).order_by("number")
    # Ticks skip this pairing until its first meeting starts and there is room for another.
    assert (await Pairing.get(id=pairing.id)).plan_at == meetings[0].starts_at
    assert [m.number for m in meetings] == [1, 2]
    # Monthly on Thursdays at 10:00 in New York: the same weekday of the next month.
    local = [m.starts_at.astimezone(ZoneInfo("America/New_York")) for m in meetings]
    assert [(t.date().isoformat(), t.hour) for t in local] == [
        ("2026-12-03", 10),  # the first Thursday on or after the start date
        ("2027-01-07", 10),  # the first Thursday of the next month
    ]

    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(meetings[0].ends_at + timedelta(hours=1))
    assert await plan_meetings(app) == 1
    assert await Meeting.filter(pairing_id=pairing.id).count() == 3
    invites = [parse(raw) for raw in await sent_to(app, "sam@university.example", "invitation")]
    assert len(invites) == 3
    for invite in invites:
        check_calendar_email(invite, "sam@university.example")
    check_sequence_rises(invites)
    uids = {str(m.uid) for m in await Meeting.all()}
    assert len(uids) == 3


async def test_prompts_around_a_meeting_reach_the_right_people_once(app: AppContext) -> None:
    from service.meetings.planning import plan_meetings
    from service.meetings.prompts import plan_prompts

    pairing = await activated(app)
    await plan_meetings(app)
    meeting = await Meeting.get(pairing_id=pairing.id, number=1)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await send_due(app)

    clock.set(meeting.starts_at - timedelta(days=5) + timedelta(minutes=1))
    assert await plan_prompts(app) == 1
    assert await plan_prompts(app) == 0, "a second tick queues nothing again"
    (request,) = await sent_to_when_due(app, "sam@university.example", "agenda_request")
    text = parse(request).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Preparing" in text or "preparation" in text
    assert await sent_to(app, "zoe@hospital.example", "agenda_request") == []

    deliver(
        app,
        reply_to(
            request,
            sender="sam@university.example",
            body="Hi Zoë,\n\nFeedback on my abstract\nagenda: fellowship options",
        ),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    # The same topic again, twice in one reply: the agenda holds it once.
    again = "agenda: fellowship options\nagenda: fellowship  options"
    deliver(app, reply_to(request, sender="sam@university.example", body=again))
    assert await receive(app) == [InboundStatus.PROCESSED]

    clock.set(meeting.starts_at - timedelta(days=1) + timedelta(minutes=1))
    assert await plan_prompts(app) == 2
    for address in ("sam@university.example", "zoe@hospital.example"):
        (agenda,) = await sent_to_when_due(app, address, "agenda")
        body = parse(agenda).get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "1. Feedback on my abstract" in body and "2. fellowship options" in body
        assert "3." not in body
        assert "Hi Zoë" not in body

    clock.set(meeting.ends_at + timedelta(hours=2, minutes=1))
    assert await plan_prompts(app) == 1
    assert len(await sent_to(app, "sam@university.example", "after_meeting")) == 1
    # Meeting 1 of a monthly pair: the mentor's check-in comes after meeting 2.
    assert await sent_to(app, "zoe@hospital.example", "mentor_checkin") == []


async def sent_to_when_due(app: AppContext, address: str, kind: str) -> list[bytes]:
    """Messages of a kind for an address, sent once their waking-hours time has come."""
    clock = app.clock
    assert isinstance(clock, ManualClock)
    rows = await OutboundMessage.filter(kind=kind).order_by("id")
    mine = [r for r in rows if address in r.recipients]
    for row in mine:
        if row.not_before > clock.now():
            local = row.not_before.astimezone(ZoneInfo("UTC"))
            assert local >= clock.now()
    return [wire_bytes(r, app.secret) for r in mine]


async def test_action_items_from_a_reply_are_reminded_and_completed(app: AppContext) -> None:
    from service.action_items.reminders import plan_task_reminders
    from service.storage.models import Task, TaskState

    await activated(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 12, 3, 18, tzinfo=UTC))  # a Thursday, after the first meeting
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    deliver(
        app,
        reply_to(
            request,
            sender="sam@university.example",
            body=(
                "task: send CV to Dr. O'Brien by Dec 10\n"
                "task: book the lab tour for mentor by Dec 12\n"
                "task: read the review"
            ),
        ),
    )
    assert await receive(app) == [InboundStatus.PROCESSED]
    tasks = await Task.all().order_by("number")
    assert [(t.number, t.text, str(t.due_date)) for t in tasks] == [
        (1, "send CV to Dr. O'Brien", "2026-12-10"),
        (2, "book the lab tour", "2026-12-12"),
        (3, "read the review", "None"),
    ]
    pairing = await Pairing.get()
    assert [t.owner_id for t in tasks] == [pairing.mentee_id, pairing.mentor_id, pairing.mentee_id]

    clock.set(datetime(2026, 12, 9, 9, 30, tzinfo=UTC))  # 10:30 in Berlin, the day before
    assert await plan_task_reminders(app) == 1
    assert await plan_task_reminders(app) == 0
    (reminder,) = await sent_to(app, "sam@university.example", "task_reminder")
    deliver(app, reply_to(reminder, sender="sam@university.example", body="done 1"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Task.get(number=1)).state == TaskState.DONE

    # The mentor's task is late: one nudge a week, not one a tick.
    for day in range(10, 32):
        clock.set(datetime(2026, 12, day, 15, tzinfo=UTC))  # 10:00 in New York
        await plan_task_reminders(app)
    assert len(await sent_to(app, "zoe@hospital.example", "task_reminder")) == 1  # the 11th
    overdue = await OutboundMessage.filter(kind="task_overdue").order_by("id")
    assert [row.not_before.date().isoformat() for row in overdue] == [
        "2026-12-13",
        "2026-12-20",
        "2026-12-27",
    ]
    assert await sent_to(app, "sam@university.example", "task_overdue") == []


async def test_reevaluation_replans_and_updates_the_invitations(app: AppContext) -> None:
    from service.meetings.cadence import add_months
    from service.meetings.planning import plan_meetings
    from service.meetings.reevaluation import plan_reevaluations
    from tests.interop import check_calendar_email, check_sequence_rises

    pairing = await activated(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    assert pairing.signed_at is not None
    # Six months on, meetings have been issued along the way.
    for week in range(0, 25):
        clock.set(pairing.signed_at + timedelta(weeks=week))
        await plan_meetings(app)
    assert await plan_reevaluations(app) == 0
    clock.set(add_months(pairing.signed_at, 6) + timedelta(minutes=1))
    await plan_meetings(app)
    assert await plan_reevaluations(app) == 2
    assert await plan_reevaluations(app) == 0
    assert (await Pairing.get()).state == PairingState.REEVALUATING
    (question,) = await sent_to(app, "sam@university.example", "reevaluation")

    before = await Meeting.filter(cancelled=False, starts_at__gt=clock.now()).order_by("number")
    assert len(before) == 2
    deliver(app, reply_to(question, sender="sam@university.example", body="More often"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    pairing = await Pairing.get()
    assert pairing.state == PairingState.ACTIVE
    assert pairing.terms["frequency"] == {"unit": "weeks", "n": 2}
    kept, dropped = before
    assert not (await Meeting.get(id=kept.id)).cancelled
    dropped = await Meeting.get(id=dropped.id)
    assert dropped.cancelled and dropped.sequence == 1
    cancellations = await sent_to(app, "sam@university.example", "cancellation")
    assert len(cancellations) == 1
    check_calendar_email(cancellations[0], "sam@university.example")

    await plan_meetings(app)
    upcoming = await Meeting.filter(cancelled=False, starts_at__gt=clock.now()).order_by("number")
    assert upcoming[0].id == kept.id
    assert upcoming[1].starts_at - kept.starts_at == timedelta(weeks=2)
    mails = await sent_to(app, "sam@university.example", "invitation") + cancellations
    check_sequence_rises([parse(m) for m in sorted(mails, key=lambda m: parse(m)["Date"].datetime)])


async def test_the_projected_end_stops_the_cadence_and_hands_over_to_phasing_out(
    app: AppContext,
) -> None:
    from service.meetings.cadence import add_months
    from service.meetings.planning import plan_meetings
    from service.meetings.prompts import plan_prompts
    from service.phase_out.closing import close_due, ends_due

    pairing = await activated(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    assert pairing.signed_at is not None
    end = add_months(pairing.signed_at, 12)  # the default projected length
    day = 0
    while (await Pairing.get(id=pairing.id)).state != PairingState.CLOSING:
        assert day < 420, "the projected end never came"
        clock.set(pairing.signed_at + timedelta(days=day))
        # As the tick runs them: the projected end first, then the meetings up to it.
        await ends_due(OutboxWriter(app.settings, app.secret), clock.now())
        await plan_meetings(app)
        await plan_prompts(app)
        day += 2
    meetings = await Meeting.filter(pairing_id=pairing.id).order_by("number")
    *cadence, last = meetings
    assert [m.number for m in meetings] == list(range(1, len(meetings) + 1))
    assert all(m.starts_at < end for m in cadence), "the cadence stops at the projected end"
    assert end - cadence[-1].starts_at < timedelta(days=35), "monthly to the last month"
    # Phasing out sets up one last meeting and tells both why.
    assert last.starts_at > clock.now() and not last.cancelled
    pairing = await Pairing.get(id=pairing.id)
    assert pairing.closing_path == "projected_end"
    for address in ("sam@university.example", "zoe@hospital.example"):
        (closure,) = await sent_to(app, address, "closure")
        assert "The 12 months you agreed" in plain(closure)
        assert f"Your last meeting is meeting {last.number}" in plain(closure)
    # A few days after the last meeting the pairing closes; then all is quiet.
    clock.set(last.ends_at + timedelta(days=1))
    assert await close_due(OutboxWriter(app.settings, app.secret), clock.now()) == 0
    clock.set(last.ends_at + timedelta(days=3))
    assert await close_due(OutboxWriter(app.settings, app.secret), clock.now()) == 1
    assert (await Pairing.get(id=pairing.id)).state == PairingState.CLOSED
    assert len(await sent_to(app, "sam@university.example", "closure_archive")) == 1
    queued = await OutboundMessage.all().count()
    clock.set(end + timedelta(days=60))
    assert await plan_meetings(app) == 0
    assert await plan_prompts(app) == 0
    assert await close_due(OutboxWriter(app.settings, app.secret), clock.now()) == 0
    assert await OutboundMessage.all().count() == queued


def plain(raw: bytes) -> str:
    return str(parse(raw).get_body(("plain",)).get_content())  # type: ignore[union-attr]


async def test_reschedule_moves_a_meeting_and_updates_both_calendars(app: AppContext) -> None:
    from service.meetings.planning import plan_meetings
    from service.meetings.prompts import plan_prompts
    from tests.interop import check_calendar_email, check_sequence_rises

    pairing = await activated(app)
    await plan_meetings(app)
    second = await Meeting.get(pairing_id=pairing.id, number=2)  # Thursday 7 January 2027
    invite = (await sent_to(app, "sam@university.example", "invitation"))[-1]
    assert f"meeting{second.id}" in str(parse(invite)["Reply-To"])

    # Sam, in Berlin, moves the meeting his invitation is about to the Friday, 17:00 his time.
    answers = len(await sent_to(app, "sam@university.example", "understood"))
    deliver(app, reply_to(invite, sender="sam@university.example", body="reschedule: Jan 8 5pm"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    moved = await Meeting.get(id=second.id)
    assert moved.sequence == 1 and moved.uid == second.uid
    assert moved.starts_at == datetime(2027, 1, 8, 16, 0, tzinfo=UTC)
    assert moved.ends_at - moved.starts_at == second.ends_at - second.starts_at
    # The updated invitation answers the reply, which did nothing else: one email, not two.
    assert len(await sent_to(app, "sam@university.example", "understood")) == answers
    answer = (await sent_to(app, "sam@university.example", "invitation"))[-1]
    assert "Friday 8 January 2027, 17:00" in plain(answer)
    # Each reads who moved it from when, in their own zone: Sam that he did.
    said = {
        "sam@university.example": "You moved this meeting. It was Thursday 7 January 2027, 16:00",
        "zoe@hospital.example": "Sam Okafor moved this meeting. It was Thursday 7 January 2027, "
        "10:00",
    }
    for address, words in said.items():
        invitations = await sent_to(app, address, "invitation")
        update = invitations[-1]
        check_calendar_email(update, address)
        check_sequence_rises([parse(m) for m in invitations])
        assert words in plain(update)
    # Zoë reads it in New York time.
    assert "Friday 8 January 2027, 11:00" in plain(
        (await sent_to(app, "zoe@hospital.example", "invitation"))[-1]
    )

    # The prompts follow the meeting: the agenda request comes five days before the new time.
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2027, 1, 2, 17, 0, tzinfo=UTC))
    await plan_prompts(app)
    assert await OutboundMessage.filter(kind="agenda_request").count() == 0
    clock.set(datetime(2027, 1, 3, 17, 0, tzinfo=UTC))
    await plan_prompts(app)
    assert await OutboundMessage.filter(kind="agenda_request").count() == 1


async def test_a_late_or_impossible_reschedule_is_answered_clearly(app: AppContext) -> None:
    from service.meetings.planning import plan_meetings

    pairing = await activated(app)
    await plan_meetings(app)
    first = await Meeting.get(pairing_id=pairing.id, number=1)  # Thursday 3 December 2026
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(first.starts_at - timedelta(hours=20))  # inside the agreed 2 days' notice
    invite = (await sent_to(app, "zoe@hospital.example", "invitation"))[0]
    # A reschedule not understood does not use up the one a message applies; a second one
    # applied would, and is listed back.
    body = "reschedule: sometime soon\nreschedule: Dec 4\nreschedule: Dec 5"
    deliver(app, reply_to(invite, sender="zoe@hospital.example", body=body))
    assert await receive(app) == [InboundStatus.PROCESSED]
    moved = await Meeting.get(id=first.id)
    assert moved.starts_at == first.starts_at + timedelta(days=1), "a day alone keeps the time"
    answer = (await sent_to(app, "zoe@hospital.example", "understood"))[-1]
    text = " ".join(plain(answer).split())
    assert "less notice than the agreed 2 days, so please also tell Sam Okafor directly" in text
    assert "reschedule: sometime soon (give a day and a time" in text
    assert "reschedule: Dec 5 (not applied: one reschedule a message, and the first was)" in text

    deliver(app, reply_to(invite, sender="zoe@hospital.example", body="reschedule: Jan 20 10am"))
    await receive(app)
    assert (await Meeting.get(id=first.id)).starts_at == moved.starts_at
    answers = await sent_to(app, "zoe@hospital.example", "understood")
    assert "that is not before the following meeting" in " ".join(plain(answers[-1]).split())


async def test_bounces_stop_mail_to_an_address_until_its_owner_writes_again(
    app: AppContext,
) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await import_csv(app)
    await send_due(app)
    request = (await sent_to(app, "sam@university.example", "agreement_request"))[0]
    sam = "sam@university.example"
    for day in range(3):
        assert (await Person.get(email=sam)).mail_disabled_at is None
        # Two reports the same day count once.
        deliver(app, delivery_report(request, sam, day=f"day {day}"))
        deliver(app, delivery_report(request, sam, day=f"day {day} again"))
        assert await receive(app) == [InboundStatus.IGNORED, InboundStatus.IGNORED]
        clock.advance(timedelta(days=1))
    person = await Person.get(email=sam)
    assert person.mail_disabled_at is not None and person.bounce_score == 3.0
    bounces = await InboundMessage.filter(kind="bounce").count()
    assert bounces == 6
    # Nothing answers a bounce, and nothing more goes to Sam; Zoë's mail still goes.
    assert await OutboundMessage.filter(kind__in=["understood", "refusal"]).count() == 0
    zoe_request = (await sent_to(app, "zoe@hospital.example", "agreement_request"))[0]
    deliver(
        app, reply_to(zoe_request, sender="zoe@hospital.example", body="Frequency: every 2 weeks")
    )
    await receive(app)
    await send_due(app)
    to_sam = await OutboundMessage.filter(kind="agreement_request", status="failed")
    assert [row.recipients for row in to_sam] == [[sam]]
    assert to_sam[0].last_error == NOT_SENT
    assert await OutboundMessage.filter(kind="understood", status="sent").count() == 1
    # Sam writes again from the same address: mail to Sam resumes.
    latest = await OutboundMessage.filter(kind="agreement_request").order_by("-id").first()
    assert latest is not None
    deliver(app, reply_to(bytes(latest.raw_bytes), sender=sam, body="I agree"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Person.get(email=sam)).mail_disabled_at is None
    await send_due(app)
    assert await OutboundMessage.filter(kind="understood", status="sent").count() == 2


async def test_a_participant_pauses_and_resumes(app: AppContext) -> None:
    from service.meetings.planning import plan_meetings
    from service.storage.models import Meeting

    pairing = await activated(app)
    await plan_meetings(app)
    ahead = await Meeting.filter(pairing_id=pairing.id, cancelled=False).count()
    invitation = (await sent_to(app, "sam@university.example", "invitation"))[-1]
    deliver(app, reply_to(invitation, sender="sam@university.example", body="pause"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.PAUSED
    cancelled = await sent_to(app, "zoe@hospital.example", "cancellation")
    assert len(cancelled) == ahead
    assert "Sam Okafor paused your mentoring meetings" in plain(cancelled[0])
    # They are Zoë's only news of the pause: they go at once.
    rows = await OutboundMessage.filter(kind="cancellation")
    assert rows and all(row.not_before == app.clock.now() for row in rows)
    # No meeting is planned while paused; resume plans from the next agreed weekday.
    await plan_meetings(app)
    assert await Meeting.filter(pairing_id=pairing.id, cancelled=False).count() == 0
    understood = (await sent_to(app, "sam@university.example", "understood"))[-1]
    deliver(app, reply_to(understood, sender="sam@university.example", body="resume"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    assert (await Pairing.get(id=pairing.id)).state == PairingState.ACTIVE
    await plan_meetings(app)
    assert await Meeting.filter(pairing_id=pairing.id, cancelled=False).count() >= 1
    assert "is resumed" in plain((await sent_to(app, "sam@university.example", "understood"))[-1])


async def test_two_changes_in_a_day_reach_the_partner_in_one_form_saying_both(
    app: AppContext,
) -> None:
    await import_csv(app)
    await send_due(app)
    sam, zoe = "sam@university.example", "zoe@hospital.example"
    request = (await sent_to(app, sam, "agreement_request"))[0]
    deliver(app, reply_to(request, sender=sam, body="Goal 1: Submit an abstract"))
    await receive(app)
    app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    deliver(
        app,
        reply_to(request, sender=sam, body="Goal 1: Submit two abstracts\nMeeting length: 45"),
    )
    await receive(app)
    # Zoë's day already had the form: Sam's first change waited, and the second replaced it.
    waiting = await OutboundMessage.filter(kind="agreement_request", status="pending")
    (form,) = [row for row in waiting if row.recipients == [zoe]]
    text = plain(wire_bytes(form, app.secret))
    assert "  - Goal 1: (empty) → Submit two abstracts" in text
    assert "  - Meeting length: 60 minutes → 45 minutes" in text
    assert "Submit an abstract\n" not in text.replace("\r\n", "\n")
