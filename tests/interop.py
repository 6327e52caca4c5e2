"""Checks that a calendar email meets INTEROP.md rules 1-13 and parses in several libraries."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

import icalendar
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream


def _message(msg: EmailMessage | bytes) -> EmailMessage:
    if isinstance(msg, bytes):
        parsed = message_from_bytes(msg, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed
    return msg


def calendar_parts(msg: EmailMessage) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def check_calendar_email(msg: EmailMessage | bytes, recipient: str) -> None:
    """Raise AssertionError naming every rule the email breaks."""
    raw = msg if isinstance(msg, bytes) else msg.as_bytes()
    message = _message(raw)  # what the recipient's client parses
    broken: list[str] = []

    def rule(number: int, ok: bool, what: str) -> None:
        if not ok:
            broken.append(f"rule {number}: {what}")

    # Rule 2: layout.
    rule(2, message.get_content_type() == "multipart/mixed", "top level is not multipart/mixed")
    children = list(message.iter_parts()) if message.is_multipart() else []
    alternative = children[0] if children else None
    rule(
        2,
        alternative is not None and alternative.get_content_type() == "multipart/alternative",
        "first part is not multipart/alternative",
    )
    if alternative is not None and alternative.is_multipart():
        kinds = [p.get_content_type() for p in alternative.iter_parts()]
        rule(
            2,
            kinds == ["text/plain", "text/html", "text/calendar"],
            f"alternative parts are {kinds}",
        )
    attachments = [p for p in children[1:]]
    rule(
        2,
        len(attachments) == 1
        and attachments[0].get_content_type() == "application/ics"
        and attachments[0].get_filename() == "invite.ics",
        "no single invite.ics attachment",
    )
    parts = calendar_parts(message)
    rule(
        2,
        all(p.get("Content-Transfer-Encoding", "").lower() == "base64" for p in parts),
        "calendar parts are not base64",
    )
    inline = [p for p in parts if p.get_content_type() == "text/calendar"]
    if not inline:
        raise AssertionError("no text/calendar part: " + "; ".join(broken))
    payload = inline[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = payload.decode("utf-8")
    lines = _unfold(text)
    method = next((line.split(":", 1)[1] for line in lines if line.startswith("METHOD:")), None)
    # Rule 1: the MIME method parameter equals METHOD.
    rule(
        1,
        inline[0].get_param("method") == method and method is not None,
        f"method= {inline[0].get_param('method')!r} vs METHOD:{method}",
    )
    rule(1, str(inline[0].get_param("charset")).upper() == "UTF-8", "charset is not UTF-8")
    # Rule 3: one recipient.
    to = message["To"].addresses if message["To"] else ()
    rule(
        3,
        [a.addr_spec.lower() for a in to] == [recipient.lower()],
        f"To is {[a.addr_spec for a in to]}",
    )
    rule(3, message["Cc"] is None and message["Bcc"] is None, "Cc or Bcc present")
    # Rule 6: CRLF, folding at 75 octets without splitting a character.
    rule(6, "\n" not in payload.replace(b"\r\n", b"").decode(), "bare LF line ends")
    for physical in payload.split(b"\r\n"):
        rule(6, len(physical) <= 75, f"line longer than 75 octets: {physical[:40]!r}")
        try:
            physical.decode("utf-8")
        except UnicodeDecodeError:
            broken.append("rule 6: a fold splits a UTF-8 character")
    # Rule 5: exactly one VERSION, PRODID, METHOD; no X-WR-TIMEZONE; no calendar UID.
    first_component = next(
        (i for i, line in enumerate(lines) if line.startswith("BEGIN:") and i > 0), len(lines)
    )
    calendar_lines = lines[:first_component]
    for name in ("VERSION", "PRODID", "METHOD"):
        rule(5, sum(line.startswith(name + ":") for line in lines) == 1, f"{name} not once")
    rule(5, "VERSION:2.0" in lines, "VERSION is not 2.0")
    rule(5, not any(line.startswith("X-WR-TIMEZONE") for line in lines), "X-WR-TIMEZONE")
    rule(5, not any(line.startswith("UID") for line in calendar_lines), "calendar-level UID")
    events = [i for i, line in enumerate(lines) if line == "BEGIN:VEVENT"]
    rule(8, len(events) == 1, f"{len(events)} VEVENTs")
    event = lines[events[0] : lines.index("END:VEVENT")] if events else []
    props = {line.split(":", 1)[0].split(";", 1)[0]: line for line in event}
    # Rule 7 and 8.
    for name in (
        "UID",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "ORGANIZER",
        "ATTENDEE",
        "SEQUENCE",
        "STATUS",
    ):
        rule(8, name in props, f"{name} missing")
    rule(8, "DURATION" not in props, "DURATION next to DTEND")
    rule(
        7,
        bool(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", props.get("DTSTAMP", ""))),
        "DTSTAMP not in UTC",
    )
    rule(7, bool(re.fullmatch(r"SEQUENCE:\d+", props.get("SEQUENCE", ""))), "bad SEQUENCE")
    expected_status = "STATUS:CONFIRMED" if method == "REQUEST" else "STATUS:CANCELLED"
    rule(
        8 if method == "REQUEST" else 13,
        props.get("STATUS") == expected_status,
        f"{props.get('STATUS')} for {method}",
    )
    # Rule 9 and 4: addresses.
    organizer = props.get("ORGANIZER", "")
    rule(
        9,
        ("CN=" in organizer and organizer.rsplit(":", 1)[-1].startswith("mailto:") is False)
        or organizer.split(":mailto:")[-1] != "",
        "ORGANIZER without mailto or CN",
    )
    rule(9, "SENT-BY" not in organizer, "SENT-BY used")
    organizer_addr = organizer.rsplit("mailto:", 1)[-1].lower()
    rule(4, organizer_addr != recipient.lower(), "ORGANIZER equals the recipient")
    rule(4, "+" in organizer_addr, "ORGANIZER is not a tokened reply address")
    attendees = [line for line in event if line.startswith("ATTENDEE")]
    rule(
        3,
        any(a.lower().endswith("mailto:" + recipient.lower()) for a in attendees),
        "recipient is not an ATTENDEE",
    )
    for attendee in attendees:
        for param in (
            "CN=",
            "CUTYPE=INDIVIDUAL",
            "ROLE=REQ-PARTICIPANT",
            "PARTSTAT=NEEDS-ACTION",
            "RSVP=TRUE",
        ):
            rule(9, param in attendee, f"ATTENDEE without {param}")
    rule(
        12,
        not any(line.startswith("X-MICROSOFT-DISALLOW-COUNTER") for line in lines),
        "X-MICROSOFT-DISALLOW-COUNTER present",
    )
    # Rule 10: local time with a TZID that has a VTIMEZONE with yearly rules.
    start = props.get("DTSTART", "")
    tzid = re.search(r"TZID=([^:;]+)", start)
    rule(
        10,
        (tzid is not None and not start.endswith("Z"))
        or re.fullmatch(r"DTSTART:\d{8}T\d{6}Z", start) is not None,
        f"DTSTART floating: {start}",
    )
    if tzid:
        rule(10, f"TZID:{tzid.group(1)}" in lines, f"no VTIMEZONE for {tzid.group(1)}")
    rule(10, not any(line.startswith("RDATE") for line in lines), "VTIMEZONE uses RDATE")
    # Other parsers.
    try:
        parsed = icalendar.Calendar.from_ical(payload)
        again = icalendar.Calendar.from_ical(parsed.to_ical())
        assert again.walk("VEVENT")[0]["UID"] == parsed.walk("VEVENT")[0]["UID"]
    except Exception as exc:
        broken.append(f"icalendar: {exc}")
    try:
        vobject.readOne(text, validate=True)
    except Exception as exc:
        broken.append(f"vobject: {exc}")
    try:
        stream = IcsCalendarStream.calendar_from_ics(text)
        (ical_event,) = stream.events
        assert ical_event.dtstart.tzinfo is not None
    except Exception as exc:
        broken.append(f"ical: {exc}")
    try:
        cal = icalendar.Calendar.from_ical(payload)
        vevent = cal.walk("VEVENT")[0]
        begin = vevent.decoded("DTSTART")
        found = recurring_ical_events.of(cal).between(
            begin - timedelta(days=1), begin + timedelta(days=1)
        )
        if method == "REQUEST":
            assert len(found) == 1, f"{len(found)} occurrences"
            assert found[0].decoded("DTSTART").strftime("%H:%M") == begin.strftime("%H:%M")
    except Exception as exc:
        broken.append(f"recurring-ical-events: {exc}")
    if broken:
        raise AssertionError("; ".join(broken))


def check_sequence_rises(emails: Sequence[EmailMessage | bytes]) -> None:
    """Per UID, every REQUEST or CANCEL sent has a higher SEQUENCE than the one before."""
    last: dict[str, int] = {}
    seen: set[tuple[str, int, str]] = set()
    for item in emails:
        message = _message(item)
        part = next(p for p in calendar_parts(message) if p.get_content_type() == "text/calendar")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        lines = _unfold(payload.decode())
        uid = next(line[4:] for line in lines if line.startswith("UID:"))
        sequence = int(next(line[9:] for line in lines if line.startswith("SEQUENCE:")))
        to = str(message["To"])
        key = (uid, sequence, to)
        if key in seen:
            raise AssertionError(f"{uid} sent twice to {to} with SEQUENCE {sequence}")
        seen.add(key)
        if uid in last and sequence < last[uid]:
            raise AssertionError(f"SEQUENCE of {uid} went down: {last[uid]} -> {sequence}")
        last[uid] = max(sequence, last.get(uid, -1))


JS_CHECKER = Path(__file__).resolve().parent / "js" / "check_ics.mjs"


def check_with_icaljs(calendars: Sequence[bytes]) -> list[dict[str, object]]:
    """Parse calendars with ical.js (one node process for all); raise on any that fails or
    whose start time came out floating (a TZID the parser could not resolve)."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, calendar in enumerate(calendars):
            path = Path(folder) / f"{index}.ics"
            path.write_bytes(calendar)
            paths.append(str(path))
        result = subprocess.run(
            ["node", str(JS_CHECKER), *paths],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, f"ical.js checker failed: {result.stderr[-2000:]}"
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == len(calendars)
    problems = [r for r in reports if not r["ok"] or r["floating"]]
    assert not problems, f"ical.js: {problems[:3]}"
    return reports


def calendar_payload(msg: EmailMessage | bytes) -> bytes:
    message = _message(msg if isinstance(msg, bytes) else msg.as_bytes())
    part = next(p for p in calendar_parts(message) if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload
