"""The coordinator's CSV: every row checked, errors name line and field, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from service.program.roster import Roster, read_roster

TODAY = date(2026, 11, 23)
HEADER = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date"
)
GOOD = (
    "Hematology 2027,Dr. Zoë O'Brien,zoe@hospital.example,America/New_York,"
    "Sam Okafor,Sam.Okafor@University.example,America/Chicago,2026-12-01"
)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def read(data: bytes) -> Roster:
    return read_roster(data, TODAY)


def test_a_start_date_past_two_years_ahead_is_refused_and_one_long_past_is_kept() -> None:
    far = read(csv_of(GOOD.replace("2026-12-01", "9999-12-31")))
    assert [(e.field, e.message) for e in far.errors] == [
        ("start_date", "'9999-12-31' is more than two years ahead")
    ]
    assert read(csv_of(GOOD.replace("2026-12-01", "0001-01-01"))).rows[0].start_date.year == 1


def test_characters_nobody_sees_are_taken_out_of_cells() -> None:
    roster = read(csv_of(GOOD.replace("Sam Okafor", "Sam \u202eOkafor\u200b\u00a0Jr")))
    assert roster.rows[0].mentee.name == "Sam Okafor Jr"


def test_a_good_row_is_read_with_normalised_addresses() -> None:
    roster = read(csv_of(GOOD))
    assert roster.errors == []
    (row,) = roster.rows
    assert row.mentor.name == "Dr. Zoë O'Brien"
    assert row.mentee.email == "sam.okafor@university.example"
    assert row.start_date == date(2026, 12, 1)
    assert row.frequency is None


def test_optional_columns_are_validated_and_used() -> None:
    header = HEADER + ",frequency,meeting_minutes,weekday,time,location,mentee_greeting"
    roster = read(
        csv_of(GOOD + ",every 2 weeks,45,Thursday,3pm,Room  4.12,Dr. Okafor", header=header)
    )
    assert roster.errors == []
    row = roster.rows[0]
    assert row.frequency is not None and row.frequency.label == "every 2 weeks"
    assert (row.meeting_minutes, row.weekday, str(row.time_of_day)) == (45, 3, "15:00:00")
    assert row.location == "Room 4.12"
    assert (row.mentee.greeting, row.mentor.greeting) == ("Dr. Okafor", None)
    far = read(csv_of(GOOD + "," * 5 + "x" * 301 + ",", header=header))
    assert [(e.line, e.field) for e in far.errors] == [(2, "location")]


@pytest.mark.parametrize(
    ("replace", "by", "field", "words"),
    [
        ("zoe@hospital.example", "zoe@", "mentor_email", "not an email address"),
        ("America/Chicago", "Mars/Olympus", "mentee_timezone", "not a known time zone"),
        ("2026-12-01", "01/12/2026", "start_date", "YYYY-MM-DD"),
        ("Sam Okafor", "", "mentee_name", "is empty"),
    ],
)
def test_a_bad_cell_names_line_and_field(replace: str, by: str, field: str, words: str) -> None:
    roster = read(csv_of(GOOD.replace("Hematology", "Other"), GOOD.replace(replace, by)))
    assert roster.rows == []
    (error,) = roster.errors
    assert (error.line, error.field) == (3, field)
    assert words in error.message
    assert str(error).startswith(f"line 3, {field}:")


def test_a_missing_column_is_reported_on_the_header_line() -> None:
    header = HEADER.replace(",mentee_timezone", "")
    row = GOOD.replace(",America/Chicago", "")
    roster = read(csv_of(row, header=header))
    assert [(e.line, e.field) for e in roster.errors] == [(1, "mentee_timezone")]


def test_a_duplicate_pair_names_both_lines_even_with_other_case() -> None:
    roster = read(csv_of(GOOD, GOOD.replace("zoe@", "ZOE@")))
    (error,) = roster.errors
    assert error.line == 3 and "line 2" in error.message
    assert roster.rows == []


def test_one_bad_row_means_nothing_is_imported() -> None:
    other = GOOD.replace("Sam Okafor", "Léa Martin").replace("Sam.Okafor", "lea")
    roster = read(csv_of(GOOD, other.replace("2026-12-01", "soon")))
    assert roster.rows == [] and len(roster.errors) == 1


def test_mentor_and_mentee_cannot_be_the_same_person() -> None:
    roster = read(csv_of(GOOD.replace("Sam.Okafor@University.example", "zoe@hospital.example")))
    assert [e.field for e in roster.errors] == ["mentee_email"]


def test_text_that_is_not_utf8_is_refused_with_advice() -> None:
    roster = read(csv_of(GOOD).replace("ë".encode(), b"\xeb"))
    (error,) = roster.errors
    assert error.field == "file" and "UTF-8" in error.message


def test_semicolon_separated_files_and_a_byte_order_mark_are_read() -> None:
    data = "\ufeff" + HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";") + "\n"
    roster = read(data.encode())
    assert roster.errors == [] and len(roster.rows) == 1


def test_blank_lines_are_skipped_and_an_empty_file_is_an_error() -> None:
    assert len(read(csv_of(GOOD, "", ",,,,,,,")).rows) == 1
    assert [e.field for e in read(csv_of()).errors] == ["file"]


def test_a_line_break_inside_a_quoted_cell_does_not_shift_later_line_numbers() -> None:
    broken = GOOD.replace("Dr. Zoë O'Brien", '"Dr. Zoë\r\nBcc: victim@example.org"')
    roster = read(csv_of(broken, GOOD.replace("Sam Okafor", "")))
    # The spreadsheet shows the broken name in row 2 and the empty name in row 3.
    assert [(e.line, e.field) for e in roster.errors] == [(3, "mentee_name")]
    assert "Bcc" in read(csv_of(broken)).rows[0].mentor.name  # one line, kept as text
    assert "\n" not in read(csv_of(broken)).rows[0].mentor.name
