"""How an email greets its reader: "Dear Zoë", as a program coordinator would write, not
"Dear Dr. Zoë O'Brien, MD". The roster may say otherwise for anyone (`mentor_greeting`,
`mentee_greeting`): a family name first, a title the person prefers."""

from __future__ import annotations

import re

_TITLES = re.compile(
    r"^(?:dr|prof|professor|mr|mrs|ms|mx|miss|sir|dame|rev|doctor)\.?\s+", re.IGNORECASE
)


def greeting_of(name: str, chosen: str | None = None) -> str:
    """The name to greet by: the one chosen, else the first given name (titles and the
    letters after a comma left out), else the whole name."""
    if chosen and chosen.strip():
        return " ".join(chosen.split())
    plain = name.split(",", 1)[0].strip()
    while (shorter := _TITLES.sub("", plain, count=1)) != plain:
        plain = shorter
    words = plain.split()
    return words[0] if words else name.strip()
