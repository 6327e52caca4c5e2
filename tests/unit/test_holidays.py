"""A program's days off: a meeting on a public holiday or one of the program's own dates
moves to the nearest working day."""

from __future__ import annotations

from datetime import date

import pytest

from service.program.holidays import (
    DaysOff,
    Moved,
    country_of_zone,
    first_working_day,
    off_day_moved,
    read_country,
)

US_NY = DaysOff("US", "NY")


@pytest.mark.parametrize(
    ("planned", "moved", "why"),
    [
        (date(2026, 12, 25), date(2026, 12, 24), "Christmas Day"),  # a Friday: the Thursday
        (date(2027, 1, 1), date(2026, 12, 31), "New Year's Day"),
        (date(2027, 1, 18), date(2027, 1, 19), "Martin Luther King Jr. Day"),  # Sunday before
        (date(2026, 11, 26), date(2026, 11, 25), "Thanksgiving Day"),
    ],
)
def test_a_meeting_on_a_public_holiday_moves_to_the_nearest_working_day(
    planned: date, moved: date, why: str
) -> None:
    assert off_day_moved(planned, US_NY) == Moved(moved, why)


def test_working_days_stay_and_the_programs_own_dates_count_too() -> None:
    assert off_day_moved(date(2026, 12, 22), US_NY) is None
    own = DaysOff("US", "NY", {"2026-12-24": "Office closed"})
    # Christmas Eve is closed too, and the 26th and 27th are a weekend: the 23rd.
    assert off_day_moved(date(2026, 12, 25), own) == Moved(date(2026, 12, 23), "Christmas Day")
    assert off_day_moved(date(2026, 12, 24), own) == Moved(date(2026, 12, 23), "Office closed")
    assert off_day_moved(date(2026, 12, 25), DaysOff()) is None, "no calendar, no move"
    # Bavaria keeps Epiphany; Berlin does not.
    assert off_day_moved(date(2027, 1, 6), DaysOff("DE", "BY")) is not None
    assert off_day_moved(date(2027, 1, 6), DaysOff("DE", "BE")) is None


def test_a_week_of_days_off_leaves_the_meeting_where_it_was() -> None:
    closed = {f"2027-02-{day:02d}": "Retreat" for day in range(1, 13)}
    assert off_day_moved(date(2027, 2, 5), DaysOff(own=closed)) is None


def test_countries_are_read_and_refused_with_the_reason() -> None:
    assert read_country("us-ny") == ("US", "NY")
    assert read_country("DE") == ("DE", None)
    assert read_country("none") == (None, None)
    with pytest.raises(ValueError, match="not a country code"):
        read_country("XX")
    with pytest.raises(ValueError, match="not a region of US"):
        read_country("US-ZZ")
    assert country_of_zone("America/New_York") == "US"
    assert country_of_zone("Europe/Berlin") == "DE"
    assert country_of_zone("UTC") is None
    assert DaysOff("US", "NY", {"2027-01-08": "x"}).label == (
        "public holidays of US-NY, and 1 date of the program's own"
    )


def test_a_day_chosen_for_them_is_the_first_working_one() -> None:
    # A private conversation two days after Wednesday 30 December 2026: not New Year's Day,
    # nor the weekend after it, but Monday 4 January.
    assert first_working_day(date(2027, 1, 1), US_NY) == date(2027, 1, 4)
    assert first_working_day(date(2026, 12, 31), US_NY) == date(2026, 12, 31)
    assert first_working_day(date(2027, 1, 1), DaysOff()) == date(2027, 1, 1)
