"""Characters nobody sees, taken out of what people write before anyone else reads it."""

from __future__ import annotations

import unicodedata

# Line breaks and tabs shape the text; the joiners hold Persian, Indic scripts and emoji
# together and cannot hide or reorder anything.
_KEPT = frozenset("\t\n\r\u200c\u200d")


def without_invisible(text: str) -> str:
    """`text` without format and control characters (Unicode Cf and Cc).

    A right-to-left override (U+202E) in a goal would reach the partner's email reading
    backwards; zero-width spaces, bidirectional isolates and byte-order marks hide words
    from whoever reads them. People never mean to send them: a CSV cell and a reply lose
    them alike.
    """
    return "".join(ch for ch in text if ch in _KEPT or unicodedata.category(ch) not in ("Cf", "Cc"))
