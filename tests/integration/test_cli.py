"""The `mentormail` command as a coordinator runs it, in a separate process."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from tortoise import connections

from bench.tick import populate
from service.app import AppContext

HEADER = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date\n"
)
SERVERS = ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
ROW = (
    "Hematology 2027,Dr. Zoë O'Brien,zoe@hospital.example,America/New_York,"
    "Sam Okafor,sam@university.example,Europe/Berlin,2026-12-01\n"
)


def mentormail(
    tmp_path: Path,
    *args: str,
    database_url: str | None = None,
    columns: int = 200,
    without: tuple[str, ...] = (),
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """`mentormail ARGS` as a user runs it in `tmp_path`: no server from the environment of
    the tests (nor the variables named in `without`), only the `settings` given."""
    env = {k: v for k, v in os.environ.items() if k not in (*SERVERS, *without)}
    env["MENTORMAIL_DATA_DIR"] = str(tmp_path / "var")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(settings, COLUMNS=str(columns))
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_then_status_then_reimport(tmp_path: Path) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text(HEADER + ROW, encoding="utf-8")
    first = mentormail(tmp_path, "import", str(csv))
    assert first.returncode == 0, first.stderr
    assert "Imported 1 new pairing in 1 program" in first.stdout
    second = mentormail(tmp_path, "import", str(csv))
    assert "Imported 0 new pairings" in second.stdout and "1 already there" in second.stdout
    status = mentormail(tmp_path, "status")
    assert status.returncode == 0, status.stderr
    assert "Hematology 2027" in status.stdout and "agreeing" in status.stdout
    assert "pending: 2" in status.stdout


async def test_status_of_a_program_of_forty_thousand_pairings(
    app: AppContext, database_url: str, tmp_path: Path
) -> None:
    """More pairings than PostgreSQL's client takes values in one statement."""
    dialect = connections.get("default").capabilities.dialect
    await populate(40_000, 0, postgres=dialect == "postgres")
    shown = await asyncio.to_thread(mentormail, tmp_path, "status", database_url=database_url)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "│ Bench tick │ 40000    │ 40000 active │" in shown.stdout
    listed = re.findall(r"^│ (\d+) +│ Bench tick +│ Dr\. Mentor", shown.stdout, re.M)
    assert listed == [str(n) for n in range(1, 51)]
    assert "… and 39950 more pairings: `mentormail status --pairings 0`" in shown.stdout
    assert "Outbox: empty" in shown.stdout
    some = await asyncio.to_thread(
        mentormail, tmp_path, "status", "--pairings", "1200", database_url=database_url
    )
    listed = re.findall(r"^│ (\d+) +│ Bench tick +│ Dr\. Mentor", some.stdout, re.M)
    assert listed == [str(n) for n in range(1, 1201)]  # across two chunks, in order


def test_a_program_s_digest_time_is_set_from_the_command_line(tmp_path: Path) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text(HEADER + ROW, encoding="utf-8")
    assert mentormail(tmp_path, "import", str(csv)).returncode == 0
    shown = mentormail(tmp_path, "program", "Hematology 2027")
    assert "time zone America/New_York; digests on Mondays at 08:00" in shown.stdout
    changed = mentormail(
        tmp_path,
        "program",
        "Hematology 2027",
        "--timezone",
        "Europe/Berlin",
        "--digest-weekday",
        "fri",
        "--digest-hour",
        "16",
    )
    assert "time zone Europe/Berlin; digests on Fridays at 16:00" in changed.stdout
    wrong = mentormail(tmp_path, "program", "Hematology 2027", "--timezone", "Mars/Olympus")
    assert wrong.returncode == 2 and "'Mars/Olympus' is not a known time zone" in wrong.stderr
    missing = mentormail(tmp_path, "program", "Oncology")
    assert missing.returncode == 1 and "no program named 'Oncology'" in missing.stderr


def test_commands_that_read_the_data_never_make_an_empty_database(tmp_path: Path) -> None:
    """Run from the wrong folder, `status` must not report an empty program."""
    database = tmp_path / "var" / "mentormail.sqlite3"
    for command in (
        ["status"],
        ["program", "Hematology 2027"],
        ["coordinator", "list"],
        ["outbox", "retry"],
    ):
        result = mentormail(tmp_path, *command)
        assert result.returncode == 1, command
        assert f"there is no database at {database}" in result.stderr, command
        assert "Run this where `mentormail import` was run" in result.stderr
    assert not database.exists()


def test_a_bad_file_names_line_and_field_and_imports_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "pairs.csv"
    bad = ROW.replace("Europe/Berlin", "Europe/Atlantis")
    csv.write_text(
        HEADER + ROW.replace("Sam", "Léa").replace("sam@", "lea@") + bad, encoding="utf-8"
    )
    result = mentormail(tmp_path, "import", str(csv))
    assert result.returncode == 1
    assert "line 3, mentee_timezone: 'Europe/Atlantis' is not a known time zone" in result.stderr
    assert "nothing was imported" in result.stderr
    status = mentormail(tmp_path, "status")
    assert "Léa" not in status.stdout


def test_inspect_prints_json_for_raw_messages_and_bare_bodies(tmp_path: Path) -> None:
    import json

    raw = tmp_path / "reply.eml"
    raw.write_bytes(
        b"From: Sam <sam@university.example>\r\nTo: mentorship@mentormail.example\r\n"
        b"Subject: Re: agenda\r\nMessage-ID: <a@b>\r\n\r\ndone 2\r\nagenda: fellowship options\r\n"
        b"\r\nOn Mon, 23 Nov 2026 at 14:00, mentormail wrote:\r\n> done 3\r\n"
    )
    bare = tmp_path / "body.txt"
    bare.write_text("I agree\n\n-- \nSam\n", encoding="utf-8")
    result = mentormail(tmp_path, "inspect", "--json", str(raw), str(bare))
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(raw) and first["kind"] == "reply"
    assert first["from"] == "sam@university.example"
    names = [(c["name"], c["args"]) for c in first["commands"]]
    assert ("done", {"ref": "2"}) in names
    assert all(c["args"].get("ref") != "3" for c in first["commands"]), "quoted text was read"
    assert second["file"] == str(bare)
    assert "I agree" in second["visible_text"]


def test_run_on_embedded_defaults_sends_the_outbox_to_a_folder(tmp_path: Path) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text(HEADER + ROW, encoding="utf-8")
    assert mentormail(tmp_path, "import", str(csv)).returncode == 0
    result = mentormail(tmp_path, "run", "--burst")
    assert result.returncode == 0, result.stderr[-2000:]
    files = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(files) == 2
    status = mentormail(tmp_path, "status")
    assert "sent: 2" in status.stdout
    # The embedded Redis it started is gone with it.
    left = subprocess.run(["pgrep", "-f", str(tmp_path / "var")], capture_output=True, check=False)
    assert left.returncode == 1, left.stdout


def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
    }
    env["MENTORMAIL_DATA_DIR"] = str(tmp_path / "var")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "run"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"Starting worker" not in log.read_bytes():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text()[-2000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert b"Traceback" not in log.read_bytes()
