"""The mentor/mentee agreement: its terms, their defaults, and changes written in a reply."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

GROUND_RULES = (
    "We will give each other feedback and regularly talk openly about how the relationship "
    "is working and whether we are moving toward the goals above.",
    "We both commit to doing the tasks we agree on in our meetings, on time.",
    "When either of us feels it is time to end the relationship, we will talk about it and "
    "either agree together to end it or make a plan to get it back on track.",
)

# Labels of the reply form, in the order the agreement email shows them.
FORM_LABELS: dict[str, str] = {
    "goal1": "Goal 1",
    "goal2": "Goal 2",
    "goal3": "Goal 3",
    "meeting_minutes": "Meeting length",
    "frequency": "Frequency",
    "weekday": "Weekday",
    "time": "Time",
    "location": "Where",
    "reevaluate_months": "Re-evaluate after",
    "projected_months": "Projected length",
    "reschedule_notice": "Reschedule notice",
    "reschedule_channel": "Reschedule by",
}

CHANNELS = ("email", "phone", "text")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "eight": 8, "twelve": 12}


@dataclass(frozen=True)
class Frequency:
    """How often a pair meets: every `n` weeks or every `n` months."""

    unit: str  # "weeks" | "months"
    n: int

    @property
    def label(self) -> str:
        if self.unit == "weeks":
            return "weekly" if self.n == 1 else f"every {self.n} weeks"
        return {1: "monthly", 3: "quarterly"}.get(self.n, f"every {self.n} months")

    @property
    def approx_days(self) -> int:
        return self.n * 7 if self.unit == "weeks" else self.n * 30


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def parse_frequency(text: str) -> Frequency:
    """Read "weekly", "every 2 weeks", "biweekly", "monthly", "every 2 months", "quarterly"…"""
    value = " ".join(text.lower().replace("-", " ").split()).rstrip(".")
    fixed = {
        "weekly": Frequency("weeks", 1),
        "every week": Frequency("weeks", 1),
        "biweekly": Frequency("weeks", 2),
        "fortnightly": Frequency("weeks", 2),
        "every other week": Frequency("weeks", 2),
        "monthly": Frequency("months", 1),
        "every month": Frequency("months", 1),
        "bimonthly": Frequency("months", 2),
        "every other month": Frequency("months", 2),
        "quarterly": Frequency("months", 3),
        "every quarter": Frequency("months", 3),
    }
    if value in fixed:
        return fixed[value]
    words = "|".join(_NUMBER_WORDS)
    match = re.fullmatch(rf"every (\d+|{words}) (week|weeks|month|months)", value)
    if match:
        n = _count(match.group(1))
        unit = "weeks" if match.group(2).startswith("week") else "months"
        if 1 <= n <= (12 if unit == "weeks" else 6):
            return Frequency(unit, n)
    raise ValueError(
        "use weekly, every 2 weeks, monthly, every 2 months, quarterly or every N weeks"
    )


def parse_weekday(text: str) -> int:
    value = text.strip().lower().rstrip(".s")
    for index, name in enumerate(WEEKDAYS):
        if (len(value) >= 3 and name.startswith(value)) or value == name.rstrip("s"):
            return index
    raise ValueError("use a weekday such as Tuesday")


def parse_time_of_day(text: str) -> time:
    value = text.strip().lower().replace(".", "")
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", value)
    if not match:
        raise ValueError("use a time such as 15:00 or 3pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = match.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError("use a time such as 15:00 or 3pm")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("use a time such as 15:00 or 3pm")
    return time(hour, minute)


def parse_minutes(text: str) -> int:
    value = text.strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|m|min|mins|minutes)?", value)
    if not match:
        raise ValueError("use a length such as 60 minutes or 1 hour")
    amount = float(match.group(1))
    minutes = round(amount * 60) if (match.group(2) or "m").startswith("h") else round(amount)
    if not 15 <= minutes <= 240:
        raise ValueError("a meeting lasts between 15 minutes and 4 hours")
    return minutes


def parse_months(text: str, *, low: int, high: int) -> int:
    match = re.fullmatch(r"(\d+)\s*(months?)?", text.strip().lower())
    if not match or not low <= int(match.group(1)) <= high:
        raise ValueError(f"use a number of months from {low} to {high}")
    return int(match.group(1))


def parse_notice_hours(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(h|hours?|d|days?)", text.strip().lower())
    if not match:
        raise ValueError("use hours or days, such as 48 hours or 2 days")
    amount = int(match.group(1))
    hours = amount * 24 if match.group(2).startswith("d") else amount
    if not 1 <= hours <= 24 * 14:
        raise ValueError("a reschedule notice is between 1 hour and 14 days")
    return hours


def parse_channel(text: str) -> str:
    value = text.strip().lower()
    aliases = {"e-mail": "email", "mail": "email", "sms": "text", "text message": "text"}
    value = aliases.get(value, value)
    if value not in CHANNELS:
        raise ValueError("use email, phone or text")
    return value


MAX_LOCATION_LENGTH = 300
_WEB_LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


def parse_location(text: str) -> str:
    """Where a pair meets, in person or by video: a room, an address, a video link."""
    value = " ".join(text.split())
    if len(value) > MAX_LOCATION_LENGTH:
        raise ValueError(f"keep the place under {MAX_LOCATION_LENGTH} characters")
    return value


def web_link(location: str) -> str | None:
    """The video link in a place, if it holds one (the first), for calendars to open."""
    match = _WEB_LINK.search(location)
    return match.group(0).rstrip(".,;:)") if match else None


def notice_label(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


@dataclass(frozen=True)
class Terms:
    """What the two people agree on; stored as JSON on the pairing."""

    goals: tuple[str, ...] = ()
    meeting_minutes: int = 60
    frequency: Frequency = field(default_factory=lambda: Frequency("months", 1))
    weekday: int = 1
    time_of_day: time = time(15, 0)
    reevaluate_months: int = 6
    projected_months: int = 12
    reschedule_notice_hours: int = 48
    reschedule_channel: str = "email"
    # In person (a room, an address) or virtual (a video link); empty until they say.
    location: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "goals": list(self.goals),
            "meeting_minutes": self.meeting_minutes,
            "frequency": {"unit": self.frequency.unit, "n": self.frequency.n},
            "weekday": self.weekday,
            "time": self.time_of_day.strftime("%H:%M"),
            "reevaluate_months": self.reevaluate_months,
            "projected_months": self.projected_months,
            "reschedule_notice_hours": self.reschedule_notice_hours,
            "reschedule_channel": self.reschedule_channel,
            "location": self.location,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Terms:
        freq = data["frequency"]
        hour, minute = (int(part) for part in str(data["time"]).split(":"))
        return cls(
            goals=tuple(data.get("goals", ())),
            meeting_minutes=int(data["meeting_minutes"]),
            frequency=Frequency(str(freq["unit"]), int(freq["n"])),
            weekday=int(data["weekday"]),
            time_of_day=time(hour, minute),
            reevaluate_months=int(data["reevaluate_months"]),
            projected_months=int(data["projected_months"]),
            reschedule_notice_hours=int(data["reschedule_notice_hours"]),
            reschedule_channel=str(data["reschedule_channel"]),
            location=str(data.get("location", "")),
        )

    def form(self) -> list[tuple[str, str]]:
        """The reply form as (label, value) pairs, in the agreement email's order."""
        goals = [*self.goals, "", "", ""][:3]
        values = {
            "goal1": goals[0],
            "goal2": goals[1],
            "goal3": goals[2],
            "meeting_minutes": f"{self.meeting_minutes} minutes",
            "frequency": self.frequency.label,
            "weekday": WEEKDAYS[self.weekday].capitalize(),
            "time": self.time_of_day.strftime("%H:%M"),
            "location": self.location,
            "reevaluate_months": f"{self.reevaluate_months} months",
            "projected_months": f"{self.projected_months} months",
            "reschedule_notice": notice_label(self.reschedule_notice_hours),
            "reschedule_channel": self.reschedule_channel,
        }
        return [(FORM_LABELS[key], values[key]) for key in FORM_LABELS]


