"""Holidays through real servers (SMTP into Dovecot, the worker on Redis reading over IMAP):
a weekly pair whose Friday falls on New Year's Day is invited for the Thursday before, both
told why; `mentormail holidays` sets a program's days off and lists them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from service.agreement.enrolment import import_roster
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import Meeting, Program
from tests.integration.conftest import Live
from tests.integration.test_cli import mentormail
from tests.integration.test_replies_end_to_end import invitations_come
from tests.interop import calendar_payload, check_calendar_email, check_with_icaljs
from tests.mail import parse, reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,Sam Okafor,{SAM},"
    "Europe/Berlin,2026-12-28,weekly,Friday,10:00\n"
).encode()


def calendar_text(raw: bytes) -> str:
    return calendar_payload(raw).decode().replace("\r\n ", "")


def plain(raw: bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


async def test_a_meeting_on_new_years_day_moves_to_the_day_before_and_both_are_told(
    live: Live,
) -> None:
    result = await import_roster(
        read_roster(CSV, live.clock.now().date()),
        OutboxWriter(live.app.settings, live.app.secret),
        live.clock.now(),
    )
    assert result.new_programs == {"Hematology 2027": "public holidays of US"}
    await live.run("send_outbox")
    for address in (SAM, ZOE):
        request = live.received(address, "agreement_request")[0]
        await live.send(reply_to(request, sender=address, body="I agree"), address)
    await live.run("poll_inbox", "send_outbox")
    await invitations_come(live)

    first = await Meeting.get(number=1)
    # Friday 1 January 2027 is New Year's Day: Thursday 31 December, 10:00 in New York.
    assert first.starts_at == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    for address in (SAM, ZOE):
        [invitation] = live.received(address, "invitation")
        check_calendar_email(invitation, address)
        [read] = check_with_icaljs([calendar_payload(invitation)])
        assert read["start"] == "2026-12-31T15:00:00.000Z"
        assert (
            "Friday 1 January 2027 is a day off (New Year's Day), so this meeting is on "
            "Thursday 31 December 2026 instead." in plain(invitation)
        )
    # The program closes for a retreat on the next Friday: the meeting the planning tick
    # issues for it (not the activation's) moves to the Thursday, and says why.
    program = await Program.get()
    program.own_holidays = {"2027-01-08": "Faculty retreat"}
    await program.save()
    await live.run("tick", "send_outbox")
    second = await Meeting.get(number=2)
    assert second.starts_at == datetime(2027, 1, 7, 15, 0, tzinfo=UTC)
    live.clock.set(second.starts_at - timedelta(days=6))
    await live.run("send_outbox")
    [invitation] = [
        raw for raw in live.received(ZOE, "invitation") if second.uid in calendar_text(raw)
    ]
    assert (
        "Friday 8 January 2027 is a day off (Faculty retreat), so this meeting is on "
        "Thursday 7 January 2027 instead." in plain(invitation)
    )


async def test_a_coordinator_sets_the_days_off_and_sees_the_year_ahead(
    database_url: str, tmp_path: Path
) -> None:
    await db.init(database_url)
    try:
        await Program.create(
            name="Hematology 2027", holiday_country="US", created_at=datetime.now(UTC)
        )
    finally:
        await db.close()
    changed = mentormail(
        tmp_path,
        "holidays",
        "Hematology 2027",
        "--country",
        "de-by",
        "--add",
        "2027-03-10=Faculty retreat",
        database_url=database_url,
    )
    assert changed.returncode == 0, changed.stderr
    assert "meetings avoid public holidays of DE-BY, and 1 date of the program's own" in (
        changed.stdout
    )
    assert "Wednesday 10 March 2027: Faculty retreat" in changed.stdout
    assert "Heilige Drei Könige" in changed.stdout or "Epiphany" in changed.stdout
    await db.init(database_url)
    try:
        program = await Program.get(name="Hematology 2027")
    finally:
        await db.close()
    assert (program.holiday_country, program.holiday_region) == ("DE", "BY")
    assert program.own_holidays == {"2027-03-10": "Faculty retreat"}

    wrong = mentormail(
        tmp_path, "holidays", "Hematology 2027", "--country", "XX", database_url=database_url
    )
    assert wrong.returncode == 1 and "'XX' is not a country code" in wrong.stderr
    nowhere = mentormail(tmp_path, "holidays", "Oncology", database_url=database_url)
    assert nowhere.returncode == 1
    assert "there is no program 'Oncology'; programs: Hematology 2027" in nowhere.stderr
