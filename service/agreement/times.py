"""The agreement's Weekday and Time as each person writes them: in their own zone.

The terms keep the weekday and time in the agreement's zone (the mentor's). A mentee in Los
Angeles who writes "Time: 4:30pm" means half past four in Los Angeles, so the form each person
is sent shows the time where they are, and the lines they write back are turned into the
agreement's zone here before the terms are changed. A time that names a zone neither of the
two lives in ("4:30pm EST" for a pair in Paris and Los Angeles) is asked about, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.program.locales import zone_label
from service.program.schedule import local_instant
from service.program.terms import (
    FORM_LABELS,
    WEEKDAYS,
    Change,
    Terms,
    parse_time_of_day,
    parse_weekday,
)

_CLOCK = re.compile(
    r"(?P<clock>\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?\s?m\.?)?)\s*(?P<zone>.*)", re.IGNORECASE
)
_MINE = ("my time", "mine", "my zone", "my local time", "local time", "local")
_YOURS = ("your time", "yours", "your zone", "your local time")


@dataclass(frozen=True)
class Zones:
    """Who writes and where: the agreement's zone, the writer's and the partner's, and the
    day from which the weekly time is lived (daylight saving differs between zones)."""

    agreement: str
    writer: str
    partner: str
    on: date

    @property
    def apart(self) -> bool:
        return len({self.agreement, self.writer, self.partner}) > 1


@dataclass(frozen=True)
class ReadTimes:
    changes: list[Change]  # Weekday and Time, when written, in the agreement's zone
    # The new weekday and time in both people's zones, for the writer's answer.
    said: str | None = None
    problems: list[str] = field(default_factory=list)


def _first(weekday: int, on: date) -> date:
    return on + timedelta(days=(weekday - on.weekday()) % 7)


def seen_from(terms: Terms, agreement: str, tzid: str, on: date) -> tuple[int, time]:
    """The agreed weekday and time as lived in `tzid`."""
    start = local_instant(_first(terms.weekday, on), terms.time_of_day, agreement)
    there = start.astimezone(ZoneInfo(tzid))
    return there.weekday(), there.time()


def weekly(weekday: int, at: time, tzid: str) -> str:
    """ "Mondays at 16:30 Los Angeles time"."""
    return f"{WEEKDAYS[weekday].capitalize()}s at {at:%H:%M} {zone_label(tzid)}"


def form_rows(terms: Terms, zones: Zones) -> list[tuple[str, str]]:
    """The agreement form as the writer is sent it: Weekday and Time in their own zone (and
    named, when the two live in different zones), so a line copied back unchanged changes
    nothing."""
    weekday, at = seen_from(terms, zones.agreement, zones.writer, zones.on)
    named = f" ({zone_label(zones.writer)})" if zones.apart else ""
    mine = {"Weekday": WEEKDAYS[weekday].capitalize(), "Time": f"{at:%H:%M}{named}"}
    return [(label, mine.get(label, value)) for label, value in terms.form()]


# One change as the reader's form shows it: the label, the old value and the new.
FormChange = tuple[str, str, str]


def form_changes(before: Terms, after: Terms, zones: Zones) -> list[FormChange]:
    """What changed between two versions, as the reader's form shows them."""
    old = dict(form_rows(before, zones))
    return [
        (label, old.get(label) or "", value or "")
        for label, value in form_rows(after, zones)
        if old.get(label) != value
    ]


def since_seen(waiting: Sequence[Sequence[str]], now: Sequence[FormChange]) -> list[FormChange]:
    """The changes since the version the reader last saw, when the form of an earlier change
    (`waiting`) never reached them: each line from its value then to its value now, and none
    changed back."""
    seen = {label: old for label, old, _new in waiting}
    latest = {label: new for label, _old, new in waiting}
    latest.update({label: new for label, _old, new in now})
    for label, old, _new in now:
        seen.setdefault(label, old)
    return [(label, seen[label], new) for label, new in latest.items() if seen[label] != new]


