"""Calendar answers from Apple's iCal (as mailed) and sabre's iTIP REPLY cases."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from service.mail.reading.itip import read_answer, why_ignored
from service.mail.reading.parse import parse_message
from tests.corpora.cases import CORPORA, MISSING

APPLE = CORPORA / "apple_ccs_calendarserver_imip"
SABRE = CORPORA / "sabre_vobject_itip"
pytestmark = pytest.mark.skipif(not (APPLE.is_dir() and SABRE.is_dir()), reason=MISSING)


def _load(folder: Path) -> Any:
    return json.loads((folder / "expectations.json").read_text(encoding="utf-8"))


def test_every_apple_ical_reply_is_understood() -> None:
    replies = [
        e for e in _load(APPLE) if "REPLY" in e["kind"] and "no text/calendar" not in e["kind"]
    ]
    assert len(replies) == 5
    for entry in replies:
        parsed = parse_message((APPLE / entry["file"]).read_bytes())
        assert parsed.kind == "itip", entry["file"]
        answer = parsed.answer
        assert answer is not None and answer.method == "REPLY"
        assert answer.uid == "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C"
        # The reply address carries the token, as ours do.
        assert any("+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@" in r for r in parsed.recipients)
        if "expected_partstat" in entry:
            assert answer.partstat == entry["expected_partstat"]
            assert f"mailto:{answer.attendee}" == entry["expected_attendee"]
    # Without a calendar it is a person's reply like any other.
    plain = parse_message((APPLE / "data" / "reply_missing_attachment").read_bytes())
    assert plain.kind == "reply" and plain.answer is None


def _attendees(event: Any) -> list[Any]:
    found = event.get("ATTENDEE")
    return found if isinstance(found, list) else [found] if found is not None else []


def _instant(event: Any) -> datetime | None:
    return event.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in event else None


def _address(value: object) -> str:
    return str(value).lower().removeprefix("mailto:")


def sabre_reply_results() -> list[tuple[str, bool, str]]:
    """Each REPLY case: did applying it give the organiser's copy sabre expects?

    Our meetings are single events whose attendees are known; a reply is applied when
    `why_ignored` lets it, as the attendee's status for the instance it names.
    """
    results = []
    for entry in _load(SABRE):
        if entry.get("method") != "REPLY":
            continue
        files = entry["files"]
        answer = read_answer((SABRE / files["incoming_itip"]).read_bytes())
        assert answer is not None and answer.attendee is not None
        name = entry["case"].split("::")[1]
        if files["existing_object"] is None:
            # No such event: nothing is applied, as sabre expects.
            results.append((name, files["expected_result"] is None, "no event"))
            continue
        existing = Calendar.from_ical((SABRE / files["existing_object"]).read_bytes())
        events = existing.walk("VEVENT")
        master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
        attendees = {_address(a) for e in events for a in _attendees(e)}
        ignored = why_ignored(
            answer, uid=str(master.get("UID")), attendees=attendees, sender=answer.attendee
        )
        if files["expected_result"] is None:
            results.append((name, ignored is not None, f"ignored: {ignored}"))
            continue
        expected = Calendar.from_ical((SABRE / files["expected_result"]).read_bytes())
        wanted = [
            str(a.params.get("PARTSTAT"))
            for e in expected.walk("VEVENT")
            if _instant(e) == answer.recurrence_id
            for a in _attendees(e)
            if _address(a) == answer.attendee
        ]
        ok = ignored is None and wanted == [answer.partstat]
        results.append((name, ok, f"ignored: {ignored}; expected {wanted}, read {answer.partstat}"))
    return results


def test_sabre_reply_cases_apply_as_expected() -> None:
    results = sabre_reply_results()
    assert len(results) == 14
    failed = {name: why for name, ok, why in results if not ok}
    # INTEROP rule 20: an answer from someone who was not invited changes nothing; sabre
    # adds such "party crashers" to the event instead.
    assert set(failed) == {"testReplyPartyCrasher", "testReplyPartyCrashCreateException"}, failed
