"""iMIP invitations and cancellations (RFC 5545/5546/6047) that real calendar clients accept.

Each rule of INTEROP.md that this module implements is named where it is implemented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from service.mail.mime import Part, alternative, calendar_part, ics_attachment, mixed, with_part
from service.mail.vtimezone import vtimezone_ical

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
    # CLASS:PRIVATE: calendars that share free/busy with colleagues show only "busy".
    private: bool = False


def _address(who: Participant, *, attendee: bool) -> vCalAddress:
    # Rule 9: a plain mailto: value, the name in CN; no SENT-BY.
    address = vCalAddress(f"mailto:{who.email}")
    address.params["CN"] = vText(" ".join(who.name.split()))
    if attendee:
        address.params["CUTYPE"] = vText("INDIVIDUAL")
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def build_ics(event: EventSpec, method: Method, dtstamp: datetime) -> bytes:
    """The VCALENDAR bytes: CRLF, folded at 75 octets, text escaped (icalendar does these)."""
    if event.start.tzinfo is None or event.end.tzinfo is None or dtstamp.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    zone = ZoneInfo(event.tzid)
    cal = Calendar()  # not Calendar.new(): that adds a calendar-level UID (rule 5)
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", dtstamp.astimezone(UTC))  # rule 7: UTC, new on every message
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTART", event.start.astimezone(zone))  # local time with TZID, never floating
    vevent.add("DTEND", event.end.astimezone(zone))  # rule 8: DTEND, not DURATION
    vevent.add("SUMMARY", event.summary)
    vevent.add("DESCRIPTION", event.description)
    if event.location:
        vevent.add("LOCATION", event.location)
    vevent.add("ORGANIZER", _address(event.organizer, attendee=False))
    for attendee in event.attendees:
        vevent.add("ATTENDEE", _address(attendee, attendee=True))
    vevent.add("STATUS", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    vevent.add("TRANSP", "OPAQUE")
    if event.private:
        vevent.add("CLASS", "PRIVATE")
    cal.add_component(vevent)
    ics = bytes(cal.to_ical())
    # Rule 10: a VTIMEZONE with yearly rules for the only TZID used, before the event. UTC
    # needs none: its times are written with a Z, which every client reads as UTC. The
    # component is written once per zone and year and spliced in: parsing and writing it
    # again was half the cost of an invitation.
    if event.start.astimezone(zone).utcoffset() or event.tzid not in ("UTC", "Etc/UTC"):
        head, marker, tail = ics.partition(b"BEGIN:VEVENT\r\n")
        ics = head + vtimezone_ical(event.tzid, event.start.astimezone(zone).year) + marker + tail
    return ics


def calendar_body(text: str, html: str, ics: bytes, method: str) -> Part:
    """Rule 2's layout: mixed → (alternative: plain, html, calendar) + invite.ics."""
    inner = with_part(alternative(text, html), calendar_part(ics, method))
    return mixed(inner, ics_attachment(ics))
