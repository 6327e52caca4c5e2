"""The demo on embedded defaults: a year of a program, and an outbox that reads well."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.demo.people import make_people
from tests.interop import (
    calendar_payload,
    check_calendar_email,
    check_sequence_rises,
    check_with_icaljs,
)

CALENDAR_KINDS = ("invitation", "cancellation")
CADENCE_KINDS = (
    "invitation",
    "cancellation",
    "agenda_request",
    "agenda",
    "after_meeting",
    "mentor_checkin",
    "task_reminder",
    "task_overdue",
    "reevaluation",
    # Some pairs phase out at their re-evaluation.
    "closure",
    "closure_archive",
    # The guide's exercises, and a mentor's performance conversation with a slow mentee.
    "mentor_reflection",
    "mentoring_map",
    "performance_summary_request",
    "performance_followup_draft",
    "performance_followup",
    "performance_reply",
    "performance_checkback",
    "understood",
    # The coordinator's weekly digest, and the nudge they send a silent pair from it.
    "digest",
    "coordinator_reply",
    "nudge",
)
# Sentences the simulated people write only in private: reflections, the mentoring map, the
# performance conversation's summary.
PRIVATE_SENTENCES = (
    "It was a really useful meeting, I am still learning a lot.",
    "I met most of my goals, and I know who to ask about the rest.",
    "Research or clinical skills: my lab head",
    "We talked about drafts reaching me late and what gets in the way.",
    "Drafts keep reaching me at the last minute",
)


@pytest.mark.timeout(900)  # a year of mail, then five parsers over every calendar in it
def test_a_year_of_twenty_pairs_sends_every_kind_and_every_calendar_reads_well(
    tmp_path: Path,
) -> None:
    """The issue's demo: a year of a program, every calendar email read by five parsers."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
    }
    env["COLUMNS"] = "200"
    out = tmp_path / "out"
    command = ["demo", "--pairs", "20", "--months", "12", "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "service", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "emails in" in result.stdout and "pairings active" in result.stdout
    # Nobody got more than three emails from us on any of their days, all year.
    load = re.search(r"most to one person on one day: (\d+)", " ".join(result.stdout.split()))
    assert load is not None and int(load.group(1)) <= 3, result.stdout[-600:]
    files = sorted((out / "outbox").glob("*.eml"))  # numbered in the order they were sent
    kinds: dict[str, int] = {}
    digests: list[str] = []
    calendars: list[bytes] = []
    updates = 0
    for path in files:
        raw = path.read_bytes()
        message = message_from_bytes(raw, policy=policy.default)
        kind = str(message["X-Mentormail-Kind"])
        kinds[kind] = kinds.get(kind, 0) + 1
        assert message["Auto-Submitted"] == "auto-generated"
        if kind == "digest":
            assert any(p.get_content_type() == "image/png" for p in message.walk())
            digests.append(_text(message))
            # At the program's digest hour (08:00 in its zone, its first mentor's), not
            # whenever the worker next looked.
            sent = message["Date"].datetime.astimezone(ZoneInfo("America/New_York"))
            assert (sent.hour, sent.minute < 10) == (8, True), sent
        if kind in CALENDAR_KINDS:
            check_calendar_email(raw, message["To"].addresses[0].addr_spec)
            calendars.append(raw)
            updates += kind == "invitation" and str(message["Subject"]).startswith("Updated")
    missing = [kind for kind in CADENCE_KINDS if not kinds.get(kind)]
    assert not missing, f"no {missing} in {kinds}"
    assert updates > 0, "some meetings were rescheduled"
    assert kinds["agreement_signed"] == 40
    check_sequence_rises(calendars)
    reports = check_with_icaljs([calendar_payload(raw) for raw in calendars])
    assert len(reports) == len(calendars) == kinds["invitation"] + kinds["cancellation"]
    check_digests(digests)
    index = (out / "outbox" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr>") == len(files) + 1
    # Nothing of the demo is left running: its embedded Redis stopped with it.
    left = subprocess.run(["pgrep", "-f", str(out / "data")], capture_output=True, check=False)
    assert left.returncode == 1, left.stdout


def _text(message: EmailMessage) -> str:
    parts = [p for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(str(p.get_content()) for p in parts)  # type: ignore[attr-defined]


def check_digests(digests: list[str]) -> None:
    """Weekly digests whose flags match what the simulation did, and nothing private."""
    assert len(digests) >= 50, len(digests)  # a year of weeks
    for digest in digests:
        for sentence in PRIVATE_SENTENCES:
            assert sentence not in digest
    couples = make_people(20, random.Random(7))
    # Mid-year: every pair signed, none near its end.
    middle = digests[len(digests) // 2]
    attention = middle.split("NEEDS YOUR ATTENTION", 1)[1].split("ALL PAIRINGS", 1)[0]
    flagged = set(re.findall(r"^  #(\d+) ", attention, re.M))
    for number, (_, mentee) in enumerate(couples, start=1):
        if mentee.persona == "silent":
            assert f"no reply from {mentee.name} to the last" in attention, (number, attention)
            assert str(number) in flagged
    healthy = [
        n
        for n, (mentor, mentee) in enumerate(couples, start=1)
        if mentee.persona == "prompt" and mentor.persona == "prompt"
    ]
    assert set(map(str, healthy)) - flagged, ("every healthy pair is flagged", attention)
