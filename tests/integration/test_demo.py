"""The demo on embedded defaults: a year of a program, and an outbox that reads well."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

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
    files = sorted((out / "outbox").glob("*.eml"))  # numbered in the order they were sent
    kinds: dict[str, int] = {}
    calendars: list[bytes] = []
    updates = 0
    for path in files:
        raw = path.read_bytes()
        message = message_from_bytes(raw, policy=policy.default)
        kind = str(message["X-Mentormail-Kind"])
        kinds[kind] = kinds.get(kind, 0) + 1
        assert message["Auto-Submitted"] == "auto-generated"
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
    index = (out / "outbox" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr>") == len(files) + 1
    # Nothing of the demo is left running: its embedded Redis stopped with it.
    left = subprocess.run(["pgrep", "-f", str(out / "data")], capture_output=True, check=False)
    assert left.returncode == 1, left.stdout
