"""How long a message the mail server could not take waits before it is tried again, and
when it is given up (pure).

Mail servers keep a message for about five days before they give it up; so does the
outbox, so that a weekend with the relay down loses nothing. The waits grow quickly to a
few hours and stay there, so a server that comes back is used within hours.
"""

from __future__ import annotations

from datetime import timedelta

# The waits after the 1st, 2nd… failure; the last one repeats until the window is used.
WAITS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=4),
)
DEFAULT_WINDOW = timedelta(days=5)


def waited(attempts: int) -> timedelta:
    """The time from the first try to try number `attempts + 1`, when each failed."""
    early = sum(WAITS[: min(attempts, len(WAITS))], timedelta())
    return early + WAITS[-1] * max(0, attempts - len(WAITS))


def retry_after(attempts: int, window: timedelta = DEFAULT_WINDOW) -> timedelta | None:
    """The wait after `attempts` failed tries, or None when they spanned the whole window
    and the message is failed for good."""
    if waited(attempts - 1) >= window:
        return None
    return WAITS[min(attempts, len(WAITS)) - 1]


def tries_in(window: timedelta) -> int:
    """How many tries a message gets in `window` when every one of them fails."""
    attempts = 1
    while retry_after(attempts, window) is not None:
        attempts += 1
    return attempts
