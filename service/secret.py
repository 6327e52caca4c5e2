"""The service's secret: what makes one good enough, and the old ones that still open.

Pure: no files, no settings. The secret signs every reply address, keys our Message-IDs and
seals private text, so a guessable one lets anybody answer as anyone and read what is sealed.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from collections.abc import Iterable

# 256 bits, the HMAC's and the sealing key's own size: 43 characters of url-safe base64 (what
# `mentormail secret` prints) or 64 hexadecimal digits.
MIN_BITS = 256
# Whatever its alphabet, a secret of fewer different characters was not drawn at random
# (sixty-four random hexadecimal digits use fewer than ten of the sixteen about once in 10^12).
MIN_DISTINCT = 10

# The smallest usual alphabet holding all of a secret's characters, and what each of its
# characters is worth at best; any other character counts as printable ASCII would.
_ALPHABETS = (
    (frozenset(string.digits), math.log2(10)),
    (frozenset(string.hexdigits), 4.0),
    (frozenset(string.ascii_letters + string.digits + "-_+/="), 6.0),
)
_ANY_CHARACTER = math.log2(95)

# Words that name a placeholder rather than a secret, as examples and compose files write them
# (ours shipped `change-me-to-a-long-random-string`); compared with letters and digits only.
PLACEHOLDER_WORDS = (
    "changeme",
    "changethis",
    "replaceme",
    "secret",
    "password",
    "placeholder",
    "example",
    "randomstring",
    "mentormail",
)


class Secret(bytes):
    """The current key, carrying the old ones that still verify and open.

    A bytes value so that everything that signs or seals goes on taking the current key as
    it always did; only what verifies or opens (`keys_of`) also tries the old ones, until
    `mentormail rotate-secret` has sealed everything again and no reply to older mail is due.
    """

    old: tuple[bytes, ...]

    def __new__(cls, current: bytes, old: Iterable[bytes] = ()) -> Secret:
        made = super().__new__(cls, current)
        made.old = tuple(key for key in dict.fromkeys(old) if key and key != current)
        return made


def keys_of(secret: bytes) -> tuple[bytes, ...]:
    """Every key that may have signed or sealed something, the current one first."""
    if isinstance(secret, Secret):
        return (bytes(secret), *secret.old)
    return (secret,)


def new_secret() -> str:
    """32 random bytes as url-safe base64 (43 characters), drawn again in the rare case one
    happens to spell a placeholder word, so that what this prints always passes `weakness`."""
    while True:
        made = secrets.token_urlsafe(32)
        if weakness(made) is None:
            return made


def estimated_bits(value: str) -> float:
    """At most how many bits of entropy `value` holds: its length times what one character of
    the smallest usual alphabet holding them all is worth."""
    characters = set(value)
    for alphabet, bits in _ALPHABETS:
        if characters <= alphabet:
            return len(value) * bits
    return len(value) * _ANY_CHARACTER


def weakness(value: str | None) -> str | None:
    """Why `value` will not do as the service's secret, or None when it will."""
    if not value or not value.strip():
        return "is not set"
    letters = re.sub(r"[^a-z0-9]", "", value.lower())
    for word in PLACEHOLDER_WORDS:
        if word in letters:
            return f"is a placeholder (it says {word!r})"
    bits = estimated_bits(value)
    if bits < MIN_BITS:
        return f"is too short: about {bits:.0f} bits where {MIN_BITS} are needed"
    if len(set(value)) < MIN_DISTINCT:
        return f"repeats itself: {len(set(value))} different characters"
    return None
