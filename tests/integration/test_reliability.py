"""The reliability suite runs from the repository, and nothing is lost, let in, leaked,
crashed or injected in its quick run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reliability.__main__ import ZERO_SUFFIXES, verdict

ROOT = Path(__file__).resolve().parents[2]
# Each scenario's zero figures: a scenario that stopped writing them would pass unseen.
EXPECTED_ZEROS = {
    "smtp_lost",
    "forged_accepted",
    "header_injected",
    "html_injected",
    "privacy_leaks",
    "fuzz_crashes",
    "fuzz_lost",
    "kill_lost",
    "imap_lost",
    "uidvalidity_lost",
    "redis_restart_lost",
    "db_restart_lost",
    "forged_coordinator_accepted",
    "forged_import_accepted",
    "guessed_thread_accepted",
    "date_crashes",
    "secret_disagreements_lost",
    "calendar_forged_reply_accepted",
    "relay_down_lost",
    "login_refused_lost",
}
# Each calendar server's style of answer is heard: a figure of 1 each.
EXPECTED_HEARD = {
    f"calendar_server_reply_recorded_{style}"
    for style in ("organizer", "attendee", "nextcloud", "dash", "none")
}


@pytest.mark.timeout(600)
def test_the_quick_reliability_run_loses_leaks_and_lets_in_nothing(tmp_path: Path) -> None:
    out = tmp_path / "reliability.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "reliability", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    figures = json.loads(out.read_text())
    zeros = {key: value for key, value in figures.items() if key.endswith(ZERO_SUFFIXES)}
    assert set(zeros) >= EXPECTED_ZEROS, EXPECTED_ZEROS - set(zeros)
    assert all(value == 0 for value in zeros.values()), zeros
    assert {key: figures.get(key) for key in EXPECTED_HEARD} == dict.fromkeys(EXPECTED_HEARD, 1)
    assert figures["smtp_duplicates"] <= figures["smtp_dropped_acks"]
    # Six days without a relay, an hour of refused logins: nothing failed, all sent once.
    assert figures["relay_down_days"] == 6 and figures["login_refused_logins"] > 0
    for outage in ("relay_down", "login_refused"):
        assert figures[f"{outage}_emails"] > 0
        assert figures[f"{outage}_failed"] == figures[f"{outage}_duplicates"] == 0
        assert figures[f"{outage}_tries_counted"] == 0
        assert figures[f"{outage}_coordinators_told"] == 1, "once, when mail went again"
    assert figures["kill_unsettled"] == 0
    assert figures["redis_restart_worker_crashes"] == figures["db_restart_worker_crashes"] == 0
    assert figures["imap_applied_twice"] == figures["uidvalidity_applied_twice"] == 0
    # The faults did happen: connections were cut, the mailbox did change.
    assert figures["imap_cuts"] > 0 and figures["uidvalidity_values"] > 1
    assert figures["kill_duplicates"] <= figures["kill_kills"] * figures["kill_window"]
    assert figures["refusals_per_address_day"] == 1 and figures["auto_answered"] == 0
    assert figures["fuzz_worst_s"] <= 1.0 and figures["import_partial"] == 0
    # One message's effects are bounded: a coordinator's ten pairings, twenty action items.
    assert 0 < figures["max_emails_from_one_inbound"] <= 50
    assert figures["max_tasks_from_one_inbound"] == 20
    # Their reminders, weeks later, come in one email a person a day.
    assert figures["max_reminders_per_person_day"] == 1
    assert figures["placeholder_secret_started"] == 0 and figures["placeholder_secret_tries"] > 0
    # The searches found what they looked for where it belongs: they can see a leak.
    assert figures["privacy_marks_delivered"] > 0 and figures["injection_payload_shown"] > 0


def test_a_figure_with_a_least_misses_below_it() -> None:
    heard = "calendar_server_reply_recorded_nextcloud"
    assert verdict(heard, {heard: 1}) == (True, "meets ≥ 1")
    assert verdict(heard, {heard: 0}) == (False, "MISSES ≥ 1")
    assert verdict("calendar_forged_reply_accepted", {"calendar_forged_reply_accepted": 1}) == (
        False,
        "MISSES ≤ 0",
    )
