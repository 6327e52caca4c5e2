"""Calendar answers (iTIP REPLY and COUNTER) as the clients send them (INTEROP rules 14–20)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, vDDDTypes

from service.mail.reading.invisible import without_invisible

ANSWERS = ("REPLY", "COUNTER")
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED")


@dataclass(frozen=True)
class CalendarAnswer:
    method: str
    uid: str
    sequence: int | None
    attendee: str | None  # the address answering, lower case, without mailto:
    partstat: str | None
    comment: str | None
    recurrence_id: datetime | None
    proposed_start: datetime | None  # COUNTER only
    proposed_end: datetime | None
    stamp: datetime | None  # when the client wrote the answer (rule 17)


def _address(value: object) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _moment(value: Any, fallback_zone: str) -> datetime | None:
    """An aware datetime: a floating time is read in the meeting's own zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(fallback_zone)).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=ZoneInfo(fallback_zone)).astimezone(UTC)
    return None


def _decoded(event: Any, name: str, zone: str) -> datetime | None:
    if name not in event:
        return None
    try:
        value = event.decoded(name)
        if isinstance(value, bytes | str):
            # An X- property (Outlook's reply time) comes as text: read it as a date-time.
            text = value.decode() if isinstance(value, bytes) else value
            value = vDDDTypes.from_ical(text)  # type: ignore[no-untyped-call]
        return _moment(value, zone)
    except (ValueError, TypeError, KeyError, OverflowError):
        # OverflowError: the first or the last day there is, in a zone that moves it past.
        return None


def read_answer(
    data: bytes, method_hint: str | None = None, zone: str = "UTC"
) -> CalendarAnswer | None:
    """The first VEVENT of a REPLY or COUNTER; None for anything else or anything unreadable.

    `zone` reads floating times (rare, but some clients send them).
    """
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    method = str(calendar.get("METHOD") or method_hint or "").upper()
    if method not in ANSWERS:
        return None
    events = calendar.walk("VEVENT")
    if not events or "UID" not in events[0]:
        return None
    event = events[0]
    uid = event.get("UID")
    if isinstance(uid, list):
        uid = uid[0]  # some clients repeat the line
    attendees = event.get("ATTENDEE")
    if attendees is None:
        attendees = []
    elif not isinstance(attendees, list):
        attendees = [attendees]
    # Rule 15: a REPLY names exactly one attendee, the one answering.
    attendee = attendees[0] if attendees else None
    partstat = str(attendee.params.get("PARTSTAT", "")).upper() if attendee is not None else ""
    comment = str(event.get("COMMENT") or "") or (
        str(attendee.params.get("X-RESPONSE-COMMENT", "")) if attendee is not None else ""
    )
    stamp = _decoded(event, "X-MICROSOFT-CDO-REPLYTIME", zone) or _decoded(event, "DTSTAMP", zone)
    try:
        sequence: int | None = int(str(event.get("SEQUENCE")))
    except (TypeError, ValueError):
        sequence = None
    counter = method == "COUNTER"
    return CalendarAnswer(
        method=method,
        uid=str(uid),
        sequence=sequence,
        attendee=_address(attendee) if attendee is not None else None,
        partstat=partstat if partstat in PARTSTATS else None,
        comment=" ".join(without_invisible(comment).split())[:1000] or None,
        recurrence_id=_decoded(event, "RECURRENCE-ID", zone),
        proposed_start=_decoded(event, "DTSTART", zone) if counter else None,
        proposed_end=_decoded(event, "DTEND", zone) if counter else None,
        stamp=stamp,
    )


def answered_by(
    answer: CalendarAnswer,
    *,
    invited: Collection[str],
    signed_for: str | None,
    sender: str | None,
    reply_to: str | None,
) -> str | None:
    """Whose answer this is: the invited person its ATTENDEE names, when the mail came
    (a) to that person's signed address (the ORGANIZER their invitation named), (b) from
    that person, or (c) from any calendar server answering for them: Nextcloud and
    SabreDAV write `From:` as themselves and `Reply-To:` as the attendee. None otherwise.

    `signed_for` is the person whose signed address the mail came to, if any. The UID
    already matched one of our meetings: unguessable, so the worst a forger who has one can
    do is set one answer of one invited person to that meeting. An answer without an
    ATTENDEE (Apple's iCal may leave it out) is taken to be the signed address's person's,
    else the sender's (rule 15).
    """
    attendee = answer.attendee or signed_for or sender
    if attendee is None or attendee not in invited:
        return None
    return attendee if attendee in (signed_for, sender, reply_to) else None


def why_ignored(
    answer: CalendarAnswer, *, uid: str, attendees: Collection[str], sender: str
) -> str | None:
    """Why an answer changes nothing about the event `uid`; None when it applies.

    `sender` is whose answer it is (`answered_by`); Apple's iCal may leave the ATTENDEE out,
    and then it is taken to be theirs (rule 15).
    """
    attendee = answer.attendee or sender
    if answer.uid != uid:
        return "about another event"
    if attendee != sender or attendee not in attendees:
        # Rule 20: a forwarded invitation answered by someone else is recorded, no more.
        return "from someone not invited"
    if answer.method == "REPLY" and answer.partstat is None:
        return "without a status"
    if answer.method == "COUNTER" and answer.proposed_start is None:
        return "a proposal without a time"
    return None