def change_line(change: FormChange) -> str:
    """ "Frequency: monthly → every 2 weeks" """
    label, old, new = change
    return f"{label}: {old or '(empty)'} → {new or '(empty)'}"


def _zone_meant(words: str, zones: Zones) -> str | None:
    """Which of the two zones the words after a time name: none said is the writer's own."""
    said = " ".join(words.strip(" ()[],.").lower().split())
    said = re.sub(r"^(?:in|at)\s+", "", said)
    if not said or said in _MINE:
        return zones.writer
    if said in _YOURS:
        return zones.partner
    for tzid in (zones.writer, zones.partner):
        label = zone_label(tzid).lower()
        if said in (label, label.removesuffix(" time"), tzid.lower()):
            return tzid
    return None


def in_agreement_zone(terms: Terms, changes: Sequence[Change], zones: Zones) -> ReadTimes:
    """The changes with Weekday and Time read in the zone the writer meant (their own unless
    they name their partner's) and written in the agreement's; asked about when the zone is
    neither of theirs. A line that does not read as a weekday or a time is left for the
    agreement's own rules to refuse, and the other of the two is not changed without it."""
    days = [c for c in changes if c.field == "weekday"]
    clocks = [c for c in changes if c.field == "time"]
    if not days and not clocks:
        return ReadTimes(list(changes))
    rest = [c for c in changes if c.field not in ("weekday", "time")]
    frame = zones.writer
    clock_text: str | None = None
    if clocks:
        match = _CLOCK.fullmatch(clocks[-1].value.strip())
        if match is None:
            return _unread(rest, days[-1:], clocks[-1])
        meant = _zone_meant(match.group("zone"), zones)
        if meant is None:
            yours, theirs = zone_label(zones.writer), zone_label(zones.partner)
            whose = f"yours ({yours})"
            if theirs != yours:
                whose += f" or your partner's ({theirs})"
            return ReadTimes(
                rest,
                problems=[
                    f"Time: {clocks[-1].value!r} was not changed: it names a zone that is not "
                    f"{whose}. Which time is meant? Write the time as it is for you, as in "
                    f"'Time: 16:30' ({yours})."
                ],
            )
        frame, clock_text = meant, match.group("clock")
    weekday, at = seen_from(terms, zones.agreement, frame, zones.on)
    if days:
        try:
            weekday = parse_weekday(days[-1].value)
        except ValueError:
            return _unread(rest, clocks[-1:], days[-1])
    if clock_text is not None:
        try:
            at = parse_time_of_day(clock_text)
        except ValueError:
            return _unread(rest, days[-1:], clocks[-1])
    day = _first(weekday, zones.on)
    start = local_instant(day, at, frame)
    there = start.astimezone(ZoneInfo(zones.agreement))
    converted = [
        *rest,
        Change("weekday", WEEKDAYS[there.weekday()].capitalize()),
        Change("time", f"{there:%H:%M}"),
    ]
    return ReadTimes(converted, said=_both(start, zones))


def _unread(rest: list[Change], other: list[Change], bad: Change) -> ReadTimes:
    """A Weekday or Time that cannot be read: refused by the agreement's own rules, in their
    words; the other of the two, read in the same zone, is kept as it was."""
    kept = [
        f"{FORM_LABELS[c.field]}: {c.value!r} was not changed: the weekday and time change "
        f"together, and the {FORM_LABELS[bad.field]} line could not be read."
        for c in other
    ]
    return ReadTimes([*rest, bad], problems=kept)


def _both(start: datetime, zones: Zones) -> str:
    """The weekly time in the writer's zone, then in their partner's when it reads otherwise."""
    seen = []
    for tzid in dict.fromkeys((zones.writer, zones.partner)):
        local = start.astimezone(ZoneInfo(tzid))
        line = weekly(local.weekday(), local.time(), tzid)
        if line not in seen:
            seen.append(line)
    return " (".join(seen) + (")" if len(seen) > 1 else "")