@dataclass(frozen=True)
class Change:
    field: str
    value: str


@dataclass(frozen=True)
class ChangeResult:
    terms: Terms
    applied: list[str]
    errors: list[str]


MAX_GOAL_LENGTH = 500


def apply_changes(terms: Terms, changes: Iterable[Change]) -> ChangeResult:
    """Apply the form lines a person changed; each bad value is an error naming its field."""
    applied: list[str] = []
    errors: list[str] = []
    goals = [*terms.goals, "", "", ""][:3]
    updates: dict[str, Any] = {}
    for change in changes:
        label = FORM_LABELS.get(change.field, change.field)
        value = change.value.strip()
        try:
            if change.field in ("goal1", "goal2", "goal3"):
                if len(value) > MAX_GOAL_LENGTH:
                    raise ValueError(f"keep a goal under {MAX_GOAL_LENGTH} characters")
                goals[int(change.field[-1]) - 1] = value
            elif change.field == "meeting_minutes":
                updates["meeting_minutes"] = parse_minutes(value)
            elif change.field == "frequency":
                updates["frequency"] = parse_frequency(value)
            elif change.field == "weekday":
                updates["weekday"] = parse_weekday(value)
            elif change.field == "time":
                updates["time_of_day"] = parse_time_of_day(value)
            elif change.field == "location":
                updates["location"] = parse_location(value)
            elif change.field == "reevaluate_months":
                updates["reevaluate_months"] = parse_months(value, low=1, high=24)
            elif change.field == "projected_months":
                updates["projected_months"] = parse_months(value, low=1, high=60)
            elif change.field == "reschedule_notice":
                updates["reschedule_notice_hours"] = parse_notice_hours(value)
            elif change.field == "reschedule_channel":
                updates["reschedule_channel"] = parse_channel(value)
            else:
                raise ValueError("this is not a field of the agreement")
        except ValueError as exc:
            errors.append(f"{label}: {value!r} was not changed: {exc}.")
            continue
        applied.append(f"{label}: {value}" if value else f"{label}: (cleared)")
    new_goals = tuple(goal for goal in goals if goal)
    result = replace(terms, goals=new_goals, **updates)
    if result.reevaluate_months > result.projected_months:
        errors.append(
            "Re-evaluate after: must not come after the projected length; kept as it was."
        )
        result = replace(
            result,
            reevaluate_months=terms.reevaluate_months,
            projected_months=terms.projected_months,
        )
    return ChangeResult(terms=result, applied=applied, errors=errors)
