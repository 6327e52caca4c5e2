"""The README's first command: the demo on embedded defaults leaves a readable outbox."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

from tests.interop import (
    calendar_payload,
    check_calendar_email,
    check_sequence_rises,
    check_with_icaljs,
)


def test_demo_runs_a_program_and_leaves_its_outbox(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
    }
    env["COLUMNS"] = "200"
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "demo",
            "--pairs",
            "4",
            "--months",
            "1",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "emails in" in result.stdout and "pairings active" in result.stdout
    files = sorted((out / "outbox").glob("*.eml"))
    kinds: dict[str, int] = {}
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        kind = str(message["X-Mentormail-Kind"])
        kinds[kind] = kinds.get(kind, 0) + 1
        assert message["Auto-Submitted"] == "auto-generated"
    assert kinds.get("agreement_request", 0) >= 8
    assert kinds.get("agreement_signed") == 8
    # Two meetings ahead for each of the 4 pairs, to each of 2 people, and more as they pass.
    assert kinds.get("invitation", 0) >= 16
    assert kinds.get("understood", 0) >= 8
    invitations = [
        p.read_bytes() for p in files if b"X-Mentormail-Kind: invitation" in p.read_bytes()
    ]
    for raw in invitations:
        message = message_from_bytes(raw, policy=policy.default)
        check_calendar_email(raw, message["To"].addresses[0].addr_spec)
    check_sequence_rises(invitations)
    check_with_icaljs([calendar_payload(raw) for raw in invitations])
    index = (out / "outbox" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr>") == len(files) + 1
    # Nothing of the demo is left running: its embedded Redis stopped with it.
    left = subprocess.run(["pgrep", "-f", str(out / "data")], capture_output=True, check=False)
    assert left.returncode == 1, left.stdout
