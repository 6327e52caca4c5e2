"""Processes starting at once on fresh data folders, and the secret each of them took.

Kept light (the settings only): each process imports it, and eight heavy imports at once
would take longer than everything they then do.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from threading import Barrier

from service.config import Settings

# Each start waits here for the others, so that all of them look for the secret at once.
_together: Barrier | None = None


def _ready(barrier: Barrier) -> None:
    global _together
    _together = barrier


def _start(folder: str) -> str:
    """What one start on `folder` takes for the secret, on the embedded defaults."""
    assert _together is not None
    _together.wait(timeout=60)
    settings = Settings(MENTORMAIL_DATA_DIR=folder, MENTORMAIL_SECRET=None)  # type: ignore[call-arg]
    return settings.resolved_secret().decode()


def secrets_taken(folders: list[Path], starts: int) -> list[list[str]]:
    """For each fresh folder in turn, the secrets `starts` processes started on it at once took."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(starts)
    with context.Pool(starts, initializer=_ready, initargs=(barrier,)) as pool:
        return [pool.map(_start, [str(folder)] * starts, chunksize=1) for folder in folders]
