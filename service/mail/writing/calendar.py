"""iMIP invitations and cancellations (RFC 5545/5546/6047) that real calendar clients accept.

Each rule of INTEROP.md that this module implements is named where it is implemented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from service.mail.writing.mime import (
    Part,
    alternative,
    calendar_part,
    ics_attachment,
    mixed,
    with_part,
)
from service.mail.writing.vtimezone import vtimezone_ical

PRODID = "-//mentormail//mentormail 0.1//EN"
Method = Literal["REQUEST", "CANCEL"]


@dataclass(frozen=True)
class Participant:
    email: str
    name: str


@dataclass(frozen=True)
class EventSpec:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    tzid: str
    summary: str
    description: str
    organizer: Participant
    attendees: tuple[Participant, ...]
    location: str | None = None
    # A video link to open the meeting by: URL (RFC 5545) and CONFERENCE (RFC 7986), beside
    # the LOCATION every client shows. A URI value: written as it is, so it must hold no
    # space, quote or control character.
    link: str | None = None
    # CLASS:PRIVATE: calendars that share free/busy with colleagues show only "busy".
    private: bool = False


# The VEVENT is written here rather than by the calendar library: it is always the same
# shape, and the library's general writer cost 0.35 ms an invitation, the largest part of
# making one (BENCHMARKS.md). tests/unit/test_calendar.py checks these bytes against the
# library's own output for the same event, names and texts of every awkward kind included.


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


_PARAM_ESCAPES = {"^": "^^", "\r\n": "^n", "\r": "^n", "\n": "^n", '"': "^'"}
_PARAM_SPECIAL = re.compile('\\^|\r\n|\r|\n|"')
# A CN is quoted when it holds any of these (a space or an apostrophe included).
_CN_QUOTED = re.compile("[,;:\u2019 ']")


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f\"<>\\^`{|}]+")


def _cn(name: str) -> str:
    """A CN parameter value: RFC 6868 escapes, in double quotes where it needs them."""
    name = " ".join(name.split())
    value = _PARAM_SPECIAL.sub(lambda m: _PARAM_ESCAPES[m.group(0)], name)
    return f'"{value}"' if _CN_QUOTED.search(name) else value


def _fold(line: str) -> bytes:
    """Lines under 75 octets (RFC 5545 3.1), never cut inside a UTF-8 sequence, nor between
    a backslash or caret and the character it escapes (some clients misread those)."""
    data = line.encode()
    if len(data) < 75:
        return data
    cuts: list[bytes] = []
    start = 0
    while len(data) - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1  # the escaping character goes on with what it escapes
        cuts.append(data[start:end])
        start = end
    cuts.append(data[start:])
    return b"\r\n ".join(cuts)


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _time(name: str, moment: datetime, zone: ZoneInfo, tzid: str) -> str:
    """DTSTART/DTEND: local time with its TZID, never floating; UTC written with a Z."""
    local = moment.astimezone(zone)
    if tzid in ("UTC", "Etc/UTC") and not local.utcoffset():
        return f"{name}:{_local(local)}Z"
    return f"{name};TZID={tzid}:{_local(local)}"


def _person(name: str, who: Participant, *, attendee: bool) -> str:
    # Rule 9: a plain mailto: value, the name in CN; no SENT-BY.
    params = f";CN={_cn(who.name)}"
    if attendee:
        params += ";CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE"
    return f"{name}{params}:mailto:{who.email}"


def build_ics(event: EventSpec, method: Method, dtstamp: datetime) -> bytes:
    """The VCALENDAR bytes: CRLF, folded under 75 octets, text escaped."""
    if event.start.tzinfo is None or event.end.tzinfo is None or dtstamp.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    zone = ZoneInfo(event.tzid)
    # No calendar-level UID (rule 5). The properties follow the calendar library's order.
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append(f"METHOD:{method}")
    start = event.start.astimezone(zone)
    # Rule 10: a VTIMEZONE with yearly rules for the only TZID used, before the event. UTC
    # needs none: its times are written with a Z, which every client reads as UTC. It is
    # written once per zone and year.
    timezone = b""
    if start.utcoffset() or event.tzid not in ("UTC", "Etc/UTC"):
        timezone = vtimezone_ical(event.tzid, start.year)
    vevent = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(event.summary)}",
        _time("DTSTART", event.start, zone, event.tzid),
        _time("DTEND", event.end, zone, event.tzid),  # rule 8: DTEND, not DURATION
        f"DTSTAMP:{_local(dtstamp.astimezone(UTC))}Z",  # rule 7: UTC, new on every message
        f"UID:{_text(event.uid)}",
        f"SEQUENCE:{event.sequence}",
    ]
    vevent += [_person("ATTENDEE", who, attendee=True) for who in event.attendees]
    if event.private:
        vevent.append("CLASS:PRIVATE")
    if event.link:
        if not _URI.fullmatch(event.link):
            raise ValueError("a calendar link is a URI without spaces, quotes or controls")
        vevent.append(f"CONFERENCE;FEATURE=VIDEO;VALUE=URI:{event.link}")
    vevent.append(f"DESCRIPTION:{_text(event.description)}")
    if event.location:
        vevent.append(f"LOCATION:{_text(event.location)}")
    vevent.append(_person("ORGANIZER", event.organizer, attendee=False))
    vevent.append("STATUS:" + ("CONFIRMED" if method == "REQUEST" else "CANCELLED"))
    vevent.append("TRANSP:OPAQUE")
    if event.link:
        vevent.append(f"URL:{event.link}")
    vevent += ["END:VEVENT", "END:VCALENDAR", ""]
    head = b"\r\n".join(_fold(line) for line in lines) + b"\r\n"
    return head + timezone + b"\r\n".join(_fold(line) for line in vevent)


def calendar_body(text: str, html: str, ics: bytes, method: str) -> Part:
    """Rule 2's layout: mixed → (alternative: plain, html, calendar) + invite.ics."""
    inner = with_part(alternative(text, html), calendar_part(ics, method))
    return mixed(inner, ics_attachment(ics))
