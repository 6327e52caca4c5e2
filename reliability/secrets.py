"""The service's secret: `mentormail run` on configured servers with a missing, short or
placeholder secret, and eight starts at once on fresh data folders.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.starts import secrets_taken

ROOT = Path(__file__).resolve().parents[1]
STARTS = 8
TRIALS = 20

# Secrets a deployment could be left with: none, our compose file's old value, the usual
# words, and some just too short to sign with.
WEAK: tuple[str | None, ...] = (
    None,
    "",
    "change-me-to-a-long-random-string",
    "changeme",
    "secret",
    "abc",
    secrets.token_urlsafe(31),
    "f" * 64,
)
# Servers it could be configured with, each on a port where nothing answers: a start that
# got past its secret fails on its own, quickly, and touches nothing.
SERVERS: tuple[dict[str, str], ...] = (
    {"DATABASE_URL": "postgres://mentormail@127.0.0.1:9/mentormail"},
    {"REDIS_URL": "redis://127.0.0.1:9/0"},
    {"SMTP_URL": "smtp://127.0.0.1:9"},
    {"IMAP_URL": "imap://mentorship:pw@127.0.0.1:9/INBOX"},
)


def _environment(folder: Path, secret: str | None, servers: dict[str, str]) -> dict[str, str]:
    kept = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
        and not k.startswith("MENTORMAIL_")
    }
    chosen = {} if secret is None else {"MENTORMAIL_SECRET": secret}
    return {**kept, "MENTORMAIL_DATA_DIR": str(folder), **servers, **chosen}


def placeholder_starts(folder: Path) -> tuple[int, int]:
    """(tries, started): each weak secret with one kind of server, `mentormail run --burst` all
    at once; a run that did not stop with the refusal (exit 2, saying how to make a secret)
    counts as started."""
    runs = []
    for n, secret in enumerate(WEAK):
        env = _environment(folder / f"weak-{n}", secret, SERVERS[n % len(SERVERS)])
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "service", "run", "--burst"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    started = 0
    for run in runs:
        try:
            _, err = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.communicate()
            started += 1
            continue
        started += run.returncode != 2 or "mentormail secret" not in err
    return len(runs), started


def disagreements(folder: Path, trials: int) -> int:
    """In how many of `trials` fresh data folders the processes started at once on it took
    different secrets."""
    folders = [folder / f"fresh-{trial}" for trial in range(trials)]
    return sum(len(set(taken)) != 1 for taken in secrets_taken(folders, STARTS))


def run(root: Path) -> dict[str, int]:
    folder = root / "secrets"
    tries, started = placeholder_starts(folder)
    return {
        "placeholder_secret_tries": tries,
        "placeholder_secret_started": started,
        "secret_start_trials": TRIALS,
        "secret_disagreements_lost": disagreements(folder, TRIALS),
    }
