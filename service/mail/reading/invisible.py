"""Characters nobody sees, taken out of what people write before anyone else reads it."""

from __future__ import annotations

import re
import unicodedata

# Line breaks and tabs shape the text; the joiners hold Persian, Indic scripts and emoji
# together and cannot hide or reorder anything.
_KEPT = frozenset("\t\n\r\u200c\u200d")

# Every format and control character (Unicode Cf and Cc) but those kept, as one character
# class made once: a reply of half a megabyte is read through in milliseconds. They all lie
# in the first two planes and the tags' plane (14), so only those are looked through.
_PLANES = (range(0x20000), range(0xE0000, 0xE1000))


def _invisible_class() -> re.Pattern[str]:
    points = [
        point
        for plane in _PLANES
        for point in plane
        if chr(point) not in _KEPT and unicodedata.category(chr(point)) in ("Cf", "Cc")
    ]
    runs: list[list[int]] = []
    for point in points:
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    members = "".join(
        re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last > first else "")
        for first, last in runs
    )
    return re.compile(f"[{members}]")


_INVISIBLE = _invisible_class()


def without_invisible(text: str) -> str:
    """`text` without format and control characters (Unicode Cf and Cc).

    A right-to-left override (U+202E) in a goal would reach the partner's email reading
    backwards; zero-width spaces, bidirectional isolates and byte-order marks hide words
    from whoever reads them. People never mean to send them: a CSV cell and a reply lose
    them alike.
    """
    return _INVISIBLE.sub("", text)
