"""What a person's time zone says about how they write: the zone's friendly name ("Berlin
time") and the order in which their country writes a numeric date (03.01. is 3 January in
Berlin, 3/1 is March 1 in New York), both from the CLDR data Babel carries."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location


@lru_cache(maxsize=256)
def zone_label(tzid: str) -> str:
    """ "New York time" for America/New_York, "Berlin time"; "UTC" for UTC."""
    if tzid.upper() in ("UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z"):
        return "UTC"
    try:
        city = get_timezone_location(tzid, locale="en", return_city=True)
    except LookupError:
        city = tzid.rpartition("/")[2].replace("_", " ")
    return f"{city} time"


@lru_cache(maxsize=256)
def day_first(tzid: str, separator: str) -> bool | None:
    """Whether "3<separator>1" is the 3rd of January where `tzid` is, by the country's own
    short date (Germany's "dd.MM.yy", the United States' "M/d/yy"); None when the zone has no
    country, or when its country writes dates with another separator (a slash in Berlin), so
    the writer's habit cannot be known."""
    territory: str | None = get_global("zone_territories").get(tzid)
    if territory is None or territory == "ZZ" or not territory.isalpha():  # no country
        return None
    try:
        pattern = str(Locale.parse(f"und_{territory}").date_formats["short"].pattern)
    except (UnknownLocaleError, ValueError, KeyError):
        return None
    letters = [c for c in pattern if c in "dM"]
    separators = [c for c in pattern if not c.isalpha() and c not in " '"]
    if not letters or not separators or separators[0] != separator:
        return None
    return letters[0] == "d"
