"""A program's days off, as its coordinator sets them: a country's public holidays (and its
region's), the program's own dates, and the list of those ahead."""

from __future__ import annotations

from datetime import date, timedelta

from service.program.holidays import DaysOff, read_country
from service.program.schedule import format_date
from service.storage.db import transaction
from service.storage.models import Program

AHEAD_DAYS = 366


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-12-24") from None


async def set_days_off(
    program_name: str,
    today: date,
    *,
    country: str | None = None,
    add: list[str] | None = None,
    remove: list[str] | None = None,
) -> str:
    """Change a program's days off as asked, and say what they are for the year ahead.
    `add`: "2026-12-24" or "2026-12-24=Office closed". Raises ValueError naming what is
    wrong, and changes nothing then."""
    async with transaction() as connection:
        program = await Program.get_or_none(name=program_name, using_db=connection)
        if program is None:
            names = await Program.all().using_db(connection).values_list("name", flat=True)
            raise ValueError(
                f"there is no program {program_name!r}; programs: {', '.join(map(str, names))}"
            )
        if country is not None:
            program.holiday_country, program.holiday_region = read_country(country)
        own = dict(program.own_holidays or {})
        for entry in add or []:
            day, _, name = entry.partition("=")
            own[_day(day).isoformat()] = name.strip() or "a day off of the program"
        for entry in remove or []:
            if own.pop(_day(entry).isoformat(), None) is None:
                raise ValueError(f"{entry} is not one of the program's own days off")
        program.own_holidays = own or None
        await program.save(using_db=connection)
    off = DaysOff(program.holiday_country, program.holiday_region, own)
    return describe(program.name, off, today)


def describe(name: str, off: DaysOff, today: date) -> str:
    """The program's days off in words, and those of the year ahead, one a line."""
    lines = [
        f"{name}: meetings avoid {off.label}; one that falls on a day off moves to the "
        "nearest working day."
    ]
    ahead = [
        (day, holiday)
        for day in (today + timedelta(days=n) for n in range(AHEAD_DAYS))
        if (holiday := off.name_of(day)) is not None
    ]
    lines += [f"  {format_date(day)}: {holiday}" for day, holiday in ahead]
    if not ahead:
        lines.append("  No days off in the year ahead.")
    return "\n".join(lines)
