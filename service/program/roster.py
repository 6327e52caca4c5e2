"""A coordinator's CSV of pairs: read and validate every row before anything is imported."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.mail.reading.invisible import without_invisible
from service.program.terms import (
    Frequency,
    parse_frequency,
    parse_location,
    parse_minutes,
    parse_time_of_day,
    parse_weekday,
)
from service.program.when import AHEAD

REQUIRED_COLUMNS = (
    "program",
    "mentor_name",
    "mentor_email",
    "mentor_timezone",
    "mentee_name",
    "mentee_email",
    "mentee_timezone",
    "start_date",
)
OPTIONAL_COLUMNS = (
    "frequency",
    "meeting_minutes",
    "weekday",
    "time",
    "location",
    "coordinator_email",
    "mentor_greeting",
    "mentee_greeting",
)
MAX_ROWS = 200_000
T = TypeVar("T")
MAX_FIELD = 300

# Deliberately plain: an address we can put in a header and an SMTP envelope as it is.
_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class RosterError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    timezone: str
    greeting: str | None = None  # "Dear <greeting>": the roster's, else their first name


@dataclass(frozen=True)
class RosterRow:
    line: int
    program: str
    mentor: Person
    mentee: Person
    start_date: date
    frequency: Frequency | None
    meeting_minutes: int | None
    weekday: int | None
    time_of_day: time | None
    coordinator_email: str | None
    location: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.program.casefold(), self.mentor.email, self.mentee.email)


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    errors: list[RosterError]


def normalise_email(value: str) -> str:
    address = value.strip()
    if not _EMAIL.match(address) or ".." in address or len(address) > 254:
        raise ValueError(f"{value.strip()!r} is not an email address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}".lower()


def check_timezone(value: str) -> str:
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known time zone; use a name such as Europe/Berlin"
        ) from None
    return name


def _clean(value: str | None) -> str:
    return " ".join(without_invisible(value or "").split())


def read_roster(data: bytes, today: date) -> Roster:
    """Validate a whole CSV. Errors name the line (as a spreadsheet counts them) and the field.

    `today` bounds the start dates: none more than two years ahead."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Roster([], [RosterError(line, "file", "is not UTF-8 text; save the CSV as UTF-8")])
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [(_clean(name)).lower().replace(" ", "_") for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        return Roster([], [RosterError(1, name, "column is missing") for name in missing])
    reader.fieldnames = header
    rows: list[RosterRow] = []
    errors: list[RosterError] = []
    seen: dict[tuple[str, str, str], int] = {}
    embedded = 0  # line breaks inside quoted fields so far: a spreadsheet shows none
    for record in reader:
        embedded += sum(v.count("\n") for v in record.values() if isinstance(v, str))
        line = reader.line_num - embedded
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RosterError(line, "file", f"has more than {MAX_ROWS} rows"))
            break
        if not any(_clean(v) for v in record.values() if isinstance(v, str)):
            continue
        row, row_errors = _read_row(line, record, today)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.key in seen:
            errors.append(
                RosterError(line, "mentee_email", f"this pair is already on line {seen[row.key]}")
            )
            continue
        seen[row.key] = line
        rows.append(row)
    if not rows and not errors:
        errors.append(RosterError(1, "file", "has no pairs"))
    return Roster(rows if not errors else [], errors)


def _read_row(
    line: int, record: dict[str | None, str | None], today: date
) -> tuple[RosterRow | None, list[RosterError]]:
    """One row with every cell's error kept; long because it reads each column in turn."""
    errors: list[RosterError] = []
    if record.get(None):
        errors.append(RosterError(line, "row", "has more cells than the header"))
    values = {key: _clean(value) for key, value in record.items() if isinstance(key, str)}

    def need(name: str) -> str:
        value = values.get(name, "")
        if not value:
            errors.append(RosterError(line, name, "is empty"))
        elif len(value) > MAX_FIELD:
            errors.append(RosterError(line, name, f"is longer than {MAX_FIELD} characters"))
            return ""
        return value

    def check(name: str, parse: Callable[[str], T]) -> T | None:
        value = values.get(name, "")
        if not value:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            errors.append(RosterError(line, name, str(exc)))
            return None

    program = need("program")
    people: dict[str, Person | None] = {}
    for role in ("mentor", "mentee"):
        name = need(f"{role}_name")
        email = check(f"{role}_email", normalise_email) if need(f"{role}_email") else None
        zone = check(f"{role}_timezone", check_timezone) if need(f"{role}_timezone") else None
        greeting = check(f"{role}_greeting", _greeting)
        people[role] = Person(name, email, zone, greeting) if name and email and zone else None
    start = check("start_date", lambda v: _start_date(v, today)) if need("start_date") else None
    frequency = check("frequency", parse_frequency)
    minutes = check("meeting_minutes", parse_minutes)
    weekday = check("weekday", parse_weekday)
    time_of_day = check("time", parse_time_of_day)
    location = check("location", parse_location)
    coordinator = check("coordinator_email", normalise_email)
    mentor, mentee = people["mentor"], people["mentee"]
    if mentor and mentee and mentor.email == mentee.email:
        errors.append(RosterError(line, "mentee_email", "is the same person as the mentor"))
    if errors or mentor is None or mentee is None or start is None:
        return None, errors
    return (
        RosterRow(
            line=line,
            program=program,
            mentor=mentor,
            mentee=mentee,
            start_date=start,
            frequency=frequency,
            meeting_minutes=minutes,
            weekday=weekday,
            time_of_day=time_of_day,
            coordinator_email=coordinator,
            location=location,
        ),
        errors,
    )


def _greeting(value: str) -> str:
    if len(value) > 100:
        raise ValueError("keep a greeting under 100 characters")
    return value


def _start_date(value: str, today: date) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-12-01") from None
    # A start long past is a program already running, and is imported again unchanged; one
    # far ahead is a typo, and past 9999 the first meeting's planning leaves the calendar.
    if day > today + AHEAD:
        raise ValueError(f"{value!r} is more than two years ahead")
    return day
