"""The digest's numbers say what happened: meetings held against those planned for the week
(held never more than planned), and a meeting declined is not held."""

from __future__ import annotations

from datetime import timedelta

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.coordinators.digest import program_digest
from service.coordinators.digest_rules import Period
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import Meeting, MeetingAnswer, Pairing, PairingState, Program

CSV = "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email," + (
    "mentee_timezone,start_date,frequency\n"
)


async def test_a_week_of_first_meetings_is_held_against_what_was_planned(
    app: AppContext,
) -> None:
    now = app.clock.now()
    rows = "".join(
        f"Hematology 2027,Mentor {n},mentor{n}@hospital.example,America/New_York,"
        f"Mentee {n},mentee{n}@university.example,America/New_York,2026-11-02,monthly\n"
        for n in range(4)
    )
    await import_roster(
        read_roster((CSV + rows).encode(), now.date()), OutboxWriter(app.settings, app.secret), now
    )
    # Four monthly pairs, all signed a month ago, all meeting this week: one declined.
    for number, pairing in enumerate(await Pairing.all().order_by("id").prefetch_related("mentee")):
        pairing.state, pairing.signed_at = PairingState.ACTIVE, now - timedelta(days=30)
        await pairing.save()
        start = now - timedelta(days=2, hours=number)
        meeting = await Meeting.create(
            pairing=pairing,
            number=1,
            uid=f"m{number}@mentormail.example",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            tzid="America/New_York",
            created_at=now - timedelta(days=30),
        )
        if number == 0:
            await MeetingAnswer.create(
                meeting=meeting,
                person=pairing.mentee,
                partstat="DECLINED",
                answered_at=now - timedelta(days=3),
                received_at=now - timedelta(days=3),
            )
    program = await Program.get()
    digest = await program_digest(program, Period("w", now - timedelta(days=7), now), now)
    numbers = digest.context["numbers"]
    # A cadence's estimate said a monthly pair meets a quarter of a time a week: "3 of 1".
    assert (numbers["held"], numbers["planned"]) == (3, 4)
    table = {row["number"]: row for row in digest.context["table"]}
    declined = await Pairing.all().order_by("id").first()
    assert declined is not None and table[declined.id]["last_held"] == "-"
