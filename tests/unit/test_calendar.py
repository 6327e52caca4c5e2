"""Invitations and cancellations meet INTEROP rules 1-13 in several zones, and the checker
itself refuses broken ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.mail.writing.calendar import PRODID, EventSpec, Participant, build_ics, calendar_body
from service.mail.writing.compose import Rendered, build_message
from tests.interop import (
    calendar_payload,
    check_calendar_email,
    check_sequence_rises,
    check_with_icaljs,
)

ORGANIZER = Participant(
    "mentorship+1-2-meeting1-abcdefghijklmnop@mentormail.example", "Dr. Zoë O'Brien, MD"
)
MENTOR = Participant("zoe@hospital.example", "Dr. Zoë O'Brien, MD")
MENTEE = Participant("sam@university.example", 'Sam "Sammy" Okafor')


def event(zone: str, local: datetime, sequence: int = 0, text: str = "") -> EventSpec:
    start = local.replace(tzinfo=ZoneInfo(zone))
    return EventSpec(
        uid="meeting-1@mentormail.example",
        sequence=sequence,
        start=start,
        end=start + timedelta(minutes=60),
        tzid=zone,
        summary="Mentoring meeting 1: Zoë, Sam; and a long title " + text,
        description="Agenda:\n- fellowship, options; next steps\n" + text,
        organizer=ORGANIZER,
        attendees=(MENTOR, MENTEE),
    )


def email(spec: EventSpec, method: str = "REQUEST", to: str = MENTEE.email) -> bytes:
    ics = build_ics(spec, method, datetime(2026, 11, 25, 12, tzinfo=UTC))  # type: ignore[arg-type]
    return build_message(
        "invitation",
        Rendered("Meeting", "text", "<p>html</p>"),
        from_addr=("mentormail", "mentorship@mentormail.example"),
        to=("Sam", to),
        reply_to=ORGANIZER.email,
        message_id=f"m{spec.sequence}{method}@mentormail.example",
        date=datetime(2026, 11, 25, 12, tzinfo=UTC),
        calendar=(ics, method),
    )


@pytest.mark.parametrize(
    ("zone", "local"),
    [
        ("America/New_York", datetime(2026, 3, 9, 15, 0)),  # the day after spring forward
        ("America/New_York", datetime(2026, 11, 2, 9, 30)),
        ("Europe/Berlin", datetime(2026, 10, 26, 10, 0)),
        ("Australia/Sydney", datetime(2026, 4, 6, 18, 0)),
        ("Asia/Kolkata", datetime(2026, 12, 1, 17, 30)),
        ("America/Mexico_City", datetime(2027, 7, 1, 12, 0)),
        ("UTC", datetime(2026, 12, 1, 12, 0)),
    ],
)
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitations_pass_every_rule_and_parser(zone: str, local: datetime, method: str) -> None:
    check_calendar_email(email(event(zone, local), method), MENTEE.email)


def test_where_to_meet_reaches_every_parser_with_its_video_link() -> None:
    link = "https://meet.example.org/j/81?pwd=a;b,c"
    spec = replace(
        event("Europe/Berlin", datetime(2026, 12, 15, 10, 0)),
        location=f"Room 4, Haus B; or by video: {link}",
        link=link,
    )
    message = email(spec)
    check_calendar_email(message, MENTEE.email)
    [parsed] = check_with_icaljs([calendar_payload(message)])
    assert parsed["location"] == f"Room 4, Haus B; or by video: {link}"
    assert parsed["url"] == link
    vevent = icalendar.Calendar.from_ical(calendar_payload(message)).walk("VEVENT")[0]
    assert str(vevent["URL"]) == link == str(vevent["CONFERENCE"])
    assert vevent["CONFERENCE"].params["FEATURE"] == "VIDEO"
    with pytest.raises(ValueError, match="URI"):
        build_ics(replace(spec, link='https://x.example/"><b>'), "REQUEST", spec.start)


def test_the_wall_clock_time_survives_in_the_organisers_zone() -> None:
    import icalendar

    ics = build_ics(
        event("America/New_York", datetime(2026, 3, 9, 15)),
        "REQUEST",
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    start = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0].decoded("DTSTART")
    assert start.astimezone(ZoneInfo("America/New_York")).hour == 15
    assert start.astimezone(UTC).hour == 19  # EDT, not EST: the zone's rules were applied
    assert b"DTSTART;TZID=America/New_York:20260309T150000" in ics


def test_long_accented_text_folds_without_breaking_characters() -> None:
    spec = event("Europe/Berlin", datetime(2026, 12, 1, 10), text="é" * 300 + "ü" * 77)
    check_calendar_email(email(spec), MENTEE.email)


def test_mexico_city_has_no_daylight_saving_time_any_more() -> None:
    ics = build_ics(
        event("America/Mexico_City", datetime(2027, 7, 1, 12)),
        "REQUEST",
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert b"BEGIN:DAYLIGHT" not in ics and b"TZOFFSETTO:-0600" in ics


def test_the_checker_refuses_what_clients_refuse() -> None:
    good = email(event("Europe/Berlin", datetime(2026, 12, 1, 10)))
    with pytest.raises(AssertionError, match="rule 3"):
        check_calendar_email(good, "someone.else@example.org")
    raw = good
    without_method = raw.replace(b'method="REQUEST"; ', b"")
    with pytest.raises(AssertionError, match="rule 1"):
        check_calendar_email(without_method, MENTEE.email)
    ics = build_ics(
        event("Europe/Berlin", datetime(2026, 12, 1, 10)),
        "REQUEST",
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    no_zone = ics.split(b"BEGIN:VTIMEZONE")[0] + ics.split(b"END:VTIMEZONE\r\n")[1]
    local_stamp = ics.replace(b"DTSTAMP:20261125T000000Z", b"DTSTAMP:20261125T000000")
    for broken, rule in ((no_zone, "rule 10"), (local_stamp, "rule 7")):
        message = build_message(
            "invitation",
            Rendered("x", "t", "<p>h</p>"),
            from_addr=("m", "mentorship@mentormail.example"),
            to=("Sam", MENTEE.email),
            reply_to=ORGANIZER.email,
            message_id="x@y",
            date=datetime(2026, 11, 25, tzinfo=UTC),
            calendar=(broken, "REQUEST"),
        )
        with pytest.raises(AssertionError, match=rule):
            check_calendar_email(message, MENTEE.email)


def test_sequence_must_rise_per_uid() -> None:
    spec = event("Europe/Berlin", datetime(2026, 12, 1, 10))
    check_sequence_rises(
        [
            email(spec),
            email(event("Europe/Berlin", datetime(2026, 12, 1, 10), sequence=1), "CANCEL"),
        ]
    )
    with pytest.raises(AssertionError):
        check_sequence_rises(
            [email(event("Europe/Berlin", datetime(2026, 12, 1, 10), 2)), email(spec)]
        )


def test_the_body_layout_without_addressing() -> None:
    ics = build_ics(
        event("UTC", datetime(2026, 12, 1, 12)), "REQUEST", datetime(2026, 11, 25, tzinfo=UTC)
    )
    body = calendar_body("text", "<p>html</p>", ics, "REQUEST")
    assert body.content_type == "multipart/mixed"
    assert [part.content_type for part in body.parts] == [
        "multipart/alternative",
        "application/ics",
    ]
    assert b"\nTo:" not in body.entity("seed")


def test_thunderbirds_parser_reads_every_zone_and_never_floats() -> None:
    zones = [
        ("America/New_York", datetime(2026, 3, 9, 15)),
        ("Europe/Berlin", datetime(2026, 10, 26, 10)),
        ("Australia/Sydney", datetime(2026, 4, 6, 18)),
        ("Asia/Kolkata", datetime(2026, 12, 1, 17, 30)),
        ("UTC", datetime(2026, 12, 1, 12)),
    ]
    calendars = [
        build_ics(event(zone, local), method, datetime(2026, 11, 25, tzinfo=UTC))  # type: ignore[arg-type]
        for zone, local in zones
        for method in ("REQUEST", "CANCEL")
    ]
    reports = check_with_icaljs(calendars)
    for (zone, local), report in zip([z for z in zones for _ in (1, 2)], reports, strict=True):
        start = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert report["start"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_js_check_catches_a_zone_without_its_definition() -> None:
    ics = build_ics(
        event("Europe/Berlin", datetime(2026, 12, 1, 10)),
        "REQUEST",
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    no_zone = ics.split(b"BEGIN:VTIMEZONE")[0] + ics.split(b"END:VTIMEZONE\r\n")[1]
    with pytest.raises(AssertionError, match=r"ical\.js"):
        check_with_icaljs([no_zone])


def library_ics(spec: EventSpec, method: str, dtstamp: datetime) -> bytes:
    """The same calendar written by the calendar library's general writer (the oracle)."""
    from icalendar import Calendar, Event, vCalAddress, vText, vUri

    from service.mail.writing.vtimezone import vtimezone_ical

    def person(who: Participant, attendee: bool) -> vCalAddress:
        address = vCalAddress(f"mailto:{who.email}")
        address.params["CN"] = vText(" ".join(who.name.split()))
        if attendee:
            for key, value in (("CUTYPE", "INDIVIDUAL"), ("ROLE", "REQ-PARTICIPANT")):
                address.params[key] = vText(value)
            address.params["PARTSTAT"] = vText("NEEDS-ACTION")
            address.params["RSVP"] = vText("TRUE")
        return address

    zone = ZoneInfo(spec.tzid)
    cal = Calendar()
    for key, value in (("PRODID", PRODID), ("VERSION", "2.0"), ("CALSCALE", "GREGORIAN")):
        cal.add(key, value)
    cal.add("METHOD", method)
    vevent = Event()
    vevent.add("UID", spec.uid)
    vevent.add("DTSTAMP", dtstamp.astimezone(UTC))
    vevent.add("SEQUENCE", spec.sequence)
    vevent.add("DTSTART", spec.start.astimezone(zone))
    vevent.add("DTEND", spec.end.astimezone(zone))
    vevent.add("SUMMARY", spec.summary)
    vevent.add("DESCRIPTION", spec.description)
    if spec.location:
        vevent.add("LOCATION", spec.location)
    if spec.link:
        vevent.add("URL", spec.link)
        vevent.add("CONFERENCE", vUri(spec.link), parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    vevent.add("ORGANIZER", person(spec.organizer, False))
    for attendee in spec.attendees:
        vevent.add("ATTENDEE", person(attendee, True))
    vevent.add("STATUS", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    vevent.add("TRANSP", "OPAQUE")
    if spec.private:
        vevent.add("CLASS", "PRIVATE")
    cal.add_component(vevent)
    ics = bytes(cal.to_ical())
    start = spec.start.astimezone(zone)
    if start.utcoffset() or spec.tzid not in ("UTC", "Etc/UTC"):
        head, marker, tail = ics.partition(b"BEGIN:VEVENT\r\n")
        ics = head + vtimezone_ical(spec.tzid, start.year) + marker + tail
    return ics


# Characters that need escaping, quoting or care in folding, several bytes long in UTF-8 or
# not; the library reads a literal backslash-N as a line break, so N is left out.
AWKWARD = "ab cZ;,:\\^\"'\u2019\n\r\t é中😀-–.@"
AWKWARD_ASCII = "ab cZ;,:\\^\"'\n\r\t-.@"  # lines folded by slicing


@pytest.mark.parametrize("seed", range(100))
def test_the_calendar_is_byte_for_byte_what_the_library_writes(seed: int) -> None:
    import random

    rng = random.Random(seed)
    alphabet = AWKWARD if seed % 2 else AWKWARD_ASCII

    def text(most: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))

    zone = rng.choice(["America/New_York", "Europe/London", "Asia/Kolkata", "UTC", "Etc/UTC"])
    start = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600_000))
    spec = EventSpec(
        uid=f"meeting-{seed}-{text(5)}@mentormail.example",
        sequence=rng.randint(0, 30),
        start=start,
        end=start + timedelta(minutes=rng.choice([30, 45, 60])),
        tzid=zone,
        summary=text(200),
        description=text(600),
        organizer=Participant("mentorship+1@mentormail.example", text(40) or "x"),
        attendees=tuple(
            Participant(f"p{n}@example.org", text(60) or "y") for n in range(rng.randint(1, 3))
        ),
        location=text(50) or None,
        link=rng.choice([None, "https://meet.example.org/j/81?pwd=a;b,c&x=%C3%A9"]),
        private=rng.random() < 0.5,
    )
    method = rng.choice(["REQUEST", "CANCEL"])
    stamp = datetime(2026, 12, 1, 8, 30, 15, tzinfo=UTC)
    assert build_ics(spec, method, stamp) == library_ics(spec, method, stamp)  # type: ignore[arg-type]
