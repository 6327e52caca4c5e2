"""The demo's simulated people: who they are, how they behave, and the roster that pairs them."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# Each place's people: given names and family names, combined so that no two people of a
# demo share a name (8 places × 4 × 4: 128 of each role before any repeats).
MENTOR_PLACES = (
    (
        "America/New_York",
        ("Zoë", "Daniel", "Rachel", "Marcus"),
        ("O'Brien", "Levine", "Brooks", "Hale"),
    ),
    (
        "Europe/London",
        ("Kwame", "Fiona", "Oliver", "Hannah"),
        ("Mensah", "Clarke", "Patel", "Hughes"),
    ),
    (
        "America/Mexico_City",
        ("Ana Sofía", "Diego", "Lucía", "Mateo"),
        ("Reyes", "Ortega", "Vargas", "Soto"),
    ),
    ("Europe/Oslo", ("Henrik", "Ingrid", "Sigrid", "Erik"), ("Løvås", "Berg", "Dahl", "Haugen")),
    ("Asia/Taipei", ("Mei-Ling", "Wei", "Yu-Ting", "Jun"), ("Chen", "Lin", "Huang", "Tsai")),
    ("Asia/Kolkata", ("Rahul", "Ananya", "Vikram", "Meera"), ("Iyer", "Menon", "Rao", "Bose")),
    (
        "Europe/Paris",
        ("Claire", "Hugo", "Élise", "Louis"),
        ("Dubois", "Lefèvre", "Moreau", "Girard"),
    ),
    (
        "Australia/Sydney",
        ("James", "Chloe", "Liam", "Ruby"),
        ("Whitfield", "Nguyen", "Walsh", "Cooper"),
    ),
)
MENTEE_PLACES = (
    ("America/Chicago", ("Sam", "Maya", "Jordan", "Ellie"), ("Okafor", "Schmidt", "Reed", "Novak")),
    ("Europe/Berlin", ("Léa", "Jonas", "Mia", "Felix"), ("Martin", "Weber", "Krüger", "Voß")),
    (
        "America/Los_Angeles",
        ("Tomás", "Nina", "Ethan", "Sofia"),
        ("García", "Park", "Flores", "Ito"),
    ),
    ("Asia/Tokyo", ("Aiko", "Haruto", "Yui", "Ren"), ("Tanaka", "Sato", "Suzuki", "Mori")),
    ("Asia/Kolkata", ("Priya", "Arjun", "Kavya", "Rohan"), ("Nair", "Das", "Kulkarni", "Pillai")),
    (
        "Asia/Dubai",
        ("Fatima", "Omar", "Layla", "Yusuf"),
        ("Al-Sayed", "Haddad", "Mansour", "Khalil"),
    ),
    (
        "America/New_York",
        ("Grace", "Noah", "Ava", "Caleb"),
        ("Kim", "Rivera", "Shapiro", "Brennan"),
    ),
    (
        "Africa/Lagos",
        ("Chiamaka", "Tunde", "Ifeoma", "Emeka"),
        ("Adeyemi", "Okonkwo", "Balogun", "Eze"),
    ),
)
MENTOR_TITLES = ("Dr.", "Prof.", "Dr.", "Dr.")


def _person_of(
    places: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], index: int
) -> tuple[str, str]:
    """The `index`th person of these places: a name of its own, and where they live."""
    zone, givens, families = places[index % len(places)]
    rest = index // len(places)
    given = givens[rest % len(givens)]
    family = families[(rest // len(givens) + rest) % len(families)]
    return f"{given} {family}", zone


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


# Letters that have no accent to strip, spelt as their owners spell them in ASCII.
_SPELT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "ł": "l", "đ": "d"})


def _slug(name: str) -> str:
    # "Léa" -> "lea", "Løvås" -> "lovas": strip the accents rather than the letters.
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPELT))
    ascii_name = decomposed.encode("ascii", "ignore").decode().lower()
    words = [
        w for w in ascii_name.replace("'", "").replace(".", " ").split() if w not in ("dr", "prof")
    ]
    return ".".join(words) or "someone"


def make_people(pairs: int, rng: random.Random) -> list[tuple[Person, Person]]:
    result = []
    unique = len(MENTOR_PLACES) * 4 * 4
    for index in range(pairs):
        mentor_name, mentor_tz = _person_of(MENTOR_PLACES, index)
        mentor_name = f"{MENTOR_TITLES[index % len(MENTOR_TITLES)]} {mentor_name}"
        mentee_name, mentee_tz = _person_of(MENTEE_PLACES, index * 3 + 1)
        suffix = "" if index < unique else str(index // unique + 1)
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
