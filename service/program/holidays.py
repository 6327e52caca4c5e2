"""A program's days off: public holidays of a country (and region) from the holidays
library, and the program's own dates. A meeting planned on one is moved to the nearest
working day, and the invitation says why.

Pure: plain values in, decisions out. The country is the program's choice; when it made
none, the one its time zone lies in (`country_of_zone`), which the import says back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources

import holidays

# How far a meeting may move off a holiday: past that (a week of holidays), it stays.
MOST_DAYS_MOVED = 3
WEEKEND = (5, 6)


@dataclass(frozen=True)
class DaysOff:
    country: str | None = None  # ISO 3166 code, "US"; None: no public holidays
    region: str | None = None  # the library's subdivision, "NY", "BY"
    own: Mapping[str, str] = field(default_factory=dict)  # "2026-12-24": "Office closed"

    def name_of(self, day: date) -> str | None:
        """What `day` is off for, or None for a working day (weekends aside)."""
        if own := self.own.get(day.isoformat()):
            return own
        if self.country is None:
            return None
        return _public(self.country, self.region, day.year).get(day)

    @property
    def label(self) -> str:
        """ "public holidays of US-NY, and 2 dates of the program's own" """
        where = self.country + (f"-{self.region}" if self.region else "") if self.country else ""
        parts = [f"public holidays of {where}"] if where else ["no public holidays"]
        if self.own:
            count = len(self.own)
            parts.append(f"{count} date{'s' * (count != 1)} of the program's own")
        return ", and ".join(parts)


@dataclass(frozen=True)
class Moved:
    day: date
    holiday: str  # what the planned day was off for


def first_working_day(day: date, off: DaysOff) -> date:
    """`day`, or the first day after it that is no weekend and no day off."""
    while day.weekday() in WEEKEND or off.name_of(day) is not None:
        day += timedelta(days=1)
    return day


def off_day_moved(day: date, off: DaysOff) -> Moved | None:
    """The nearest working day to `day` when `day` is a holiday: the day before first, then
    the day after, and so on (weekends and other holidays skipped); None when `day` is a
    working day, or when no working day lies within MOST_DAYS_MOVED."""
    holiday = off.name_of(day)
    if holiday is None:
        return None
    for distance in range(1, MOST_DAYS_MOVED + 1):
        for candidate in (day - timedelta(days=distance), day + timedelta(days=distance)):
            if candidate.weekday() not in WEEKEND and off.name_of(candidate) is None:
                return Moved(candidate, holiday)
    return None


def read_country(text: str) -> tuple[str | None, str | None]:
    """ "US", "us-ny", "DE-BY", "none": a country the library knows, and its region."""
    value = text.strip()
    if value.lower() in ("", "none", "no", "off"):
        return None, None
    country, _, region = value.upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"{value!r} is not a country code the holiday calendar knows (US, DE…)")
    if region and region not in supported[country]:
        known = ", ".join(supported[country][:12])
        raise ValueError(f"{region!r} is not a region of {country}; known: {known}…")
    return country, region or None


def country_of_zone(tzid: str) -> str | None:
    """The country a time zone lies in, by the time zone database's own table."""
    return _zone_countries().get(tzid)


@cache
def _zone_countries() -> dict[str, str]:
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    found: dict[str, str] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            found[zone] = code
    return found


@cache
def _public(country: str, region: str | None, year: int) -> Mapping[date, str]:
    return dict(holidays.country_holidays(country, subdiv=region, years=year).items())
