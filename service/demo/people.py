"""The demo's simulated people: who they are, how they behave, and the roster that pairs them."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

MENTORS = (
    ("Dr. Zoë O'Brien", "America/New_York"),
    ("Prof. Kwame Mensah", "Europe/London"),
    ("Dr. Ana Sofía Reyes", "America/Mexico_City"),
    ("Dr. Henrik Løvås", "Europe/Oslo"),
    ("Dr. Mei-Ling Chen", "Asia/Taipei"),
    ("Dr. Rahul Iyer", "Asia/Kolkata"),
    ("Prof. Claire Dubois", "Europe/Paris"),
    ("Dr. James Whitfield", "Australia/Sydney"),
)
MENTEES = (
    ("Sam Okafor", "America/Chicago"),
    ("Léa Martin", "Europe/Berlin"),
    ("Tomás García", "America/Los_Angeles"),
    ("Aiko Tanaka", "Asia/Tokyo"),
    ("Priya Nair", "Asia/Kolkata"),
    ("Jonas Weber", "Europe/Berlin"),
    ("Fatima Al-Sayed", "Asia/Dubai"),
    ("Grace Kim", "America/New_York"),
)
FREQUENCIES = ("monthly", "every 2 weeks", "monthly", "every 3 weeks", "weekly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
STYLES = ("gmail", "outlook", "apple")
COORDINATOR = "coordinator@society.example"


@dataclass
class Person:
    name: str
    email: str
    timezone: str
    role: str
    style: str
    persona: str  # "prompt", "changes_terms", "slow", "silent" (agrees, then never answers)


def _slug(name: str) -> str:
    # "Léa" -> "lea": strip the accents rather than the letters.
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_name = decomposed.encode("ascii", "ignore").decode().lower()
    words = [
        w for w in ascii_name.replace("'", "").replace(".", " ").split() if w not in ("dr", "prof")
    ]
    return ".".join(words) or "someone"


def make_people(pairs: int, rng: random.Random) -> list[tuple[Person, Person]]:
    result = []
    for index in range(pairs):
        mentor_name, mentor_tz = MENTORS[index % len(MENTORS)]
        mentee_name, mentee_tz = MENTEES[(index * 3 + 1) % len(MENTEES)]
        suffix = "" if index < len(MENTORS) else str(index // len(MENTORS) + 1)
        mentor = Person(
            mentor_name,
            f"{_slug(mentor_name)}{suffix}@hospital.example",
            mentor_tz,
            "mentor",
            STYLES[index % 3],
            "changes_terms" if index % 4 == 1 else ("slow" if index % 5 == 3 else "prompt"),
        )
        mentee = Person(
            mentee_name,
            f"{_slug(mentee_name)}{suffix}@university.example",
            mentee_tz,
            "mentee",
            STYLES[(index + 1) % 3],
            "slow" if index % 6 == 4 else ("silent" if index % 6 == 2 else "prompt"),
        )
        result.append((mentor, mentee))
    return result


def _meeting_hour(mentor: Person, mentee: Person, on: date, preferred: int) -> int:
    """An hour in the mentor's zone that falls in both people's working day where possible
    (a coordinator would not pair a Kolkata afternoon with a Chicago night)."""

    def outside(hour: int, earliest: int, latest: int) -> float:
        start = datetime.combine(on, time(hour), tzinfo=ZoneInfo(mentor.timezone))
        total = 0.0
        for zone in (mentor.timezone, mentee.timezone):
            local = start.astimezone(ZoneInfo(zone))
            at = local.hour + local.minute / 60
            total += max(0, earliest - at, at - latest)
        return total

    # Awake for both first (07-21), then office hours (09-17), then the roster's own choice.
    return min(
        range(7, 22),
        key=lambda hour: (outside(hour, 7, 21), outside(hour, 9, 17), abs(hour - preferred)),
    )


def roster_csv(couples: list[tuple[Person, Person]], start: date, program: str) -> bytes:
    lines = [
        "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
        "mentee_timezone,start_date,frequency,weekday,time,coordinator_email"
    ]
    for index, (mentor, mentee) in enumerate(couples):
        cells = [
            program,
            mentor.name,
            mentor.email,
            mentor.timezone,
            mentee.name,
            mentee.email,
            mentee.timezone,
            start.isoformat(),
            FREQUENCIES[index % len(FREQUENCIES)],
            WEEKDAYS[index % len(WEEKDAYS)],
            f"{_meeting_hour(mentor, mentee, start, 9 + index % 8)}:00",
            COORDINATOR,
        ]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode()
